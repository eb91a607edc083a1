#pragma once
// Random tokens, UUIDs and SHA-256 digests (libsodium). Thread-safe.

#include "core/auth/accounts.hpp"

namespace giia::crypto {

// REQUIRES: InitSodium() succeeded.
class SodiumSecrets final : public auth::Secrets {
 public:
  std::string NewToken() override;
  std::string NewUuid() override;
  std::string Digest(std::string_view token) override;
};

}  // namespace giia::crypto
