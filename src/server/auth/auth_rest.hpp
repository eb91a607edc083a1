#pragma once
// The REST face of the auth service (PRODUCT.md "REST"): the same use cases
// and the same permission matrix as gRPC, JSON in and out.

#include "core/auth/service.hpp"
#include "core/common/client_address.hpp"
#include "server/http/http_server.hpp"

namespace giia::server {

// References must outlive the server. Forwarding headers name the client
// only from `trusted_proxies` (TRUSTED_PROXIES).
void AddAuthRoutes(HttpServer& server, auth::AuthService& service,
                   const authz::AccessTokenCodec& tokens, const TrustedProxies& trusted_proxies);

}  // namespace giia::server
