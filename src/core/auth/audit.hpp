#pragma once
// The audit trail: what use cases record (logins, failures, lockouts, role and
// user changes, permission checks), and the ports that queue and store it.
// Recording never blocks the request on I/O; a writer stores entries in batches.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

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
  // Errors: kUnavailable when the store cannot be reached (the batch is kept
  // by the caller and retried).
  [[nodiscard]] virtual Status Append(const std::vector<AuditEntry>& batch) = 0;
};

}  // namespace giia::auth
