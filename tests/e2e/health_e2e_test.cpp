// giia health --deps against the real PostgreSQL, Redis and NATS of the test
// run, and --http against a listener of the test's own.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <future>
#include <nlohmann/json.hpp>

#include "support/nats_server.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

using giia::testing::ClosedPort;
using giia::testing::NatsServer;
using giia::testing::ProcessEnv;
using giia::testing::RunGiia;
using nlohmann::json;

namespace {

std::string RedisUrl() {
  const char* url = std::getenv("GIIA_TEST_REDIS_URL");
  if (url == nullptr) FAIL("GIIA_TEST_REDIS_URL is not set: run the tests through scripts/test.sh");
  return url;
}

}  // namespace

TEST_CASE("giia health --deps: ready, degraded without Redis, unreachable without PostgreSQL",
          "[health]") {
  NatsServer nats;
  ProcessEnv env = {{"DATABASE_URL", giia::testing::ServerUrl()},
                    {"REDIS_URL", RedisUrl()},
                    {"NATS_URL", nats.url()}};
  auto ready = RunGiia({"health", "--deps", "--output", "json"}, env);
  INFO(ready.out << ready.err);
  REQUIRE(ready.exit_code == 0);
  auto j = json::parse(ready.out);
  CHECK(j["status"] == "ready");
  REQUIRE(j["checks"].size() == 3);
  for (const auto& c : j["checks"]) CHECK(c["status"] == "up");

  env["REDIS_URL"] = "redis://127.0.0.1:" + std::to_string(ClosedPort());
  auto degraded = RunGiia({"health", "--deps"}, env);
  CHECK(degraded.exit_code == 0);
  CHECK_THAT(degraded.out, Catch::Contains("status: degraded") && Catch::Contains("redis"));

  env["DATABASE_URL"] = "postgresql://giia:pw@127.0.0.1:" + std::to_string(ClosedPort()) + "/giia";
  auto down = RunGiia({"health", "--deps", "--timeout", "500ms"}, env);
  CHECK(down.exit_code == 2);
  CHECK_THAT(down.out, Catch::Contains("status: not_ready"));
  CHECK(down.out.find("pw@") == std::string::npos);
}

TEST_CASE("giia health --http: 200 serving, 503 not serving, nothing there unreachable",
          "[health]") {
  giia::testing::TcpListener server;
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/health/ready";
  auto serving = std::async(std::launch::async,
                            [&] { server.AnswerHttp("200 OK", "{\"status\":\"ready\"}"); });
  auto ok = RunGiia({"health", "--http", url});
  serving.get();
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.out, Catch::Contains("200"));
  auto draining =
      std::async(std::launch::async, [&] { server.AnswerHttp("503 Service Unavailable", "{}"); });
  auto not_serving = RunGiia({"health", "--http", url, "--output", "json"});
  draining.get();
  CHECK(not_serving.exit_code == 4);
  CHECK(json::parse(not_serving.out)["status"] == 503);
  auto broken =
      std::async(std::launch::async, [&] { server.AnswerHttp("500 Internal Server Error", ""); });
  CHECK(RunGiia({"health", "--http", url}).exit_code == 3);
  broken.get();

  const auto start = std::chrono::steady_clock::now();
  auto nothing = RunGiia({"health", "--http",
                          "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/health/live",
                          "--timeout", "1s"});
  CHECK(nothing.exit_code == 2);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(RunGiia({"health", "--http", "ftp://x/y"}).exit_code == 1);
  CHECK(RunGiia({"health"}).exit_code == 1);
  CHECK(RunGiia({"health", "--deps", "--http", url}).exit_code == 1);
}
