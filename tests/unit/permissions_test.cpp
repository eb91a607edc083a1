// The permission resolver's two parts: what memory answers at once, and the
// rest that reads (what lets the gRPC server answer cached permission checks
// on its own thread and go on from a miss without starting over).
#include "core/auth/permissions.hpp"

#include <catch2/catch.hpp>

#include "support/resolve_only_store.hpp"

namespace {
const giia::OrganizationId kOrg("7a6b0e55-2f4c-4b2a-8c9d-0e1f2a3b4c5d");
const giia::UserId kUser("3f1c9f0e-7d5b-4f7e-9a55-1b0b6f1c2d3e");
}  // namespace

TEST_CASE("The resolver answers a hit at once and leaves a miss's read to its rest", "[auth]") {
  giia::testing::ResolveOnlyStore store;
  giia::auth::PermissionResolver resolver(store, nullptr, std::chrono::minutes(5));
  auto miss = resolver.Find(kOrg, kUser);
  CHECK_FALSE(miss.answered());
  CHECK(store.reads == 0);  // nothing read until the rest runs
  CHECK(resolver.stats().misses == 0);

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
  // Dropped before its rest runs: the rest reads after the change, and keeps it.
  auto before = resolver.Find(kOrg, kUser);
  REQUIRE_FALSE(before.answered());
  resolver.Drop(kOrg, kUser);
  REQUIRE(std::move(before).Finish());
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
