#pragma once
// The transactional outbox of one service schema (auth.outbox, catalog.outbox):
// the writer used inside a use case's transaction, the source the relay reads,
// and the LISTEN/NOTIFY signal that wakes the relay when rows are added.

#include <memory>
#include <string>

#include "adapters/postgres/pool.hpp"
#include "core/events/consumer.hpp"
#include "core/events/event.hpp"
#include "core/events/relay.hpp"

namespace giia::pg {

enum class OutboxSchema { kAuth, kCatalog };

// Writes into the outbox over the connection of the current transaction.
class PgOutboxWriter final : public events::OutboxWriter {
 public:
  PgOutboxWriter(Connection& conn, OutboxSchema schema) : conn_(conn), schema_(schema) {}

 protected:
  Status Store(const events::Event& event) override;

 private:
  Connection& conn_;  // not owned: the transaction's connection
  OutboxSchema schema_;
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

// LISTEN giia_outbox_<schema> on a dedicated connection. Thread-safe:
// Wait() from the relay thread, Interrupt() from any thread.
class PgOutboxSignal final : public events::OutboxSignal {
 public:
  // REQUIRES: `options` connect to the database holding the outbox.
  PgOutboxSignal(ConnectOptions options, OutboxSchema schema);
  ~PgOutboxSignal() override;
  // Connects and LISTENs now (Wait() does it on demand otherwise), so no
  // NOTIFY from here on is missed. Errors: kUnavailable.
  [[nodiscard]] Status Listen();
  void Wait(std::chrono::milliseconds timeout) override;
  void Interrupt() override;

 private:
  ConnectOptions options_;
  OutboxSchema schema_;
  std::unique_ptr<Connection> conn_;  // reconnected on demand; used by the Wait() thread only
  int event_fd_ = -1;
};

}  // namespace giia::pg
