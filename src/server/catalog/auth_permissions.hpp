#pragma once
// The catalog's PermissionOracle: BatchCheckPermissions on the auth service,
// presenting the caller's own access token and request id.
//
// AUTH_GRPC_ADDR names one or more auth replicas (host:port, a DNS name may
// stand for several pods). Each entry has a long-lived channel that watches
// auth's grpc.health.v1 status, so a replica that says NOT_SERVING (it is
// draining) or cannot be reached gets no calls, and a circuit breaker, so a
// replica that stops answering (hung, overloaded) is skipped after a few
// failures instead of costing every caller its deadline. A call that fails
// for availability (UNAVAILABLE, an attempt's deadline) is retried on the
// next replica, with jittered exponential backoff, within the call's
// deadline: BatchCheckPermissions changes nothing, so a retry is safe.
// When no replica can be asked the call fails at once with UNAVAILABLE.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/catalog/remote_authorizer.hpp"
#include "core/common/circuit_breaker.hpp"

namespace giia::server {

namespace metrics {
class Registry;
}

struct AuthClientOptions {
  std::vector<std::string> addresses;              // host:port of each auth replica (or DNS name)
  std::chrono::milliseconds timeout{2000};         // one Check, retries included
  std::chrono::milliseconds attempt_timeout{500};  // one attempt on one replica
  int max_attempts = 3;
  CircuitBreaker::Options breaker;
  // TLS when ca_file is set (the roots that verify auth's certificate); the
  // client certificate (mTLS) when cert_file and key_file are set too.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// "host:port" or a comma-separated list of them (spaces around entries are
// dropped). Errors: kInvalidArgument whose message names the entry by
// its position in a list.
[[nodiscard]] Result<std::vector<std::string>> ParseAuthAddresses(const std::string& text);

class GrpcPermissionOracle final : public catalog::PermissionOracle {
 public:
  // Errors: kInvalidArgument naming the file that cannot be read.
  [[nodiscard]] static Result<std::unique_ptr<GrpcPermissionOracle>> Create(
      const AuthClientOptions& options);
  ~GrpcPermissionOracle() override;

  // Thread-safe. Errors: kUnauthenticated when auth refuses the token;
  // kUnavailable when no replica answered within the deadline, or none
  // could be asked (every one down, draining or its breaker open);
  // kInternal when auth refused the request itself.
  [[nodiscard]] Result<std::vector<authz::Decision>> Check(
      const authz::Caller& caller, const std::vector<std::string>& permissions,
      const authz::RequestInfo& req) override;

  // giia_auth_client_* series: per replica attempts, failures, breaker
  // state and openings; retries and calls refused because no replica could
  // be asked. Read at scrape time: this oracle must outlive the registry's
  // last Render().
  void ExportMetrics(metrics::Registry& registry);

 private:
  struct Impl;
  explicit GrpcPermissionOracle(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace giia::server
