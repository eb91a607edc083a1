#pragma once
// A Redis PING (hiredis) for readiness and `giia health --deps`.

#include <string>

#include "core/health/readiness.hpp"

namespace giia::redis {

// redis://[:password@]host[:port][/db]. Errors: kInvalidArgument (field
// REDIS_URL) saying what is wrong; the password is never repeated.
struct RedisAddress {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
};
[[nodiscard]] Result<RedisAddress> ParseRedisUrl(const std::string& url);

class RedisProbe final : public health::DependencyProbe {
 public:
  explicit RedisProbe(RedisAddress address) : address_(std::move(address)) {}
  std::string name() const override { return "redis"; }
  bool critical() const override { return false; }
  Status Check(std::chrono::milliseconds timeout) override;

 private:
  RedisAddress address_;
};

}  // namespace giia::redis
