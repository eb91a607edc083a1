#pragma once
// The JSON bodies of the auth REST routes as use-case inputs, apart from the
// routes so that they can be tested and fuzzed alone. Absent or null string
// members read as ""; every error is kInvalidArgument naming the field.

#include <string>

#include "core/auth/service.hpp"
#include "server/http/rest.hpp"

namespace giia::server {

struct LoginBody {
  std::string email;
  std::string password;
};

// POST /api/v1/auth/register
[[nodiscard]] Result<auth::RegisterInput> ParseRegisterBody(const rest::json& body);
// POST /api/v1/auth/login
[[nodiscard]] Result<LoginBody> ParseLoginBody(const rest::json& body);
// POST /api/v1/users: "roles" is absent, null or a list of strings ("roles[2]"
// names the bad one).
[[nodiscard]] Result<auth::CreateUserInput> ParseCreateUserBody(const rest::json& body);

}  // namespace giia::server
