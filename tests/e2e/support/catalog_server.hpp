#pragma once
// `giia serve catalog` as a process beside an AuthServer: the same database
// (catalog schema migrated into it), the same nats-server and JWT secret,
// its own free ports, and AUTH_GRPC_ADDR pointing at the auth server through
// a TcpProxy the test may cut (auth "down" without stopping it).

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/support/auth_server.hpp"
#include "giia/catalog/v1/catalog.grpc.pb.h"
#include "support/tcp_proxy.hpp"

namespace giia::testing {

struct CatalogServerOptions {
  std::string permission_cache_ttl = "2s";
  ProcessEnv extra_env;
};

class CatalogServer {
 public:
  explicit CatalogServer(AuthServer& auth, CatalogServerOptions options = {});
  ~CatalogServer();

  TcpProxy& auth_proxy() { return *auth_proxy_; }
  const std::string& grpc_address() const { return grpc_address_; }
  int http_port() const { return http_port_; }
  const ProcessEnv& env() const { return env_; }

  // `if_match`: sent as an If-Match header when not empty.
  HttpReply Get(const std::string& path, const std::string& token);
  HttpReply Post(const std::string& path, const nlohmann::json& body, const std::string& token);
  HttpReply Put(const std::string& path, const nlohmann::json& body, const std::string& token,
                const std::string& if_match = "");
  HttpReply Delete(const std::string& path, const std::string& token,
                   const std::string& if_match = "");
  std::unique_ptr<giia::catalog::v1::CatalogService::Stub> Stub();

  ProcessResult Stop(int signal = 15);

 private:
  bool WaitReady(std::chrono::milliseconds timeout);

  std::unique_ptr<TcpProxy> auth_proxy_;
  ProcessEnv env_;
  int http_port_ = 0;
  std::string grpc_address_;
  std::unique_ptr<Process> process_;
  std::optional<ProcessResult> stopped_;
};

}  // namespace giia::testing
