#pragma once
// The permission matrix and the guard every call passes first.
//
// Each service declares its own matrix beside its use cases
// (core/auth/access.cpp, core/catalog/access.cpp), keyed by use-case name:
// the gRPC method's name ("Login") and the REST route that runs the same use
// case share one row. A use case that is not listed is denied.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/authz/authorizer.hpp"

namespace giia::authz {

struct Requirement {
  enum class Kind { kPublic, kAuthenticated, kPermission };
  Kind kind = Kind::kPermission;
  std::vector<std::string> permissions;  // for kPermission: every one is needed
};

// One row of a matrix, as a service writes it.
struct Rule {
  std::string_view use_case;
  Requirement::Kind kind;
  std::string_view permission = {};
  std::string_view also = {};  // a second permission the use case needs
};

class AccessMatrix {
 public:
  AccessMatrix(std::initializer_list<Rule> rules);
  // The requirement of `use_case`, or nullptr when it is not listed.
  const Requirement* For(std::string_view use_case) const;

 private:
  std::vector<std::pair<std::string, Requirement>> rows_;  // a few dozen: a scan
};

// Runs the matrix for one call, never waiting itself: nullopt for a public
// use case, the caller otherwise; the rest, when admitting the caller needs
// I/O (Attempt). Errors: kPermissionDenied for an unlisted use case or a
// missing permission (naming it); kUnauthenticated; kUnavailable.
[[nodiscard]] Attempt<Result<std::optional<Caller>>> Guard(const AccessMatrix& matrix,
                                                           RequestAuthorizer& authorizer,
                                                           std::string_view use_case,
                                                           std::string_view bearer_token,
                                                           const RequestInfo& req);

// The token of an "authorization: Bearer <token>" value; empty otherwise.
std::string_view BearerToken(std::string_view authorization);

}  // namespace giia::authz
