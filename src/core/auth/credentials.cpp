#include "core/auth/credentials.hpp"

#include <algorithm>
#include <cctype>

namespace giia::auth {

Result<std::string> NormalizeEmail(std::string_view email, const std::string& field) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::size_t at = out.find('@');
  const bool shaped =
      at != std::string::npos && at > 0 && out.find('@', at + 1) == std::string::npos &&
      out.find('.', at + 2) != std::string::npos && out.back() != '.' && out.size() <= 254;
  const bool clean = std::none_of(
      out.begin(), out.end(), [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); });
  if (!shaped || !clean) {
    return InvalidArgument(field, field + " must be an e-mail address such as ops@example.com");
  }
  return out;
}

Status CheckPasswordPolicy(std::string_view password, const std::string& field) {
  if (password.size() < kMinPasswordLength) {
    return InvalidArgument(field, field + " must be at least 8 characters long");
  }
  if (password.size() > kMaxPasswordLength) {
    return InvalidArgument(field, field + " must be at most 1024 characters long");
  }
  return Ok();
}

}  // namespace giia::auth
