#include "support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "support/poll.hpp"

namespace giia::testing {

TcpProxy::TcpProxy(std::string target_host, int target_port)
    : host_(std::move(target_host)), target_port_(target_port) {
  Listen();
}

TcpProxy::~TcpProxy() { Cut(); }

void TcpProxy::Listen() {
  // A socket bound to `port` on loopback, or -1.
  auto bind_to = [](int port) {
    // CLOEXEC: a child process (giia) must not inherit the port and keep it open.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    ::close(fd);
    return -1;
  };
  if (port_ != 0) {
    // Restoring: the old connections may hold the port a moment longer.
    Eventually([&] { return (listener_ = bind_to(port_)) >= 0; }, std::chrono::seconds(5));
  } else {
    // Below the ephemeral range (32768+): while the proxy is cut, a client
    // retrying to connect could otherwise be given this very port as its own
    // source port and connect to itself (TCP self-connect), and hang.
    std::mt19937 rng{std::random_device{}()};
    for (int attempt = 0; attempt < 200 && listener_ < 0; ++attempt) {
      const int port = 10000 + static_cast<int>(rng() % 22000);
      if ((listener_ = bind_to(port)) >= 0) port_ = port;
    }
  }
  REQUIRE(listener_ >= 0);
  REQUIRE(::listen(listener_, 64) == 0);
  REQUIRE(::pipe2(wake_, O_CLOEXEC) == 0);
  cut_.store(false);
  acceptor_ = std::thread([this] { Accept(); });
}

void TcpProxy::Accept() {
  for (;;) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard lock(mu_);
    sockets_.push_back(client);
    pumps_.emplace_back([this, client] { Pump(client); });
  }
}

void TcpProxy::Pump(int client) {
  const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(target_port_));
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  {
    std::lock_guard lock(mu_);
    sockets_.push_back(server);
  }
  if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::shutdown(client, SHUT_RDWR);
    return;
  }
  char buf[16384];
  for (;;) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) break;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0 || ::send(fds[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
        done = true;
      }
    }
    if (done) break;
  }
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(server, SHUT_RDWR);
}

void TcpProxy::Cut() {
  if (cut_.exchange(true)) return;
  (void)!::write(wake_[1], "x", 1);
  acceptor_.join();
  ::close(listener_);
  listener_ = -1;
  std::vector<std::thread> pumps;
  {
    std::lock_guard lock(mu_);
    for (int fd : sockets_) ::shutdown(fd, SHUT_RDWR);
    pumps.swap(pumps_);
  }
  for (auto& t : pumps) t.join();
  std::lock_guard lock(mu_);
  for (int fd : sockets_) ::close(fd);
  sockets_.clear();
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::Restore() {
  if (!cut_.load()) return;
  Listen();
}

std::string WithPort(const std::string& url, int port) {
  const auto at = url.rfind('@');
  const auto colon = url.find(':', at == std::string::npos ? url.find("//") + 2 : at);
  const auto slash = url.find('/', colon);
  REQUIRE(colon != std::string::npos);
  return url.substr(0, colon + 1) + std::to_string(port) +
         (slash == std::string::npos ? "" : url.substr(slash));
}

}  // namespace giia::testing
