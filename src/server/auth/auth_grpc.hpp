#pragma once
// giia.auth.v1.AuthService over gRPC: each RPC converts its message, runs the
// one chain (server/grpc/call.hpp) and the use case, and converts back.

#include <memory>

#include "core/auth/service.hpp"
#include "core/common/client_address.hpp"
#include "server/metrics/registry.hpp"

namespace grpc {
class Service;
}
namespace spdlog {
class logger;
}

namespace giia::server {

// References must outlive the service.
std::unique_ptr<grpc::Service> MakeAuthGrpcService(auth::AuthService& service,
                                                   metrics::Registry& registry, spdlog::logger& log,
                                                   const TrustedProxies& trusted_proxies);

}  // namespace giia::server
