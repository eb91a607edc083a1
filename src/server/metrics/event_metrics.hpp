#pragma once
// The events backbone's figures as Prometheus metrics: what the relay
// published and failed to publish, the outbox backlog and the age of its
// oldest row (read at scrape time), and each consumer's outcomes.

#include <string>

#include "core/events/consumer.hpp"
#include "core/events/relay.hpp"
#include "server/metrics/registry.hpp"
#include "server/workers/outbox_relay.hpp"

namespace giia::server::metrics {

// References must outlive the registry's scrapes.
void RegisterRelayMetrics(Registry& registry, const std::string& service,
                          const OutboxRelayWorker& relay, events::OutboxSource& outbox);

void RegisterConsumerMetrics(Registry& registry, const events::EventConsumer& consumer);

}  // namespace giia::server::metrics
