#pragma once
// The audit trail: what use cases record (logins, failures, lockouts, role and
// user changes, permission checks), and the ports that queue and store it.
// Recording never blocks the request on I/O; a writer stores entries in batches.

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/authz/caller.hpp"
#include "core/common/result.hpp"

namespace giia::auth {

struct AuditEntry {
  std::string organization_id;  // empty: none known
  std::string user_id;          // empty: none known (a failed login for an unknown e-mail)
  std::string action;  // "login", "login.failed", "user.locked", "role.assign", "permission.check"
  std::string resource;  // "user", "role", "catalog:read", ...
  std::string resource_id;
  std::string result;  // "success", "failure", "denied", "allowed"
  std::string ip_address;
  std::string user_agent;
  std::string request_id;
  std::vector<std::pair<std::string, std::string>> metadata;  // never a secret
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
};

// The byte bounds of an entry's text, from auth.audit_logs (sql/auth/0003):
// varchar(n) counts characters, so n bytes always fit. user_agent,
// resource_id and metadata are text/jsonb columns; their bounds are ours.
inline constexpr std::size_t kAuditActionBytes = 100;
inline constexpr std::size_t kAuditResourceBytes = 200;
inline constexpr std::size_t kAuditResourceIdBytes = 500;
inline constexpr std::size_t kAuditResultBytes = 50;
inline constexpr std::size_t kAuditIpAddressBytes = authz::kIpAddressBytes;
inline constexpr std::size_t kAuditUserAgentBytes = authz::kUserAgentBytes;
inline constexpr std::size_t kAuditRequestIdBytes = authz::kRequestIdBytes;
inline constexpr std::size_t kAuditMetadataKeyBytes = 100;
inline constexpr std::size_t kAuditMetadataValueBytes = 1000;

// `entry` with every text field (metadata keys and values too) made valid
// UTF-8 without NUL and cut, on a character boundary, to the bounds above
// (ValidUtf8). organization_id and user_id are left as they are: they are
// ids the core made, never request text. Whatever a request carried, the
// result fits the table; AuditLog implementations apply it before queueing.
AuditEntry StorableAuditEntry(AuditEntry entry);

// Where use cases send entries. Implementations queue and return at once.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual void Record(AuditEntry entry) = 0;
};

// Durable storage for a batch of entries (one round trip per batch).
class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // Writes the whole batch or nothing. Errors: kInvalidArgument when the
  // data of an entry cannot be stored (SQLSTATE class 22 or 23: bad
  // encoding, a value too long, an invalid id): the caller splits the batch
  // to find the entry and drops it. Any other code (kUnavailable when the
  // store cannot be reached) says nothing about the data: the batch is kept
  // by the caller and retried.
  [[nodiscard]] virtual Status Append(const std::vector<AuditEntry>& batch) = 0;
};

}  // namespace giia::auth
