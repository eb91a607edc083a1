#include "core/authz/token_cache.hpp"

namespace giia::authz {

Result<AccessClaims> CachingTokenCodec::Verify(std::string_view token, std::int64_t now) const {
  {
    std::shared_lock lock(mu_);
    auto it = verified_.find(std::string(token));
    if (it != verified_.end()) {
      const AccessClaims& c = it->second;
      if (now >= c.expires_at + leeway_) {
        return MakeError(ErrorCode::kUnauthenticated, "token expired");
      }
      if (now < c.not_before - leeway_) {
        return MakeError(ErrorCode::kUnauthenticated, "token not valid yet");
      }
      return c;
    }
  }
  auto claims = inner_.Verify(token, now);
  if (!claims) return claims;
  std::unique_lock lock(mu_);
  if (verified_.size() >= capacity_) verified_.clear();
  verified_.emplace(std::string(token), *claims);
  return claims;
}

}  // namespace giia::authz
