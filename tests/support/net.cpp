#include "support/net.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>

namespace giia::testing {

TcpListener::TcpListener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not inherited by child processes
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(listen(fd_, 16) == 0);
  socklen_t len = sizeof(addr);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

TcpListener::~TcpListener() { close(fd_); }

std::string TcpListener::AnswerHttp(const std::string& status, const std::string& body) {
  const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
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
  const std::string reply = "HTTP/1.1 " + status +
                            "\r\nContent-Length: " + std::to_string(body.size()) +
                            "\r\nConnection: close\r\n\r\n" + body;
  [[maybe_unused]] ssize_t w = write(c, reply.data(), reply.size());
  close(c);
  return request;
}

int ClosedPort() {
  TcpListener l;
  return l.port();
}

namespace {

// The first port of the kernel's ephemeral range (outgoing connections take
// their local port from it), 32768 when it cannot be read.
int EphemeralLow() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return range >> low && low > 11000 ? low : 32768;
}

// Whether `port` (0: any) on loopback can be bound now; the port bound.
int TryBind(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  int bound = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      bound = ntohs(addr.sin_port);
    }
  }
  ::close(fd);
  return bound;
}

}  // namespace

// A free port below the ephemeral range: the port is closed again before the
// server under test binds it, and one from the ephemeral range could be
// taken meanwhile as the local port of any outgoing connection (a flake seen
// with two tests at a time). Below it only another listener can take it, and
// picking at random makes two fixtures choosing the same port unlikely.
int FreePort() {
  thread_local std::minstd_rand random{std::random_device{}() ^ static_cast<unsigned>(::getpid())};
  const int high = EphemeralLow() - 1;
  std::uniform_int_distribution<int> pick(10000, high);
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (const int port = TryBind(pick(random)); port > 0) return port;
  }
  const int port = TryBind(0);
  REQUIRE(port > 0);
  return port;
}

std::string RawHttp(int port, const std::string& request, std::chrono::milliseconds wait) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    // A server may answer (413, 431) and close before it read everything.
    std::size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    char buf[8192];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return answer;
}

RawReply ParseRawReply(const std::string& answer) {
  RawReply r;
  if (answer.rfind("HTTP/1.", 0) == 0 && answer.size() >= 12) {
    r.status = std::atoi(answer.substr(9, 3).c_str());
  }
  const auto head_end = answer.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = answer.substr(head_end + 4);
  return r;
}

}  // namespace giia::testing
