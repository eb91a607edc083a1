#pragma once
// What `giia bench --setup` removes when the run ends: every row of the
// organization it created, hard-deleted (catalog products, suppliers,
// buffer profiles and their links, the organization's users with their
// roles and tokens, and the organization). Audit log entries and outbox
// events are history and are kept. The organization is created through
// PgAccountStore like any other.

#include <cstdint>
#include <string>

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

// One transaction. Errors: kFailedPrecondition (nothing deleted) when the
// organization's slug does not start with kBenchSlugPrefix; kNotFound when
// there is no such organization; otherwise as the database reports.
[[nodiscard]] Result<BenchPurge> PurgeBenchOrganization(Pool& pool,
                                                        const std::string& organization_id);

}  // namespace giia::pg
