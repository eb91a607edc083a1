#pragma once
// The one place that owns the order in which services start and stop, for
// `serve auth`, `serve catalog` and `serve all` alike.
//
// Start: in the order given, a service's dependencies first (auth before the
// catalog that calls it); each starts its workers, then its network. A
// service that fails to start stops the start-up: it and the ones before it
// are stopped, in reverse, as at shutdown (Stop copes with what never ran).
//
// Stop: in reverse order, phase by phase across all services, so that the
// catalog drains before the auth it calls stops answering:
//   1. every service turns not ready and NOT_SERVING (load balancers move away);
//   2. every service stops accepting; calls in flight get until the deadline;
//   3. every service stops its workers (relay, consumers, audit flush).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace giia::cli {

// What the lifecycle drives: one running service.
class Service {
 public:
  virtual ~Service() = default;
  virtual const std::string& name() const = 0;
  // Workers, then the network.
  [[nodiscard]] virtual Status Start() = 0;
  // Not ready and NOT_SERVING, while still answering.
  virtual void BeginDrain() = 0;
  // Stops accepting; calls in flight get until `deadline`.
  virtual void StopAccepting(std::chrono::steady_clock::time_point deadline) = 0;
  // Background work ends; what must be flushed is, within `deadline`.
  // Each of these three copes with a Start that failed half-way.
  virtual void StopWorkers(std::chrono::steady_clock::time_point deadline) = 0;
};

class Lifecycle {
 public:
  // `services` in start order. Not thread-safe: one thread starts and stops.
  explicit Lifecycle(std::vector<std::unique_ptr<Service>> services);
  // Stops what is still running (no grace), then destroys in reverse order.
  ~Lifecycle();
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  // Starts every service, or none: on the first error, the services started
  // (and the one that failed) are stopped within `timeout`; the error is
  // returned.
  [[nodiscard]] Status Start(std::chrono::milliseconds timeout);
  // Stops the started services within `timeout` (phases above). Idempotent.
  void Stop(std::chrono::milliseconds timeout);

 private:
  std::vector<std::unique_ptr<Service>> services_;
  std::size_t started_ = 0;  // services_[0, started_) were started
};

}  // namespace giia::cli
