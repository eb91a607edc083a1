#pragma once
// The transactional outbox of one service schema (auth.outbox, catalog.outbox):
// the writer used inside a use case's transaction and the source the relay
// reads. (The relay is woken in-process: events::LocalOutboxSignal.)

#include <memory>
#include <string>

#include "adapters/postgres/pool.hpp"
#include "core/events/consumer.hpp"
#include "core/events/event.hpp"
#include "core/events/relay.hpp"

namespace giia::pg {

enum class OutboxSchema { kAuth, kCatalog };

// The INSERT of `event` into `schema`'s outbox, for a transaction driven
// elsewhere (AsyncTransaction): the statement PgOutboxWriter runs.
struct OutboxInsert {
  const char* sql;
  std::vector<Param> params;
};
[[nodiscard]] OutboxInsert OutboxInsertOf(OutboxSchema schema, const events::Event& event);

// Writes into the outbox over the connection of the current transaction.
class PgOutboxWriter final : public events::OutboxWriter {
 public:
  PgOutboxWriter(Connection& conn, OutboxSchema schema) : conn_(conn), schema_(schema) {}
  // Events stored through this writer (the store wakes the relay after
  // committing them).
  std::size_t stored() const { return stored_; }

 protected:
  Status Store(const events::Event& event) override;

 private:
  Connection& conn_;  // not owned: the transaction's connection
  OutboxSchema schema_;
  std::size_t stored_ = 0;
};

// The relay's view of the outbox. Only one relay per schema publishes at a
// time (a transaction-scoped advisory lock per batch), which keeps the outbox
// order, and so every aggregate's order, on the stream; the others find the
// lock taken and wait for their turn, so replicas can all run a relay.
class PgOutboxSource final : public events::OutboxSource {
 public:
  PgOutboxSource(Pool& pool, OutboxSchema schema) : pool_(pool), schema_(schema) {}
  Result<Batch> RelayBatch(std::size_t limit, const PublishFn& publish) override;
  Result<std::int64_t> Purge(std::chrono::seconds retention) override;
  Result<Backlog> Pending() override;

 private:
  Pool& pool_;  // not owned
  OutboxSchema schema_;
};

// The event ids each consumer of this service handled (<schema>.processed_events).
class PgProcessedEvents final : public events::ProcessedEvents {
 public:
  PgProcessedEvents(Pool& pool, OutboxSchema schema) : pool_(pool), schema_(schema) {}
  Result<bool> Seen(const std::string& consumer, const std::string& event_id) override;
  Status Remember(const std::string& consumer, const std::string& event_id) override;

 private:
  Pool& pool_;  // not owned
  OutboxSchema schema_;
};

}  // namespace giia::pg
