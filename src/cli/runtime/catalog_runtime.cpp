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

    store_ = std::make_unique<pg::PgCatalogStore>(*pool_, signal_.get(), async_pool_.get(),
                                                  AsyncTimeout());
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
