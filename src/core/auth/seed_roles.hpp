#pragma once
// The use cases behind `giia seed-roles`: make the stored global roles and
// permissions hold the built-in manifest, and bootstrap a first Admin.

#include <string>
#include <vector>

#include "core/auth/ports.hpp"

namespace giia::auth {

struct SeedReport {
  SeedPlan plan;                     // what was missing (dry run: what would be added)
  SeedCounts added;                  // what this run inserted (zero on a dry run)
  std::vector<RoleSummary> summary;  // the roles afterwards (dry run: projected)
};

// Idempotent: a second run finds nothing missing and changes nothing.
class SeedRoles {
 public:
  SeedRoles(AuthTransactionRunner& tx, const RbacManifest& manifest)
      : tx_(tx), manifest_(manifest) {}

  // Errors: kUnavailable (database down), kFailedPrecondition (schema not
  // migrated), as the runner reports them.
  [[nodiscard]] Result<SeedReport> Run(bool dry_run);

 private:
  AuthTransactionRunner& tx_;     // not owned
  const RbacManifest& manifest_;  // not owned
};

inline constexpr const char* kDefaultOrganizationSlug = "default";
inline constexpr const char* kDefaultOrganizationName = "Default Organization";

struct BootstrapReport {
  bool created = false;  // false: a user with the e-mail already existed; nothing changed
  std::string email;     // normalized
};

// Creates, once, the default organization and an active, verified user with
// the Admin role in it. REQUIRES: the Admin role exists (run SeedRoles first).
class BootstrapAdmin {
 public:
  BootstrapAdmin(AuthTransactionRunner& tx, PasswordHasher& hasher) : tx_(tx), hasher_(hasher) {}

  // Errors: kInvalidArgument (field "--admin-email" or "password") for a bad
  // e-mail or a password shorter than 8 characters, checked before anything
  // is stored; otherwise as the runner reports.
  [[nodiscard]] Result<BootstrapReport> Run(const std::string& email, const std::string& password,
                                            bool dry_run);

 private:
  AuthTransactionRunner& tx_;  // not owned
  PasswordHasher& hasher_;     // not owned
};

}  // namespace giia::auth
