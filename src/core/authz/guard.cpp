#include "core/authz/guard.hpp"

#include <strings.h>

namespace giia::authz {

AccessMatrix::AccessMatrix(std::initializer_list<Rule> rules) {
  rows_.reserve(rules.size());
  for (const Rule& rule : rules) {
    Requirement need{rule.kind, {}};
    for (std::string_view p : {rule.permission, rule.also}) {
      if (!p.empty()) need.permissions.emplace_back(p);
    }
    rows_.emplace_back(std::string(rule.use_case), std::move(need));
  }
}

const Requirement* AccessMatrix::For(std::string_view use_case) const {
  for (const auto& [name, need] : rows_) {
    if (name == use_case) return &need;
  }
  return nullptr;
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

Attempt<Result<std::optional<Caller>>> Guard(const AccessMatrix& matrix,
                                             RequestAuthorizer& authorizer,
                                             std::string_view use_case,
                                             std::string_view bearer_token,
                                             const RequestInfo& req) {
  using Answer = Result<std::optional<Caller>>;
  const Requirement* need = matrix.For(use_case);
  if (need == nullptr) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "use case " + std::string(use_case) + " is not in the permission matrix");
  }
  if (need->kind == Requirement::Kind::kPublic) return std::optional<Caller>();
  if (bearer_token.empty()) {
    return MakeError(ErrorCode::kUnauthenticated, "missing authorization: Bearer <access token>");
  }
  auto caller = authorizer.Verify(bearer_token);
  if (!caller) return tl::unexpected(caller.error());
  return authorizer.Admit(*caller, need->permissions, req)
      .Then([caller = std::move(*caller)](Result<Decision> decision) mutable -> Answer {
        if (!decision) return tl::unexpected(decision.error());
        if (!decision->allowed) {
          return MakeError(
              ErrorCode::kPermissionDenied,
              "this needs the permission " + decision->permission + ": " + decision->reason);
        }
        return std::optional<Caller>(std::move(caller));
      });
}

}  // namespace giia::authz
