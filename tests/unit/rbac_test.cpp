#include "core/auth/rbac.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

using namespace giia::auth;

namespace {
const RoleSpec& Role(const std::string& name) {
  const auto& roles = BuiltInRbac().roles;
  return *std::find_if(roles.begin(), roles.end(),
                       [&](const RoleSpec& r) { return r.name == name; });
}
}  // namespace

TEST_CASE("The built-in RBAC is exactly the seeds' T001", "[auth]") {
  const RbacManifest& m = BuiltInRbac();
  REQUIRE(m.permissions.size() == 18);
  REQUIRE(m.roles.size() == 4);
  CHECK(Role("Admin").level == 1);
  CHECK(Role("Admin").permissions.size() == 18);
  CHECK(Role("Manager").level == 2);
  CHECK(Role("Manager").permissions.size() == 10);
  CHECK(Role("Analyst").level == 3);
  CHECK(Role("Analyst").permissions ==
        std::vector<std::string>{"catalog:read", "buffers:read", "orders:read", "reports:read"});
  CHECK(Role("Viewer").level == 4);
  CHECK(Role("Viewer").permissions ==
        std::vector<std::string>{"catalog:read", "buffers:read", "orders:read"});
  std::set<std::string> names;
  for (const PermissionSpec& p : m.permissions) {
    CHECK(p.name == p.resource + ":" + p.action);
    names.insert(p.name);
  }
  CHECK(names.size() == 18);
  for (const RoleSpec& r : m.roles) {
    for (const std::string& p : r.permissions) CHECK(names.count(p) == 1);
  }
  const std::set<std::string> resources = [&] {
    std::set<std::string> out;
    for (const auto& p : m.permissions) out.insert(p.resource);
    return out;
  }();
  CHECK(resources ==
        std::set<std::string>{"users", "catalog", "buffers", "orders", "reports", "settings"});
}

TEST_CASE("PlanSeed lists only what is missing", "[auth]") {
  const RbacManifest& m = BuiltInRbac();
  SeedPlan all = PlanSeed(m, {});
  CHECK(all.roles.size() == 4);
  CHECK(all.permissions.size() == 18);
  CHECK(all.grants.size() == 35);
  RbacState full = Project({}, all);
  CHECK(PlanSeed(m, full).empty());

  RbacState partial = full;
  partial.grants.erase(partial.grants.begin());  // someone removed Admin's first grant
  SeedPlan again = PlanSeed(m, partial);
  CHECK(again.roles.empty());
  CHECK(again.permissions.empty());
  REQUIRE(again.grants.size() == 1);
  CHECK(again.grants[0].first == "Admin");
}

TEST_CASE("Summarize counts permissions per role, by level", "[auth]") {
  auto summary = Summarize(Project({}, PlanSeed(BuiltInRbac(), {})));
  REQUIRE(summary.size() == 4);
  CHECK(summary[0].name == "Admin");
  CHECK(summary[0].permission_count == 18);
  CHECK(summary[1].name == "Manager");
  CHECK(summary[1].permission_count == 10);
  CHECK(summary[2].permission_count == 4);
  CHECK(summary[3].name == "Viewer");
  CHECK(summary[3].permission_count == 3);
}
