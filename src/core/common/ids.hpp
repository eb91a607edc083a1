#pragma once
// Strong identifier types: one tag per kind, so ids cannot be mixed up and a
// tenant-scoped call cannot forget its organization.

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace giia {

template <typename Tag>
class Id {
 public:
  explicit Id(std::string value) : value_(std::move(value)) {}
  const std::string& value() const { return value_; }
  friend bool operator==(const Id&, const Id&) = default;
  friend auto operator<=>(const Id&, const Id&) = default;

 private:
  std::string value_;
};

using UserId = Id<struct UserIdTag>;
using OrganizationId = Id<struct OrganizationIdTag>;

// True for a canonical 8-4-4-4-12 hexadecimal uuid (either case): what
// PostgreSQL's uuid type takes, so a store can refuse an id before sending
// it (a malformed one would abort the transaction there).
inline bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace giia
