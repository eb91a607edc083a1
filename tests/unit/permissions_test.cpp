// The permission resolver's memory-only mode (core/common/would_block.hpp):
// what lets the gRPC server answer cached permission checks on its own thread.
#include "core/auth/permissions.hpp"

#include <catch2/catch.hpp>

#include "core/common/would_block.hpp"
#include "support/resolve_only_store.hpp"

namespace {
const giia::OrganizationId kOrg("7a6b0e55-2f4c-4b2a-8c9d-0e1f2a3b4c5d");
const giia::UserId kUser("3f1c9f0e-7d5b-4f7e-9a55-1b0b6f1c2d3e");
}  // namespace

TEST_CASE("Memory-only, the resolver answers hits and throws WouldBlock before any read",
          "[unit][auth]") {
  giia::testing::ResolveOnlyStore store;
  giia::auth::PermissionResolver resolver(store, nullptr, std::chrono::minutes(5));
  {
    giia::MemoryOnlyScope memory_only;
    CHECK_THROWS_AS(resolver.Get(kOrg, kUser), giia::WouldBlock);
  }
  CHECK(store.reads == 0);
  CHECK(resolver.stats().misses == 0);

  auto filled = resolver.Get(kOrg, kUser);  // outside the scope: reads the store
  REQUIRE(filled);
  CHECK(store.reads == 1);
  {
    giia::MemoryOnlyScope memory_only;
    auto hit = resolver.Get(kOrg, kUser);
    REQUIRE(hit);
    REQUIRE(hit->has_value());
    CHECK(giia::auth::Holds(**hit, "catalog:read"));
    CHECK_FALSE(giia::auth::Holds(**hit, "catalog:write"));
  }
  CHECK(store.reads == 1);
  CHECK(resolver.stats().local_hits == 1);
}

TEST_CASE("A memory-only scope ends with its block, and nests", "[unit][auth]") {
  CHECK_FALSE(giia::MemoryOnlyScope::Active());
  CHECK_NOTHROW(giia::ThrowIfMemoryOnly());
  {
    giia::MemoryOnlyScope outer;
    {
      giia::MemoryOnlyScope inner;
      CHECK(giia::MemoryOnlyScope::Active());
    }
    CHECK(giia::MemoryOnlyScope::Active());
    CHECK_THROWS_AS(giia::ThrowIfMemoryOnly(), giia::WouldBlock);
  }
  CHECK_FALSE(giia::MemoryOnlyScope::Active());
}
