// `giia bench` as a process against `giia serve auth` and `giia serve
// catalog` (real PostgreSQL, Redis and NATS): --setup creates an
// organization, an admin and products, the run is reported as JSON, and
// every row of that organization is gone afterwards (unless --keep);
// --fail-if and --compare exit 3 on a regression, a bad expression exits 1,
// an unreachable server 2. Only counts, orders and exit codes are checked,
// never how fast anything was. check-permission-cold: --setup adds a pool
// of users, every one of them is asked about once and each answer came
// from the database (auth's cache-miss counter), and the pool is removed.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"

using giia::testing::AuthServer;
using giia::testing::CatalogServer;
using giia::testing::ProcessResult;
using giia::testing::RunGiia;
using nlohmann::json;

namespace {

std::string Count(AuthServer& auth, const std::string& sql) {
  return giia::testing::Scalar(auth.db().sql(), sql);
}

// Rows anywhere that belong to `org` (live or soft-deleted); the catalog's
// tables only when a catalog migrated them.
void CheckNoRowsOf(AuthServer& auth, const std::string& org, bool catalog = true) {
  const std::string where = " WHERE organization_id = '" + org + "'";
  CHECK(Count(auth, "SELECT count(*) FROM auth.organizations WHERE id = '" + org + "'") == "0");
  for (const char* table :
       {"auth.users", "auth.user_roles", "auth.refresh_tokens", "auth.roles", "catalog.products",
        "catalog.suppliers", "catalog.buffer_profiles", "catalog.product_suppliers"}) {
    if (!catalog && std::string_view(table).starts_with("catalog.")) continue;
    INFO(table);
    CHECK(Count(auth, std::string("SELECT count(*) FROM ") + table + where) == "0");
  }
}

json ParseOutput(const ProcessResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json out = json::parse(r.out, nullptr, false);
  INFO(r.out);
  REQUIRE(out.is_object());
  return out;
}

// The value of a counter without labels in a Prometheus text page.
double MetricValue(const std::string& page, const std::string& name) {
  const std::size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + name.size() + 2));
}

std::string TempFile(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("giia-bench-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST_CASE("bench --setup: get-product reported as JSON, and the organization removed after",
          "[bench]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  const std::vector<std::string> targets = {"--auth", auth.grpc_address(), "--catalog",
                                            catalog.grpc_address()};
  auto bench = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "bench");
    args.insert(args.end(), targets.begin(), targets.end());
    return RunGiia(args, auth.env());
  };

  const json out = ParseOutput(bench({"--setup", "--products", "50", "--scenario", "get-product",
                                      "-n", "200", "-c", "4", "--output", "json"}));
  CHECK(out["schema"] == "giia.bench/v1");
  CHECK(out["scenario"] == "get-product");
  CHECK(out["rpc"] == "giia.catalog.v1.CatalogService/GetProduct");
  CHECK(out["count"] == 200);
  CHECK(out["errors"] == 0);
  CHECK(out["status_codes"] == json({{"OK", 200}}));
  CHECK(out["error_messages"].empty());
  CHECK(out["options"]["concurrency"] == 4);
  CHECK(out["rps"].get<double>() > 0);
  const json& l = out["latency_ns"];
  std::uint64_t previous = l["min"].get<std::uint64_t>();
  CHECK(previous > 0);
  for (const char* p : {"p50", "p75", "p90", "p95", "p99", "p99.9", "max"}) {
    INFO(p << " " << l.dump());
    CHECK(l[p].get<std::uint64_t>() >= previous);
    previous = l[p].get<std::uint64_t>();
  }
  CHECK(l["avg"].get<double>() >= l["min"].get<double>());
  CHECK(l["avg"].get<double>() <= l["max"].get<double>());
  std::uint64_t binned = 0;
  for (const json& bin : out["histogram"]) binned += bin["count"].get<std::uint64_t>();
  CHECK(binned == 200);

  const json& setup = out["setup"];
  CHECK(setup["products"] == 50);
  CHECK(setup["kept"] == false);
  CHECK(setup["removed"] == true);
  CHECK(setup["rows_removed"] == 52);  // 50 products, the admin, the organization
  const std::string org = setup["organization_id"];
  CheckNoRowsOf(auth, org);
  CHECK(Count(auth, "SELECT count(*) FROM auth.organizations WHERE slug LIKE 'giia-bench-%'") ==
        "0");

  {  // --keep leaves the organization, its admin and its products.
    const json kept =
        ParseOutput(bench({"--setup", "--keep", "--products", "5", "--scenario", "list-products",
                           "-n", "20", "-c", "2", "--output", "json"}));
    CHECK(kept["errors"] == 0);
    const std::string kept_org = kept["setup"]["organization_id"];
    CHECK(Count(auth, "SELECT count(*) FROM catalog.products WHERE organization_id = '" + kept_org +
                          "'") == "5");
    CHECK(Count(auth, "SELECT status FROM auth.users WHERE organization_id = '" + kept_org + "'") ==
          "active");
  }
}

TEST_CASE(
    "bench --fail-if and --compare exit 3 on a regression, 1 on a bad expression, 2 when "
    "unreachable",
    "[bench]") {
  AuthServer auth;
  const json admin = auth.RegisterAdmin("bench@fail.example", "Bench Fail Co");
  const std::string token = admin["access_token"];
  auto bench = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"bench", "--auth", auth.grpc_address(), "-n", "50", "-c", "2"});
    return RunGiia(args, auth.env());
  };

  // Every gRPC call takes more than a nanosecond.
  ProcessResult slow =
      bench({"--scenario", "validate-token", "--token", token, "--fail-if", "p50>1ns,rps<0"});
  INFO(slow.err);
  CHECK(slow.exit_code == 3);
  CHECK_THAT(slow.err, Catch::Contains("--fail-if \"p50>1ns,rps<0\": p50 "));
  CHECK_THAT(slow.out, Catch::Contains("fail-if (p50>1ns,rps<0): 1 condition met"));
  CHECK_THAT(slow.out, Catch::Contains("[OK]   50 responses"));
  CHECK(slow.err.find(token) == std::string::npos);

  ProcessResult fine = bench({"--scenario", "health", "--fail-if", "p50<1ns,errors>0"});
  INFO(fine.err);
  CHECK(fine.exit_code == 0);
  CHECK_THAT(fine.out, Catch::Contains("fail-if (p50<1ns,errors>0): passed"));

  const json previous = ParseOutput(bench({"--scenario", "health", "--output", "json"}));
  const std::string file = TempFile("previous.json", previous.dump());
  // p50 above 0% of the previous p50, i.e. above 0: always.
  ProcessResult regressed =
      bench({"--scenario", "health", "--compare", file, "--fail-if", "p50>-100%"});
  INFO(regressed.err);
  CHECK(regressed.exit_code == 3);
  CHECK_THAT(regressed.out, Catch::Contains("Compared with " + file));
  ProcessResult same = bench(
      {"--scenario", "health", "--compare", file, "--fail-if", "errors>+0%", "--output", "json"});
  const json compared = ParseOutput(same);
  CHECK(compared["fail_if"]["passed"] == true);
  CHECK(compared["compare"]["deltas"]["p50"]["previous"] == previous["latency_ns"]["p50"]);

  ProcessResult bad = bench({"--scenario", "health", "--fail-if", "p99>2"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("--fail-if \"p99>2\"") && Catch::Contains("unit"));
  ProcessResult no_file = bench({"--scenario", "health", "--compare", file + ".missing"});
  CHECK(no_file.exit_code == 1);
  CHECK_THAT(no_file.err, Catch::Contains("--compare"));

  ProcessResult away =
      RunGiia({"bench", "--scenario", "health", "--auth",
               "127.0.0.1:" + std::to_string(giia::testing::FreePort()), "--connect-timeout", "1s"},
              auth.env());
  CHECK(away.exit_code == 2);
  CHECK_THAT(away.err, Catch::Contains("(--auth)"));
  std::filesystem::remove(file);
}

TEST_CASE("bench check-permission-cold: a pool of users, each asked about once, then removed",
          "[bench]") {
  AuthServer auth;
  auto bench = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"bench", "--auth", auth.grpc_address()});
    return RunGiia(args, auth.env());
  };
  const std::string misses = "giia_permission_cache_misses_total";
  const double before = MetricValue(auth.Get("/metrics").raw, misses);
  REQUIRE(before >= 0);

  const ProcessResult r = bench({"--setup", "--users", "40", "--scenario", "check-permission-cold",
                                 "-n", "40", "-c", "4", "--output", "json"});
  const json out = ParseOutput(r);
  CHECK(r.err.find("warning") == std::string::npos);
  CHECK(out["scenario"] == "check-permission-cold");
  CHECK(out["rpc"] == "giia.auth.v1.AuthService/CheckPermission");
  CHECK(out["count"] == 40);
  CHECK(out["errors"] == 0);
  CHECK(out["status_codes"] == json({{"OK", 40}}));
  const json& setup = out["setup"];
  CHECK(setup["users"] == 40);
  CHECK(setup["removed"] == true);
  CHECK(setup["rows_removed"] == 42);  // the pool, the admin, the organization
  CheckNoRowsOf(auth, setup["organization_id"], false);
  // Each of the 40 users was resolved from the database (no cache had them).
  const double after = MetricValue(auth.Get("/metrics").raw, misses);
  CHECK(after - before >= 40);

  // More calls than users: the later ones are warm, and the run says so.
  const ProcessResult small =
      bench({"--setup", "--users", "5", "--scenario", "check-permission-cold", "-n", "20", "-c",
             "2", "--output", "json"});
  const json small_out = ParseOutput(small);
  CHECK(small_out["errors"] == 0);
  CHECK_THAT(small.err, Catch::Contains("warning: 20 calls") && Catch::Contains("over 5 users"));
  CheckNoRowsOf(auth, small_out["setup"]["organization_id"], false);

  // Login rotates over the pool: 12 logins at once, none refused by the
  // 5-in-flight limit of one account.
  const json logins = ParseOutput(bench({"--setup", "--users", "6", "--scenario", "login", "-n",
                                         "12", "-c", "6", "--output", "json"}));
  CHECK(logins["errors"] == 0);
  CHECK(logins["setup"]["users"] == 6);

  // Without --setup there is nobody to ask about: a usage error, nothing attempted.
  const ProcessResult no_setup = bench({"--scenario", "check-permission-cold", "-n", "1"});
  CHECK(no_setup.exit_code == 1);
  CHECK_THAT(no_setup.err, Catch::Contains("--setup") && Catch::Contains("--users"));
}
