#include "core/auth/rbac.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace giia::auth {

const RbacManifest& BuiltInRbac() {
  static const RbacManifest kManifest = [] {
    RbacManifest m;
    auto perm = [&](const std::string& resource, const std::string& action,
                    std::string description) {
      m.permissions.push_back({resource + ":" + action, resource, action, std::move(description)});
    };
    perm("users", "read", "Read user data");
    perm("users", "write", "Create and update users");
    perm("users", "delete", "Delete users");
    perm("users", "activate", "Activate/deactivate users");
    perm("catalog", "read", "Read catalog data");
    perm("catalog", "write", "Create and update catalog items");
    perm("catalog", "delete", "Delete catalog items");
    perm("buffers", "read", "Read buffer data");
    perm("buffers", "write", "Create and update buffers");
    perm("buffers", "delete", "Delete buffers");
    perm("orders", "read", "Read orders");
    perm("orders", "write", "Create and update orders");
    perm("orders", "delete", "Delete orders");
    perm("orders", "approve", "Approve orders");
    perm("reports", "read", "View reports");
    perm("reports", "write", "Create custom reports");
    perm("settings", "read", "View system settings");
    perm("settings", "write", "Modify system settings");

    std::vector<std::string> all;
    for (const PermissionSpec& p : m.permissions) all.push_back(p.name);
    m.roles = {
        {"Admin", "Full system administrator with all permissions", 1, all},
        {"Manager",
         "Operations manager with write access to core entities",
         2,
         {"users:read", "users:write", "catalog:read", "catalog:write", "buffers:read",
          "buffers:write", "orders:read", "orders:write", "orders:approve", "reports:read"}},
        {"Analyst",
         "Read-only analyst for data analysis",
         3,
         {"catalog:read", "buffers:read", "orders:read", "reports:read"}},
        {"Viewer",
         "Read-only viewer for basic viewing",
         4,
         {"catalog:read", "buffers:read", "orders:read"}},
    };
    return m;
  }();
  return kManifest;
}

SeedPlan PlanSeed(const RbacManifest& manifest, const RbacState& state) {
  std::set<std::string> roles;
  for (const StoredRole& r : state.roles) roles.insert(r.name);
  const std::set<std::string> permissions(state.permissions.begin(), state.permissions.end());
  const std::set<std::pair<std::string, std::string>> grants(state.grants.begin(),
                                                             state.grants.end());
  SeedPlan plan;
  for (const PermissionSpec& p : manifest.permissions) {
    if (permissions.count(p.name) == 0) plan.permissions.push_back(p);
  }
  for (const RoleSpec& r : manifest.roles) {
    if (roles.count(r.name) == 0) plan.roles.push_back(r);
    for (const std::string& p : r.permissions) {
      if (grants.count({r.name, p}) == 0) plan.grants.emplace_back(r.name, p);
    }
  }
  return plan;
}

RbacState Project(RbacState state, const SeedPlan& plan) {
  for (const RoleSpec& r : plan.roles) state.roles.push_back({r.name, r.level});
  for (const PermissionSpec& p : plan.permissions) state.permissions.push_back(p.name);
  for (const auto& g : plan.grants) state.grants.push_back(g);
  return state;
}

std::vector<RoleSummary> Summarize(const RbacState& state) {
  std::vector<RoleSummary> out;
  for (const StoredRole& r : state.roles) {
    const auto count = std::count_if(state.grants.begin(), state.grants.end(),
                                     [&](const auto& g) { return g.first == r.name; });
    out.push_back({r.name, r.level, static_cast<int>(count)});
  }
  std::sort(out.begin(), out.end(), [](const RoleSummary& a, const RoleSummary& b) {
    return std::tie(a.level, a.name) < std::tie(b.level, b.name);
  });
  return out;
}

}  // namespace giia::auth
