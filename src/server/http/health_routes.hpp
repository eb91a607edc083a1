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

// References (and the probes) must outlive the server. The /health/ready
// body names each dependency with its state and latency, never why it is
// down (the reason names its address, which may carry credentials): with
// `log`, a check that goes down is logged once with its reason (credentials
// redacted), and once when it is up again.
void AddHealthRoutes(HttpServer& server, metrics::Registry& registry,
                     std::span<health::DependencyProbe* const> probes,
                     const std::atomic<bool>& draining,
                     std::chrono::milliseconds timeout = std::chrono::seconds(2),
                     bool with_metrics = true, spdlog::logger* log = nullptr);

// /metrics alone (on METRICS_PORT, when set).
void AddMetricsRoute(HttpServer& server, metrics::Registry& registry);

}  // namespace giia::server
