#pragma once
// The built-in roles and permissions (seed 001, T001) and the pure planning
// behind `giia seed-roles`.

#include <string>
#include <utility>
#include <vector>

namespace giia::auth {

struct PermissionSpec {
  std::string name;  // "resource:action"
  std::string resource;
  std::string action;
  std::string description;
};

struct RoleSpec {
  std::string name;
  std::string description;
  int level = 0;  // 1 is the most privileged
  std::vector<std::string> permissions;
};

struct RbacManifest {
  std::vector<PermissionSpec> permissions;
  std::vector<RoleSpec> roles;
};

// Admin (1, all 18), Manager (2, 10), Analyst (3, 4), Viewer (4, 3) over the
// 18 permissions users/catalog/buffers/orders/reports/settings.
const RbacManifest& BuiltInRbac();

struct StoredRole {
  std::string name;
  int level = 0;
};

// The global (organization-less) roles, all permissions and the grants
// between them, as stored.
struct RbacState {
  std::vector<StoredRole> roles;
  std::vector<std::string> permissions;
  std::vector<std::pair<std::string, std::string>> grants;  // (role, permission)
};

// What is missing from a state for it to hold the whole manifest.
struct SeedPlan {
  std::vector<RoleSpec> roles;
  std::vector<PermissionSpec> permissions;
  std::vector<std::pair<std::string, std::string>> grants;  // (role, permission)
  bool empty() const { return roles.empty() && permissions.empty() && grants.empty(); }
};

SeedPlan PlanSeed(const RbacManifest& manifest, const RbacState& state);

// `state` with `plan` applied (what a dry run reports as the outcome).
RbacState Project(RbacState state, const SeedPlan& plan);

struct RoleSummary {
  std::string name;
  int level = 0;
  int permission_count = 0;
};

// One row per global role, by level then name.
std::vector<RoleSummary> Summarize(const RbacState& state);

}  // namespace giia::auth
