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

}  // namespace

Result<BenchPurge> PurgeBenchOrganization(Pool& pool, const std::string& organization_id) {
  BenchPurge out;
  Status done = RunRetriedTransaction(pool, [&](Connection& conn) -> Status {
    out = BenchPurge{};
    auto slug = conn.Exec("SELECT slug FROM auth.organizations WHERE id = $1 FOR UPDATE",
                          {organization_id});
    if (!slug) return tl::unexpected(slug.error());
    if (slug->empty()) {
      return MakeError(ErrorCode::kNotFound, "no organization " + organization_id + " to remove");
    }
    if (slug->Text(0, 0).rfind(kBenchSlugPrefix, 0) != 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "organization " + organization_id + " (" + slug->Text(0, 0) +
                           ") was not made by giia bench; nothing was removed");
    }
    if (auto ok = PurgeCatalog(conn, organization_id, out); !ok) return ok;
    return PurgeAuth(conn, organization_id, out);
  });
  if (!done) return tl::unexpected(done.error());
  return out;
}

}  // namespace giia::pg
