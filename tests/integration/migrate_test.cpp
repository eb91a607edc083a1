// Migrations against a real PostgreSQL, through the core Migrator and the
// PostgreSQL store: the whole schema up and down, checksums, failures, force.
#include <catch2/catch.hpp>

#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::Scalar;
using giia::testing::TestDatabase;

namespace {

constexpr const char* kGiiaTables = R"sql(
SELECT count(*) FROM information_schema.tables
WHERE table_schema IN ('auth', 'catalog', 'giia_migrations'))sql";

constexpr const char* kGiiaSchemas = R"sql(
SELECT count(*) FROM information_schema.schemata
WHERE schema_name IN ('auth', 'catalog', 'giia_migrations'))sql";

std::vector<migrate::Migration> Shipped() { return pg::EmbeddedMigrations().value(); }

}  // namespace

TEST_CASE("up then down --all leaves no giia table, up again works", "[migrate]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  migrate::Migrator migrator(store, Shipped());

  auto up = migrator.Up(std::nullopt, false);
  REQUIRE(up);
  REQUIRE_FALSE(up->error);
  CHECK(up->steps.size() == Shipped().size());
  CHECK(std::stoi(Scalar(db.sql(), kGiiaTables)) > 10);
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM giia_migrations.history WHERE state = 'applied'") ==
        std::to_string(Shipped().size()));
  // The data model is there, with its rules.
  CHECK(Scalar(db.sql(), "SELECT to_regclass('auth.refresh_tokens') IS NOT NULL") == "t");
  CHECK(Scalar(db.sql(), "SELECT to_regclass('catalog.products_sku_trgm_idx') IS NOT NULL") == "t");

  auto down = migrator.Down(std::nullopt, false);
  REQUIRE(down);
  REQUIRE_FALSE(down->error);
  CHECK(down->steps.size() == Shipped().size());
  CHECK(Scalar(db.sql(), kGiiaTables) == "0");
  CHECK(Scalar(db.sql(), kGiiaSchemas) == "0");

  auto again = migrator.Up(std::nullopt, false);
  REQUIRE(again);
  REQUIRE_FALSE(again->error);
  CHECK(again->steps.size() == Shipped().size());
}

TEST_CASE("The schema enforces the data model's rules", "[migrate]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  REQUIRE(migrate::Migrator(store, Shipped()).Up(std::nullopt, false).has_value());
  auto& sql = db.sql();
  const std::string org = "00000000-0000-0000-0000-000000000001";
  auto product = [&](const std::string& sku, const std::string& cost) {
    return sql.Exec(
        "INSERT INTO catalog.products (organization_id, sku, name, standard_cost) "
        "VALUES ($1, $2, 'Widget', $3::numeric) RETURNING id",
        {org, sku, cost});
  };
  auto first = product("SKU-1", "1.50");
  REQUIRE(first);
  auto dup = product("SKU-1", "2");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  auto negative = product("SKU-2", "-1");
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == ErrorCode::kInvalidArgument);
  // A soft-deleted sku can be reused.
  REQUIRE(sql.Exec("UPDATE catalog.products SET deleted_at = now() WHERE id = $1",
                   {first->Text(0, 0)}));
  CHECK(product("SKU-1", "3"));
  // Buffer profile factors stay within DDMRP's ranges.
  auto profile = sql.Exec(
      "INSERT INTO catalog.buffer_profiles (organization_id, name, adu_method, lead_time_factor, "
      "variability_factor) VALUES ($1, 'p', 'average', 1.5, 0.5)",
      {org});
  REQUIRE_FALSE(profile);
  CHECK(profile.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("An applied file whose content changed is refused by name", "[migrate]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  auto shipped = Shipped();
  REQUIRE(migrate::Migrator(store, shipped).Up(1, false).has_value());
  // Ship a changed 0001: same version, other content, other checksum.
  shipped[0].up_sql += "\n-- edited after it was applied\n";
  shipped[0].checksum = std::string(64, 'e');
  migrate::Migrator edited(store, shipped);
  auto status = edited.Status().value();
  CHECK(status[0].state == migrate::FileState::kModified);
  auto refused = edited.Up(std::nullopt, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(refused.error().message, Catch::Contains("auth/0001_identity.up.sql"));
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM giia_migrations.history") == "2");
}

TEST_CASE("A failing file rolls back, shows in status with its error, and force repairs it",
          "[migrate]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  auto catalog = migrate::ForService(Shipped(), "catalog");
  // Someone created the schema by hand: 0001 fails on its first statement.
  REQUIRE(db.sql().Exec("CREATE SCHEMA catalog"));
  migrate::Migrator migrator(store, catalog);
  auto run = migrator.Up(std::nullopt, false).value();
  REQUIRE(run.error);
  CHECK(run.error->code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(run.error->message,
             Catch::Contains("catalog/0001_catalog.up.sql") && Catch::Contains("42P06"));
  // Rolled back: none of the file's tables exist.
  CHECK(Scalar(db.sql(), "SELECT to_regclass('catalog.products') IS NULL") == "t");
  auto status = migrator.Status().value();
  CHECK(status[0].state == migrate::FileState::kFailed);
  CHECK_THAT(status[0].record->error, Catch::Contains("already exists"));
  REQUIRE_FALSE(migrator.Up(std::nullopt, false));  // refused until repaired

  REQUIRE(db.sql().Exec("DROP SCHEMA catalog"));  // the operator fixes the cause...
  REQUIRE(migrator.Force("catalog", 0));          // ...and marks 0001 as not applied
  auto retried = migrator.Up(std::nullopt, false).value();
  CHECK_FALSE(retried.error);
  CHECK(retried.steps.size() == catalog.size());
  CHECK(migrate::AppliedVersion(migrator.Status().value(), "catalog") == catalog.back().version);
}

TEST_CASE("A file applied by another process meanwhile is not run twice", "[migrate]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  auto shipped = migrate::ForService(Shipped(), "auth");
  // Another process applies 0001 between our history read and our Up call.
  REQUIRE(store.Up(shipped[0]).value().outcome == migrate::StepOutcome::kApplied);
  auto second = store.Up(shipped[0]);
  REQUIRE(second);
  CHECK(second->outcome == migrate::StepOutcome::kAlreadyDone);
}

TEST_CASE("The schema probe is ready only at the version this binary ships", "[migrate]") {
  TestDatabase db;
  auto pool = db.MakePool();
  pg::PgMigrationStore store(*pool);
  auto auth = migrate::ForService(Shipped(), "auth");
  pg::ConnectOptions options;
  options.url = db.url();
  pg::SchemaProbe probe(options, "auth", auth);
  auto empty = probe.Check(std::chrono::seconds(2));
  REQUIRE_FALSE(empty);
  CHECK_THAT(empty.error().message,
             Catch::Contains("version 0") &&
                 Catch::Contains("expects " + std::to_string(auth.back().version)));
  REQUIRE(migrate::Migrator(store, auth).Up(2, false));
  CHECK_FALSE(probe.Check(std::chrono::seconds(2)));
  REQUIRE(migrate::Migrator(store, auth).Up(std::nullopt, false));
  CHECK(probe.Check(std::chrono::seconds(2)).has_value());
}
