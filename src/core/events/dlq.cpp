#include "core/events/dlq.hpp"

#include <algorithm>
#include <charconv>

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

int ReadLetterCount(std::string_view text) {
  if (text.empty()) return 0;
  std::int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    n = std::min<std::int64_t>(n * 10 + (c - '0'), kMaxLetterCount);
  }
  return static_cast<int>(n);
}

StoredLetter ReadLetterHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  auto get = [&](const char* name) -> std::string {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  };
  StoredLetter s;
  s.failed_at = get(dlq_header::kFailedAt);
  DeadLetter& l = s.letter;
  l.consumer = get(dlq_header::kConsumer);
  l.original_subject = get(dlq_header::kOriginalSubject);
  l.stream = get(dlq_header::kOriginalStream);
  const std::string sequence = get(dlq_header::kOriginalSequence);
  std::uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(sequence.data(), sequence.data() + sequence.size(), seq);
  if (ec == std::errc() && end == sequence.data() + sequence.size()) l.stream_sequence = seq;
  l.attempts = ReadLetterCount(get(dlq_header::kAttempts));
  l.error = get(dlq_header::kLastError);
  l.event_type = get(dlq_header::kEventType);
  l.event_id = get(dlq_header::kEventId);
  l.organization = get(dlq_header::kOrganization);
  l.replay_count = ReadLetterCount(get(dlq_header::kReplayCount));
  s.headers = std::move(headers);
  return s;
}

LetterSummary Summarize(const std::vector<StoredLetter>& letters) {
  LetterSummary summary;
  for (const StoredLetter& s : letters) {
    ++summary.by_error[s.letter.error];
    ++summary.by_subject[s.letter.original_subject];
  }
  return summary;
}

std::string Escaped(std::string_view text, std::size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

Status CheckReplaySubject(std::string_view subject, std::span<const std::string> patterns) {
  const auto refuse = [&](const std::string& why) {
    return MakeError(ErrorCode::kFailedPrecondition, "refused: the original subject \"" +
                                                         Escaped(subject) + "\" " + why +
                                                         "; the letter stays in the DLQ");
  };
  // Tokens: non-empty, printable ASCII, no wildcard.
  std::size_t token = 0;
  for (char ch : subject) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (token == 0) return refuse("has an empty token");
      token = 0;
      continue;
    }
    if (c <= 0x20 || c >= 0x7f) return refuse("has a space, control or non-ASCII character");
    if (c == '*' || c == '>') return refuse("has a wildcard");
    ++token;
  }
  if (token == 0) return refuse("is empty or ends with a dot");
  for (const std::string& p : patterns) {
    if (p.ends_with(".>")) {
      const std::string_view prefix = std::string_view(p).substr(0, p.size() - 1);  // "auth."
      if (subject.size() > prefix.size() && subject.starts_with(prefix)) return Ok();
    } else if (subject == p) {
      return Ok();
    }
  }
  std::string allowed;
  for (const std::string& p : patterns) allowed += (allowed.empty() ? "" : ", ") + p;
  return refuse("is not a subject of the service's streams (" + allowed + ")");
}

Status CheckHeaderValue(std::string_view name, std::string_view value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + " \"" + Escaped(value) +
                         "\" carries CR, LF or NUL and cannot be written as a header");
  }
  return Ok();
}

namespace {

// Whether `s` may be replayed: its subject is one of the service's and the
// header values a replay writes from it can be written as they are.
Status Replayable(const StoredLetter& s, const ReplayOptions& o) {
  if (Status ok = CheckReplaySubject(s.letter.original_subject, o.subjects); !ok) return ok;
  const std::pair<const char*, const std::string*> written[] = {
      {"the consumer", &s.letter.consumer},
      {"the event id", &s.letter.event_id},
      {"the failure time", &s.failed_at}};
  for (const auto& [name, value] : written) {
    if (Status ok = CheckHeaderValue(name, *value); !ok) {
      return MakeError(ok.error().code,
                       "refused: " + ok.error().message + "; the letter stays in the DLQ");
    }
  }
  return Ok();
}

// The result for input `i`; a store that answered fewer results than it was
// given breaks its contract, and the letters it left out count as failed.
Status At(const std::vector<Status>& results, std::size_t i) {
  if (i < results.size()) return results[i];
  return MakeError(ErrorCode::kInternal, "the DLQ store did not answer for every letter");
}

}  // namespace

void ReplayDeadLetters::ReplayBatch(std::span<const StoredLetter> letters, const std::string& by,
                                    ReplayReport& report) {
  if (letters.empty()) return;
  // Each step acts on what the one before it achieved: record only what the
  // broker acknowledged under its original subject, remove only what is on
  // record. A letter that fails a step stays in the DLQ.
  std::vector<StoredLetter> published;
  const std::vector<Status> republished = store_.Republish(letters);
  for (std::size_t i = 0; i < letters.size(); ++i) {
    if (Status ok = At(republished, i)) {
      published.push_back(letters[i]);
    } else {
      report.failed.emplace_back(letters[i], ok.error());
    }
  }
  if (published.empty()) return;
  std::vector<StoredLetter> recorded;
  std::vector<std::uint64_t> sequences;
  const std::vector<Status> records = store_.RecordReplays(published, by);
  for (std::size_t i = 0; i < published.size(); ++i) {
    if (Status ok = At(records, i)) {
      recorded.push_back(published[i]);
      sequences.push_back(published[i].sequence);
    } else {
      report.failed.emplace_back(published[i], ok.error());
    }
  }
  if (recorded.empty()) return;
  const std::vector<Status> removed = store_.Remove(sequences);
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    if (Status ok = At(removed, i)) {
      report.replayed.push_back(recorded[i]);
    } else {
      report.failed.emplace_back(recorded[i], ok.error());
    }
  }
}

Result<ReplayReport> ReplayDeadLetters::Run(const LetterFilter& filter,
                                            const ReplayOptions& options) {
  if (Status ok = CheckHeaderValue("by", options.by); !ok) {
    return InvalidArgument("by", ok.error().message);
  }
  auto all = store_.List();
  if (!all) return tl::unexpected(all.error());
  ReplayReport report;
  const std::size_t batch_size = options.pace ? 1 : std::max<std::size_t>(options.batch_size, 1);
  std::vector<StoredLetter> batch;
  for (const StoredLetter& s : Select(*all, filter)) {
    if (s.letter.replay_count >= options.max_replays) {
      report.quarantined.push_back(s);
      continue;
    }
    if (Status ok = Replayable(s, options); !ok) {
      report.failed.emplace_back(s, ok.error());
      continue;
    }
    if (options.dry_run) {
      report.replayed.push_back(s);
      continue;
    }
    batch.push_back(s);
    if (batch.size() == batch_size) {
      if (options.pace) options.pace();
      ReplayBatch(batch, options.by, report);
      batch.clear();
    }
  }
  ReplayBatch(batch, options.by, report);  // paced batches are never left over
  return report;
}

}  // namespace giia::events
