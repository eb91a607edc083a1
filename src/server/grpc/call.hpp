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
// gRPC's callback threads must not wait, so a call starts there with what
// needs only memory: the request id, the deadline, and the permission matrix
// as far as memory answers it (authz::Guard; a refused token never costs a
// handler thread). What waits (a permission not in memory, a handler that
// reads PostgreSQL) goes on, from where it stopped, on a HandlerPool of ours.
// A handler that returns an Attempt answers from memory when it can
// (ValidateToken, a cached permission check) and is posted only for its rest.

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

#include "core/authz/guard.hpp"
#include "core/common/attempt.hpp"
#include "core/common/client_address.hpp"
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
  const authz::AccessMatrix& access;  // the service's permission matrix
  authz::RequestAuthorizer& authorizer;
  metrics::Registry& registry;
  spdlog::logger& log;
  HandlerPool& pool;
  // Whose x-forwarded-for / forwarded metadata names the client (TRUSTED_PROXIES).
  const TrustedProxies& trusted_proxies;
  MethodSeriesCache series{};
};

struct Call {
  authz::RequestInfo request;
  std::optional<authz::Caller> caller;  // set unless the method is public
  const authz::Caller& who() const { return *caller; }
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
// Reply() once the attempt's answer is there. `fill` may run later, on
// another thread: it holds copies (the response pointer), never references
// to the handler's locals.
template <typename T, typename Fill>
Attempt<grpc::Status> Reply(Attempt<Result<T>> r, Fill fill) {
  return std::move(r).Then([fill](const Result<T>& answer) { return Reply(answer, fill); });
}
// A point in time as a google.protobuf.Timestamp (microseconds).
void SetTime(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point t);
// Request id, client address and user agent of `ctx`. The client address is
// the peer's, or from x-forwarded-for / forwarded metadata when the peer is
// in `trusted_proxies` (ClientAddress).
authz::RequestInfo RequestInfoOf(grpc::ServerContextBase& ctx,
                                 const TrustedProxies& trusted_proxies);
// Counts the call as handled with its code, observes its latency, and writes
// the access log line.
void RecordCall(MethodSeries& series, spdlog::logger& log, const char* method,
                const grpc::Status& status, std::chrono::steady_clock::time_point start,
                const std::string& request_id);

// The deadline and the permission matrix for `method` (its use case is the
// name after the last '/'), without waiting: a refusal, the caller (nullopt
// for a public method), or the rest of the check.
Attempt<Result<std::optional<authz::Caller>>> Admission(CallEnv& env, grpc::ServerContextBase& ctx,
                                                        const char* method,
                                                        const authz::RequestInfo& request);

// What the exception barrier answers: INTERNAL, as a status or as an error.
template <typename R>
R InternalFailure() {
  if constexpr (std::is_constructible_v<R, grpc::Status>) {
    return R(grpc::Status(grpc::StatusCode::INTERNAL, "internal error"));
  } else {
    return R(MakeError(ErrorCode::kInternal, "internal error"));
  }
}

// `step()` behind the exception barrier: a std::exception is logged and
// answered INTERNAL.
template <typename Step>
auto Protected(CallEnv& env, const char* method, const Call& call, Step&& step)
    -> decltype(step()) {
  try {
    return step();
  } catch (const std::exception& e) {
    env.log.error("grpc {}: unhandled exception: {} request_id={}", method, e.what(),
                  call.request.request_id);
    return InternalFailure<decltype(step())>();
  }
}

inline grpc::Status Finished(grpc::Status status) { return status; }
inline grpc::Status Finished(Attempt<grpc::Status> answer) { return std::move(answer).Finish(); }

// A callback-API unary method: request id, admission, `fn`, metrics and the
// access log; `ctx`, the request and the response stay valid until the
// reactor finishes. `fn(const Call&)` returns a grpc::Status, and then runs
// on env.pool (it may wait), or an Attempt<grpc::Status>, and then starts on
// gRPC's thread and only its rest, if any, goes to the pool; asynchronous
// work finishes the call from the thread its I/O completes on.
template <typename Fn>
grpc::ServerUnaryReactor* ServeAsync(CallEnv& env, grpc::CallbackServerContext* ctx,
                                     const char* method, Fn fn) {
  using Answer = std::invoke_result_t<Fn&, const Call&>;
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
  auto admission =
      Protected(env, method, call, [&] { return Admission(env, *ctx, method, call.request); });
  if (!admission.answered()) {
    env.pool.Post([&env, method, finish, admission = std::move(admission), call = std::move(call),
                   fn = std::move(fn)]() mutable {
      auto caller = Protected(env, method, call, [&] { return std::move(admission).Finish(); });
      if (!caller) return finish(ToGrpcStatus(caller.error()), call.request.request_id);
      call.caller = std::move(*caller);
      finish(Protected(env, method, call, [&] { return Finished(fn(call)); }),
             call.request.request_id);
    });
    return reactor;
  }
  auto caller = std::move(admission).Finish();
  if (!caller) {
    finish(ToGrpcStatus(caller.error()), call.request.request_id);
    return reactor;
  }
  call.caller = std::move(*caller);
  if constexpr (std::is_same_v<Answer, grpc::Status>) {
    env.pool.Post([&env, method, finish, call = std::move(call), fn = std::move(fn)]() {
      finish(Protected(env, method, call, [&] { return fn(call); }), call.request.request_id);
    });
  } else {
    Attempt<grpc::Status> answer = Protected(env, method, call, [&] { return fn(call); });
    if (answer.answered()) {
      finish(std::move(answer).Finish(), call.request.request_id);
      return reactor;
    }
    // Finished where its work ends: the thread its I/O completes on (the
    // PostgreSQL reactor), or a pool thread for a rest. A step that throws
    // there unwinds without delivering: the call is then finished INTERNAL
    // when the last copy of `once` goes.
    struct Once {
      std::function<void(const grpc::Status&)> finish;
      ~Once() {
        if (finish) finish(InternalFailure<grpc::Status>());
      }
    };
    auto once = std::make_shared<Once>();
    once->finish = [finish, request_id = call.request.request_id](const grpc::Status& status) {
      finish(status, request_id);
    };
    auto post = [&env, method, request_id = call.request.request_id](std::function<void()> job) {
      env.pool.Post([&env, method, request_id, job = std::move(job)] {
        try {
          job();
        } catch (const std::exception& e) {
          env.log.error("grpc {}: unhandled exception: {} request_id={}", method, e.what(),
                        request_id);
        }
      });
    };
    std::move(answer).Into(
        [once](grpc::Status status) {
          auto finish_once = std::move(once->finish);
          once->finish = nullptr;
          finish_once(status);
        },
        post);
  }
  return reactor;
}

}  // namespace giia::server
