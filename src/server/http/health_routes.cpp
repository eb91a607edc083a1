#include "server/http/health_routes.hpp"

#include <nlohmann/json.hpp>

namespace giia::server {

void AddHealthRoutes(HttpServer& server, metrics::Registry& registry,
                     std::span<health::DependencyProbe* const> probes,
                     const std::atomic<bool>& draining, std::chrono::milliseconds timeout,
                     bool with_metrics) {
  server.Route("GET", "/health/live", [](const HttpRequest&) {
    return HttpResponse{200, R"({"status":"alive"})", "application/json"};
  });
  std::vector<health::DependencyProbe*> owned(probes.begin(), probes.end());
  server.Route("GET", "/health/ready", [owned, &draining, timeout](const HttpRequest&) {
    if (draining.load()) {
      return HttpResponse{503, R"({"status":"draining"})", "application/json"};
    }
    const health::Readiness r = health::CheckReadiness(owned, timeout);
    nlohmann::json body = {{"status", health::StateName(r.state)},
                           {"checks", nlohmann::json::object()}};
    for (const auto& c : r.checks) {
      nlohmann::json check = {{"status", c.up ? "up" : "down"},
                              {"critical", c.critical},
                              {"latency_ms", c.latency.count()}};
      if (!c.error.empty()) check["error"] = c.error;
      body["checks"][c.name] = check;
    }
    return HttpResponse{r.state == health::State::kNotReady ? 503 : 200,
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        "application/json"};
  });
  if (with_metrics) AddMetricsRoute(server, registry);
}

void AddMetricsRoute(HttpServer& server, metrics::Registry& registry) {
  server.Route("GET", "/metrics", [&registry](const HttpRequest&) {
    return HttpResponse{200, registry.Render(), "text/plain; version=0.0.4; charset=utf-8"};
  });
}

}  // namespace giia::server
