#pragma once
// Redis for the [redis] tests: the shared server of the test run
// (GIIA_TEST_REDIS_URL) with a key prefix of the test's own, or a
// redis-server of the test's own on a free loopback port that can be stopped
// (killed, like a crash) and started again on the same port.

#include <memory>
#include <string>

#include "support/process.hpp"

namespace giia::testing {

// GIIA_TEST_REDIS_URL; fails the test when it is not set.
std::string TestRedisUrl();

// A key prefix no other test (in this or another run) uses: "t:<pid>:<n>:<ns>:".
std::string UniqueRedisPrefix();

class RedisServer {
 public:
  explicit RedisServer(std::string password = "");  // starts it
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://127.0.0.1:P, with ":password@" when there is one.
  std::string url() const;
  void Stop();   // SIGKILL: connections drop as in a crash; no data survives
  void Start();  // again, same port; returns once it accepts connections

 private:
  std::string dir_;
  std::string password_;
  int port_ = -1;
  std::unique_ptr<Process> process_;
};

}  // namespace giia::testing
