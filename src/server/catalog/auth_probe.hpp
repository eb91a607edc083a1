#pragma once
// Readiness of the catalog's dependency on auth: one grpc.health Check per
// replica of AUTH_GRPC_ADDR, up while at least one says SERVING. Not
// critical: cached decisions keep serving while auth is away.

#include <string>
#include <vector>

#include "core/health/readiness.hpp"

namespace giia::server {

class AuthProbe final : public health::DependencyProbe {
 public:
  explicit AuthProbe(std::vector<std::string> addresses) : addresses_(std::move(addresses)) {}
  std::string name() const override { return "auth"; }
  bool critical() const override { return false; }
  Status Check(std::chrono::milliseconds timeout) override;

 private:
  std::vector<std::string> addresses_;
};

}  // namespace giia::server
