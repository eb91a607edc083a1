// `giia serve auth`: the composition root of the auth service. Start order:
// configuration (every problem reported, exit 1, before any port opens),
// adapters (pool, Redis, NATS in the background), workers (outbox relay,
// e-mail consumer, audit writer), then gRPC and HTTP. Readiness turns ready
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

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/crypto/jwt.hpp"
#include "adapters/crypto/secrets.hpp"
#include "adapters/http/webhook.hpp"
#include "adapters/mail/mailer.hpp"
#include "adapters/mail/smtp_mailer.hpp"
#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/account_store.hpp"
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
#include "core/auth/token_cache.hpp"
#include "server/auth/auth_grpc.hpp"
#include "server/auth/auth_rest.hpp"
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
    return MakeError(ErrorCode::kUnavailable, "not connected to " + js_.url());
  }

 private:
  nats::JetStream& js_;
};

// Streams, then the e-mail consumer, once NATS is there (it may come later).
class EventsStarter {
 public:
  EventsStarter(nats::JetStream& js, events::EventConsumer& consumer, spdlog::logger& log)
      : js_(js), consumer_(consumer), log_(log) {
    thread_ = std::thread([this] { Run(); });
  }
  ~EventsStarter() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (worker_) worker_->Stop();
  }

 private:
  void Run() {
    auto delay = std::chrono::milliseconds(200);
    while (!stop_.load()) {
      if (js_.WaitUntilConnected(std::chrono::milliseconds(200))) {
        auto streams = nats::DefaultStreams();
        Status ok = js_.EnsureStreams(streams);
        if (ok) {
          auto source = nats::PullConsumer::Create(
              js_, {"AUTH_EVENTS", consumer_.name(), "auth.user.registered"});
          if (source) {
            source_ = std::move(*source);
            worker_ = std::make_unique<server::EventConsumerWorker>(
                *source_, consumer_, server::EventConsumerOptions{}, log_);
            worker_->Start();
            log_.info("events: streams ensured; consumer {} started", consumer_.name());
            return;
          }
          ok = tl::unexpected(source.error());
        }
        log_.warn("events: cannot set up streams and consumers yet: {}", ok.error().message);
        for (auto waited = std::chrono::milliseconds(0); waited < delay && !stop_.load();
             waited += std::chrono::milliseconds(50)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        delay = std::min(delay * 2, std::chrono::milliseconds(5000));
      }
    }
  }

  nats::JetStream& js_;
  events::EventConsumer& consumer_;
  spdlog::logger& log_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<nats::PullConsumer> source_;
  std::unique_ptr<server::EventConsumerWorker> worker_;
  std::thread thread_;
};

struct ServeOptions {
  std::string service;
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

  const std::vector<std::string> required = {"DATABASE_URL"};
  auto loaded = env.Load(o.service, {}, {}, required);
  if (!loaded) return;
  const Config& cfg = loaded->config;
  spdlog::logger& log = *loaded->log;
  auto fail = [&](const Error& e) { env.Fail(e, true); };

  if (auto ok = crypto::InitSodium(); !ok) return fail(ok.error());
  crypto::JwtOptions jwt;
  if (!cfg.jwt_secret.empty()) {
    jwt.algorithm = "HS256";
    jwt.secret = cfg.jwt_secret;
  } else if (!cfg.jwt_private_key_file.empty()) {
    jwt.algorithm = "EdDSA";
    jwt.private_key_file = cfg.jwt_private_key_file;
    jwt.public_key_file = cfg.jwt_public_key_file;
  } else {
    return fail(InvalidArgument("JWT_SECRET",
                                "serve auth needs JWT_SECRET (HS256) or JWT_PRIVATE_KEY_FILE and "
                                "JWT_PUBLIC_KEY_FILE (EdDSA)")
                    .value());
  }
  auto codec = crypto::MakeJwtCodec(jwt);
  if (!codec) return fail(codec.error());
  // EdDSA verification is ~50 µs: remember tokens that verified. HS256 is
  // faster than the cache lookup would be worth.
  std::unique_ptr<auth::CachingTokenCodec> cached_codec;
  if (jwt.algorithm == "EdDSA") cached_codec = std::make_unique<auth::CachingTokenCodec>(**codec);
  const auth::AccessTokenCodec& tokens =
      cached_codec ? static_cast<const auth::AccessTokenCodec&>(*cached_codec) : **codec;

  std::unique_ptr<auth::Mailer> mailer;
  if (cfg.email_provider == "file") {
    auto file = mail::FileMailer::Create(cfg.email_file_dir);
    if (!file) return fail(file.error());
    mailer = std::move(*file);
  } else if (cfg.email_provider == "smtp") {
    mailer = std::make_unique<mail::SmtpMailer>(
        mail::SmtpOptions{cfg.smtp_url, cfg.smtp_from, cfg.smtp_username, cfg.smtp_password});
  } else {
    mailer = std::make_unique<mail::ConsoleMailer>(std::cerr);
  }
  auto redis_address = redis::ParseRedisUrl(cfg.redis_url);
  if (!redis_address) return fail(redis_address.error());

  // --- adapters
  pg::PoolOptions pool_options;
  pool_options.connect.url = cfg.database.url;
  pool_options.connect.connect_timeout = cfg.database.connect_timeout;
  pool_options.connect.statement_timeout = cfg.database.statement_timeout;
  pool_options.connect.application_name = "giia-" + o.service;
  pool_options.max_size = cfg.database.max_open_conns;
  pool_options.acquire_timeout = cfg.database.connect_timeout;
  pool_options.max_lifetime = cfg.database.conn_max_lifetime.count() > 0
                                  ? cfg.database.conn_max_lifetime
                                  : std::chrono::hours(24);
  auto pool = pg::Pool::Create(pool_options);
  if (!pool) return fail(pool.error());

  redis::RedisOptions redis_options;
  redis_options.address = *redis_address;
  redis_options.pool_size = cfg.redis_pool_size;
  redis_options.key_prefix = cfg.redis_key_prefix;
  auto redis_client = redis::RedisClient::Create(redis_options);
  if (!redis_client) return fail(redis_client.error());
  redis::RedisPermissionCache shared_cache(**redis_client);
  redis::RedisRateLimiter limiter(**redis_client);

  nats::NatsOptions nats_options;
  nats_options.url = cfg.nats_url;
  nats_options.name = "giia-" + o.service;
  nats_options.connect_in_background = true;
  auto js = nats::JetStream::Connect(nats_options);
  if (!js) return fail(js.error());

  // --- the use cases
  pg::PgAccountStore accounts(**pool);
  crypto::SodiumSecrets secrets;
  crypto::Argon2idHasher argon({static_cast<std::uint64_t>(cfg.password_hash_iterations),
                                static_cast<std::size_t>(cfg.password_hash_memory_kib) * 1024});
  const int hash_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
  auth::BoundedHasher hasher(argon, hash_threads, 512);
  auth::PermissionResolver permissions(accounts, &shared_cache, std::chrono::minutes(5));
  redis::InvalidationListener listener(
      redis_options, [&permissions](const redis::InvalidationListener::Invalidation& which) {
        if (which) {
          permissions.Drop(which->first, which->second);
        } else {
          permissions.DropAll();
        }
      });
  pg::PgAuditStore audit_store(**pool);
  server::AuditWriter audit(audit_store, {}, log);
  auth::AuthSettings settings;
  settings.access_ttl = std::chrono::duration_cast<std::chrono::seconds>(cfg.jwt_expiration);
  settings.refresh_ttl =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.jwt_refresh_expiration);
  settings.login_rate_per_minute = cfg.rate_limit_enabled ? cfg.rate_limit_requests_per_minute : 0;
  settings.audit_enabled = cfg.enable_audit_logging;
  settings.audit_allowed_sample = cfg.audit_allowed_sample_rate;
  auth::AuthService service(auth::AuthDeps{accounts, hasher, **codec, secrets, permissions, audit,
                                           cfg.rate_limit_enabled ? &limiter : nullptr},
                            settings);

  // --- workers
  pg::PgOutboxSource outbox(**pool, pg::OutboxSchema::kAuth);
  pg::PgOutboxSignal signal(pool_options.connect, pg::OutboxSchema::kAuth);
  nats::JetStreamPublisher publisher(**js);
  server::OutboxRelayWorker relay(outbox, publisher, signal, {}, log);
  auth::VerificationMailer verification(accounts, secrets, *mailer,
                                        cfg.public_base_url + "/api/v1/auth/verify-email",
                                        std::chrono::hours(24));
  pg::PgProcessedEvents processed(**pool, pg::OutboxSchema::kAuth);
  nats::JetStreamDeadLetterQueue dlq(**js);
  std::unique_ptr<http::WebhookAlert> webhook;
  if (!cfg.alert_webhook_url.empty()) {
    webhook = std::make_unique<http::WebhookAlert>(cfg.alert_webhook_url);
  }
  server::LogDeadLetterAlert alert(log, webhook.get());
  events::EventConsumer email_consumer("auth-email", verification, processed, dlq, &alert,
                                       events::RetryPolicy{});

  server::metrics::Registry registry;
  server::metrics::RegisterProcessMetrics(registry);
  server::metrics::RegisterRelayMetrics(registry, o.service, relay, outbox);
  server::metrics::RegisterConsumerMetrics(registry, email_consumer);
  registry.AddCallback("giia_db_pool_open_connections", "Open PostgreSQL connections.", "gauge",
                       {{"service", o.service}},
                       [&pool] { return static_cast<double>((*pool)->Stats().open); });
  registry.AddCallback("giia_db_pool_in_use_connections", "PostgreSQL connections in use.", "gauge",
                       {{"service", o.service}},
                       [&pool] { return static_cast<double>((*pool)->Stats().in_use); });
  registry.AddCallback(
      "giia_permission_cache_hits_total", "Permission lookups answered from memory.", "counter", {},
      [&permissions] { return static_cast<double>(permissions.stats().local_hits); });
  registry.AddCallback("giia_permission_cache_shared_hits_total",
                       "Permission lookups answered from Redis.", "counter", {}, [&permissions] {
                         return static_cast<double>(permissions.stats().shared_hits);
                       });
  registry.AddCallback("giia_permission_cache_misses_total",
                       "Permission lookups that went to PostgreSQL.", "counter", {},
                       [&permissions] { return static_cast<double>(permissions.stats().misses); });
  registry.AddCallback("giia_audit_entries_written_total", "Audit log entries written.", "counter",
                       {}, [&audit] { return static_cast<double>(audit.written()); });
  registry.AddCallback("giia_audit_entries_dropped_total",
                       "Audit log entries dropped because the queue was full.", "counter", {},
                       [&audit] { return static_cast<double>(audit.dropped()); });
  registry.AddCallback("giia_audit_queue_depth", "Audit log entries waiting to be written.",
                       "gauge", {}, [&audit] { return static_cast<double>(audit.queued()); });

  // --- network
  auto shipped = pg::EmbeddedMigrations();
  if (!shipped) return fail(shipped.error());
  std::vector<migrate::Migration> mine;
  for (const auto& m : *shipped) {
    if (m.service == o.service) mine.push_back(m);
  }
  pg::PgProbe pg_probe(pool_options.connect);
  pg::SchemaProbe schema_probe(pool_options.connect, o.service, mine);
  redis::RedisProbe redis_probe(*redis_address);
  LiveNatsProbe nats_probe(**js);
  health::DependencyProbe* probes[] = {&pg_probe, &schema_probe, &redis_probe, &nats_probe};
  std::atomic<bool> draining{false};

  server::HttpServerOptions http_options;
  http_options.host = cfg.http_host;
  http_options.port = cfg.http_port;
  http_options.tls_cert_file = cfg.tls_cert_file;
  http_options.tls_key_file = cfg.tls_key_file;
  http_options.tls_client_ca_file = cfg.tls_client_ca_file;
  server::HttpServer http(http_options, registry, log);
  server::AddHealthRoutes(http, registry, probes, draining, std::chrono::seconds(2),
                          !cfg.metrics_port.has_value());
  std::unique_ptr<server::HttpServer> metrics_http;
  if (cfg.metrics_port) {
    server::HttpServerOptions metrics_options;
    metrics_options.host = cfg.http_host;
    metrics_options.port = *cfg.metrics_port;
    metrics_options.threads = 2;
    metrics_http = std::make_unique<server::HttpServer>(metrics_options, registry, log);
    server::AddMetricsRoute(*metrics_http, registry);
  }
  server::AddAuthRoutes(http, service, tokens);

  std::unique_ptr<grpc::Service> auth_grpc = server::MakeAuthGrpcService(service, registry, log);
  server::GrpcServerOptions grpc_options;
  grpc_options.host = cfg.grpc_host;
  grpc_options.port = cfg.grpc_port;
  grpc_options.reflection = cfg.enable_grpc_reflection;
  grpc_options.services = {auth_grpc.get()};
  grpc_options.tls_cert_file = cfg.tls_cert_file;
  grpc_options.tls_key_file = cfg.tls_key_file;
  grpc_options.tls_client_ca_file = cfg.tls_client_ca_file;
  server::GrpcServer grpc_server(grpc_options);

  // --- start
  audit.Start();
  relay.Start();
  if (auto ok = listener.Start(); !ok) log.warn("redis: {}", ok.error().message);
  EventsStarter events_starter(**js, email_consumer, log);
  auto grpc_port = grpc_server.Start();
  if (!grpc_port) return fail(grpc_port.error());
  auto http_port = http.Start();
  if (!http_port) return fail(http_port.error());
  if (metrics_http) {
    auto metrics_port = metrics_http->Start();
    if (!metrics_port) return fail(metrics_port.error());
  }
  grpc_server.SetServing("giia.auth.v1.AuthService", true);
  grpc_server.SetServing("", true);
  log.info("serving {}: grpc {}:{} http {}:{}", o.service, cfg.grpc_host, *grpc_port, cfg.http_host,
           *http_port);

  int received = 0;
  sigwait(&signals, &received);
  log.info("{} received: draining (up to {} ms)", received == SIGTERM ? "SIGTERM" : "SIGINT",
           cfg.shutdown_timeout.count());

  // --- stop, in reverse
  draining.store(true);
  grpc_server.SetServing("", false);
  grpc_server.SetServing("giia.auth.v1.AuthService", false);
  const auto deadline = std::chrono::steady_clock::now() + cfg.shutdown_timeout;
  auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  std::thread http_stop([&] {
    http.Stop();
    if (metrics_http) metrics_http->Stop();
  });
  grpc_server.Shutdown(left());
  http_stop.join();
  events_starter.Stop();
  relay.Stop();
  listener.Stop();
  const std::size_t unwritten = audit.Stop(std::max(left(), std::chrono::milliseconds(1000)));
  log.info("stopped {}: {} audit entries written, {} unwritten", o.service, audit.written(),
           unwritten);
}

}  // namespace

void RegisterServe(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run a service in the foreground (gRPC + REST + health + metrics) until SIGTERM");
  cmd->add_option("service", o->service, "The service to run")
      ->required()
      ->check(CLI::IsMember({"auth"}));
  cmd->footer(HelpFooter("giia --env-file .devenv/env serve auth"));
  cmd->callback([o, &env] { RunServe(*o, env); });
}

}  // namespace giia::cli
