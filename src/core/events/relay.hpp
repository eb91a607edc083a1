#pragma once
// The outbox relay: moves committed events from the outbox to the broker, in
// order, marking each sent only after the broker acknowledged it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace giia::events {

// A stored, not yet published event: the encoded envelope and where it goes.
struct OutboxRecord {
  std::int64_t seq = 0;  // the outbox order
  std::string event_id;  // the broker's de-duplication id
  std::string subject;   // "auth.user.registered"
  std::string payload;   // the CloudEvents JSON
  std::string aggregate_id;
};

// Publishes to the broker. Thread-compatible.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Publishes `records` in order and returns how many, from the first, the
  // broker acknowledged (a duplicate of an earlier publish counts as
  // acknowledged). Stops at the first failure.
  // Errors: kUnavailable when the broker cannot be reached and none was
  // acknowledged.
  [[nodiscard]] virtual Result<std::size_t> Publish(std::span<const OutboxRecord> records) = 0;
};

// For a publisher that sends a whole batch before it waits: the prefix of
// `results` (one per record, in order) that the broker acknowledged, ending
// at the first failure whatever follows it. Errors: the first result's error
// when it failed, so that nothing was acknowledged.
[[nodiscard]] Result<std::size_t> AcknowledgedPrefix(std::span<const Status> results);

// Publishes `records` in waves, each the longest run of records in which no
// aggregate appears twice, sent at once by `send` (one result per record, in
// order); the next wave goes only once the whole previous one was
// acknowledged. So an event is sent only after every earlier event of its
// aggregate was stored: when one publish fails (a stream leader being
// elected) a later event of the same aggregate cannot reach the stream
// before it. (Records of other aggregates acknowledged after the failure are
// sent again with the rest and de-duplicated where they stand.) Returns the
// acknowledged prefix, as AcknowledgedPrefix does.
[[nodiscard]] Result<std::size_t> PublishInWaves(
    std::span<const OutboxRecord> records,
    const std::function<std::vector<Status>(std::span<const OutboxRecord>)>& send);

// The outbox, as the relay sees it.
class OutboxSource {
 public:
  virtual ~OutboxSource() = default;
  using PublishFn = std::function<Result<std::size_t>(std::span<const OutboxRecord>)>;

  // In one transaction that holds the relay lock of this outbox: reads up to
  // `limit` pending records in outbox order, calls `publish` with them, and
  // marks as sent the prefix it reports, then commits. When another relay
  // holds the lock, returns 0 without calling `publish` (`busy` set).
  // If the process dies after publishing and before the commit, the records
  // stay pending and are published again: the broker de-duplicates them.
  struct Batch {
    std::size_t read = 0;
    std::size_t sent = 0;
    bool busy = false;           // another relay holds the lock
    std::optional<Error> error;  // why publishing stopped early, if it did
  };
  [[nodiscard]] virtual Result<Batch> RelayBatch(std::size_t limit, const PublishFn& publish) = 0;

  // Deletes sent records older than `retention`. Returns how many.
  [[nodiscard]] virtual Result<std::int64_t> Purge(std::chrono::seconds retention) = 0;

  struct Backlog {
    std::int64_t pending = 0;
    double oldest_age_seconds = 0;  // 0 when nothing is pending
  };
  [[nodiscard]] virtual Result<Backlog> Pending() = 0;
};

// Wakes a waiting relay when records are added to the outbox.
class OutboxSignal {
 public:
  virtual ~OutboxSignal() = default;
  // Returns when records may have been added (Notify()), after Interrupt(),
  // or when `timeout` passes, whichever is first.
  virtual void Wait(std::chrono::milliseconds timeout) = 0;
  // Records were committed: the current Wait(), or the next one, returns.
  virtual void Notify() = 0;
  // Makes the current and every later Wait() return at once (for shutdown).
  virtual void Interrupt() = 0;
};

// The signal between the stores of one process and its relay: a store
// notifies after it committed events. Deliberately not PostgreSQL's NOTIFY:
// a NOTIFY in the writing transaction takes a database-wide lock held through
// the commit's WAL flush, so every writer of events committed one at a time
// (measured: 2.7x fewer single-row inserts per second at 16 clients). Rows
// written by other processes are found by the relay's poll. Thread-safe.
class LocalOutboxSignal final : public OutboxSignal {
 public:
  void Wait(std::chrono::milliseconds timeout) override;
  void Notify() override;
  void Interrupt() override;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;     // guarded by mu_
  bool interrupted_ = false;  // guarded by mu_
};

// Counters a relay keeps; read by metrics and readiness.
struct RelayCounters {
  std::int64_t published = 0;
  std::int64_t publish_failures = 0;
  std::int64_t batches = 0;
};

// One relay step: publishes one batch. Returns the batch report.
// REQUIRES: limit > 0.
class RelayOutbox {
 public:
  RelayOutbox(OutboxSource& source, EventPublisher& publisher)
      : source_(source), publisher_(publisher) {}

  [[nodiscard]] Result<OutboxSource::Batch> Step(std::size_t limit);
  const RelayCounters& counters() const { return counters_; }

 private:
  OutboxSource& source_;       // not owned
  EventPublisher& publisher_;  // not owned
  RelayCounters counters_;
};

}  // namespace giia::events
