#pragma once
// The catalog's PermissionOracle: BatchCheckPermissions on the auth service
// (AUTH_GRPC_ADDR) over one long-lived gRPC channel, presenting the caller's
// own access token and request id, with a deadline per call.

#include <chrono>
#include <memory>
#include <string>

#include "core/catalog/remote_authorizer.hpp"

namespace giia::server {

struct AuthClientOptions {
  std::string address;  // host:port of auth's gRPC server
  std::chrono::milliseconds timeout{2000};
  // TLS when ca_file is set (the roots that verify auth's certificate); the
  // client certificate (mTLS) when cert_file and key_file are set too.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class GrpcPermissionOracle final : public catalog::PermissionOracle {
 public:
  // Errors: kInvalidArgument naming the file that cannot be read.
  [[nodiscard]] static Result<std::unique_ptr<GrpcPermissionOracle>> Create(
      const AuthClientOptions& options);
  ~GrpcPermissionOracle() override;

  [[nodiscard]] Result<std::vector<auth::Decision>> Check(
      const auth::Caller& caller, const std::vector<std::string>& permissions,
      const auth::RequestInfo& req) override;

 private:
  struct Impl;
  explicit GrpcPermissionOracle(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace giia::server
