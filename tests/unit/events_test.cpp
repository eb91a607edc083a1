#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/codec/cloudevents.hpp"
#include "core/events/dlq.hpp"
#include "core/events/event.hpp"
#include "core/events/relay.hpp"
#include "server/workers/outbox_relay.hpp"

using namespace giia::events;
using giia::ErrorCode;
using giia::Result;

namespace {

Event Registered() {
  Event e;
  e.id = "8f14e45f-ceea-467f-a0e6-1a2b3c4d5e6f";
  e.service = "auth";
  e.type = "user.registered";
  e.aggregate_type = "user";
  e.aggregate_id = "u-1";
  e.organization_id = "org-1";
  e.time = "2026-11-22T10:00:00Z";
  e.data = {{"user_id", std::string("u-1")},
            {"email", std::string("ops@example.com")},
            {"organization_id", std::string("org-1")},
            {"status", std::string("pending")}};
  return e;
}

}  // namespace

TEST_CASE("A well-formed event validates", "[events]") {
  CHECK(Validate(Registered()).has_value());
  CHECK(Registered().Subject() == "auth.user.registered");
}

TEST_CASE("Schema validation names what is wrong", "[events]") {
  Event missing = Registered();
  missing.data.erase(missing.data.begin() + 1);  // no email
  auto r = Validate(missing);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK(r.error().field == "data.email");
  CHECK_THAT(r.error().message, Catch::Contains("\"email\""));

  Event null_field = Registered();
  null_field.data[0].value = nullptr;
  CHECK(Validate(null_field).error().field == "data.user_id");

  Event extra = Registered();
  extra.data.push_back({"password", std::string("x")});
  CHECK(Validate(extra).error().field == "data.password");

  Event unknown = Registered();
  unknown.type = "user.teleported";
  CHECK(Validate(unknown).error().field == "type");

  Event wrong_service = Registered();
  wrong_service.service = "catalog";
  CHECK(Validate(wrong_service).error().field == "service");

  Event no_id = Registered();
  no_id.id.clear();
  CHECK(Validate(no_id).error().field == "id");
}

TEST_CASE("Every built-in schema names its service and fields once", "[events]") {
  std::set<std::string> types;
  for (const Schema& s : BuiltInSchemas()) {
    INFO(s.type);
    CHECK((s.service == "auth" || s.service == "catalog"));
    CHECK(types.insert(s.type).second);
    CHECK_FALSE(s.required.empty());
  }
  for (const char* t :
       {"user.registered", "user.verified", "user.password_changed", "product.created",
        "supplier.created", "buffer_profile.created", "role.assigned", "role.revoked",
        "user.locked", "product.updated", "product.deleted", "product.buffer_profile_assigned"}) {
    CHECK(types.count(t) == 1);
  }
}

TEST_CASE("The outbox writer refuses an invalid event before storing it", "[events]") {
  struct Recording final : OutboxWriter {
    int stored = 0;

   protected:
    giia::Status Store(const Event&) override {
      ++stored;
      return giia::Ok();
    }
  } writer;
  Event bad = Registered();
  bad.data.pop_back();
  auto r = writer.Append(bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "data.status");
  CHECK(writer.stored == 0);
  CHECK(writer.Append(Registered()).has_value());
  CHECK(writer.stored == 1);
}

TEST_CASE("CloudEvents JSON round-trips an event", "[events]") {
  Event e = Registered();
  e.request_id = "req-42";
  e.data.push_back({"registered_at", std::string("2026-11-22T10:00:00Z")});
  const std::string json = giia::codec::EncodeCloudEvent(e);
  CHECK_THAT(json, Catch::Contains("\"specversion\":\"1.0\"") &&
                       Catch::Contains("\"source\":\"/giia/auth\"") &&
                       Catch::Contains("\"subject\":\"user/u-1\"") &&
                       Catch::Contains("\"organizationid\":\"org-1\"") &&
                       Catch::Contains("\"requestid\":\"req-42\"") &&
                       Catch::Contains("\"datacontenttype\":\"application/json\""));
  auto back = giia::codec::DecodeCloudEvent(json);
  REQUIRE(back);
  CHECK(back->id == e.id);
  CHECK(back->service == "auth");
  CHECK(back->aggregate_type == "user");
  CHECK(back->aggregate_id == "u-1");
  CHECK(back->organization_id == "org-1");
  CHECK(back->request_id == "req-42");
  CHECK(back->data.size() == e.data.size());
  CHECK(Validate(*back).has_value());
}

TEST_CASE("Decoding names the broken attribute", "[events]") {
  using giia::codec::DecodeCloudEvent;
  CHECK(DecodeCloudEvent("not json").error().field == "payload");
  CHECK(DecodeCloudEvent(R"({"specversion":"0.3"})").error().field == "specversion");
  CHECK(DecodeCloudEvent(
            R"({"specversion":"1.0","id":"1","type":"t","time":"x","source":"/other/x"})")
            .error()
            .field == "source");
  CHECK(DecodeCloudEvent(R"({"specversion":"1.0","id":"1","type":"t","time":"x",)"
                         R"("source":"/giia/auth","subject":"user/1","data":{"a":[1]}})")
            .error()
            .field == "data.a");
  // Found by tests/fuzz/cloudevents_fuzz: a whole number beyond int64 was read
  // as a negative one (18446744073709551615 as -1).
  auto huge = DecodeCloudEvent(R"({"specversion":"1.0","id":"1","type":"t","time":"x",)"
                               R"("source":"/giia/auth","subject":"user/1",)"
                               R"("data":{"n":18446744073709551615}})");
  REQUIRE_FALSE(huge);
  CHECK(huge.error().field == "data.n");
  auto largest = DecodeCloudEvent(R"({"specversion":"1.0","id":"1","type":"t","time":"x",)"
                                  R"("source":"/giia/auth","subject":"user/1",)"
                                  R"("data":{"n":9223372036854775807}})");
  REQUIRE(largest);
  CHECK(std::get<std::int64_t>(*largest->Find("n")) == 9223372036854775807);
}

namespace {

struct FakeSource final : OutboxSource {
  std::vector<OutboxRecord> pending;
  std::vector<OutboxRecord> sent;
  int busy_batches = 0;  // the next batches find the relay lock taken
  Result<Batch> RelayBatch(std::size_t limit, const PublishFn& publish) override {
    Batch b;
    if (busy_batches > 0) {
      --busy_batches;
      b.busy = true;
      return b;
    }
    std::vector<OutboxRecord> take(
        pending.begin(), pending.begin() + static_cast<long>(std::min(limit, pending.size())));
    b.read = take.size();
    if (take.empty()) return b;
    auto n = publish(take);
    b.sent = n ? *n : 0;
    if (!n) b.error = n.error();
    sent.insert(sent.end(), take.begin(), take.begin() + static_cast<long>(b.sent));
    pending.erase(pending.begin(), pending.begin() + static_cast<long>(b.sent));
    return b;
  }
  Result<std::int64_t> Purge(std::chrono::seconds) override { return 0; }
  Result<Backlog> Pending() override {
    return Backlog{static_cast<std::int64_t>(pending.size()), 0};
  }
};

struct FlakyPublisher final : EventPublisher {
  int failures_left = 0;
  std::size_t accept_at_most = 1000;
  Result<std::size_t> Publish(std::span<const OutboxRecord> records) override {
    if (failures_left > 0) {
      --failures_left;
      return giia::MakeError(ErrorCode::kUnavailable, "broker down");
    }
    return std::min(records.size(), accept_at_most);
  }
};

}  // namespace

TEST_CASE("RelayOutbox publishes in order and keeps what was not acknowledged", "[events]") {
  FakeSource source;
  for (int i = 1; i <= 5; ++i)
    source.pending.push_back({i, "e" + std::to_string(i), "s", "{}", "a"});
  FlakyPublisher publisher;
  publisher.failures_left = 1;
  publisher.accept_at_most = 2;
  RelayOutbox relay(source, publisher);
  auto down = relay.Step(10);
  REQUIRE(down);
  CHECK(down->error);
  CHECK(source.pending.size() == 5);
  auto partial = relay.Step(10);
  REQUIRE(partial);
  CHECK(partial->sent == 2);
  CHECK(source.sent[0].seq == 1);
  CHECK(source.pending.front().seq == 3);
  publisher.accept_at_most = 1000;
  CHECK(relay.Step(10)->sent == 3);
  CHECK(relay.counters().published == 5);
  CHECK(relay.counters().publish_failures == 1);
}

namespace {

// Records the waits; after a few, blocks until interrupted so the worker's
// idle loop does not spin.
struct RecordingSignal final : OutboxSignal {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::chrono::milliseconds> waits;
  bool interrupted = false;
  void Wait(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu);
    waits.push_back(timeout);
    if (waits.size() > 8) cv.wait(lock, [&] { return interrupted; });
  }
  void Notify() override {}
  void Interrupt() override {
    std::lock_guard lock(mu);
    interrupted = true;
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("The relay worker backs off exponentially while the broker is down, then publishes",
          "[events]") {
  FakeSource source;
  for (int i = 1; i <= 3; ++i)
    source.pending.push_back({i, "e" + std::to_string(i), "s", "{}", "a"});
  FlakyPublisher publisher;
  publisher.failures_left = 3;
  RecordingSignal signal;
  spdlog::logger log("test");  // no sinks: silent
  giia::server::OutboxRelayOptions options;
  options.min_backoff = std::chrono::milliseconds(100);
  options.max_backoff = std::chrono::milliseconds(300);
  options.idle_poll = std::chrono::milliseconds(1000);
  giia::server::OutboxRelayWorker worker(source, publisher, signal, options, log);
  worker.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (worker.published() < 3) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  worker.Stop();
  CHECK(worker.failures() == 3);
  CHECK(source.sent.size() == 3);
  std::lock_guard lock(signal.mu);
  REQUIRE(signal.waits.size() >= 4);
  using std::chrono::milliseconds;
  CHECK(signal.waits[0] == milliseconds(100));
  CHECK(signal.waits[1] == milliseconds(200));
  CHECK(signal.waits[2] == milliseconds(300));   // capped
  CHECK(signal.waits[3] == milliseconds(1000));  // idle: nothing left to publish
}

TEST_CASE("The relay worker looks again soon when another relay held the lock", "[events]") {
  FakeSource source;
  source.pending.push_back({1, "e1", "s", "{}", "a"});
  source.busy_batches = 2;
  FlakyPublisher publisher;
  RecordingSignal signal;
  spdlog::logger log("test");
  giia::server::OutboxRelayOptions options;
  options.busy_retry = std::chrono::milliseconds(7);
  options.idle_poll = std::chrono::milliseconds(1000);
  giia::server::OutboxRelayWorker worker(source, publisher, signal, options, log);
  worker.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (worker.published() < 1) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  worker.Stop();
  std::lock_guard lock(signal.mu);
  REQUIRE(signal.waits.size() >= 2);
  using std::chrono::milliseconds;
  CHECK(signal.waits[0] == milliseconds(7));
  CHECK(signal.waits[1] == milliseconds(7));
}

TEST_CASE("The local outbox signal: a notification is kept for the next wait, then consumed",
          "[events]") {
  giia::events::LocalOutboxSignal signal;
  signal.Notify();
  signal.Wait(std::chrono::hours(1));  // returns at once: notified before it waited
  const auto start = std::chrono::steady_clock::now();
  signal.Wait(std::chrono::milliseconds(20));  // consumed: this one times out
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(20));
  std::thread notifier([&] { signal.Notify(); });
  signal.Wait(std::chrono::hours(1));  // woken by the other thread (or kept for this wait)
  notifier.join();
  signal.Interrupt();
  signal.Wait(std::chrono::hours(1));  // interrupted: every wait returns at once
  signal.Wait(std::chrono::hours(1));
}

TEST_CASE(
    "A batch goes out in waves without an aggregate twice, and a failure stops the rest, so no "
    "event of an aggregate is stored before an earlier one",
    "[events]") {
  using giia::MakeError;
  using giia::Ok;
  using giia::Status;
  auto record = [](const std::string& id, const std::string& aggregate) {
    OutboxRecord r;
    r.event_id = id;
    r.aggregate_id = aggregate;
    return r;
  };
  const std::vector<OutboxRecord> batch = {record("a1", "A"), record("b1", "B"), record("a2", "A"),
                                           record("c1", "C"), record("b2", "B"), record("x", ""),
                                           record("y", "")};
  // Everything acknowledged: [a1 b1] [a2 c1 b2 x y].
  std::vector<std::vector<std::string>> waves;
  auto recording = [&](const std::string& fail) {
    return [&waves, fail](std::span<const OutboxRecord> wave) {
      std::vector<std::string> ids;
      std::vector<Status> results;
      for (const OutboxRecord& r : wave) {
        ids.push_back(r.event_id);
        results.push_back(r.event_id == fail ? Status(MakeError(ErrorCode::kUnavailable, "lost"))
                                             : Status(Ok()));
      }
      waves.push_back(ids);
      return results;
    };
  };
  CHECK(PublishInWaves(batch, recording("")).value() == 7);
  CHECK(waves == std::vector<std::vector<std::string>>{{"a1", "b1"}, {"a2", "c1", "b2", "x", "y"}});

  // a1 lost while b1 was stored: a2 is never sent, and nothing counts.
  waves.clear();
  auto none = PublishInWaves(batch, recording("a1"));
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::kUnavailable);
  CHECK(waves == std::vector<std::vector<std::string>>{{"a1", "b1"}});

  // c1 lost in the second wave: a1 b1 a2 count, b2 was sent in the same
  // wave (B's earlier event was stored), no third wave.
  waves.clear();
  CHECK(PublishInWaves(batch, recording("c1")).value() == 3);
  CHECK(waves.size() == 2);
  CHECK(PublishInWaves(std::vector<OutboxRecord>{}, recording("")).value() == 0);
}

TEST_CASE("The acknowledged prefix of a batch ends at its first failure", "[events]") {
  using giia::MakeError;
  using giia::Ok;
  using giia::Status;
  const Status lost = MakeError(ErrorCode::kUnavailable, "no responders");
  CHECK(AcknowledgedPrefix(std::vector<Status>{}).value() == 0);
  CHECK(AcknowledgedPrefix(std::vector<Status>{Ok(), Ok(), Ok()}).value() == 3);
  // A later success does not count: the relay must keep the outbox order.
  CHECK(AcknowledgedPrefix(std::vector<Status>{Ok(), Ok(), lost, Ok()}).value() == 2);
  auto none = AcknowledgedPrefix(std::vector<Status>{lost, Ok()});
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::kUnavailable);
  CHECK(none.error().message == "no responders");
}

namespace {

// A DLQ in memory that fails the letters it is told to, at the step it is told to,
// and records how the replay called it.
struct FakeLetterStore final : DeadLetterStore {
  std::vector<StoredLetter> letters;
  std::set<std::uint64_t> fail_republish, fail_record, fail_remove;
  std::vector<std::size_t> republish_batches;  // the size of each Republish call
  std::vector<std::uint64_t> recorded, removed;

  Result<std::vector<StoredLetter>> List() override { return letters; }
  Result<std::optional<StoredLetter>> Get(std::uint64_t) override {
    return std::optional<StoredLetter>();
  }
  std::vector<giia::Status> Republish(std::span<const StoredLetter> batch) override {
    republish_batches.push_back(batch.size());
    return Answer(batch, fail_republish, nullptr);
  }
  std::vector<giia::Status> RecordReplays(std::span<const StoredLetter> batch,
                                          const std::string&) override {
    return Answer(batch, fail_record, &recorded);
  }
  std::vector<giia::Status> Remove(std::span<const std::uint64_t> sequences) override {
    std::vector<giia::Status> out;
    for (std::uint64_t seq : sequences) {
      if (fail_remove.count(seq) != 0) {
        out.push_back(giia::MakeError(ErrorCode::kNotFound, "gone"));
      } else {
        removed.push_back(seq);
        out.push_back(giia::Ok());
      }
    }
    return out;
  }

 private:
  static std::vector<giia::Status> Answer(std::span<const StoredLetter> batch,
                                          const std::set<std::uint64_t>& failing,
                                          std::vector<std::uint64_t>* done) {
    std::vector<giia::Status> out;
    for (const StoredLetter& l : batch) {
      if (failing.count(l.sequence) != 0) {
        out.push_back(giia::MakeError(ErrorCode::kUnavailable, "no responders"));
      } else {
        if (done != nullptr) done->push_back(l.sequence);
        out.push_back(giia::Ok());
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("A replay goes in batches and removes only what was republished and recorded",
          "[events][dlq]") {
  FakeLetterStore store;
  for (std::uint64_t seq = 1; seq <= 7; ++seq) {
    StoredLetter l;
    l.sequence = seq;
    l.letter.original_subject = "auth.user.registered";
    l.letter.replay_count = seq == 7 ? 3 : 0;  // 7 was replayed too often: quarantined
    store.letters.push_back(l);
  }
  store.fail_republish = {2};
  store.fail_record = {4};
  store.fail_remove = {5};
  ReplayOptions options;
  options.batch_size = 3;
  auto report = ReplayDeadLetters(store).Run(LetterFilter{}, options);
  REQUIRE(report);
  CHECK(store.republish_batches == std::vector<std::size_t>{3, 3});  // 1-3, 4-6
  CHECK(store.recorded == std::vector<std::uint64_t>{1, 3, 5, 6});   // not 2: never published
  CHECK(store.removed == std::vector<std::uint64_t>{1, 3, 6});       // not 4: not on record
  std::vector<std::uint64_t> replayed, failed;
  for (const auto& l : report->replayed) replayed.push_back(l.sequence);
  for (const auto& [l, e] : report->failed) failed.push_back(l.sequence);
  CHECK(replayed == std::vector<std::uint64_t>{1, 3, 6});
  CHECK(failed == std::vector<std::uint64_t>{2, 4, 5});
  REQUIRE(report->quarantined.size() == 1);
  CHECK(report->quarantined[0].sequence == 7);
}

TEST_CASE("A paced replay republishes one letter per pace", "[events][dlq]") {
  FakeLetterStore store;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    StoredLetter l;
    l.sequence = seq;
    l.letter.original_subject = "catalog.product.created";
    store.letters.push_back(l);
  }
  int paces = 0;
  ReplayOptions options;
  options.pace = [&] { ++paces; };
  auto report = ReplayDeadLetters(store).Run(LetterFilter{}, options);
  REQUIRE(report);
  CHECK(paces == 3);
  CHECK(store.republish_batches == std::vector<std::size_t>{1, 1, 1});
  CHECK(report->replayed.size() == 3);
}

TEST_CASE("A replay goes only to subjects of the service's own streams", "[events][dlq]") {
  using giia::events::CheckReplaySubject;
  using giia::events::kReplayableSubjects;
  for (const char* ok : {"auth.user.registered", "catalog.product.created", "auth.x"}) {
    INFO(ok);
    CHECK(CheckReplaySubject(ok, kReplayableSubjects));
  }
  for (const char* bad :
       {"$JS.API.STREAM.DELETE.AUTH_EVENTS", "dlq.x", "dlq.mailer.auth.user.registered", "auth",
        "auth.", "auth.>", "auth.*", "auth..x", ".auth.x", "authx.y", "catalogue.x", "",
        "auth.user registered", "auth.user\r\nX-Evil: 1", "other.thing"}) {
    INFO(bad);
    auto r = CheckReplaySubject(bad, kReplayableSubjects);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kFailedPrecondition);
    CHECK(r.error().message.find('\n') == std::string::npos);  // escaped
  }
  CHECK(CheckReplaySubject("$JS.API.STREAM.DELETE.X", kReplayableSubjects)
            .error()
            .message.find("auth.>, catalog.>") != std::string::npos);
}

TEST_CASE("A header value with CR, LF or NUL is refused", "[events][dlq]") {
  using giia::events::CheckHeaderValue;
  CHECK(CheckHeaderValue("by", "ann@host"));
  CHECK(CheckHeaderValue("by", ""));
  for (std::string bad : {std::string("a\rb"), std::string("a\nb"), std::string("a\0b", 3),
                          std::string("x\r\nGiia-Replay-Count: 0")}) {
    auto r = CheckHeaderValue("by", bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("by") == 0);
    CHECK(r.error().message.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
  }
}

TEST_CASE("A forged dead letter is refused and stays, the others are replayed", "[events][dlq]") {
  FakeLetterStore store;
  const std::vector<std::pair<std::string, std::string>> letters = {
      {"auth.user.registered", "evt-1"},
      {"$JS.API.STREAM.DELETE.AUTH_EVENTS", "evt-2"},
      {"dlq.mailer.auth.user.registered", "evt-3"},
      {"auth.user.registered", "evt-4\r\nNats-Msg-Id: x"},
  };
  for (std::size_t i = 0; i < letters.size(); ++i) {
    StoredLetter l;
    l.sequence = i + 1;
    l.letter.original_subject = letters[i].first;
    l.letter.event_id = letters[i].second;
    store.letters.push_back(l);
  }
  for (bool dry_run : {true, false}) {
    ReplayOptions options;
    options.dry_run = dry_run;
    auto report = ReplayDeadLetters(store).Run(LetterFilter{}, options);
    REQUIRE(report);
    std::vector<std::uint64_t> replayed, failed;
    for (const auto& l : report->replayed) replayed.push_back(l.sequence);
    for (const auto& [l, e] : report->failed) failed.push_back(l.sequence);
    CHECK(replayed == std::vector<std::uint64_t>{1});
    CHECK(failed == std::vector<std::uint64_t>{2, 3, 4});
  }
  CHECK(store.republish_batches == std::vector<std::size_t>{1});  // only letter 1, ever
  CHECK(store.removed == std::vector<std::uint64_t>{1});
  ReplayOptions bad_by;
  bad_by.by = "eve\r\nGiia-Replay-Count: 0";
  auto refused = ReplayDeadLetters(store).Run(LetterFilter{}, bad_by);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == "by");
}

TEST_CASE("dlq inspect's payload printing survives a 100,000-deep document", "[events][dlq]") {
  using giia::codec::JsonDepth;
  using giia::codec::PrettyJson;
  CHECK(JsonDepth("1") == 0);
  CHECK(JsonDepth(R"({"a":[1,{"b":"[[[{"}]]})") == 3);  // brackets in strings do not count
  CHECK(JsonDepth(R"(["\"[[", []])") == 2);
  CHECK(PrettyJson(R"({"a":1})") == "{\n  \"a\": 1\n}");

  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string shown = PrettyJson(deep);  // no crash, no stack overflow
  CHECK(shown == "\"" + deep + "\"");          // raw, as one string
  const std::string limit = std::string(128, '[') + std::string(128, ']');
  CHECK(PrettyJson(limit).find('\n') != std::string::npos);  // still pretty at the bound
  const std::string over = std::string(129, '[') + std::string(129, ']');
  CHECK(PrettyJson(over) == "\"" + over + "\"");
  // Not JSON: raw, escaped (no terminal escape, no line break gets through).
  CHECK(PrettyJson("not json\x1b[2J\nnext") == R"("not json\u001b[2J\nnext")");
}
