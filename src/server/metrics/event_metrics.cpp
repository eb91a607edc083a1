#include "server/metrics/event_metrics.hpp"

#include <chrono>
#include <memory>
#include <mutex>

namespace giia::server::metrics {

void RegisterRelayMetrics(Registry& registry, const std::string& service,
                          const OutboxRelayWorker& relay, events::OutboxSource& outbox) {
  const Labels labels = {{"service", service}};
  registry.AddCallback("giia_outbox_events_published_total",
                       "Events the outbox relay published and JetStream acknowledged.", "counter",
                       labels, [&relay] { return static_cast<double>(relay.published()); });
  registry.AddCallback("giia_outbox_publish_failures_total",
                       "Relay batches that stopped on a publish or database failure.", "counter",
                       labels, [&relay] { return static_cast<double>(relay.failures()); });
  // Both backlog series come from one query per scrape: the series are
  // rendered one after the other, so a reading younger than a second is reused.
  // A failed read shows as -1: "unknown", distinct from an empty outbox.
  struct Cached {
    std::mutex mu;
    std::chrono::steady_clock::time_point at{};
    events::OutboxSource::Backlog backlog{-1, -1};
  };
  auto cache = std::make_shared<Cached>();
  auto read = [cache, &outbox] {
    std::lock_guard lock(cache->mu);
    const auto now = std::chrono::steady_clock::now();
    if (now - cache->at > std::chrono::seconds(1)) {
      auto b = outbox.Pending();
      cache->backlog = b ? *b : events::OutboxSource::Backlog{-1, -1};
      cache->at = now;
    }
    return cache->backlog;
  };
  registry.AddCallback("giia_outbox_pending_events", "Outbox rows not yet published.", "gauge",
                       labels, [read] { return static_cast<double>(read().pending); });
  registry.AddCallback("giia_outbox_oldest_pending_age_seconds",
                       "Age of the oldest unpublished outbox row (0 when none).", "gauge", labels,
                       [read] { return read().oldest_age_seconds; });
}

void RegisterConsumerMetrics(Registry& registry, const events::EventConsumer& consumer) {
  const auto& c = consumer.counters();
  const std::string& name = consumer.name();
  for (const auto& [outcome, value] : {std::pair{"acked", &c.acked},
                                       {"duplicate", &c.duplicates},
                                       {"retried", &c.retried},
                                       {"dead_lettered", &c.dead_lettered}}) {
    registry.AddCallback("giia_events_consumed_total",
                         "Messages each consumer finished, by outcome.", "counter",
                         {{"consumer", name}, {"outcome", outcome}},
                         [counter = value] { return static_cast<double>(counter->load()); });
  }
  registry.AddCallback("giia_dlq_dead_letters_total",
                       "Messages a consumer moved to DLQ_EVENTS (each one also alerts).", "counter",
                       {{"consumer", name}},
                       [&c] { return static_cast<double>(c.dead_lettered.load()); });
}

}  // namespace giia::server::metrics
