#include "server/catalog/auth_permissions.hpp"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <sstream>

#include "giia/auth/v1/auth.grpc.pb.h"

namespace giia::server {
namespace {

namespace pb = ::giia::auth::v1;

Result<std::string> ReadFile(const std::string& path, const char* key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(key, std::string(key) + ": cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

struct GrpcPermissionOracle::Impl {
  AuthClientOptions options;
  std::unique_ptr<pb::AuthService::Stub> stub;
};

GrpcPermissionOracle::GrpcPermissionOracle(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcPermissionOracle::~GrpcPermissionOracle() = default;

Result<std::unique_ptr<GrpcPermissionOracle>> GrpcPermissionOracle::Create(
    const AuthClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto roots = ReadFile(options.ca_file, "AUTH_GRPC_CA_FILE");
    if (!roots) return tl::unexpected(roots.error());
    ssl.pem_root_certs = std::move(*roots);
    if (!options.cert_file.empty() && !options.key_file.empty()) {
      auto cert = ReadFile(options.cert_file, "TLS_CERT_FILE");
      if (!cert) return tl::unexpected(cert.error());
      auto key = ReadFile(options.key_file, "TLS_KEY_FILE");
      if (!key) return tl::unexpected(key.error());
      ssl.pem_cert_chain = std::move(*cert);
      ssl.pem_private_key = std::move(*key);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  grpc::ChannelArguments args;
  // Reconnect quickly once auth is back (the default backoff grows to 120 s).
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  // Spread the checks over every address the name resolves to (a headless
  // Service lists each auth pod), instead of pinning one connection.
  args.SetLoadBalancingPolicyName("round_robin");
  impl->stub =
      pb::AuthService::NewStub(grpc::CreateCustomChannel(options.address, credentials, args));
  return std::unique_ptr<GrpcPermissionOracle>(new GrpcPermissionOracle(std::move(impl)));
}

Result<std::vector<auth::Decision>> GrpcPermissionOracle::Check(
    const auth::Caller& caller, const std::vector<std::string>& permissions,
    const auth::RequestInfo& req) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + impl_->options.timeout);
  ctx.AddMetadata("authorization", "Bearer " + caller.access_token);
  if (!req.request_id.empty()) ctx.AddMetadata("x-request-id", req.request_id);
  pb::BatchCheckPermissionsRequest request;
  for (const std::string& p : permissions) request.add_permissions(p);
  pb::BatchCheckPermissionsResponse response;
  const grpc::Status status = impl_->stub->BatchCheckPermissions(&ctx, request, &response);
  if (!status.ok()) {
    const std::string why = "auth at " + impl_->options.address + ": " + status.error_message();
    switch (status.error_code()) {
      case grpc::StatusCode::UNAUTHENTICATED:
        return MakeError(ErrorCode::kUnauthenticated, status.error_message());
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::PERMISSION_DENIED:
      case grpc::StatusCode::UNIMPLEMENTED: return MakeError(ErrorCode::kInternal, why);
      default: return MakeError(ErrorCode::kUnavailable, why);
    }
  }
  std::vector<auth::Decision> out;
  out.reserve(static_cast<std::size_t>(response.results_size()));
  for (const auto& d : response.results()) out.push_back({d.permission(), d.allowed(), d.reason()});
  return out;
}

}  // namespace giia::server
