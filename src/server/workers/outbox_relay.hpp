#pragma once
// The background worker a service runs to move its outbox to JetStream: wakes
// when the service committed events (or every idle_poll, for rows written by
// other processes), publishes batch after batch while rows are
// pending, backs off exponentially while the broker or database is down, and
// purges sent rows past their retention.

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "core/events/relay.hpp"

namespace spdlog {
class logger;
}

namespace giia::server {

struct OutboxRelayOptions {
  std::size_t batch_size = 256;
  std::chrono::milliseconds idle_poll{1000};  // finds rows that other processes wrote
  // Another replica's relay held the lock: its batch may have been read
  // before our rows were committed, so look again soon.
  std::chrono::milliseconds busy_retry{10};
  std::chrono::milliseconds min_backoff{100};
  // A failed publish is tried again at least this often: an event should
  // follow a NATS recovery (a JetStream cluster electing a stream leader
  // takes 4-9 s) by about a second, and a failed attempt is cheap.
  std::chrono::milliseconds max_backoff{1000};
  std::chrono::seconds retention{24 * 3600};  // sent rows are deleted after this
  std::chrono::milliseconds purge_every{60'000};
};

// Thread-safe: Start/Stop from the owner, counters from anywhere.
class OutboxRelayWorker {
 public:
  // All references must outlive the worker.
  OutboxRelayWorker(events::OutboxSource& source, events::EventPublisher& publisher,
                    events::OutboxSignal& signal, OutboxRelayOptions options, spdlog::logger& log);
  ~OutboxRelayWorker();  // stops

  void Start();
  // Finishes the batch in flight, then returns. Idempotent.
  void Stop();

  std::int64_t published() const { return published_.load(); }
  std::int64_t failures() const { return failures_.load(); }

 private:
  void Loop();

  events::OutboxSource& source_;
  events::OutboxSignal& signal_;
  events::RelayOutbox relay_;
  const OutboxRelayOptions options_;
  spdlog::logger& log_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> published_{0};
  std::atomic<std::int64_t> failures_{0};
  std::thread thread_;
};

}  // namespace giia::server
