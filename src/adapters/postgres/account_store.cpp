#include "adapters/postgres/account_store.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/postgres/outbox.hpp"

namespace giia::pg {
namespace {

using auth::Timestamp;
using auth::UserRecord;
using auth::UserStatus;

// Timestamps cross the wire as Unix microseconds.
#define GIIA_MICROS(col) "(extract(epoch from " col ") * 1000000)::bigint"
constexpr const char* kToTs = "to_timestamp($%d::double precision / 1000000)";

std::string Micros(Timestamp t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}
std::optional<Timestamp> ReadTs(const Rows& rows, std::size_t r, std::size_t c) {
  if (rows.IsNull(r, c)) return std::nullopt;
  return Timestamp(std::chrono::microseconds(rows.Int(r, c)));
}

UserStatus StatusFrom(const std::string& s) {
  if (s == "active") return UserStatus::kActive;
  if (s == "inactive") return UserStatus::kInactive;
  if (s == "suspended") return UserStatus::kSuspended;
  return UserStatus::kPending;
}

std::vector<std::string> SplitSorted(const Rows& rows, std::size_t r, std::size_t c) {
  std::vector<std::string> out;
  if (rows.IsNull(r, c)) return out;
  const std::string& s = rows.Text(r, c);
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = s.find('\x1f', start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Columns 0..9 of every user query.
#define GIIA_USER_COLUMNS                                                               \
  "u.id, u.organization_id, u.email, u.first_name, u.last_name, u.status, "             \
  "u.email_verified_at IS NOT NULL, "                                                   \
  "(SELECT string_agg(DISTINCT r.name, chr(31)) FROM auth.user_roles ur "               \
  " JOIN auth.roles r ON r.id = ur.role_id "                                            \
  " WHERE ur.user_id = u.id AND ur.organization_id = u.organization_id), " GIIA_MICROS( \
      "u.created_at") ", " GIIA_MICROS("u.last_login_at")

// The user columns of row `r`, starting at column `c`.
UserRecord ReadUser(const Rows& rows, std::size_t r, std::size_t c = 0) {
  UserRecord u;
  u.id = UserId(rows.Text(r, c));
  u.organization = OrganizationId(rows.Text(r, c + 1));
  u.email = rows.Text(r, c + 2);
  u.first_name = rows.Text(r, c + 3);
  u.last_name = rows.Text(r, c + 4);
  u.status = StatusFrom(rows.Text(r, c + 5));
  u.email_verified = rows.Bool(r, c + 6);
  u.roles = SplitSorted(rows, r, c + 7);
  u.created_at = ReadTs(rows, r, c + 8);
  u.last_login_at = ReadTs(rows, r, c + 9);
  return u;
}

constexpr const char* kUserById = "SELECT " GIIA_USER_COLUMNS
                                  " FROM auth.users u WHERE u.organization_id = $1 AND u.id = $2"
                                  " AND u.deleted_at IS NULL";
constexpr const char* kUsersByIds =
    "SELECT " GIIA_USER_COLUMNS
    " FROM auth.users u WHERE u.organization_id = $1 AND u.id = ANY($2::uuid[])"
    " AND u.deleted_at IS NULL ORDER BY u.created_at, u.id";
constexpr const char* kUserByEmail =
    "SELECT " GIIA_USER_COLUMNS
    " FROM auth.users u WHERE u.organization_id = $1 AND u.email = $2 AND u.deleted_at IS NULL";
constexpr const char* kListUsers =
    "SELECT " GIIA_USER_COLUMNS
    " FROM auth.users u WHERE u.organization_id = $1 AND u.deleted_at IS NULL"
    " AND ($2::text IS NULL OR u.status = $2) ORDER BY u.created_at, u.id LIMIT $3 OFFSET $4";
constexpr const char* kCountUsers =
    "SELECT count(*) FROM auth.users u WHERE u.organization_id = $1 AND u.deleted_at IS NULL"
    " AND ($2::text IS NULL OR u.status = $2)";
constexpr const char* kCredentialsColumns =
    ", u.password_hash, u.failed_login_attempts, " GIIA_MICROS(
        "u.locked_until") ", u.token_version";
constexpr const char* kCredentialsByEmail =
    " FROM auth.users u WHERE u.email = $1 AND u.deleted_at IS NULL FOR UPDATE OF u";
constexpr const char* kCredentialsById =
    " FROM auth.users u WHERE u.id = $1 AND u.deleted_at IS NULL FOR UPDATE OF u";

constexpr const char* kResolve = R"sql(
SELECT u.token_version, u.status,
  (SELECT string_agg(DISTINCT r.name, chr(31)) FROM auth.user_roles ur
     JOIN auth.roles r ON r.id = ur.role_id
    WHERE ur.user_id = u.id AND ur.organization_id = u.organization_id),
  (SELECT string_agg(DISTINCT p.name, chr(31)) FROM auth.user_roles ur
     JOIN auth.role_permissions rp ON rp.role_id = ur.role_id
     JOIN auth.permissions p ON p.id = rp.permission_id
    WHERE ur.user_id = u.id AND ur.organization_id = u.organization_id)
FROM auth.users u WHERE u.organization_id = $1 AND u.id = $2 AND u.deleted_at IS NULL)sql";

// The row of kResolve, if any.
std::optional<auth::ResolvedPermissions> PermissionsOf(const Rows& rows) {
  if (rows.empty()) return std::nullopt;
  auth::ResolvedPermissions p;
  p.token_version = rows.Int(0, 0);
  p.active = rows.Text(0, 1) == "active";
  p.roles = SplitSorted(rows, 0, 2);
  p.permissions = SplitSorted(rows, 0, 3);
  return p;
}

constexpr const char* kRoleFor = R"sql(
SELECT id FROM auth.roles WHERE name = $2 AND (organization_id = $1 OR organization_id IS NULL)
ORDER BY organization_id NULLS LAST LIMIT 1)sql";

#define GIIA_REFRESH_COLUMNS \
  "id, user_id, organization_id, family_id, generation, " GIIA_MICROS( \
      "expires_at") ", " GIIA_MICROS("rotated_at") ", " GIIA_MICROS("revoked_at") ", " GIIA_MICROS( \
      "family_expires_at")

// The GIIA_REFRESH_COLUMNS of the first row, starting at column `c`.
auth::RefreshRecord ReadRefresh(const Rows& rows, std::size_t c = 0) {
  auth::RefreshRecord t;
  t.id = rows.Text(0, c);
  t.user = UserId(rows.Text(0, c + 1));
  t.organization = OrganizationId(rows.Text(0, c + 2));
  t.family = rows.Text(0, c + 3);
  t.generation = static_cast<int>(rows.Int(0, c + 4));
  t.expires_at = *ReadTs(rows, 0, c + 5);
  t.rotated_at = ReadTs(rows, 0, c + 6);
  t.revoked_at = ReadTs(rows, 0, c + 7);
  t.family_expires_at = ReadTs(rows, 0, c + 8);
  return t;
}
constexpr std::size_t kRefreshColumnCount = 9;

// GIIA_USER_COLUMNS and kCredentialsColumns of the first row, from column `c`.
auth::Credentials ReadCredentials(const Rows& rows, std::size_t c = 0) {
  auth::Credentials out;
  out.user = ReadUser(rows, 0, c);
  out.password_hash = rows.Text(0, c + 10);
  out.failed_attempts = static_cast<int>(rows.Int(0, c + 11));
  out.locked_until = ReadTs(rows, 0, c + 12);
  out.token_version = rows.Int(0, c + 13);
  return out;
}

// A refresh token, its family's newest generation and its live user in one
// round trip, locked in the order the rows are read: the token, the newest
// generation (FOR UPDATE), the user (FOR SHARE).
const std::string kLockRefreshSession = std::string(R"sql(
SELECT presented.*, latest.*, holder.* FROM
  (SELECT )sql" GIIA_REFRESH_COLUMNS R"sql( FROM auth.refresh_tokens
    WHERE token_hash = decode($1, 'hex') FOR UPDATE) presented
CROSS JOIN LATERAL
  (SELECT )sql" GIIA_REFRESH_COLUMNS R"sql( FROM auth.refresh_tokens
    WHERE family_id = presented.family_id ORDER BY generation DESC LIMIT 1 FOR UPDATE) latest
LEFT JOIN LATERAL
  (SELECT )sql" GIIA_USER_COLUMNS) + kCredentialsColumns +
                                        R"sql(
     FROM auth.users u WHERE u.id = presented.user_id AND u.deleted_at IS NULL
    FOR SHARE OF u) holder ON true)sql";
// $1..$9: RefreshParams.
#define GIIA_INSERT_REFRESH                                                                \
  "INSERT INTO auth.refresh_tokens (user_id, organization_id, token_hash, family_id,"      \
  " generation, expires_at, user_agent, ip_address, family_expires_at)"                    \
  " VALUES ($1, $2, decode($3, 'hex'), COALESCE(NULLIF($4::text, '')::uuid,"               \
  " gen_random_uuid()), $5, to_timestamp($6::double precision / 1000000), NULLIF($7, '')," \
  " NULLIF($8, ''), to_timestamp($9::double precision / 1000000))"
constexpr const char* kInsertRefresh = GIIA_INSERT_REFRESH " RETURNING family_id";
// $1..$9 the successor, $10 the token it succeeds, $11 when (Unix microseconds).
constexpr const char* kRotateRefresh =
    "WITH rotated AS (UPDATE auth.refresh_tokens"
    " SET rotated_at = to_timestamp($11::double precision / 1000000) WHERE id = $10)"
    " " GIIA_INSERT_REFRESH;
constexpr const char* kLockLatestInFamily =
    "SELECT " GIIA_REFRESH_COLUMNS
    " FROM auth.refresh_tokens WHERE family_id = $1 ORDER BY generation DESC LIMIT 1 FOR UPDATE";

std::string Sql(const char* fmt, int n) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, n);
  return buf;
}

std::vector<Param> RefreshParams(const auth::NewRefresh& t) {
  return {t.user.value(),
          t.organization.value(),
          t.token_hash,
          t.family,
          t.generation,
          Micros(t.expires_at),
          t.user_agent,
          t.ip_address,
          t.family_expires_at ? Param(Micros(*t.family_expires_at)) : Param(std::nullopt)};
}

// The session of a non-empty kLockRefreshSession answer. The newest
// generation always has a successor once rotated, in the same transaction.
// Seen rotated (latest.rotated_at), it was rotated while the statement
// waited for its lock, and its successor is newer than the statement's
// snapshot: kLockLatestInFamily, the next statement, sees it (NewestOf).
auth::RefreshSession SessionOf(const Rows& rows) {
  auth::RefreshSession session;
  session.presented = ReadRefresh(rows);
  session.latest = ReadRefresh(rows, kRefreshColumnCount);
  constexpr std::size_t kUser = 2 * kRefreshColumnCount;
  if (!rows.IsNull(0, kUser)) session.user = ReadCredentials(rows, kUser);
  return session;
}
Result<auth::RefreshRecord> NewestOf(const Rows& latest) {
  if (latest.empty()) return MakeError(ErrorCode::kInternal, "refresh token family is empty");
  return ReadRefresh(latest);
}

std::vector<Param> RotationParams(const auth::AccountStore::Rotation& r) {
  std::vector<Param> params = RefreshParams(r.successor);
  params.emplace_back(r.rotated_id);
  params.emplace_back(Micros(r.at));
  return params;
}

class PgAccountTx final : public auth::AccountTx, auth::AccountRepository {
 public:
  explicit PgAccountTx(Connection& conn) : conn_(conn), outbox_(conn, OutboxSchema::kAuth) {}
  auth::AccountRepository& accounts() override { return *this; }
  events::OutboxWriter& outbox() override { return outbox_; }
  std::size_t events() const { return outbox_.stored(); }

  Result<auth::Organization> CreateOrganization(const std::string& name,
                                                const std::string& slug) override {
    auto rows = conn_.Exec(
        "INSERT INTO auth.organizations (name, slug) VALUES ($1, $2) RETURNING id", {name, slug});
    if (!rows) {
      if (rows.error().code == ErrorCode::kAlreadyExists) {
        return MakeError(ErrorCode::kAlreadyExists, "an organization with this slug already exists",
                         "organization_slug");
      }
      return tl::unexpected(rows.error());
    }
    return auth::Organization{OrganizationId(rows->Text(0, 0)), name, slug};
  }

  Result<std::optional<auth::Organization>> GetOrganization(const OrganizationId& id) override {
    auto rows =
        conn_.Exec("SELECT id, name, slug FROM auth.organizations WHERE id = $1", {id.value()});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<auth::Organization>();
    return std::optional<auth::Organization>(
        auth::Organization{OrganizationId(rows->Text(0, 0)), rows->Text(0, 1), rows->Text(0, 2)});
  }

  Result<int> PurgeExpiredRegistrations(const std::string& email, const std::string& slug,
                                        Timestamp cutoff) override {
    auto gone = conn_.Exec(
        "DELETE FROM auth.users u WHERE u.status = 'pending' AND u.email_verified_at IS NULL"
        " AND u.created_at < " +
            Sql(kToTs, 3) +
            " AND (u.email = $1 OR u.organization_id IN"
            " (SELECT id FROM auth.organizations WHERE slug = $2))"
            " RETURNING u.organization_id",
        {email, slug, Micros(cutoff)});
    if (!gone) return tl::unexpected(gone.error());
    for (std::size_t r = 0; r < gone->size(); ++r) {
      auto org = conn_.Exec(
          "DELETE FROM auth.organizations o WHERE o.id = $1"
          " AND NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.organization_id = o.id)",
          {gone->Text(r, 0)});
      if (!org) return tl::unexpected(org.error());
    }
    return static_cast<int>(gone->size());
  }

  Result<UserId> InsertUser(const auth::NewUser& user) override {
    return pg::InsertUser(conn_, user);
  }

  Result<std::optional<UserRecord>> One(const char* sql, const std::vector<Param>& params) {
    auto rows = conn_.Exec(sql, params);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(ReadUser(*rows, 0));
  }

  Result<std::optional<UserRecord>> GetUser(const OrganizationId& org, const UserId& id) override {
    return One(kUserById, {org.value(), id.value()});
  }

  Result<std::vector<UserRecord>> GetUsers(const OrganizationId& org,
                                           const std::vector<UserId>& ids) override {
    std::string array = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) array += ',';
      array += ids[i].value();  // validated UUIDs
    }
    array += '}';
    auto rows = conn_.Exec(kUsersByIds, {org.value(), array});
    if (!rows) return tl::unexpected(rows.error());
    std::vector<UserRecord> out;
    for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(ReadUser(*rows, i));
    return out;
  }

  Result<std::optional<UserRecord>> GetUserByEmail(const OrganizationId& org,
                                                   const std::string& email) override {
    return One(kUserByEmail, {org.value(), email});
  }

  Result<auth::UserPage> ListUsers(const OrganizationId& org, std::optional<UserStatus> status,
                                   int page, int page_size) override {
    Param filter = status ? Param(auth::UserStatusName(*status)) : Param(std::nullopt);
    auto count = conn_.Exec(kCountUsers, {org.value(), filter});
    if (!count) return tl::unexpected(count.error());
    auto rows = conn_.Exec(kListUsers, {org.value(), filter, page_size,
                                        static_cast<std::int64_t>(page - 1) * page_size});
    if (!rows) return tl::unexpected(rows.error());
    auth::UserPage out;
    out.total = count->Int(0, 0);
    for (std::size_t i = 0; i < rows->size(); ++i) out.users.push_back(ReadUser(*rows, i));
    return out;
  }

  Result<std::optional<auth::Credentials>> Credentials(const char* where, const std::string& key) {
    const std::string sql = std::string("SELECT " GIIA_USER_COLUMNS) + kCredentialsColumns + where;
    auto rows = conn_.Exec(sql, {key});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<auth::Credentials>();
    return std::optional<auth::Credentials>(ReadCredentials(*rows));
  }

  Result<std::optional<auth::Credentials>> LockCredentialsByEmail(
      const std::string& email) override {
    return Credentials(kCredentialsByEmail, email);
  }
  Result<std::optional<auth::Credentials>> LockCredentials(const UserId& id) override {
    return Credentials(kCredentialsById, id.value());
  }

  Status Update(const std::string& sql, const std::vector<Param>& params) {
    auto r = conn_.Exec(sql, params);
    if (!r) return tl::unexpected(r.error());
    return Ok();
  }

  // The token_version an UPDATE ... RETURNING token_version left.
  static Result<std::int64_t> NewVersion(Result<Rows> rows) {
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return MakeError(ErrorCode::kNotFound, "user not found", "user_id");
    return rows->Int(0, 0);
  }

  Status SaveFailedAttempts(const UserId& id, int failed,
                            std::optional<Timestamp> locked_until) override {
    return Update(
        "UPDATE auth.users SET failed_login_attempts = $2, locked_until = " + Sql(kToTs, 3) +
            ", updated_at = now() WHERE id = $1",
        {id.value(), failed, locked_until ? Param(Micros(*locked_until)) : Param(std::nullopt)});
  }
  Status RecordLogin(const UserId& id, Timestamp at) override {
    return Update(
        "UPDATE auth.users SET failed_login_attempts = 0, locked_until = NULL, last_login_at = " +
            Sql(kToTs, 2) + " WHERE id = $1",
        {id.value(), Micros(at)});
  }
  Result<std::int64_t> SetPassword(const UserId& id, const std::string& hash) override {
    return NewVersion(
        conn_.Exec("UPDATE auth.users SET password_hash = $2, token_version = token_version + 1,"
                   " updated_at = now() WHERE id = $1 RETURNING token_version",
                   {id.value(), hash}));
  }
  Result<std::int64_t> BumpTokenVersion(const UserId& id) override {
    return NewVersion(
        conn_.Exec("UPDATE auth.users SET token_version = token_version + 1, updated_at = now()"
                   " WHERE id = $1 RETURNING token_version",
                   {id.value()}));
  }
  Status Activate(const UserId& id, Timestamp at) override {
    return Update(
        "UPDATE auth.users SET status = CASE WHEN status = 'pending' THEN 'active' ELSE status "
        "END, email_verified_at = COALESCE(email_verified_at, " +
            Sql(kToTs, 2) + "), updated_at = now() WHERE id = $1",
        {id.value(), Micros(at)});
  }

  Result<std::optional<auth::ResolvedPermissions>> Resolve(const OrganizationId& org,
                                                           const UserId& user) override {
    auto rows = conn_.Exec(kResolve, {org.value(), user.value()});
    if (!rows) return tl::unexpected(rows.error());
    return PermissionsOf(*rows);
  }

  Result<bool> AssignRole(const OrganizationId& org, const UserId& user, const std::string& role,
                          const std::optional<UserId>& assigned_by) override {
    auto id = conn_.Exec(kRoleFor, {org.value(), role});
    if (!id) return tl::unexpected(id.error());
    if (id->empty()) return MakeError(ErrorCode::kNotFound, "no role named " + role, "role");
    auto r = conn_.Exec(
        "INSERT INTO auth.user_roles (user_id, role_id, organization_id, assigned_by)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        {user.value(), id->Text(0, 0), org.value(),
         assigned_by ? Param(assigned_by->value()) : Param(std::nullopt)});
    if (!r) return tl::unexpected(r.error());
    return r->affected > 0;
  }

  Result<std::optional<int>> RoleLevel(const OrganizationId& org,
                                       const std::string& role) override {
    auto rows = conn_.Exec(
        "SELECT level FROM auth.roles WHERE name = $2 AND (organization_id = $1 OR"
        " organization_id IS NULL) ORDER BY organization_id NULLS LAST LIMIT 1",
        {org.value(), role});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<int>();
    return std::optional<int>(static_cast<int>(rows->Int(0, 0)));
  }

  Result<std::optional<int>> HighestLevel(const OrganizationId& org, const UserId& user) override {
    auto rows = conn_.Exec(
        "SELECT min(r.level) FROM auth.user_roles ur JOIN auth.roles r ON r.id = ur.role_id"
        " WHERE ur.organization_id = $1 AND ur.user_id = $2",
        {org.value(), user.value()});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty() || rows->IsNull(0, 0)) return std::optional<int>();
    return std::optional<int>(static_cast<int>(rows->Int(0, 0)));
  }

  Result<std::vector<UserId>> LockTopRankHolders(const OrganizationId& org) override {
    // FOR UPDATE of the grants: a concurrent revocation waits, and then sees
    // the grant this one removed as gone.
    auto rows = conn_.Exec(
        "SELECT ur.user_id FROM auth.user_roles ur JOIN auth.roles r ON r.id = ur.role_id"
        " JOIN auth.users u ON u.id = ur.user_id"
        " WHERE ur.organization_id = $1 AND r.level = 1 AND u.deleted_at IS NULL"
        " FOR UPDATE OF ur",
        {org.value()});
    if (!rows) return tl::unexpected(rows.error());
    std::vector<UserId> out;
    for (std::size_t r = 0; r < rows->size(); ++r) out.emplace_back(rows->Text(r, 0));
    return out;
  }

  Result<bool> RevokeRole(const OrganizationId& org, const UserId& user,
                          const std::string& role) override {
    auto r = conn_.Exec(
        "DELETE FROM auth.user_roles ur USING auth.roles r WHERE ur.role_id = r.id"
        " AND ur.organization_id = $1 AND ur.user_id = $2 AND r.name = $3",
        {org.value(), user.value(), role});
    if (!r) return tl::unexpected(r.error());
    return r->affected > 0;
  }

  Result<std::string> InsertRefresh(const auth::NewRefresh& t) override {
    auto rows = conn_.Exec(kInsertRefresh, RefreshParams(t));
    if (!rows) return tl::unexpected(rows.error());
    return rows->Text(0, 0);
  }

  Result<std::optional<auth::RefreshSession>> LockRefreshSession(const std::string& hash) override {
    auto rows = conn_.Exec(kLockRefreshSession, {hash});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<auth::RefreshSession>();
    auth::RefreshSession session = SessionOf(*rows);
    if (session.latest.rotated_at) {
      auto latest = conn_.Exec(kLockLatestInFamily, {session.presented.family});
      if (!latest) return tl::unexpected(latest.error());
      if (auto newest = NewestOf(*latest); !newest)
        return tl::unexpected(newest.error());
      else
        session.latest = std::move(*newest);
    }
    return std::optional<auth::RefreshSession>(std::move(session));
  }

  Status RotateRefresh(const std::string& rotated_id, Timestamp at,
                       const auth::NewRefresh& successor) override {
    auto rows = conn_.Exec(kRotateRefresh, RotationParams({rotated_id, at, successor}));
    if (!rows) return tl::unexpected(rows.error());
    return Ok();
  }

  Status RevokeFamily(const std::string& family, const std::string& reason) override {
    return Update(
        "UPDATE auth.refresh_tokens SET revoked_at = now(), revoked_reason = $2"
        " WHERE family_id = $1 AND revoked_at IS NULL",
        {family, reason});
  }
  Status RevokeAllRefresh(const UserId& user, const std::string& reason) override {
    return Update(
        "UPDATE auth.refresh_tokens SET revoked_at = now(), revoked_reason = $2"
        " WHERE user_id = $1 AND revoked_at IS NULL",
        {user.value(), reason});
  }

  Status InsertVerification(const UserId& user, const std::string& hash,
                            Timestamp expires_at) override {
    return Update(
        "INSERT INTO auth.email_verification_tokens (user_id, token_hash, expires_at)"
        " VALUES ($1, decode($2, 'hex'), " +
            Sql(kToTs, 3) + ")",
        {user.value(), hash, Micros(expires_at)});
  }

  Result<std::optional<UserId>> ConsumeVerification(const std::string& hash,
                                                    Timestamp now) override {
    auto rows = conn_.Exec(
        "UPDATE auth.email_verification_tokens SET used_at = now()"
        " WHERE token_hash = decode($1, 'hex') AND used_at IS NULL AND expires_at > " +
            Sql(kToTs, 2) + " RETURNING user_id",
        {hash, Micros(now)});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<UserId>();
    return std::optional<UserId>(UserId(rows->Text(0, 0)));
  }

 private:
  Connection& conn_;
  PgOutboxWriter outbox_;
};

}  // namespace

Status PgAccountStore::Run(const std::function<Status(auth::AccountTx& tx)>& work) {
  std::size_t events = 0;
  Status done = RunRetriedTransaction(pool_, [&](Connection& conn) {
    PgAccountTx tx(conn);
    Status result = work(tx);
    events = tx.events();
    return result;
  });
  if (done && events > 0 && wake_ != nullptr) wake_->Notify();
  return done;
}

Result<UserId> InsertUser(Connection& conn, const auth::NewUser& user) {
  auto rows = conn.Exec(R"sql(
INSERT INTO auth.users (organization_id, email, password_hash, first_name, last_name, status,
                        email_verified_at)
VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::boolean THEN now() END) RETURNING id)sql",
                        {user.organization.value(), user.email, user.password_hash, user.first_name,
                         user.last_name, auth::UserStatusName(user.status), user.email_verified});
  if (!rows) {
    if (rows.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists, "a user with this e-mail already exists",
                       "email");
    }
    return tl::unexpected(rows.error());
  }
  return UserId(rows->Text(0, 0));
}

Attempt<Result<bool>> PgAccountStore::RotateSession(const std::string& token_hash,
                                                    DecideRotation decide) {
  using Rotated = Attempt<Result<bool>>;
  if (async_ == nullptr) return AccountStore::RotateSession(token_hash, std::move(decide));
  return Rotated::Async([this, token_hash,
                         decide = std::move(decide)](const Rotated::Deliver& deliver) {
    // A conflict of the database's (kAborted: a deadlock or serialization
    // failure; nothing was written) goes to the waiting path, which retries.
    auto fail = [this, token_hash, decide, deliver](Error e) {
      if (e.code == ErrorCode::kAborted)
        return deliver(AccountStore::RotateSession(token_hash, decide));
      deliver(Result<bool>(tl::unexpected(std::move(e))));
    };
    // Carries out what `decide` makes of `session`; no step rolls back.
    auto finish = [fail, decide, deliver](const std::optional<auth::RefreshSession>& session,
                                          AsyncTransaction& t) {
      auto rotation = decide(session);
      if (!rotation) return deliver(Result<bool>(tl::unexpected(rotation.error())));
      if (!*rotation) return deliver(Result<bool>(false));
      t.Commit(kRotateRefresh, RotationParams(**rotation),
               [fail, deliver](Result<Rows> done, AsyncTransaction&) {
                 if (!done) return fail(done.error());
                 deliver(Result<bool>(true));
               });
    };
    async_->Transaction(
        std::chrono::steady_clock::now() + timeout_,
        [fail, finish, token_hash](Result<AsyncTransaction*> tx) {
          if (!tx) return fail(tx.error());
          (*tx)->Query(
              kLockRefreshSession, {token_hash},
              [fail, finish](Result<Rows> rows, AsyncTransaction& t) {
                if (!rows) return fail(rows.error());
                if (rows->empty()) return finish(std::nullopt, t);
                auth::RefreshSession session = SessionOf(*rows);
                if (!session.latest.rotated_at) return finish(session, t);
                t.Query(kLockLatestInFamily, {session.presented.family},
                        [fail, finish, session](Result<Rows> latest, AsyncTransaction& t2) mutable {
                          if (!latest) return fail(latest.error());
                          auto newest = NewestOf(*latest);
                          if (!newest) return fail(newest.error());
                          session.latest = std::move(*newest);
                          finish(session, t2);
                        });
              });
        });
  });
}

Attempt<Result<std::optional<auth::ResolvedPermissions>>> PgAccountStore::FindPermissions(
    const OrganizationId& org, const UserId& user) {
  using Found = Result<std::optional<auth::ResolvedPermissions>>;
  if (async_ == nullptr) return AccountStore::FindPermissions(org, user);
  return Attempt<Found>::Async([this, org, user](Attempt<Found>::Deliver deliver) {
    async_->Query(kResolve, {org.value(), user.value()},
                  std::chrono::steady_clock::now() + timeout_,
                  [deliver = std::move(deliver)](Result<Rows> rows) {
                    if (!rows) return deliver(Found(tl::unexpected(rows.error())));
                    deliver(Found(PermissionsOf(*rows)));
                  });
  });
}

Status PgAccountStore::Read(const std::function<Status(auth::AccountRepository& repo)>& work) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  PgAccountTx tx(**lease);
  return work(tx.accounts());
}

Status PgAuditStore::Append(const std::vector<auth::AuditEntry>& batch) {
  if (batch.empty()) return Ok();
  std::string sql =
      "INSERT INTO auth.audit_logs (organization_id, user_id, action, resource, resource_id,"
      " result, ip_address, user_agent, request_id, metadata, created_at) VALUES ";
  std::vector<Param> params;
  params.reserve(batch.size() * 11);
  auto opt = [](const std::string& s) { return s.empty() ? Param(std::nullopt) : Param(s); };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auth::AuditEntry& e = batch[i];
    const std::size_t b = i * 11;
    auto p = [&](std::size_t k) { return "$" + std::to_string(b + k); };
    if (i > 0) sql += ", ";
    sql += "(" + p(1) + "::uuid, " + p(2) + "::uuid, " + p(3) + ", " + p(4) + ", " + p(5) + ", " +
           p(6) + ", " + p(7) + ", " + p(8) + ", " + p(9) + ", " + p(10) + "::jsonb, " +
           "to_timestamp(" + p(11) + "::double precision / 1000000))";
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& [key, value] : e.metadata) metadata[key] = value;
    const std::string json =
        metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    params.insert(params.end(), {opt(e.organization_id), opt(e.user_id), e.action, e.resource,
                                 opt(e.resource_id), e.result, opt(e.ip_address), opt(e.user_agent),
                                 opt(e.request_id), json, Micros(e.at)});
  }
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto r = (*lease)->ExecOnce(sql, params);  // its length varies with the batch
  if (!r) {
    // SQLSTATE class 22 arrives as kInvalidArgument, 23505 as kAlreadyExists
    // (the table has no foreign key, so no 23503); both are the data's fault.
    Error error = r.error();
    if (error.code == ErrorCode::kAlreadyExists) error.code = ErrorCode::kInvalidArgument;
    return tl::unexpected(std::move(error));
  }
  return Ok();
}

}  // namespace giia::pg
