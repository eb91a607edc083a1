#include "core/events/consumer.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "core/events/dlq.hpp"

using namespace giia::events;
using giia::ErrorCode;
using giia::Result;
using giia::Status;
using std::chrono::milliseconds;

namespace {

Event Valid() {
  Event e;
  e.id = "00000000-0000-4000-8000-000000000001";
  e.service = "auth";
  e.type = "role.revoked";
  e.aggregate_type = "user";
  e.aggregate_id = "u-1";
  e.organization_id = "org-1";
  e.time = "2026-11-22T10:00:00Z";
  e.data = {{"user_id", std::string("u-1")},
            {"role", std::string("Viewer")},
            {"organization_id", std::string("org-1")}};
  return e;
}

struct FakeMessage final : InboundMessage {
  std::string subject_ = "auth.role.revoked", stream_ = "AUTH_EVENTS";
  int delivered_ = 1;
  Result<Event> event = Valid();
  std::string ended;  // "ack", "nak:<ms>", "term"
  const std::string& subject() const override { return subject_; }
  const std::string& stream() const override { return stream_; }
  std::uint64_t stream_sequence() const override { return 42; }
  int delivered() const override { return delivered_; }
  int replay_count() const override { return 1; }
  Result<Event> Decode() const override { return event; }
  Status Ack() override { return End("ack"); }
  Status NakWithDelay(milliseconds d) override { return End("nak:" + std::to_string(d.count())); }
  Status Term() override { return End("term"); }
  Status End(const std::string& how) {
    REQUIRE(ended.empty());  // exactly one ending
    ended = how;
    return giia::Ok();
  }
};

struct Handler final : EventHandler {
  int calls = 0;
  Status result = giia::Ok();
  Status Handle(const Event&) override {
    ++calls;
    return result;
  }
};

struct Processed final : ProcessedEvents {
  std::set<std::string> ids;
  Result<bool> Seen(const std::string& c, const std::string& id) override {
    return ids.count(c + "/" + id) == 1;
  }
  Status Remember(const std::string& c, const std::string& id) override {
    ids.insert(c + "/" + id);
    return giia::Ok();
  }
};

struct Dlq final : DeadLetterQueue {
  std::vector<DeadLetter> letters;
  bool down = false;
  Status Put(const DeadLetter& letter, const InboundMessage&) override {
    if (down) return giia::MakeError(ErrorCode::kUnavailable, "dlq down");
    letters.push_back(letter);
    return giia::Ok();
  }
};

struct Alerts final : DeadLetterAlert {
  int raised = 0;
  void Raise(const DeadLetter&) override { ++raised; }
};

RetryPolicy Policy() {
  RetryPolicy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(250);
  return p;
}

}  // namespace

TEST_CASE("Backoff doubles per attempt up to its cap", "[events]") {
  CHECK(BackoffAfter(1, Policy()) == milliseconds(100));
  CHECK(BackoffAfter(2, Policy()) == milliseconds(200));
  CHECK(BackoffAfter(3, Policy()) == milliseconds(250));
  CHECK(BackoffAfter(30, Policy()) == milliseconds(250));
}

TEST_CASE("A consumer acks a handled event once, and skips it when redelivered", "[events]") {
  Handler handler;
  Processed processed;
  Dlq dlq;
  EventConsumer consumer("mailer", handler, processed, dlq, nullptr, Policy());
  FakeMessage first;
  CHECK(consumer.Process(first).value() == Outcome::kAcked);
  CHECK(first.ended == "ack");
  FakeMessage again;
  again.delivered_ = 2;
  CHECK(consumer.Process(again).value() == Outcome::kDuplicate);
  CHECK(again.ended == "ack");
  CHECK(handler.calls == 1);
}

TEST_CASE("Failures are retried with delay, then dead-lettered with an alert", "[events]") {
  Handler handler;
  handler.result = giia::MakeError(ErrorCode::kUnavailable, "smtp down");
  Processed processed;
  Dlq dlq;
  Alerts alerts;
  EventConsumer consumer("mailer", handler, processed, dlq, &alerts, Policy());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    FakeMessage m;
    m.delivered_ = attempt;
    auto outcome = consumer.Process(m).value();
    if (attempt < 3) {
      CHECK(outcome == Outcome::kRetrying);
      CHECK(m.ended == "nak:" + std::to_string(BackoffAfter(attempt, Policy()).count()));
    } else {
      CHECK(outcome == Outcome::kDeadLettered);
      CHECK(m.ended == "term");
    }
  }
  REQUIRE(dlq.letters.size() == 1);
  const DeadLetter& l = dlq.letters[0];
  CHECK(l.consumer == "mailer");
  CHECK(l.original_subject == "auth.role.revoked");
  CHECK(l.stream == "AUTH_EVENTS");
  CHECK(l.stream_sequence == 42);
  CHECK(l.attempts == 3);
  CHECK(l.error == "smtp down");
  CHECK(l.event_type == "role.revoked");
  CHECK(l.organization == "org-1");
  CHECK(l.replay_count == 1);
  CHECK(alerts.raised == 1);
  CHECK(consumer.counters().dead_lettered == 1);
  CHECK(consumer.counters().retried == 2);
  CHECK(DeadLetterSubject("mailer", "auth.role.revoked") == "dlq.mailer.auth.role.revoked");
}

TEST_CASE("Permanent errors, bad payloads and invalid events skip the retries", "[events]") {
  Processed processed;
  Dlq dlq;
  Handler permanent;
  permanent.result = giia::InvalidArgument("email", "no such mailbox");
  EventConsumer consumer("mailer", permanent, processed, dlq, nullptr, Policy());
  FakeMessage m;
  CHECK(consumer.Process(m).value() == Outcome::kDeadLettered);

  Handler never;
  EventConsumer strict("strict", never, processed, dlq, nullptr, Policy());
  FakeMessage garbage;
  garbage.event = giia::InvalidArgument("payload", "the message is not a JSON object");
  CHECK(strict.Process(garbage).value() == Outcome::kDeadLettered);
  FakeMessage invalid;
  Event e = Valid();
  e.data.pop_back();
  invalid.event = e;
  CHECK(strict.Process(invalid).value() == Outcome::kDeadLettered);
  CHECK(never.calls == 0);
  REQUIRE(dlq.letters.size() == 3);
  CHECK_THAT(dlq.letters[1].error, Catch::StartsWith("undecodable"));
  CHECK_THAT(dlq.letters[2].error, Catch::Contains("organization_id"));
}

TEST_CASE("When the DLQ cannot take a message it is retried, never terminated", "[events]") {
  Handler handler;
  handler.result = giia::MakeError(ErrorCode::kInternal, "bug");
  Processed processed;
  Dlq dlq;
  dlq.down = true;
  EventConsumer consumer("mailer", handler, processed, dlq, nullptr, Policy());
  FakeMessage m;
  m.delivered_ = 3;
  auto outcome = consumer.Process(m);
  REQUIRE_FALSE(outcome);
  CHECK(m.ended.rfind("nak:", 0) == 0);
  CHECK(consumer.counters().dead_lettered == 0);
}

TEST_CASE("DLQ filters select by sequence, range, subject prefix, type, org and time", "[events]") {
  std::vector<StoredLetter> all;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    StoredLetter s;
    s.sequence = seq;
    s.failed_at = "2026-11-22T10:0" + std::to_string(seq) + ":00Z";
    s.letter.original_subject = seq % 2 ? "auth.user.registered" : "catalog.product.created";
    s.letter.event_type = seq % 2 ? "user.registered" : "product.created";
    s.letter.organization = seq <= 2 ? "org-a" : "org-b";
    s.letter.error = seq == 5 ? "timeout" : "refused";
    all.push_back(s);
  }
  auto seqs = [](const std::vector<StoredLetter>& v) {
    std::vector<std::uint64_t> out;
    for (const auto& s : v) out.push_back(s.sequence);
    return out;
  };
  LetterFilter f;
  CHECK(seqs(Select(all, f)).size() == 5);
  f.subject = "auth.>";
  CHECK(seqs(Select(all, f)) == std::vector<std::uint64_t>{1, 3, 5});
  f.organization = "org-b";
  CHECK(seqs(Select(all, f)) == std::vector<std::uint64_t>{3, 5});
  f = LetterFilter{};
  f.from_sequence = 2;
  f.to_sequence = 4;
  CHECK(seqs(Select(all, f)) == std::vector<std::uint64_t>{2, 3, 4});
  f = LetterFilter{};
  f.since = "2026-11-22T10:04:00Z";
  CHECK(seqs(Select(all, f)) == std::vector<std::uint64_t>{4, 5});
  f = LetterFilter{};
  f.event_type = "product.created";
  f.limit = 1;
  CHECK(seqs(Select(all, f)) == std::vector<std::uint64_t>{2});
  f = LetterFilter{};
  f.sequences = {5};
  CHECK(seqs(Select(all, f)) == std::vector<std::uint64_t>{5});
  auto summary = Summarize(all);
  CHECK(summary.by_error["refused"] == 4);
  CHECK(summary.by_subject["catalog.product.created"] == 2);
}

TEST_CASE("A dead letter's headers read back whatever they say", "[events][dlq]") {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {dlq_header::kOriginalSubject, "auth.user.registered"},
      {dlq_header::kOriginalSequence, "42"},
      {dlq_header::kConsumer, "mailer"},
      {dlq_header::kAttempts, "5"},
      {dlq_header::kReplayCount, "2"},
      {dlq_header::kFailedAt, "2026-01-02T03:04:05Z"},
      {"Other", "kept"}};
  const StoredLetter s = ReadLetterHeaders(headers);
  CHECK(s.letter.original_subject == "auth.user.registered");
  CHECK(s.letter.stream_sequence == 42);
  CHECK(s.letter.consumer == "mailer");
  CHECK(s.letter.attempts == 5);
  CHECK(s.letter.replay_count == 2);
  CHECK(s.failed_at == "2026-01-02T03:04:05Z");
  CHECK(s.headers == headers);
  // Counts as anyone who can publish to the DLQ stream could write them: a
  // negative count would lift the replay loop guard, and INT_MAX (what atoi
  // gave) made replay_count + 1 overflow.
  CHECK(ReadLetterCount("-1") == 0);
  CHECK(ReadLetterCount(" 3") == 0);
  CHECK(ReadLetterCount("3x") == 0);
  CHECK(ReadLetterCount("") == 0);
  CHECK(ReadLetterCount("2147483647") == kMaxLetterCount);
  CHECK(ReadLetterCount("99999999999999999999999") == kMaxLetterCount);
  CHECK(ReadLetterHeaders({{dlq_header::kOriginalSequence, "18446744073709551616"}})
            .letter.stream_sequence == 0);
  CHECK(ReadLetterHeaders({{dlq_header::kOriginalSequence, "12abc"}}).letter.stream_sequence == 0);
}
