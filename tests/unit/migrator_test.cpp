#include "core/migrate/migrator.hpp"

#include <catch2/catch.hpp>

#include "support/fakes.hpp"

using namespace giia::migrate;
using giia::ErrorCode;
using giia::testing::FakeMigrationStore;

namespace {
std::vector<Migration> Three(const std::string& second_sql = "ok") {
  return {{"auth", 1, "a", "ok", "undo", "c1"},
          {"auth", 2, "b", second_sql, "undo", "c2"},
          {"auth", 3, "c", "ok", "undo", "c3"}};
}
}  // namespace

TEST_CASE("Migrator.Up applies each pending file once, and a second run does nothing",
          "[migrate]") {
  FakeMigrationStore store;
  Migrator migrator(store, Three());
  auto first = migrator.Up(std::nullopt, false).value();
  CHECK(first.steps.size() == 3);
  CHECK_FALSE(first.error);
  auto second = migrator.Up(std::nullopt, false).value();
  CHECK(second.planned.empty());
  CHECK(store.ran.size() == 3);
}

TEST_CASE("Migrator.Up --dry-run plans without running anything", "[migrate]") {
  FakeMigrationStore store;
  Migrator migrator(store, Three());
  auto report = migrator.Up(2, true).value();
  CHECK(report.planned.size() == 2);
  CHECK(report.steps.empty());
  CHECK(store.history.empty());
}

TEST_CASE("A failing file stops the run, is recorded as failed, and force repairs it",
          "[migrate]") {
  FakeMigrationStore store;
  Migrator broken(store, Three("FAIL"));
  auto report = broken.Up(std::nullopt, false).value();
  REQUIRE(report.error);
  CHECK(report.steps.size() == 1);  // file 1 ran, file 2 failed, file 3 never ran
  auto status = broken.Status().value();
  CHECK(status[1].state == FileState::kFailed);
  CHECK(status[2].state == FileState::kPending);
  // Refused until repaired.
  auto refused = broken.Up(std::nullopt, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kFailedPrecondition);

  Migrator fixed(store, Three());  // the operator fixed the cause
  REQUIRE(fixed.Force("auth", 1).has_value());
  auto retried = fixed.Up(std::nullopt, false).value();
  CHECK_FALSE(retried.error);
  CHECK(retried.steps.size() == 2);
  CHECK(AppliedVersion(fixed.Status().value(), "auth") == 3);
}

TEST_CASE("Migrator.Force checks its version and service", "[migrate]") {
  FakeMigrationStore store;
  Migrator migrator(store, Three());
  auto bad = migrator.Force("auth", 9);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "version");
  auto all = migrator.Force("all", 1);
  REQUIRE_FALSE(all);
  CHECK(all.error().field == "--service");
  REQUIRE(migrator.Force("auth", 0).has_value());
}

TEST_CASE("Migrator.Down reverts the last N, or all", "[migrate]") {
  FakeMigrationStore store;
  Migrator migrator(store, Three());
  REQUIRE(migrator.Up(std::nullopt, false).has_value());
  auto one = migrator.Down(1, false).value();
  REQUIRE(one.steps.size() == 1);
  CHECK(one.planned[0].version == 3);
  auto rest = migrator.Down(std::nullopt, false).value();
  CHECK(rest.steps.size() == 2);
  CHECK(store.history.empty());
}

TEST_CASE("An unreachable database is reported as UNAVAILABLE", "[migrate]") {
  FakeMigrationStore store;
  store.down = true;
  Migrator migrator(store, Three());
  auto r = migrator.Up(std::nullopt, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
}
