#include "adapters/postgres/auth_store.hpp"

#include "adapters/postgres/account_store.hpp"
#include "adapters/postgres/outbox.hpp"

namespace giia::pg {
namespace {

constexpr const char* kGlobalRoles =
    "SELECT name, level FROM auth.roles WHERE organization_id IS NULL";
constexpr const char* kPermissions = "SELECT name FROM auth.permissions";
constexpr const char* kGlobalGrants = R"sql(
SELECT r.name, p.name FROM auth.role_permissions rp
JOIN auth.roles r ON r.id = rp.role_id
JOIN auth.permissions p ON p.id = rp.permission_id
WHERE r.organization_id IS NULL)sql";
constexpr const char* kInsertPermission = R"sql(
INSERT INTO auth.permissions (name, resource, action, description) VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO NOTHING)sql";
constexpr const char* kInsertGlobalRole = R"sql(
INSERT INTO auth.roles (organization_id, name, description, level) VALUES (NULL, $1, $2, $3)
ON CONFLICT (name) WHERE organization_id IS NULL DO NOTHING)sql";
constexpr const char* kInsertGrant = R"sql(
INSERT INTO auth.role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM auth.roles r, auth.permissions p
WHERE r.organization_id IS NULL AND r.name = $1 AND p.name = $2
ON CONFLICT DO NOTHING)sql";
constexpr const char* kInsertOrganization = R"sql(
INSERT INTO auth.organizations (name, slug) VALUES ($1, $2)
ON CONFLICT (slug) DO NOTHING RETURNING id)sql";
constexpr const char* kOrganizationBySlug = "SELECT id FROM auth.organizations WHERE slug = $1";
constexpr const char* kUserByEmail =
    "SELECT id FROM auth.users WHERE email = $1 AND deleted_at IS NULL";
constexpr const char* kGlobalRoleId =
    "SELECT id FROM auth.roles WHERE organization_id IS NULL AND name = $1";
constexpr const char* kInsertUserRole = R"sql(
INSERT INTO auth.user_roles (user_id, role_id, organization_id) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING)sql";

// The repositories of one transaction, all over one borrowed connection.
class PgAuthTx final : public auth::AuthTx,
                       auth::RbacRepository,
                       auth::OrganizationRepository,
                       auth::UserRepository {
 public:
  explicit PgAuthTx(Connection& conn) : conn_(conn), outbox_(conn, OutboxSchema::kAuth) {}
  auth::RbacRepository& rbac() override { return *this; }
  auth::OrganizationRepository& organizations() override { return *this; }
  auth::UserRepository& users() override { return *this; }
  events::OutboxWriter& outbox() override { return outbox_; }

  Result<auth::RbacState> LoadGlobal() override {
    auth::RbacState state;
    auto roles = conn_.Exec(kGlobalRoles);
    if (!roles) return tl::unexpected(roles.error());
    for (std::size_t i = 0; i < roles->size(); ++i) {
      state.roles.push_back({roles->Text(i, 0), static_cast<int>(roles->Int(i, 1))});
    }
    auto permissions = conn_.Exec(kPermissions);
    if (!permissions) return tl::unexpected(permissions.error());
    for (std::size_t i = 0; i < permissions->size(); ++i) {
      state.permissions.push_back(permissions->Text(i, 0));
    }
    auto grants = conn_.Exec(kGlobalGrants);
    if (!grants) return tl::unexpected(grants.error());
    for (std::size_t i = 0; i < grants->size(); ++i) {
      state.grants.emplace_back(grants->Text(i, 0), grants->Text(i, 1));
    }
    return state;
  }

  Result<auth::SeedCounts> Insert(const auth::SeedPlan& plan) override {
    auth::SeedCounts added;
    for (const auth::PermissionSpec& p : plan.permissions) {
      auto r = conn_.Exec(kInsertPermission, {p.name, p.resource, p.action, p.description});
      if (!r) return tl::unexpected(r.error());
      added.permissions += static_cast<int>(r->affected);
    }
    for (const auth::RoleSpec& role : plan.roles) {
      auto r = conn_.Exec(kInsertGlobalRole, {role.name, role.description, role.level});
      if (!r) return tl::unexpected(r.error());
      added.roles += static_cast<int>(r->affected);
    }
    for (const auto& [role, permission] : plan.grants) {
      auto r = conn_.Exec(kInsertGrant, {role, permission});
      if (!r) return tl::unexpected(r.error());
      added.grants += static_cast<int>(r->affected);
    }
    return added;
  }

  Result<OrganizationId> FindOrCreate(const std::string& slug, const std::string& name) override {
    auto inserted = conn_.Exec(kInsertOrganization, {name, slug});
    if (!inserted) return tl::unexpected(inserted.error());
    if (!inserted->empty()) return OrganizationId(inserted->Text(0, 0));
    auto found = conn_.Exec(kOrganizationBySlug, {slug});
    if (!found) return tl::unexpected(found.error());
    if (found->empty()) {
      return MakeError(ErrorCode::kAborted, "organization " + slug + " vanished; retry");
    }
    return OrganizationId(found->Text(0, 0));
  }

  Result<std::optional<UserId>> FindByEmail(const std::string& email) override {
    auto rows = conn_.Exec(kUserByEmail, {email});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<UserId>();
    return std::optional<UserId>(UserId(rows->Text(0, 0)));
  }

  Result<UserId> Insert(const auth::NewUser& user) override { return InsertUser(conn_, user); }

  Status AssignGlobalRole(const UserId& user, const OrganizationId& organization,
                          const std::string& role) override {
    auto role_id = conn_.Exec(kGlobalRoleId, {role});
    if (!role_id) return tl::unexpected(role_id.error());
    if (role_id->empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "role " + role + " does not exist; run `giia seed-roles` first");
    }
    auto r = conn_.Exec(kInsertUserRole, {user.value(), role_id->Text(0, 0), organization.value()});
    if (!r) return tl::unexpected(r.error());
    return Ok();
  }

 private:
  Connection& conn_;
  PgOutboxWriter outbox_;
};

}  // namespace

Status PgAuthStore::Run(const std::function<Status(auth::AuthTx& tx)>& work) {
  return RunRetriedTransaction(pool_, [&](Connection& conn) {
    PgAuthTx tx(conn);
    return work(tx);
  });
}

}  // namespace giia::pg
