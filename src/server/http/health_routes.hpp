#pragma once
// /health/live (200 while the process runs: it never looks at dependencies,
// so their outage cannot restart every pod), /health/ready (each dependency
// probed within the timeout; 503 when a critical one is down or the service
// is draining), and /metrics (Prometheus text).

#include <atomic>
#include <chrono>
#include <span>

#include "core/health/readiness.hpp"
#include "server/http/http_server.hpp"
#include "server/metrics/registry.hpp"

namespace giia::server {

// References (and the probes) must outlive the server.
void AddHealthRoutes(HttpServer& server, metrics::Registry& registry,
                     std::span<health::DependencyProbe* const> probes,
                     const std::atomic<bool>& draining,
                     std::chrono::milliseconds timeout = std::chrono::seconds(2),
                     bool with_metrics = true);

// /metrics alone (on METRICS_PORT, when set).
void AddMetricsRoute(HttpServer& server, metrics::Registry& registry);

}  // namespace giia::server
