#include "cli/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "adapters/nats/jetstream.hpp"
#include "adapters/postgres/connection.hpp"
#include "core/common/client_address.hpp"
#include "core/common/duration.hpp"
#include "core/common/redact.hpp"
#include "server/catalog/auth_permissions.hpp"

namespace giia::cli {
namespace {

// Every key giia reads. Service-specific defaults are the ports of PRODUCT.md.
constexpr KeySpec kKeys[] = {
    {"HTTP_HOST", "0.0.0.0", "0.0.0.0", false, "address the REST and health server binds"},
    {"HTTP_PORT", "8083", "8084", false, "REST and health port"},
    {"HTTP_HEADER_TIMEOUT", "10s", "10s", false,
     "a request's header (and a new connection's TLS handshake) must arrive within this"},
    {"HTTP_IDLE_TIMEOUT", "75s", "75s", false,
     "a keep-alive connection with no request for this long is closed"},
    {"GRPC_HOST", "0.0.0.0", "0.0.0.0", false, "address the gRPC server binds"},
    {"GRPC_PORT", "9091", "9092", false, "gRPC port"},
    {"METRICS_PORT", "", "", false, "moves /metrics to its own port when set"},
    {"DATABASE_URL", "", "", false,
     "PostgreSQL URL (its password is redacted when shown, in every form)"},
    {"DATABASE_MAX_OPEN_CONNS", "25", "25", false, "connection pool size"},
    {"DATABASE_CONNECT_TIMEOUT", "5s", "5s", false,
     "time to connect, and to wait for a free pooled connection"},
    {"DATABASE_STATEMENT_TIMEOUT", "30s", "30s", false, "longest a statement may run (0: none)"},
    {"DATABASE_CONN_MAX_LIFETIME", "30m", "30m", false, "a connection older than this is replaced"},
    {"DATABASE_PREPARED_STATEMENTS", "true", "true", false,
     "prepare each statement once per connection (false behind a PgBouncer < 1.21 that pools "
     "transactions)"},
    {"DATABASE_POOL_MODE", "session", "session", false,
     "session: each connection is a server session (direct, or a pooler in session mode); "
     "transaction: behind PgBouncer in transaction mode (no startup options, the statement "
     "timeout set in every transaction)"},
    {"REDIS_URL", "redis://127.0.0.1:6379", "redis://127.0.0.1:6379", false, "Redis URL"},
    {"REDIS_POOL_SIZE", "10", "10", false, "Redis connections"},
    {"REDIS_KEY_PREFIX", "giia:", "giia:", false, "before every Redis key and channel"},
    {"NATS_URL", "nats://127.0.0.1:4222", "nats://127.0.0.1:4222", false,
     "NATS URL, or a comma-separated list of a cluster's members"},
    {"NATS_STREAM_REPLICAS", "1", "1", false,
     "copies of each JetStream stream giia creates (1, 3 or 5; more than 1 needs a cluster)"},
    {"JWT_SECRET", "", "", true, "HS256 signing secret (32+ characters)"},
    {"JWT_PRIVATE_KEY_FILE", "", "", false, "EdDSA private key (PEM) instead of JWT_SECRET"},
    {"JWT_PUBLIC_KEY_FILE", "", "", false, "EdDSA public key (PEM)"},
    {"JWT_EXPIRATION", "15m", "15m", false, "access token lifetime"},
    {"JWT_REFRESH_EXPIRATION", "168h", "168h", false, "refresh token lifetime"},
    {"JWT_REFRESH_MAX_LIFETIME", "720h", "720h", false,
     "a login's session ends this long after the login, however often it is refreshed"},
    {"ALERT_WEBHOOK_URL", "", "", true, "POSTed a JSON document for every dead letter"},
    {"AUTH_GRPC_ADDR", "127.0.0.1:9091", "127.0.0.1:9091", false,
     "host:port of the auth service, for the catalog, or a comma-separated list of its replicas"},
    {"AUTH_GRPC_TIMEOUT", "2s", "2s", false,
     "deadline of each of the catalog's permission checks at auth, retries included"},
    {"AUTH_GRPC_ATTEMPT_TIMEOUT", "500ms", "500ms", false,
     "deadline of one attempt on one auth replica; a replica that misses it is retried on the "
     "next"},
    {"AUTH_GRPC_MAX_ATTEMPTS", "3", "3", false,
     "attempts per permission check (1-10), on the next replica each time"},
    {"AUTH_GRPC_BREAKER_FAILURES", "3", "3", false,
     "consecutive failures that open an auth replica's circuit breaker (it gets no calls)"},
    {"AUTH_GRPC_BREAKER_COOLDOWN", "500ms", "500ms", false,
     "how long an open breaker keeps its replica out before one probe call is let through"},
    {"AUTH_GRPC_CA_FILE", "", "", false,
     "CA (PEM) that verifies auth's certificate; the catalog calls auth over TLS when set"},
    {"PERMISSION_CACHE_TTL", "30s", "30s", false,
     "how long the catalog keeps a permission decision of auth's (auth's events about a "
     "user drop that user's at once)"},
    {"RATE_LIMIT_ENABLED", "true", "true", false, "rate-limit logins per client address"},
    {"RATE_LIMIT_REQUESTS_PER_MINUTE", "60", "60", false,
     "logins and password changes per minute per client address"},
    {"RATE_LIMIT_REGISTRATIONS_PER_MINUTE", "5", "5", false,
     "registrations per minute per client address"},
    {"PENDING_REGISTRATION_TTL", "24h", "24h", false,
     "a registration not verified within this frees its e-mail and organization slug"},
    {"TRUSTED_PROXIES", "", "", false,
     "comma-separated CIDRs (IPv4, IPv6) of the proxies whose X-Forwarded-For / Forwarded "
     "give the client address; empty: the peer address is the client"},
    {"EMAIL_PROVIDER", "console", "console", false, "console, file or smtp"},
    {"SMTP_URL", "", "", false, "EMAIL_PROVIDER=smtp: smtp://host:587 or smtps://host:465"},
    {"SMTP_FROM", "GIIA <no-reply@giia.local>", "GIIA <no-reply@giia.local>", false,
     "EMAIL_PROVIDER=smtp: the sender"},
    {"SMTP_USERNAME", "", "", false, "EMAIL_PROVIDER=smtp: login, when the server wants one"},
    {"SMTP_PASSWORD", "", "", true, "EMAIL_PROVIDER=smtp: password"},
    {"SMTP_REQUIRE_TLS", "true", "true", false,
     "EMAIL_PROVIDER=smtp with a login: an smtp:// server must offer STARTTLS (false: the "
     "password may go in clear)"},
    {"EMAIL_FILE_DIR", "mail", "mail", false,
     "EMAIL_PROVIDER=file: one JSON file per message here"},
    {"PUBLIC_BASE_URL", "http://localhost:8083", "http://localhost:8084", false,
     "where users reach the REST API (links in e-mails)"},
    {"PASSWORD_HASH_MEMORY_KIB", "65536", "65536", false, "argon2id memory per hash, KiB (min 8)"},
    {"PASSWORD_HASH_ITERATIONS", "2", "2", false, "argon2id passes (min 1)"},
    {"AUDIT_ALLOWED_SAMPLE_RATE", "0", "0", false,
     "share (0..1) of allowed permission checks written to the audit log"},
    {"ENABLE_AUDIT_LOGGING", "true", "true", false, "write the audit log"},
    {"ENABLE_GRPC_REFLECTION", "true", "true", false, "serve gRPC reflection"},
    {"SHUTDOWN_TIMEOUT", "30s", "30s", false, "time in-flight work gets on SIGTERM"},
    {"TLS_CERT_FILE", "", "", false, "server certificate (PEM); enables TLS"},
    {"TLS_KEY_FILE", "", "", false, "server private key (PEM)"},
    {"TLS_CLIENT_CA_FILE", "", "", false, "CA for client certificates; requires mTLS"},
    {"LOG_LEVEL", "info", "info", false, "trace, debug, info, warn, error or off"},
    {"LOG_FORMAT", "json", "json", false, "json or text"},
};

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

const char* SourceName(Source source) {
  switch (source) {
    case Source::kDefault: return "default";
    case Source::kEnvFile: return "env-file";
    case Source::kEnv: return "env";
    case Source::kFlag: return "flag";
  }
  return "default";
}

std::span<const KeySpec> ConfigKeys() { return kKeys; }

bool IsSecretKey(const std::string& key) {
  return key.ends_with("JWT_SECRET") || key.ends_with("PASSWORD") || key.ends_with("WEBHOOK_URL");
}

std::string ResolvedValue::Describe() const {
  switch (source) {
    case Source::kFlag: return origin;
    case Source::kEnv: return origin + " (environment)";
    case Source::kEnvFile: return origin + " (" + env_file + ")";
    case Source::kDefault: return key + " (default)";
  }
  return key;
}

std::string ResolvedValue::Display() const {
  if (!set) return "";
  if (secret) return std::string(kRedacted);
  return RedactCredentials(value);
}

std::vector<ResolvedValue> Resolve(const Layers& layers, const std::string& service) {
  const std::string prefix = Upper(service) + "_";
  std::vector<ResolvedValue> out;
  for (const KeySpec& spec : kKeys) {
    ResolvedValue v;
    v.key = spec.key;
    v.secret = spec.secret;
    auto pick = [&](const Env& layer, Source source) {
      for (const std::string& name : {prefix + spec.key, std::string(spec.key)}) {
        auto it = layer.find(name);
        if (it != layer.end()) {
          v.value = it->second;
          v.source = source;
          v.origin = name;
          v.set = true;
          return true;
        }
      }
      return false;
    };
    if (auto flag = layers.flags.find(spec.key); flag != layers.flags.end()) {
      v.value = flag->second;
      v.source = Source::kFlag;
      v.origin = layers.flag_names.at(spec.key);
      v.set = true;
    } else if ((layers.env != nullptr && pick(*layers.env, Source::kEnv)) ||
               pick(layers.env_file, Source::kEnvFile)) {
      if (v.source == Source::kEnvFile) v.env_file = layers.env_file_path;
    } else {
      const char* def = service == "catalog" ? spec.catalog_default : spec.auth_default;
      v.value = def;
      v.origin = spec.key;
      v.set = *def != '\0';
    }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// Collects problems while converting values.
class Checker {
 public:
  explicit Checker(const std::vector<ResolvedValue>& values) {
    for (const ResolvedValue& v : values) by_key_[v.key] = &v;
  }

  const ResolvedValue& At(const std::string& key) const { return *by_key_.at(key); }

  // One problem per key, the first: "soon" is not a duration, not also
  // "must be more than 0".
  void Problem(const std::string& key, const std::string& message) {
    for (const Error& e : errors_) {
      if (e.field == key) return;
    }
    errors_.push_back(Error{ErrorCode::kInvalidArgument, At(key).Describe() + ": " + message, key});
  }

  std::string Text(const std::string& key) { return At(key).set ? At(key).value : ""; }

  int Int(const std::string& key, int min, int max, int fallback = 0) {
    const ResolvedValue& v = At(key);
    if (!v.set) return fallback;
    int out = 0;
    const auto [end, ec] = std::from_chars(v.value.data(), v.value.data() + v.value.size(), out);
    if (ec != std::errc() || end != v.value.data() + v.value.size() || out < min || out > max) {
      Problem(key, "\"" + v.value + "\" is not a whole number from " + std::to_string(min) +
                       " to " + std::to_string(max));
      return fallback;
    }
    return out;
  }

  bool Bool(const std::string& key) {
    const std::string v = At(key).value;
    if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "0" || v == "no" || v == "off" || !At(key).set) return false;
    Problem(key, "\"" + v + "\" is not true or false");
    return false;
  }

  std::chrono::milliseconds Duration(const std::string& key) {
    if (!At(key).set) return std::chrono::milliseconds(0);
    auto d = ParseDuration(At(key).value);
    if (!d) {
      Problem(key, d.error().message);
      return std::chrono::milliseconds(0);
    }
    return *d;
  }

  std::string OneOf(const std::string& key, std::initializer_list<const char*> choices) {
    std::string v = At(key).value;
    for (const char* c : choices) {
      if (v == c) return v;
    }
    std::string list;
    for (const char* c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
    Problem(key, "\"" + v + "\" is not one of " + list);
    return v;
  }

  std::string Url(const std::string& key, std::initializer_list<const char*> schemes) {
    std::string v = At(key).value;
    for (const char* s : schemes) {
      if (v.rfind(std::string(s) + "://", 0) == 0 && v.size() > std::string(s).size() + 3) {
        return v;
      }
    }
    if (At(key).set) {
      // A secret URL (a webhook with its token) is not echoed at all.
      const std::string shown = At(key).secret ? "the value" : "\"" + RedactCredentials(v) + "\"";
      Problem(key, shown + " is not a " + *schemes.begin() + ":// URL");
    }
    return v;
  }

  std::vector<Error> errors_;

 private:
  std::map<std::string, const ResolvedValue*> by_key_;
};

}  // namespace

tl::expected<Config, std::vector<Error>> Parse(const std::vector<ResolvedValue>& values,
                                               const std::string& service,
                                               std::span<const std::string> required) {
  Checker c(values);
  Config cfg;
  cfg.service = service;
  for (const std::string& key : required) {
    if (!c.At(key).set || c.At(key).value.empty()) {
      c.errors_.push_back(Error{ErrorCode::kInvalidArgument,
                                key + " is not set (nor " + Upper(service) + "_" + key +
                                    "); set it in the environment or the --env-file",
                                key});
    }
  }
  cfg.http_host = c.Text("HTTP_HOST");
  cfg.http_port = c.Int("HTTP_PORT", 0, 65535);
  cfg.http_header_timeout = c.Duration("HTTP_HEADER_TIMEOUT");
  if (cfg.http_header_timeout.count() <= 0) c.Problem("HTTP_HEADER_TIMEOUT", "must be more than 0");
  cfg.http_idle_timeout = c.Duration("HTTP_IDLE_TIMEOUT");
  if (cfg.http_idle_timeout.count() <= 0) c.Problem("HTTP_IDLE_TIMEOUT", "must be more than 0");
  cfg.grpc_host = c.Text("GRPC_HOST");
  cfg.grpc_port = c.Int("GRPC_PORT", 0, 65535);
  if (c.At("METRICS_PORT").set) cfg.metrics_port = c.Int("METRICS_PORT", 0, 65535);

  cfg.database.url = c.Text("DATABASE_URL");
  if (c.At("DATABASE_URL").set) {
    if (cfg.database.url.rfind("postgres://", 0) != 0 &&
        cfg.database.url.rfind("postgresql://", 0) != 0) {
      c.Problem("DATABASE_URL", "must start with postgres:// or postgresql://");
    } else if (auto ok = pg::ValidateUrl(cfg.database.url); !ok) {
      c.Problem("DATABASE_URL", ok.error().message);
    }
  }
  cfg.database.max_open_conns = c.Int("DATABASE_MAX_OPEN_CONNS", 1, 10000, 25);
  cfg.database.connect_timeout = c.Duration("DATABASE_CONNECT_TIMEOUT");
  if (c.At("DATABASE_CONNECT_TIMEOUT").set && cfg.database.connect_timeout.count() == 0) {
    c.Problem("DATABASE_CONNECT_TIMEOUT", "must be more than 0");
  }
  cfg.database.statement_timeout = c.Duration("DATABASE_STATEMENT_TIMEOUT");
  cfg.database.prepared_statements = c.Bool("DATABASE_PREPARED_STATEMENTS");
  cfg.database.conn_max_lifetime = c.Duration("DATABASE_CONN_MAX_LIFETIME");
  cfg.database.transaction_pooling =
      c.OneOf("DATABASE_POOL_MODE", {"session", "transaction"}) == "transaction";

  cfg.redis_url = c.Url("REDIS_URL", {"redis"});
  cfg.redis_pool_size = c.Int("REDIS_POOL_SIZE", 1, 10000, 10);
  cfg.redis_key_prefix = c.Text("REDIS_KEY_PREFIX");
  cfg.nats_url = c.Text("NATS_URL");
  if (auto servers = nats::ParseServers(cfg.nats_url); !servers) {
    c.Problem("NATS_URL", servers.error().message);
  }
  cfg.nats_stream_replicas = c.Int("NATS_STREAM_REPLICAS", 1, 5, 1);

  cfg.jwt_secret = c.Text("JWT_SECRET");
  cfg.jwt_private_key_file = c.Text("JWT_PRIVATE_KEY_FILE");
  cfg.jwt_public_key_file = c.Text("JWT_PUBLIC_KEY_FILE");
  if (!cfg.jwt_secret.empty() && cfg.jwt_secret.size() < 32) {
    c.Problem("JWT_SECRET", "must be at least 32 characters long");
  }
  if (!cfg.jwt_secret.empty() && !cfg.jwt_private_key_file.empty()) {
    c.Problem("JWT_PRIVATE_KEY_FILE", "cannot be used together with JWT_SECRET; choose one");
  }
  // The catalog only verifies tokens: a public key is enough there.
  const bool verify_only = service == "catalog" && !cfg.jwt_public_key_file.empty();
  if (cfg.jwt_private_key_file.empty() != cfg.jwt_public_key_file.empty() && !verify_only) {
    c.Problem(cfg.jwt_private_key_file.empty() ? "JWT_PRIVATE_KEY_FILE" : "JWT_PUBLIC_KEY_FILE",
              "JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE go together");
  }
  cfg.jwt_expiration = c.Duration("JWT_EXPIRATION");
  cfg.jwt_refresh_expiration = c.Duration("JWT_REFRESH_EXPIRATION");
  cfg.jwt_refresh_max_lifetime = c.Duration("JWT_REFRESH_MAX_LIFETIME");
  if (cfg.jwt_refresh_max_lifetime.count() <= 0) {
    c.Problem("JWT_REFRESH_MAX_LIFETIME", "must be more than 0");
  }
  cfg.alert_webhook_url = c.Url("ALERT_WEBHOOK_URL", {"https", "http"});
  cfg.auth_grpc_addr = c.Text("AUTH_GRPC_ADDR");
  if (auto addresses = server::ParseAuthAddresses(cfg.auth_grpc_addr); addresses) {
    cfg.auth_grpc_addrs = std::move(*addresses);
  } else {
    c.Problem("AUTH_GRPC_ADDR", addresses.error().message);
  }
  cfg.auth_grpc_timeout = c.Duration("AUTH_GRPC_TIMEOUT");
  if (cfg.auth_grpc_timeout.count() <= 0) c.Problem("AUTH_GRPC_TIMEOUT", "must be more than 0");
  cfg.auth_grpc_attempt_timeout = c.Duration("AUTH_GRPC_ATTEMPT_TIMEOUT");
  if (cfg.auth_grpc_attempt_timeout.count() <= 0) {
    c.Problem("AUTH_GRPC_ATTEMPT_TIMEOUT", "must be more than 0");
  }
  cfg.auth_grpc_max_attempts = c.Int("AUTH_GRPC_MAX_ATTEMPTS", 1, 10, 3);
  cfg.auth_grpc_breaker_failures = c.Int("AUTH_GRPC_BREAKER_FAILURES", 1, 1000, 3);
  cfg.auth_grpc_breaker_cooldown = c.Duration("AUTH_GRPC_BREAKER_COOLDOWN");
  if (cfg.auth_grpc_breaker_cooldown.count() <= 0) {
    c.Problem("AUTH_GRPC_BREAKER_COOLDOWN", "must be more than 0");
  }
  cfg.auth_grpc_ca_file = c.Text("AUTH_GRPC_CA_FILE");
  cfg.permission_cache_ttl = c.Duration("PERMISSION_CACHE_TTL");
  cfg.rate_limit_enabled = c.Bool("RATE_LIMIT_ENABLED");
  cfg.rate_limit_requests_per_minute = c.Int("RATE_LIMIT_REQUESTS_PER_MINUTE", 1, 1000000, 60);
  cfg.rate_limit_registrations_per_minute =
      c.Int("RATE_LIMIT_REGISTRATIONS_PER_MINUTE", 1, 1000000, 5);
  cfg.pending_registration_ttl = c.Duration("PENDING_REGISTRATION_TTL");
  if (cfg.pending_registration_ttl < std::chrono::minutes(1)) {
    c.Problem("PENDING_REGISTRATION_TTL", "must be at least 1m");
  }
  if (auto proxies = TrustedProxies::Parse(c.Text("TRUSTED_PROXIES")); proxies) {
    cfg.trusted_proxies = std::move(*proxies);
  } else {
    c.Problem("TRUSTED_PROXIES", proxies.error().message);
  }
  cfg.email_provider = c.OneOf("EMAIL_PROVIDER", {"console", "file", "smtp"});
  cfg.smtp_url = c.Url("SMTP_URL", {"smtp", "smtps"});
  cfg.smtp_from = c.Text("SMTP_FROM");
  cfg.smtp_username = c.Text("SMTP_USERNAME");
  cfg.smtp_password = c.Text("SMTP_PASSWORD");
  cfg.smtp_require_tls = c.Bool("SMTP_REQUIRE_TLS");
  if (cfg.email_provider == "smtp" && cfg.smtp_url.empty()) {
    c.Problem("SMTP_URL", "is required with EMAIL_PROVIDER=smtp");
  }
  cfg.email_file_dir = c.Text("EMAIL_FILE_DIR");
  cfg.public_base_url = c.Url("PUBLIC_BASE_URL", {"https", "http"});
  cfg.password_hash_memory_kib = c.Int("PASSWORD_HASH_MEMORY_KIB", 8, 4 * 1024 * 1024, 65536);
  cfg.password_hash_iterations = c.Int("PASSWORD_HASH_ITERATIONS", 1, 100, 2);
  {
    const std::string rate = c.Text("AUDIT_ALLOWED_SAMPLE_RATE");
    char* end = nullptr;
    cfg.audit_allowed_sample_rate = std::strtod(rate.c_str(), &end);
    if (rate.empty() || end == nullptr || *end != '\0' || cfg.audit_allowed_sample_rate < 0 ||
        cfg.audit_allowed_sample_rate > 1) {
      c.Problem("AUDIT_ALLOWED_SAMPLE_RATE", "must be a number from 0 to 1");
    }
  }
  cfg.enable_audit_logging = c.Bool("ENABLE_AUDIT_LOGGING");
  cfg.enable_grpc_reflection = c.Bool("ENABLE_GRPC_REFLECTION");
  cfg.shutdown_timeout = c.Duration("SHUTDOWN_TIMEOUT");
  cfg.tls_cert_file = c.Text("TLS_CERT_FILE");
  cfg.tls_key_file = c.Text("TLS_KEY_FILE");
  cfg.tls_client_ca_file = c.Text("TLS_CLIENT_CA_FILE");
  if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty()) {
    c.Problem(cfg.tls_cert_file.empty() ? "TLS_CERT_FILE" : "TLS_KEY_FILE",
              "TLS_CERT_FILE and TLS_KEY_FILE go together");
  }
  if (!cfg.tls_client_ca_file.empty() && cfg.tls_cert_file.empty()) {
    c.Problem("TLS_CLIENT_CA_FILE", "requires TLS_CERT_FILE and TLS_KEY_FILE");
  }
  cfg.log_level = c.OneOf("LOG_LEVEL", {"trace", "debug", "info", "warn", "error", "off"});
  cfg.log_format = c.OneOf("LOG_FORMAT", {"json", "text"});
  if (!c.errors_.empty()) return tl::unexpected(std::move(c.errors_));
  return cfg;
}

}  // namespace giia::cli
