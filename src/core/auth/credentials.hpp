#pragma once
// Rules for e-mail addresses and passwords, shared by every way a user is made.

#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace giia::auth {

inline constexpr std::size_t kMinPasswordLength = 8;
inline constexpr std::size_t kMaxPasswordLength = 1024;

// The address lower-cased and trimmed, when it looks like local@domain.tld.
// Errors: kInvalidArgument with field `field`.
[[nodiscard]] Result<std::string> NormalizeEmail(std::string_view email,
                                                 const std::string& field = "email");

// Errors: kInvalidArgument with field `field` when the password is shorter
// than 8 or longer than 1024 characters. The message never holds the password.
[[nodiscard]] Status CheckPasswordPolicy(std::string_view password,
                                         const std::string& field = "password");

}  // namespace giia::auth
