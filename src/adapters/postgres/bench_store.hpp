#pragma once
// What `giia bench --setup` removes when the run ends: every row of the
// organization it created, hard-deleted (catalog products, suppliers,
// buffer profiles and their links, the organization's users with their
// roles and tokens, and the organization). Audit log entries and outbox
// events are history and are kept. The organization is created through
// PgAccountStore like any other; the pool of users that
// check-permission-cold asks about is inserted here, in bulk.

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/postgres/pool.hpp"

namespace giia::pg {

// Only organizations whose slug starts with this are ever purged.
inline constexpr const char* kBenchSlugPrefix = "giia-bench-";

struct BenchPurge {
  std::int64_t product_suppliers = 0;
  std::int64_t products = 0;
  std::int64_t suppliers = 0;
  std::int64_t buffer_profiles = 0;
  std::int64_t users = 0;
  std::int64_t organizations = 0;
  bool catalog_schema = false;  // false: the catalog's tables are not in this database
};

// `count` active, verified users of a bench organization, each with the
// role `role` (the organization's own role of that name, else the built-in
// one, as AssignRole picks it), all with the same password hash, inserted in
// one transaction, then auth.users and auth.user_roles analyzed. E-mails are
// EMAIL_PREFIX<n>@bench.example.com for n in 1..count. Returns them with their ids.
// Errors: kFailedPrecondition (nothing inserted) when the organization's
// slug does not start with kBenchSlugPrefix or there is no such role (run
// giia seed-roles); kNotFound when there is no such organization;
// otherwise as the database reports.
struct BenchUser {
  std::string id;
  std::string email;
};
[[nodiscard]] Result<std::vector<BenchUser>> InsertBenchUsers(Pool& pool,
                                                              const std::string& organization_id,
                                                              const std::string& email_prefix,
                                                              const std::string& password_hash,
                                                              int count, const std::string& role);

// ANALYZE catalog.products, when this database holds it, after --setup
// created products through the API: statistics as a database grown to this
// size would have. Without them the planner, believing the table empty, may
// look a product up through an organization index and read all of the
// organization's products per call (a cached generic plan keeps doing so).
[[nodiscard]] Status AnalyzeBenchProducts(Pool& pool);

// One transaction. Errors: kFailedPrecondition (nothing deleted) when the
// organization's slug does not start with kBenchSlugPrefix; kNotFound when
// there is no such organization; otherwise as the database reports.
[[nodiscard]] Result<BenchPurge> PurgeBenchOrganization(Pool& pool,
                                                        const std::string& organization_id);

}  // namespace giia::pg
