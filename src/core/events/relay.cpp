#include "core/events/relay.hpp"

#include <string_view>
#include <unordered_set>

namespace giia::events {

Result<std::size_t> AcknowledgedPrefix(std::span<const Status> results) {
  std::size_t acked = 0;
  while (acked < results.size() && results[acked]) ++acked;
  if (acked == 0 && !results.empty()) return tl::unexpected(results.front().error());
  return acked;
}

Result<std::size_t> PublishInWaves(
    std::span<const OutboxRecord> records,
    const std::function<std::vector<Status>(std::span<const OutboxRecord>)>& send) {
  std::size_t done = 0;
  while (done < records.size()) {
    std::unordered_set<std::string_view> aggregates;
    std::size_t end = done;
    while (end < records.size() && (records[end].aggregate_id.empty() ||
                                    aggregates.insert(records[end].aggregate_id).second)) {
      ++end;
    }
    const std::vector<Status> results = send(records.subspan(done, end - done));
    auto acked = AcknowledgedPrefix(results);
    if (!acked) {
      if (done == 0) return tl::unexpected(acked.error());
      return done;
    }
    done += *acked;
    if (done < end) return done;
  }
  return done;
}

Result<OutboxSource::Batch> RelayOutbox::Step(std::size_t limit) {
  auto batch = source_.RelayBatch(
      limit, [&](std::span<const OutboxRecord> records) { return publisher_.Publish(records); });
  if (!batch) {
    ++counters_.publish_failures;
    return batch;
  }
  ++counters_.batches;
  counters_.published += static_cast<std::int64_t>(batch->sent);
  if (batch->error) ++counters_.publish_failures;
  return batch;
}

void LocalOutboxSignal::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return notified_ || interrupted_; });
  notified_ = false;
}

void LocalOutboxSignal::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_one();
}

void LocalOutboxSignal::Interrupt() {
  {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

}  // namespace giia::events
