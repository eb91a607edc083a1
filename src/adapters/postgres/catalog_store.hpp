#pragma once
// The catalog (schema catalog) behind core/catalog/catalog.hpp. Write() runs
// one transaction on a pooled connection (retried after a serialization
// failure or deadlock); Read() borrows one pooled connection and runs each
// statement on its own, without BEGIN/COMMIT. Every statement is scoped to
// the organization it is given and, for live rows, to deleted_at IS NULL.

#include <string>
#include <vector>

#include "adapters/postgres/async_pool.hpp"
#include "adapters/postgres/pool.hpp"
#include "core/catalog/catalog.hpp"
#include "core/events/relay.hpp"

namespace giia::pg {

class PgCatalogStore final : public catalog::CatalogStore {
 public:
  // `wake` (may be null) is notified after a Write() committed events.
  // With `async` (may be null), FindProduct, FindProducts and AddProduct run their
  // statements there and answer without holding a thread; `timeout` bounds it (the statement
  // timeout: the asynchronous pool enforces it by cancelling).
  explicit PgCatalogStore(Pool& pool, events::OutboxSignal* wake = nullptr,
                          AsyncPool* async = nullptr,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : pool_(pool), wake_(wake), async_(async), timeout_(timeout) {}
  // The transaction's outbox() writes catalog.outbox. Runs `work` again (3
  // times in all) after a serialization failure or deadlock.
  Status Write(const std::function<Status(catalog::CatalogTx& tx)>& work) override;
  // The repository refuses writes here (kInternal): they belong in Write().
  Status Read(const std::function<Status(catalog::CatalogRepository& repo)>& work) override;
  Attempt<Result<std::optional<catalog::Product>>> FindProduct(const OrganizationId& org,
                                                               const std::string& id) override;
  Attempt<Result<catalog::Page<catalog::Product>>> FindProducts(
      const OrganizationId& org, const catalog::ListQuery& q) override;
  // With `async`: a transaction on it of two round trips (BEGIN and the
  // INSERT, then the outbox INSERT and COMMIT), answered without a thread;
  // no retry (an INSERT of a new row has no serialization conflict).
  Attempt<Result<catalog::Product>> AddProduct(const catalog::Product& p,
                                               ProductEvent event) override;

 private:
  Pool& pool_;                  // not owned; must outlive this object
  events::OutboxSignal* wake_;  // not owned; may be null
  AsyncPool* async_;            // not owned; may be null
  std::chrono::milliseconds timeout_;
};

// A statement and its parameters, as the store would run it.
struct CatalogStatement {
  std::string sql;
  std::vector<Param> params;
};

// The one statement ListProducts runs for `q` (page and total together), so
// tests can EXPLAIN exactly what the store executes.
CatalogStatement ListProductsStatementForTests(const OrganizationId& org,
                                               const catalog::ListQuery& q);

}  // namespace giia::pg
