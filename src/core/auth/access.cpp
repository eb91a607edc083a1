#include "core/auth/access.hpp"

namespace giia::auth {

const authz::AccessMatrix& Access() {
  using Kind = authz::Requirement::Kind;
  static const authz::AccessMatrix matrix{
      {"Register", Kind::kPublic},
      {"VerifyEmail", Kind::kPublic},
      {"Login", Kind::kPublic},
      {"RefreshToken", Kind::kPublic},
      {"ValidateToken", Kind::kPublic},
      {"Logout", Kind::kAuthenticated},
      {"ChangePassword", Kind::kAuthenticated},
      // About the caller; asking about another user needs users:read (checked inside).
      {"CheckPermission", Kind::kAuthenticated},
      {"BatchCheckPermissions", Kind::kAuthenticated},
      {"GetUserPermissions", Kind::kAuthenticated},
      {"GetCurrentUser", Kind::kAuthenticated},
      {"GetUser", Kind::kPermission, "users:read"},
      {"GetUsersByIds", Kind::kPermission, "users:read"},
      {"GetUserByEmail", Kind::kPermission, "users:read"},
      {"CheckUserExists", Kind::kPermission, "users:read"},
      {"ListUsers", Kind::kPermission, "users:read"},
      {"CreateUser", Kind::kPermission, "users:write"},
      {"AssignRole", Kind::kPermission, "users:write"},
      {"RevokeRole", Kind::kPermission, "users:write"},
      {"UnlockUser", Kind::kPermission, "users:write"},
  };
  return matrix;
}

}  // namespace giia::auth
