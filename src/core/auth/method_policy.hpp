#pragma once
// The permission matrix: what each RPC (and the REST route that runs the same
// use case) requires. A method that is not listed is denied.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/service.hpp"

namespace giia::auth {

struct Requirement {
  enum class Kind { kPublic, kAuthenticated, kPermission };
  Kind kind = Kind::kPermission;
  std::vector<std::string> permissions;  // for kPermission: every one is needed
};

// `method` is the full gRPC name: "/giia.auth.v1.AuthService/ListUsers".
// Both services' methods are in the one matrix.
std::optional<Requirement> RequirementFor(std::string_view method);

// Runs the matrix for one call: nullopt for a public method, the caller
// otherwise. Errors: kPermissionDenied for an unlisted method or a missing
// permission; kUnauthenticated; kUnavailable.
[[nodiscard]] Result<std::optional<Caller>> Guard(RequestAuthorizer& authorizer,
                                                  std::string_view method,
                                                  std::string_view bearer_token,
                                                  const RequestInfo& req);

// The token of an "authorization: Bearer <token>" value; empty otherwise.
std::string_view BearerToken(std::string_view authorization);

}  // namespace giia::auth
