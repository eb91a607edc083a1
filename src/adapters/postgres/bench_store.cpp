#include "adapters/postgres/bench_store.hpp"

namespace giia::pg {
namespace {

Result<std::int64_t> Delete(Connection& conn, const char* sql, const std::string& org) {
  auto r = conn.Exec(sql, {org});
  if (!r) return tl::unexpected(r.error());
  return r->affected;
}

Status PurgeCatalog(Connection& conn, const std::string& org, BenchPurge& out) {
  auto present = conn.Exec("SELECT to_regclass('catalog.products') IS NOT NULL");
  if (!present) return tl::unexpected(present.error());
  out.catalog_schema = present->Bool(0, 0);
  if (!out.catalog_schema) return Ok();
  struct Step {
    const char* sql;
    std::int64_t* count;
  };
  // Links first, then products (they name buffer profiles), then the rest.
  const Step steps[] = {
      {"DELETE FROM catalog.product_suppliers WHERE organization_id = $1", &out.product_suppliers},
      {"DELETE FROM catalog.products WHERE organization_id = $1", &out.products},
      {"DELETE FROM catalog.suppliers WHERE organization_id = $1", &out.suppliers},
      {"DELETE FROM catalog.buffer_profiles WHERE organization_id = $1", &out.buffer_profiles},
  };
  for (const Step& s : steps) {
    auto n = Delete(conn, s.sql, org);
    if (!n) return tl::unexpected(n.error());
    *s.count = *n;
  }
  return Ok();
}

Status PurgeAuth(Connection& conn, const std::string& org, BenchPurge& out) {
  // Roles, tokens and verification tokens go with their user or organization.
  auto users = Delete(conn, "DELETE FROM auth.users WHERE organization_id = $1", org);
  if (!users) return tl::unexpected(users.error());
  out.users = *users;
  auto orgs = Delete(conn, "DELETE FROM auth.organizations WHERE id = $1", org);
  if (!orgs) return tl::unexpected(orgs.error());
  out.organizations = *orgs;
  return Ok();
}

// Locks the organization's row and checks that giia bench made it.
Status LockBenchOrganization(Connection& conn, const std::string& organization_id,
                             const char* what) {
  auto slug =
      conn.Exec("SELECT slug FROM auth.organizations WHERE id = $1 FOR UPDATE", {organization_id});
  if (!slug) return tl::unexpected(slug.error());
  if (slug->empty()) {
    return MakeError(ErrorCode::kNotFound, "no organization " + organization_id + " to " + what);
  }
  if (slug->Text(0, 0).rfind(kBenchSlugPrefix, 0) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "organization " + organization_id + " (" + slug->Text(0, 0) +
                         ") was not made by giia bench; nothing was changed");
  }
  return Ok();
}

}  // namespace

Result<std::vector<BenchUser>> InsertBenchUsers(Pool& pool, const std::string& organization_id,
                                                const std::string& email_prefix,
                                                const std::string& password_hash, int count,
                                                const std::string& role) {
  std::vector<BenchUser> users;
  Status done = RunRetriedTransaction(pool, [&](Connection& conn) -> Status {
    users.clear();
    if (auto ok = LockBenchOrganization(conn, organization_id, "add users to"); !ok) return ok;
    // The role as AssignRole resolves it: the organization's own, else the built-in one.
    auto role_id = conn.Exec(
        "SELECT id FROM auth.roles WHERE name = $2 AND (organization_id = $1 OR organization_id "
        "IS NULL) ORDER BY organization_id NULLS LAST LIMIT 1",
        {organization_id, role});
    if (!role_id) return tl::unexpected(role_id.error());
    if (role_id->empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the " + role +
                           " role does not exist in this database; run giia "
                           "seed-roles first");
    }
    // One statement: the users, and a role for each of them.
    auto rows =
        conn.Exec(R"sql(
WITH u AS (
  INSERT INTO auth.users (organization_id, email, password_hash, first_name, last_name, status,
                          email_verified_at)
  SELECT $1, $2 || g || '@bench.example.com', $3, 'Bench', 'User ' || g, 'active', now()
  FROM generate_series(1, $4::integer) AS g
  RETURNING id, email),
r AS (
  INSERT INTO auth.user_roles (user_id, role_id, organization_id) SELECT id, $5, $1 FROM u)
SELECT id, email FROM u)sql",
                  {organization_id, email_prefix, password_hash, count, role_id->Text(0, 0)});
    if (!rows) return tl::unexpected(rows.error());
    // Statistics as a database that grew to this size would have: without
    // them the planner, still believing the tables nearly empty, looks users
    // up through the organization index and reads the whole pool each time.
    if (auto a = conn.Exec("ANALYZE auth.users, auth.user_roles"); !a) {
      return tl::unexpected(a.error());
    }
    users.reserve(rows->size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
      users.push_back({rows->Text(i, 0), rows->Text(i, 1)});
    }
    return Ok();
  });
  if (!done) return tl::unexpected(done.error());
  return users;
}

Status AnalyzeBenchProducts(Pool& pool) {
  auto lease = pool.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  auto present = (*lease)->Exec("SELECT to_regclass('catalog.products') IS NOT NULL");
  if (!present) return tl::unexpected(present.error());
  if (!present->Bool(0, 0)) return Ok();
  if (auto r = (*lease)->Exec("ANALYZE catalog.products"); !r) return tl::unexpected(r.error());
  return Ok();
}

Result<BenchPurge> PurgeBenchOrganization(Pool& pool, const std::string& organization_id) {
  BenchPurge out;
  Status done = RunRetriedTransaction(pool, [&](Connection& conn) -> Status {
    out = BenchPurge{};
    if (auto ok = LockBenchOrganization(conn, organization_id, "remove"); !ok) return ok;
    if (auto ok = PurgeCatalog(conn, organization_id, out); !ok) return ok;
    return PurgeAuth(conn, organization_id, out);
  });
  if (!done) return tl::unexpected(done.error());
  return out;
}

}  // namespace giia::pg
