#pragma once
// The access-token codec (authz::AccessTokenCodec): compact JWS tokens signed
// with HS256 (HMAC-SHA-256) or EdDSA (Ed25519), all through libsodium.
//
// One codec is pinned to one algorithm and one key. Verify accepts a token
// only when its header names exactly that algorithm (so "none", "hs256" or
// the other algorithm are refused), its signature verifies (checked before
// the payload is parsed), and its claims pass every check listed in
// core/authz/access_token.hpp. Every refusal is kUnauthenticated with a short reason
// ("token expired", "bad signature", ...) that never contains the token.
//
// Thread-safety: a JwtCodec is immutable after MakeJwtCodec; Sign, Verify and
// Jwks are const and may run concurrently from any number of threads.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/authz/access_token.hpp"
#include "core/common/result.hpp"

namespace giia::crypto {

inline constexpr std::string_view kJwtHs256 = "HS256";
inline constexpr std::string_view kJwtEdDsa = "EdDSA";
// Verify refuses longer tokens before looking at them.
inline constexpr std::size_t kMaxJwtBytes = 8192;

struct JwtOptions {
  std::string algorithm;  // "HS256" or "EdDSA", exactly
  // HS256: the shared secret, at least 32 bytes, used as given (raw bytes).
  std::string secret;
  // EdDSA: PEM files as `openssl genpkey -algorithm ed25519` and
  // `openssl pkey -pubout` write them (PKCS#8 "PRIVATE KEY", SPKI "PUBLIC
  // KEY"). Either one may be empty, not both: without the private key the
  // codec only verifies (Sign fails kFailedPrecondition); without the public
  // key it is derived from the private one. When both are given they must
  // belong together.
  std::string private_key_file;
  std::string public_key_file;
  std::string issuer = "giia-auth";  // iss written and required
  std::string audience = "giia";     // aud written and required
  std::int64_t leeway_seconds = 30;  // clock skew allowed on nbf and exp, 0..300
};

class JwtCodec final : public authz::AccessTokenCodec {
 public:
  ~JwtCodec() override;  // wipes the key material
  JwtCodec(const JwtCodec&) = delete;
  JwtCodec& operator=(const JwtCodec&) = delete;

  // Writes iss and aud from the options (claims.issuer/audience may be empty
  // or must equal them). Errors: kFailedPrecondition for a verify-only codec;
  // kInvalidArgument (field = the claim) when Verify would refuse the claims
  // whatever the time: typ not "access", empty sub/org/jti, another iss or
  // aud, strings that are not UTF-8.
  [[nodiscard]] Result<std::string> Sign(const authz::AccessClaims& claims) const override;
  // See core/authz/access_token.hpp. The claims returned carry the configured
  // audience even when the token's aud is an array that contains it.
  [[nodiscard]] Result<authz::AccessClaims> Verify(std::string_view token,
                                                   std::int64_t now) const override;
  // {"keys":[{"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"alg":"EdDSA","use":"sig"}]}
  // for EdDSA, {"keys":[]} for HS256.
  std::string Jwks() const override;

  const std::string& algorithm() const;
  // The "kid" written in EdDSA headers: the first 16 hex digits of the
  // SHA-256 of the raw public key. Empty for HS256.
  const std::string& key_id() const;
  bool can_sign() const;

 private:
  struct State;
  explicit JwtCodec(std::unique_ptr<State> state);
  friend Result<std::unique_ptr<JwtCodec>> MakeJwtCodec(const JwtOptions& options);

  std::unique_ptr<State> state_;
};

// Reads the keys and builds a codec; initializes libsodium if needed.
// Errors: kInvalidArgument with field "JWT_SECRET" (shorter than 32 bytes;
// the message never contains the secret), "JWT_PRIVATE_KEY_FILE" /
// "JWT_PUBLIC_KEY_FILE" (unreadable, not an Ed25519 key in the PEM form
// above, or a public key that does not match the private key), "algorithm",
// "issuer", "audience" or "leeway_seconds"; kInternal if libsodium cannot
// initialize.
[[nodiscard]] Result<std::unique_ptr<JwtCodec>> MakeJwtCodec(const JwtOptions& options);

}  // namespace giia::crypto
