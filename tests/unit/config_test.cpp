#include "cli/config.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "adapters/nats/jetstream.hpp"
#include "server/catalog/auth_permissions.hpp"

using namespace giia::cli;

namespace {

const ResolvedValue& Find(const std::vector<ResolvedValue>& values, const std::string& key) {
  for (const auto& v : values) {
    if (v.key == key) return v;
  }
  FAIL("no key " << key);
  throw 0;
}

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/giia-config-test-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::ofstream(path) << text;
  close(fd);
  return path;
}

}  // namespace

TEST_CASE("Precedence is flag > env > env-file > default", "[config]") {
  Env env = {{"LOG_LEVEL", "debug"}, {"HTTP_PORT", "9000"}};
  Layers layers;
  layers.env = &env;
  layers.env_file = {{"LOG_LEVEL", "error"}, {"GRPC_PORT", "7000"}, {"HTTP_PORT", "1"}};
  layers.env_file_path = "deploy/.env.dev";
  layers.flags = {{"LOG_LEVEL", "warn"}};
  layers.flag_names = {{"LOG_LEVEL", "--log-level"}};
  auto values = Resolve(layers, "auth");
  CHECK(Find(values, "LOG_LEVEL").value == "warn");
  CHECK(Find(values, "LOG_LEVEL").source == Source::kFlag);
  CHECK(Find(values, "HTTP_PORT").value == "9000");
  CHECK(Find(values, "HTTP_PORT").source == Source::kEnv);
  CHECK(Find(values, "GRPC_PORT").value == "7000");
  CHECK(Find(values, "GRPC_PORT").Describe() == "GRPC_PORT (deploy/.env.dev)");
  CHECK(Find(values, "SHUTDOWN_TIMEOUT").source == Source::kDefault);
  CHECK(Find(values, "SHUTDOWN_TIMEOUT").value == "30s");
}

TEST_CASE("The service-prefixed key wins, and defaults differ per service", "[config]") {
  Env env = {{"GRPC_PORT", "1111"}, {"CATALOG_GRPC_PORT", "2222"}};
  Layers layers;
  layers.env = &env;
  CHECK(Find(Resolve(layers, "catalog"), "GRPC_PORT").value == "2222");
  CHECK(Find(Resolve(layers, "catalog"), "GRPC_PORT").origin == "CATALOG_GRPC_PORT");
  CHECK(Find(Resolve(layers, "auth"), "GRPC_PORT").value == "1111");
  Env none;
  layers.env = &none;
  CHECK(Find(Resolve(layers, "auth"), "HTTP_PORT").value == "8083");
  CHECK(Find(Resolve(layers, "catalog"), "HTTP_PORT").value == "8084");
  CHECK(Find(Resolve(layers, "catalog"), "GRPC_PORT").value == "9092");
}

TEST_CASE("Validation reports every problem at once, each naming key and source", "[config]") {
  Env env = {{"AUTH_GRPC_PORT", "abc"},      {"SHUTDOWN_TIMEOUT", "30"},
             {"LOG_LEVEL", "loud"},          {"DATABASE_URL", "mysql://x"},
             {"JWT_SECRET", "short"},        {"TLS_CERT_FILE", "/c.pem"},
             {"RATE_LIMIT_ENABLED", "maybe"}};
  Layers layers;
  layers.env = &env;
  auto parsed = Parse(Resolve(layers, "auth"), "auth");
  REQUIRE_FALSE(parsed);
  std::vector<std::string> fields;
  for (const auto& e : parsed.error()) fields.push_back(e.field);
  CHECK(fields == std::vector<std::string>{"GRPC_PORT", "DATABASE_URL", "JWT_SECRET",
                                           "RATE_LIMIT_ENABLED", "SHUTDOWN_TIMEOUT", "TLS_KEY_FILE",
                                           "LOG_LEVEL"});
  CHECK_THAT(parsed.error()[0].message, Catch::StartsWith("AUTH_GRPC_PORT (environment)"));
  for (const auto& e : parsed.error()) CHECK(e.message.find("short") == std::string::npos);
}

TEST_CASE("Defaults alone validate, and required keys are enforced", "[config]") {
  Env none;
  Layers layers;
  layers.env = &none;
  auto parsed = Parse(Resolve(layers, "catalog"), "catalog");
  REQUIRE(parsed);
  CHECK(parsed->grpc_port == 9092);
  CHECK(parsed->shutdown_timeout == std::chrono::seconds(30));
  CHECK(parsed->jwt_refresh_expiration == std::chrono::hours(168));
  const std::vector<std::string> required = {"DATABASE_URL"};
  auto missing = Parse(Resolve(layers, "catalog"), "catalog", required);
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error()[0].message, Catch::Contains("CATALOG_DATABASE_URL"));
}

TEST_CASE("Secrets and URL passwords never show", "[config]") {
  Env env = {{"JWT_SECRET", "0123456789abcdef0123456789abcdef-top"},
             {"DATABASE_URL", "postgres://giia:pa55word@db:5432/giia"}};
  Layers layers;
  layers.env = &env;
  auto values = Resolve(layers, "auth");
  CHECK(Find(values, "JWT_SECRET").Display() == "[REDACTED]");
  CHECK(Find(values, "DATABASE_URL").Display() == "postgres://giia:[REDACTED]@db:5432/giia");
  auto parsed = Parse(values, "auth");
  REQUIRE(parsed);
  CHECK(parsed->database.url == "postgres://giia:pa55word@db:5432/giia");
}

TEST_CASE("ReadEnvFile reads comments, export, quotes and names bad lines", "[config]") {
  const std::string path = WriteTemp(
      "# comment\n\nexport LOG_LEVEL=debug\nJWT_EXPIRATION = 5m  # inline\n"
      "EMAIL_PROVIDER=\"file\"\nGRPC_HOST='0.0.0.0 '\r\n");
  auto env = ReadEnvFile(path);
  REQUIRE(env);
  CHECK(env->at("LOG_LEVEL") == "debug");
  CHECK(env->at("JWT_EXPIRATION") == "5m");
  CHECK(env->at("EMAIL_PROVIDER") == "file");
  CHECK(env->at("GRPC_HOST") == "0.0.0.0 ");
  std::remove(path.c_str());

  const std::string bad = WriteTemp("LOG_LEVEL=info\nthis is not a setting\n");
  auto broken = ReadEnvFile(bad);
  REQUIRE_FALSE(broken);
  CHECK_THAT(broken.error().message, Catch::Contains(bad + ":2"));
  std::remove(bad.c_str());

  auto text = ParseEnvFile("A=1\nB='two'\n", "inline.env");
  REQUIRE(text);
  CHECK(text->at("B") == "two");
  CHECK_THAT(ParseEnvFile("A=1\nB='open\n", "inline.env").error().message,
             Catch::Contains("inline.env:2"));

  auto missing = ReadEnvFile("/nonexistent/giia.env");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().field == "--env-file");
}

TEST_CASE("TRUSTED_PROXIES: empty by default, CIDRs of both families, malformed names the key",
          "[config]") {
  Env none;
  Layers layers;
  layers.env = &none;
  for (const char* service : {"auth", "catalog"}) {
    auto parsed = Parse(Resolve(layers, service), service);
    REQUIRE(parsed);
    CHECK(parsed->trusted_proxies.empty());
  }
  Env env = {{"TRUSTED_PROXIES", "10.244.0.0/16, fd00:10:244::/56"}};
  layers.env = &env;
  auto parsed = Parse(Resolve(layers, "auth"), "auth");
  REQUIRE(parsed);
  CHECK(parsed->trusted_proxies.ToString() == "10.244.0.0/16,fd00:10:244::/56");
  Env bad = {{"CATALOG_TRUSTED_PROXIES", "10.0.0.0/8,ingress-nginx"}};
  layers.env = &bad;
  auto refused = Parse(Resolve(layers, "catalog"), "catalog");
  REQUIRE_FALSE(refused);
  REQUIRE(refused.error().size() == 1);
  CHECK(refused.error()[0].field == "TRUSTED_PROXIES");
  CHECK_THAT(
      refused.error()[0].message,
      Catch::StartsWith("CATALOG_TRUSTED_PROXIES (environment): \"ingress-nginx\" is not a CIDR"));
}

TEST_CASE("config values are shown without any credential form", "[config]") {
  Env env = {{"DATABASE_URL", "postgres://giia@db/giia?password=pgsecret1"},
             {"REDIS_URL", "redis://redissecret1@cache:6379"},
             {"NATS_URL", "nats://natstoken1@nats:4222,nats://u:natssecret1@b:4222"}};
  Layers layers;
  layers.env = &env;
  const auto values = Resolve(layers, "auth");
  for (const char* key : {"DATABASE_URL", "REDIS_URL", "NATS_URL"}) {
    const std::string shown = Find(values, key).Display();
    CAPTURE(shown);
    for (const char* secret : {"pgsecret1", "redissecret1", "natstoken1", "natssecret1"}) {
      CHECK(shown.find(secret) == std::string::npos);
    }
  }
  CHECK(Find(values, "DATABASE_URL").Display() == "postgres://giia@db/giia?password=[REDACTED]");
}

TEST_CASE("NATS_URL is one URL or a cluster's members, and a bad entry is named by its position",
          "[config][nats]") {
  auto servers = giia::nats::ParseServers("nats://n1:4222, nats://u:pw@n2:4223 ,tls://[::1]:4224");
  REQUIRE(servers);
  CHECK(*servers ==
        std::vector<std::string>{"nats://n1:4222", "nats://u:pw@n2:4223", "tls://[::1]:4224"});
  auto one = giia::nats::ParseServers("nats://nats");
  REQUIRE(one);
  CHECK(*one == std::vector<std::string>{"nats://nats"});

  const std::pair<const char*, const char*> refused[] = {
      {"", "is empty"},
      {"nats://a:4222,,nats://c:4222", "entry 2 is empty"},
      {"nats://a:4222,nats://b:4222,http://c:4222", "entry 3 \"http://c:4222\" is not a nats://"},
      {"nats://a:4222,nats://u:secret9@:4222", "entry 2 \"nats://u:[REDACTED]@:4222\" has no host"},
      {"nats://a:42x2", "\"nats://a:42x2\": port \"42x2\" is not a number from 1 to 65535"},
      {"nats://a:4222,nats://b:70000", "entry 2 \"nats://b:70000\": port \"70000\""},
      {"nats://a:4222 nats://b:4222", "has no host"},
  };
  for (const auto& [urls, why] : refused) {
    CAPTURE(urls);
    auto parsed = giia::nats::ParseServers(urls);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().field == "NATS_URL");
    CHECK_THAT(parsed.error().message, Catch::Contains(why));
    CHECK(parsed.error().message.find("secret9") == std::string::npos);
  }

  // The configuration refuses the same list before anything starts.
  Env env = {{"NATS_URL", "nats://a:4222,nats//b:4222"}, {"NATS_STREAM_REPLICAS", "7"}};
  Layers layers;
  layers.env = &env;
  auto parsed = Parse(Resolve(layers, "catalog"), "catalog");
  REQUIRE_FALSE(parsed);
  REQUIRE(parsed.error().size() == 2);
  CHECK(parsed.error()[0].message ==
        "NATS_URL (environment): entry 2 \"nats//b:4222\" is not a nats:// or tls:// URL");
  CHECK(parsed.error()[1].field == "NATS_STREAM_REPLICAS");
  Env good = {{"NATS_URL", "nats://a:4222,nats://b:4222,nats://c:4222"},
              {"NATS_STREAM_REPLICAS", "3"}};
  layers.env = &good;
  auto ok = Parse(Resolve(layers, "auth"), "auth");
  REQUIRE(ok);
  CHECK(ok->nats_stream_replicas == 3);
  CHECK(ok->nats_url == "nats://a:4222,nats://b:4222,nats://c:4222");
}

TEST_CASE("DATABASE_POOL_MODE is session or transaction, anything else is refused by name",
          "[config]") {
  Env none;
  Layers layers;
  layers.env = &none;
  auto defaults = Parse(Resolve(layers, "auth"), "auth");
  REQUIRE(defaults);
  CHECK_FALSE(defaults->database.transaction_pooling);
  Env transaction = {{"DATABASE_POOL_MODE", "transaction"}};
  layers.env = &transaction;
  auto pooled = Parse(Resolve(layers, "catalog"), "catalog");
  REQUIRE(pooled);
  CHECK(pooled->database.transaction_pooling);
  Env bad = {{"DATABASE_POOL_MODE", "pgbouncer\xff"}};
  layers.env = &bad;
  auto refused = Parse(Resolve(layers, "auth"), "auth");
  REQUIRE_FALSE(refused);
  REQUIRE(refused.error().size() == 1);
  CHECK(refused.error()[0].field == "DATABASE_POOL_MODE");
  CHECK_THAT(refused.error()[0].message, Catch::Contains("is not one of session, transaction"));
}

TEST_CASE("AUTH_GRPC_ADDR names one auth replica or several, and a bad entry by its position",
          "[config][auth-client]") {
  auto one = giia::server::ParseAuthAddresses("auth:9091");
  REQUIRE(one);
  CHECK(*one == std::vector<std::string>{"auth:9091"});
  auto list = giia::server::ParseAuthAddresses("10.0.0.1:9091, auth-1.auth:9091 ,[::1]:9092");
  REQUIRE(list);
  CHECK(*list == std::vector<std::string>{"10.0.0.1:9091", "auth-1.auth:9091", "[::1]:9092"});
  const std::pair<const char*, const char*> refused[] = {
      {"", "is empty"},
      {"auth", "\"auth\" is not host:port"},
      {"a:1,,b:2", "entry 2 is empty"},
      {"a:1,b:0", "entry 2 \"b:0\" has no port of 1-65535"},
      {"a:1,b:x", "entry 2 \"b:x\" has no port"},
      {":9091", "\":9091\" has no host"},
      {"[::1]", "is not host:port"},
      {"a:1 b:2", "\"a:1 b:2\" has no host"},
  };
  for (const auto& [text, why] : refused) {
    CAPTURE(text);
    auto parsed = giia::server::ParseAuthAddresses(text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().field == "AUTH_GRPC_ADDR");
    CHECK_THAT(parsed.error().message, Catch::Contains(why));
  }

  Env env = {{"AUTH_GRPC_ADDR", "a:9091,b"},
             {"AUTH_GRPC_MAX_ATTEMPTS", "0"},
             {"AUTH_GRPC_BREAKER_COOLDOWN", "soon"}};
  Layers layers;
  layers.env = &env;
  auto parsed = Parse(Resolve(layers, "catalog"), "catalog");
  REQUIRE_FALSE(parsed);
  REQUIRE(parsed.error().size() == 3);
  CHECK(parsed.error()[0].message ==
        "AUTH_GRPC_ADDR (environment): entry 2 \"b\" is not host:port");
  CHECK(parsed.error()[1].field == "AUTH_GRPC_MAX_ATTEMPTS");
  CHECK(parsed.error()[2].field == "AUTH_GRPC_BREAKER_COOLDOWN");
  Env good = {{"AUTH_GRPC_ADDR", "a:9091,b:9091"}, {"AUTH_GRPC_ATTEMPT_TIMEOUT", "250ms"}};
  layers.env = &good;
  auto ok = Parse(Resolve(layers, "catalog"), "catalog");
  REQUIRE(ok);
  CHECK(ok->auth_grpc_addrs == std::vector<std::string>{"a:9091", "b:9091"});
  CHECK(ok->auth_grpc_attempt_timeout == std::chrono::milliseconds(250));
  CHECK(ok->auth_grpc_max_attempts == 3);
  CHECK(ok->auth_grpc_breaker_failures == 3);
  CHECK(ok->auth_grpc_breaker_cooldown == std::chrono::milliseconds(500));
}
