#pragma once
// The one chain every giia RPC runs through: request id (x-request-id in and
// out), deadline, the permission matrix (authentication + permission), the
// exception barrier, metrics (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_handling_seconds) and one access log
// line. Include only from .cpp files that implement gRPC services.
//
// Services use gRPC's callback API: a call is taken (matched) the moment it
// arrives, so a graceful Shutdown lets every call that reached the server
// finish, instead of cancelling calls that waited for a free sync thread.
// The handlers block (PostgreSQL, Redis, auth), so they run on a HandlerPool
// of ours rather than on gRPC's callback threads, except for the answers that
// need nothing but memory (Dispatch::kMemoryFirst).

#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/auth/method_policy.hpp"
#include "core/common/client_address.hpp"
#include "core/common/would_block.hpp"
#include "server/metrics/registry.hpp"
#include "server/status_mapping.hpp"

namespace giia::server {

// Threads that run RPC handlers, in arrival order. The destructor runs what
// is queued, then joins: destroy it after the server has shut down.
class HandlerPool {
 public:
  explicit HandlerPool(int threads);
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;
  void Post(std::function<void()> task);

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

// Handler threads for one service: enough to keep its database pool busy
// while some handlers wait on argon2id or on auth.
int DefaultHandlerThreads();

// The metric series of one method (grpc_server_started_total,
// grpc_server_handled_total by code, grpc_server_handling_seconds), looked
// up in the registry once: a registry lookup takes its one mutex and builds
// label strings, which every call paid three times.
class MethodSeries {
 public:
  MethodSeries(metrics::Registry& registry, const char* method);
  metrics::Counter& Started() { return started_; }
  metrics::Histogram& Seconds() { return seconds_; }
  metrics::Counter& Handled(grpc::StatusCode code);

 private:
  metrics::Registry& registry_;
  std::string service_, name_;  // "giia.auth.v1.AuthService", "Login"
  metrics::Counter& started_;
  metrics::Histogram& seconds_;
  std::array<std::atomic<metrics::Counter*>, 17> handled_{};  // by code, on first use
};

// A service's MethodSeries, by the method's name literal. Thread-safe.
class MethodSeriesCache {
 public:
  MethodSeries& For(metrics::Registry& registry, const char* method);

 private:
  std::shared_mutex mu_;
  std::unordered_map<const char*, std::unique_ptr<MethodSeries>> series_;  // guarded by mu_
};

struct CallEnv {
  auth::RequestAuthorizer& authorizer;
  metrics::Registry& registry;
  spdlog::logger& log;
  HandlerPool& pool;
  // Whose x-forwarded-for / forwarded metadata names the client (TRUSTED_PROXIES).
  const TrustedProxies& trusted_proxies;
  MethodSeriesCache series{};
};

struct Call {
  auth::RequestInfo request;
  std::optional<auth::Caller> caller;  // set unless the method is public
  const auth::Caller& who() const { return *caller; }
};

grpc::Status ToGrpcStatus(const Error& error);
// The result of a use case as a status, filling the response on success.
template <typename T, typename Fill>
grpc::Status Reply(const Result<T>& r, Fill&& fill) {
  if (!r) return ToGrpcStatus(r.error());
  fill(*r);
  return grpc::Status::OK;
}
grpc::Status Reply(const giia::Status& r);
// A point in time as a google.protobuf.Timestamp (microseconds).
void SetTime(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point t);
// Request id, client address and user agent of `ctx`. The client address is
// the peer's, or from x-forwarded-for / forwarded metadata when the peer is
// in `trusted_proxies` (ClientAddress).
auth::RequestInfo RequestInfoOf(grpc::ServerContextBase& ctx,
                                const TrustedProxies& trusted_proxies);
// Counts the call as handled with its code, observes its latency, and writes
// the access log line.
void RecordCall(MethodSeries& series, spdlog::logger& log, const char* method,
                const grpc::Status& status, std::chrono::steady_clock::time_point start,
                const std::string& request_id);

// The chain after the request id: deadline, the permission matrix, `fn`, and
// the exception barrier. WouldBlock (not a std::exception) passes through.
template <typename Fn>
grpc::Status RunChain(CallEnv& env, grpc::ServerContextBase* ctx, const char* method, Call& call,
                      Fn& fn) {
  try {
    if (ctx->IsCancelled() || ctx->deadline() <= std::chrono::system_clock::now()) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded before start");
    }
    std::string authorization;
    auto it = ctx->client_metadata().find("authorization");
    if (it != ctx->client_metadata().end())
      authorization.assign(it->second.data(), it->second.size());
    auto caller =
        auth::Guard(env.authorizer, method, auth::BearerToken(authorization), call.request);
    if (!caller) return ToGrpcStatus(caller.error());
    call.caller = std::move(*caller);
    return fn(call);
  } catch (const std::exception& e) {
    env.log.error("grpc {}: unhandled exception: {} request_id={}", method, e.what(),
                  call.request.request_id);
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

// How a method's calls are run.
enum class Dispatch {
  // On env.pool: the handler may wait (PostgreSQL, Redis, auth, argon2id).
  kPool,
  // First on gRPC's own thread under a MemoryOnlyScope, which answers at once
  // when everything is in memory (a verified token, a cached permission: a
  // hop to the pool and back cost more than the answer); on a WouldBlock
  // (core/common/would_block.hpp), again on env.pool. Only for methods that
  // change nothing before their first wait.
  kMemoryFirst,
};

// A callback-API unary method: request id, the chain and `fn`, metrics and
// the access log; `ctx`, the request and the response stay valid until the
// reactor finishes.
template <typename Fn>
grpc::ServerUnaryReactor* ServeAsync(CallEnv& env, grpc::CallbackServerContext* ctx,
                                     const char* method, Fn fn,
                                     Dispatch dispatch = Dispatch::kPool) {
  const auto start = std::chrono::steady_clock::now();
  MethodSeries& series = env.series.For(env.registry, method);
  series.Started().Inc();
  Call call;
  call.request = RequestInfoOf(*ctx, env.trusted_proxies);
  ctx->AddInitialMetadata("x-request-id", call.request.request_id);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [&env, &series, reactor, method, start](const grpc::Status& status,
                                                        const std::string& request_id) {
    RecordCall(series, env.log, method, status, start, request_id);
    reactor->Finish(status);
  };
  if (dispatch == Dispatch::kMemoryFirst) {
    std::optional<grpc::Status> answered;
    try {
      MemoryOnlyScope memory_only;
      answered = RunChain(env, ctx, method, call, fn);
    } catch (const WouldBlock&) {
      call.caller.reset();  // the pool runs the whole chain again
    }
    if (answered) {
      finish(*answered, call.request.request_id);
      return reactor;
    }
  }
  env.pool.Post([&env, ctx, method, finish, call = std::move(call), fn = std::move(fn)]() mutable {
    finish(RunChain(env, ctx, method, call, fn), call.request.request_id);
  });
  return reactor;
}

}  // namespace giia::server
