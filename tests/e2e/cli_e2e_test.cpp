// The giia binary as operators and CI run it: exit codes, output, and what
// happens against a real PostgreSQL, a stopped one, and bad input.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/postgres/embedded_migrations.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

using giia::testing::ClosedPort;
using giia::testing::Process;
using giia::testing::ProcessEnv;
using giia::testing::RunGiia;
using giia::testing::Scalar;
using giia::testing::TestDatabase;
using nlohmann::json;

namespace {
// What this binary ships, so the tests follow when a migration is added.
std::vector<giia::migrate::Migration> Shipped(const std::string& service = "") {
  auto all = giia::pg::EmbeddedMigrations().value();
  return service.empty() ? all : giia::migrate::ForService(all, service);
}
}  // namespace

namespace {

ProcessEnv Env(const TestDatabase& db) {
  return {{"DATABASE_URL", db.url()}, {"LOG_FORMAT", "text"}};
}

std::string Explain(const giia::testing::ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("giia --help, version and unknown input", "[cli]") {
  auto help = RunGiia({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("migrate") && Catch::Contains("seed-roles") &&
                           Catch::Contains("config") && Catch::Contains("Exit codes"));
  auto version = RunGiia({"version", "--output", "json"});
  REQUIRE(version.exit_code == 0);
  auto v = json::parse(version.out);
  CHECK(v["version"] == "0.1.0");
  CHECK(v["libraries"].contains("libpq"));
  CHECK(RunGiia({"frobnicate"}).exit_code == 1);
  CHECK(RunGiia({}).exit_code == 1);
  auto bad_flag = RunGiia({"migrate", "up", "--frobnicate"});
  CHECK(bad_flag.exit_code == 1);
  CHECK_THAT(bad_flag.err, Catch::Contains("--frobnicate"));
  CHECK(RunGiia({"migrate", "down"}, {{"DATABASE_URL", "postgres://x@127.0.0.1/x"}}).exit_code ==
        1);
  CHECK(RunGiia({"migrate", "force", "1", "--service", "auth"},
                {{"DATABASE_URL", "postgres://x@127.0.0.1/x"}})
            .exit_code == 1);
}

TEST_CASE("migrate up, status, version and down --all through the binary", "[migrate]") {
  TestDatabase db;
  auto pending = RunGiia({"migrate", "status", "--exit-code"}, Env(db));
  CHECK(pending.exit_code == 3);
  CHECK_THAT(pending.out, Catch::Contains("pending"));

  auto dry = RunGiia({"migrate", "up", "--dry-run"}, Env(db));
  REQUIRE(dry.exit_code == 0);
  CHECK(Lines(dry.out) == static_cast<int>(Shipped().size()));
  CHECK_THAT(dry.out, Catch::Contains("would run auth/0001_identity.up.sql"));
  CHECK(Scalar(db.sql(), "SELECT to_regclass('giia_migrations.history') IS NULL") == "t");

  auto up = RunGiia({"migrate", "up"}, Env(db));
  REQUIRE(up.exit_code == 0);
  CHECK_THAT(up.out, Catch::Contains("applied catalog/0003_events.up.sql"));
  auto status = RunGiia({"migrate", "status", "--exit-code", "--output", "json"}, Env(db));
  REQUIRE(status.exit_code == 0);
  auto s = json::parse(status.out);
  CHECK(s["pending"] == false);
  CHECK(s["migrations"].size() == Shipped().size());
  CHECK(s["migrations"][0]["state"] == "applied");

  auto version = RunGiia({"migrate", "version", "--output", "json"}, Env(db));
  REQUIRE(version.exit_code == 0);
  auto v = json::parse(version.out);
  CHECK(v["auth"]["version"] == Shipped("auth").back().version);
  CHECK(v["catalog"]["version"] == Shipped("catalog").back().version);

  auto down_one = RunGiia({"migrate", "down", "1", "--service", "auth"}, Env(db));
  REQUIRE(down_one.exit_code == 0);
  std::string last_auth = Shipped("auth").back().File();  // auth/NNNN_name.up.sql
  last_auth.replace(last_auth.find(".up.sql"), 7, ".down.sql");
  CHECK_THAT(down_one.out, Catch::Contains("reverted " + last_auth));
  auto down_all = RunGiia({"migrate", "down", "--all"}, Env(db));
  REQUIRE(down_all.exit_code == 0);
  CHECK(Scalar(db.sql(), R"sql(SELECT count(*) FROM information_schema.tables
                              WHERE table_schema IN ('auth', 'catalog', 'giia_migrations'))sql") ==
        "0");
}

TEST_CASE("Two migrate up processes started together both exit 0, and every file is applied once",
          "[migrate]") {
  TestDatabase db;
  Process a({"migrate", "up", "--output", "json"}, Env(db));
  Process b({"migrate", "up", "--output", "json"}, Env(db));
  auto ra = a.Wait();
  auto rb = b.Wait();
  INFO(Explain(ra) << "\n" << Explain(rb));
  REQUIRE(ra.exit_code == 0);
  REQUIRE(rb.exit_code == 0);
  auto ja = json::parse(ra.out);
  auto jb = json::parse(rb.out);
  // Each file was run by exactly one of the two.
  std::map<std::string, int> runs;
  for (const auto* j : {&ja, &jb}) {
    if (j->contains("applied")) {
      for (const auto& f : (*j)["applied"]) runs[f["file"]]++;
    }
  }
  CHECK(runs.size() == Shipped().size());
  for (const auto& [file, count] : runs) {
    INFO(file);
    CHECK(count == 1);
  }
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM giia_migrations.history") ==
        std::to_string(Shipped().size()));
}

TEST_CASE("An edited applied file is refused by name with exit 3", "[migrate]") {
  TestDatabase db;
  REQUIRE(RunGiia({"migrate", "up"}, Env(db)).exit_code == 0);
  // The binary now ships a different 0002 than the one applied.
  REQUIRE(
      db.sql().Exec("UPDATE giia_migrations.history SET checksum = repeat('0', 64) "
                    "WHERE service = 'auth' AND version = 2"));
  auto up = RunGiia({"migrate", "up"}, Env(db));
  CHECK(up.exit_code == 3);
  CHECK_THAT(up.err, Catch::Contains("auth/0002_tokens.up.sql") &&
                         Catch::Contains("changed after it was applied"));
  auto status = RunGiia({"migrate", "status", "--exit-code"}, Env(db));
  CHECK(status.exit_code == 3);
  CHECK_THAT(status.out, Catch::Contains("modified"));
  const std::string latest = std::to_string(Shipped("auth").back().version);
  auto force = RunGiia({"migrate", "force", latest, "--service", "auth", "--yes"}, Env(db));
  REQUIRE(force.exit_code == 0);
  CHECK(RunGiia({"migrate", "status", "--exit-code"}, Env(db)).exit_code == 0);
}

TEST_CASE("A failing file shows in status with its error, and force repairs it", "[migrate]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE SCHEMA catalog"));  // 0001 of catalog will fail
  auto up = RunGiia({"migrate", "up"}, Env(db));
  CHECK(up.exit_code == 3);
  CHECK_THAT(up.err, Catch::Contains("catalog/0001_catalog.up.sql"));
  CHECK_THAT(up.out, Catch::Contains("applied auth/0004_events.up.sql"));
  auto status = RunGiia({"migrate", "status", "--output", "json"}, Env(db));
  REQUIRE(status.exit_code == 0);
  auto s = json::parse(status.out);
  json failed;
  for (const auto& m : s["migrations"]) {
    if (m["state"] == "failed") failed = m;
  }
  REQUIRE(failed.is_object());
  CHECK(failed["file"] == "catalog/0001_catalog.up.sql");
  CHECK_THAT(failed["error"].get<std::string>(), Catch::Contains("already exists"));
  CHECK(RunGiia({"migrate", "up"}, Env(db)).exit_code == 3);  // refused until repaired

  REQUIRE(db.sql().Exec("DROP SCHEMA catalog"));
  auto force = RunGiia({"migrate", "force", "0", "--service", "catalog", "--yes"}, Env(db));
  REQUIRE(force.exit_code == 0);
  auto retry = RunGiia({"migrate", "up"}, Env(db));
  INFO(Explain(retry));
  CHECK(retry.exit_code == 0);
  CHECK(RunGiia({"migrate", "status", "--exit-code"}, Env(db)).exit_code == 0);
}

TEST_CASE("seed-roles twice gives the same rows, and --dry-run changes nothing", "[auth]") {
  TestDatabase db;
  REQUIRE(RunGiia({"migrate", "up"}, Env(db)).exit_code == 0);
  auto dry = RunGiia({"seed-roles", "--dry-run", "--output", "json"}, Env(db));
  REQUIRE(dry.exit_code == 0);
  auto d = json::parse(dry.out);
  CHECK(d["missing"]["roles"] == 4);
  CHECK(d["missing"]["grants"] == 35);
  CHECK(d["roles"].size() == 4);
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.roles") == "0");
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.permissions") == "0");

  auto first = RunGiia({"seed-roles"}, Env(db));
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("added 4 roles, 18 permissions, 35 grants"));
  CHECK_THAT(first.out, Catch::Contains("Admin    1      18"));
  CHECK_THAT(first.out, Catch::Contains("Viewer   4      3"));
  auto second = RunGiia({"seed-roles"}, Env(db));
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.out, Catch::Contains("added 0 roles, 0 permissions, 0 grants"));
  // The same table both times, after the first line.
  CHECK(first.out.substr(first.out.find('\n')) == second.out.substr(second.out.find('\n')));
}

TEST_CASE("seed-roles --admin-email takes the password from stdin or the environment, once",
          "[auth]") {
  TestDatabase db;
  REQUIRE(RunGiia({"migrate", "up", "--service", "auth"}, Env(db)).exit_code == 0);
  auto no_password = RunGiia({"seed-roles", "--admin-email", "ops@example.com"}, Env(db));
  CHECK(no_password.exit_code == 1);
  CHECK_THAT(no_password.err, Catch::Contains("GIIA_ADMIN_PASSWORD"));
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.users") == "0");

  auto short_password =
      RunGiia({"seed-roles", "--admin-email", "ops@example.com"}, Env(db), "short\n");
  CHECK(short_password.exit_code == 1);
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.users") == "0");

  auto made = RunGiia({"seed-roles", "--admin-email", "Ops@Example.com"}, Env(db),
                      "stdin-passphrase-123\n");
  INFO(Explain(made));
  REQUIRE(made.exit_code == 0);
  CHECK_THAT(made.out, Catch::Contains("admin ops@example.com: created"));
  CHECK_THAT(Scalar(db.sql(), "SELECT password_hash FROM auth.users"),
             Catch::StartsWith("$argon2id$"));

  ProcessEnv env = Env(db);
  env["GIIA_ADMIN_PASSWORD"] = "env-passphrase-456";
  auto again = RunGiia({"seed-roles", "--admin-email", "ops@example.com"}, env);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("already exists"));
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM auth.users") == "1");
}

TEST_CASE("A stopped database: exit 2 within the timeout, one clear sentence", "[cli]") {
  const int port = ClosedPort();
  ProcessEnv env = {
      {"DATABASE_URL", "postgresql://giia:pw-123456@127.0.0.1:" + std::to_string(port) + "/giia"},
      {"DATABASE_CONNECT_TIMEOUT", "1s"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"migrate", "up"}, {"migrate", "status"}, {"seed-roles"}}) {
    auto r = RunGiia(args, env);
    INFO(args[0] << "\n" << Explain(r));
    CHECK(r.exit_code == 2);
    CHECK(Lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains("127.0.0.1:" + std::to_string(port)) &&
                          Catch::Contains("DATABASE_URL (environment)"));
    CHECK(r.elapsed < std::chrono::seconds(5));
  }
  // --wait keeps trying for the given time, then gives up the same way.
  auto waited = RunGiia({"migrate", "up", "--wait", "1500ms"}, env);
  CHECK(waited.exit_code == 2);
  CHECK(waited.elapsed >= std::chrono::milliseconds(1400));
  CHECK(waited.elapsed < std::chrono::seconds(6));
}

TEST_CASE("A malformed DATABASE_URL or setting exits 1 before anything is attempted", "[cli]") {
  auto malformed = RunGiia({"migrate", "up"}, {{"DATABASE_URL", "postgres://u:pw@host:port/db"}});
  CHECK(malformed.exit_code == 1);
  CHECK_THAT(malformed.err, Catch::Contains("DATABASE_URL (environment)"));
  auto wrong_scheme = RunGiia({"migrate", "up", "--database-url", "mysql://h/db"});
  CHECK(wrong_scheme.exit_code == 1);
  CHECK_THAT(wrong_scheme.err, Catch::Contains("--database-url"));
  auto many = RunGiia({"migrate", "up"}, {{"DATABASE_URL", "postgres://h/db"},
                                          {"LOG_LEVEL", "loud"},
                                          {"DATABASE_CONNECT_TIMEOUT", "5"}});
  CHECK(many.exit_code == 1);
  CHECK_THAT(many.err, Catch::Contains("LOG_LEVEL") && Catch::Contains("DATABASE_CONNECT_TIMEOUT"));
  auto missing_file = RunGiia({"--env-file", "/nonexistent.env", "migrate", "up"});
  CHECK(missing_file.exit_code == 1);
  CHECK_THAT(missing_file.err, Catch::Contains("/nonexistent.env"));
}

TEST_CASE("config print shows each value with its source, redacted", "[config]") {
  char path[] = "/tmp/giia-env-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string file_text =
      "GRPC_PORT=7000\nLOG_LEVEL=error\nJWT_SECRET=file-secret-0123456789-0123456789\n";
  REQUIRE(write(fd, file_text.data(), file_text.size()) == static_cast<ssize_t>(file_text.size()));
  close(fd);
  auto r = RunGiia({"--env-file", path, "--log-level", "debug", "config", "print", "--service",
                    "catalog", "--output", "json"},
                   {{"CATALOG_HTTP_PORT", "8999"},
                    {"DATABASE_URL", "postgres://giia:db-secret-xyz@db:5432/giia"}});
  unlink(path);
  INFO(Explain(r));
  REQUIRE(r.exit_code == 0);
  auto j = json::parse(r.out);
  std::map<std::string, json> by_key;
  for (const auto& v : j["values"]) by_key[v["key"]] = v;
  CHECK(by_key["LOG_LEVEL"]["value"] == "debug");
  CHECK(by_key["LOG_LEVEL"]["source"] == "flag");
  CHECK(by_key["HTTP_PORT"]["value"] == "8999");
  CHECK(by_key["HTTP_PORT"]["origin"] == "CATALOG_HTTP_PORT");
  CHECK(by_key["GRPC_PORT"]["value"] == "7000");
  CHECK(by_key["GRPC_PORT"]["source"] == "env-file");
  CHECK(by_key["SHUTDOWN_TIMEOUT"]["source"] == "default");
  CHECK(by_key["JWT_SECRET"]["value"] == "[REDACTED]");
  CHECK(by_key["DATABASE_URL"]["value"] == "postgres://giia:[REDACTED]@db:5432/giia");
  CHECK(r.out.find("db-secret-xyz") == std::string::npos);
  CHECK(r.out.find("file-secret") == std::string::npos);

  auto bad = RunGiia({"config", "print"}, {{"GRPC_PORT", "70000"}, {"LOG_FORMAT", "xml"}});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("GRPC_PORT (environment)") && Catch::Contains("LOG_FORMAT"));
}

TEST_CASE("Secrets never appear in any output", "[cli]") {
  TestDatabase db;
  const std::string jwt = "jwt-secret-value-0123456789abcdefghij";
  const std::string admin_pw = "admin-secret-passphrase";
  // The test server's password is in db.url(); a second secret is in a bad URL.
  const std::string url_pw = "url-secret-pw";
  const std::string hook_token = "hook-secret-token";
  const std::string db_password =
      db.url().substr(db.url().find(':', 12) + 1, db.url().find('@') - db.url().find(':', 12) - 1);
  ProcessEnv env = {{"DATABASE_URL", db.url()},
                    {"JWT_SECRET", jwt},
                    {"GIIA_ADMIN_PASSWORD", admin_pw},
                    {"ALERT_WEBHOOK_URL", "https://hooks.example.com/T0/" + hook_token},
                    {"LOG_LEVEL", "debug"}};
  ProcessEnv down_env = env;
  down_env["DATABASE_URL"] =
      "postgresql://giia:" + url_pw + "@127.0.0.1:" + std::to_string(ClosedPort()) + "/giia";
  // Forms without a user:password pair: a lone userinfo (Redis password,
  // NATS token) and libpq's ?password= parameter.
  const std::string lone_pw = "lone-secret-pw";
  ProcessEnv lone_env = env;
  lone_env["DATABASE_URL"] =
      "postgresql://giia@127.0.0.1:" + std::to_string(ClosedPort()) + "/giia?password=" + url_pw;
  lone_env["REDIS_URL"] = "redis://" + lone_pw + "@127.0.0.1:" + std::to_string(ClosedPort());
  lone_env["NATS_URL"] = "nats://" + lone_pw + "@127.0.0.1:" + std::to_string(ClosedPort());
  std::vector<std::pair<std::vector<std::string>, ProcessEnv>> runs = {
      {{"--help"}, env},
      {{"migrate", "--help"}, env},
      {{"config", "print"}, env},
      {{"config", "print", "--output", "json"}, env},
      {{"migrate", "up"}, env},
      {{"migrate", "status"}, env},
      {{"seed-roles", "--admin-email", "ops@example.com"}, env},
      {{"seed-roles", "--admin-email", "ops@example.com", "--output", "json"}, env},
      {{"migrate", "up"}, down_env},
      {{"migrate", "up", "--database-url", "postgres://u:" + url_pw + "@h:bad/db"}, env},
      {{"config", "print"}, down_env},
      {{"health", "--deps", "--timeout", "300ms"}, down_env},
      {{"config", "print"}, lone_env},
      {{"config", "print", "--output", "json"}, lone_env},
      {{"health", "--deps", "--timeout", "300ms"}, lone_env},
      {{"health", "--deps", "--timeout", "300ms", "--output", "json"}, lone_env},
      {{"migrate", "up"}, lone_env},
      {{"dlq", "list"}, lone_env},
      {{"dlq", "list"},
       {{"NATS_URL", "nats://u:" + url_pw + "@127.0.0.1:" + std::to_string(ClosedPort())},
        {"ALERT_WEBHOOK_URL", "ftp://" + hook_token}}},
  };
  for (const auto& [args, run_env] : runs) {
    auto r = RunGiia(args, run_env);
    INFO(args[0] << " " << (args.size() > 1 ? args[1] : "") << "\n" << Explain(r));
    CHECK(r.exit_code != -1);
    for (const std::string& secret : {jwt, admin_pw, url_pw, hook_token, db_password, lone_pw}) {
      CHECK(r.out.find(secret) == std::string::npos);
      CHECK(r.err.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("Logs are one JSON object a line, or text, on stderr", "[cli]") {
  TestDatabase db;
  ProcessEnv env = {{"DATABASE_URL", db.url()}};
  auto up = RunGiia({"migrate", "up", "--service", "auth", "--log-format", "json"}, env);
  REQUIRE(up.exit_code == 0);
  REQUIRE(Lines(up.err) >= 1);
  auto line = json::parse(up.err.substr(0, up.err.find('\n')));
  CHECK(line["level"] == "info");
  CHECK(line["logger"] == "auth");
  CHECK_THAT(line["msg"].get<std::string>(),
             Catch::Contains("applied " + std::to_string(Shipped("auth").size()) +
                             " migration file(s) of auth"));
  CHECK_THAT(line["time"].get<std::string>(), Catch::EndsWith("Z"));

  auto seed = RunGiia({"seed-roles"}, {{"DATABASE_URL", db.url()}, {"LOG_FORMAT", "text"}});
  REQUIRE(seed.exit_code == 0);
  CHECK_THAT(seed.err, Catch::Contains("info") && Catch::Contains("seed-roles added 4 roles"));
  auto quiet = RunGiia({"--log-level", "warn", "migrate", "up"}, env);
  REQUIRE(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
}
