// The Redis adapters (permission cache, invalidation listener, rate limiter)
// against the Redis of the test run (GIIA_TEST_REDIS_URL; each test uses a
// key prefix of its own) and, for outages, against redis-servers of their own.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/redis/client.hpp"
#include "adapters/redis/permission_cache.hpp"
#include "adapters/redis/rate_limiter.hpp"
#include "support/counter.hpp"
#include "support/net.hpp"
#include "support/poll.hpp"
#include "support/redis_server.hpp"

using giia::ErrorCode;
using giia::OrganizationId;
using giia::UserId;
using giia::auth::ResolvedPermissions;
using giia::redis::InvalidationListener;
using giia::redis::RedisClient;
using giia::redis::RedisOptions;
using giia::redis::RedisPermissionCache;
using giia::redis::RedisRateLimiter;
using giia::redis::RedisReply;
using giia::testing::EventCounter;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

RedisOptions OptionsFor(const std::string& url) {
  auto address = giia::redis::ParseRedisUrl(url);
  REQUIRE(address);
  RedisOptions o;
  o.address = *address;
  o.pool_size = 4;
  o.key_prefix = giia::testing::UniqueRedisPrefix();
  return o;
}

std::unique_ptr<RedisClient> MakeClient(const RedisOptions& options) {
  auto client = RedisClient::Create(options);
  REQUIRE(client);
  return std::move(*client);
}

using giia::testing::Eventually;

// What a listener heard, in order; the counter wakes waiters.
struct Heard {
  std::mutex mu;
  std::vector<InvalidationListener::Invalidation> items;
  EventCounter counter;

  InvalidationListener::Callback callback() {
    return [this](const InvalidationListener::Invalidation& what) {
      {
        std::lock_guard lock(mu);
        items.push_back(what);
      }
      counter.Bump();
    };
  }
  std::vector<InvalidationListener::Invalidation> snapshot() {
    std::lock_guard lock(mu);
    return items;
  }
  int drops_all() {
    std::lock_guard lock(mu);
    int n = 0;
    for (const auto& i : items) n += i ? 0 : 1;
    return n;
  }
};

const OrganizationId kOrg("9a3c1c9e-2f6b-4c1e-8d59-0d6b7c1f2a10");
const UserId kUser("5d0e8c1a-7b2f-4f3e-9a61-3c2d1e0f4b5a");
const ResolvedPermissions kPerms{{"admin", "viewer"}, {"catalog:read", "catalog:write"}, 3, true};

}  // namespace

TEST_CASE("Redis permission cache: miss, put, get, TTL set, malformed value is a miss", "[redis]") {
  const RedisOptions options = OptionsFor(giia::testing::TestRedisUrl());
  auto client = MakeClient(options);
  RedisPermissionCache cache(*client);

  auto miss = cache.Get(kOrg, kUser);
  REQUIRE(miss);
  CHECK_FALSE(miss->has_value());

  REQUIRE(cache.Put(kOrg, kUser, kPerms, 60s));
  auto hit = cache.Get(kOrg, kUser);
  REQUIRE(hit);
  REQUIRE(hit->has_value());
  CHECK((*hit)->roles == kPerms.roles);
  CHECK((*hit)->permissions == kPerms.permissions);
  // The token version and status come back too: a hit answers like the database.
  CHECK((*hit)->token_version == 3);
  CHECK((*hit)->active);

  const std::string key = cache.KeyFor(kOrg, kUser);
  CHECK(key == options.key_prefix + "auth:perm:v1:" + kOrg.value() + ":" + kUser.value());
  auto ttl = client->Command({"TTL", key});
  REQUIRE(ttl);
  REQUIRE(ttl->type == RedisReply::Type::kInteger);
  CHECK(ttl->integer > 0);
  CHECK(ttl->integer <= 60);

  // Every input is in the key: another user or organization misses.
  auto other_user = cache.Get(kOrg, UserId("someone-else"));
  REQUIRE(other_user);
  CHECK_FALSE(other_user->has_value());
  auto other_org = cache.Get(OrganizationId("another-org"), kUser);
  REQUIRE(other_org);
  CHECK_FALSE(other_org->has_value());

  // Empty lists round-trip too.
  REQUIRE(cache.Put(kOrg, UserId("nobody"), ResolvedPermissions{}, 5s));
  auto empty = cache.Get(kOrg, UserId("nobody"));
  REQUIRE(empty);
  REQUIRE(empty->has_value());
  CHECK((*empty)->roles.empty());
  CHECK((*empty)->permissions.empty());

  auto bad_ttl = cache.Put(kOrg, kUser, kPerms, 0s);
  REQUIRE_FALSE(bad_ttl);
  CHECK(bad_ttl.error().code == ErrorCode::kInvalidArgument);

  // The last: an entry of the old format, without token version and status.
  for (const std::string garbage :
       {"not json", "{\"r\":[1],\"p\":[]}", "[]", "{\"r\":[]}", "{\"r\":[],\"p\":[]}"}) {
    INFO(garbage);
    REQUIRE(client->Command({"SET", key, garbage}));
    auto malformed = cache.Get(kOrg, kUser);
    REQUIRE(malformed);
    CHECK_FALSE(malformed->has_value());
    auto exists = client->Command({"EXISTS", key});
    REQUIRE(exists);
    CHECK(exists->integer == 0);  // deleted, so the next Put replaces it
  }
  // A value of another type (a list) is a miss as well, not an error.
  REQUIRE(client->Command({"RPUSH", key, "x"}));
  auto wrong_type = cache.Get(kOrg, kUser);
  REQUIRE(wrong_type);
  CHECK_FALSE(wrong_type->has_value());
}

TEST_CASE("Redis permission cache: Invalidate deletes, and every listener hears '<org> <user>'",
          "[redis]") {
  const RedisOptions options = OptionsFor(giia::testing::TestRedisUrl());
  auto client = MakeClient(options);
  RedisPermissionCache cache(*client);

  Heard replica_a, replica_b;
  InvalidationListener listener_a(options, replica_a.callback());
  InvalidationListener listener_b(options, replica_b.callback());
  REQUIRE(listener_a.Start());
  REQUIRE(listener_b.Start());
  CHECK(listener_a.subscribed());
  auto again = listener_a.Start();
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kFailedPrecondition);

  REQUIRE(cache.Put(kOrg, kUser, kPerms, 60s));
  REQUIRE(cache.Invalidate(kOrg, kUser));
  auto gone = cache.Get(kOrg, kUser);
  REQUIRE(gone);
  CHECK_FALSE(gone->has_value());

  REQUIRE(replica_a.counter.WaitFor(1, 5s));
  REQUIRE(replica_b.counter.WaitFor(1, 5s));
  for (Heard* heard : {&replica_a, &replica_b}) {
    auto items = heard->snapshot();
    REQUIRE(items.size() == 1);  // and no "drop everything" after a clean start
    REQUIRE(items[0].has_value());
    CHECK(items[0]->first == kOrg);
    CHECK(items[0]->second == kUser);
  }

  // Invalidating an entry that is not cached still notifies (a replica may
  // hold it in process); a message that does not decode drops everything.
  REQUIRE(cache.Invalidate(kOrg, UserId("u-2")));
  REQUIRE(client->Command(
      {"PUBLISH", giia::redis::InvalidationChannel(options.key_prefix), "no-space"}));
  REQUIRE(replica_a.counter.WaitFor(3, 5s));
  auto items = replica_a.snapshot();
  REQUIRE(items[1].has_value());
  CHECK(items[1]->second == UserId("u-2"));
  CHECK_FALSE(items[2].has_value());

  const auto stop_started = Clock::now();
  listener_a.Stop();
  listener_b.Stop();
  CHECK(Clock::now() - stop_started < options.command_timeout);
  CHECK_FALSE(listener_a.subscribed());
  listener_a.Stop();  // idempotent
}

TEST_CASE("Redis permission caches with different prefixes share nothing", "[redis]") {
  const std::string url = giia::testing::TestRedisUrl();
  const RedisOptions options_a = OptionsFor(url);
  const RedisOptions options_b = OptionsFor(url);
  REQUIRE(options_a.key_prefix != options_b.key_prefix);
  auto client_a = MakeClient(options_a);
  auto client_b = MakeClient(options_b);
  RedisPermissionCache cache_a(*client_a), cache_b(*client_b);
  Heard heard_a;
  InvalidationListener listener_a(options_a, heard_a.callback());
  REQUIRE(listener_a.Start());

  REQUIRE(cache_a.Put(kOrg, kUser, kPerms, 60s));
  auto in_b = cache_b.Get(kOrg, kUser);
  REQUIRE(in_b);
  CHECK_FALSE(in_b->has_value());

  // B's invalidation is published (and processed by Redis) before A's, so A's
  // listener would hear it first if it heard it at all.
  REQUIRE(cache_b.Invalidate(kOrg, kUser));
  auto still_in_a = cache_a.Get(kOrg, kUser);
  REQUIRE(still_in_a);
  CHECK(still_in_a->has_value());
  REQUIRE(cache_a.Invalidate(kOrg, UserId("only-in-a")));
  REQUIRE(heard_a.counter.WaitFor(1, 5s));
  auto items = heard_a.snapshot();
  REQUIRE(items.size() == 1);
  REQUIRE(items[0].has_value());
  CHECK(items[0]->second == UserId("only-in-a"));
}

TEST_CASE("Redis rate limiter: N per minute, then refused, keys and windows independent",
          "[redis]") {
  const RedisOptions options = OptionsFor(giia::testing::TestRedisUrl());
  auto client = MakeClient(options);
  // A fixed clock: the test cannot straddle a minute boundary.
  std::chrono::system_clock::time_point now{std::chrono::minutes(29'000'000)};
  RedisRateLimiter limiter(*client, [&] { return now; });

  for (int i = 1; i <= 3; ++i) {
    auto allowed = limiter.Allow("10.0.0.1", 3);
    REQUIRE(allowed);
    CHECK(*allowed);
  }
  auto refused = limiter.Allow("10.0.0.1", 3);
  REQUIRE(refused);
  CHECK_FALSE(*refused);
  auto still_refused = limiter.Allow("10.0.0.1", 3);
  REQUIRE(still_refused);
  CHECK_FALSE(*still_refused);

  auto other_key = limiter.Allow("2001:db8::1", 3);  // colons in a key are fine
  REQUIRE(other_key);
  CHECK(*other_key);

  const std::string key = limiter.KeyFor("10.0.0.1", now);
  CHECK(key == options.key_prefix + "ratelimit:10.0.0.1:29000000");
  auto count = client->Command({"GET", key});
  REQUIRE(count);
  CHECK(count->str == "5");
  auto ttl = client->Command({"TTL", key});
  REQUIRE(ttl);
  CHECK(ttl->integer > 60);
  CHECK(ttl->integer <= 120);

  now += std::chrono::seconds(59);  // same window
  auto same_window = limiter.Allow("10.0.0.1", 3);
  REQUIRE(same_window);
  CHECK_FALSE(*same_window);
  now += std::chrono::seconds(1);  // next minute: a new window
  auto next_window = limiter.Allow("10.0.0.1", 3);
  REQUIRE(next_window);
  CHECK(*next_window);

  auto zero = limiter.Allow("10.0.0.9", 0);
  REQUIRE(zero);
  CHECK_FALSE(*zero);
}

TEST_CASE("Redis rate limiter and pool: exact counts under concurrent callers", "[redis]") {
  RedisOptions options = OptionsFor(giia::testing::TestRedisUrl());
  options.pool_size = 2;
  auto client = MakeClient(options);
  RedisRateLimiter limiter(*client);
  RedisPermissionCache cache(*client);
  REQUIRE(cache.Put(kOrg, kUser, kPerms, 60s));

  std::atomic<int> allowed{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto a = limiter.Allow("busy", 100);
        if (!a) {
          ++errors;
        } else if (*a) {
          ++allowed;
        }
        auto g = cache.Get(kOrg, kUser);
        if (!g || !g->has_value()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  // Unless the minute turned during the loop, exactly 100 of 300 passed.
  CHECK(allowed >= 100);
  CHECK(allowed <= 200);
  const auto stats = client->Stats();
  CHECK(stats.open <= 2);
  CHECK(stats.discarded_total == 0);
}

TEST_CASE("Redis unreachable: kUnavailable at once, naming host:port but not the password",
          "[redis]") {
  const int port = giia::testing::ClosedPort();
  const RedisOptions options =
      OptionsFor("redis://:hunter2-secret@127.0.0.1:" + std::to_string(port));
  auto client = MakeClient(options);
  RedisPermissionCache cache(*client);
  RedisRateLimiter limiter(*client);

  auto first = cache.Get(kOrg, kUser);
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(first.error().message, Catch::Contains("127.0.0.1:" + std::to_string(port)));
  CHECK(first.error().message.find("hunter2") == std::string::npos);

  // In the backoff that follows, calls do not dial: each costs microseconds.
  const auto start = Clock::now();
  for (int i = 0; i < 20; ++i) {
    auto r = cache.Get(kOrg, kUser);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(r.error().message, Catch::Contains("127.0.0.1:" + std::to_string(port)));
    CHECK(r.error().message.find("hunter2") == std::string::npos);
  }
  const auto elapsed = Clock::now() - start;
  CHECK(elapsed < options.connect_timeout / 5);
  const auto stats = client->Stats();
  CHECK(stats.fast_failures_total == 20);
  CHECK(stats.opened_total == 0);

  auto put = cache.Put(kOrg, kUser, kPerms, 60s);
  REQUIRE_FALSE(put);
  CHECK(put.error().code == ErrorCode::kUnavailable);
  auto invalidate = cache.Invalidate(kOrg, kUser);
  REQUIRE_FALSE(invalidate);
  CHECK(invalidate.error().code == ErrorCode::kUnavailable);
  auto allow = limiter.Allow("10.0.0.1", 5);
  REQUIRE_FALSE(allow);
  CHECK(allow.error().code == ErrorCode::kUnavailable);

  // The listener reports the failed first attempt, keeps retrying quietly,
  // and stops promptly in the middle of its backoff.
  Heard heard;
  InvalidationListener listener(options, heard.callback());
  const auto listen_start = Clock::now();
  auto started = listener.Start();
  REQUIRE_FALSE(started);
  CHECK(started.error().code == ErrorCode::kUnavailable);
  CHECK(started.error().message.find("hunter2") == std::string::npos);
  CHECK(Clock::now() - listen_start < options.connect_timeout);
  CHECK_FALSE(listener.subscribed());
  const auto stop_start = Clock::now();
  listener.Stop();
  CHECK(Clock::now() - stop_start < options.command_timeout);
  CHECK(heard.counter.count() == 0);
}

TEST_CASE("Redis with a password: AUTH works, a wrong password is kUnavailable without it",
          "[redis]") {
  giia::testing::RedisServer server("right-pass-123");
  const RedisOptions options = OptionsFor(server.url());
  CHECK(options.address.password == "right-pass-123");
  auto client = MakeClient(options);
  RedisPermissionCache cache(*client);
  REQUIRE(cache.Put(kOrg, kUser, kPerms, 60s));
  auto hit = cache.Get(kOrg, kUser);
  REQUIRE(hit);
  CHECK(hit->has_value());

  RedisOptions wrong = options;
  wrong.address.password = "wrong-pass-456";
  auto wrong_client = MakeClient(wrong);
  RedisPermissionCache wrong_cache(*wrong_client);
  auto refused = wrong_cache.Get(kOrg, kUser);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(refused.error().message, Catch::Contains("authentication failed") &&
                                          Catch::Contains(std::to_string(server.port())));
  CHECK(refused.error().message.find("wrong-pass") == std::string::npos);

  RedisOptions none = options;
  none.address.password.clear();
  auto no_auth = MakeClient(none);
  auto denied = RedisPermissionCache(*no_auth).Get(kOrg, kUser);
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == ErrorCode::kUnavailable);  // NOAUTH
}

TEST_CASE("Redis restart: the cache recovers by itself and the listener says 'drop everything'",
          "[redis]") {
  giia::testing::RedisServer server;
  RedisOptions options = OptionsFor(server.url());
  options.initial_backoff = 100ms;
  options.max_backoff = 400ms;
  auto client = MakeClient(options);
  RedisPermissionCache cache(*client);
  Heard heard;
  InvalidationListener listener(options, heard.callback());
  REQUIRE(listener.Start());
  REQUIRE(cache.Put(kOrg, kUser, kPerms, 60s));

  server.Stop();
  REQUIRE(Eventually([&] {
    auto r = cache.Get(kOrg, kUser);
    return !r && r.error().code == ErrorCode::kUnavailable;
  }));
  REQUIRE(Eventually([&] { return !listener.subscribed(); }));
  CHECK(heard.counter.count() == 0);

  server.Start();
  // No data survived the restart, so a recovered cache misses.
  REQUIRE(Eventually([&] {
    auto r = cache.Get(kOrg, kUser);
    return r && !r->has_value();
  }));
  REQUIRE(cache.Put(kOrg, kUser, kPerms, 60s));
  auto hit = cache.Get(kOrg, kUser);
  REQUIRE(hit);
  CHECK(hit->has_value());

  // Resubscribed: one "drop everything" first, then messages again.
  REQUIRE(heard.counter.WaitFor(1, 10s));
  CHECK(listener.subscribed());
  CHECK(listener.subscriptions() == 2);
  CHECK(heard.drops_all() == 1);
  REQUIRE(cache.Invalidate(kOrg, kUser));
  REQUIRE(heard.counter.WaitFor(2, 5s));
  auto items = heard.snapshot();
  REQUIRE(items.size() == 2);
  CHECK_FALSE(items[0].has_value());
  REQUIRE(items[1].has_value());
  CHECK(items[1]->second == kUser);
}

TEST_CASE("Redis listener: PINGs a quiet connection, and reconnects when Redis goes silent",
          "[redis]") {
  giia::testing::RedisServer server;
  RedisOptions options = OptionsFor(server.url());
  options.initial_backoff = 100ms;
  options.max_backoff = 400ms;
  auto client = MakeClient(options);
  RedisPermissionCache cache(*client);
  Heard heard;
  InvalidationListener listener(options, heard.callback(), /*ping_interval=*/50ms);
  REQUIRE(listener.Start());

  // A quiet subscriber PINGs and stays subscribed (Redis shows its last command).
  REQUIRE(Eventually([&] {
    auto clients = client->Command({"CLIENT", "LIST"});
    return clients && clients->str.find("sub=1") != std::string::npos &&
           clients->str.find("cmd=ping") != std::string::npos;
  }));
  REQUIRE(cache.Invalidate(kOrg, kUser));
  REQUIRE(heard.counter.WaitFor(1, 5s));
  CHECK(heard.snapshot()[0].has_value());
  CHECK(listener.subscriptions() == 1);

  // Redis stops answering without closing the socket: the unanswered PING
  // gives it away; once Redis answers again, the listener resubscribes and
  // says "drop everything".
  REQUIRE(client->Command({"CLIENT", "PAUSE", "800", "ALL"}));
  REQUIRE(heard.counter.WaitFor(2, 10s));
  CHECK(listener.subscriptions() >= 2);
  auto items = heard.snapshot();
  CHECK_FALSE(items[1].has_value());
  REQUIRE(cache.Invalidate(kOrg, UserId("after-pause")));
  REQUIRE(heard.counter.WaitFor(3, 5s));
  items = heard.snapshot();
  REQUIRE(items.size() == 3);
  REQUIRE(items[2].has_value());
  CHECK(items[2]->second == UserId("after-pause"));
}
