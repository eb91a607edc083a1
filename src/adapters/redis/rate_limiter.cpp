#include "adapters/redis/rate_limiter.hpp"

namespace giia::redis {

std::string RedisRateLimiter::KeyFor(const std::string& key,
                                     std::chrono::system_clock::time_point at) const {
  const auto minute =
      std::chrono::duration_cast<std::chrono::minutes>(at.time_since_epoch()).count();
  return client_.options().key_prefix + "ratelimit:" + key + ":" + std::to_string(minute);
}

Result<bool> RedisRateLimiter::Allow(const std::string& key, int per_minute) {
  const std::string counter = KeyFor(key, now_());
  // EXPIRE outlives the window by a minute so a slow clock on one replica
  // still finds the count; the next minute uses a new key anyway.
  auto replies =
      client_.Pipeline({{"MULTI"}, {"INCR", counter}, {"EXPIRE", counter, "120"}, {"EXEC"}});
  if (!replies) return tl::unexpected(replies.error());
  const RedisReply& exec = replies->back();
  if (replies->size() != 4 || exec.type != RedisReply::Type::kArray || exec.elements.size() != 2 ||
      exec.elements[0].type != RedisReply::Type::kInteger) {
    // An error reply (first the MULTI's, e.g. NOAUTH or LOADING) says why.
    for (const auto& r : *replies) {
      if (r.type == RedisReply::Type::kError) {
        return tl::unexpected(ReplyError(client_.where(), "MULTI/INCR/EXPIRE/EXEC", r.str));
      }
    }
    for (const auto& r : exec.elements) {
      if (r.type == RedisReply::Type::kError) {
        return tl::unexpected(ReplyError(client_.where(), "INCR/EXPIRE", r.str));
      }
    }
    return MakeError(ErrorCode::kInternal,
                     client_.where() + " gave an unexpected answer to INCR/EXPIRE");
  }
  return exec.elements[0].integer <= per_minute;
}

}  // namespace giia::redis
