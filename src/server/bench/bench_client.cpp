#include "server/bench/bench_client.hpp"

#include <grpcpp/grpcpp.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "giia/auth/v1/auth.grpc.pb.h"
#include "giia/catalog/v1/catalog.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace giia::server::bench {
namespace {

namespace apb = ::giia::auth::v1;
namespace cpb = ::giia::catalog::v1;
namespace hpb = ::grpc::health::v1;
using giia::bench::CallOutcome;
using giia::bench::MixPart;

constexpr const char* kStatusNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
// A call that succeeded with an answer the scenario did not expect (a token
// found invalid, a permission denied): counted as an error of its own.
constexpr const char* kWrongAnswer = "WRONG_ANSWER";

constexpr const char* kSearchTerms[] = {"widget", "gadget", "sprocket", "bracket",
                                        "flange", "gasket", "valve",    "bearing"};
constexpr const char* kCategories[] = {"parts", "tools", "raw"};
// Every permission of the built-in Admin role a batch-check asks about.
constexpr const char* kBatchPermissions[] = {
    "catalog:read", "catalog:write", "catalog:delete", "buffers:read", "buffers:write",
    "users:read",   "users:write",   "orders:read",    "orders:write", "reports:read"};

CallOutcome Outcome(const grpc::Status& status) {
  if (status.ok()) return {};
  const int code = static_cast<int>(status.error_code());
  const char* name = code >= 0 && code <= 16 ? kStatusNames[code] : "UNKNOWN";
  return {code, name, status.error_message()};
}

CallOutcome WrongAnswer(std::string why) { return {-1, kWrongAnswer, std::move(why)}; }

ErrorCode ErrorCodeOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT: return ErrorCode::kInvalidArgument;
    case grpc::StatusCode::UNAUTHENTICATED: return ErrorCode::kUnauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED: return ErrorCode::kPermissionDenied;
    case grpc::StatusCode::NOT_FOUND: return ErrorCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return ErrorCode::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return ErrorCode::kFailedPrecondition;
    case grpc::StatusCode::ABORTED: return ErrorCode::kAborted;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return ErrorCode::kResourceExhausted;
    case grpc::StatusCode::UNAVAILABLE: return ErrorCode::kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return ErrorCode::kDeadlineExceeded;
    default: return ErrorCode::kInternal;
  }
}

tl::unexpected<Error> RpcError(const std::string& rpc, const std::string& address,
                               const grpc::Status& status) {
  return MakeError(ErrorCodeOf(status.error_code()), rpc + " at " + address +
                                                         " failed: " + status.error_message() +
                                                         " (" + Outcome(status).status_name + ")");
}

std::size_t Index(Service service) { return service == Service::kAuth ? 0 : 1; }

}  // namespace

std::span<const char* const> SearchTerms() { return kSearchTerms; }

struct BenchClient::Impl {
  Targets targets;
  Transport transport;
  // Per service (Index()), one per connection.
  std::array<std::vector<std::shared_ptr<grpc::Channel>>, 2> channels;
  std::vector<std::unique_ptr<apb::AuthService::Stub>> auth;
  std::vector<std::unique_ptr<cpb::CatalogService::Stub>> catalog;
  std::array<std::vector<std::unique_ptr<hpb::Health::Stub>>, 2> health;

  const std::string& Address(Service s) const {
    return s == Service::kAuth ? targets.auth : targets.catalog;
  }
  // A context with the call deadline and, when given, the bearer token.
  void Prepare(grpc::ClientContext& ctx, const std::string& token) const {
    ctx.set_deadline(std::chrono::system_clock::now() + transport.timeout);
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  }
  apb::AuthService::Stub& Auth(int worker) const {
    return *auth[static_cast<std::size_t>(worker) % auth.size()];
  }
  cpb::CatalogService::Stub& Catalog(int worker) const {
    return *catalog[static_cast<std::size_t>(worker) % catalog.size()];
  }
};

BenchClient::BenchClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BenchClient::~BenchClient() = default;

Result<std::unique_ptr<BenchClient>> BenchClient::Connect(
    const Targets& targets, const Transport& transport, std::span<const Service> services,
    std::chrono::milliseconds connect_timeout) {
  auto impl = std::make_unique<Impl>();
  impl->targets = targets;
  impl->transport = transport;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      transport.ca_pem.empty() ? grpc::InsecureChannelCredentials()
                               : grpc::SslCredentials({transport.ca_pem, "", ""});
  const auto deadline = std::chrono::system_clock::now() + connect_timeout;
  for (Service s : services) {
    const std::size_t k = Index(s);
    if (!impl->channels[k].empty()) continue;
    for (int i = 0; i < std::max(1, transport.connections); ++i) {
      grpc::ChannelArguments args;
      // A channel of its own subchannels, told apart by an argument: one
      // TCP connection per channel instead of one shared by all.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("giia.bench.connection", i);
      auto channel = grpc::CreateCustomChannel(impl->Address(s), credentials, args);
      if (!channel->WaitForConnected(deadline)) {
        const char* flag = s == Service::kAuth ? "--auth" : "--catalog";
        return MakeError(ErrorCode::kUnavailable,
                         "cannot connect to " + impl->Address(s) + " (" + flag + ") within " +
                             std::to_string(connect_timeout.count()) + " ms");
      }
      impl->health[k].push_back(hpb::Health::NewStub(channel));
      if (s == Service::kAuth) impl->auth.push_back(apb::AuthService::NewStub(channel));
      if (s == Service::kCatalog) impl->catalog.push_back(cpb::CatalogService::NewStub(channel));
      impl->channels[k].push_back(std::move(channel));
    }
  }
  return std::unique_ptr<BenchClient>(new BenchClient(std::move(impl)));
}

Result<Tokens> BenchClient::Login(const std::string& email, const std::string& password) {
  if (impl_->auth.empty()) return MakeError(ErrorCode::kInternal, "no channel to auth");
  grpc::ClientContext ctx;
  impl_->Prepare(ctx, "");
  apb::LoginRequest request;
  request.set_email(email);
  request.set_password(password);
  apb::LoginResponse response;
  const grpc::Status status = impl_->Auth(0).Login(&ctx, request, &response);
  if (!status.ok()) return RpcError("Login of " + email, impl_->targets.auth, status);
  return Tokens{response.tokens().access_token(), response.tokens().refresh_token()};
}

Result<std::vector<std::string>> BenchClient::CreateProducts(const std::string& token,
                                                             const std::string& prefix, int count,
                                                             int parallel) {
  std::vector<std::string> ids(static_cast<std::size_t>(std::max(0, count)));
  std::mutex mu;
  std::optional<Error> failed;  // guarded by mu
  auto create = [&](int worker) {
    for (int i = worker; i < count; i += parallel) {
      {
        std::lock_guard lock(mu);
        if (failed) return;
      }
      char sku[96];
      std::snprintf(sku, sizeof sku, "%s-%04d", prefix.c_str(), i);
      cpb::CreateProductRequest request;
      request.set_sku(sku);
      request.set_name(std::string(kSearchTerms[i % std::size(kSearchTerms)]) + " " +
                       std::to_string(i));
      request.set_category(kCategories[i % std::size(kCategories)]);
      request.set_standard_cost(1 + i % 100);
      grpc::ClientContext ctx;
      impl_->Prepare(ctx, token);
      cpb::CreateProductResponse response;
      const grpc::Status status = impl_->Catalog(worker).CreateProduct(&ctx, request, &response);
      std::lock_guard lock(mu);
      if (!status.ok()) {
        if (!failed) failed = RpcError("CreateProduct", impl_->targets.catalog, status).value();
        return;
      }
      ids[static_cast<std::size_t>(i)] = response.product().id();
    }
  };
  {
    std::vector<std::jthread> threads;
    for (int w = 0; w < std::max(1, parallel); ++w) threads.emplace_back(create, w);
  }
  if (failed) return tl::unexpected(*failed);
  return ids;
}

Result<std::pair<std::vector<std::string>, std::int64_t>> BenchClient::ListProductIds(
    const std::string& token, int max) {
  std::vector<std::string> ids;
  std::int64_t total = 0;
  for (int page = 1; static_cast<int>(ids.size()) < max; ++page) {
    cpb::ListProductsRequest request;
    request.set_page(page);
    request.set_page_size(100);
    grpc::ClientContext ctx;
    impl_->Prepare(ctx, token);
    cpb::ListProductsResponse response;
    const grpc::Status status = impl_->Catalog(0).ListProducts(&ctx, request, &response);
    if (!status.ok()) return RpcError("ListProducts", impl_->targets.catalog, status);
    total = response.total();
    for (const auto& p : response.items()) {
      if (static_cast<int>(ids.size()) < max) ids.push_back(p.id());
    }
    if (response.items().empty() || static_cast<std::int64_t>(page) * 100 >= total) break;
  }
  return std::make_pair(std::move(ids), total);
}

namespace {

// One call in flight on gRPC's callback API: its context, request and
// response live until its completion, which turns the status and the
// response into the outcome (`check`) and hands it to `done`. One allocation
// a call (a ClientContext cannot be reused).
template <typename Req, typename Resp>
struct InFlight {
  grpc::ClientContext ctx;
  Req request;
  Resp response;
  giia::bench::Caller::Done done;
  CallOutcome (*check)(const grpc::Status&, Resp&, void*) = nullptr;
  void* scratch = nullptr;  // what `check` needs beyond the response (refresh's token slot)
};

// `check` of a scenario that takes any answer with an OK status.
template <typename Resp>
CallOutcome AnyAnswer(const grpc::Status& status, Resp&, void*) {
  return Outcome(status);
}

// One scenario's call, or a --mix of them, on the client's channels. Calls
// are sent with gRPC's callback API (no client thread waits for a reply);
// Call() is Start() and a wait, for the open loop's timed sends.
class ScenarioCaller final : public giia::bench::Caller {
 public:
  using Impl = BenchClient::Impl;
  using Fn = void (ScenarioCaller::*)(int, std::uint64_t, Done);

  ScenarioCaller(const Impl& impl, std::span<const MixPart> parts, Prepared prepared,
                 Service health_service, std::vector<std::string> refresh)
      : impl_(impl),
        picker_(parts),
        prepared_(std::move(prepared)),
        health_(Index(health_service)),
        refresh_(std::move(refresh)),
        bearer_("Bearer " + prepared_.token) {
    for (const MixPart& p : parts) calls_.push_back(FnFor(p.scenario->name));
  }

  bool Asynchronous() const override { return true; }

  void Start(int worker, std::uint64_t ticket, Done done) override {
    (this->*calls_[picker_.Pick(ticket)])(worker, ticket, std::move(done));
  }

  CallOutcome Call(int worker, std::uint64_t ticket) override {
    std::mutex mu;
    std::condition_variable ended;
    std::optional<CallOutcome> outcome;
    Start(worker, ticket, [&](CallOutcome o) {
      std::lock_guard lock(mu);
      outcome = std::move(o);
      ended.notify_one();
    });
    std::unique_lock lock(mu);
    ended.wait(lock, [&] { return outcome.has_value(); });
    return std::move(*outcome);
  }

 private:
  static Fn FnFor(std::string_view name) {
    if (name == "validate-token") return &ScenarioCaller::ValidateToken;
    if (name == "check-permission") return &ScenarioCaller::CheckPermission;
    if (name == "check-permission-cold") return &ScenarioCaller::CheckPermissionCold;
    if (name == "batch-check") return &ScenarioCaller::BatchCheck;
    if (name == "login") return &ScenarioCaller::Login;
    if (name == "refresh") return &ScenarioCaller::Refresh;
    if (name == "get-product") return &ScenarioCaller::GetProduct;
    if (name == "list-products") return &ScenarioCaller::ListProducts;
    if (name == "search-products") return &ScenarioCaller::SearchProducts;
    if (name == "create-product") return &ScenarioCaller::CreateProduct;
    return &ScenarioCaller::Health;
  }

  // A call about to be sent: its deadline and, with `authorized`, the token.
  // (clang-tidy 14 misses the move of `done` below, inside the template.)
  template <typename Req, typename Resp>
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  InFlight<Req, Resp>* Begin(Done done, bool authorized,
                             CallOutcome (*check)(const grpc::Status&, Resp&,
                                                  void*) = &AnyAnswer<Resp>) {
    auto* call = new InFlight<Req, Resp>;
    call->ctx.set_deadline(std::chrono::system_clock::now() + impl_.transport.timeout);
    if (authorized) call->ctx.AddMetadata("authorization", bearer_);
    call->done = std::move(done);
    call->check = check;
    return call;
  }

  // The completion of `call`: its outcome to its `done`, after it is freed.
  template <typename Req, typename Resp>
  static std::function<void(grpc::Status)> Completion(InFlight<Req, Resp>* call) {
    return [call](const grpc::Status& status) {
      CallOutcome outcome = call->check(status, call->response, call->scratch);
      Done done = std::move(call->done);
      delete call;
      done(std::move(outcome));
    };
  }

  apb::AuthService::Stub::async_interface& Auth(int worker) const {
    return *impl_.Auth(worker).async();
  }
  cpb::CatalogService::Stub::async_interface& Catalog(int worker) const {
    return *impl_.Catalog(worker).async();
  }

  void Health(int worker, std::uint64_t, Done done) {
    const auto& stubs = impl_.health[health_];
    auto* call = Begin<hpb::HealthCheckRequest, hpb::HealthCheckResponse>(
        std::move(done), false, [](const grpc::Status& status, hpb::HealthCheckResponse& r, void*) {
          if (status.ok() && r.status() != hpb::HealthCheckResponse::SERVING) {
            return WrongAnswer("not serving");
          }
          return Outcome(status);
        });
    stubs[static_cast<std::size_t>(worker) % stubs.size()]->async()->Check(
        &call->ctx, &call->request, &call->response, Completion(call));
  }

  void ValidateToken(int worker, std::uint64_t, Done done) {
    auto* call = Begin<apb::ValidateTokenRequest, apb::ValidateTokenResponse>(
        std::move(done), false,
        [](const grpc::Status& status, apb::ValidateTokenResponse& r, void*) {
          if (status.ok() && !r.valid()) return WrongAnswer("token not valid: " + r.error());
          return Outcome(status);
        });
    call->request.set_token(prepared_.token);
    Auth(worker).ValidateToken(&call->ctx, &call->request, &call->response, Completion(call));
  }

  static CallOutcome Allowed(const grpc::Status& status, apb::CheckPermissionResponse& r, void*) {
    if (status.ok() && !r.allowed()) return WrongAnswer("denied: " + r.reason());
    return Outcome(status);
  }

  void CheckPermission(int worker, std::uint64_t, Done done) {
    auto* call = Begin<apb::CheckPermissionRequest, apb::CheckPermissionResponse>(std::move(done),
                                                                                  true, &Allowed);
    call->request.set_permission("catalog:read");
    Auth(worker).CheckPermission(&call->ctx, &call->request, &call->response, Completion(call));
  }

  // About user `ticket` of the pool: a different user each call until the
  // pool is used up, so each answer needs the database (and Redis).
  void CheckPermissionCold(int worker, std::uint64_t ticket, Done done) {
    if (prepared_.user_ids.empty()) {
      done(WrongAnswer("no users to ask about (--setup --users)"));
      return;
    }
    auto* call = Begin<apb::CheckPermissionRequest, apb::CheckPermissionResponse>(std::move(done),
                                                                                  true, &Allowed);
    call->request.set_permission("catalog:read");
    call->request.set_user_id(prepared_.user_ids[ticket % prepared_.user_ids.size()]);
    Auth(worker).CheckPermission(&call->ctx, &call->request, &call->response, Completion(call));
  }

  void BatchCheck(int worker, std::uint64_t, Done done) {
    auto* call = Begin<apb::BatchCheckPermissionsRequest, apb::BatchCheckPermissionsResponse>(
        std::move(done), true,
        [](const grpc::Status& status, apb::BatchCheckPermissionsResponse& r, void*) {
          if (status.ok() && r.results_size() != static_cast<int>(std::size(kBatchPermissions))) {
            return WrongAnswer("BatchCheckPermissions answered " +
                               std::to_string(r.results_size()) + " decisions");
          }
          return Outcome(status);
        });
    for (const char* p : kBatchPermissions) call->request.add_permissions(p);
    Auth(worker).BatchCheckPermissions(&call->ctx, &call->request, &call->response,
                                       Completion(call));
  }

  // One account, or the pool's in turn (auth lets 5 logins of one account
  // be in flight at a time).
  void Login(int worker, std::uint64_t ticket, Done done) {
    auto* call = Begin<apb::LoginRequest, apb::LoginResponse>(std::move(done), false);
    const auto& pool = prepared_.user_emails;
    call->request.set_email(pool.empty() ? prepared_.email : pool[ticket % pool.size()]);
    call->request.set_password(prepared_.password);
    Auth(worker).Login(&call->ctx, &call->request, &call->response, Completion(call));
  }

  // Each worker rotates its own session: its slot is touched by one call at
  // a time (a worker's calls follow one another), in the completion.
  void Refresh(int worker, std::uint64_t, Done done) {
    std::string& token = refresh_[static_cast<std::size_t>(worker) % refresh_.size()];
    auto* call = Begin<apb::RefreshTokenRequest, apb::RefreshTokenResponse>(
        std::move(done), false,
        [](const grpc::Status& status, apb::RefreshTokenResponse& r, void* slot) {
          if (status.ok()) *static_cast<std::string*>(slot) = r.tokens().refresh_token();
          return Outcome(status);
        });
    call->scratch = &token;
    call->request.set_refresh_token(token);
    Auth(worker).RefreshToken(&call->ctx, &call->request, &call->response, Completion(call));
  }

  void GetProduct(int worker, std::uint64_t ticket, Done done) {
    auto* call = Begin<cpb::GetProductRequest, cpb::GetProductResponse>(std::move(done), true);
    call->request.set_id(prepared_.product_ids[ticket % prepared_.product_ids.size()]);
    Catalog(worker).GetProduct(&call->ctx, &call->request, &call->response, Completion(call));
  }

  void ListProducts(int worker, std::uint64_t ticket, Done done) {
    auto* call = Begin<cpb::ListProductsRequest, cpb::ListProductsResponse>(std::move(done), true);
    call->request.set_page(1 + static_cast<int>(ticket % static_cast<std::uint64_t>(std::max(
                                                             1, prepared_.product_pages))));
    call->request.set_page_size(20);
    Catalog(worker).ListProducts(&call->ctx, &call->request, &call->response, Completion(call));
  }

  void SearchProducts(int worker, std::uint64_t ticket, Done done) {
    auto* call =
        Begin<cpb::SearchProductsRequest, cpb::SearchProductsResponse>(std::move(done), true);
    call->request.set_query(kSearchTerms[ticket % std::size(kSearchTerms)]);
    call->request.set_page_size(20);
    Catalog(worker).SearchProducts(&call->ctx, &call->request, &call->response, Completion(call));
  }

  void CreateProduct(int worker, std::uint64_t ticket, Done done) {
    auto* call =
        Begin<cpb::CreateProductRequest, cpb::CreateProductResponse>(std::move(done), true);
    call->request.set_sku("BENCH-" + prepared_.run_id + "-" + std::to_string(ticket));
    call->request.set_name("bench product " + std::to_string(ticket));
    call->request.set_category("bench");
    Catalog(worker).CreateProduct(&call->ctx, &call->request, &call->response, Completion(call));
  }

  const Impl& impl_;
  giia::bench::MixPicker picker_;
  Prepared prepared_;
  std::size_t health_;
  std::vector<std::string> refresh_;  // one per worker
  std::string bearer_;                // "Bearer " + the token, built once
  std::vector<Fn> calls_;             // as the mix's parts
};

}  // namespace

Result<std::unique_ptr<giia::bench::Caller>> BenchClient::MakeCaller(std::span<const MixPart> parts,
                                                                     const Prepared& prepared,
                                                                     int workers,
                                                                     Service health_service) {
  std::vector<std::string> refresh;
  for (const MixPart& p : parts) {
    if (p.scenario->name != "refresh") continue;
    for (int w = 0; w < std::max(1, workers); ++w) {
      auto tokens = Login(prepared.email, prepared.password);
      if (!tokens) return tl::unexpected(tokens.error());
      refresh.push_back(tokens->refresh);
    }
  }
  if (impl_->health[Index(health_service)].empty()) {
    return MakeError(ErrorCode::kInternal, "no channel for health checks");
  }
  return std::unique_ptr<giia::bench::Caller>(
      new ScenarioCaller(*impl_, parts, prepared, health_service, std::move(refresh)));
}

}  // namespace giia::server::bench
