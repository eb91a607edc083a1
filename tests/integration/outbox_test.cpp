// The outbox and its relay against real PostgreSQL and a real nats-server of
// each test's own: nothing lost, nothing doubled, order kept per aggregate.
#include "adapters/postgres/outbox.hpp"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/account_store.hpp"
#include "adapters/postgres/auth_store.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "server/workers/outbox_relay.hpp"
#include "support/counter.hpp"
#include "support/events_world.hpp"
#include "support/nats_server.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::NatsServer;
using giia::testing::ReadStream;
using giia::testing::Scalar;
using giia::testing::TestDatabase;

namespace {

// The shared events world, plus writing to and counting the outbox.
struct World : giia::testing::EventsWorld {
  // Appends `events` in one transaction; `commit` false rolls it back.
  void Write(const std::vector<events::Event>& events, bool commit = true) {
    pg::PgAuthStore store(*pool);
    auto r = store.Run([&](auth::AuthTx& tx) -> Status {
      for (const auto& e : events) {
        if (auto ok = tx.outbox().Append(e); !ok) return ok;
      }
      if (!commit) return MakeError(ErrorCode::kAborted, "rolled back on purpose");
      return Ok();
    });
    REQUIRE(r.has_value() == commit);
  }

  std::int64_t Pending() {
    pg::PgOutboxSource source(*pool, pg::OutboxSchema::kAuth);
    return source.Pending().value().pending;
  }
};

int counter = 0;

// role.assigned for user `aggregate`; `index` rides in assigned_by to check order.
events::Event RoleAssigned(const std::string& aggregate, int index) {
  events::Event e;
  char id[37];
  std::snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", ++counter);
  e.id = id;
  e.service = "auth";
  e.type = "role.assigned";
  e.aggregate_type = "user";
  e.aggregate_id = aggregate;
  e.organization_id = "11111111-1111-4111-8111-111111111111";
  e.time = "2026-11-22T10:00:00Z";
  e.data = {{"user_id", aggregate},
            {"role", std::string("Viewer")},
            {"organization_id", e.organization_id},
            {"assigned_by", std::int64_t{index}}};
  return e;
}

// Relays until the outbox is empty (or the deadline passes).
void Drain(World& w, events::EventPublisher& publisher) {
  pg::PgOutboxSource source(*w.pool, pg::OutboxSchema::kAuth);
  events::RelayOutbox relay(source, publisher);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (w.Pending() > 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    REQUIRE(relay.Step(50));
  }
}

// Publishes, then fails as if the process died before marking anything sent.
struct CrashAfterPublish final : events::EventPublisher {
  events::EventPublisher& real;
  explicit CrashAfterPublish(events::EventPublisher& r) : real(r) {}
  Result<std::size_t> Publish(std::span<const events::OutboxRecord> records) override {
    REQUIRE(real.Publish(records).value() == records.size());
    return MakeError(ErrorCode::kUnavailable, "killed between publish and mark");
  }
};

}  // namespace

TEST_CASE("A rolled-back event is never published, a committed one exactly once",
          "[events][nats]") {
  World w;
  const events::Event lost = RoleAssigned("u-1", 1);
  const events::Event kept = RoleAssigned("u-1", 2);
  w.Write({lost}, false);
  w.Write({kept});
  CHECK(w.Pending() == 1);
  nats::JetStreamPublisher publisher(*w.js);
  Drain(w, publisher);
  Drain(w, publisher);  // nothing left: nothing more
  auto stored = ReadStream(w.nats.url(), "AUTH_EVENTS");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].subject == "auth.role.assigned");
  CHECK(stored[0].headers["Nats-Msg-Id"] == kept.id);
  CHECK(stored[0].headers["Content-Type"] == "application/cloudevents+json");
  auto ce = nlohmann::json::parse(stored[0].data);
  CHECK(ce["id"] == kept.id);
  CHECK(ce["type"] == "role.assigned");
  CHECK(ce["organizationid"] == kept.organization_id);
  CHECK(Scalar(w.db.sql(), "SELECT count(*) FROM auth.outbox WHERE published_at IS NOT NULL") ==
        "1");
}

TEST_CASE("Killed between publish and mark, the event is still stored once", "[events][nats]") {
  World w;
  w.Write({RoleAssigned("u-1", 1), RoleAssigned("u-1", 2)});
  nats::JetStreamPublisher publisher(*w.js);
  CrashAfterPublish crashing(publisher);
  pg::PgOutboxSource source(*w.pool, pg::OutboxSchema::kAuth);
  auto crashed = events::RelayOutbox(source, crashing).Step(10);
  REQUIRE(crashed);
  CHECK(crashed->sent == 0);
  CHECK(w.Pending() == 2);  // not marked: will be published again
  CHECK(Scalar(w.db.sql(), "SELECT max(attempts) FROM auth.outbox") == "1");
  Drain(w, publisher);
  CHECK(ReadStream(w.nats.url(), "AUTH_EVENTS").size() == 2);  // JetStream dropped the repeats
}

TEST_CASE("Two relays at once lose nothing, double nothing, and keep each aggregate's order",
          "[events][nats]") {
  World w;
  constexpr int kAggregates = 5;
  constexpr int kPerAggregate = 30;
  std::vector<events::Event> batch;
  for (int i = 0; i < kPerAggregate; ++i) {
    for (int a = 0; a < kAggregates; ++a)
      batch.push_back(RoleAssigned("u-" + std::to_string(a), i));
    if (batch.size() >= 25) {
      w.Write(batch);
      batch.clear();
    }
  }
  w.Write(batch);
  auto relay_thread = [&] {
    auto pool = w.db.MakePool(2);
    auto js = w.Connect();
    nats::JetStreamPublisher publisher(*js);
    pg::PgOutboxSource source(*pool, pg::OutboxSchema::kAuth);
    events::RelayOutbox relay(source, publisher);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (source.Pending().value().pending > 0 && std::chrono::steady_clock::now() < deadline) {
      (void)relay.Step(7);
    }
  };
  std::thread one(relay_thread);
  std::thread two(relay_thread);
  one.join();
  two.join();
  CHECK(w.Pending() == 0);
  auto stored = ReadStream(w.nats.url(), "AUTH_EVENTS");
  REQUIRE(stored.size() == kAggregates * kPerAggregate);
  std::map<std::string, std::int64_t> last;
  std::set<std::string> ids;
  for (const auto& m : stored) {
    auto ce = nlohmann::json::parse(m.data);
    ids.insert(ce["id"].get<std::string>());
    const std::string aggregate = ce["data"]["user_id"];
    const std::int64_t index = ce["data"]["assigned_by"];
    if (last.count(aggregate) != 0) CHECK(index == last[aggregate] + 1);
    last[aggregate] = index;
  }
  CHECK(ids.size() == stored.size());
}

TEST_CASE("A batch published at once reports each message, and the relay its acknowledged prefix",
          "[events][nats]") {
  World w;
  // The third subject is in no stream: JetStream's "no responders" for that
  // message alone, while the messages around it are stored.
  const std::vector<std::string> subjects = {"auth.role.assigned", "auth.role.assigned",
                                             "nowhere.role.assigned", "auth.role.assigned"};
  std::vector<nats::OutgoingMessage> messages;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    messages.push_back({subjects[i], "batch-" + std::to_string(i), "{}", {}});
  }
  auto results = w.js->PublishAll(messages);
  REQUIRE(results.size() == 4);
  CHECK(results[0]);
  CHECK(results[1]);
  REQUIRE_FALSE(results[2]);
  CHECK(results[2].error().code == ErrorCode::kUnavailable);
  CHECK_THAT(results[2].error().message, Catch::Contains("nowhere.role.assigned"));
  CHECK(results[3]);
  // Published again: duplicates of stored ids count as acknowledged.
  auto again = w.js->PublishAll(std::span(messages).first(2));
  REQUIRE(again.size() == 2);
  CHECK(again[0]);
  CHECK(again[1]);
  auto stored = ReadStream(w.nats.url(), "AUTH_EVENTS");
  REQUIRE(stored.size() == 3);
  CHECK(stored[2].headers["Nats-Msg-Id"] == "batch-3");

  // Through the relay's publisher: the prefix before the failure, in order.
  nats::JetStreamPublisher publisher(*w.js);
  std::vector<events::OutboxRecord> records;
  for (std::int64_t i = 0; i < 4; ++i) {
    records.push_back(
        {i + 1, "relay-" + std::to_string(i), subjects[static_cast<std::size_t>(i)], "{}", "u-1"});
  }
  CHECK(publisher.Publish(records).value() == 2);
  auto none = publisher.Publish(std::span(records).subspan(2));
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::kUnavailable);
  CHECK(publisher.Publish(std::span(records).subspan(3)).value() == 1);
}

TEST_CASE("A large batch is published in order, each message once", "[events][nats]") {
  World w;
  std::vector<events::Event> written;
  for (int i = 0; i < 1500; ++i) written.push_back(RoleAssigned("u-" + std::to_string(i % 7), i));
  w.Write(written);
  nats::JetStreamPublisher publisher(*w.js);
  pg::PgOutboxSource source(*w.pool, pg::OutboxSchema::kAuth);
  auto batch = events::RelayOutbox(source, publisher).Step(1000);
  REQUIRE(batch);
  CHECK(batch->read == 1000);
  CHECK(batch->sent == 1000);
  CHECK_FALSE(batch->error);
  Drain(w, publisher);
  auto stored = ReadStream(w.nats.url(), "AUTH_EVENTS");
  REQUIRE(stored.size() == written.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    REQUIRE(stored[i].headers["Nats-Msg-Id"] == written[i].id);
  }
}

TEST_CASE("A batch while NATS is down is unavailable and sends nothing", "[events][nats]") {
  World w;
  auto js = w.Connect(true);
  w.nats.Stop();
  std::vector<nats::OutgoingMessage> messages = {{"auth.role.assigned", "down-1", "{}", {}},
                                                 {"auth.role.assigned", "down-2", "{}", {}}};
  const auto results = js->PublishAll(messages);
  REQUIRE(results.size() == 2);
  for (const Status& r : results) {
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kUnavailable);
  }
  CHECK(js->DeleteAll("AUTH_EVENTS", std::vector<std::uint64_t>{1})[0].error().code ==
        ErrorCode::kUnavailable);
}

TEST_CASE("With NATS stopped, writes succeed and every event arrives once it is back",
          "[events][nats]") {
  World w;
  auto js = w.Connect(true);
  nats::JetStreamPublisher publisher(*js);
  w.nats.Stop();
  std::vector<events::Event> written;
  for (int i = 0; i < 10; ++i) written.push_back(RoleAssigned("u-9", i));
  w.Write(written);
  pg::PgOutboxSource source(*w.pool, pg::OutboxSchema::kAuth);
  events::RelayOutbox relay(source, publisher);
  auto down = relay.Step(50);
  REQUIRE(down);
  REQUIRE(down->error);
  CHECK(down->error->code == ErrorCode::kUnavailable);
  CHECK(w.Pending() == 10);
  {
    auto backlog = source.Pending();
    REQUIRE(backlog);
    CHECK(backlog->pending == 10);
    CHECK(backlog->oldest_age_seconds >= 0.0);
    CHECK(backlog->oldest_age_seconds < 60.0);
  }
  // Why it failed is kept on the row. nats.c's words depend on when it
  // noticed the lost connection: before the publish ("not connected"), while
  // writing ("IO Error"), or not at all, the bytes gone into the socket and
  // no acknowledgement coming back ("no acknowledgement").
  CHECK_THAT(Scalar(w.db.sql(), "SELECT last_error FROM auth.outbox ORDER BY seq LIMIT 1"),
             Catch::Contains("not connected") || Catch::Contains("IO Error") ||
                 Catch::Contains("no acknowledgement"));

  w.nats.Start();
  REQUIRE(js->WaitUntilConnected(std::chrono::seconds(15)));  // nats.c reconnects on its own
  Drain(w, publisher);
  auto stored = ReadStream(w.nats.url(), "AUTH_EVENTS");
  REQUIRE(stored.size() == 10);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    CHECK(stored[i].headers["Nats-Msg-Id"] == written[i].id);
  }
}

namespace {

// Counts the relay's waits and publishes, so the test can wait for them.
struct CountingSignal final : events::OutboxSignal {
  events::OutboxSignal& inner;
  giia::testing::EventCounter waits;
  giia::testing::EventCounter notifies;
  explicit CountingSignal(events::OutboxSignal& s) : inner(s) {}
  void Wait(std::chrono::milliseconds timeout) override {
    waits.Bump();
    inner.Wait(timeout);
  }
  void Notify() override {
    notifies.Bump();
    inner.Notify();
  }
  void Interrupt() override { inner.Interrupt(); }
};

struct CountingPublisher final : events::EventPublisher {
  events::EventPublisher& inner;
  giia::testing::EventCounter published;
  explicit CountingPublisher(events::EventPublisher& p) : inner(p) {}
  Result<std::size_t> Publish(std::span<const events::OutboxRecord> records) override {
    auto r = inner.Publish(records);
    if (r && *r > 0) published.Bump();
    return r;
  }
};

}  // namespace

TEST_CASE("The relay worker is woken by the store that committed events, not by its poll",
          "[events][nats]") {
  World w;
  nats::JetStreamPublisher real(*w.js);
  CountingPublisher publisher(real);
  pg::PgOutboxSource source(*w.pool, pg::OutboxSchema::kAuth);
  events::LocalOutboxSignal wake;
  CountingSignal signal(wake);
  server::OutboxRelayOptions options;
  options.idle_poll = std::chrono::minutes(5);  // only the store can wake it in time
  spdlog::logger log("test");
  server::OutboxRelayWorker worker(source, publisher, signal, options, log);
  worker.Start();
  // Its first batch found nothing and it is idle: what it publishes now, the
  // store's notification woke it for.
  REQUIRE(signal.waits.WaitFor(1, std::chrono::seconds(10)));
  pg::PgAccountStore store(*w.pool, &signal);
  // Neither a transaction without events nor one rolled back wakes it.
  REQUIRE(store.Run([](auth::AccountTx&) { return Ok(); }));
  REQUIRE_FALSE(store.Run([](auth::AccountTx& tx) -> Status {
    if (auto ok = tx.outbox().Append(RoleAssigned("u-6", 1)); !ok) return ok;
    return MakeError(ErrorCode::kInvalidArgument, "refused on purpose", "field");
  }));
  CHECK(signal.notifies.count() == 0);
  REQUIRE(
      store.Run([](auth::AccountTx& tx) { return tx.outbox().Append(RoleAssigned("u-7", 1)); }));
  CHECK(signal.notifies.count() == 1);
  REQUIRE(publisher.published.WaitFor(1, std::chrono::seconds(10)));
  worker.Stop();
  CHECK(worker.published() == 1);
  CHECK(ReadStream(w.nats.url(), "AUTH_EVENTS").size() == 1);
}

TEST_CASE("Streams are created idempotently and brought to their configuration", "[nats]") {
  NatsServer server;
  nats::NatsOptions options;
  options.url = server.url();
  auto js = nats::JetStream::Connect(options).value();
  auto streams = nats::DefaultStreams();
  REQUIRE(js->EnsureStreams(streams));
  REQUIRE(js->EnsureStreams(streams));
  CHECK(giia::testing::StreamMaxAgeSeconds(server.url(), "DLQ_EVENTS") == 30 * 24 * 3600);
  streams[2].max_age = std::chrono::hours(24);
  REQUIRE(js->EnsureStreams(streams));
  CHECK(giia::testing::StreamMaxAgeSeconds(server.url(), "DLQ_EVENTS") == 24 * 3600);
}

TEST_CASE("An unreachable NATS is UNAVAILABLE within the timeout", "[nats]") {
  NatsServer server;
  const std::string url = server.url();
  server.Stop();
  nats::NatsOptions options;
  options.url = url;
  options.timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  auto js = nats::JetStream::Connect(options);
  REQUIRE_FALSE(js);
  CHECK(js.error().code == ErrorCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  options.connect_in_background = true;  // a service starts anyway and connects later
  auto later = nats::JetStream::Connect(options);
  REQUIRE(later);
  CHECK_FALSE((*later)->Connected());
  auto publish = (*later)->Publish("auth.role.assigned", "id-1", "{}");
  REQUIRE_FALSE(publish);
  CHECK(publish.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("Sent events are deleted after the retention, pending ones never", "[events]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  REQUIRE(migrate::Migrator(store, migrate::ForService(pg::EmbeddedMigrations().value(), "auth"))
              .Up(std::nullopt, false));
  pg::PgAuthStore auth(*pool);
  REQUIRE(auth.Run([&](auth::AuthTx& tx) -> Status {
    for (int i = 0; i < 3; ++i) {
      if (auto ok = tx.outbox().Append(RoleAssigned("u-5", i)); !ok) return ok;
    }
    return Ok();
  }));
  // Two were sent two days ago; one is still pending.
  REQUIRE(
      db.sql().Exec("UPDATE auth.outbox SET published_at = now() - interval '2 days' "
                    "WHERE seq IN (SELECT seq FROM auth.outbox ORDER BY seq LIMIT 2)"));
  pg::PgOutboxSource source(*pool, pg::OutboxSchema::kAuth);
  CHECK(source.Purge(std::chrono::hours(72)).value() == 0);
  CHECK(source.Purge(std::chrono::hours(24)).value() == 2);
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.outbox") == "1");
  CHECK(source.Pending().value().pending == 1);
}

TEST_CASE("A core subscription sees what JetStream stores on its subject, until it is destroyed",
          "[nats]") {
  giia::testing::EventsWorld w;  // a nats-server with giia's streams
  nats::JetStream* js = w.js.get();
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> seen;  // subject, data
  giia::testing::EventCounter first, second;
  auto sub = js->Subscribe("auth.>", [&](std::string_view subject, std::string_view data) {
    {
      std::lock_guard lock(mu);
      seen.emplace_back(subject, data);
    }
    first.Bump();
  });
  REQUIRE(sub);
  REQUIRE(js->Publish("catalog.product.created", "id-1", "{}"));  // not its subject
  REQUIRE(js->Publish("auth.role.revoked", "id-2", "{\"n\":2}"));
  REQUIRE(first.WaitFor(1, std::chrono::seconds(10)));
  sub->reset();  // unsubscribed: what follows is not seen
  REQUIRE(js->Publish("auth.role.assigned", "id-3", "{}"));
  // A new subscription receives the next message: the first had the time to.
  auto later = js->Subscribe("auth.>", [&](std::string_view, std::string_view) { second.Bump(); });
  REQUIRE(later);
  REQUIRE(js->Publish("auth.role.assigned", "id-4", "{}"));
  REQUIRE(second.WaitFor(1, std::chrono::seconds(10)));
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].first == "auth.role.revoked");
  CHECK(seen[0].second == "{\"n\":2}");
}
