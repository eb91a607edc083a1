#include "server/catalog/auth_probe.hpp"

#include "server/grpc/grpc_server.hpp"

namespace giia::server {

Status AuthProbe::Check(std::chrono::milliseconds timeout) {
  std::string why;
  for (const std::string& address : addresses_) {
    auto r = CheckGrpcHealth(address, "giia.auth.v1.AuthService", timeout, timeout);
    if (r.state == GrpcHealth::kServing) return Ok();
    why += (why.empty() ? "" : "; ") + address + ": " + r.detail;
  }
  return MakeError(ErrorCode::kUnavailable, why);
}

}  // namespace giia::server
