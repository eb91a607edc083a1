#pragma once
// The auth service's accounts (schema auth) behind core/auth/accounts.hpp.
// Each Run() borrows one pooled connection for one transaction.

#include "adapters/postgres/async_pool.hpp"
#include "adapters/postgres/pool.hpp"
#include "core/auth/accounts.hpp"
#include "core/auth/audit.hpp"
#include "core/events/relay.hpp"

namespace giia::pg {

// INSERT of a user row; its id. Errors: kAlreadyExists (field email) for an
// e-mail a live user has; the connection's. Shared by both auth stores.
[[nodiscard]] Result<UserId> InsertUser(Connection& conn, const auth::NewUser& user);

class PgAccountStore final : public auth::AccountStore {
 public:
  // `wake` (may be null) is notified after a Run() committed events.
  // With `async` (may be null), RotateSession and FindPermissions run there and
  // answers without holding a thread; `timeout` bounds it (the statement
  // timeout: the asynchronous pool enforces it by cancelling).
  explicit PgAccountStore(Pool& pool, events::OutboxSignal* wake = nullptr,
                          AsyncPool* async = nullptr,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : pool_(pool), wake_(wake), async_(async), timeout_(timeout) {}
  // Retries `work` up to 3 times on a serialization failure or deadlock.
  Status Run(const std::function<Status(auth::AccountTx& tx)>& work) override;
  Status Read(const std::function<Status(auth::AccountRepository& repo)>& work) override;
  // With `async`: one transaction of two round trips (BEGIN and the lock,
  // then the rotation and COMMIT; a third when the newest generation was
  // rotated while the lock waited), answered without a thread. A deadlock
  // or serialization failure hands the work to Run()'s retries.
  Attempt<Result<bool>> RotateSession(const std::string& token_hash,
                                      DecideRotation decide) override;
  // With `async`: the statement of Resolve, answered without a thread.
  Attempt<Result<std::optional<auth::ResolvedPermissions>>> FindPermissions(
      const OrganizationId& org, const UserId& user) override;

 private:
  Pool& pool_;                  // not owned; must outlive this object
  events::OutboxSignal* wake_;  // not owned; may be null
  AsyncPool* async_;            // not owned; may be null
  std::chrono::milliseconds timeout_;
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
