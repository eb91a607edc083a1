#pragma once
// A verified-token cache in front of a slow codec (EdDSA verification costs
// tens of microseconds; a service sees the same access token many times in
// its 15 minutes). Only tokens that verified are kept, keyed by the exact
// token text, until their expiry; a hit re-checks exp and nbf against `now`.
// Bounded: when full, it starts over (no LRU bookkeeping on the hot path).

#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/authz/access_token.hpp"

namespace giia::authz {

class CachingTokenCodec final : public AccessTokenCodec {
 public:
  // `inner` must outlive this object.
  CachingTokenCodec(const AccessTokenCodec& inner, std::size_t capacity = 10000,
                    std::int64_t leeway_seconds = 30)
      : inner_(inner), capacity_(capacity), leeway_(leeway_seconds) {}

  Result<std::string> Sign(const AccessClaims& claims) const override {
    return inner_.Sign(claims);
  }
  Result<AccessClaims> Verify(std::string_view token, std::int64_t now) const override;
  std::string Jwks() const override { return inner_.Jwks(); }

 private:
  const AccessTokenCodec& inner_;
  const std::size_t capacity_;
  const std::int64_t leeway_;
  mutable std::shared_mutex mu_;
  mutable std::unordered_map<std::string, AccessClaims> verified_;
};

}  // namespace giia::authz
