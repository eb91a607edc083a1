// The client examples of examples/ (docs/CLIENTS.md), each run as the
// integrator would run it against `giia serve all` (auth and catalog in one
// process) on real PostgreSQL, Redis and NATS, its output and exit code
// checked. With GIIA_EXAMPLES_OUTPUT=DIR each example's output is also
// written to DIR/<example>.txt (how docs/CLIENTS.md got its output).

#include <httplib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/support/auth_server.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"

using giia::testing::AuthServer;
using giia::testing::Eventually;
using giia::testing::kPassword;
using giia::testing::Process;
using giia::testing::ProcessEnv;
using giia::testing::ProcessResult;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// `giia serve all` on ports of its own, over the database, NATS and mail
// folder of an AuthServer (whose own `serve auth` registers and verifies the
// users; both read the same database).
class ServeAll {
 public:
  ServeAll() {
    env_ = base_.env();
    auth_http_ = giia::testing::FreePort();
    auth_grpc_ = giia::testing::FreePort();
    catalog_http_ = giia::testing::FreePort();
    catalog_grpc_ = giia::testing::FreePort();
    env_.erase("HTTP_PORT");
    env_.erase("GRPC_PORT");
    env_["AUTH_HTTP_PORT"] = std::to_string(auth_http_);
    env_["AUTH_GRPC_PORT"] = std::to_string(auth_grpc_);
    env_["CATALOG_HTTP_PORT"] = std::to_string(catalog_http_);
    env_["CATALOG_GRPC_PORT"] = std::to_string(catalog_grpc_);
    env_["AUTH_GRPC_ADDR"] = auth_grpc_address();
    ProcessResult migrated =
        giia::testing::RunGiia({"migrate", "up", "--service", "catalog"}, env_);
    INFO(migrated.err);
    REQUIRE(migrated.exit_code == 0);
    process_ = std::make_unique<Process>(std::vector<std::string>{"serve", "all"}, env_);
    httplib::Client auth_client("127.0.0.1", auth_http_);
    httplib::Client catalog_client("127.0.0.1", catalog_http_);
    auth_client.set_connection_timeout(200ms);
    catalog_client.set_connection_timeout(200ms);
    // A server that is starting: nothing to wait on but its readiness.
    const bool ready = Eventually(
        [&] {
          auto a = auth_client.Get("/health/ready");
          auto c = catalog_client.Get("/health/ready");
          return a && a->status == 200 && c && c->status == 200;
        },
        60s);
    if (!ready) {
      ProcessResult r = process_->Stop(9);
      FAIL("giia serve all did not become ready: " << r.err);
    }
  }
  ~ServeAll() {
    if (process_ && !stopped_) process_->Stop(9);
  }

  AuthServer& base() { return base_; }
  std::string auth_grpc_address() const { return "127.0.0.1:" + std::to_string(auth_grpc_); }
  std::string auth_http_url() const { return "http://127.0.0.1:" + std::to_string(auth_http_); }
  std::string catalog_grpc_address() const { return "127.0.0.1:" + std::to_string(catalog_grpc_); }
  ProcessResult Stop() {
    stopped_ = true;
    return process_->Stop(15);
  }

  // An admin of a new organization, and a user with `role` in it; returns
  // the user's e-mail (the password is kPassword).
  std::string UserWithRole(const std::string& role, const std::string& domain) {
    const json admin = base_.RegisterAdmin("admin@" + domain, "Org of " + domain);
    const std::string email = "user@" + domain;
    base_.CreateAndLogin(admin["access_token"].get<std::string>(), email, role);
    return email;
  }

 private:
  AuthServer base_;
  ProcessEnv env_;
  int auth_http_ = 0, auth_grpc_ = 0, catalog_http_ = 0, catalog_grpc_ = 0;
  std::unique_ptr<Process> process_;
  bool stopped_ = false;
};

// Runs an example program and keeps its output where GIIA_EXAMPLES_OUTPUT says.
ProcessResult RunExample(const std::string& name, const std::string& program,
                         const std::vector<std::string>& args) {
  ProcessResult r = Process(program, args, {{"HOME", "/tmp"}}, "").Wait(120s);
  if (const char* dir = std::getenv("GIIA_EXAMPLES_OUTPUT"); dir != nullptr && *dir != 0) {
    std::filesystem::create_directories(dir);
    std::ofstream(std::string(dir) + "/" + name + ".txt") << r.out << r.err;
  }
  return r;
}

bool Has(const std::string& out, const std::string& line) {
  return out.find(line) != std::string::npos;
}

// `node` from PATH, as a shell would find it.
std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + program;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

TEST_CASE("The C++ auth client of examples/ logs in, validates, checks and handles each error",
          "[docs]") {
  ServeAll all;
  const std::string email = all.UserWithRole("Viewer", "auth-example.example");
  ProcessResult r = RunExample("auth_client", GIIA_EXAMPLE_AUTH_CLIENT,
                               {"--addr", all.auth_grpc_address(), "--http", all.auth_http_url(),
                                "--email", email, "--password", kPassword});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Has(r.out, "[rest] POST /api/v1/auth/login: HTTP 200, token_type Bearer"));
  CHECK(Has(r.out, "[login] Login " + email + ": OK"));
  CHECK(Has(r.out, "roles Viewer"));
  CHECK(Has(r.out, "[validate] ValidateToken(access token): valid, user " + email));
  CHECK(Has(r.out, "[validate] ValidateToken(\"not-a-token\"): not valid: "));
  CHECK(Has(r.out, "with a bad token: UNAUTHENTICATED"));
  CHECK(Has(r.out, "[unauthenticated] RefreshToken: OK, new access token"));
  CHECK(Has(r.out, "[unauthenticated] CheckPermission(catalog:read) again: OK"));
  CHECK(Has(r.out, "[check] CheckPermission(catalog:read): allowed"));
  CHECK(Has(r.out, "[check] CheckPermission(catalog:write): denied"));
  CHECK(Has(r.out, "[batch] BatchCheckPermissions: OK"));
  CHECK(Has(r.out, "[batch]   orders:read: allowed"));
  CHECK(Has(r.out, "[batch]   users:read: denied"));
  CHECK(Has(r.out, "[denied] ListUsers: PERMISSION_DENIED"));
  CHECK(Has(r.out, "not retried"));
  CHECK(Has(r.out, "[refresh] RefreshToken: OK, refresh token rotated"));
  CHECK(Has(r.out, "[validate] ValidateToken(refreshed access token): valid"));
  CHECK(Has(r.out, "auth_client: done"));

  // A wrong password is UNAUTHENTICATED, reported, and a failure (exit 3).
  ProcessResult wrong = RunExample(
      "auth_client_wrong_password", GIIA_EXAMPLE_AUTH_CLIENT,
      {"--addr", all.auth_grpc_address(), "--email", email, "--password", "not the password"});
  INFO(wrong.out << wrong.err);
  CHECK(wrong.exit_code == 3);
  CHECK(Has(wrong.out, "[login] Login " + email + ": UNAUTHENTICATED"));
  CHECK(all.Stop().exit_code == 0);
}

TEST_CASE("The C++ auth client of examples/ talks TLS to auth with --ca", "[docs]") {
  // `serve auth` with HTTPS and gRPC over TLS; its self-signed certificate is its own CA.
  AuthServer auth({.tls = true});
  const json admin = auth.RegisterAdmin("admin@tls-example.example", "TLS Example");
  auth.CreateAndLogin(admin["access_token"].get<std::string>(), "user@tls-example.example",
                      "Viewer");
  const std::string ca = auth.env().at("TLS_CERT_FILE");
  ProcessResult r = RunExample("auth_client_tls", GIIA_EXAMPLE_AUTH_CLIENT,
                               {"--addr", auth.grpc_address(), "--ca", ca, "--http",
                                "https://127.0.0.1:" + std::to_string(auth.http_port()), "--email",
                                "user@tls-example.example", "--password", kPassword});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Has(r.out, "[connect] " + auth.grpc_address() + " (TLS)"));
  CHECK(Has(r.out, "[rest] POST /api/v1/auth/login: HTTP 200"));
  CHECK(Has(r.out, "[denied] ListUsers: PERMISSION_DENIED"));
  CHECK(Has(r.out, "auth_client: done"));
  // Without --ca the client does not trust the certificate: the login fails.
  ProcessResult plain = RunExample("auth_client_tls_without_ca", GIIA_EXAMPLE_AUTH_CLIENT,
                                   {"--addr", auth.grpc_address(), "--email",
                                    "user@tls-example.example", "--password", kPassword});
  CHECK(plain.exit_code != 0);
}

TEST_CASE("The C++ auth client of examples/ reports an unreachable auth with exit code 2",
          "[docs]") {
  const int port = giia::testing::FreePort();
  ProcessResult r = RunExample(
      "auth_client_unreachable", GIIA_EXAMPLE_AUTH_CLIENT,
      {"--addr", "127.0.0.1:" + std::to_string(port), "--email", "a@b.example", "--password", "x"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(Has(r.out, "UNAVAILABLE"));
  // And a usage error is 1, with the usage on stderr.
  ProcessResult usage = RunExample("auth_client_usage", GIIA_EXAMPLE_AUTH_CLIENT, {});
  CHECK(usage.exit_code == 1);
  CHECK(Has(usage.err, "usage: auth_client"));
}

TEST_CASE("The C++ catalog client of examples/ pages suppliers and retries an ABORTED update",
          "[docs]") {
  ServeAll all;
  const std::string email = all.UserWithRole("Manager", "catalog-example.example");
  ProcessResult r =
      RunExample("catalog_client", GIIA_EXAMPLE_CATALOG_CLIENT,
                 {"--auth", all.auth_grpc_address(), "--catalog", all.catalog_grpc_address(),
                  "--email", email, "--password", kPassword, "--prefix", "EX"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Has(r.out, "[login] Login " + email));
  CHECK(Has(r.out, ": OK\n[create] CreateProduct(EX-"));
  CHECK(Has(r.out, "\"Example widget\" cost 2.5, version 1\n"));
  CHECK(Has(r.out, "[update] UpdateProduct(version 1): OK\n[update] now "));
  CHECK(Has(r.out, "\"Widget, large\" cost 2.5, version 2\n"));
  CHECK(Has(r.out,
            "[update] updating with the stale version 1 on purpose\n"
            "[update] UpdateProduct(version 1): ABORTED"));
  CHECK(Has(r.out, "[update]   -> re-read: "));
  CHECK(Has(r.out, "[update] UpdateProduct(version 2): OK\n"));
  CHECK(Has(r.out, "\"Widget, large\" cost 3.25, version 3\n"));
  CHECK(Has(r.out, "[suppliers] ListSuppliers(page 1, page_size 2): 2 of 3: "));
  CHECK(Has(r.out, "[suppliers] ListSuppliers(page 2, page_size 2): 1 of 3: "));
  CHECK(Has(r.out, "[suppliers] 3 suppliers in all\n"));
  CHECK(Has(r.out, "catalog_client: done"));

  // A Viewer may read but not write: the first write is PERMISSION_DENIED (exit 3).
  const std::string viewer = all.UserWithRole("Viewer", "catalog-viewer.example");
  ProcessResult denied =
      RunExample("catalog_client_viewer", GIIA_EXAMPLE_CATALOG_CLIENT,
                 {"--auth", all.auth_grpc_address(), "--catalog", all.catalog_grpc_address(),
                  "--email", viewer, "--password", kPassword});
  INFO(denied.out << denied.err);
  CHECK(denied.exit_code == 3);
  CHECK(Has(denied.out, "[create] CreateProduct(EX-"));
  CHECK(Has(denied.out, "PERMISSION_DENIED"));
  CHECK(all.Stop().exit_code == 0);
}

TEST_CASE("The Node client of examples/ logs in, checks permissions and reads the catalog",
          "[docs]") {
  const std::string node = FindOnPath("node");
  if (node.empty()) FAIL("node is not on PATH: run scripts/test.sh, which installs it");
  const std::string root = GIIA_SOURCE_DIR;
  if (!std::filesystem::exists(root + "/node_modules/@grpc/grpc-js") ||
      !std::filesystem::exists(root + "/node_modules/@grpc/proto-loader")) {
    FAIL(
        "@grpc/grpc-js and @grpc/proto-loader are not installed: run npm ci (scripts/test.sh "
        "does)");
  }
  ServeAll all;
  const std::string email = all.UserWithRole("Manager", "node-example.example");
  ProcessResult r =
      RunExample("node_client", node,
                 {root + "/examples/node/client.js", "--auth", all.auth_grpc_address(), "--catalog",
                  all.catalog_grpc_address(), "--email", email, "--password", kPassword});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(Has(r.out, "[login] Login " + email + ": OK, roles Manager"));
  CHECK(Has(r.out, "[validate] ValidateToken: valid true, user " + email));
  CHECK(Has(r.out, "[validate] ValidateToken(\"not-a-token\"): valid false: "));
  CHECK(Has(r.out, "[check] CheckPermission(catalog:write): allowed"));
  CHECK(Has(r.out, "[check] CheckPermission(users:delete): denied"));
  CHECK(Has(r.out, "[check] CheckPermission with a bad token: UNAUTHENTICATED"));
  CHECK(Has(r.out, "[catalog] CreateProduct(NODE-"));
  CHECK(Has(r.out, "): OK, version 1\n"));
  CHECK(Has(r.out, "\"Node widget\" cost 4.5, version 1\n"));
  CHECK(Has(r.out, "[catalog] ListProducts(page 1, page_size 5): 1 of 1\n"));
  CHECK(Has(r.out, "[catalog] ListSuppliers(page 1, page_size 5): 0 of 0\n"));
  CHECK(Has(r.out, "node client: done"));
  CHECK(all.Stop().exit_code == 0);
}
