#include "server/metrics/event_metrics.hpp"

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
  // A failed read shows as -1: "unknown", distinct from an empty outbox.
  registry.AddCallback("giia_outbox_pending_events", "Outbox rows not yet published.", "gauge",
                       labels, [&outbox] {
                         auto b = outbox.Pending();
                         return b ? static_cast<double>(b->pending) : -1.0;
                       });
  registry.AddCallback("giia_outbox_oldest_pending_age_seconds",
                       "Age of the oldest unpublished outbox row (0 when none).", "gauge", labels,
                       [&outbox] {
                         auto b = outbox.Pending();
                         return b ? b->oldest_age_seconds : -1.0;
                       });
}

void RegisterConsumerMetrics(Registry& registry, const events::EventConsumer& consumer) {
  const auto& c = consumer.counters();
  const std::string name = consumer.name();
  for (const auto& [outcome, value] : {std::pair{"acked", &c.acked},
                                       {"duplicate", &c.duplicates},
                                       {"retried", &c.retried},
                                       {"dead_lettered", &c.dead_lettered}}) {
    registry.AddCallback("giia_events_consumed_total",
                         "Messages each consumer finished, by outcome.", "counter",
                         {{"consumer", name}, {"outcome", outcome}},
                         [value] { return static_cast<double>(value->load()); });
  }
  registry.AddCallback("giia_dlq_dead_letters_total",
                       "Messages a consumer moved to DLQ_EVENTS (each one also alerts).", "counter",
                       {{"consumer", name}},
                       [&c] { return static_cast<double>(c.dead_lettered.load()); });
}

}  // namespace giia::server::metrics
