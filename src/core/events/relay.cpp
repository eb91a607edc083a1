#include "core/events/relay.hpp"

namespace giia::events {

Result<std::size_t> AcknowledgedPrefix(std::span<const Status> results) {
  std::size_t acked = 0;
  while (acked < results.size() && results[acked]) ++acked;
  if (acked == 0 && !results.empty()) return tl::unexpected(results.front().error());
  return acked;
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

}  // namespace giia::events
