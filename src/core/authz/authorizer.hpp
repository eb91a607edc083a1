#pragma once
// What a service asks before it runs a use case: who is calling, and may
// they. Each service has its own: auth answers from its own store
// (core/auth), the catalog verifies tokens locally and asks auth for
// permissions (core/catalog/remote_authorizer).

#include <string>
#include <string_view>
#include <vector>

#include "core/authz/caller.hpp"
#include "core/common/attempt.hpp"
#include "core/common/result.hpp"

namespace giia::authz {

class RequestAuthorizer {
 public:
  virtual ~RequestAuthorizer() = default;

  // The caller of `token`: its signature and claims, and what this process
  // already knows of its revocation. Never waits (no I/O). Errors:
  // kUnauthenticated saying why (never the token).
  [[nodiscard]] virtual Result<Caller> Verify(std::string_view token) = 0;

  // Whether `caller` may go on with a use case that needs every one of
  // `permissions` (none: any caller whose token still holds): the first
  // denial, or an allowed decision. Answers at once when memory holds what
  // it needs; otherwise returns the rest, which waits (PostgreSQL, Redis,
  // another service). Errors: kUnauthenticated when the token no longer
  // holds (revoked, the user gone or inactive); kUnavailable.
  [[nodiscard]] virtual Attempt<Result<Decision>> Admit(const Caller& caller,
                                                        const std::vector<std::string>& permissions,
                                                        const RequestInfo& req) = 0;

  // Admit() to the end, for callers on a thread that may wait.
  [[nodiscard]] Result<Decision> AdmitNow(const Caller& caller,
                                          const std::vector<std::string>& permissions,
                                          const RequestInfo& req) {
    return Admit(caller, permissions, req).Finish();
  }
};

}  // namespace giia::authz
