#include "cli/runtime/service_runtime.hpp"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <thread>

#include "adapters/postgres/embedded_migrations.hpp"
#include "server/http/health_routes.hpp"
#include "server/metrics/event_metrics.hpp"
#include "server/metrics/process_metrics.hpp"

namespace giia::cli {
namespace {

pg::PoolOptions PoolOptionsOf(const Config& cfg) {
  pg::PoolOptions o;
  o.connect.url = cfg.database.url;
  o.connect.connect_timeout = cfg.database.connect_timeout;
  o.connect.statement_timeout = cfg.database.statement_timeout;
  o.connect.application_name = "giia-" + cfg.service;
  o.connect.prepare_statements = cfg.database.prepared_statements;
  o.connect.transaction_pooling = cfg.database.transaction_pooling;
  // Half of them go to the asynchronous pool (ServiceRuntime::Init).
  o.max_size = std::max(1, cfg.database.max_open_conns - cfg.database.max_open_conns / 2);
  o.acquire_timeout = cfg.database.connect_timeout;
  o.max_lifetime = cfg.database.conn_max_lifetime.count() > 0 ? cfg.database.conn_max_lifetime
                                                              : std::chrono::hours(24);
  return o;
}

server::HttpServerOptions HttpOptionsOf(const Config& cfg, int port) {
  server::HttpServerOptions o;
  o.host = cfg.http_host;
  o.port = port;
  o.header_timeout = cfg.http_header_timeout;
  o.idle_timeout = cfg.http_idle_timeout;
  return o;
}

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

}  // namespace

ServiceRuntime::~ServiceRuntime() = default;

Status ServiceRuntime::Init() {
  const std::string& service = cfg_.service;
  pool_options_ = PoolOptionsOf(cfg_);
  auto pool = pg::Pool::Create(pool_options_);
  if (!pool) return tl::unexpected(pool.error());
  pool_ = std::move(*pool);
  // The hot paths run on the asynchronous pool (no thread waits for them);
  // it takes half of DATABASE_MAX_OPEN_CONNS, the blocking pool the other
  // half.
  pg::AsyncPoolOptions async;
  async.connect = pool_options_.connect;
  async.max_size = std::max(1, cfg_.database.max_open_conns / 2);
  async.max_lifetime = pool_options_.max_lifetime;
  auto async_pool = pg::AsyncPool::Create(async);
  if (!async_pool) return tl::unexpected(async_pool.error());
  async_pool_ = std::move(*async_pool);

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
  auto async_figure = [this](auto field) {
    return [this, field] { return static_cast<double>(async_pool_->Stats().*field); };
  };
  const server::metrics::Labels labels{{"service", service}};
  registry_.AddCallback("giia_db_async_pool_open_connections",
                        "Open connections of the asynchronous PostgreSQL pool.", "gauge", labels,
                        async_figure(&pg::AsyncPoolStats::open));
  registry_.AddCallback("giia_db_async_pool_busy_connections",
                        "Asynchronous pool connections running a statement or a transaction.",
                        "gauge", labels, async_figure(&pg::AsyncPoolStats::busy));
  registry_.AddCallback("giia_db_async_pool_waiting",
                        "Statements and transactions waiting for an asynchronous pool connection.",
                        "gauge", labels, async_figure(&pg::AsyncPoolStats::waiting));
  registry_.AddCallback("giia_db_async_pool_cancelled_total",
                        "Statements the asynchronous pool cancelled at their deadline.", "counter",
                        labels, async_figure(&pg::AsyncPoolStats::cancelled_total));
  registry_.AddCallback("giia_db_async_pool_discarded_total",
                        "Asynchronous pool connections closed because they broke or expired.",
                        "counter", labels, async_figure(&pg::AsyncPoolStats::discarded_total));

  auto shipped = pg::EmbeddedMigrations();
  if (!shipped) return tl::unexpected(shipped.error());
  for (const auto& m : *shipped) {
    if (m.service == service) migrations_.push_back(m);
  }
  pg_probe_ = std::make_unique<pg::PgProbe>(pool_options_.connect);
  schema_probe_ = std::make_unique<pg::SchemaProbe>(pool_options_.connect, service, migrations_);
  nats_probe_ = std::make_unique<nats::LiveNatsProbe>(*js_);
  probes_ = {pg_probe_.get(), schema_probe_.get(), nats_probe_.get()};

  server::HttpServerOptions http_options = HttpOptionsOf(cfg_, cfg_.http_port);
  http_options.tls_cert_file = cfg_.tls_cert_file;
  http_options.tls_key_file = cfg_.tls_key_file;
  http_options.tls_client_ca_file = cfg_.tls_client_ca_file;
  http_ = std::make_unique<server::HttpServer>(http_options, registry_, log_);
  if (cfg_.metrics_port) {
    server::HttpServerOptions metrics_options = HttpOptionsOf(cfg_, *cfg_.metrics_port);
    metrics_options.threads = 2;
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

std::chrono::milliseconds ServiceRuntime::AsyncTimeout() const {
  return cfg_.database.statement_timeout.count() > 0 ? cfg_.database.statement_timeout
                                                     : std::chrono::hours(24);
}

// Workers, then the network. Readiness turns ready once PostgreSQL answers
// with the schema this binary ships.
Status ServiceRuntime::Start() {
  relay_->Start();
  StartWorkers();
  streams_ = std::make_unique<nats::StreamSetup>(
      *js_, cfg_.nats_stream_replicas,
      [this]() -> Status {
        if (!consumer_) {
          log_.info("events: streams ensured");
          return Ok();
        }
        auto source = nats::PullConsumer::Create(
            *js_, {consumer_stream_, consumer_->name(), consumer_subject_});
        if (!source) return tl::unexpected(source.error());
        source_ = std::move(*source);
        consumer_worker_ = std::make_unique<server::EventConsumerWorker>(
            *source_, *consumer_, server::EventConsumerOptions{}, log_);
        consumer_worker_->Start();
        log_.info("events: streams ensured; consumer {} started", consumer_->name());
        return Ok();
      },
      [this](const std::string& why) {
        log_.warn("events: cannot set up streams and consumers yet: {}", why);
      });
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
void ServiceRuntime::BeginDrain() {
  draining_.store(true);
  grpc_->SetServing("", false);
  grpc_->SetServing(grpc_name_, false);
}

void ServiceRuntime::StopAccepting(std::chrono::steady_clock::time_point deadline) {
  std::thread http_stop([&] {
    http_->Stop();
    if (metrics_http_) metrics_http_->Stop();
  });
  grpc_->Shutdown(Left(deadline));
  http_stop.join();
}

void ServiceRuntime::StopWorkers(std::chrono::steady_clock::time_point deadline) {
  if (streams_) streams_->Stop();
  if (consumer_worker_) consumer_worker_->Stop();
  relay_->Stop();
  StopServiceWorkers(deadline);
}

std::chrono::milliseconds ServiceRuntime::Left(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now()));
}

Status ServiceRuntime::InitTokens() {
  auto codec = MakeCodec(cfg_);
  if (!codec) return tl::unexpected(codec.error());
  codec_ = std::move(*codec);
  cached_codec_ = std::make_unique<authz::CachingTokenCodec>(*codec_);
  return Ok();
}

}  // namespace giia::cli
