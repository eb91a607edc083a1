#pragma once
// The REST face of the catalog service (PRODUCT.md "REST"): the same use
// cases and the same permission matrix as gRPC (each route runs the row of
// the RPC with the same use case), JSON in and out with the proto's field
// names.

#include "core/authz/authorizer.hpp"
#include "core/catalog/service.hpp"
#include "core/common/client_address.hpp"
#include "server/http/http_server.hpp"

namespace giia::server {

// `authorizer` authenticates callers and answers the permission matrix.
// References must outlive the server.
// Forwarding headers name the client only from `trusted_proxies`
// (TRUSTED_PROXIES). References must outlive the server.
void AddCatalogRoutes(HttpServer& server, catalog::CatalogService& service,
                      authz::RequestAuthorizer& authorizer, const TrustedProxies& trusted_proxies);

}  // namespace giia::server
