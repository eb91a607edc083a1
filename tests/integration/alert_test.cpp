// The dead-letter webhook against a real HTTP listener on a free port.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>

#include "adapters/http/client.hpp"
#include "adapters/http/webhook.hpp"

using namespace giia;

namespace {

// Accepts one connection, reads one HTTP request, answers `status`.
struct OneShotHttp {
  int fd = -1;
  int port = 0;
  explicit OneShotHttp() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(listen(fd, 4) == 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~OneShotHttp() { close(fd); }
  std::string Serve(const char* status) {
    const int c = accept(fd, nullptr, nullptr);
    std::string request;
    char buf[4096];
    for (;;) {
      const ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
      const auto head_end = request.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      const auto cl = request.find("Content-Length: ");
      const std::size_t length = cl == std::string::npos ? 0 : std::stoul(request.substr(cl + 16));
      if (request.size() >= head_end + 4 + length) break;
    }
    const std::string reply =
        std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    [[maybe_unused]] ssize_t w = write(c, reply.data(), reply.size());
    close(c);
    return request;
  }
};

events::DeadLetter Letter() {
  events::DeadLetter l;
  l.consumer = "mailer";
  l.original_subject = "auth.user.registered";
  l.stream = "AUTH_EVENTS";
  l.stream_sequence = 7;
  l.attempts = 3;
  l.error = "smtp refused";
  l.event_type = "user.registered";
  l.organization = "org-1";
  return l;
}

}  // namespace

TEST_CASE("A dead letter is POSTed to the alert webhook as JSON", "[integration][alert]") {
  http::InitHttpClient();
  OneShotHttp server;
  auto request = std::async(std::launch::async, [&] { return server.Serve("200 OK"); });
  http::WebhookAlert webhook("http://127.0.0.1:" + std::to_string(server.port) + "/hook");
  webhook.Raise(Letter());
  const std::string got = request.get();
  CHECK_THAT(got, Catch::StartsWith("POST /hook HTTP/1.1"));
  CHECK_THAT(got, Catch::Contains("Content-Type: application/json"));
  auto body = nlohmann::json::parse(got.substr(got.find("\r\n\r\n") + 4));
  CHECK(body["alert"] == "dead_letter");
  CHECK(body["consumer"] == "mailer");
  CHECK(body["subject"] == "auth.user.registered");
  CHECK(body["attempts"] == 3);
  CHECK(webhook.sent() == 1);
}

TEST_CASE("A webhook that fails or is down is counted, within the timeout",
          "[integration][alert]") {
  http::InitHttpClient();
  OneShotHttp server;
  auto request = std::async(std::launch::async, [&] { return server.Serve("500 Oops"); });
  http::WebhookAlert failing("http://127.0.0.1:" + std::to_string(server.port) + "/hook");
  failing.Raise(Letter());
  request.get();
  CHECK(failing.failures() == 1);

  const int closed = [] {
    OneShotHttp s;
    return s.port;
  }();
  http::WebhookAlert down("http://127.0.0.1:" + std::to_string(closed) + "/hook",
                          std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  down.Raise(Letter());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(down.failures() == 1);
}
