#include "cli/runtime/auth_runtime.hpp"

#include <algorithm>
#include <iostream>
#include <thread>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/crypto/secrets.hpp"
#include "adapters/mail/mailer.hpp"
#include "adapters/mail/smtp_mailer.hpp"
#include "adapters/postgres/account_store.hpp"
#include "adapters/redis/client.hpp"
#include "adapters/redis/permission_cache.hpp"
#include "adapters/redis/probe.hpp"
#include "adapters/redis/rate_limiter.hpp"
#include "cli/runtime/service_runtime.hpp"
#include "core/auth/email_verification.hpp"
#include "core/auth/hashing_pool.hpp"
#include "core/auth/service.hpp"
#include "server/auth/auth_grpc.hpp"
#include "server/auth/auth_rest.hpp"
#include "server/metrics/event_metrics.hpp"
#include "server/metrics/service_metrics.hpp"
#include "server/workers/audit_writer.hpp"

namespace giia::cli {
namespace {

Result<std::unique_ptr<auth::Mailer>> MakeMailer(const Config& cfg) {
  if (cfg.email_provider == "file") {
    auto file = mail::FileMailer::Create(cfg.email_file_dir);
    if (!file) return tl::unexpected(file.error());
    return std::unique_ptr<auth::Mailer>(std::move(*file));
  }
  if (cfg.email_provider == "smtp") {
    mail::SmtpOptions smtp{cfg.smtp_url, cfg.smtp_from, cfg.smtp_username, cfg.smtp_password};
    smtp.require_tls = cfg.smtp_require_tls;
    return std::make_unique<mail::SmtpMailer>(std::move(smtp));
  }
  return std::make_unique<mail::ConsoleMailer>(std::cerr);
}

auth::AuthSettings SettingsOf(const Config& cfg) {
  using std::chrono::seconds;
  auth::AuthSettings s;
  s.access_ttl = std::chrono::duration_cast<seconds>(cfg.jwt_expiration);
  s.refresh_ttl = std::chrono::duration_cast<seconds>(cfg.jwt_refresh_expiration);
  s.refresh_max_lifetime = std::chrono::duration_cast<seconds>(cfg.jwt_refresh_max_lifetime);
  s.login_rate_per_minute = cfg.rate_limit_enabled ? cfg.rate_limit_requests_per_minute : 0;
  s.register_rate_per_minute = cfg.rate_limit_enabled ? cfg.rate_limit_registrations_per_minute : 0;
  s.pending_registration_ttl = std::chrono::duration_cast<seconds>(cfg.pending_registration_ttl);
  s.audit_enabled = cfg.enable_audit_logging;
  s.audit_allowed_sample = cfg.audit_allowed_sample_rate;
  return s;
}

class AuthRuntime final : public ServiceRuntime {
 public:
  using ServiceRuntime::ServiceRuntime;

 private:
  Status Build() override {
    if (auto ok = InitTokens(); !ok) return ok;
    auto mailer = MakeMailer(cfg_);
    if (!mailer) return tl::unexpected(mailer.error());
    mailer_ = std::move(*mailer);

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

    accounts_ = std::make_unique<pg::PgAccountStore>(*pool_, signal_.get(), async_pool_.get(),
                                                     AsyncTimeout());
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
    service_ = std::make_unique<auth::AuthService>(
        auth::AuthDeps{*accounts_, *hasher_, tokens(), secrets_, *permissions_, *audit_,
                       cfg_.rate_limit_enabled ? limiter_.get() : nullptr},
        SettingsOf(cfg_));

    verification_ = std::make_unique<auth::VerificationMailer>(
        *accounts_, secrets_, *mailer_, cfg_.public_base_url + "/api/v1/auth/verify-email",
        std::chrono::hours(24));
    processed_ = std::make_unique<pg::PgProcessedEvents>(*pool_, pg::OutboxSchema::kAuth);
    consumer_ = std::make_unique<events::EventConsumer>("auth-email", *verification_, *processed_,
                                                        *dlq_, alert_.get(), events::RetryPolicy{});
    consumer_stream_ = "AUTH_EVENTS";
    consumer_subject_ = "auth.user.registered";

    server::metrics::RegisterConsumerMetrics(registry_, *consumer_);
    server::metrics::RegisterPermissionCacheMetrics(registry_, *permissions_);
    server::metrics::RegisterAuditMetrics(registry_, *audit_);

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

}  // namespace

Result<std::unique_ptr<Service>> WireAuth(const Config& cfg, spdlog::logger& log) {
  auto runtime = std::make_unique<AuthRuntime>(cfg, log);
  if (auto ok = runtime->Init(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Service>(std::move(runtime));
}

}  // namespace giia::cli
