#include "e2e/support/catalog_server.hpp"

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <catch2/catch.hpp>
#include <thread>

#include "support/poll.hpp"

namespace giia::testing {
namespace {

httplib::Headers Headers(const std::string& token, const std::string& if_match) {
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  if (!if_match.empty()) h.emplace("If-Match", if_match);
  return h;
}

}  // namespace

CatalogServer::CatalogServer(AuthServer& auth, CatalogServerOptions options) {
  const std::string& auth_address = auth.grpc_address();
  const auto colon = auth_address.rfind(':');
  auth_proxy_ = std::make_unique<TcpProxy>(auth_address.substr(0, colon),
                                           std::stoi(auth_address.substr(colon + 1)));
  env_ = auth.env();
  env_.erase("TLS_CERT_FILE");
  env_.erase("TLS_KEY_FILE");
  env_.erase("TLS_CLIENT_CA_FILE");
  env_["AUTH_GRPC_ADDR"] = "127.0.0.1:" + std::to_string(auth_proxy_->port());
  env_["AUTH_GRPC_TIMEOUT"] = "5s";  // generous: the tests share 2 loaded cores
  env_["AUTH_GRPC_ATTEMPT_TIMEOUT"] = "2s";
  env_["PERMISSION_CACHE_TTL"] = options.permission_cache_ttl;
  for (const auto& [k, v] : options.extra_env) env_[k] = v;
  ProcessResult migrated = RunGiia({"migrate", "up", "--service", "catalog"}, env_);
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
  Served served = ServeOnFreePorts("catalog", env_, ReadyOverHttp);
  process_ = std::move(served.process);
  http_port_ = served.http_port;
  grpc_address_ = "127.0.0.1:" + std::to_string(served.grpc_port);
}

CatalogServer::~CatalogServer() {
  if (process_ && !stopped_) process_->End();
}

bool CatalogServer::WaitReady(std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", http_port_);
  client.set_connection_timeout(std::chrono::milliseconds(200));
  // A server that is starting: nothing to wait on but the port.
  return Eventually(
      [&] {
        auto res = client.Get("/health/ready");
        return res && res->status == 200;
      },
      timeout);
}

ProcessResult CatalogServer::Stop(int signal) {
  if (!stopped_) stopped_ = process_->Stop(signal);
  return *stopped_;
}

HttpReply CatalogServer::Get(const std::string& path, const std::string& token) {
  httplib::Client client("127.0.0.1", http_port_);
  return ToReply(client.Get(path, Headers(token, "")));
}

HttpReply CatalogServer::Post(const std::string& path, const nlohmann::json& body,
                              const std::string& token) {
  httplib::Client client("127.0.0.1", http_port_);
  return ToReply(client.Post(path, Headers(token, ""), body.dump(), "application/json"));
}

HttpReply CatalogServer::Put(const std::string& path, const nlohmann::json& body,
                             const std::string& token, const std::string& if_match) {
  httplib::Client client("127.0.0.1", http_port_);
  return ToReply(client.Put(path, Headers(token, if_match), body.dump(), "application/json"));
}

HttpReply CatalogServer::Delete(const std::string& path, const std::string& token,
                                const std::string& if_match) {
  httplib::Client client("127.0.0.1", http_port_);
  return ToReply(client.Delete(path, Headers(token, if_match)));
}

std::unique_ptr<giia::catalog::v1::CatalogService::Stub> CatalogServer::Stub() {
  return giia::catalog::v1::CatalogService::NewStub(
      grpc::CreateChannel(grpc_address_, grpc::InsecureChannelCredentials()));
}

}  // namespace giia::testing
