#pragma once
// giia.catalog.v1.CatalogService over gRPC: each RPC converts its message,
// runs the one chain (server/grpc/call.hpp) and the use case, and converts
// back.

#include <memory>

#include "core/authz/authorizer.hpp"
#include "core/catalog/service.hpp"
#include "core/common/client_address.hpp"
#include "server/metrics/registry.hpp"

namespace grpc {
class Service;
}
namespace spdlog {
class logger;
}

namespace giia::server {

// `authorizer` authenticates callers and answers the permission matrix.
// References must outlive the service.
std::unique_ptr<grpc::Service> MakeCatalogGrpcService(catalog::CatalogService& service,
                                                      authz::RequestAuthorizer& authorizer,
                                                      metrics::Registry& registry,
                                                      spdlog::logger& log,
                                                      const TrustedProxies& trusted_proxies);

}  // namespace giia::server
