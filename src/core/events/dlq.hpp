#pragma once
// On-call work on the dead-letter queue: list and filter without consuming,
// replay to the original subject (with a loop guard), purge. The stream
// behind it is a port; `giia dlq` is its shell.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/consumer.hpp"

namespace giia::events {

// A dead letter as stored, with what DeadLetterQueue::Put recorded.
struct StoredLetter {
  std::uint64_t sequence = 0;  // in the DLQ stream
  std::string subject;         // dlq.<consumer>.<original subject>
  std::string payload;
  std::string failed_at;  // RFC 3339 UTC
  DeadLetter letter;
  std::vector<std::pair<std::string, std::string>> headers;  // all of them, for inspect
};

class DeadLetterStore {
 public:
  virtual ~DeadLetterStore() = default;
  // Every dead letter, in sequence order; never consumes.
  // Errors: kUnavailable when the broker cannot be reached.
  [[nodiscard]] virtual Result<std::vector<StoredLetter>> List() = 0;
  [[nodiscard]] virtual Result<std::optional<StoredLetter>> Get(std::uint64_t sequence) = 0;
  // The batch operations below act on all their inputs at once (one wait for
  // the broker, not one round trip each) and return exactly one Status per
  // input, in order: Ok when the broker acknowledged that one.
  //
  // Publishes each letter's payload to its original subject with replay
  // count letter.replay_count + 1.
  [[nodiscard]] virtual std::vector<Status> Republish(std::span<const StoredLetter> letters) = 0;
  // Publishes a dlq.replayed record of each letter's replay (who, what,
  // where to, replay count letter.replay_count + 1).
  [[nodiscard]] virtual std::vector<Status> RecordReplays(std::span<const StoredLetter> letters,
                                                          const std::string& by) = 0;
  // Deletes the letters at `sequences`. kNotFound for one that is not there.
  [[nodiscard]] virtual std::vector<Status> Remove(std::span<const std::uint64_t> sequences) = 0;
};

// Header names giia puts on dead letters and replays (DeadLetterQueue::Put
// records a DeadLetter as these).
namespace dlq_header {
inline constexpr const char* kOriginalSubject = "Giia-Original-Subject";
inline constexpr const char* kOriginalStream = "Giia-Original-Stream";
inline constexpr const char* kOriginalSequence = "Giia-Original-Sequence";
inline constexpr const char* kConsumer = "Giia-Consumer";
inline constexpr const char* kAttempts = "Giia-Attempts";
inline constexpr const char* kLastError = "Giia-Last-Error";
inline constexpr const char* kFailedAt = "Giia-Failed-At";
inline constexpr const char* kEventType = "Giia-Event-Type";
inline constexpr const char* kEventId = "Giia-Event-Id";
inline constexpr const char* kOrganization = "Giia-Organization";
inline constexpr const char* kReplayCount = "Giia-Replay-Count";
}  // namespace dlq_header

// A count header (attempts, replays) as Put writes it: decimal digits. Anything
// else (empty, a sign, a space, other characters) reads as 0, and a count
// beyond kMaxLetterCount as kMaxLetterCount, so that count + 1 is always an int.
inline constexpr int kMaxLetterCount = 1'000'000'000;
int ReadLetterCount(std::string_view text);

// The DeadLetter and failure time recorded in a dead letter's headers (the
// first of a repeated header counts; absent ones read as "" or 0). Never
// fails: the headers come from the broker, and whoever can publish to the DLQ
// stream can write anything in them.
StoredLetter ReadLetterHeaders(std::vector<std::pair<std::string, std::string>> headers);

// What to select. Empty fields select everything.
struct LetterFilter {
  std::set<std::uint64_t> sequences;
  std::uint64_t from_sequence = 0;  // inclusive; 0: no lower bound
  std::uint64_t to_sequence = 0;    // inclusive; 0: no upper bound
  std::string subject;              // the original subject; a trailing ".>" matches a prefix
  std::string event_type;
  std::string organization;
  std::string since;  // RFC 3339 UTC: failed at or after
  std::optional<std::size_t> limit;
  bool Empty() const {
    return sequences.empty() && from_sequence == 0 && to_sequence == 0 && subject.empty() &&
           event_type.empty() && organization.empty() && since.empty();
  }
};

bool Matches(const StoredLetter& letter, const LetterFilter& filter);

// The letters `filter` selects, in sequence order, at most `limit`.
std::vector<StoredLetter> Select(const std::vector<StoredLetter>& all, const LetterFilter& filter);

struct LetterSummary {
  std::map<std::string, int> by_error;
  std::map<std::string, int> by_subject;  // original subject
};
LetterSummary Summarize(const std::vector<StoredLetter>& letters);

struct ReplayReport {
  std::vector<StoredLetter> replayed;     // or, dry run, would be
  std::vector<StoredLetter> quarantined;  // replayed too often already: left in place
  std::vector<std::pair<StoredLetter, Error>> failed;
};

// The subjects a replay may publish to: those of the service's own event
// streams (AUTH_EVENTS, CATALOG_EVENTS). A dead letter names its original
// subject in a header, which whoever can write to the DLQ stream can forge:
// never dlq.> (a loop) nor $JS.API.> (the broker's own API).
inline const std::vector<std::string> kReplayableSubjects = {"auth.>", "catalog.>"};

// Ok when `subject` is a concrete subject (dot-separated, non-empty tokens of
// printable ASCII without wildcards) under one of `patterns`, each "x.>"
// (x. and at least one more token) or an exact subject. Errors:
// kFailedPrecondition naming the subject, escaped.
Status CheckReplaySubject(std::string_view subject, std::span<const std::string> patterns);

// Ok when a header value can be written as it is: no CR, LF or NUL (which
// would end the header or the header block early). Errors: kInvalidArgument
// naming the header.
Status CheckHeaderValue(std::string_view name, std::string_view value);

// `text` with control and non-ASCII bytes written as \xNN and at most `max`
// bytes of it, for an error message or a terminal.
std::string Escaped(std::string_view text, std::size_t max = 200);

struct ReplayOptions {
  bool dry_run = false;
  // The subjects a letter may be replayed to; another one is refused (it
  // fails, and stays in the DLQ).
  std::vector<std::string> subjects = kReplayableSubjects;
  int max_replays = 3;
  std::string by;  // who replays, for the audit record
  // Called before each republish (rate limit); may be empty. When set,
  // letters are replayed one at a time, so that the rate holds per letter.
  std::function<void()> pace;
  std::size_t batch_size = 500;  // letters replayed at once, when not paced
};

// For each selected letter: republish, record the replay, then remove it from
// the DLQ; a letter whose republish or record failed stays, and so does one
// whose original subject is not in options.subjects or whose headers to write
// carry CR, LF or NUL (failed, before anything is published; a dry run
// reports it too). Letters are
// replayed in batches (each step for the whole batch at once), in sequence
// order. Letters replayed max_replays times already are quarantined instead.
// Errors: kUnavailable when the DLQ cannot be listed; kInvalidArgument ("by")
// when options.by carries CR, LF or NUL.
class ReplayDeadLetters {
 public:
  explicit ReplayDeadLetters(DeadLetterStore& store) : store_(store) {}
  [[nodiscard]] Result<ReplayReport> Run(const LetterFilter& filter, const ReplayOptions& options);

 private:
  // Replays `letters` step by step, each step for all of them at once.
  void ReplayBatch(std::span<const StoredLetter> letters, const std::string& by,
                   ReplayReport& report);
  DeadLetterStore& store_;  // not owned
};

}  // namespace giia::events
