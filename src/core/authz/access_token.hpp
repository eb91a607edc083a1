#pragma once
// Access tokens: the claims giia signs into a JWT, and the port that signs and
// verifies them. The codec (src/adapters/crypto/jwt) is pinned to one
// algorithm, chosen by configuration; refresh tokens are opaque and never JWTs.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace giia::authz {

// The only token type giia signs; a JWT with any other "typ" claim is refused.
inline constexpr std::string_view kAccessTokenType = "access";

struct AccessClaims {
  std::string issuer;        // iss
  std::string audience;      // aud
  std::string subject;       // sub: the user id
  std::string organization;  // org: the organization id (the tenant)
  std::string email;
  std::string token_id;                // jti
  std::int64_t issued_at = 0;          // iat, Unix seconds
  std::int64_t not_before = 0;         // nbf
  std::int64_t expires_at = 0;         // exp
  std::int64_t token_version = 0;      // ver: the user's token version when issued
  std::string type{kAccessTokenType};  // typ
};

class AccessTokenCodec {
 public:
  virtual ~AccessTokenCodec() = default;
  // A compact JWS over `claims`, signed with the configured key and algorithm.
  [[nodiscard]] virtual Result<std::string> Sign(const AccessClaims& claims) const = 0;
  // The claims of `token` when its header names exactly the configured
  // algorithm, its signature verifies, iss and aud are the configured ones,
  // typ is "access", every claim above is present with the right JSON type,
  // nbf - leeway <= now < exp + leeway. now is Unix seconds.
  // Errors: kUnauthenticated with a message that says why (never the token).
  [[nodiscard]] virtual Result<AccessClaims> Verify(std::string_view token,
                                                    std::int64_t now) const = 0;
  // The JSON Web Key Set that verifies our tokens ({"keys":[]} for HS256).
  virtual std::string Jwks() const = 0;
};

}  // namespace giia::authz
