#pragma once
// giia bench --setup, the database half: a fresh organization (slug
// giia-bench-<random>) with one active, verified Admin whose password is
// random and never shown, created through the auth account store with the
// password hashed as auth hashes it; and, when the run ends, every row of
// that organization removed (pg::PurgeBenchOrganization). The gRPC half
// (logging in, creating products) is in bench.cpp.

#include <string>

#include "adapters/postgres/bench_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "cli/config.hpp"
#include "core/common/redact.hpp"

namespace giia::cli {

struct BenchAccount {
  std::string organization_id;
  std::string slug;
  std::string email;
  std::string password;  // added to the redactor
};

// Errors: kUnavailable (the database), kFailedPrecondition when the Admin
// role is missing (giia seed-roles was not run), otherwise as the store reports.
[[nodiscard]] Result<BenchAccount> CreateBenchAccount(pg::Pool& pool, const Config& config,
                                                      Redactor& redactor);

}  // namespace giia::cli
