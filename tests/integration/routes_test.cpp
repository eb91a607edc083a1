// The OpenAPI documents (docs/api/openapi/{auth,catalog}.yaml) name exactly
// the REST routes the servers register: the same (method, path) set per
// service, a spec's `{id}` standing for a route's regex group. The routes are
// added to an HttpServer that is never started, by the same functions
// `giia serve` calls, over the real adapters; nothing connects (the pool opens
// connections on first use, the gRPC channel on the first call) and no handler
// runs.
#include <spdlog/spdlog.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/secrets.hpp"
#include "adapters/postgres/account_store.hpp"
#include "adapters/postgres/catalog_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "core/auth/permissions.hpp"
#include "core/auth/service.hpp"
#include "core/catalog/remote_authorizer.hpp"
#include "core/catalog/service.hpp"
#include "server/auth/auth_rest.hpp"
#include "server/catalog/auth_permissions.hpp"
#include "server/catalog/catalog_rest.hpp"
#include "server/http/health_routes.hpp"
#include "server/http/http_server.hpp"
#include "server/workers/audit_writer.hpp"

using namespace giia;

namespace {

const giia::TrustedProxies kNoProxies;

using RouteSet = std::set<std::string>;  // "GET /api/v1/users/{}"

// "/api/v1/users/([^/]+)/roles/([^/]+)" -> "/api/v1/users/{}/roles/{}",
// "/\.well-known/jwks\.json" -> "/.well-known/jwks.json". Anything else a
// regex could hold stays as it is, so that it shows up as a difference.
std::string PathOfPattern(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '(') {
      int depth = 1;
      bool in_class = false;  // inside [...], parentheses are plain characters
      std::size_t j = i + 1;
      for (; j < pattern.size() && depth > 0; ++j) {
        if (pattern[j] == '\\') {
          ++j;
        } else if (in_class) {
          in_class = pattern[j] != ']';
        } else if (pattern[j] == '[') {
          in_class = true;
        } else if (pattern[j] == '(') {
          ++depth;
        } else if (pattern[j] == ')') {
          --depth;
        }
      }
      out += "{}";
      i = j - 1;
    } else if (c == '\\' && i + 1 < pattern.size() && pattern[i + 1] == '.') {
      out += '.';
      ++i;
    } else {
      out += c;
    }
  }
  return out;
}

RouteSet Registered(const server::HttpServer& http) {
  RouteSet out;
  for (const auto& [method, pattern] : http.routes())
    out.insert(method + " " + PathOfPattern(pattern));
  return out;
}

// The operations of a spec's `paths:` block, read line by line: a path is a
// key indented by two spaces, an operation a method key indented by four.
// (The specs keep every path item inline: no $ref at the path level.)
// "  /api/v1/users/{id}:" (quotes optional) -> "/api/v1/users/{}"; "" otherwise.
std::string PathKey(std::string line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  if (line.rfind("  ", 0) != 0 || line.size() < 4 || line.back() != ':') return "";
  std::string key = line.substr(2, line.size() - 3);
  if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"') && key.back() == key.front()) {
    key = key.substr(1, key.size() - 2);
  }
  if (key.empty() || key.front() != '/' || key.find_first_of("'\": ") != std::string::npos) {
    return "";
  }
  std::string out;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const std::size_t close = key.find('}', i);
    if (key[i] == '{' && close != std::string::npos && key.find('/', i) > close) {
      out += "{}";
      i = close;
    } else {
      out += key[i];
    }
  }
  return out;
}

// "    get:" -> "GET"; "" otherwise.
std::string MethodKey(std::string line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  for (const char* m : {"get", "put", "post", "delete", "patch", "head", "options", "trace"}) {
    if (line == std::string("    ") + m + ":") {
      std::string method = m;
      for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return method;
    }
  }
  return "";
}

RouteSet Documented(const std::string& file) {
  std::ifstream in(file);
  REQUIRE(in.good());
  RouteSet out;
  bool in_paths = false;
  std::string path;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    if (line.front() != ' ') {  // a top-level key
      in_paths = line.rfind("paths:", 0) == 0;
      path.clear();
      continue;
    }
    if (!in_paths) continue;
    if (std::string key = PathKey(line); !key.empty()) {
      path = key;
    } else if (line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ' && line[2] != '#') {
      FAIL("a key under paths: that is not a path: " << line);
    } else if (std::string method = MethodKey(line); !method.empty()) {
      REQUIRE(!path.empty());
      out.insert(method + " " + path);
    }
  }
  return out;
}

std::string Show(const RouteSet& routes) {
  std::string out;
  for (const std::string& r : routes) out += "  " + r + "\n";
  return out.empty() ? "  (none)\n" : out;
}

void CheckSame(const RouteSet& registered, const RouteSet& documented, const std::string& spec) {
  RouteSet undocumented;
  RouteSet unserved;
  for (const std::string& r : registered) {
    if (!documented.contains(r)) undocumented.insert(r);
  }
  for (const std::string& r : documented) {
    if (!registered.contains(r)) unserved.insert(r);
  }
  INFO("registered by the server but not in " << spec << ":\n"
                                              << Show(undocumented) << "in " << spec
                                              << " but not registered by the server:\n"
                                              << Show(unserved));
  CHECK(undocumented.empty());
  CHECK(unserved.empty());
  CHECK(registered.size() > 3);  // more than the health and metrics routes
}

// What both services' routes are built from: adapters over a pool that never
// connects (no handler runs), the token codec, and the health routes.
struct Common {
  server::metrics::Registry registry;
  spdlog::logger log{"routes-test"};
  std::atomic<bool> draining{false};
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<crypto::JwtCodec> codec;
  server::HttpServer http{server::HttpServerOptions{}, registry, log};

  Common() {
    pg::PoolOptions options;
    options.connect.url = "postgresql://giia@127.0.0.1:1/never-connected";
    auto p = pg::Pool::Create(options);
    REQUIRE(p);
    pool = std::move(*p);
    crypto::JwtOptions jwt;
    jwt.algorithm = "HS256";
    jwt.secret = std::string(32, 'k');
    auto c = crypto::MakeJwtCodec(jwt);
    REQUIRE(c);
    codec = std::move(*c);
  }

  void AddHealth() { server::AddHealthRoutes(http, registry, {}, draining); }
};

const std::string kSpecs = std::string(GIIA_SOURCE_DIR) + "/docs/api/openapi/";

}  // namespace

TEST_CASE("auth.yaml documents exactly the REST routes serve auth registers", "[docs]") {
  Common common;
  pg::PgAccountStore accounts(*common.pool);
  pg::PgAuditStore audit_store(*common.pool);
  server::AuditWriter audit(audit_store, server::AuditWriterOptions{}, common.log);
  crypto::Argon2idHasher hasher;
  crypto::SodiumSecrets secrets;
  auth::PermissionResolver permissions(accounts, nullptr, std::chrono::minutes(5));
  auth::AuthService service(
      auth::AuthDeps{accounts, hasher, *common.codec, secrets, permissions, audit},
      auth::AuthSettings{});
  server::AddAuthRoutes(common.http, service, *common.codec, kNoProxies);
  common.AddHealth();

  CheckSame(Registered(common.http), Documented(kSpecs + "auth.yaml"),
            "docs/api/openapi/auth.yaml");
}

TEST_CASE("catalog.yaml documents exactly the REST routes serve catalog registers", "[docs]") {
  Common common;
  pg::PgCatalogStore store(*common.pool);
  catalog::CatalogService service(catalog::CatalogDeps{store, [] { return std::string(); }});
  server::AuthClientOptions client;
  client.addresses = {"127.0.0.1:1"};  // never called
  auto oracle = server::GrpcPermissionOracle::Create(client);
  REQUIRE(oracle);
  catalog::RemoteAuthorizer authorizer(*common.codec, **oracle, catalog::RemoteAuthorizerOptions{});
  server::AddCatalogRoutes(common.http, service, authorizer, kNoProxies);
  common.AddHealth();

  CheckSame(Registered(common.http), Documented(kSpecs + "catalog.yaml"),
            "docs/api/openapi/catalog.yaml");
}

TEST_CASE("the route-set check reads patterns and spec paths as it should", "[docs]") {
  CHECK(PathOfPattern("/api/v1/users/([^/]+)/roles/([^/]+)") == "/api/v1/users/{}/roles/{}");
  CHECK(PathOfPattern("/\\.well-known/jwks\\.json") == "/.well-known/jwks.json");
  CHECK(PathOfPattern("/api/v1/products/([0-9a-f(]+)") == "/api/v1/products/{}");
  CHECK(PathOfPattern("/health/live") == "/health/live");
}
