// The HTTP runtime in-process, on a free port, with a real PostgreSQL probe:
// health, readiness, metrics, request ids, JSON errors, limits, the barrier.
#include "server/http/http_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "adapters/postgres/probe.hpp"
#include "server/http/health_routes.hpp"
#include "support/poll.hpp"
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

  explicit Running(std::vector<health::DependencyProbe*> extra = {},
                   const std::function<void(server::HttpServerOptions&)>& tune = {})
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
    if (tune) tune(options);
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

// A connection to the server on loopback (blocking), with `wait` as its
// send and receive timeouts.
int Connect(int port, std::chrono::seconds wait = std::chrono::seconds(5)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(wait.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Reads on from `answer` until one answer is whole: its header and, when it
// has a Content-Length, its body (or until the receive timeout or the end).
std::string ReadAnswer(int fd, std::string answer = "") {
  char buf[4096];
  ssize_t n;
  const auto whole = [&answer] {
    const std::size_t end = answer.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::size_t cl = answer.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) return true;
    return answer.size() >= end + 4 + std::stoul(answer.substr(cl + 16));
  };
  while (!whole() && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    answer.append(buf, static_cast<std::size_t>(n));
  }
  return answer;
}

// Sends `request` as it is on a new connection and returns what the server
// answers within `wait` (the connection stays open for writing meanwhile).
std::string RawExchange(int port, const std::string& request, std::chrono::seconds wait) {
  const int fd = Connect(port, wait);
  std::string answer;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    answer = ReadAnswer(fd);
  }
  ::close(fd);
  return answer;
}

// The JSON body of a raw answer (discarded when it has none).
json BodyOf(const std::string& answer) {
  const std::size_t end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return json::value_t::discarded;
  return json::parse(answer.substr(end + 4), nullptr, false);
}

// True when the server has closed `fd` (end of stream or reset); never blocks.
bool ClosedByPeer(int fd) {
  char c;
  const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// This process's resident memory, in KiB (VmRSS of /proc/self/status).
long RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Client sockets closed at the end of a test, before the server stops.
struct Sockets {
  std::vector<int> fds;
  ~Sockets() {
    for (int fd : fds) ::close(fd);
  }
};

}  // namespace

TEST_CASE("A POST with neither Content-Length nor chunked encoding has an empty body", "[http]") {
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

TEST_CASE("Liveness is 200, readiness reports each check, degraded stays ready", "[http]") {
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

TEST_CASE("A critical dependency down makes /health/ready 503, and giia health exits 4", "[http]") {
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

TEST_CASE("Request ids, JSON errors, body limits and the exception barrier", "[http]") {
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

TEST_CASE("/metrics counts requests by route and passes promtool", "[http]") {
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

TEST_CASE("A taken port fails loudly", "[http]") {
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

TEST_CASE(
    "1,000 idle connections and 100 half request lines delay no one, and the header timeout ends "
    "them",
    "[http]") {
  // Both ends of 1,100 connections live in this process.
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  if (files.rlim_cur < 4096) {
    files.rlim_cur = std::min<rlim_t>(4096, files.rlim_max);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &files) == 0);
  }
  REQUIRE(files.rlim_cur >= 2400);
  constexpr auto kHeaderTimeout = std::chrono::seconds(3);
  Running s({}, [&](server::HttpServerOptions& o) { o.header_timeout = kHeaderTimeout; });
  Sockets slow;
  const auto opened = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) slow.fds.push_back(Connect(s.port));  // and nothing sent
  const std::string half = "GET /health/live HT";
  for (int i = 0; i < 100; ++i) {
    slow.fds.push_back(Connect(s.port));
    REQUIRE(::send(slow.fds.back(), half.data(), half.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(half.size()));
  }
  for (const std::string path : {"/health/live", "/health/ready", "/health/live"}) {
    const auto start = std::chrono::steady_clock::now();
    const std::string answer =
        RawExchange(s.port, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                    std::chrono::seconds(2));
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(path);
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200"));
    CHECK(took < std::chrono::seconds(1));
  }
  // Open until their header timeout, then closed by the server.
  REQUIRE(std::chrono::steady_clock::now() - opened <
          kHeaderTimeout - std::chrono::milliseconds(500));
  int closed_early = 0;
  for (int fd : slow.fds) closed_early += ClosedByPeer(fd) ? 1 : 0;
  CHECK(closed_early == 0);
  std::vector<int> open = slow.fds;
  CHECK(giia::testing::Eventually(
      [&] {
        std::erase_if(open, ClosedByPeer);
        return open.empty();
      },
      kHeaderTimeout + std::chrono::seconds(10), std::chrono::milliseconds(100)));
  CHECK(std::chrono::steady_clock::now() - opened >=
        kHeaderTimeout - std::chrono::milliseconds(500));
  CHECK(open.size() == 0);
}

TEST_CASE("A keep-alive connection is closed after the idle timeout", "[http]") {
  Running s({}, [](server::HttpServerOptions& o) { o.idle_timeout = std::chrono::seconds(1); });
  Sockets c;
  c.fds.push_back(Connect(s.port));
  const std::string get = "GET /health/live HTTP/1.1\r\nHost: t\r\n\r\n";
  for (int i = 0; i < 2; ++i) {  // the same connection serves one request after another
    REQUIRE(::send(c.fds[0], get.data(), get.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(get.size()));
    CHECK_THAT(ReadAnswer(c.fds[0]), Catch::StartsWith("HTTP/1.1 200"));
  }
  const auto idle_from = std::chrono::steady_clock::now();
  CHECK(giia::testing::Eventually([&] { return ClosedByPeer(c.fds[0]); }, std::chrono::seconds(3)));
  CHECK(std::chrono::steady_clock::now() - idle_from >= std::chrono::milliseconds(900));
}

TEST_CASE("A chunked body over the limit is refused with 413 as it streams, never buffered whole",
          "[http]") {
  Running s;  // max_body_bytes 1024
  const long rss_before = RssKiB();
  Sockets c;
  c.fds.push_back(Connect(s.port, std::chrono::seconds(10)));
  const int fd = c.fds[0];
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size()));
  const std::string chunk = "10000\r\n" + std::string(64 << 10, 'x') + "\r\n";  // 64 KiB
  std::size_t sent = 0;
  std::string answer;
  // 64 MiB in 1,024 chunks, looking for an answer before each one.
  for (int i = 0; i < 1024; ++i) {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
    }
    if (answer.find("\r\n\r\n") != std::string::npos || n == 0) break;
    const ssize_t w = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (w <= 0) break;
    sent += static_cast<std::size_t>(w);
  }
  answer = ReadAnswer(fd, answer);
  const long rss_after = RssKiB();
  INFO(answer.substr(0, 300));
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 413"));
  const json body = BodyOf(answer);
  REQUIRE(body.is_object());
  CHECK(body["error"]["code"] == "INVALID_ARGUMENT");
  CHECK_THAT(body["error"]["message"].get<std::string>(), Catch::Contains("1024"));
  CHECK(sent < std::size_t{64} << 20);  // refused before the end
  INFO("RSS grew by " << (rss_after - rss_before) << " KiB");
  CHECK(rss_after - rss_before < 8 * 1024);
  CHECK(giia::testing::Eventually([&] { return ClosedByPeer(fd); }, std::chrono::seconds(5)));
}

TEST_CASE("A Content-Length over the limit is refused with 413 before the body is sent", "[http]") {
  Running s;
  const auto start = std::chrono::steady_clock::now();
  const std::string answer = RawExchange(s.port,
                                         "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                                         "text/plain\r\nContent-Length: 67108864\r\n\r\n",
                                         std::chrono::seconds(5));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 413") && Catch::Contains("X-Request-Id: "));
  const json body = BodyOf(answer);
  REQUIRE(body.is_object());
  CHECK(body["error"]["code"] == "INVALID_ARGUMENT");
  // Within the limit, a client that asks first is told to go on.
  Sockets c;
  c.fds.push_back(Connect(s.port));
  const std::string ask =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";
  REQUIRE(::send(c.fds[0], ask.data(), ask.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(ask.size()));
  CHECK_THAT(ReadAnswer(c.fds[0]), Catch::StartsWith("HTTP/1.1 100 Continue"));
  REQUIRE(::send(c.fds[0], "hi", 2, MSG_NOSIGNAL) == 2);
  CHECK_THAT(ReadAnswer(c.fds[0]), Catch::StartsWith("HTTP/1.1 200") && Catch::EndsWith("hi"));
}

TEST_CASE("A 64 KB header is refused with 431 and the error object", "[http]") {
  Running s;
  const std::string answer = RawExchange(
      s.port,
      "GET /health/live HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n",
      std::chrono::seconds(5));
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 431"));
  const json body = BodyOf(answer);
  REQUIRE(body.is_object());
  CHECK(body["error"]["code"] == "INVALID_ARGUMENT");
  // A long path (10 KB, within the header limit) is not matched against the routes.
  const std::string long_path =
      RawExchange(s.port, "GET /items/" + std::string(10000, '7') + " HTTP/1.1\r\nHost: t\r\n\r\n",
                  std::chrono::seconds(5));
  CHECK_THAT(long_path, Catch::StartsWith("HTTP/1.1 414"));
  CHECK(BodyOf(long_path)["error"]["code"] == "INVALID_ARGUMENT");
  CHECK(s.Client().Get("/health/live")->status == 200);  // and the server serves on
}

// Not run by default: requests per second on /health/live, for comparing
// HTTP servers (`giia_integration_tests "[.bench]" -s`).
TEST_CASE("Benchmark: wrk against /health/live", "[.bench]") {
  Running s;
  const std::string url = "http://127.0.0.1:" + std::to_string(s.port) + "/health/live";
  for (const char* connections : {"1", "32"}) {
    const std::vector<std::string> args = {"-t1", std::string("-c") + connections, "-d5s",
                                           "--latency", url};
    auto r = giia::testing::Process("/usr/bin/wrk", args, {}, "").Wait(std::chrono::seconds(30));
    WARN("wrk -c" << connections << "\n" << r.out);
  }
}
