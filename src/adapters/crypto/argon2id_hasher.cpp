#include "adapters/crypto/argon2id_hasher.hpp"

#include <sodium.h>

namespace giia::crypto {

Status InitSodium() {
  if (sodium_init() < 0) return MakeError(ErrorCode::kInternal, "libsodium failed to initialize");
  return Ok();
}

Result<std::string> Argon2idHasher::Hash(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.ops_limit,
                            params_.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return MakeError(ErrorCode::kResourceExhausted, "not enough memory to hash a password");
  }
  return std::string(out);
}

Result<bool> Argon2idHasher::Verify(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace giia::crypto
