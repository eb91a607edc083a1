// `giia dlq` end to end: dead letters made by a real consumer, then listed,
// inspected, replayed to a consumer that now succeeds, guarded, and purged.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/codec/cloudevents.hpp"
#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "adapters/postgres/outbox.hpp"
#include "core/events/dlq.hpp"
#include "support/events_world.hpp"
#include "support/nats_server.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::NatsServer;
using giia::testing::ReadStream;
using giia::testing::RunGiia;
using giia::testing::TestDatabase;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Switchable final : events::EventHandler {
  bool fail = true;
  int handled = 0;
  Status Handle(const events::Event&) override {
    if (fail) return MakeError(ErrorCode::kUnavailable, "mail server refused");
    ++handled;
    return Ok();
  }
};

struct World : giia::testing::EventsWorld {
  std::unique_ptr<nats::PullConsumer> source;
  std::unique_ptr<pg::PgProcessedEvents> processed;
  std::unique_ptr<nats::JetStreamDeadLetterQueue> dlq;
  Switchable handler;
  std::unique_ptr<events::EventConsumer> consumer;

  World() {
    // A short ack wait: a delivery lost in transit (a pull request that
    // expired while the message was on its way) comes again within Consume's
    // deadline instead of after 30 s.
    source = std::move(nats::PullConsumer::Create(
                           *js, {"AUTH_EVENTS", "mailer", "auth.>", std::chrono::seconds(3)})
                           .value());
    processed = std::make_unique<pg::PgProcessedEvents>(*pool, pg::OutboxSchema::kAuth);
    dlq = std::make_unique<nats::JetStreamDeadLetterQueue>(*js);
    events::RetryPolicy fast;
    fast.initial_backoff = std::chrono::milliseconds(50);
    consumer =
        std::make_unique<events::EventConsumer>("mailer", handler, *processed, *dlq, nullptr, fast);
  }

  void Publish(const std::string& type, int n) {
    events::Event e;
    e.id = "00000000-0000-4000-8000-0000000000" + std::to_string(10 + n);
    e.service = "auth";
    e.type = type;
    e.aggregate_type = "user";
    e.aggregate_id = "u-" + std::to_string(n);
    e.organization_id = "33333333-3333-4333-8333-333333333333";
    e.time = "2026-11-22T10:00:00Z";
    e.data = {{"user_id", e.aggregate_id},
              {"role", std::string("Viewer")},
              {"organization_id", e.organization_id}};
    REQUIRE(js->Publish(e.Subject(), e.id, codec::EncodeCloudEvent(e)));
  }

  // Runs the consumer until `done` holds; a failure names what Process said.
  template <typename Done>
  void Consume(Done done) {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    std::string errors;
    while (!done()) {
      INFO("Process errors: " << errors);
      REQUIRE(Clock::now() < deadline);
      auto batch = source->Fetch(4, std::chrono::milliseconds(200));
      REQUIRE(batch);
      for (auto& m : *batch) {
        if (auto outcome = consumer->Process(*m); !outcome)
          errors += outcome.error().message + "; ";
      }
    }
  }

  testing::ProcessEnv Env() const { return {{"NATS_URL", nats.url()}, {"LOG_FORMAT", "json"}}; }
};

}  // namespace

TEST_CASE("giia dlq: list, inspect, replay to a consumer that now succeeds, purge", "[dlq]") {
  World w;
  w.Publish("role.assigned", 1);
  w.Publish("role.revoked", 2);
  w.Consume([&] { return w.consumer->counters().dead_lettered >= 2; });

  // list, twice: looking consumes nothing.
  for (int round = 0; round < 2; ++round) {
    auto list = RunGiia({"dlq", "list", "--output", "json"}, w.Env());
    INFO(list.err);
    REQUIRE(list.exit_code == 0);
    auto j = json::parse(list.out);
    REQUIRE(j["total"] == 2);
    CHECK(j["messages"][0]["subject"] == "auth.role.assigned");
    CHECK(j["messages"][0]["consumer"] == "mailer");
    CHECK(j["messages"][0]["attempts"] == 3);
    CHECK(j["summary"]["by_error"]["mail server refused"] == 2);
    CHECK(j["summary"]["by_subject"]["auth.role.revoked"] == 1);
  }
  auto filtered = RunGiia({"dlq", "list", "--type", "role.revoked", "--since", "1h"}, w.Env());
  REQUIRE(filtered.exit_code == 0);
  CHECK_THAT(filtered.out, Catch::Contains("auth.role.revoked") &&
                               !Catch::Contains("auth.role.assigned") &&
                               Catch::Contains("1 dead letter(s)") && Catch::Contains("by error:"));

  const std::uint64_t first = ReadStream(w.nats.url(), "DLQ_EVENTS")[0].sequence;
  auto inspect = RunGiia({"dlq", "inspect", std::to_string(first)}, w.Env());
  REQUIRE(inspect.exit_code == 0);
  CHECK_THAT(inspect.out, Catch::Contains("Giia-Last-Error: mail server refused") &&
                              Catch::Contains("\"type\": \"role.assigned\""));
  CHECK(RunGiia({"dlq", "inspect", "999"}, w.Env()).exit_code == 3);

  auto dry = RunGiia({"dlq", "replay", "--all", "--dry-run"}, w.Env());
  REQUIRE(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::Contains("would replay"));
  CHECK(ReadStream(w.nats.url(), "DLQ_EVENTS").size() == 2);  // unchanged

  w.handler.fail = false;  // the cause is fixed
  auto replay = RunGiia({"dlq", "replay", "--all", "--rate", "100/s"}, w.Env());
  INFO(replay.err);
  REQUIRE(replay.exit_code == 0);
  CHECK_THAT(replay.out, Catch::Contains("replayed") && Catch::Contains("to auth.role.assigned"));
  CHECK_THAT(replay.err, Catch::Contains("audit: dlq replay"));
  w.Consume([&] { return w.handler.handled >= 2; });
  auto after = RunGiia({"dlq", "list", "--output", "json"}, w.Env());
  REQUIRE(after.exit_code == 0);
  CHECK(json::parse(after.out)["total"] == 0);
  // The replays are on record in the DLQ stream.
  auto records = ReadStream(w.nats.url(), "DLQ_EVENTS");
  REQUIRE(records.size() == 2);
  CHECK(records[0].subject == "dlq.replayed");

  // purge: refused without --yes, then done.
  w.handler.fail = true;
  w.Publish("role.assigned", 3);
  w.Consume([&] { return w.consumer->counters().dead_lettered >= 3; });
  CHECK(RunGiia({"dlq", "purge", "--all"}, w.Env()).exit_code == 1);
  auto purge = RunGiia({"dlq", "purge", "--all", "--yes"}, w.Env());
  REQUIRE(purge.exit_code == 0);
  CHECK(json::parse(RunGiia({"dlq", "list", "--output", "json"}, w.Env()).out)["total"] == 0);
}

TEST_CASE("giia dlq replay leaves a message that keeps failing in place (loop guard)", "[dlq]") {
  World w;
  w.Publish("role.assigned", 4);
  w.Consume([&] { return w.consumer->counters().dead_lettered >= 1; });
  // Replay once; it fails again and comes back with replay count 1.
  REQUIRE(RunGiia({"dlq", "replay", "--all"}, w.Env()).exit_code == 0);
  w.Consume([&] { return w.consumer->counters().dead_lettered >= 2; });
  auto listed = json::parse(RunGiia({"dlq", "list", "--output", "json"}, w.Env()).out);
  REQUIRE(listed["total"] == 1);
  CHECK(listed["messages"][0]["replay_count"] == 1);
  auto guarded = RunGiia({"dlq", "replay", "--all", "--max-replays", "1"}, w.Env());
  REQUIRE(guarded.exit_code == 0);
  CHECK_THAT(guarded.out, Catch::Contains("quarantined"));
  CHECK(json::parse(RunGiia({"dlq", "list", "--output", "json"}, w.Env()).out)["total"] == 1);
}

TEST_CASE("giia dlq with NATS unreachable exits 2, bad input exits 1", "[dlq]") {
  NatsServer server;
  const std::string url = server.url();
  server.Stop();
  auto down = RunGiia({"dlq", "list"}, {{"NATS_URL", url}});
  CHECK(down.exit_code == 2);
  CHECK_THAT(down.err, Catch::Contains("NATS_URL (environment)"));
  CHECK(RunGiia({"dlq", "replay"}, {{"NATS_URL", url}}).exit_code == 1);
  CHECK(RunGiia({"dlq", "list", "--since", "yesterday"}, {{"NATS_URL", url}}).exit_code == 1);
  CHECK(RunGiia({"dlq", "replay", "--all", "--rate", "fast"}, {{"NATS_URL", url}}).exit_code == 1);
}

TEST_CASE("giia dlq replay refuses a forged dead letter aimed at the broker's API or the DLQ",
          "[dlq]") {
  giia::testing::EventsWorld w;
  // Whoever can write to DLQ_EVENTS writes the original-subject header.
  const std::vector<std::string> subjects = {
      "auth.user.registered", "$JS.API.STREAM.DELETE.AUTH_EVENTS", "dlq.mailer.auth.x"};
  std::vector<nats::OutgoingMessage> letters;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    letters.push_back({events::DeadLetterSubject("mailer", "auth.user.registered"),
                       "dlq:mailer:AUTH_EVENTS:" + std::to_string(i + 1),
                       "{}",
                       {{nats::header::kOriginalSubject, subjects[i]},
                        {nats::header::kConsumer, "mailer"},
                        {nats::header::kEventId, "evt-" + std::to_string(i)},
                        {nats::header::kReplayCount, "0"}}});
  }
  for (const Status& ok : w.js->PublishAll(letters)) REQUIRE(ok);
  const testing::ProcessEnv env = {{"NATS_URL", w.nats.url()}, {"LOG_FORMAT", "json"}};

  auto replay = RunGiia({"dlq", "replay", "--all"}, env);
  INFO(replay.out << replay.err);
  CHECK(replay.exit_code != 0);
  CHECK_THAT(replay.out,
             Catch::Contains("replayed 1 to auth.user.registered") &&
                 Catch::Contains("$JS.API.STREAM.DELETE.AUTH_EVENTS\" is not a subject of the "
                                 "service's streams (auth.>, catalog.>)") &&
                 Catch::Contains("dlq.mailer.auth.x\" is not a subject"));
  CHECK_THAT(replay.err, Catch::Contains("2 message(s) could not be replayed"));
  // The stream is still there, with the one good replay; the forged letters stay.
  CHECK(testing::StreamMaxAgeSeconds(w.nats.url(), "AUTH_EVENTS") > 0);
  CHECK(ReadStream(w.nats.url(), "AUTH_EVENTS").size() == 1);
  auto left = json::parse(RunGiia({"dlq", "list", "--output", "json"}, env).out);
  REQUIRE(left["total"] == 2);
  CHECK(left["messages"][0]["subject"] == subjects[1]);
  CHECK(left["messages"][1]["subject"] == subjects[2]);
}

TEST_CASE("giia dlq inspect shows a 400,000-deep payload raw instead of crashing", "[dlq]") {
  giia::testing::EventsWorld w;
  // As deep as a NATS message (1 MB at most) allows.
  const std::string deep = std::string(400000, '[') + std::string(400000, ']');
  std::vector<nats::OutgoingMessage> letter = {
      {events::DeadLetterSubject("mailer", "auth.user.registered"),
       "dlq:mailer:AUTH_EVENTS:1",
       deep,
       {{nats::header::kOriginalSubject, "auth.user.registered"},
        {nats::header::kConsumer, "mailer"}}}};
  for (const Status& ok : w.js->PublishAll(letter)) REQUIRE(ok);
  const std::string seq = std::to_string(ReadStream(w.nats.url(), "DLQ_EVENTS").at(0).sequence);
  const testing::ProcessEnv env = {{"NATS_URL", w.nats.url()}, {"LOG_FORMAT", "json"}};

  auto text = RunGiia({"dlq", "inspect", seq}, env);
  INFO(text.err);
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("payload:\n\"[[[[") && Catch::Contains("]]]]\"\n"));
  auto as_json = RunGiia({"dlq", "inspect", seq, "--output", "json"}, env);
  INFO(as_json.err);
  REQUIRE(as_json.exit_code == 0);
  CHECK(json::parse(as_json.out)["payload"] == deep);  // as a string
}
