#include "support/redis_server.hpp"

#include <poll.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "support/net.hpp"

namespace giia::testing {

std::string TestRedisUrl() {
  const char* url = std::getenv("GIIA_TEST_REDIS_URL");
  if (url == nullptr) FAIL("GIIA_TEST_REDIS_URL is not set: run the tests through scripts/test.sh");
  return url;
}

std::string UniqueRedisPrefix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return "t:" + std::to_string(getpid()) + ":" + std::to_string(++counter) + ":" +
         std::to_string(ns) + ":";
}

RedisServer::RedisServer(std::string password) : password_(std::move(password)) {
  if (access("/usr/bin/redis-server", X_OK) != 0) {
    FAIL("redis-server is not installed (Debian package redis-server)");
  }
  char tmpl[] = "/tmp/giia-redis-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  port_ = ClosedPort();  // free now; redis-server binds it with SO_REUSEADDR
  Start();
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::url() const {
  return "redis://" + (password_.empty() ? "" : ":" + password_ + "@") +
         "127.0.0.1:" + std::to_string(port_);
}

void RedisServer::Start() {
  REQUIRE(!process_);
  // redis-server writes its pid file once it listens: that is the signal.
  const std::string run_dir = dir_ + "/run";
  std::filesystem::remove_all(run_dir);
  std::filesystem::create_directories(run_dir);
  const std::string pid_file = run_dir + "/redis.pid";
  const int watch = inotify_init1(IN_CLOEXEC);
  REQUIRE(watch >= 0);
  inotify_add_watch(watch, run_dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
  std::vector<std::string> args = {
      "--port",    std::to_string(port_), "--bind",    "127.0.0.1", "--save",
      "",          "--appendonly",        "no",        "--dir",     dir_,
      "--logfile", dir_ + "/redis.log",   "--pidfile", pid_file};
  if (!password_.empty()) {
    args.push_back("--requirepass");
    args.push_back(password_);
  }
  process_ = std::make_unique<Process>("/usr/bin/redis-server", args, ProcessEnv{}, "");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(pid_file)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      close(watch);
      FAIL("redis-server did not start on port " << port_ << "; see " << dir_ << "/redis.log");
    }
    pollfd pfd{watch, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) > 0) {
      char events[4096];
      [[maybe_unused]] ssize_t n = read(watch, events, sizeof(events));
    }
  }
  close(watch);
}

void RedisServer::Stop() {
  if (process_) process_->Stop(9);
  process_.reset();
}

}  // namespace giia::testing
