#include "server/auth/auth_bodies.hpp"

namespace giia::server {

Result<auth::RegisterInput> ParseRegisterBody(const rest::json& body) {
  GIIA_TRY_STR(email, body, "email");
  GIIA_TRY_STR(password, body, "password");
  GIIA_TRY_STR(first, body, "first_name");
  GIIA_TRY_STR(last, body, "last_name");
  GIIA_TRY_STR(org, body, "organization_name");
  GIIA_TRY_STR(slug, body, "organization_slug");
  return auth::RegisterInput{email, password, first, last, org, slug};
}

Result<LoginBody> ParseLoginBody(const rest::json& body) {
  GIIA_TRY_STR(email, body, "email");
  GIIA_TRY_STR(password, body, "password");
  return LoginBody{email, password};
}

Result<auth::CreateUserInput> ParseCreateUserBody(const rest::json& body) {
  GIIA_TRY_STR(email, body, "email");
  GIIA_TRY_STR(password, body, "password");
  GIIA_TRY_STR(first, body, "first_name");
  GIIA_TRY_STR(last, body, "last_name");
  std::vector<std::string> roles;
  if (auto it = body.find("roles"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return InvalidArgument("roles", "roles must be a list");
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        return InvalidArgument("roles[" + std::to_string(i) + "]", "a role is a string");
      }
      roles.push_back((*it)[i].get<std::string>());
    }
  }
  return auth::CreateUserInput{email, password, first, last, std::move(roles)};
}

}  // namespace giia::server
