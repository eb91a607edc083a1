#pragma once
// NATS readiness, two ways: a fresh connection (the exec probe, `giia
// health`, has no connection of its own) and the serving process's live one
// (no connect per probe).

#include <string>

#include "adapters/nats/jetstream.hpp"
#include "core/health/readiness.hpp"

namespace giia::nats {

// Up when a connection to `url` answers within the timeout.
class NatsProbe final : public health::DependencyProbe {
 public:
  explicit NatsProbe(std::string url) : url_(std::move(url)) {}
  std::string name() const override { return "nats"; }
  bool critical() const override { return false; }
  Status Check(std::chrono::milliseconds timeout) override;

 private:
  std::string url_;
};

// Up while `js` is connected. Thread-safe; `js` must outlive the probe.
class LiveNatsProbe final : public health::DependencyProbe {
 public:
  explicit LiveNatsProbe(JetStream& js) : js_(js) {}
  std::string name() const override { return "nats"; }
  bool critical() const override { return false; }
  Status Check(std::chrono::milliseconds timeout) override;

 private:
  JetStream& js_;
};

}  // namespace giia::nats
