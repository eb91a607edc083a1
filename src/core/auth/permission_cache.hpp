#pragma once
// The shared (cross-replica) cache of a user's resolved roles and permissions.
// Keys hold every input: organization and user. The in-process layer in front
// of it lives in core/auth/permissions.hpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/common/ids.hpp"
#include "core/common/result.hpp"

namespace giia::auth {

// What a request needs to know about its caller, beyond the token: cached
// together so that validating a token and checking a permission need no I/O
// on a hit. Invalidated whenever any of it changes.
struct ResolvedPermissions {
  std::vector<std::string> roles;        // names, sorted
  std::vector<std::string> permissions;  // "resource:action", sorted
  std::int64_t token_version = 0;        // tokens with another version are revoked
  bool active = false;                   // status active (pending users may not act)
};

class SharedPermissionCache {
 public:
  virtual ~SharedPermissionCache() = default;
  // nullopt on a miss. Errors: kUnavailable when the cache is unreachable.
  [[nodiscard]] virtual Result<std::optional<ResolvedPermissions>> Get(
      const OrganizationId& organization, const UserId& user) = 0;
  [[nodiscard]] virtual Status Put(const OrganizationId& organization, const UserId& user,
                                   const ResolvedPermissions& value, std::chrono::seconds ttl) = 0;
  // Deletes the entry and tells every replica (including this one) to drop
  // its in-process copy (the adapter delivers the invalidation to every
  // replica's listener).
  [[nodiscard]] virtual Status Invalidate(const OrganizationId& organization,
                                          const UserId& user) = 0;
};

}  // namespace giia::auth
