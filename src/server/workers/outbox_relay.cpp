#include "server/workers/outbox_relay.hpp"

#include <spdlog/spdlog.h>

namespace giia::server {

OutboxRelayWorker::OutboxRelayWorker(events::OutboxSource& source,
                                     events::EventPublisher& publisher,
                                     events::OutboxSignal& signal, OutboxRelayOptions options,
                                     spdlog::logger& log)
    : source_(source), signal_(signal), relay_(source, publisher), options_(options), log_(log) {}

OutboxRelayWorker::~OutboxRelayWorker() { Stop(); }

void OutboxRelayWorker::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelayWorker::Stop() {
  stop_ = true;
  signal_.Interrupt();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelayWorker::Loop() {
  auto backoff = options_.min_backoff;
  bool failing = false;
  auto next_purge = std::chrono::steady_clock::now() + options_.purge_every;
  while (!stop_) {
    auto batch = relay_.Step(options_.batch_size);
    const std::optional<Error> error = !batch ? std::optional<Error>(batch.error()) : batch->error;
    if (batch) published_ += static_cast<std::int64_t>(batch->sent);
    if (error) {
      ++failures_;
      // One warning per outage, not one per attempt; the events wait in the outbox.
      if (!failing) log_.warn("outbox relay: {}; retrying with backoff", error->message);
      failing = true;
      signal_.Wait(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    if (failing) log_.info("outbox relay: publishing again");
    failing = false;
    backoff = options_.min_backoff;
    if (!batch->busy && batch->read == options_.batch_size) continue;  // more is pending
    if (std::chrono::steady_clock::now() >= next_purge) {
      next_purge = std::chrono::steady_clock::now() + options_.purge_every;
      if (auto purged = source_.Purge(options_.retention); purged && *purged > 0) {
        log_.debug("outbox relay: deleted {} sent events past retention", *purged);
      }
    }
    signal_.Wait(batch->busy ? options_.busy_retry : options_.idle_poll);
  }
}

}  // namespace giia::server
