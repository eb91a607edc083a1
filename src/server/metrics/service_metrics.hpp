#pragma once
// Each service's own figures as Prometheus metrics, read at scrape time.
// The objects must outlive the registry's scrapes.

#include "core/auth/permissions.hpp"
#include "core/catalog/remote_authorizer.hpp"
#include "server/metrics/registry.hpp"
#include "server/workers/audit_writer.hpp"

namespace giia::server::metrics {

// Auth: where permission lookups were answered (memory, Redis, PostgreSQL).
void RegisterPermissionCacheMetrics(Registry& registry, const auth::PermissionResolver& resolver);

// Auth: the audit log's entries written, dropped, rejected and queued.
void RegisterAuditMetrics(Registry& registry, const AuditWriter& audit);

// Catalog: requests answered from its decision cache, asked of auth, refused.
void RegisterDecisionMetrics(Registry& registry, const catalog::RemoteAuthorizer& authorizer);

}  // namespace giia::server::metrics
