// `giia serve auth|catalog|all`: the composition root of the services. Start
// order: configuration (every problem reported, exit 1, before any port
// opens), adapters (pool, Redis, NATS in the background), workers (outbox
// relay, e-mail consumer, audit writer), then gRPC and HTTP. Readiness turns ready
// only once PostgreSQL answers with the schema this binary ships.
// SIGTERM/SIGINT: not ready first, stop accepting, let calls in flight finish
// within SHUTDOWN_TIMEOUT, flush the audit queue, stop the workers, close the
// pools, exit 0.

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <thread>

#include "adapters/codec/cloudevents.hpp"
#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/secrets.hpp"
#include "adapters/http/webhook.hpp"
#include "adapters/mail/mailer.hpp"
#include "adapters/mail/smtp_mailer.hpp"
#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/account_store.hpp"
#include "adapters/postgres/catalog_store.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "adapters/postgres/outbox.hpp"
#include "adapters/postgres/probe.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/redis/permission_cache.hpp"
#include "adapters/redis/probe.hpp"
#include "adapters/redis/rate_limiter.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "core/auth/email_verification.hpp"
#include "core/auth/hashing_pool.hpp"
#include "core/auth/service.hpp"
#include "core/authz/token_cache.hpp"
#include "core/catalog/remote_authorizer.hpp"
#include "core/catalog/service.hpp"
#include "core/common/redact.hpp"
#include "server/auth/auth_grpc.hpp"
#include "server/auth/auth_rest.hpp"
#include "server/catalog/auth_permissions.hpp"
#include "server/catalog/catalog_grpc.hpp"
#include "server/catalog/catalog_rest.hpp"
#include "server/grpc/grpc_server.hpp"
#include "server/http/health_routes.hpp"
#include "server/http/http_server.hpp"
#include "server/metrics/event_metrics.hpp"
#include "server/metrics/process_metrics.hpp"
#include "server/workers/audit_writer.hpp"
#include "server/workers/event_consumer.hpp"
#include "server/workers/outbox_relay.hpp"

namespace giia::cli {
namespace {

// Readiness from the live NATS connection (no fresh connect per probe).
class LiveNatsProbe final : public health::DependencyProbe {
 public:
  explicit LiveNatsProbe(nats::JetStream& js) : js_(js) {}
  std::string name() const override { return "nats"; }
  bool critical() const override { return false; }
  Status Check(std::chrono::milliseconds) override {
    if (js_.Connected()) return Ok();
    return MakeError(ErrorCode::kUnavailable,
                     "NATS at " + RedactCredentials(js_.url()) + " is not connected");
  }

 private:
  nats::JetStream& js_;
};

// Streams, then the service's event consumer (when it has one), once NATS
// is there (it may come later).
class EventsStarter {
 public:
  EventsStarter(nats::JetStream& js, events::EventConsumer* consumer, std::string stream,
                std::string subject, int replicas, spdlog::logger& log)
      : js_(js),
        replicas_(replicas),
        consumer_(consumer),
        stream_(std::move(stream)),
        subject_(std::move(subject)),
        log_(log) {
    thread_ = std::thread([this] { Run(); });
  }
  ~EventsStarter() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (worker_) worker_->Stop();
  }

 private:
  Status SetUp() {
    auto streams = nats::DefaultStreams(replicas_);
    if (auto ok = js_.EnsureStreams(streams); !ok) return ok;
    if (consumer_ == nullptr) {
      log_.info("events: streams ensured");
      return Ok();
    }
    auto source = nats::PullConsumer::Create(js_, {stream_, consumer_->name(), subject_});
    if (!source) return tl::unexpected(source.error());
    source_ = std::move(*source);
    worker_ = std::make_unique<server::EventConsumerWorker>(*source_, *consumer_,
                                                            server::EventConsumerOptions{}, log_);
    worker_->Start();
    log_.info("events: streams ensured; consumer {} started", consumer_->name());
    return Ok();
  }

  void Run() {
    auto delay = std::chrono::milliseconds(200);
    while (!stop_.load()) {
      if (!js_.WaitUntilConnected(std::chrono::milliseconds(200))) continue;
      auto ok = SetUp();
      if (ok) return;
      log_.warn("events: cannot set up streams and consumers yet: {}", ok.error().message);
      for (auto waited = std::chrono::milliseconds(0); waited < delay && !stop_.load();
           waited += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      delay = std::min(delay * 2, std::chrono::milliseconds(5000));
    }
  }

  nats::JetStream& js_;
  int replicas_;  // NATS_STREAM_REPLICAS
  events::EventConsumer* consumer_;
  std::string stream_;
  std::string subject_;
  spdlog::logger& log_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<nats::PullConsumer> source_;
  std::unique_ptr<server::EventConsumerWorker> worker_;
  std::thread thread_;
};

struct ServeOptions {
  std::string service;
};

Result<std::unique_ptr<crypto::JwtCodec>> MakeCodec(const Config& cfg) {
  crypto::JwtOptions jwt;
  if (!cfg.jwt_secret.empty()) {
    jwt.algorithm = "HS256";
    jwt.secret = cfg.jwt_secret;
  } else if (!cfg.jwt_private_key_file.empty() || !cfg.jwt_public_key_file.empty()) {
    jwt.algorithm = "EdDSA";
    jwt.private_key_file = cfg.jwt_private_key_file;
    jwt.public_key_file = cfg.jwt_public_key_file;
  } else {
    return InvalidArgument("JWT_SECRET", "serve " + cfg.service +
                                             " needs JWT_SECRET (HS256) or the EdDSA key "
                                             "files (JWT_PRIVATE_KEY_FILE, JWT_PUBLIC_KEY_FILE)");
  }
  return crypto::MakeJwtCodec(jwt);
}

// Readiness of the catalog's dependency on auth: one grpc.health Check.
// Not critical: cached decisions keep serving while auth is away.
// Up while at least one of AUTH_GRPC_ADDR's replicas says SERVING.
class AuthProbe final : public health::DependencyProbe {
 public:
  explicit AuthProbe(std::vector<std::string> addresses) : addresses_(std::move(addresses)) {}
  std::string name() const override { return "auth"; }
  bool critical() const override { return false; }
  Status Check(std::chrono::milliseconds timeout) override {
    std::string why;
    for (const std::string& address : addresses_) {
      auto r = server::CheckGrpcHealth(address, "giia.auth.v1.AuthService", timeout, timeout);
      if (r.state == server::GrpcHealth::kServing) return Ok();
      why += (why.empty() ? "" : "; ") + address + ": " + r.detail;
    }
    return MakeError(ErrorCode::kUnavailable, why);
  }

 private:
  std::vector<std::string> addresses_;
};

// What every service has: a PostgreSQL pool, NATS (connecting in the
// background), the outbox relay, metrics, readiness, and the HTTP and gRPC
// servers. A service adds its use cases, routes, gRPC service and workers.
class Runtime {
 public:
  Runtime(const Config& cfg, spdlog::logger& log) : cfg_(cfg), log_(log) {}
  virtual ~Runtime() = default;

  Status Init() {
    const std::string& service = cfg_.service;
    pool_options_.connect.url = cfg_.database.url;
    pool_options_.connect.connect_timeout = cfg_.database.connect_timeout;
    pool_options_.connect.statement_timeout = cfg_.database.statement_timeout;
    pool_options_.connect.application_name = "giia-" + service;
    pool_options_.connect.prepare_statements = cfg_.database.prepared_statements;
    pool_options_.connect.transaction_pooling = cfg_.database.transaction_pooling;
    pool_options_.max_size = cfg_.database.max_open_conns;
    pool_options_.acquire_timeout = cfg_.database.connect_timeout;
    pool_options_.max_lifetime = cfg_.database.conn_max_lifetime.count() > 0
                                     ? cfg_.database.conn_max_lifetime
                                     : std::chrono::hours(24);
    auto pool = pg::Pool::Create(pool_options_);
    if (!pool) return tl::unexpected(pool.error());
    pool_ = std::move(*pool);

    nats::NatsOptions nats_options;
    nats_options.url = cfg_.nats_url;
    nats_options.name = "giia-" + service;
    nats_options.connect_in_background = true;
    auto js = nats::JetStream::Connect(nats_options);
    if (!js) return tl::unexpected(js.error());
    js_ = std::move(*js);

    const auto schema = service == "auth" ? pg::OutboxSchema::kAuth : pg::OutboxSchema::kCatalog;
    outbox_ = std::make_unique<pg::PgOutboxSource>(*pool_, schema);
    signal_ = std::make_unique<events::LocalOutboxSignal>();
    publisher_ = std::make_unique<nats::JetStreamPublisher>(*js_);
    relay_ = std::make_unique<server::OutboxRelayWorker>(*outbox_, *publisher_, *signal_,
                                                         server::OutboxRelayOptions{}, log_);
    if (!cfg_.alert_webhook_url.empty()) {
      webhook_ = std::make_unique<http::WebhookAlert>(cfg_.alert_webhook_url);
    }
    alert_ = std::make_unique<server::LogDeadLetterAlert>(log_, webhook_.get());
    dlq_ = std::make_unique<nats::JetStreamDeadLetterQueue>(*js_);

    server::metrics::RegisterProcessMetrics(registry_);
    server::metrics::RegisterRelayMetrics(registry_, service, *relay_, *outbox_);
    registry_.AddCallback("giia_db_pool_open_connections", "Open PostgreSQL connections.", "gauge",
                          {{"service", service}},
                          [this] { return static_cast<double>(pool_->Stats().open); });
    registry_.AddCallback("giia_db_pool_in_use_connections", "PostgreSQL connections in use.",
                          "gauge", {{"service", service}},
                          [this] { return static_cast<double>(pool_->Stats().in_use); });

    auto shipped = pg::EmbeddedMigrations();
    if (!shipped) return tl::unexpected(shipped.error());
    for (const auto& m : *shipped) {
      if (m.service == service) migrations_.push_back(m);
    }
    pg_probe_ = std::make_unique<pg::PgProbe>(pool_options_.connect);
    schema_probe_ = std::make_unique<pg::SchemaProbe>(pool_options_.connect, service, migrations_);
    nats_probe_ = std::make_unique<LiveNatsProbe>(*js_);
    probes_ = {pg_probe_.get(), schema_probe_.get(), nats_probe_.get()};

    server::HttpServerOptions http_options;
    http_options.host = cfg_.http_host;
    http_options.port = cfg_.http_port;
    http_options.header_timeout = cfg_.http_header_timeout;
    http_options.idle_timeout = cfg_.http_idle_timeout;
    http_options.tls_cert_file = cfg_.tls_cert_file;
    http_options.tls_key_file = cfg_.tls_key_file;
    http_options.tls_client_ca_file = cfg_.tls_client_ca_file;
    http_ = std::make_unique<server::HttpServer>(http_options, registry_, log_);
    if (cfg_.metrics_port) {
      server::HttpServerOptions metrics_options;
      metrics_options.host = cfg_.http_host;
      metrics_options.port = *cfg_.metrics_port;
      metrics_options.threads = 2;
      metrics_options.header_timeout = cfg_.http_header_timeout;
      metrics_options.idle_timeout = cfg_.http_idle_timeout;
      metrics_http_ = std::make_unique<server::HttpServer>(metrics_options, registry_, log_);
      server::AddMetricsRoute(*metrics_http_, registry_);
    }

    if (auto ok = Build(); !ok) return ok;

    server::AddHealthRoutes(*http_, registry_, probes_, draining_, std::chrono::seconds(2),
                            !cfg_.metrics_port.has_value(), &log_);
    server::GrpcServerOptions grpc_options;
    grpc_options.host = cfg_.grpc_host;
    grpc_options.port = cfg_.grpc_port;
    grpc_options.reflection = cfg_.enable_grpc_reflection;
    grpc_options.services = {grpc_service_.get()};
    grpc_options.tls_cert_file = cfg_.tls_cert_file;
    grpc_options.tls_key_file = cfg_.tls_key_file;
    grpc_options.tls_client_ca_file = cfg_.tls_client_ca_file;
    grpc_ = std::make_unique<server::GrpcServer>(grpc_options);
    return Ok();
  }

  // Workers, then the network. Readiness turns ready once PostgreSQL answers
  // with the schema this binary ships.
  Status Start() {
    relay_->Start();
    StartWorkers();
    events_ = std::make_unique<EventsStarter>(*js_, consumer_.get(), consumer_stream_,
                                              consumer_subject_, cfg_.nats_stream_replicas, log_);
    auto grpc_port = grpc_->Start();
    if (!grpc_port) return tl::unexpected(grpc_port.error());
    auto http_port = http_->Start();
    if (!http_port) return tl::unexpected(http_port.error());
    if (metrics_http_) {
      auto metrics_port = metrics_http_->Start();
      if (!metrics_port) return tl::unexpected(metrics_port.error());
    }
    grpc_->SetServing(grpc_name_, true);
    grpc_->SetServing("", true);
    log_.info("serving {}: grpc {}:{} http {}:{}", cfg_.service, cfg_.grpc_host, *grpc_port,
              cfg_.http_host, *http_port);
    return Ok();
  }

  // Not ready and NOT_SERVING first, so that load balancers move away.
  void BeginDrain() {
    draining_.store(true);
    grpc_->SetServing("", false);
    grpc_->SetServing(grpc_name_, false);
  }

  // Stops accepting; calls in flight get until `deadline`.
  void StopAccepting(std::chrono::steady_clock::time_point deadline) {
    std::thread http_stop([&] {
      http_->Stop();
      if (metrics_http_) metrics_http_->Stop();
    });
    grpc_->Shutdown(Left(deadline));
    http_stop.join();
  }

  void StopWorkers(std::chrono::steady_clock::time_point deadline) {
    if (events_) events_->Stop();
    relay_->Stop();
    StopServiceWorkers(deadline);
  }

  const Config& config() const { return cfg_; }

 protected:
  static std::chrono::milliseconds Left(std::chrono::steady_clock::time_point deadline) {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  }

  // The pinned JWT codec, with the tokens that verified remembered: a cache
  // hit costs 0.1 µs, a verification 3.8 µs (HS256) or 50 µs (EdDSA)
  // (giia_microbench "[jwt]").
  Status InitTokens() {
    auto codec = MakeCodec(cfg_);
    if (!codec) return tl::unexpected(codec.error());
    codec_ = std::move(*codec);
    cached_codec_ = std::make_unique<authz::CachingTokenCodec>(*codec_);
    return Ok();
  }
  // What verifies tokens (REQUIRES: InitTokens succeeded).
  const authz::AccessTokenCodec& tokens() const { return *cached_codec_; }

  // The service's own part: use cases, routes on http_, grpc_service_ and
  // grpc_name_, extra probes and metrics, and optionally an event consumer.
  virtual Status Build() = 0;
  virtual void StartWorkers() {}
  virtual void StopServiceWorkers(std::chrono::steady_clock::time_point) {}

  const Config& cfg_;
  spdlog::logger& log_;
  std::unique_ptr<crypto::JwtCodec> codec_;
  std::unique_ptr<authz::CachingTokenCodec> cached_codec_;
  pg::PoolOptions pool_options_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<nats::JetStream> js_;
  std::unique_ptr<pg::PgOutboxSource> outbox_;
  std::unique_ptr<events::LocalOutboxSignal> signal_;
  std::unique_ptr<nats::JetStreamPublisher> publisher_;
  std::unique_ptr<server::OutboxRelayWorker> relay_;
  std::unique_ptr<http::WebhookAlert> webhook_;
  std::unique_ptr<server::LogDeadLetterAlert> alert_;
  std::unique_ptr<nats::JetStreamDeadLetterQueue> dlq_;
  server::metrics::Registry registry_;
  std::vector<migrate::Migration> migrations_;
  std::unique_ptr<pg::PgProbe> pg_probe_;
  std::unique_ptr<pg::SchemaProbe> schema_probe_;
  std::unique_ptr<LiveNatsProbe> nats_probe_;
  std::vector<health::DependencyProbe*> probes_;
  std::atomic<bool> draining_{false};
  std::unique_ptr<server::HttpServer> http_;
  std::unique_ptr<server::HttpServer> metrics_http_;
  std::unique_ptr<grpc::Service> grpc_service_;
  std::string grpc_name_;
  std::unique_ptr<server::GrpcServer> grpc_;
  // Set by Build when the service consumes events.
  std::unique_ptr<events::EventConsumer> consumer_;
  std::string consumer_stream_;
  std::string consumer_subject_;
  std::unique_ptr<EventsStarter> events_;
};

class AuthRuntime final : public Runtime {
 public:
  using Runtime::Runtime;

 private:
  Status Build() override {
    if (auto ok = InitTokens(); !ok) return ok;

    if (cfg_.email_provider == "file") {
      auto file = mail::FileMailer::Create(cfg_.email_file_dir);
      if (!file) return tl::unexpected(file.error());
      mailer_ = std::move(*file);
    } else if (cfg_.email_provider == "smtp") {
      mail::SmtpOptions smtp{cfg_.smtp_url, cfg_.smtp_from, cfg_.smtp_username, cfg_.smtp_password};
      smtp.require_tls = cfg_.smtp_require_tls;
      mailer_ = std::make_unique<mail::SmtpMailer>(std::move(smtp));
    } else {
      mailer_ = std::make_unique<mail::ConsoleMailer>(std::cerr);
    }
    auto redis_address = redis::ParseRedisUrl(cfg_.redis_url);
    if (!redis_address) return tl::unexpected(redis_address.error());
    redis_options_.address = *redis_address;
    redis_options_.pool_size = cfg_.redis_pool_size;
    redis_options_.key_prefix = cfg_.redis_key_prefix;
    auto redis_client = redis::RedisClient::Create(redis_options_);
    if (!redis_client) return tl::unexpected(redis_client.error());
    redis_ = std::move(*redis_client);
    shared_cache_ = std::make_unique<redis::RedisPermissionCache>(*redis_);
    limiter_ = std::make_unique<redis::RedisRateLimiter>(*redis_);
    redis_probe_ = std::make_unique<redis::RedisProbe>(*redis_address);
    probes_.push_back(redis_probe_.get());

    accounts_ = std::make_unique<pg::PgAccountStore>(*pool_, signal_.get());
    argon_ = std::make_unique<crypto::Argon2idHasher>(
        crypto::Argon2idParams{static_cast<std::uint64_t>(cfg_.password_hash_iterations),
                               static_cast<std::size_t>(cfg_.password_hash_memory_kib) * 1024});
    const int hash_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
    hasher_ = std::make_unique<auth::BoundedHasher>(*argon_, hash_threads, 512);
    permissions_ = std::make_unique<auth::PermissionResolver>(*accounts_, shared_cache_.get(),
                                                              std::chrono::minutes(5));
    listener_ = std::make_unique<redis::InvalidationListener>(
        redis_options_, [this](const redis::InvalidationListener::Invalidation& which) {
          if (which) {
            permissions_->Drop(which->first, which->second);
          } else {
            permissions_->DropAll();
          }
        });
    audit_store_ = std::make_unique<pg::PgAuditStore>(*pool_);
    audit_ =
        std::make_unique<server::AuditWriter>(*audit_store_, server::AuditWriterOptions{}, log_);
    auth::AuthSettings settings;
    settings.access_ttl = std::chrono::duration_cast<std::chrono::seconds>(cfg_.jwt_expiration);
    settings.refresh_ttl =
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.jwt_refresh_expiration);
    settings.refresh_max_lifetime =
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.jwt_refresh_max_lifetime);
    settings.login_rate_per_minute =
        cfg_.rate_limit_enabled ? cfg_.rate_limit_requests_per_minute : 0;
    settings.register_rate_per_minute =
        cfg_.rate_limit_enabled ? cfg_.rate_limit_registrations_per_minute : 0;
    settings.pending_registration_ttl =
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.pending_registration_ttl);
    settings.audit_enabled = cfg_.enable_audit_logging;
    settings.audit_allowed_sample = cfg_.audit_allowed_sample_rate;
    service_ = std::make_unique<auth::AuthService>(
        auth::AuthDeps{*accounts_, *hasher_, tokens(), secrets_, *permissions_, *audit_,
                       cfg_.rate_limit_enabled ? limiter_.get() : nullptr},
        settings);

    verification_ = std::make_unique<auth::VerificationMailer>(
        *accounts_, secrets_, *mailer_, cfg_.public_base_url + "/api/v1/auth/verify-email",
        std::chrono::hours(24));
    processed_ = std::make_unique<pg::PgProcessedEvents>(*pool_, pg::OutboxSchema::kAuth);
    consumer_ = std::make_unique<events::EventConsumer>("auth-email", *verification_, *processed_,
                                                        *dlq_, alert_.get(), events::RetryPolicy{});
    consumer_stream_ = "AUTH_EVENTS";
    consumer_subject_ = "auth.user.registered";
    server::metrics::RegisterConsumerMetrics(registry_, *consumer_);

    auth::PermissionResolver& p = *permissions_;
    registry_.AddCallback("giia_permission_cache_hits_total",
                          "Permission lookups answered from memory.", "counter", {},
                          [&p] { return static_cast<double>(p.stats().local_hits); });
    registry_.AddCallback("giia_permission_cache_shared_hits_total",
                          "Permission lookups answered from Redis.", "counter", {},
                          [&p] { return static_cast<double>(p.stats().shared_hits); });
    registry_.AddCallback("giia_permission_cache_misses_total",
                          "Permission lookups that went to PostgreSQL.", "counter", {},
                          [&p] { return static_cast<double>(p.stats().misses); });
    server::AuditWriter& a = *audit_;
    registry_.AddCallback("giia_audit_entries_written_total", "Audit log entries written.",
                          "counter", {}, [&a] { return static_cast<double>(a.written()); });
    registry_.AddCallback("giia_audit_entries_dropped_total",
                          "Audit log entries dropped because the queue was full.", "counter", {},
                          [&a] { return static_cast<double>(a.dropped()); });
    registry_.AddCallback("giia_audit_entries_rejected_total",
                          "Audit log entries dropped because the database refused their data.",
                          "counter", {}, [&a] { return static_cast<double>(a.rejected()); });
    registry_.AddCallback("giia_audit_queue_depth", "Audit log entries waiting to be written.",
                          "gauge", {}, [&a] { return static_cast<double>(a.queued()); });

    server::AddAuthRoutes(*http_, *service_, tokens(), cfg_.trusted_proxies);
    grpc_service_ = server::MakeAuthGrpcService(*service_, registry_, log_, cfg_.trusted_proxies);
    grpc_name_ = "giia.auth.v1.AuthService";
    return Ok();
  }

  void StartWorkers() override {
    audit_->Start();
    if (auto ok = listener_->Start(); !ok) log_.warn("redis: {}", ok.error().message);
  }

  void StopServiceWorkers(std::chrono::steady_clock::time_point deadline) override {
    listener_->Stop();
    const std::size_t unwritten =
        audit_->Stop(std::max(Left(deadline), std::chrono::milliseconds(1000)));
    log_.info("stopped auth: {} audit entries written, {} unwritten", audit_->written(), unwritten);
  }

  std::unique_ptr<auth::Mailer> mailer_;
  redis::RedisOptions redis_options_;
  std::unique_ptr<redis::RedisClient> redis_;
  std::unique_ptr<redis::RedisPermissionCache> shared_cache_;
  std::unique_ptr<redis::RedisRateLimiter> limiter_;
  std::unique_ptr<redis::RedisProbe> redis_probe_;
  std::unique_ptr<pg::PgAccountStore> accounts_;
  crypto::SodiumSecrets secrets_;
  std::unique_ptr<crypto::Argon2idHasher> argon_;
  std::unique_ptr<auth::BoundedHasher> hasher_;
  std::unique_ptr<auth::PermissionResolver> permissions_;
  std::unique_ptr<redis::InvalidationListener> listener_;
  std::unique_ptr<pg::PgAuditStore> audit_store_;
  std::unique_ptr<server::AuditWriter> audit_;
  std::unique_ptr<auth::AuthService> service_;
  std::unique_ptr<auth::VerificationMailer> verification_;
  std::unique_ptr<pg::PgProcessedEvents> processed_;
};

class CatalogRuntime final : public Runtime {
 public:
  using Runtime::Runtime;

 private:
  Status Build() override {
    if (auto ok = InitTokens(); !ok) return ok;

    server::AuthClientOptions client;
    client.addresses = cfg_.auth_grpc_addrs;
    client.timeout = cfg_.auth_grpc_timeout;
    client.attempt_timeout = cfg_.auth_grpc_attempt_timeout;
    client.max_attempts = cfg_.auth_grpc_max_attempts;
    client.breaker.failures = cfg_.auth_grpc_breaker_failures;
    client.breaker.cooldown = cfg_.auth_grpc_breaker_cooldown;
    client.ca_file = cfg_.auth_grpc_ca_file;
    client.cert_file = cfg_.tls_cert_file;
    client.key_file = cfg_.tls_key_file;
    auto oracle = server::GrpcPermissionOracle::Create(client);
    if (!oracle) return tl::unexpected(oracle.error());
    oracle_ = std::move(*oracle);
    oracle_->ExportMetrics(registry_);
    catalog::RemoteAuthorizerOptions authz;
    authz.ttl = cfg_.permission_cache_ttl;
    // A revoked version is remembered while a token of it can still be alive.
    authz.revocation_memory =
        std::max<std::chrono::milliseconds>(authz.revocation_memory, cfg_.jwt_expiration * 2);
    authorizer_ = std::make_unique<catalog::RemoteAuthorizer>(tokens(), *oracle_, authz);
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
      auth_probe_ = std::make_unique<AuthProbe>(cfg_.auth_grpc_addrs);
      probes_.push_back(auth_probe_.get());
    }

    store_ = std::make_unique<pg::PgCatalogStore>(*pool_, signal_.get());
    service_ = std::make_unique<catalog::CatalogService>(
        catalog::CatalogDeps{*store_, [this] { return secrets_.NewUuid(); }});

    catalog::RemoteAuthorizer& r = *authorizer_;
    registry_.AddCallback("giia_permission_decisions_cached_total",
                          "Requests whose permissions the local cache answered.", "counter", {},
                          [&r] { return static_cast<double>(r.stats().hits); });
    registry_.AddCallback("giia_permission_decisions_asked_total",
                          "Requests whose permissions were asked of the auth service.", "counter",
                          {}, [&r] { return static_cast<double>(r.stats().misses); });
    registry_.AddCallback("giia_permission_decisions_unavailable_total",
                          "Requests refused because auth could not be asked.", "counter", {},
                          [&r] { return static_cast<double>(r.stats().unavailable); });

    server::AddCatalogRoutes(*http_, *service_, *authorizer_, cfg_.trusted_proxies);
    grpc_service_ = server::MakeCatalogGrpcService(*service_, *authorizer_, registry_, log_,
                                                   cfg_.trusted_proxies);
    grpc_name_ = "giia.catalog.v1.CatalogService";
    return Ok();
  }

  std::unique_ptr<server::GrpcPermissionOracle> oracle_;
  std::unique_ptr<catalog::RemoteAuthorizer> authorizer_;
  std::unique_ptr<nats::Subscription> auth_events_;  // uses authorizer_: declared after it
  std::unique_ptr<AuthProbe> auth_probe_;
  crypto::SodiumSecrets secrets_;
  std::unique_ptr<pg::PgCatalogStore> store_;
  std::unique_ptr<catalog::CatalogService> service_;
};

void RunServe(const ServeOptions& o, CommandEnv& env) {
  // Signals are taken by sigwait below; every thread started from here on
  // inherits the mask, so none of them is interrupted by SIGTERM.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that goes away mid-response (TLS writes use write(), not send()
  // with MSG_NOSIGNAL) must cost an EPIPE on that connection, not the process.
  ::signal(SIGPIPE, SIG_IGN);

  // `all`: both services in one process, each with its own configuration
  // (AUTH_* and CATALOG_* keys win over the bare ones). Catalog first in the
  // list, so that it drains before the auth service it calls.
  const std::vector<std::string> names = o.service == "all"
                                             ? std::vector<std::string>{"catalog", "auth"}
                                             : std::vector<std::string>{o.service};
  const std::vector<std::string> required = {"DATABASE_URL"};
  std::vector<LoadedConfig> configs;
  for (const std::string& name : names) {
    auto loaded = env.Load(name, {}, {}, required);
    if (!loaded) return;
    configs.push_back(std::move(*loaded));
  }
  auto fail = [&](const Error& e) { env.Fail(e, true); };
  if (auto ok = crypto::InitSodium(); !ok) return fail(ok.error());

  std::vector<std::unique_ptr<Runtime>> runtimes;
  for (const LoadedConfig& loaded : configs) {
    if (loaded.config.service == "auth") {
      runtimes.push_back(std::make_unique<AuthRuntime>(loaded.config, *loaded.log));
    } else {
      runtimes.push_back(std::make_unique<CatalogRuntime>(loaded.config, *loaded.log));
    }
    if (auto ok = runtimes.back()->Init(); !ok) return fail(ok.error());
  }
  // Auth starts first, so that the catalog's first calls find it.
  for (auto it = runtimes.rbegin(); it != runtimes.rend(); ++it) {
    if (auto ok = (*it)->Start(); !ok) return fail(ok.error());
  }

  int received = 0;
  sigwait(&signals, &received);
  spdlog::logger& log = *configs.front().log;
  auto timeout = configs.front().config.shutdown_timeout;
  for (const LoadedConfig& c : configs) timeout = std::max(timeout, c.config.shutdown_timeout);
  log.info("{} received: draining (up to {} ms)", received == SIGTERM ? "SIGTERM" : "SIGINT",
           timeout.count());

  // --- stop, in reverse
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& r : runtimes) r->BeginDrain();
  for (auto& r : runtimes) r->StopAccepting(deadline);
  for (auto& r : runtimes) r->StopWorkers(deadline);
  log.info("stopped");
}

}  // namespace

void RegisterServe(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run a service in the foreground (gRPC + REST + health + metrics) until SIGTERM");
  cmd->add_option("service", o->service, "The service to run")
      ->required()
      ->check(CLI::IsMember({"auth", "catalog", "all"}));
  cmd->footer(HelpFooter("giia --env-file .devenv/env serve all"));
  cmd->callback([o, &env] { RunServe(*o, env); });
}

}  // namespace giia::cli
