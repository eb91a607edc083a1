#pragma once
// The auth service's tables (schema auth) behind the core's auth ports. Each
// Run() borrows one connection for one transaction; the repositories handed
// to the work all use that connection.

#include "adapters/postgres/pool.hpp"
#include "core/auth/ports.hpp"

namespace giia::pg {

class PgAuthStore final : public auth::AuthTransactionRunner {
 public:
  explicit PgAuthStore(Pool& pool) : pool_(pool) {}

  // Retries `work` up to 3 times on a serialization failure or deadlock.
  Status Run(const std::function<Status(auth::AuthTx& tx)>& work) override;

 private:
  Pool& pool_;  // not owned; must outlive this object
};

}  // namespace giia::pg
