// Consumers against a real nats-server (and PostgreSQL for idempotency):
// retries with visible backoff, dead letters with every header, no loss.
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <thread>

#include "adapters/codec/cloudevents.hpp"
#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "adapters/postgres/outbox.hpp"
#include "server/workers/event_consumer.hpp"
#include "support/counter.hpp"
#include "support/events_world.hpp"
#include "support/nats_server.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::NatsServer;
using giia::testing::ReadStream;
using giia::testing::Scalar;
using giia::testing::TestDatabase;
using Clock = std::chrono::steady_clock;

namespace {

struct World : giia::testing::EventsWorld {
  std::unique_ptr<nats::PullConsumer> Consumer(const std::string& name) {
    nats::ConsumerSpec spec{"AUTH_EVENTS", name, "auth.role.revoked", std::chrono::seconds(30)};
    return std::move(nats::PullConsumer::Create(*js, spec).value());
  }
};

events::Event Revoked(int n) {
  events::Event e;
  e.id = "00000000-0000-4000-8000-00000000000" + std::to_string(n);
  e.service = "auth";
  e.type = "role.revoked";
  e.aggregate_type = "user";
  e.aggregate_id = "u-1";
  e.organization_id = "22222222-2222-4222-8222-222222222222";
  e.time = "2026-11-22T10:00:00Z";
  e.data = {{"user_id", std::string("u-1")},
            {"role", std::string("Viewer")},
            {"organization_id", e.organization_id}};
  return e;
}

void Publish(nats::JetStream& js, const events::Event& e) {
  REQUIRE(js.Publish(e.Subject(), e.id, codec::EncodeCloudEvent(e)));
}

struct ScriptedHandler final : events::EventHandler {
  int fail_first = 0;  // fail this many calls, then succeed
  bool always_fail = false;
  std::vector<Clock::time_point> calls;
  giia::testing::EventCounter handled;  // bumped after every call
  Status Handle(const events::Event&) override {
    calls.push_back(Clock::now());
    const bool fail = always_fail || static_cast<int>(calls.size()) <= fail_first;
    handled.Bump();
    if (fail) return MakeError(ErrorCode::kUnavailable, "mail server refused");
    return Ok();
  }
};

// Fetches and processes until `done` holds or the deadline passes.
template <typename Done>
std::vector<events::Outcome> Run(events::MessageSource& source, events::EventConsumer& consumer,
                                 Done done) {
  std::vector<events::Outcome> outcomes;
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (!done()) {
    REQUIRE(Clock::now() < deadline);
    auto batch = source.Fetch(1, std::chrono::milliseconds(200));
    REQUIRE(batch);
    for (auto& m : *batch) outcomes.push_back(consumer.Process(*m).value());
  }
  return outcomes;
}

events::RetryPolicy Fast() {
  events::RetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(300);
  return p;
}

}  // namespace

TEST_CASE("A handler that fails twice then succeeds is acknowledged on the third attempt",
          "[events][nats]") {
  World w;
  auto source = w.Consumer("mailer");
  pg::PgProcessedEvents processed(*w.pool, pg::OutboxSchema::kAuth);
  nats::JetStreamDeadLetterQueue dlq(*w.js);
  ScriptedHandler handler;
  handler.fail_first = 2;
  events::EventConsumer consumer("mailer", handler, processed, dlq, nullptr, Fast());
  const auto event = Revoked(1);
  Publish(*w.js, event);
  auto outcomes = Run(*source, consumer, [&] { return consumer.counters().acked == 1; });
  CHECK(outcomes == std::vector<events::Outcome>{events::Outcome::kRetrying,
                                                 events::Outcome::kRetrying,
                                                 events::Outcome::kAcked});
  REQUIRE(handler.calls.size() == 3);
  // NakWithDelay: 300 ms, then 600 ms between the attempts.
  CHECK(handler.calls[1] - handler.calls[0] >= std::chrono::milliseconds(290));
  CHECK(handler.calls[2] - handler.calls[1] >= std::chrono::milliseconds(590));
  CHECK(Scalar(w.db.sql(), "SELECT count(*) FROM auth.processed_events WHERE event_id = '" +
                               event.id + "'") == "1");
  CHECK(ReadStream(w.nats.url(), "DLQ_EVENTS").empty());
}

TEST_CASE("A handler that always fails lands in DLQ_EVENTS with every header after 3 attempts",
          "[events][nats]") {
  World w;
  auto source = w.Consumer("mailer");
  pg::PgProcessedEvents processed(*w.pool, pg::OutboxSchema::kAuth);
  nats::JetStreamDeadLetterQueue dlq(*w.js);
  ScriptedHandler handler;
  handler.always_fail = true;
  spdlog::logger log("test");
  server::LogDeadLetterAlert alert(log);
  events::EventConsumer consumer("mailer", handler, processed, dlq, &alert, Fast());
  const auto event = Revoked(2);
  Publish(*w.js, event);
  Run(*source, consumer, [&] { return consumer.counters().dead_lettered == 1; });
  CHECK(handler.calls.size() == 3);
  auto letters = ReadStream(w.nats.url(), "DLQ_EVENTS");
  REQUIRE(letters.size() == 1);
  auto& h = letters[0].headers;
  CHECK(letters[0].subject == "dlq.mailer.auth.role.revoked");
  CHECK(h["Giia-Original-Subject"] == "auth.role.revoked");
  CHECK(h["Giia-Original-Stream"] == "AUTH_EVENTS");
  CHECK(h["Giia-Original-Sequence"] == "1");
  CHECK(h["Giia-Consumer"] == "mailer");
  CHECK(h["Giia-Attempts"] == "3");
  CHECK(h["Giia-Last-Error"] == "mail server refused");
  CHECK(h["Giia-Event-Type"] == "role.revoked");
  CHECK(h["Giia-Organization"] == event.organization_id);
  CHECK_THAT(h["Giia-Failed-At"], Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"));
  CHECK(letters[0].data == codec::EncodeCloudEvent(event));
  // The original was terminated: it does not come back.
  auto more = source->Fetch(1, std::chrono::milliseconds(1500));
  REQUIRE(more);
  CHECK(more->empty());
}

TEST_CASE("A payload that is not an event is dead-lettered at once", "[events][nats]") {
  World w;
  auto source = w.Consumer("mailer");
  pg::PgProcessedEvents processed(*w.pool, pg::OutboxSchema::kAuth);
  nats::JetStreamDeadLetterQueue dlq(*w.js);
  ScriptedHandler handler;
  events::EventConsumer consumer("mailer", handler, processed, dlq, nullptr, Fast());
  REQUIRE(w.js->Publish("auth.role.revoked", "garbage-1", "this is not json"));
  Run(*source, consumer, [&] { return consumer.counters().dead_lettered == 1; });
  CHECK(handler.calls.empty());
  auto letters = ReadStream(w.nats.url(), "DLQ_EVENTS");
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].headers["Giia-Attempts"] == "1");
  CHECK_THAT(letters[0].headers["Giia-Last-Error"], Catch::StartsWith("undecodable"));
}

TEST_CASE("The consumer worker processes in the background and stops cleanly", "[events][nats]") {
  World w;
  auto source = w.Consumer("mailer");
  pg::PgProcessedEvents processed(*w.pool, pg::OutboxSchema::kAuth);
  nats::JetStreamDeadLetterQueue dlq(*w.js);
  ScriptedHandler handler;
  events::EventConsumer consumer("mailer", handler, processed, dlq, nullptr, Fast());
  spdlog::logger log("test");
  server::EventConsumerWorker worker(*source, consumer, {}, log);
  worker.Start();
  for (int i = 3; i <= 5; ++i) Publish(*w.js, Revoked(i));
  REQUIRE(handler.handled.WaitFor(3, std::chrono::seconds(10)));
  worker.Stop();  // finishes the message in hand: the third is acknowledged too
  CHECK(handler.calls.size() == 3);
  CHECK(consumer.counters().acked == 3);
}
