// The HTTP runtime in-process, on a free port, with a real PostgreSQL probe:
// health, readiness, metrics, request ids, JSON errors, limits, the barrier.
#include "server/http/http_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "adapters/postgres/probe.hpp"
#include "server/http/health_routes.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

using namespace giia;
using nlohmann::json;

namespace {

struct DownProbe final : health::DependencyProbe {
  bool is_critical;
  explicit DownProbe(bool c) : is_critical(c) {}
  std::string name() const override { return is_critical ? "critical-thing" : "redis"; }
  bool critical() const override { return is_critical; }
  Status Check(std::chrono::milliseconds) override {
    return MakeError(ErrorCode::kUnavailable,
                     "not connected to nats://user:s3cretpw@10.0.0.1:4222");
  }
};

struct Running {
  server::metrics::Registry registry;
  spdlog::logger log{"test"};
  std::atomic<bool> draining{false};
  pg::PgProbe postgres;
  DownProbe redis{false};
  std::vector<health::DependencyProbe*> probes;
  std::unique_ptr<server::HttpServer> http;
  int port = 0;

  explicit Running(std::vector<health::DependencyProbe*> extra = {})
      : postgres([] {
          pg::ConnectOptions o;
          o.url = giia::testing::ServerUrl();
          return o;
        }()) {
    probes = {&postgres, &redis};
    probes.insert(probes.end(), extra.begin(), extra.end());
    server::HttpServerOptions options;
    options.host = "127.0.0.1";
    options.max_body_bytes = 1024;
    http = std::make_unique<server::HttpServer>(options, registry, log);
    server::AddHealthRoutes(*http, registry, probes, draining);
    http->Route("POST", "/echo", [](const server::HttpRequest& r) {
      return server::HttpResponse{200, r.body, "text/plain"};
    });
    http->Route("GET", "/boom", [](const server::HttpRequest&) -> server::HttpResponse {
      throw std::runtime_error("bug");
    });
    http->Route("GET", "/items/([0-9]+)", [](const server::HttpRequest& r) {
      if (r.matches[0] == "0") {
        return server::ErrorResponse(
            Error{ErrorCode::kInvalidArgument, "id must be positive", "id"}, r.request_id);
      }
      return server::HttpResponse{200, "{\"id\":" + r.matches[0] + "}", "application/json"};
    });
    port = http->Start().value();
  }
  httplib::Client Client() const { return httplib::Client("127.0.0.1", port); }
};

// Sends `request` as it is on a new connection and returns what the server
// answers within `wait` (the connection stays open for writing meanwhile).
std::string RawExchange(int port, const std::string& request, std::chrono::seconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(wait.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n;
    while (answer.find("\r\n\r\n") == std::string::npos &&
           (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

}  // namespace

TEST_CASE("A POST with neither Content-Length nor chunked encoding has an empty body",
          "[integration][http]") {
  Running s;  // its read timeout (10 s) is longer than this test waits
  const std::string answer =
      RawExchange(s.port, "POST /echo HTTP/1.1\r\nHost: test\r\n\r\n", std::chrono::seconds(5));
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200") && Catch::Contains("Content-Length: 0"));
  // A chunked body is still read as one.
  const std::string chunked = RawExchange(
      s.port,
      "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
      std::chrono::seconds(5));
  CHECK_THAT(chunked, Catch::StartsWith("HTTP/1.1 200") && Catch::Contains("Content-Length: 2"));
}

TEST_CASE("Liveness is 200, readiness reports each check, degraded stays ready",
          "[integration][http]") {
  Running s;
  auto client = s.Client();
  auto live = client.Get("/health/live");
  REQUIRE(live);
  CHECK(live->status == 200);
  CHECK(live->get_header_value("X-Request-Id").size() == 32);
  auto ready = client.Get("/health/ready");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  auto body = json::parse(ready->body);
  CHECK(body["status"] == "degraded");
  CHECK(body["checks"]["postgres"]["status"] == "up");
  CHECK(body["checks"]["redis"]["status"] == "down");
  // The state and latency, never the reason: it names the address, which
  // may carry credentials.
  CHECK(body["checks"]["redis"].size() == 3);
  CHECK(body["checks"]["redis"]["critical"] == false);
  CHECK(body["checks"]["redis"].contains("latency_ms"));
  CHECK(ready->body.find("s3cretpw") == std::string::npos);
  CHECK(ready->body.find("nats://") == std::string::npos);
  s.draining = true;
  auto draining = client.Get("/health/ready");
  REQUIRE(draining);
  CHECK(draining->status == 503);
  CHECK(client.Get("/health/live")->status == 200);  // liveness never follows readiness
}

TEST_CASE("A critical dependency down makes /health/ready 503, and giia health exits 4",
          "[integration][http]") {
  DownProbe critical(true);
  Running s({&critical});
  auto ready = s.Client().Get("/health/ready");
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK(json::parse(ready->body)["status"] == "not_ready");
  const std::string base = "http://127.0.0.1:" + std::to_string(s.port);
  CHECK(giia::testing::RunGiia({"health", "--http", base + "/health/ready"}).exit_code == 4);
  CHECK(giia::testing::RunGiia({"health", "--http", base + "/health/live"}).exit_code == 0);
}

TEST_CASE("Request ids, JSON errors, body limits and the exception barrier",
          "[integration][http]") {
  Running s;
  auto client = s.Client();
  auto echoed = client.Get("/items/7", {{"X-Request-Id", "req-abc.1"}});
  REQUIRE(echoed);
  CHECK(echoed->status == 200);
  CHECK(echoed->get_header_value("X-Request-Id") == "req-abc.1");
  auto forged = client.Get("/items/7", {{"X-Request-Id", "bad id with spaces"}});
  CHECK(forged->get_header_value("X-Request-Id") != "bad id with spaces");

  auto invalid = client.Get("/items/0", {{"X-Request-Id", "r-1"}});
  REQUIRE(invalid);
  CHECK(invalid->status == 400);
  auto e = json::parse(invalid->body)["error"];
  CHECK(e["code"] == "INVALID_ARGUMENT");
  CHECK(e["field"] == "id");
  CHECK(e["request_id"] == "r-1");

  auto missing = client.Get("/nowhere");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(json::parse(missing->body)["error"]["code"] == "NOT_FOUND");
  CHECK_FALSE(missing->get_header_value("X-Request-Id").empty());

  auto big = client.Post("/echo", std::string(4096, 'x'), "text/plain");
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(json::parse(big->body)["error"]["code"] == "INVALID_ARGUMENT");

  auto boom = client.Get("/boom");
  REQUIRE(boom);
  CHECK(boom->status == 500);
  CHECK(json::parse(boom->body)["error"]["code"] == "INTERNAL");
  CHECK(client.Get("/health/live")->status == 200);  // still serving
}

TEST_CASE("/metrics counts requests by route and passes promtool", "[integration][http]") {
  Running s;
  auto client = s.Client();
  for (int i = 0; i < 3; ++i) REQUIRE(client.Get("/items/5"));
  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK_THAT(metrics->get_header_value("Content-Type"), Catch::StartsWith("text/plain"));
  CHECK_THAT(metrics->body,
             Catch::Contains(
                 "http_requests_total{method=\"GET\",path=\"/items/([0-9]+)\",code=\"200\"} 3"));
  CHECK_THAT(metrics->body, Catch::Contains("http_request_duration_seconds_bucket"));
  auto checked =
      giia::testing::Process("/usr/bin/promtool", {"check", "metrics"}, {}, metrics->body).Wait();
  INFO(checked.err);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("A taken port fails loudly", "[integration][http]") {
  Running first;
  server::metrics::Registry registry;
  spdlog::logger log("test");
  server::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = first.port;
  server::HttpServer second(options, registry, log);
  auto started = second.Start();
  REQUIRE_FALSE(started);
  CHECK(started.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(started.error().message, Catch::Contains(std::to_string(first.port)));
}
