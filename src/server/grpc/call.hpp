#pragma once
// The one chain every giia RPC runs through (the sync API's interceptor):
// request id (x-request-id in and out), deadline, the permission matrix
// (authentication + permission), the exception barrier, metrics
// (grpc_server_started_total, grpc_server_handled_total,
// grpc_server_handling_seconds) and one access log line. Include only from
// .cpp files that implement gRPC services.

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <string>

#include "core/auth/method_policy.hpp"
#include "server/metrics/registry.hpp"
#include "server/status_mapping.hpp"

namespace giia::server {

struct CallEnv {
  auth::RequestAuthorizer& authorizer;
  metrics::Registry& registry;
  spdlog::logger& log;
};

struct Call {
  auth::RequestInfo request;
  std::optional<auth::Caller> caller;  // set unless the method is public
  const auth::Caller& who() const { return *caller; }
};

grpc::Status ToGrpcStatus(const Error& error);
// Request id, peer address and user agent of `ctx`.
auth::RequestInfo RequestInfoOf(grpc::ServerContext& ctx);
// "/giia.auth.v1.AuthService/Login" -> ("giia.auth.v1.AuthService", "Login")
void RecordCall(metrics::Registry& registry, spdlog::logger& log, const std::string& method,
                const grpc::Status& status, std::chrono::steady_clock::time_point start,
                const std::string& request_id);
void RecordStart(metrics::Registry& registry, const std::string& method);

template <typename Fn>
grpc::Status Serve(CallEnv& env, grpc::ServerContext* ctx, const char* method, Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  RecordStart(env.registry, method);
  Call call;
  call.request = RequestInfoOf(*ctx);
  ctx->AddInitialMetadata("x-request-id", call.request.request_id);
  grpc::Status status;
  try {
    if (ctx->IsCancelled() || ctx->deadline() <= std::chrono::system_clock::now()) {
      status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded before start");
    } else {
      std::string authorization;
      auto it = ctx->client_metadata().find("authorization");
      if (it != ctx->client_metadata().end())
        authorization.assign(it->second.data(), it->second.size());
      auto caller =
          auth::Guard(env.authorizer, method, auth::BearerToken(authorization), call.request);
      if (!caller) {
        status = ToGrpcStatus(caller.error());
      } else {
        call.caller = std::move(*caller);
        status = fn(call);
      }
    }
  } catch (const std::exception& e) {
    env.log.error("grpc {}: unhandled exception: {} request_id={}", method, e.what(),
                  call.request.request_id);
    status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
  RecordCall(env.registry, env.log, method, status, start, call.request.request_id);
  return status;
}

}  // namespace giia::server
