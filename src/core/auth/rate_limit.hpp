#pragma once
// A fixed-window rate limit shared by every replica (logins per client address).

#include <string>

#include "core/common/result.hpp"

namespace giia::auth {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Counts one hit for `key` in the current minute and says whether it is
  // within `per_minute`. Errors: kUnavailable when the limiter's store is
  // unreachable (callers then allow: a rate limit is no reason to refuse logins).
  [[nodiscard]] virtual Result<bool> Allow(const std::string& key, int per_minute) = 0;
};

}  // namespace giia::auth
