#include "server/grpc/grpc_server.hpp"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/grpc/health_service.hpp"

namespace giia::server {

namespace {

Result<std::string> ReadFile(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  if (!in || !(buf << in.rdbuf())) {
    return MakeError(ErrorCode::kInvalidArgument, key + ": cannot read " + path, key);
  }
  return buf.str();
}

Result<std::shared_ptr<grpc::ServerCredentials>> Credentials(const GrpcServerOptions& o) {
  if (o.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadFile(o.tls_cert_file, "TLS_CERT_FILE");
  if (!cert) return tl::unexpected(cert.error());
  auto key = ReadFile(o.tls_key_file, "TLS_KEY_FILE");
  if (!key) return tl::unexpected(key.error());
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.tls_client_ca_file.empty()) {
    auto ca = ReadFile(o.tls_client_ca_file, "TLS_CLIENT_CA_FILE");
    if (!ca) return tl::unexpected(ca.error());
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Linking grpc++_reflection registers its plugin at start-up, whether or not
// InitProtoReflectionServerBuilderPlugin() is called: ENABLE_GRPC_REFLECTION
// =false must take it out of the builder.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return p->name() == "proto_server_reflection";
    });
  }
};

}  // namespace

struct GrpcServer::Impl {
  GrpcServerOptions options;
  HealthService health;  // declared before `server`: outlives it
  std::unique_ptr<grpc::Server> server;
};

GrpcServer::GrpcServer(GrpcServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

Result<int> GrpcServer::Start() {
  // Ours (health_service.hpp) instead of gRPC's, which holds shutdown.
  grpc::EnableDefaultHealthCheckService(false);
  if (impl_->options.reflection) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC turns SO_REUSEPORT on by default: a second server on a taken port
  // would "start" and the kernel would split connections between the two.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Clients may ping every 5 s to notice a hung peer (the catalog's auth
  // client pings every 10 s); by default a ping more often than every 5 min
  // on a connection that sends no data is answered with GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (!impl_->options.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  int port = 0;
  const std::string address = impl_->options.host + ":" + std::to_string(impl_->options.port);
  auto credentials = Credentials(impl_->options);
  if (!credentials) return tl::unexpected(credentials.error());
  builder.AddListeningPort(address, *credentials, &port);
  builder.RegisterService(&impl_->health);
  for (grpc::Service* service : impl_->options.services) builder.RegisterService(service);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || port == 0) {
    impl_->server.reset();
    return MakeError(ErrorCode::kUnavailable,
                     "cannot listen on " + address + " (GRPC_PORT): taken or not allowed");
  }
  return port;
}

void GrpcServer::SetServing(const std::string& service, bool serving) {
  impl_->health.SetServing(service, serving);
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  if (!impl_ || !impl_->server) return;
  impl_->health.Shutdown();  // ends the Watch streams, which would hold the grace
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
  impl_->server.reset();
}

GrpcHealthResult CheckGrpcHealth(const std::string& address, const std::string& service,
                                 std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds rpc_timeout, const GrpcProbeTls& tls) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  if (tls.enabled) {
    grpc::SslCredentialsOptions ssl;
    for (auto [path, into] : {std::pair{&tls.ca_file, &ssl.pem_root_certs},
                              std::pair{&tls.cert_file, &ssl.pem_cert_chain},
                              std::pair{&tls.key_file, &ssl.pem_private_key}}) {
      if (path->empty()) continue;
      std::ifstream in(*path, std::ios::binary);
      if (!in) return {GrpcHealth::kRpcFailed, "cannot read " + *path};
      into->assign(std::istreambuf_iterator<char>(in), {});
    }
    credentials = grpc::SslCredentials(ssl);
    if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  }
  auto channel = grpc::CreateCustomChannel(address, credentials, args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + connect_timeout)) {
    return {GrpcHealth::kUnreachable, "cannot connect to " + address + " within " +
                                          std::to_string(connect_timeout.count()) + " ms"};
  }
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + rpc_timeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return {GrpcHealth::kRpcFailed, address + " does not implement the grpc.health.v1 protocol"};
    }
    return {GrpcHealth::kRpcFailed, "health check failed: " + status.error_message() + " (code " +
                                        std::to_string(status.error_code()) + ")"};
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return {GrpcHealth::kNotServing,
            grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())};
  }
  return {GrpcHealth::kServing, "SERVING"};
}

}  // namespace giia::server
