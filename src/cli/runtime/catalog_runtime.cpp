#include "cli/runtime/catalog_runtime.hpp"

#include <algorithm>

#include "adapters/codec/cloudevents.hpp"
#include "adapters/crypto/secrets.hpp"
#include "adapters/postgres/catalog_store.hpp"
#include "cli/runtime/service_runtime.hpp"
#include "core/catalog/remote_authorizer.hpp"
#include "core/catalog/service.hpp"
#include "server/catalog/auth_permissions.hpp"
#include "server/catalog/auth_probe.hpp"
#include "server/catalog/catalog_grpc.hpp"
#include "server/catalog/catalog_rest.hpp"
#include "server/metrics/service_metrics.hpp"

namespace giia::cli {
namespace {

server::AuthClientOptions AuthClientOptionsOf(const Config& cfg) {
  server::AuthClientOptions o;
  o.addresses = cfg.auth_grpc_addrs;
  o.timeout = cfg.auth_grpc_timeout;
  o.attempt_timeout = cfg.auth_grpc_attempt_timeout;
  o.max_attempts = cfg.auth_grpc_max_attempts;
  o.breaker.failures = cfg.auth_grpc_breaker_failures;
  o.breaker.cooldown = cfg.auth_grpc_breaker_cooldown;
  o.ca_file = cfg.auth_grpc_ca_file;
  o.cert_file = cfg.tls_cert_file;
  o.key_file = cfg.tls_key_file;
  return o;
}

class CatalogRuntime final : public ServiceRuntime {
 public:
  using ServiceRuntime::ServiceRuntime;

 private:
  Status Build() override {
    if (auto ok = InitTokens(); !ok) return ok;
    auto oracle = server::GrpcPermissionOracle::Create(AuthClientOptionsOf(cfg_));
    if (!oracle) return tl::unexpected(oracle.error());
    oracle_ = std::move(*oracle);
    oracle_->ExportMetrics(registry_);
    catalog::RemoteAuthorizerOptions options;
    options.ttl = cfg_.permission_cache_ttl;
    // A revoked version is remembered while a token of it can still be alive.
    options.revocation_memory =
        std::max<std::chrono::milliseconds>(options.revocation_memory, cfg_.jwt_expiration * 2);
    authorizer_ = std::make_unique<catalog::RemoteAuthorizer>(tokens(), *oracle_, options);
    // What auth says changed about a user (a role, the password, a lock)
    // drops the decisions kept about that user at once, and a revocation
    // (user.sessions_revoked) refuses the user's older tokens; the TTL bounds
    // only an event this replica missed.
    auto auth_events = js_->Subscribe("auth.>", [this](std::string_view, std::string_view data) {
      if (auto event = codec::DecodeCloudEvent(data)) authorizer_->OnAuthEvent(*event);
    });
    if (!auth_events) return tl::unexpected(auth_events.error());
    auth_events_ = std::move(*auth_events);
    if (cfg_.auth_grpc_ca_file.empty()) {
      auth_probe_ = std::make_unique<server::AuthProbe>(cfg_.auth_grpc_addrs);
      probes_.push_back(auth_probe_.get());
    }

    // The hot reads run on the asynchronous pool (no thread waits for
    // them); it takes half of DATABASE_MAX_OPEN_CONNS, the blocking pool
    // the other half.
    pg::AsyncPoolOptions async;
    async.connect = pool_options_.connect;
    async.max_size = std::max(1, cfg_.database.max_open_conns / 2);
    async.max_lifetime = pool_options_.max_lifetime;
    auto async_pool = pg::AsyncPool::Create(async);
    if (!async_pool) return tl::unexpected(async_pool.error());
    async_pool_ = std::move(*async_pool);
    const server::metrics::Labels catalog{{"service", "catalog"}};
    auto async_figure = [this](auto field) {
      return [this, field] { return static_cast<double>(async_pool_->Stats().*field); };
    };
    registry_.AddCallback("giia_db_async_pool_open_connections",
                          "Open connections of the asynchronous PostgreSQL pool.", "gauge", catalog,
                          async_figure(&pg::AsyncPoolStats::open));
    registry_.AddCallback("giia_db_async_pool_busy_connections",
                          "Asynchronous pool connections running a statement or a transaction.",
                          "gauge", catalog, async_figure(&pg::AsyncPoolStats::busy));
    registry_.AddCallback(
        "giia_db_async_pool_waiting",
        "Statements and transactions waiting for an asynchronous pool connection.", "gauge",
        catalog, async_figure(&pg::AsyncPoolStats::waiting));
    registry_.AddCallback("giia_db_async_pool_cancelled_total",
                          "Statements the asynchronous pool cancelled at their deadline.",
                          "counter", catalog, async_figure(&pg::AsyncPoolStats::cancelled_total));
    registry_.AddCallback("giia_db_async_pool_discarded_total",
                          "Asynchronous pool connections closed because they broke or expired.",
                          "counter", catalog, async_figure(&pg::AsyncPoolStats::discarded_total));
    store_ = std::make_unique<pg::PgCatalogStore>(*pool_, signal_.get(), async_pool_.get(),
                                                  cfg_.database.statement_timeout.count() > 0
                                                      ? cfg_.database.statement_timeout
                                                      : std::chrono::hours(24));
    service_ = std::make_unique<catalog::CatalogService>(
        catalog::CatalogDeps{*store_, [this] { return secrets_.NewUuid(); }});
    server::metrics::RegisterDecisionMetrics(registry_, *authorizer_);

    server::AddCatalogRoutes(*http_, *service_, *authorizer_, cfg_.trusted_proxies);
    grpc_service_ = server::MakeCatalogGrpcService(*service_, *authorizer_, registry_, log_,
                                                   cfg_.trusted_proxies);
    grpc_name_ = "giia.catalog.v1.CatalogService";
    return Ok();
  }

  std::unique_ptr<server::GrpcPermissionOracle> oracle_;
  std::unique_ptr<catalog::RemoteAuthorizer> authorizer_;
  std::unique_ptr<nats::Subscription> auth_events_;  // uses authorizer_: declared after it
  std::unique_ptr<server::AuthProbe> auth_probe_;
  crypto::SodiumSecrets secrets_;
  std::unique_ptr<pg::AsyncPool> async_pool_;
  std::unique_ptr<pg::PgCatalogStore> store_;
  std::unique_ptr<catalog::CatalogService> service_;
};

}  // namespace

Result<std::unique_ptr<Service>> WireCatalog(const Config& cfg, spdlog::logger& log) {
  auto runtime = std::make_unique<CatalogRuntime>(cfg, log);
  if (auto ok = runtime->Init(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Service>(std::move(runtime));
}

}  // namespace giia::cli
