#pragma once
// The REST face of the auth service (PRODUCT.md "REST"): the same use cases
// and the same permission matrix as gRPC, JSON in and out.

#include "core/auth/service.hpp"
#include "server/http/http_server.hpp"

namespace giia::server {

// References must outlive the server.
void AddAuthRoutes(HttpServer& server, auth::AuthService& service,
                   const auth::AccessTokenCodec& tokens);

}  // namespace giia::server
