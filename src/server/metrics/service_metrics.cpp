#include "server/metrics/service_metrics.hpp"

namespace giia::server::metrics {

void RegisterPermissionCacheMetrics(Registry& registry, const auth::PermissionResolver& p) {
  registry.AddCallback("giia_permission_cache_hits_total",
                       "Permission lookups answered from memory.", "counter", {},
                       [&p] { return static_cast<double>(p.stats().local_hits); });
  registry.AddCallback("giia_permission_cache_shared_hits_total",
                       "Permission lookups answered from Redis while PostgreSQL was unavailable.",
                       "counter", {}, [&p] { return static_cast<double>(p.stats().shared_hits); });
  registry.AddCallback("giia_permission_cache_misses_total",
                       "Permission lookups that went to PostgreSQL.", "counter", {},
                       [&p] { return static_cast<double>(p.stats().misses); });
}

void RegisterAuditMetrics(Registry& registry, const AuditWriter& a) {
  registry.AddCallback("giia_audit_entries_written_total", "Audit log entries written.", "counter",
                       {}, [&a] { return static_cast<double>(a.written()); });
  registry.AddCallback("giia_audit_entries_dropped_total",
                       "Audit log entries dropped because the queue was full.", "counter", {},
                       [&a] { return static_cast<double>(a.dropped()); });
  registry.AddCallback("giia_audit_entries_rejected_total",
                       "Audit log entries dropped because the database refused their data.",
                       "counter", {}, [&a] { return static_cast<double>(a.rejected()); });
  registry.AddCallback("giia_audit_queue_depth", "Audit log entries waiting to be written.",
                       "gauge", {}, [&a] { return static_cast<double>(a.queued()); });
}

void RegisterDecisionMetrics(Registry& registry, const catalog::RemoteAuthorizer& r) {
  registry.AddCallback("giia_permission_decisions_cached_total",
                       "Requests whose permissions the local cache answered.", "counter", {},
                       [&r] { return static_cast<double>(r.stats().hits); });
  registry.AddCallback("giia_permission_decisions_asked_total",
                       "Requests whose permissions were asked of the auth service.", "counter", {},
                       [&r] { return static_cast<double>(r.stats().misses); });
  registry.AddCallback("giia_permission_decisions_unavailable_total",
                       "Requests refused because auth could not be asked.", "counter", {},
                       [&r] { return static_cast<double>(r.stats().unavailable); });
}

}  // namespace giia::server::metrics
