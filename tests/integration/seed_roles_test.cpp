// seed-roles' use cases against a real PostgreSQL and real argon2id.
#include "core/auth/seed_roles.hpp"

#include <catch2/catch.hpp>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/postgres/auth_store.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::Scalar;
using giia::testing::TestDatabase;

namespace {

constexpr const char* kSummary = R"sql(
SELECT string_agg(name || ':' || level || ':' || n, ',' ORDER BY level) FROM (
  SELECT r.name, r.level, count(rp.permission_id) AS n FROM auth.roles r
  LEFT JOIN auth.role_permissions rp ON rp.role_id = r.id
  WHERE r.organization_id IS NULL GROUP BY r.name, r.level) s)sql";

void Migrate(TestDatabase& db, pg::Pool& pool) {
  pg::PgMigrationStore store(pool);
  auto up = migrate::Migrator(store, migrate::ForService(pg::EmbeddedMigrations().value(), "auth"))
                .Up(std::nullopt, false);
  REQUIRE(up);
  REQUIRE_FALSE(up->error);
  (void)db;
}

}  // namespace

TEST_CASE("SeedRoles stores the 4 roles and 18 permissions, and twice gives the same rows",
          "[auth]") {
  TestDatabase db;
  auto pool = db.MakePool();
  Migrate(db, *pool);
  pg::PgAuthStore store(*pool);
  auth::SeedRoles seed(store, auth::BuiltInRbac());
  auto first = seed.Run(false);
  REQUIRE(first);
  CHECK(first->added.grants == 35);
  const std::string expected = "Admin:1:18,Manager:2:10,Analyst:3:4,Viewer:4:3";
  CHECK(Scalar(db.sql(), kSummary) == expected);
  const std::string ids =
      Scalar(db.sql(), "SELECT string_agg(id::text, ',' ORDER BY name) FROM auth.roles");
  auto second = seed.Run(false);
  REQUIRE(second);
  CHECK(second->plan.empty());
  CHECK(Scalar(db.sql(), kSummary) == expected);
  CHECK(Scalar(db.sql(), "SELECT string_agg(id::text, ',' ORDER BY name) FROM auth.roles") == ids);
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.permissions") == "18");
}

TEST_CASE("BootstrapAdmin stores an argon2id hash and the Admin role, once", "[auth]") {
  TestDatabase db;
  auto pool = db.MakePool();
  Migrate(db, *pool);
  REQUIRE(crypto::InitSodium());
  pg::PgAuthStore store(*pool);
  REQUIRE(auth::SeedRoles(store, auth::BuiltInRbac()).Run(false));
  crypto::Argon2idHasher hasher({1, 8 * 1024 * 1024});  // cheap parameters: a test
  auth::BootstrapAdmin bootstrap(store, hasher);
  auto made = bootstrap.Run("Root@Example.com", "a long passphrase", false);
  REQUIRE(made);
  CHECK(made->created);
  const std::string hash =
      Scalar(db.sql(), "SELECT password_hash FROM auth.users WHERE email = 'root@example.com'");
  CHECK_THAT(hash, Catch::StartsWith("$argon2id$"));
  CHECK(*hasher.Verify(hash, "a long passphrase"));
  CHECK_FALSE(*hasher.Verify(hash, "a wrong passphrase"));
  CHECK(Scalar(db.sql(), R"sql(
SELECT r.name || '/' || o.slug || '/' || u.status || '/' || (u.email_verified_at IS NOT NULL)
FROM auth.users u JOIN auth.user_roles ur ON ur.user_id = u.id
JOIN auth.roles r ON r.id = ur.role_id JOIN auth.organizations o ON o.id = ur.organization_id)sql") ==
        "Admin/default/active/true");
  auto again = bootstrap.Run("root@example.com", "another passphrase", false);
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.users") == "1");
  CHECK(Scalar(db.sql(), "SELECT password_hash FROM auth.users") == hash);
}
