#pragma once
// Behaviour every AuthTransactionRunner must show. Run against the fake (unit
// tests) and the PostgreSQL adapter (integration tests).

#include <catch2/catch.hpp>

#include "core/auth/ports.hpp"
#include "core/auth/seed_roles.hpp"

namespace giia::testing {

inline void CheckAuthStoreContract(auth::AuthTransactionRunner& store) {
  // Inserting a plan twice adds nothing the second time.
  const auth::RbacManifest& manifest = auth::BuiltInRbac();
  auth::SeedPlan plan;
  REQUIRE(store
              .Run([&](auth::AuthTx& tx) -> Status {
                auto state = tx.rbac().LoadGlobal();
                REQUIRE(state);
                plan = auth::PlanSeed(manifest, *state);
                return Ok();
              })
              .has_value());
  CHECK(plan.roles.size() == 4);
  CHECK(plan.permissions.size() == 18);
  CHECK(plan.grants.size() == 35);
  for (int round = 0; round < 2; ++round) {
    auth::SeedCounts added;
    REQUIRE(store
                .Run([&](auth::AuthTx& tx) -> Status {
                  auto counts = tx.rbac().Insert(plan);
                  REQUIRE(counts);
                  added = *counts;
                  return Ok();
                })
                .has_value());
    CHECK(added.roles == (round == 0 ? 4 : 0));
    CHECK(added.permissions == (round == 0 ? 18 : 0));
    CHECK(added.grants == (round == 0 ? 35 : 0));
  }

  // Work that fails is rolled back: the organization it made is gone.
  auto failed = store.Run([&](auth::AuthTx& tx) -> Status {
    auto org = tx.organizations().FindOrCreate("contract-rollback", "Rollback Inc");
    REQUIRE(org);
    return MakeError(ErrorCode::kAborted, "changed my mind");
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::kAborted);

  // FindOrCreate is idempotent per slug; e-mails are unique among live users,
  // and the error of a duplicate rolls back the whole transaction.
  auto duplicate = store.Run([&](auth::AuthTx& tx) -> Status {
    auto a = tx.organizations().FindOrCreate("contract-org", "Contract Org");
    auto b = tx.organizations().FindOrCreate("contract-org", "Contract Org");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    auth::NewUser user;
    user.organization = *a;
    user.email = "contract@example.com";
    user.password_hash = "$argon2id$not-a-real-hash";
    auto id = tx.users().Insert(user);
    REQUIRE(id);
    auto again = tx.users().Insert(user);
    if (!again) return tl::unexpected(again.error());
    return Ok();
  });
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().code == ErrorCode::kAlreadyExists);
  CHECK(duplicate.error().field == "email");
  REQUIRE(store
              .Run([&](auth::AuthTx& tx) -> Status {
                auto found = tx.users().FindByEmail("contract@example.com");
                REQUIRE(found);
                CHECK_FALSE(found->has_value());
                return Ok();
              })
              .has_value());
}

}  // namespace giia::testing
