#include "core/events/dlq.hpp"

namespace giia::events {

bool Matches(const StoredLetter& s, const LetterFilter& f) {
  if (!f.sequences.empty() && f.sequences.count(s.sequence) == 0) return false;
  if (f.from_sequence != 0 && s.sequence < f.from_sequence) return false;
  if (f.to_sequence != 0 && s.sequence > f.to_sequence) return false;
  if (!f.subject.empty()) {
    const std::string& original = s.letter.original_subject;
    if (f.subject.ends_with(".>")) {
      const std::string prefix = f.subject.substr(0, f.subject.size() - 1);  // keep the dot
      if (original.rfind(prefix, 0) != 0) return false;
    } else if (original != f.subject) {
      return false;
    }
  }
  if (!f.event_type.empty() && s.letter.event_type != f.event_type) return false;
  if (!f.organization.empty() && s.letter.organization != f.organization) return false;
  // RFC 3339 UTC timestamps of one format compare as text.
  if (!f.since.empty() && s.failed_at < f.since) return false;
  return true;
}

std::vector<StoredLetter> Select(const std::vector<StoredLetter>& all, const LetterFilter& f) {
  std::vector<StoredLetter> out;
  for (const StoredLetter& s : all) {
    if (f.limit && out.size() >= *f.limit) break;
    if (Matches(s, f)) out.push_back(s);
  }
  return out;
}

LetterSummary Summarize(const std::vector<StoredLetter>& letters) {
  LetterSummary summary;
  for (const StoredLetter& s : letters) {
    ++summary.by_error[s.letter.error];
    ++summary.by_subject[s.letter.original_subject];
  }
  return summary;
}

Result<ReplayReport> ReplayDeadLetters::Run(const LetterFilter& filter,
                                            const ReplayOptions& options) {
  auto all = store_.List();
  if (!all) return tl::unexpected(all.error());
  ReplayReport report;
  for (const StoredLetter& s : Select(*all, filter)) {
    if (s.letter.replay_count >= options.max_replays) {
      report.quarantined.push_back(s);
      continue;
    }
    if (options.dry_run) {
      report.replayed.push_back(s);
      continue;
    }
    if (options.pace) options.pace();
    const int count = s.letter.replay_count + 1;
    // Remove only what the broker acknowledged under its original subject.
    Status done = store_.Republish(s, count);
    if (done) done = store_.RecordReplay(s, count, options.by);
    if (done) done = store_.Remove(s.sequence);
    if (done) {
      report.replayed.push_back(s);
    } else {
      report.failed.emplace_back(s, done.error());
    }
  }
  return report;
}

}  // namespace giia::events
