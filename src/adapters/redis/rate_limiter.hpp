#pragma once
// The login rate limit in Redis: a fixed one-minute window per key,
// shared by every replica.
//
//   key  <prefix>ratelimit:<key>:<unix minute>, INCR then EXPIRE 120 inside
//        MULTI/EXEC, sent as one pipeline (one round trip, atomic)

#include <chrono>
#include <functional>
#include <string>

#include "adapters/redis/client.hpp"
#include "core/auth/rate_limit.hpp"

namespace giia::redis {

// Thread-safe. `client` must outlive it.
class RedisRateLimiter final : public auth::RateLimiter {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // `now` picks the window (tests pass a fixed clock); the default is the
  // system clock, which replicas are assumed to agree on within seconds.
  explicit RedisRateLimiter(RedisClient& client, WallClock now = &std::chrono::system_clock::now)
      : client_(client), now_(std::move(now)) {}

  // True while this is hit number <= per_minute for `key` in the current
  // minute (per_minute <= 0 refuses everything). Every call counts, refused
  // ones too. Errors: kUnavailable (callers then allow), kInternal (an
  // unexpected reply).
  [[nodiscard]] Result<bool> Allow(const std::string& key, int per_minute) override;

  // The Redis key counting `key` in the window holding `at`.
  std::string KeyFor(const std::string& key, std::chrono::system_clock::time_point at) const;

 private:
  RedisClient& client_;
  WallClock now_;
};

}  // namespace giia::redis
