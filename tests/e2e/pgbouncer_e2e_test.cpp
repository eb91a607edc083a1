// giia through a stock PgBouncer (Debian's 1.18) in transaction mode, as an
// operator runs it: migrate, seed-roles, serve auth and serve catalog with
// DATABASE_POOL_MODE=transaction and DATABASE_PREPARED_STATEMENTS=false; and
// the refusal a session-mode giia meets there (issue 14).

#include <catch2/catch.hpp>

#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"
#include "support/pgbouncer.hpp"

using giia::testing::AuthServer;
using giia::testing::AuthServerOptions;
using giia::testing::CatalogServer;
using giia::testing::HttpReply;
using giia::testing::PgBouncer;
using giia::testing::ProcessEnv;
using giia::testing::ProcessResult;
using giia::testing::RunGiia;
using nlohmann::json;

TEST_CASE("Through PgBouncer in transaction mode: migrate, seed-roles, serve auth and catalog",
          "[pgbouncer]") {
  PgBouncer bouncer;
  AuthServerOptions options;
  options.database_port = bouncer.port();
  options.extra_env = {{"DATABASE_POOL_MODE", "transaction"},
                       {"DATABASE_PREPARED_STATEMENTS", "false"}};
  // Runs `migrate up --service auth` and `seed-roles` through PgBouncer
  // (each must exit 0), then `serve auth` until it is ready.
  AuthServer auth(options);
  const ProcessEnv& env = auth.env();
  REQUIRE(env.at("DATABASE_URL").find(":" + std::to_string(bouncer.port()) + "/") !=
          std::string::npos);

  // In session mode the startup option is refused: the failure of before.
  ProcessEnv session = env;
  session["DATABASE_POOL_MODE"] = "session";
  ProcessResult refused = RunGiia({"migrate", "up", "--service", "catalog"}, session);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("unsupported startup parameter: options"));
  CHECK_THAT(refused.err, Catch::Contains("set DATABASE_POOL_MODE=transaction"));

  ProcessResult migrated = RunGiia({"migrate", "up", "--service", "catalog"}, env);
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
  ProcessResult status = RunGiia({"migrate", "status", "--service", "catalog"}, env);
  INFO(status.err);
  CHECK(status.exit_code == 0);
  ProcessResult reseeded = RunGiia({"seed-roles"}, env);  // idempotent, through PgBouncer again
  INFO(reseeded.err);
  CHECK(reseeded.exit_code == 0);

  CatalogServer catalog(auth);  // its DATABASE_* are auth's: PgBouncer, transaction mode
  // Register (the verification e-mail goes through the outbox), verify, log in.
  json login = auth.RegisterAdmin("pgbouncer-admin@example.com", "Pooled Ltd");
  const std::string token = login["access_token"];
  HttpReply made =
      catalog.Post("/api/v1/products", {{"sku", "PGB-1"}, {"name", "Pooled bolt"}}, token);
  INFO(made.raw);
  REQUIRE(made.status == 201);
  const std::string path = "/api/v1/products/" + made.body["product"]["id"].get<std::string>();
  HttpReply read = catalog.Get(path, token);
  INFO(read.raw);
  REQUIRE(read.status == 200);
  CHECK(read.body["product"]["name"] == "Pooled bolt");

  HttpReply refreshed =
      auth.Post("/api/v1/auth/refresh", {{"refresh_token", login["refresh_token"]}});
  INFO(refreshed.raw);
  REQUIRE(refreshed.status == 200);
  CHECK(refreshed.body["refresh_token"] != login["refresh_token"]);
  CHECK(catalog.Get(path, refreshed.body["access_token"].get<std::string>()).status == 200);
  // The services' sessions were PgBouncer's.
  CHECK_THAT(bouncer.Log(), Catch::Contains("db=" + auth.db().name()));
}
