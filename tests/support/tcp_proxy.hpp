#pragma once
// A TCP forwarder on a free loopback port that a test can cut (listener and
// every connection closed: the server behind it looks down) and restore (on
// the same port), to take a real server away from giia without stopping it.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace giia::testing {

class TcpProxy {
 public:
  TcpProxy(std::string target_host, int target_port);  // listening
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void Cut();
  void Restore();

 private:
  void Listen();
  void Accept();
  void Pump(int client);

  std::string host_;
  int target_port_;
  int port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a byte here stops the accept loop
  std::atomic<bool> cut_{false};
  std::mutex mu_;
  std::vector<int> sockets_;  // guarded by mu_
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// `url` (postgresql://user:pass@host:port/db) with the port replaced.
std::string WithPort(const std::string& url, int port);

}  // namespace giia::testing
