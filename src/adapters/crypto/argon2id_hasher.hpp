#pragma once
// argon2id password hashing (libsodium). Thread-safe.

#include <cstddef>
#include <cstdint>

#include "core/auth/ports.hpp"

namespace giia::crypto {

struct Argon2idParams {
  std::uint64_t ops_limit = 2;                  // libsodium's INTERACTIVE
  std::size_t mem_limit = 64ULL * 1024 * 1024;  // 64 MiB
};

// Initializes libsodium once per process. Errors: kInternal when it cannot be.
[[nodiscard]] Status InitSodium();

class Argon2idHasher final : public auth::PasswordHasher {
 public:
  // REQUIRES: InitSodium() succeeded.
  explicit Argon2idHasher(Argon2idParams params = {}) : params_(params) {}
  Result<std::string> Hash(std::string_view password) override;
  Result<bool> Verify(const std::string& hash, std::string_view password) override;

 private:
  Argon2idParams params_;
};

}  // namespace giia::crypto
