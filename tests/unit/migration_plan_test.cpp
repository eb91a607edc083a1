#include <catch2/catch.hpp>

#include "adapters/postgres/embedded_migrations.hpp"
#include "core/migrate/migration.hpp"

using namespace giia::migrate;
using giia::ErrorCode;

namespace {

std::vector<Migration> Shipped() {
  std::vector<SqlFile> files = {
      {"auth/0001_identity.up.sql", "create a", "sum-a1"},
      {"auth/0001_identity.down.sql", "drop a", ""},
      {"auth/0002_tokens.up.sql", "create b", "sum-a2"},
      {"auth/0002_tokens.down.sql", "drop b", ""},
      {"catalog/0001_catalog.up.sql", "create c", "sum-c1"},
      {"catalog/0001_catalog.down.sql", "drop c", ""},
  };
  return LoadMigrations(files).value();
}

HistoryRecord Applied(std::string service, int version, std::string checksum) {
  return {std::move(service), version, "x", std::move(checksum), RecordState::kApplied, "", "t", 0};
}

}  // namespace

TEST_CASE("LoadMigrations pairs up and down files and orders them", "[migrate]") {
  auto m = Shipped();
  REQUIRE(m.size() == 3);
  CHECK(m[0].File() == "auth/0001_identity.up.sql");
  CHECK(m[0].down_sql == "drop a");
  CHECK(m[1].version == 2);
  CHECK(m[2].service == "catalog");
}

TEST_CASE("LoadMigrations names the file that breaks the rules", "[migrate]") {
  const std::vector<std::pair<SqlFile, std::string>> cases = {
      {{"auth/init.up.sql", "", ""}, "number"},
      {{"auth/0001_Bad.up.sql", "", ""}, "lower-case"},
      {{"auth/0001_x.sql", "", ""}, ".up.sql"},
      {{"0001_x.up.sql", "", ""}, "<service>"},
      {{"auth/0000_x.up.sql", "", ""}, "1 or more"},
      // Found by tests/fuzz/migration_fuzz: std::stoi threw std::out_of_range.
      {{"auth/99999999999_x.up.sql", "", ""}, "fit an int"},
      {{"auth/2147483648_x.down.sql", "", ""}, "fit an int"},
  };
  for (const auto& [file, why] : cases) {
    INFO(file.path);
    auto r = LoadMigrations(std::vector<SqlFile>{file});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains(file.path) && Catch::Contains(why));
  }
  auto twice = LoadMigrations(
      std::vector<SqlFile>{{"auth/0001_a.up.sql", "", ""}, {"auth/0001_b.up.sql", "", ""}});
  REQUIRE_FALSE(twice);
  CHECK_THAT(twice.error().message, Catch::Contains("repeats"));
  auto orphan = LoadMigrations(std::vector<SqlFile>{{"auth/0001_a.down.sql", "", ""}});
  REQUIRE_FALSE(orphan);
  CHECK_THAT(orphan.error().message, Catch::Contains("no matching .up.sql"));
}

TEST_CASE("ComputeStatus tells applied, pending, failed, modified and unknown", "[migrate]") {
  auto m = Shipped();
  std::vector<HistoryRecord> h = {Applied("auth", 1, "sum-a1"), Applied("auth", 2, "edited"),
                                  Applied("catalog", 1, "sum-c1"), Applied("catalog", 7, "z")};
  h[3].name = "future";
  auto s = ComputeStatus(m, h);
  REQUIRE(s.size() == 4);
  CHECK(s[0].state == FileState::kApplied);
  CHECK(s[1].state == FileState::kModified);
  CHECK(s[2].state == FileState::kApplied);
  CHECK(s[3].state == FileState::kUnknown);
  CHECK(s[3].File() == "catalog/0007_future.up.sql");
  CHECK(AppliedVersion(s, "auth") == 2);
  CHECK(AppliedVersion(s, "catalog") == 7);

  h = {{"auth", 1, "identity", "sum-a1", RecordState::kFailed, "boom", "t", 0}};
  s = ComputeStatus(m, h);
  CHECK(s[0].state == FileState::kFailed);
  CHECK(s[1].state == FileState::kPending);
  CHECK(AppliedVersion(s, "auth") == 0);
}

TEST_CASE("ComputeStatus ignores records of services not selected", "[migrate]") {
  auto auth_only = ForService(Shipped(), "auth");
  auto s = ComputeStatus(auth_only, std::vector<HistoryRecord>{Applied("catalog", 1, "sum-c1")});
  REQUIRE(s.size() == 2);
  CHECK(s[0].state == FileState::kPending);
}

TEST_CASE("PlanUp applies pending files in order, up to --to", "[migrate]") {
  auto m = Shipped();
  auto s = ComputeStatus(m, std::vector<HistoryRecord>{Applied("auth", 1, "sum-a1")});
  auto plan = PlanUp(m, s, std::nullopt).value();
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].File() == "auth/0002_tokens.up.sql");
  CHECK(plan[1].File() == "catalog/0001_catalog.up.sql");
  auto to_one = PlanUp(m, ComputeStatus(m, {}), 1).value();
  CHECK(to_one.size() == 2);  // auth 1 and catalog 1
  auto bad_to = PlanUp(m, s, 9);
  REQUIRE_FALSE(bad_to);
  CHECK(bad_to.error().field == "--to");
}

TEST_CASE("PlanUp refuses while a file is failed or modified, naming it", "[migrate]") {
  auto m = Shipped();
  auto modified = ComputeStatus(m, std::vector<HistoryRecord>{Applied("auth", 1, "other")});
  auto r = PlanUp(m, modified, std::nullopt);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(r.error().message, Catch::Contains("auth/0001_identity.up.sql") &&
                                    Catch::Contains("changed after it was applied"));
  auto failed = ComputeStatus(
      m, std::vector<HistoryRecord>{{"auth", 1, "identity", "sum-a1", RecordState::kFailed,
                                     "syntax error at line 3", "t", 0}});
  r = PlanUp(m, failed, std::nullopt);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("syntax error at line 3") &&
                                    Catch::Contains("giia migrate force 0 --service auth --yes"));
}

TEST_CASE("PlanDown reverts newest first and refuses what it cannot revert", "[migrate]") {
  auto m = Shipped();
  std::vector<HistoryRecord> h = {Applied("auth", 1, "sum-a1"), Applied("auth", 2, "sum-a2"),
                                  Applied("catalog", 1, "sum-c1")};
  auto s = ComputeStatus(m, h);
  auto all = PlanDown(m, s, std::nullopt).value();
  REQUIRE(all.size() == 3);
  CHECK(all[0].File() == "catalog/0001_catalog.up.sql");
  CHECK(all[1].version == 2);
  CHECK(all[2].version == 1);
  CHECK(PlanDown(m, s, 1).value().size() == 1);
  CHECK(PlanDown(m, ComputeStatus(m, {}), std::nullopt).value().empty());

  h.push_back(Applied("catalog", 9, "x"));
  auto unknown = PlanDown(m, ComputeStatus(m, h), 1);
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.error().message, Catch::Contains("does not ship it"));
}

TEST_CASE("The embedded migrations load, each with a down file and a sha256", "[migrate]") {
  auto m = giia::pg::EmbeddedMigrations();
  REQUIRE(m);
  REQUIRE(m->size() >= 10);  // at least what shipped when this test was written
  for (const Migration& x : *m) {
    INFO(x.File());
    CHECK_FALSE(x.up_sql.empty());
    CHECK_FALSE(x.down_sql.empty());
    CHECK(x.checksum.size() == 64);
  }
  CHECK(ForService(*m, "auth").size() + ForService(*m, "catalog").size() == m->size());
}

TEST_CASE("CheckSchemaCurrent says what is behind and what to run", "[migrate]") {
  auto m = Shipped();
  auto auth = ForService(m, "auth");
  CHECK(CheckSchemaCurrent(
            ComputeStatus(auth, std::vector<HistoryRecord>{Applied("auth", 1, "sum-a1"),
                                                           Applied("auth", 2, "sum-a2")}),
            "auth")
            .has_value());
  auto behind = CheckSchemaCurrent(
      ComputeStatus(auth, std::vector<HistoryRecord>{Applied("auth", 1, "sum-a1")}), "auth");
  REQUIRE_FALSE(behind);
  CHECK(behind.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(behind.error().message, Catch::Contains("version 1") && Catch::Contains("expects 2") &&
                                         Catch::Contains("giia migrate up --service auth"));
  auto modified = CheckSchemaCurrent(
      ComputeStatus(auth, std::vector<HistoryRecord>{Applied("auth", 1, "sum-a1"),
                                                     Applied("auth", 2, "edited")}),
      "auth");
  REQUIRE_FALSE(modified);
  CHECK_THAT(modified.error().message, Catch::Contains("modified"));
  // A database newer than the binary is not "behind".
  CHECK(CheckSchemaCurrent(
            ComputeStatus(auth, std::vector<HistoryRecord>{Applied("auth", 1, "sum-a1"),
                                                           Applied("auth", 2, "sum-a2"),
                                                           Applied("auth", 3, "x")}),
            "auth")
            .has_value());
}
