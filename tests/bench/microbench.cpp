// Micro-benchmarks of hot paths, with Catch2 v2 BENCHMARK. Not a ctest test
// (timings are not pass/fail material); numbers mean something only in a
// Release build:
//   cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/rel --target giia_microbench && build/rel/tests/giia_microbench
// Debian's Catch2WithMain is built without CATCH_CONFIG_ENABLE_BENCHMARKING, so
// this file compiles Catch's main itself.
#ifndef CATCH_CONFIG_ENABLE_BENCHMARKING
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#endif
#define CATCH_CONFIG_MAIN
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/crypto/jwt.hpp"
#include "core/auth/permissions.hpp"
#include "core/authz/token_cache.hpp"
#include "support/resolve_only_store.hpp"

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

// A throw-away Ed25519 key pair (openssl genpkey -algorithm ed25519).
constexpr const char* kPrivateKey =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIPUROiTPrBKnCM6e/6zOHMRNFJ6Tj5kvROdc9ikQRQ9X\n"
    "-----END PRIVATE KEY-----\n";

// Claims of the size giia signs: UUIDs and an e-mail address.
giia::authz::AccessClaims Claims() {
  giia::authz::AccessClaims c;
  c.subject = "3f1c9f0e-7d5b-4f7e-9a55-1b0b6f1c2d3e";
  c.organization = "7a6b0e55-2f4c-4b2a-8c9d-0e1f2a3b4c5d";
  c.email = "ana.silva@example.com";
  c.token_id = "c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5";
  c.issued_at = kNow;
  c.not_before = kNow;
  c.expires_at = kNow + 900;
  c.token_version = 3;
  return c;
}

}  // namespace

TEST_CASE("JWT access-token codec", "[bench][jwt]") {
  giia::crypto::JwtOptions hs_options;
  hs_options.algorithm = "HS256";
  hs_options.secret = "bench-secret-0123456789-abcdefghijklmnop";
  auto hs = giia::crypto::MakeJwtCodec(hs_options);
  REQUIRE(hs.has_value());

  std::string dir = (std::filesystem::temp_directory_path() / "giia-bench-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  giia::crypto::JwtOptions ed_options;
  ed_options.algorithm = "EdDSA";
  ed_options.private_key_file = dir + "/private.pem";
  std::ofstream(ed_options.private_key_file) << kPrivateKey;
  auto ed = giia::crypto::MakeJwtCodec(ed_options);
  std::filesystem::remove_all(dir);
  REQUIRE(ed.has_value());

  const giia::authz::AccessClaims claims = Claims();
  const std::string hs_token = (*hs)->Sign(claims).value();
  const std::string ed_token = (*ed)->Sign(claims).value();
  REQUIRE((*hs)->Verify(hs_token, kNow).has_value());
  REQUIRE((*ed)->Verify(ed_token, kNow).has_value());

  BENCHMARK("HS256 verify") { return (*hs)->Verify(hs_token, kNow); };
  BENCHMARK("HS256 sign") { return (*hs)->Sign(claims); };
  BENCHMARK("EdDSA verify") { return (*ed)->Verify(ed_token, kNow); };
  BENCHMARK("EdDSA sign") { return (*ed)->Sign(claims); };
  // A hit of the verified-token cache serve puts in front of the codec.
  giia::authz::CachingTokenCodec hs_cached(**hs), ed_cached(**ed);
  REQUIRE(hs_cached.Verify(hs_token, kNow).has_value());
  REQUIRE(ed_cached.Verify(ed_token, kNow).has_value());
  BENCHMARK("HS256 verify, cached") { return hs_cached.Verify(hs_token, kNow); };
  BENCHMARK("EdDSA verify, cached") { return ed_cached.Verify(ed_token, kNow); };
}

// --- the cached permission decision (PermissionResolver hit + Holds)

TEST_CASE("Cached permission decision", "[bench][permissions]") {
  giia::testing::ResolveOnlyStore store;
  giia::auth::PermissionResolver resolver(store, nullptr, std::chrono::minutes(5));
  const giia::OrganizationId org("7a6b0e55-2f4c-4b2a-8c9d-0e1f2a3b4c5d");
  const giia::UserId user("3f1c9f0e-7d5b-4f7e-9a55-1b0b6f1c2d3e");
  const std::string permission = "catalog:read";
  REQUIRE(resolver.Get(org, user));
  BENCHMARK("cached permission decision") {
    auto r = resolver.Get(org, user);
    return r && *r && giia::auth::Holds(**r, permission);
  };
}

// --- argon2id, the cost of a login: the raw hash rate with auth's defaults
// (PASSWORD_HASH_ITERATIONS=2, PASSWORD_HASH_MEMORY_KIB=65536) on one thread.
// A login verifies once; scripts/bench.sh compares the login scenario with
// this. GIIA_ARGON2_ITERATIONS / GIIA_ARGON2_MEMORY_KIB override the cost.

namespace {

std::uint64_t EnvOr(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::stoull(v) : fallback;
}

}  // namespace

TEST_CASE("argon2id password hash and verify", "[bench][argon2id]") {
  REQUIRE(giia::crypto::InitSodium().has_value());
  giia::crypto::Argon2idHasher hasher(giia::crypto::Argon2idParams{
      EnvOr("GIIA_ARGON2_ITERATIONS", 2), EnvOr("GIIA_ARGON2_MEMORY_KIB", 65536) * 1024});
  const std::string password = "correct horse battery staple";
  const std::string hash = hasher.Hash(password).value();
  REQUIRE(hasher.Verify(hash, password).value());
  BENCHMARK("argon2id verify") { return hasher.Verify(hash, password); };
  BENCHMARK("argon2id hash") { return hasher.Hash(password); };
}
