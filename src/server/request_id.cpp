#include "server/request_id.hpp"

#include <cctype>
#include <cstdint>
#include <random>

namespace giia::server {
namespace {

bool Sane(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string RequestIdOr(std::string_view given) {
  if (Sane(given)) return std::string(given);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = rng();
    for (std::size_t i = 16; i-- > 0; bits >>= 4) id[half * 16 + i] = kHex[bits & 15];
  }
  return id;
}

}  // namespace giia::server
