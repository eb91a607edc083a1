#include "server/catalog/auth_permissions.hpp"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "giia/auth/v1/auth.grpc.pb.h"
#include "server/metrics/registry.hpp"

namespace giia::server {
namespace {

namespace pb = ::giia::auth::v1;
using Clock = std::chrono::steady_clock;

Result<std::string> ReadFile(const std::string& path, const char* key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(key, std::string(key) + ": cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Attempts that say the replica could not answer: worth another replica.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Before retry `retry` (1, 2, ...): 20 ms, 40 ms, ... up to 200 ms, each
// drawn from [half, all] of it so that callers failing together spread out.
std::chrono::milliseconds RetryDelay(int retry) {
  thread_local std::minstd_rand random{std::random_device{}()};
  const int full = std::min(200, 20 << std::min(retry - 1, 4));
  return std::chrono::milliseconds(std::uniform_int_distribution<int>(full / 2, full)(random));
}

}  // namespace

struct GrpcPermissionOracle::Impl {
  struct Replica {
    explicit Replica(CircuitBreaker::Options breaker_options) : breaker(breaker_options) {}
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<pb::AuthService::Stub> stub;
    CircuitBreaker breaker;
    std::atomic<std::uint64_t> attempts{0};
    std::atomic<std::uint64_t> failures{0};
  };

  // A replica to try now, or nullptr when none may be asked: first the
  // connected ones, then those still connecting; never one whose channel is
  // in TRANSIENT_FAILURE (unreachable, or its health says NOT_SERVING), nor
  // one whose breaker is open. Rotates the starting point per call.
  Replica* Pick() {
    const std::size_t n = replicas.size();
    const std::size_t start = next.fetch_add(1, std::memory_order_relaxed);
    const auto now = Clock::now();
    for (const bool connected_only : {true, false}) {
      for (std::size_t i = 0; i < n; ++i) {
        Replica& r = *replicas[(start + i) % n];
        const grpc_connectivity_state state = r.channel->GetState(/*try_to_connect=*/true);
        if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) continue;
        if (connected_only != (state == GRPC_CHANNEL_READY)) continue;
        if (r.breaker.Allow(now)) return &r;
      }
    }
    return nullptr;
  }

  AuthClientOptions options;
  std::vector<std::unique_ptr<Replica>> replicas;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> refused{0};  // no replica could be asked
};

GrpcPermissionOracle::GrpcPermissionOracle(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcPermissionOracle::~GrpcPermissionOracle() = default;

Result<std::unique_ptr<GrpcPermissionOracle>> GrpcPermissionOracle::Create(
    const AuthClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto roots = ReadFile(options.ca_file, "AUTH_GRPC_CA_FILE");
    if (!roots) return tl::unexpected(roots.error());
    ssl.pem_root_certs = std::move(*roots);
    if (!options.cert_file.empty() && !options.key_file.empty()) {
      auto cert = ReadFile(options.cert_file, "TLS_CERT_FILE");
      if (!cert) return tl::unexpected(cert.error());
      auto key = ReadFile(options.key_file, "TLS_KEY_FILE");
      if (!key) return tl::unexpected(key.error());
      ssl.pem_cert_chain = std::move(*cert);
      ssl.pem_private_key = std::move(*key);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  grpc::ChannelArguments args;
  // Reconnect within half a second once auth is back (the default backoff
  // grows to 120 s); a connection attempt that hangs gives up as fast.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 250);
  // A replica that stops answering on an open connection (hung, its host
  // gone) is noticed by pings, so its channel stops being READY. Auth's
  // server allows pings this often (server/grpc/grpc_server.cpp).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Spread the checks over every address an entry resolves to (a headless
  // Service lists each auth pod), and watch each one's grpc.health.v1
  // status: a pod that says NOT_SERVING gets no calls.
  args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}],)"
                            R"("healthCheckConfig":{"serviceName":"giia.auth.v1.AuthService"}})");
  for (const std::string& address : options.addresses) {
    auto r = std::make_unique<Impl::Replica>(options.breaker);
    r->address = address;
    r->channel = grpc::CreateCustomChannel(address, credentials, args);
    r->channel->GetState(/*try_to_connect=*/true);  // connect now, not on the first call
    r->stub = pb::AuthService::NewStub(r->channel);
    impl->replicas.push_back(std::move(r));
  }
  return std::unique_ptr<GrpcPermissionOracle>(new GrpcPermissionOracle(std::move(impl)));
}

Result<std::vector<authz::Decision>> GrpcPermissionOracle::Check(
    const authz::Caller& caller, const std::vector<std::string>& permissions,
    const authz::RequestInfo& req) {
  Impl& impl = *impl_;
  const auto deadline = Clock::now() + impl.options.timeout;
  pb::BatchCheckPermissionsRequest request;
  for (const std::string& p : permissions) request.add_permissions(p);
  std::string last = "no replica could be asked";
  for (int attempt = 1; attempt <= impl.options.max_attempts; ++attempt) {
    Impl::Replica* r = impl.Pick();
    if (r == nullptr) {
      if (attempt == 1) ++impl.refused;
      return MakeError(ErrorCode::kUnavailable,
                       "auth: no replica can be asked now (down, draining or failing): " + last);
    }
    if (attempt > 1) ++impl.retries;
    ++r->attempts;
    grpc::ClientContext ctx;
    const auto attempt_deadline = std::min(deadline, Clock::now() + impl.options.attempt_timeout);
    ctx.set_deadline(std::chrono::system_clock::now() + (attempt_deadline - Clock::now()));
    ctx.AddMetadata("authorization", "Bearer " + caller.access_token);
    if (!req.request_id.empty()) ctx.AddMetadata("x-request-id", req.request_id);
    pb::BatchCheckPermissionsResponse response;
    const grpc::Status status = r->stub->BatchCheckPermissions(&ctx, request, &response);
    if (status.ok()) {
      r->breaker.Succeeded();
      std::vector<authz::Decision> out;
      out.reserve(static_cast<std::size_t>(response.results_size()));
      for (const auto& d : response.results()) {
        out.push_back({d.permission(), d.allowed(), d.reason()});
      }
      return out;
    }
    last = "auth at " + r->address + ": " + status.error_message();
    if (!Retryable(status.error_code())) {
      r->breaker.Succeeded();  // it answered
      switch (status.error_code()) {
        case grpc::StatusCode::UNAUTHENTICATED:
          return MakeError(ErrorCode::kUnauthenticated, status.error_message());
        case grpc::StatusCode::INVALID_ARGUMENT:
        case grpc::StatusCode::PERMISSION_DENIED:
        case grpc::StatusCode::UNIMPLEMENTED: return MakeError(ErrorCode::kInternal, last);
        default: return MakeError(ErrorCode::kUnavailable, last);
      }
    }
    ++r->failures;
    r->breaker.Failed(Clock::now());
    if (attempt == impl.options.max_attempts) break;
    const auto pause = RetryDelay(attempt);
    if (Clock::now() + pause >= deadline) break;
    std::this_thread::sleep_for(pause);
  }
  return MakeError(ErrorCode::kUnavailable, last);
}

void GrpcPermissionOracle::ExportMetrics(metrics::Registry& registry) {
  Impl& impl = *impl_;
  for (const auto& owned : impl.replicas) {
    Impl::Replica* r = owned.get();
    const metrics::Labels labels = {{"replica", r->address}};
    registry.AddCallback("giia_auth_client_attempts_total",
                         "Calls to an auth replica (AUTH_GRPC_ADDR entry), retries included.",
                         "counter", labels,
                         [r] { return static_cast<double>(r->attempts.load()); });
    registry.AddCallback(
        "giia_auth_client_failures_total",
        "Calls to an auth replica that got no answer (UNAVAILABLE or the attempt's deadline).",
        "counter", labels, [r] { return static_cast<double>(r->failures.load()); });
    registry.AddCallback(
        "giia_auth_client_breaker_state",
        "The replica's circuit breaker: 0 closed, 1 half-open, 2 open.", "gauge", labels,
        [r] { return static_cast<double>(static_cast<int>(r->breaker.state(Clock::now()))); });
    registry.AddCallback("giia_auth_client_breaker_opened_total",
                         "Times the replica's circuit breaker opened.", "counter", labels,
                         [r] { return static_cast<double>(r->breaker.opened()); });
  }
  registry.AddCallback("giia_auth_client_retries_total",
                       "Calls to auth retried on another replica (or the same, after a pause).",
                       "counter", {}, [&impl] { return static_cast<double>(impl.retries.load()); });
  registry.AddCallback("giia_auth_client_refused_total",
                       "Checks failed at once because no auth replica could be asked (down, "
                       "draining, breaker open).",
                       "counter", {}, [&impl] { return static_cast<double>(impl.refused.load()); });
}

}  // namespace giia::server
