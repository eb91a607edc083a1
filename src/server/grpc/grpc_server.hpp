#pragma once
// The gRPC side of a service: listening on GRPC_HOST:GRPC_PORT with
// SO_REUSEPORT off (so a port clash fails instead of silently splitting
// traffic), grpc.health.v1 always on (overall "" and per service), and server
// reflection when enabled. gRPC types stay in the .cpp.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace grpc {
class Service;
}

namespace giia::server {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;                          // 0: any free port (tests)
  bool reflection = true;                // ENABLE_GRPC_REFLECTION
  std::vector<grpc::Service*> services;  // not owned; must outlive the server
  std::string tls_cert_file;             // TLS when set (with tls_key_file)
  std::string tls_key_file;
  std::string tls_client_ca_file;  // client certificates required when set
};

class GrpcServer {
 public:
  explicit GrpcServer(GrpcServerOptions options);
  ~GrpcServer();  // shuts down at once

  // Builds and starts the server. Returns the bound port.
  // Errors: kUnavailable naming host:port when it cannot listen there.
  [[nodiscard]] Result<int> Start();

  // The health status of `service` ("" is the whole server).
  void SetServing(const std::string& service, bool serving);

  // Not-serving first, then stops accepting and waits up to `grace` for calls
  // in flight, then cancels what is left. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `giia health --grpc`: one grpc.health.v1 Check, as grpc_health_probe does.
enum class GrpcHealth { kServing, kNotServing, kUnreachable, kRpcFailed };
struct GrpcHealthResult {
  GrpcHealth state = GrpcHealth::kRpcFailed;
  std::string detail;  // the status text or the reason it failed
};
// grpc_health_probe's TLS flags: TLS when `enabled`; roots from ca_file
// (empty: the system's); a client certificate when cert_file and key_file are
// set; server_name overrides the name the certificate must carry.
struct GrpcProbeTls {
  bool enabled = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
};
GrpcHealthResult CheckGrpcHealth(const std::string& address, const std::string& service,
                                 std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds rpc_timeout,
                                 const GrpcProbeTls& tls = {});

}  // namespace giia::server
