#include "server/grpc/call.hpp"

#include "server/request_id.hpp"

namespace giia::server {
namespace {

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

std::pair<std::string, std::string> Split(const std::string& method) {
  const std::size_t slash = method.rfind('/');
  if (slash == std::string::npos || slash == 0) return {"", method};
  return {method.substr(1, slash - 1), method.substr(slash + 1)};
}

}  // namespace

HandlerPool::HandlerPool(int threads) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        std::function<void()> task;
        {
          std::unique_lock lock(mu_);
          wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
          if (tasks_.empty()) return;  // stopping, and nothing left to run
          task = std::move(tasks_.front());
          tasks_.pop_front();
        }
        task();
      }
    });
  }
}

HandlerPool::~HandlerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void HandlerPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

int DefaultHandlerThreads() {
  return std::max(16, 8 * static_cast<int>(std::thread::hardware_concurrency()));
}

grpc::Status ToGrpcStatus(const Error& error) {
  const auto code = static_cast<grpc::StatusCode>(GrpcCodeFor(error.code));
  // The field is named in the message. (The details slot is reserved for an
  // encoded google.rpc.Status: clients such as buf curl refuse anything else.)
  if (error.field.empty() || error.message.starts_with(error.field)) {
    return grpc::Status(code, error.message);
  }
  return grpc::Status(code, error.field + ": " + error.message);
}

grpc::Status Reply(const giia::Status& r) { return r ? grpc::Status::OK : ToGrpcStatus(r.error()); }

void SetTime(google::protobuf::Timestamp* out, std::chrono::system_clock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  out->set_seconds(us.count() / 1000000);
  out->set_nanos(static_cast<int>(us.count() % 1000000) * 1000);
}

authz::RequestInfo RequestInfoOf(grpc::ServerContextBase& ctx,
                                 const TrustedProxies& trusted_proxies) {
  authz::RequestInfo info;
  const auto& md = ctx.client_metadata();
  std::string_view given;
  if (auto it = md.find("x-request-id"); it != md.end()) {
    given = std::string_view(it->second.data(), it->second.size());
  }
  info.request_id = RequestIdOr(given);
  if (auto it = md.find("user-agent"); it != md.end()) {
    info.user_agent.assign(it->second.data(), it->second.size());
  }
  // "ipv4:127.0.0.1:50000" / "ipv6:[::1]:50000"
  std::string peer = ctx.peer();
  if (auto colon = peer.find(':'); colon != std::string::npos) peer = peer.substr(colon + 1);
  if (!peer.empty() && peer.front() == '[') {
    peer = peer.substr(1, peer.find(']') - 1);
  } else if (auto last = peer.rfind(':'); last != std::string::npos) {
    peer = peer.substr(0, last);
  }
  // Several values of one key read as one comma-separated header.
  auto joined = [&md](const char* key) {
    std::string out;
    for (auto [it, end] = md.equal_range(key); it != end; ++it) {
      if (!out.empty()) out += ", ";
      out.append(it->second.data(), it->second.size());
    }
    return out;
  };
  const std::string xff = joined("x-forwarded-for");
  const std::string forwarded = joined("forwarded");
  info.ip_address = ClientAddress(peer, {xff, forwarded}, trusted_proxies);
  return authz::StorableRequestInfo(std::move(info));
}

MethodSeries::MethodSeries(metrics::Registry& registry, const char* method)
    : registry_(registry),
      service_(Split(method).first),
      name_(Split(method).second),
      started_(registry.GetCounter(
          "grpc_server_started_total", "RPCs started on the server.",
          {{"grpc_type", "unary"}, {"grpc_service", service_}, {"grpc_method", name_}})),
      seconds_(registry.GetHistogram(
          "grpc_server_handling_seconds", "RPC latency until the status is sent.",
          metrics::DefaultLatencyBuckets(),
          {{"grpc_type", "unary"}, {"grpc_service", service_}, {"grpc_method", name_}})) {}

metrics::Counter& MethodSeries::Handled(grpc::StatusCode code) {
  const auto i = std::min<std::size_t>(static_cast<std::size_t>(code), handled_.size() - 1);
  if (metrics::Counter* c = handled_[i].load(std::memory_order_acquire)) return *c;
  // Two threads may both look it up: the registry returns the same series.
  metrics::Counter& c = registry_.GetCounter("grpc_server_handled_total",
                                             "RPCs completed on the server, by status code.",
                                             {{"grpc_type", "unary"},
                                              {"grpc_service", service_},
                                              {"grpc_method", name_},
                                              {"grpc_code", CodeName(code)}});
  handled_[i].store(&c, std::memory_order_release);
  return c;
}

MethodSeries& MethodSeriesCache::For(metrics::Registry& registry, const char* method) {
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(method); it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = series_[method];
  if (!slot) slot = std::make_unique<MethodSeries>(registry, method);
  return *slot;
}

Attempt<Result<std::optional<authz::Caller>>> Admission(CallEnv& env, grpc::ServerContextBase& ctx,
                                                        const char* method,
                                                        const authz::RequestInfo& request) {
  if (ctx.IsCancelled() || ctx.deadline() <= std::chrono::system_clock::now()) {
    return MakeError(ErrorCode::kDeadlineExceeded, "deadline exceeded before start");
  }
  std::string_view authorization;
  auto it = ctx.client_metadata().find("authorization");
  if (it != ctx.client_metadata().end()) {
    authorization = std::string_view(it->second.data(), it->second.size());
  }
  std::string_view use_case(method);
  use_case.remove_prefix(use_case.rfind('/') + 1);
  return authz::Guard(env.access, env.authorizer, use_case, authz::BearerToken(authorization),
                      request);
}

void RecordCall(MethodSeries& series, spdlog::logger& log, const char* method,
                const grpc::Status& status, std::chrono::steady_clock::time_point start,
                const std::string& request_id) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  series.Handled(status.error_code()).Inc();
  series.Seconds().Observe(seconds);
  log.info("grpc {} {} {:.3f}ms request_id={}", method, CodeName(status.error_code()),
           seconds * 1000, request_id);
}

}  // namespace giia::server
