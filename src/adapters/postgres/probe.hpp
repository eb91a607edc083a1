#pragma once
// PostgreSQL readiness: a fresh connection and SELECT 1, within the timeout.

#include "adapters/postgres/connection.hpp"
#include "core/health/readiness.hpp"

namespace giia::pg {

class PgProbe final : public health::DependencyProbe {
 public:
  explicit PgProbe(ConnectOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "postgres"; }
  bool critical() const override { return true; }
  Status Check(std::chrono::milliseconds timeout) override;

 private:
  ConnectOptions options_;
};

}  // namespace giia::pg
