#pragma once
// giia bench --setup, the database half: a fresh organization (slug
// giia-bench-<random>) with one active, verified Admin whose password is
// random and never shown, created through the auth account store with the
// password hashed as auth hashes it; and, when the run ends, every row of
// that organization removed (pg::PurgeBenchOrganization). For
// check-permission-cold (and login, which rotates over them) also a pool of
// users in that organization, inserted in bulk with the admin's password
// hash, so the cost is paid once. The gRPC half (logging in, creating
// products) is in bench.cpp.

#include <string>
#include <vector>

#include "adapters/postgres/bench_store.hpp"
#include "adapters/postgres/pool.hpp"
#include "cli/config.hpp"
#include "core/common/redact.hpp"

namespace giia::cli {

struct BenchAccount {
  std::string organization_id;
  std::string slug;
  std::string email;
  std::string password;       // added to the redactor
  std::string password_hash;  // of `password`, as auth hashes it
  // The pool (CreateBenchUsers): active Viewers, whose password is `password`.
  std::vector<std::string> user_ids;
  std::vector<std::string> user_emails;
};

// Errors: kUnavailable (the database), kFailedPrecondition when the Admin
// role is missing (giia seed-roles was not run), otherwise as the store reports.
[[nodiscard]] Result<BenchAccount> CreateBenchAccount(pg::Pool& pool, const Config& config,
                                                      Redactor& redactor);

// Adds `count` users with the Viewer role to the account's organization, in
// one transaction, filling account.user_ids and user_emails.
// Errors: as pg::InsertBenchUsers.
[[nodiscard]] Status CreateBenchUsers(pg::Pool& pool, BenchAccount& account, int count);

}  // namespace giia::cli
