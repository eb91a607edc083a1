#include "server/http/health_routes.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace giia::server {

void AddHealthRoutes(HttpServer& server, metrics::Registry& registry,
                     std::span<health::DependencyProbe* const> probes,
                     const std::atomic<bool>& draining, std::chrono::milliseconds timeout,
                     bool with_metrics, spdlog::logger* log) {
  server.Route("GET", "/health/live", [](const HttpRequest&) {
    return HttpResponse{200, R"({"status":"alive"})", "application/json"};
  });
  std::vector<health::DependencyProbe*> owned(probes.begin(), probes.end());
  // Per check, the reason logged when it went down ("" while up): logged
  // on each change of state only. Shared by concurrent probes.
  struct Seen {
    std::mutex mu;
    std::map<std::string, std::string> down;  // guarded by mu
  };
  auto seen = std::make_shared<Seen>();
  server.Route("GET", "/health/ready", [owned, &draining, timeout, log, seen](const HttpRequest&) {
    if (draining.load()) {
      return HttpResponse{503, R"({"status":"draining"})", "application/json"};
    }
    const health::Readiness r = health::CheckReadiness(owned, timeout);
    nlohmann::json body = {{"status", health::StateName(r.state)},
                           {"checks", nlohmann::json::object()}};
    if (log != nullptr) {
      std::lock_guard lock(seen->mu);
      for (const auto& c : r.checks) {
        std::string& last = seen->down[c.name];
        if (!c.up && last.empty()) {
          log->warn("readiness: {} is down: {}", c.name, c.error);  // error is redacted
          last = c.error.empty() ? "down" : c.error;
        } else if (c.up && !last.empty()) {
          log->info("readiness: {} is up again", c.name);
          last.clear();
        }
      }
    }
    for (const auto& c : r.checks) {
      // The dependency, its state and latency; never why it is down: the
      // reason names its address, and a URL may carry credentials. The
      // reason goes to `giia health` and the log instead.
      body["checks"][c.name] = {{"status", c.up ? "up" : "down"},
                                {"critical", c.critical},
                                {"latency_ms", c.latency.count()}};
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
