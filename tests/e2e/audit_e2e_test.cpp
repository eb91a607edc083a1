// `giia serve auth` as a process: no request text stops the audit log.
// Logins whose User-Agent is not valid UTF-8 (or is cut mid-character by
// the bound) are audited like any other, and so is every login after them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "e2e/support/auth_server.hpp"
#include "support/poll.hpp"

using giia::testing::AuthServer;
using giia::testing::kPassword;

namespace {

// POSTs a login as raw bytes (any header value, as a client may send it) and
// returns the status line.
std::string RawLogin(int port, const std::string& email, const std::string& user_agent,
                     const std::string& request_id, const std::string& password = kPassword) {
  const std::string body = nlohmann::json{{"email", email}, {"password", password}}.dump();
  const std::string request =
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "User-Agent: " +
      user_agent + "\r\nX-Request-Id: " + request_id +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n;
    while (answer.find("\r\n") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

}  // namespace

TEST_CASE("Logins with a User-Agent of %FF, a raw 0xFF or 600 bytes cut mid-character are audited",
          "[auth][audit]") {
  AuthServer server;
  server.RegisterAdmin("ada@example.com", "Acme");
  const int port = server.http_port();
  // httplib decodes %FF in a header value to the byte 0xFF.
  CHECK(RawLogin(port, "ada@example.com", "%FF", "ua-pct-ff") == "HTTP/1.1 200 OK");
  CHECK(RawLogin(port, "ada@example.com", "\xFF\xFE", "ua-raw-ff") == "HTTP/1.1 200 OK");
  // Byte 500 (the bound) falls inside the 3-byte euro sign.
  std::string long_ua = std::string(499, 'a') + "\xE2\x82\xAC";
  long_ua += std::string(600 - long_ua.size(), 'z');
  CHECK(RawLogin(port, "ada@example.com", long_ua, "ua-long") == "HTTP/1.1 200 OK");
  // A failed login stores no session: only its audit entry carries the text.
  CHECK(RawLogin(port, "ada@example.com", "\xFF", "ua-failed-ff", "wrong password") ==
        "HTTP/1.1 401 Unauthorized");
  CHECK(RawLogin(port, "ada@example.com", "curl/8.0", "ua-normal") == "HTTP/1.1 200 OK");

  auto& db = server.db().sql();
  const std::string count =
      "SELECT count(*) FROM auth.audit_logs WHERE action IN ('login', 'login.failed') AND "
      "request_id IN ('ua-pct-ff', 'ua-raw-ff', 'ua-long', 'ua-failed-ff', 'ua-normal')";
  CHECK(giia::testing::Eventually([&] { return giia::testing::Scalar(db, count) == "5"; },
                                  std::chrono::seconds(20)));
  // The login after them is there (on the old writer, the batch holding 0xFF
  // was retried forever and nothing after it was written).
  CHECK(giia::testing::Scalar(
            db, "SELECT count(*) FROM auth.audit_logs WHERE request_id = 'ua-normal'") == "1");
  CHECK(giia::testing::Scalar(
            db, "SELECT user_agent FROM auth.audit_logs WHERE request_id = 'ua-long'") ==
        std::string(499, 'a'));
  CHECK(giia::testing::Scalar(
            db, "SELECT user_agent FROM auth.audit_logs WHERE request_id = 'ua-raw-ff'") ==
        "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(giia::testing::Scalar(
            db, "SELECT user_agent FROM auth.audit_logs WHERE request_id = 'ua-normal'") ==
        "curl/8.0");
  // The sessions of those logins hold the same text.
  CHECK(giia::testing::Scalar(db, "SELECT count(*) FROM auth.refresh_tokens WHERE user_agent = '" +
                                      std::string(499, 'a') + "'") == "1");
}
