// The pure rules of the auth use cases: lockout counting, refresh-token
// rotation, slugs, the permission matrix, and the hashing pool's bound.

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/auth/access.hpp"
#include "core/auth/hashing_pool.hpp"
#include "core/auth/service.hpp"
#include "core/authz/token_cache.hpp"
#include "server/workers/audit_writer.hpp"

using namespace giia;
using namespace giia::auth;
using authz::BearerToken;
using authz::CachingTokenCodec;
using namespace std::chrono_literals;

TEST_CASE("A login attempt is counted before the password is checked", "[auth]") {
  const Timestamp now{std::chrono::seconds(1'800'000'000)};
  SECTION("the first four attempts count up without a lock") {
    for (int failed = 0; failed < 4; ++failed) {
      AttemptDecision d = DecideAttempt(failed, std::nullopt, now, 5, 15min);
      CHECK_FALSE(d.refused);
      CHECK(d.attempt == failed + 1);
      CHECK_FALSE(d.locked_until);
    }
  }
  SECTION("the fifth takes the lock in advance") {
    AttemptDecision d = DecideAttempt(4, std::nullopt, now, 5, 15min);
    CHECK_FALSE(d.refused);
    CHECK(d.attempt == 5);
    REQUIRE(d.locked_until);
    CHECK(*d.locked_until == now + 15min);
  }
  SECTION("while locked, nothing is checked") {
    AttemptDecision d = DecideAttempt(5, now + 1s, now, 5, 15min);
    CHECK(d.refused);
  }
  SECTION("an expired lock starts a new window") {
    AttemptDecision d = DecideAttempt(5, now - 1s, now, 5, 15min);
    CHECK_FALSE(d.refused);
    CHECK(d.attempt == 1);
    CHECK_FALSE(d.locked_until);
  }
}

TEST_CASE("Refresh rotation goes by generation, with a grace for the predecessor only", "[auth]") {
  const Timestamp now{std::chrono::seconds(1'800'000'000)};
  auto token = [&](int generation, std::optional<Timestamp> rotated) {
    RefreshRecord r;
    r.family = "f";
    r.generation = generation;
    r.expires_at = now + 24h;
    r.rotated_at = rotated;
    return r;
  };
  const RefreshRecord latest = token(3, std::nullopt);
  CHECK(DecideRefresh(latest, latest, now, 30s) == RefreshVerdict::kRotate);
  CHECK(DecideRefresh(token(2, now - 10s), latest, now, 30s) == RefreshVerdict::kGraceRotate);
  CHECK(DecideRefresh(token(2, now - 31s), latest, now, 30s) == RefreshVerdict::kReuse);
  CHECK(DecideRefresh(token(1, now - 1s), latest, now, 30s) == RefreshVerdict::kReuse);
  // The predecessor's grace is spent once the newest one was itself rotated.
  CHECK(DecideRefresh(token(2, now - 1s), token(3, now), now, 30s) == RefreshVerdict::kReuse);
  RefreshRecord expired = latest;
  expired.expires_at = now;
  CHECK(DecideRefresh(expired, expired, now, 30s) == RefreshVerdict::kExpired);
  RefreshRecord revoked = latest;
  revoked.revoked_at = now - 1s;
  CHECK(DecideRefresh(revoked, revoked, now, 30s) == RefreshVerdict::kRevoked);
  // A session past its absolute end is over, whatever its newest token says.
  RefreshRecord old_session = latest;
  old_session.family_expires_at = now;
  CHECK(DecideRefresh(old_session, old_session, now, 30s) == RefreshVerdict::kExpired);
  old_session.family_expires_at = now + 1s;
  CHECK(DecideRefresh(old_session, old_session, now, 30s) == RefreshVerdict::kRotate);
}

TEST_CASE("Organization slugs come from names", "[auth]") {
  CHECK(SlugFrom("Acme Corp.") == "acme-corp");
  CHECK(SlugFrom("  Über  GmbH & Co ") == "ber-gmbh-co");
  CHECK(SlugFrom("!!!").empty());
  CHECK(SlugFrom(std::string(100, 'a')).size() == 63);
}

namespace {
// Grants `granted`; answers from "memory" unless `later`, then only when the
// rest runs (counted in `waits`).
class FakeAuthorizer final : public authz::RequestAuthorizer {
 public:
  std::vector<std::string> granted;
  bool later = false;
  int verifies = 0, waits = 0;
  Result<Caller> Verify(std::string_view token) override {
    ++verifies;
    if (token != "good") return MakeError(ErrorCode::kUnauthenticated, "bad token");
    Caller c;
    c.user = UserId("u");
    return c;
  }
  Attempt<Result<Decision>> Admit(const Caller&, const std::vector<std::string>& permissions,
                                  const RequestInfo&) override {
    auto decide = [this, permissions]() -> Result<Decision> {
      Decision d{"", true, "the token holds"};
      for (const std::string& p : permissions) {
        d.permission = p;
        d.allowed = std::find(granted.begin(), granted.end(), p) != granted.end();
        d.reason = d.allowed ? "granted" : "not granted";
        if (!d.allowed) break;
      }
      return d;
    };
    if (!later) return decide();
    return Attempt<Result<Decision>>::Later([this, decide] {
      ++waits;
      return decide();
    });
  }
};
}  // namespace

TEST_CASE("Each service's matrix decides every use case and denies an unlisted one", "[auth]") {
  FakeAuthorizer fake;
  const RequestInfo req;
  auto code = [&](std::string_view use_case, std::string_view token) {
    auto r = authz::Guard(Access(), fake, use_case, token, req).Finish();
    return r ? std::string("OK") : std::string(ErrorCodeName(r.error().code));
  };
  CHECK(code("Login", "") == "OK");
  CHECK(code("ValidateToken", "") == "OK");
  CHECK(code("Logout", "") == "UNAUTHENTICATED");
  CHECK(code("Logout", "bad") == "UNAUTHENTICATED");
  CHECK(code("Logout", "good") == "OK");
  CHECK(code("ListUsers", "good") == "PERMISSION_DENIED");
  fake.granted = {"users:read"};
  CHECK(code("ListUsers", "good") == "OK");
  CHECK(code("CreateUser", "good") == "PERMISSION_DENIED");
  CHECK(code("NoSuchMethod", "good") == "PERMISSION_DENIED");
  CHECK(code("GetProduct", "good") == "PERMISSION_DENIED");  // the catalog's, not auth's
  CHECK(code("/giia.auth.v1.AuthService/Login", "") == "PERMISSION_DENIED");
  CHECK(BearerToken("Bearer abc") == "abc");
  CHECK(BearerToken("bearer  abc") == "abc");
  CHECK(BearerToken("Basic abc").empty());
  CHECK(BearerToken("Bearer").empty());
}

TEST_CASE("The guard answers at once from memory and hands on only the rest that waits", "[auth]") {
  FakeAuthorizer fake;
  fake.granted = {"users:read"};
  const RequestInfo req;
  auto now = authz::Guard(Access(), fake, "ListUsers", "good", req);
  REQUIRE(now.answered());
  CHECK(fake.waits == 0);

  fake.later = true;
  auto pending = authz::Guard(Access(), fake, "ListUsers", "good", req);
  CHECK_FALSE(pending.answered());
  CHECK(fake.verifies == 2);  // the token was verified once, before the rest
  CHECK(fake.waits == 0);
  auto caller = std::move(pending).Finish();
  REQUIRE(caller);
  REQUIRE(caller->has_value());
  CHECK((*caller)->user.value() == "u");
  CHECK(fake.waits == 1);
  CHECK(fake.verifies == 2);  // nothing ran twice

  // Refusals that need no I/O never become a rest.
  CHECK(authz::Guard(Access(), fake, "ListUsers", "bad", req).answered());
  CHECK(authz::Guard(Access(), fake, "ListUsers", "", req).answered());
  CHECK(authz::Guard(Access(), fake, "Unlisted", "good", req).answered());
  auto denied = authz::Guard(Access(), fake, "CreateUser", "good", req);
  REQUIRE_FALSE(denied.answered());
  auto refusal = std::move(denied).Finish();
  REQUIRE_FALSE(refusal);
  CHECK(refusal.error().code == ErrorCode::kPermissionDenied);
  CHECK(refusal.error().message.find("users:write") != std::string::npos);
}

namespace {
// Blocks every Verify until released, to fill the pool.
class GateHasher final : public PasswordHasher {
 public:
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  Result<std::string> Hash(std::string_view) override { return std::string("h"); }
  Result<bool> Verify(const std::string&, std::string_view) override {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
    return true;
  }
};
}  // namespace

TEST_CASE("The hashing pool refuses work beyond its queue instead of piling up", "[auth]") {
  GateHasher gate;
  std::vector<std::future<Result<bool>>> calls;
  {
    BoundedHasher pool(gate, 1, 2);
    // One running, two queued.
    calls.push_back(std::async(std::launch::async, [&] { return pool.Verify("h", "p"); }));
    {
      std::unique_lock lock(gate.mu);
      gate.cv.wait(lock, [&] { return gate.entered == 1; });
    }
    calls.push_back(std::async(std::launch::async, [&] { return pool.Verify("h", "p"); }));
    calls.push_back(std::async(std::launch::async, [&] { return pool.Verify("h", "p"); }));
    // Once both are queued, a fourth is refused at once.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (pool.queued() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    REQUIRE(pool.queued() == 2);
    Result<bool> refused = pool.Verify("h", "p");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::kResourceExhausted);
    {
      std::lock_guard lock(gate.mu);
      gate.open = true;
    }
    gate.cv.notify_all();
    for (auto& c : calls) {
      auto r = c.get();
      REQUIRE(r);
      CHECK(*r);
    }
  }
}

namespace {
class FlakyAuditStore final : public AuditStore {
 public:
  std::mutex mu;
  int failures_left = 2;
  std::vector<AuditEntry> stored;
  Status Append(const std::vector<AuditEntry>& batch) override {
    std::lock_guard lock(mu);
    if (failures_left > 0) {
      --failures_left;
      return MakeError(ErrorCode::kUnavailable, "database down");
    }
    stored.insert(stored.end(), batch.begin(), batch.end());
    return Ok();
  }
};
}  // namespace

TEST_CASE("The audit writer keeps what the store refused and writes everything on Stop", "[auth]") {
  FlakyAuditStore store;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  server::AuditWriter writer(store, {.batch_size = 7, .max_queue = 1000}, *log);
  writer.Start();
  for (int i = 0; i < 250; ++i) {
    AuditEntry e;
    e.action = "login";
    e.resource_id = std::to_string(i);
    writer.Record(std::move(e));
  }
  CHECK(writer.Stop(10s) == 0);
  REQUIRE(store.stored.size() == 250);
  // In order, each once.
  for (int i = 0; i < 250; ++i) CHECK(store.stored[i].resource_id == std::to_string(i));
  CHECK(writer.written() == 250);
  CHECK(writer.dropped() == 0);
}

TEST_CASE("A full audit queue drops and counts new entries", "[auth]") {
  FlakyAuditStore store;
  store.failures_left = 0;
  auto log = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  server::AuditWriter writer(store, {.batch_size = 100, .max_queue = 10}, *log);  // not started
  for (int i = 0; i < 15; ++i) writer.Record(AuditEntry{});
  CHECK(writer.dropped() == 5);
  CHECK(writer.Stop(5s) == 0);
  CHECK(store.stored.size() == 10);
}

namespace {
class CountingCodec final : public AccessTokenCodec {
 public:
  mutable int verifies = 0;
  Result<std::string> Sign(const AccessClaims&) const override { return std::string("t"); }
  Result<AccessClaims> Verify(std::string_view token, std::int64_t) const override {
    ++verifies;
    if (token != "good") return MakeError(ErrorCode::kUnauthenticated, "bad signature");
    AccessClaims c;
    c.subject = "u";
    c.not_before = 1000;
    c.expires_at = 2000;
    return c;
  }
  std::string Jwks() const override { return "{}"; }
};
}  // namespace

TEST_CASE("The verified-token cache answers repeats without verifying, and still expires them",
          "[auth]") {
  CountingCodec inner;
  CachingTokenCodec cache(inner, 2, 0);
  REQUIRE(cache.Verify("good", 1500));
  REQUIRE(cache.Verify("good", 1600));
  CHECK(inner.verifies == 1);
  auto expired = cache.Verify("good", 2000);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().code == ErrorCode::kUnauthenticated);
  CHECK_FALSE(cache.Verify("good", 999));
  // Refused tokens are not remembered.
  CHECK_FALSE(cache.Verify("bad", 1500));
  CHECK_FALSE(cache.Verify("bad", 1500));
  CHECK(inner.verifies == 3);
}

TEST_CASE("Role levels: grant, revoke and create only at or below the caller's rank", "[auth]") {
  using auth::CheckRank;
  const std::optional<int> none;
  // An Admin (1) may give anything to anyone.
  CHECK(CheckRank(1, "Admin", 1, 2, "role"));
  CHECK(CheckRank(1, "Viewer", 4, 1, "role"));
  // A Manager (2) may give Manager and below to a Manager or below, or to
  // someone with no role.
  CHECK(CheckRank(2, "Manager", 2, 2, "role"));
  CHECK(CheckRank(2, "Viewer", 4, none, "role"));
  auto up = CheckRank(2, "Admin", 1, 4, "role");
  REQUIRE_FALSE(up);
  CHECK(up.error().code == ErrorCode::kPermissionDenied);
  CHECK(up.error().field == "role");
  CHECK(up.error().message.find("Admin (level 1)") != std::string::npos);
  auto above = CheckRank(2, "Viewer", 4, 1, "role");
  REQUIRE_FALSE(above);
  CHECK(above.error().code == ErrorCode::kPermissionDenied);
  CHECK(above.error().field == "user_id");
  // CreateUser names the role's index.
  CHECK(CheckRank(3, "Manager", 2, none, "roles[1]").error().field == "roles[1]");
  // No role at all: nothing can be given.
  CHECK(CheckRank(none, "Viewer", 4, none, "role").error().code == ErrorCode::kPermissionDenied);
}
