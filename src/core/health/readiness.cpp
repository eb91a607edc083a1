#include "core/health/readiness.hpp"

#include <future>

#include "core/common/redact.hpp"

namespace giia::health {

const char* StateName(State state) {
  switch (state) {
    case State::kReady: return "ready";
    case State::kDegraded: return "degraded";
    case State::kNotReady: return "not_ready";
  }
  return "not_ready";
}

Readiness CheckReadiness(std::span<DependencyProbe* const> probes,
                         std::chrono::milliseconds timeout) {
  std::vector<std::future<CheckResult>> pending;
  for (DependencyProbe* probe : probes) {
    pending.push_back(std::async(std::launch::async, [probe, timeout] {
      CheckResult r{probe->name(), false, probe->critical(), {}, ""};
      const auto start = std::chrono::steady_clock::now();
      Status s = probe->Check(timeout);
      r.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      r.up = s.has_value();
      if (!s) r.error = RedactCredentials(s.error().message);
      return r;
    }));
  }
  Readiness out;
  for (auto& f : pending) {
    CheckResult r = f.get();
    if (!r.up) {
      out.state = r.critical ? State::kNotReady
                             : (out.state == State::kNotReady ? out.state : State::kDegraded);
    }
    out.checks.push_back(std::move(r));
  }
  return out;
}

}  // namespace giia::health
