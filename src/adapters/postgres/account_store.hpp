#pragma once
// The auth service's accounts (schema auth) behind core/auth/accounts.hpp.
// Each Run() borrows one pooled connection for one transaction.

#include "adapters/postgres/pool.hpp"
#include "core/auth/accounts.hpp"
#include "core/auth/audit.hpp"
#include "core/events/relay.hpp"

namespace giia::pg {

class PgAccountStore final : public auth::AccountStore {
 public:
  // `wake` (may be null) is notified after a Run() committed events.
  explicit PgAccountStore(Pool& pool, events::OutboxSignal* wake = nullptr)
      : pool_(pool), wake_(wake) {}
  // Retries `work` up to 3 times on a serialization failure or deadlock.
  Status Run(const std::function<Status(auth::AccountTx& tx)>& work) override;
  Status Read(const std::function<Status(auth::AccountRepository& repo)>& work) override;

 private:
  Pool& pool_;                  // not owned; must outlive this object
  events::OutboxSignal* wake_;  // not owned; may be null
};

// auth.audit_logs: one multi-row INSERT per batch, of the entries as they
// are (the writer made them storable: auth::StorableAuditEntry). Errors:
// kInvalidArgument when PostgreSQL refuses an entry's data (SQLSTATE class
// 22 or 23, e.g. 22021 for invalid UTF-8), kUnavailable when it is down.
class PgAuditStore final : public auth::AuditStore {
 public:
  explicit PgAuditStore(Pool& pool) : pool_(pool) {}
  Status Append(const std::vector<auth::AuditEntry>& batch) override;

 private:
  Pool& pool_;
};

}  // namespace giia::pg
