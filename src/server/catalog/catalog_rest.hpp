#pragma once
// The REST face of the catalog service (PRODUCT.md "REST"): the same use
// cases and the same permission matrix as gRPC (each route runs the row of
// the RPC with the same use case), JSON in and out with the proto's field
// names.

#include "core/catalog/service.hpp"
#include "server/http/http_server.hpp"

namespace giia::server {

// `authorizer` authenticates callers and answers the permission matrix.
// References must outlive the server.
void AddCatalogRoutes(HttpServer& server, catalog::CatalogService& service,
                      auth::RequestAuthorizer& authorizer);

}  // namespace giia::server
