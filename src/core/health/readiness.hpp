#pragma once
// Readiness: every dependency probed at once, each within a timeout, with its
// latency. PostgreSQL is critical; Redis and NATS are not (the services answer
// without them: permission checks fall back to PostgreSQL, events wait in the
// outbox), so their loss makes a service degraded, not unready.

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace giia::health {

class DependencyProbe {
 public:
  virtual ~DependencyProbe() = default;
  virtual std::string name() const = 0;  // "postgres", "redis", "nats"
  virtual bool critical() const = 0;
  // Errors: kUnavailable (or kDeadlineExceeded) with the reason.
  [[nodiscard]] virtual Status Check(std::chrono::milliseconds timeout) = 0;
};

struct CheckResult {
  std::string name;
  bool up = false;
  bool critical = false;
  std::chrono::milliseconds latency{0};
  std::string error;  // why it is down, credentials redacted; not for the /health/ready body
};

enum class State { kReady, kDegraded, kNotReady };
const char* StateName(State state);

struct Readiness {
  State state = State::kReady;
  std::vector<CheckResult> checks;
};

// Runs every probe concurrently; returns when all have answered or timed out.
// REQUIRES: the probes are safe to call from another thread.
Readiness CheckReadiness(std::span<DependencyProbe* const> probes,
                         std::chrono::milliseconds timeout);

}  // namespace giia::health
