// The permission resolver's two parts: what memory answers at once, and the
// rest that reads (what lets the gRPC server answer cached permission checks
// on its own thread and go on from a miss without starting over).
#include "core/auth/permissions.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "support/resolve_only_store.hpp"

namespace {
const giia::OrganizationId kOrg("7a6b0e55-2f4c-4b2a-8c9d-0e1f2a3b4c5d");
const giia::UserId kUser("3f1c9f0e-7d5b-4f7e-9a55-1b0b6f1c2d3e");

using giia::auth::ResolvedPermissions;
using Key = std::pair<std::string, std::string>;

// The shared cache in memory, held to the Redis cache's rules that the
// resolver relies on (a Put is read back; Invalidate deletes). Put runs on
// the resolver's writer thread, hence the lock.
class MemorySharedCache final : public giia::auth::SharedPermissionCache {
 public:
  giia::Result<std::optional<ResolvedPermissions>> Get(const giia::OrganizationId& org,
                                                       const giia::UserId& user) override {
    std::lock_guard lock(mu);
    ++gets;
    if (down) return giia::MakeError(giia::ErrorCode::kUnavailable, "redis is down");
    auto it = entries.find({org.value(), user.value()});
    if (it == entries.end()) return std::optional<ResolvedPermissions>();
    return std::optional<ResolvedPermissions>(it->second);
  }
  giia::Status Put(const giia::OrganizationId& org, const giia::UserId& user,
                   const ResolvedPermissions& value, std::chrono::seconds) override {
    std::lock_guard lock(mu);
    ++puts;
    if (down) return giia::MakeError(giia::ErrorCode::kUnavailable, "redis is down");
    entries[{org.value(), user.value()}] = value;
    return giia::Ok();
  }
  giia::Status Invalidate(const giia::OrganizationId& org, const giia::UserId& user) override {
    std::lock_guard lock(mu);
    if (down) return giia::MakeError(giia::ErrorCode::kUnavailable, "redis is down");
    entries.erase({org.value(), user.value()});
    return giia::Ok();
  }

  std::mutex mu;
  std::map<Key, ResolvedPermissions> entries;  // guarded by mu
  int gets = 0, puts = 0;                      // guarded by mu
  bool down = false;                           // guarded by mu
};

ResolvedPermissions Analyst() {
  ResolvedPermissions p;
  p.roles = {"Analyst"};
  p.permissions = {"catalog:read", "reports:write"};
  p.active = true;
  return p;
}
}  // namespace

TEST_CASE("The resolver answers a hit at once and leaves a miss's read to its rest", "[auth]") {
  giia::testing::ResolveOnlyStore store;
  giia::auth::PermissionResolver resolver(store, nullptr, std::chrono::minutes(5));
  auto miss = resolver.Find(kOrg, kUser);
  CHECK_FALSE(miss.answered());
  CHECK(store.reads == 0);  // nothing read until the rest runs
  CHECK(resolver.stats().misses == 1);

  auto filled = std::move(miss).Finish();
  REQUIRE(filled);
  REQUIRE(*filled != nullptr);
  CHECK(store.reads == 1);
  CHECK(resolver.stats().misses == 1);

  auto hit = resolver.Find(kOrg, kUser);
  REQUIRE(hit.answered());
  auto resolved = std::move(hit).Finish();
  REQUIRE(resolved);
  CHECK(*resolved == *filled);  // the same shared entry, not a copy
  CHECK(giia::auth::Holds(**resolved, "catalog:read"));
  CHECK_FALSE(giia::auth::Holds(**resolved, "catalog:write"));
  CHECK(store.reads == 1);
  CHECK(resolver.stats().local_hits == 1);

  resolver.Invalidate(kOrg, kUser);
  CHECK_FALSE(resolver.Find(kOrg, kUser).answered());
}

TEST_CASE("A fill that raced an invalidation answers its caller but is not kept", "[auth]") {
  giia::testing::ResolveOnlyStore store;
  giia::auth::PermissionResolver resolver(store, nullptr, std::chrono::minutes(5));
  // Dropped after the miss, before the read: not kept either (a store whose
  // read is asynchronous may have sent it already).
  auto before = resolver.Find(kOrg, kUser);
  REQUIRE_FALSE(before.answered());
  resolver.Drop(kOrg, kUser);
  REQUIRE(std::move(before).Finish());
  REQUIRE_FALSE(resolver.Find(kOrg, kUser).answered());
  REQUIRE(resolver.Find(kOrg, kUser).Finish());  // undisturbed: kept
  CHECK(resolver.Find(kOrg, kUser).answered());

  // Dropped while the rest reads: what it read may predate the change.
  resolver.Drop(kOrg, kUser);
  store.on_read = [&] { resolver.Drop(kOrg, kUser); };
  auto during = resolver.Find(kOrg, kUser);
  REQUIRE_FALSE(during.answered());
  auto filled = std::move(during).Finish();
  REQUIRE(filled);
  CHECK(*filled != nullptr);  // the caller still gets its answer
  store.on_read = nullptr;
  CHECK_FALSE(resolver.Find(kOrg, kUser).answered());
}

TEST_CASE("A miss reads the database, not the shared cache, and writes the shared copy after",
          "[auth]") {
  giia::testing::ResolveOnlyStore store;
  MemorySharedCache shared;
  shared.entries[{kOrg.value(), kUser.value()}] = Analyst();  // what another replica wrote
  {
    giia::auth::PermissionResolver resolver(store, &shared, std::chrono::minutes(5));
    auto found = resolver.Find(kOrg, kUser).Finish();
    REQUIRE(found);
    REQUIRE(*found != nullptr);
    CHECK((*found)->roles == std::vector<std::string>{"Viewer"});  // the database's answer
    CHECK(store.reads == 1);
    CHECK(resolver.stats().shared_hits == 0);
    // The copy is written off the call's path: wait for it (writes not yet
    // started when the resolver goes are dropped).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      {
        std::lock_guard lock(shared.mu);
        if (shared.puts > 0) break;
      }
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  }
  std::lock_guard lock(shared.mu);
  CHECK(shared.gets == 0);
  CHECK(shared.puts == 1);
  CHECK(shared.entries[{kOrg.value(), kUser.value()}].roles == std::vector<std::string>{"Viewer"});
}

TEST_CASE("The database unavailable: the shared copy answers, and without one the error does",
          "[auth]") {
  giia::testing::ResolveOnlyStore store;
  store.fail = giia::MakeError(giia::ErrorCode::kUnavailable, "database is down").value();
  MemorySharedCache shared;
  giia::auth::PermissionResolver resolver(store, &shared, std::chrono::minutes(5));

  auto none = resolver.Find(kOrg, kUser).Finish();
  REQUIRE_FALSE(none);
  CHECK(none.error().code == giia::ErrorCode::kUnavailable);
  CHECK(none.error().message == "database is down");

  {
    std::lock_guard lock(shared.mu);
    shared.entries[{kOrg.value(), kUser.value()}] = Analyst();
  }
  auto copy = resolver.Find(kOrg, kUser).Finish();
  REQUIRE(copy);
  REQUIRE(*copy != nullptr);
  CHECK((*copy)->roles == std::vector<std::string>{"Analyst"});
  CHECK(resolver.stats().shared_hits == 1);
  CHECK(resolver.Find(kOrg, kUser).answered());  // and kept here

  // Both down: the database's error, and the shared cache's failure counted.
  resolver.DropAll();
  {
    std::lock_guard lock(shared.mu);
    shared.down = true;
  }
  auto neither = resolver.Find(kOrg, kUser).Finish();
  REQUIRE_FALSE(neither);
  CHECK(neither.error().message == "database is down");
  CHECK(resolver.stats().shared_errors == 1);

  // Another error of the database's is not covered by the shared copy.
  store.fail = giia::MakeError(giia::ErrorCode::kInternal, "a bug").value();
  {
    std::lock_guard lock(shared.mu);
    shared.down = false;
  }
  auto internal = resolver.Find(kOrg, kUser).Finish();
  REQUIRE_FALSE(internal);
  CHECK(internal.error().code == giia::ErrorCode::kInternal);
}

TEST_CASE("A read that raced an invalidation is written neither here nor to the shared cache",
          "[auth]") {
  giia::testing::ResolveOnlyStore store;
  MemorySharedCache shared;
  {
    giia::auth::PermissionResolver resolver(store, &shared, std::chrono::minutes(5));
    store.on_read = [&] { resolver.Drop(kOrg, kUser); };
    REQUIRE(resolver.Find(kOrg, kUser).Finish());
    CHECK_FALSE(resolver.Find(kOrg, kUser).answered());
    store.on_read = nullptr;
  }
  std::lock_guard lock(shared.mu);
  CHECK(shared.entries.empty());
}

TEST_CASE("An asynchronous store's answer is delivered where its I/O completes, with no rest",
          "[auth]") {
  giia::testing::ResolveOnlyStore store;
  store.asynchronous = true;
  giia::auth::PermissionResolver resolver(store, nullptr, std::chrono::minutes(5));
  using Resolved = giia::auth::PermissionResolver::Resolved;

  auto miss = resolver.Find(kOrg, kUser);
  REQUIRE_FALSE(miss.answered());
  CHECK(miss.asynchronous());
  std::optional<giia::Result<Resolved>> answer;
  int posted = 0;
  std::move(miss).Into([&](giia::Result<Resolved> r) { answer = std::move(r); },
                       [&](std::function<void()> job) {
                         ++posted;
                         job();
                       });
  REQUIRE(store.pending.size() == 1);
  CHECK_FALSE(answer.has_value());  // nothing until the I/O completes
  store.pending.front()(giia::Attempt<giia::testing::ResolveOnlyStore::Found>(
      std::optional<ResolvedPermissions>(Analyst())));
  REQUIRE(answer.has_value());
  REQUIRE(*answer);
  CHECK((**answer)->roles == std::vector<std::string>{"Analyst"});
  CHECK(posted == 0);  // no thread that may wait was needed
  CHECK(store.reads == 0);
  CHECK(resolver.Find(kOrg, kUser).answered());

  // A user who is not there: an answer of null, kept out of memory.
  const giia::UserId other("0b8c4a39-5b0e-4d8f-9a6e-2a9d7c3e1f00");
  auto absent = resolver.Find(kOrg, other);
  std::optional<giia::Result<Resolved>> none;
  std::move(absent).Into([&](giia::Result<Resolved> r) { none = std::move(r); },
                         [&](std::function<void()> job) { job(); });
  REQUIRE(store.pending.size() == 2);
  store.pending.back()(
      giia::Attempt<giia::testing::ResolveOnlyStore::Found>(std::optional<ResolvedPermissions>()));
  REQUIRE(none.has_value());
  REQUIRE(*none);
  CHECK(**none == nullptr);
  CHECK_FALSE(resolver.Find(kOrg, other).answered());
}
