#include "core/auth/method_policy.hpp"

#include <strings.h>

#include <array>

namespace giia::auth {
namespace {

using Kind = Requirement::Kind;

struct Row {
  std::string_view method;
  Kind kind;
  std::string_view permission;
  std::string_view also = {};  // a second permission the method needs
};

constexpr std::array kMatrix{
    Row{"/giia.auth.v1.AuthService/Register", Kind::kPublic, ""},
    Row{"/giia.auth.v1.AuthService/VerifyEmail", Kind::kPublic, ""},
    Row{"/giia.auth.v1.AuthService/Login", Kind::kPublic, ""},
    Row{"/giia.auth.v1.AuthService/RefreshToken", Kind::kPublic, ""},
    Row{"/giia.auth.v1.AuthService/ValidateToken", Kind::kPublic, ""},
    Row{"/giia.auth.v1.AuthService/Logout", Kind::kAuthenticated, ""},
    Row{"/giia.auth.v1.AuthService/ChangePassword", Kind::kAuthenticated, ""},
    // About the caller; asking about another user needs users:read (checked inside).
    Row{"/giia.auth.v1.AuthService/CheckPermission", Kind::kAuthenticated, ""},
    Row{"/giia.auth.v1.AuthService/BatchCheckPermissions", Kind::kAuthenticated, ""},
    Row{"/giia.auth.v1.AuthService/GetUserPermissions", Kind::kAuthenticated, ""},
    Row{"/giia.auth.v1.AuthService/GetCurrentUser", Kind::kAuthenticated, ""},
    Row{"/giia.auth.v1.AuthService/GetUser", Kind::kPermission, "users:read"},
    Row{"/giia.auth.v1.AuthService/GetUsersByIds", Kind::kPermission, "users:read"},
    Row{"/giia.auth.v1.AuthService/GetUserByEmail", Kind::kPermission, "users:read"},
    Row{"/giia.auth.v1.AuthService/CheckUserExists", Kind::kPermission, "users:read"},
    Row{"/giia.auth.v1.AuthService/ListUsers", Kind::kPermission, "users:read"},
    Row{"/giia.auth.v1.AuthService/CreateUser", Kind::kPermission, "users:write"},
    Row{"/giia.auth.v1.AuthService/AssignRole", Kind::kPermission, "users:write"},
    Row{"/giia.auth.v1.AuthService/RevokeRole", Kind::kPermission, "users:write"},
    Row{"/giia.auth.v1.AuthService/UnlockUser", Kind::kPermission, "users:write"},
#define GIIA_CATALOG(method) "/giia.catalog.v1.CatalogService/" method
    Row{GIIA_CATALOG("GetProduct"), Kind::kPermission, "catalog:read"},
    Row{GIIA_CATALOG("ListProducts"), Kind::kPermission, "catalog:read"},
    Row{GIIA_CATALOG("SearchProducts"), Kind::kPermission, "catalog:read"},
    Row{GIIA_CATALOG("CreateProduct"), Kind::kPermission, "catalog:write"},
    Row{GIIA_CATALOG("UpdateProduct"), Kind::kPermission, "catalog:write"},
    Row{GIIA_CATALOG("DeleteProduct"), Kind::kPermission, "catalog:delete"},
    Row{GIIA_CATALOG("AssignBufferProfile"), Kind::kPermission, "catalog:write", "buffers:read"},
    Row{GIIA_CATALOG("CalculateBufferZones"), Kind::kPermission, "catalog:read", "buffers:read"},
    Row{GIIA_CATALOG("AddProductSupplier"), Kind::kPermission, "catalog:write"},
    Row{GIIA_CATALOG("ListProductSuppliers"), Kind::kPermission, "catalog:read"},
    Row{GIIA_CATALOG("RemoveProductSupplier"), Kind::kPermission, "catalog:write"},
    Row{GIIA_CATALOG("GetSupplier"), Kind::kPermission, "catalog:read"},
    Row{GIIA_CATALOG("ListSuppliers"), Kind::kPermission, "catalog:read"},
    Row{GIIA_CATALOG("CreateSupplier"), Kind::kPermission, "catalog:write"},
    Row{GIIA_CATALOG("UpdateSupplier"), Kind::kPermission, "catalog:write"},
    Row{GIIA_CATALOG("DeleteSupplier"), Kind::kPermission, "catalog:delete"},
    Row{GIIA_CATALOG("GetBufferProfile"), Kind::kPermission, "buffers:read"},
    Row{GIIA_CATALOG("ListBufferProfiles"), Kind::kPermission, "buffers:read"},
    Row{GIIA_CATALOG("CreateBufferProfile"), Kind::kPermission, "buffers:write"},
    Row{GIIA_CATALOG("UpdateBufferProfile"), Kind::kPermission, "buffers:write"},
    Row{GIIA_CATALOG("DeleteBufferProfile"), Kind::kPermission, "buffers:delete"},
#undef GIIA_CATALOG
};

}  // namespace

std::optional<Requirement> RequirementFor(std::string_view method) {
  for (const Row& row : kMatrix) {
    if (row.method != method) continue;
    Requirement need{row.kind, {}};
    for (std::string_view p : {row.permission, row.also}) {
      if (!p.empty()) need.permissions.emplace_back(p);
    }
    return need;
  }
  return std::nullopt;
}

std::string_view BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return {};
  }
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  return authorization;
}

Result<std::optional<Caller>> Guard(RequestAuthorizer& authorizer, std::string_view method,
                                    std::string_view bearer_token, const RequestInfo& req) {
  const std::optional<Requirement> need = RequirementFor(method);
  if (!need) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "method " + std::string(method) + " is not in the permission matrix");
  }
  if (need->kind == Kind::kPublic) return std::optional<Caller>();
  if (bearer_token.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "missing authorization: Bearer <access token>");
  }
  auto caller = authorizer.Authenticate(bearer_token);
  if (!caller) return tl::unexpected(caller.error());
  if (need->kind == Kind::kPermission) {
    auto decision = authorizer.AuthorizeAll(*caller, need->permissions, req);
    if (!decision) return tl::unexpected(decision.error());
    if (!decision->allowed) {
      return MakeError(
          ErrorCode::kPermissionDenied,
          "this needs the permission " + decision->permission + ": " + decision->reason);
    }
  }
  return std::optional<Caller>(std::move(*caller));
}

}  // namespace giia::auth
