#pragma once
// Strong identifier types: one tag per kind, so ids cannot be mixed up and a
// tenant-scoped call cannot forget its organization.

#include <string>
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

}  // namespace giia
