#pragma once
// Configuration: every key of PRODUCT.md, resolved per service from four
// layers, flag > environment > --env-file > built-in default. Within a layer
// the service-prefixed key (AUTH_GRPC_PORT) wins over the bare one (GRPC_PORT).
// Validation collects every problem instead of stopping at the first.

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/client_address.hpp"
#include "core/common/result.hpp"

namespace giia::cli {

using Env = std::map<std::string, std::string>;

enum class Source { kDefault, kEnvFile, kEnv, kFlag };
const char* SourceName(Source source);

struct KeySpec {
  const char* key;
  const char* auth_default;  // "" means unset
  const char* catalog_default;
  bool secret;  // the whole value is a secret
  const char* help;
};
std::span<const KeySpec> ConfigKeys();

// True for variables whose whole value is a secret (JWT_SECRET,
// GIIA_ADMIN_PASSWORD, ALERT_WEBHOOK_URL, with or without a service prefix):
// their values are removed from every output.
bool IsSecretKey(const std::string& key);

// Where the value of one key came from.
struct ResolvedValue {
  std::string key;  // the bare key: GRPC_PORT
  std::string value;
  Source source = Source::kDefault;
  std::string origin;    // the flag or variable that set it: AUTH_GRPC_PORT, --log-level
  std::string env_file;  // the --env-file path, when source is kEnvFile
  bool set = false;      // false: no layer and no default gave a value
  bool secret = false;
  // "AUTH_GRPC_PORT (environment)": how an error names the thing to fix.
  std::string Describe() const;
  // The value as it may be shown: secrets replaced, URL passwords removed.
  std::string Display() const;
};

struct Layers {
  Env flags;       // bare key -> value, with the flag name in flag_names
  Env flag_names;  // bare key -> "--database-url"
  const Env* env = nullptr;
  Env env_file;
  std::string env_file_path;
};

// Every key of ConfigKeys() for `service` ("auth" or "catalog").
std::vector<ResolvedValue> Resolve(const Layers& layers, const std::string& service);

// Reads KEY=VALUE lines (# comments, blank lines, `export `, quotes).
// Errors: kInvalidArgument (field "--env-file") naming the file and line.
[[nodiscard]] Result<Env> ReadEnvFile(const std::string& path);
// The same for the text of a file; `path` only names it in errors.
[[nodiscard]] Result<Env> ParseEnvFile(std::string_view text, const std::string& path);

struct DatabaseConfig {
  std::string url;
  int max_open_conns = 25;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  std::chrono::milliseconds conn_max_lifetime{30 * 60 * 1000};
  bool prepared_statements = true;
  bool transaction_pooling = false;  // DATABASE_POOL_MODE=transaction
};

struct Config {
  std::string service;
  std::string http_host;
  int http_port = 0;
  std::chrono::milliseconds http_header_timeout{10000};
  std::chrono::milliseconds http_idle_timeout{75000};
  std::string grpc_host;
  int grpc_port = 0;
  std::optional<int> metrics_port;
  DatabaseConfig database;
  std::string redis_url;
  int redis_pool_size = 10;
  std::string redis_key_prefix;
  std::string nats_url;  // one URL, or a comma-separated list
  int nats_stream_replicas = 1;
  std::string jwt_secret;
  std::string jwt_private_key_file;
  std::string jwt_public_key_file;
  std::chrono::milliseconds jwt_expiration{0};
  std::chrono::milliseconds jwt_refresh_expiration{0};
  std::chrono::milliseconds jwt_refresh_max_lifetime{0};
  std::string alert_webhook_url;
  std::string auth_grpc_addr;
  std::vector<std::string> auth_grpc_addrs;  // AUTH_GRPC_ADDR's entries
  std::chrono::milliseconds auth_grpc_timeout{2000};
  std::chrono::milliseconds auth_grpc_attempt_timeout{500};
  int auth_grpc_max_attempts = 3;
  int auth_grpc_breaker_failures = 3;
  std::chrono::milliseconds auth_grpc_breaker_cooldown{500};
  std::string auth_grpc_ca_file;
  std::chrono::milliseconds permission_cache_ttl{30000};
  bool rate_limit_enabled = true;
  int rate_limit_requests_per_minute = 60;
  int rate_limit_registrations_per_minute = 5;
  std::chrono::milliseconds pending_registration_ttl{24 * 3600 * 1000};
  TrustedProxies trusted_proxies;  // TRUSTED_PROXIES; empty: nobody's headers are believed
  std::string email_provider;
  std::string email_file_dir;
  std::string smtp_url;
  std::string smtp_from;
  std::string smtp_username;
  std::string smtp_password;
  bool smtp_require_tls = true;
  std::string public_base_url;
  int password_hash_memory_kib = 65536;
  int password_hash_iterations = 2;
  double audit_allowed_sample_rate = 0;
  bool enable_audit_logging = true;
  bool enable_grpc_reflection = true;
  std::chrono::milliseconds shutdown_timeout{30000};
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string log_level;
  std::string log_format;
};

// Checks and converts every value; reports every problem, each naming its
// key and source. `required` lists keys that must be set for the command at
// hand (DATABASE_URL for migrate).
tl::expected<Config, std::vector<Error>> Parse(const std::vector<ResolvedValue>& values,
                                               const std::string& service,
                                               std::span<const std::string> required = {});

}  // namespace giia::cli
