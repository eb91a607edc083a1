// giia health: the exec probe. --grpc HOST:PORT asks a service's
// grpc.health.v1 (grpc_health_probe's flags and exit codes, with two dashes);
// --http URL asks its HTTP health route; --deps checks the configured
// PostgreSQL, Redis and NATS directly. Exit codes follow
// grpc_health_probe: 0 serving, 1 bad usage, 2 could not connect, 3 the check
// failed, 4 reached but not serving.
#include <grpc/grpc.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "adapters/http/client.hpp"
#include "adapters/nats/jetstream.hpp"
#include "adapters/nats/probe.hpp"
#include "adapters/postgres/probe.hpp"
#include "adapters/redis/probe.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "core/common/duration.hpp"
#include "server/grpc/grpc_server.hpp"

namespace giia::cli {
namespace {

using nlohmann::json;

struct HealthOptions {
  std::string grpc;
  std::string connect_timeout;
  std::string rpc_timeout;
  std::string http;
  bool deps = false;
  std::string timeout = "2s";
  std::string service;
  std::string output = "text";
  bool tls = false;
  std::string tls_ca_cert;
  std::string tls_client_cert;
  std::string tls_client_key;
  std::string tls_server_name;
};

void RunHttp(const HealthOptions& o, std::chrono::milliseconds timeout, CommandEnv& env) {
  auto response = http::Get(o.http, timeout, {o.tls_ca_cert, o.tls_client_cert, o.tls_client_key});
  if (!response)
    return env.Fail(response.error(), response.error().code == ErrorCode::kInvalidArgument);
  const long status = response->status;
  if (o.output == "json") {
    json body = json::parse(response->body, nullptr, false);
    env.output.Line(json{{"url", o.http},
                         {"status", status},
                         {"body", body.is_discarded() ? json(response->body) : body}}
                        .dump(2));
  } else {
    env.output.Line(std::to_string(status) + " " + o.http);
    if (!response->body.empty()) env.output.Line(response->body);
  }
  if (status >= 200 && status < 300) return;
  env.exit_code = status == 503 ? ExitCode::kNotServing : ExitCode::kFailed;
  if (status != 503) env.output.Error(o.http + " answered HTTP " + std::to_string(status));
}

void RunGrpc(const HealthOptions& o, std::chrono::milliseconds timeout, CommandEnv& env) {
  auto connect = o.connect_timeout.empty() ? Result<std::chrono::milliseconds>(timeout)
                                           : ParseDuration(o.connect_timeout);
  auto rpc = o.rpc_timeout.empty() ? Result<std::chrono::milliseconds>(timeout)
                                   : ParseDuration(o.rpc_timeout);
  if (!connect || !rpc || connect->count() == 0 || rpc->count() == 0) {
    return env.Fail(InvalidArgument("--connect-timeout",
                                    "--connect-timeout and --rpc-timeout must be durations "
                                    "above 0, such as 1s")
                        .value(),
                    true);
  }
  if (o.grpc.find(':') == std::string::npos) {
    return env.Fail(InvalidArgument("--grpc", "--grpc \"" + o.grpc + "\" is not HOST:PORT").value(),
                    true);
  }
  if (o.tls_client_cert.empty() != o.tls_client_key.empty()) {
    return env.Fail(
        InvalidArgument("--tls-client-cert", "--tls-client-cert and --tls-client-key go together")
            .value(),
        true);
  }
  const bool tls = o.tls || !o.tls_ca_cert.empty() || !o.tls_client_cert.empty();
  // gRPC cleans up after its last object on a thread of its own, which can
  // still run while the process exits (an abort now and then, seen with TLS
  // in CI): holding a reference of our own and ending it with
  // grpc_shutdown_blocking() does that clean-up here, before the exit.
  grpc_init();
  const server::GrpcHealthResult r = server::CheckGrpcHealth(
      o.grpc, o.service, *connect, *rpc,
      {tls, o.tls_ca_cert, o.tls_client_cert, o.tls_client_key, o.tls_server_name});
  grpc_shutdown_blocking();
  const char* state = r.state == server::GrpcHealth::kServing       ? "SERVING"
                      : r.state == server::GrpcHealth::kNotServing  ? "NOT_SERVING"
                      : r.state == server::GrpcHealth::kUnreachable ? "UNREACHABLE"
                                                                    : "RPC_FAILED";
  if (o.output == "json") {
    env.output.Line(
        json{{"address", o.grpc}, {"service", o.service}, {"status", state}, {"detail", r.detail}}
            .dump(2));
  } else {
    env.output.Line(std::string("status: ") + state);
  }
  switch (r.state) {
    case server::GrpcHealth::kServing: return;
    case server::GrpcHealth::kNotServing: env.exit_code = ExitCode::kNotServing; return;
    case server::GrpcHealth::kUnreachable:
      env.output.Error(r.detail);
      env.exit_code = ExitCode::kUnavailable;
      return;
    case server::GrpcHealth::kRpcFailed:
      env.output.Error(r.detail);
      env.exit_code = ExitCode::kFailed;
      return;
  }
}

void RunDeps(const HealthOptions& o, std::chrono::milliseconds timeout, CommandEnv& env) {
  const std::string service = o.service.empty() ? "auth" : o.service;
  if (service != "auth" && service != "catalog") {
    return env.Fail(InvalidArgument("--service",
                                    "with --deps, --service is auth or catalog "
                                    "(whose configuration to read)")
                        .value(),
                    true);
  }
  const std::vector<std::string> required = {"DATABASE_URL"};
  auto loaded = env.Load(service, {}, {}, required);
  if (!loaded) return;
  auto redis_address = redis::ParseRedisUrl(loaded->config.redis_url);
  if (!redis_address) return env.Fail(redis_address.error(), true);
  pg::ConnectOptions pg_options;
  pg_options.url = loaded->config.database.url;
  pg_options.application_name = "giia-health";
  // The pooler's rules hold for a probe too: behind PgBouncer in transaction
  // mode a startup option is refused and a prepared statement left behind.
  pg_options.prepare_statements = loaded->config.database.prepared_statements;
  pg_options.transaction_pooling = loaded->config.database.transaction_pooling;
  pg::PgProbe postgres(pg_options);
  redis::RedisProbe redis(*redis_address);
  nats::NatsProbe nats(loaded->config.nats_url);
  health::DependencyProbe* probes[] = {&postgres, &redis, &nats};
  const health::Readiness r = health::CheckReadiness(probes, timeout);
  if (o.output == "json") {
    json out = {{"status", health::StateName(r.state)}, {"checks", json::array()}};
    for (const auto& c : r.checks) {
      out["checks"].push_back({{"name", c.name},
                               {"status", c.up ? "up" : "down"},
                               {"critical", c.critical},
                               {"latency_ms", c.latency.count()},
                               {"error", c.error}});
    }
    env.output.Line(out.dump(2));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : r.checks) {
      rows.push_back(
          {c.name, c.up ? "up" : "down", std::to_string(c.latency.count()) + " ms", c.error});
    }
    std::ostringstream table;
    PrintTable(table, {"CHECK", "STATUS", "LATENCY", "ERROR"}, rows);
    env.output.out << env.redactor.Apply(table.str());
    env.output.Line(std::string("status: ") + health::StateName(r.state));
  }
  if (r.state == health::State::kNotReady) {
    env.output.Error("a critical dependency is unreachable; check " +
                     loaded->Value("DATABASE_URL").Describe());
    env.exit_code = ExitCode::kUnavailable;
  }
}

void RunHealth(const HealthOptions& o, CommandEnv& env) {
  const int modes = (o.grpc.empty() ? 0 : 1) + (o.http.empty() ? 0 : 1) + (o.deps ? 1 : 0);
  if (modes != 1) {
    return env.Fail(
        InvalidArgument("--grpc", "say what to check, once: --grpc HOST:PORT, --http URL or --deps")
            .value(),
        true);
  }
  auto timeout = ParseDuration(o.timeout);
  if (!timeout || timeout->count() == 0) {
    return env.Fail(
        InvalidArgument("--timeout", "--timeout must be a duration above 0, such as 2s").value(),
        true);
  }
  if (!o.grpc.empty()) return RunGrpc(o, *timeout, env);
  if (!o.http.empty()) return RunHttp(o, *timeout, env);
  RunDeps(o, *timeout, env);
}

}  // namespace

void RegisterHealth(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<HealthOptions>();
  CLI::App* cmd = app.add_subcommand(
      "health",
      "Probe a service (--grpc HOST:PORT or --http URL) or the configured dependencies "
      "(--deps); exits 0 when serving, 2 when unreachable, 3 when the check failed, 4 when "
      "reached but not serving");
  cmd->add_option("--grpc,--addr", o->grpc, "Ask grpc.health.v1 at HOST:PORT")
      ->type_name("HOST:PORT");
  cmd->add_option("--connect-timeout", o->connect_timeout, "With --grpc (default: --timeout)")
      ->type_name("DURATION");
  cmd->add_option("--rpc-timeout", o->rpc_timeout, "With --grpc (default: --timeout)")
      ->type_name("DURATION");
  cmd->add_option("--http", o->http, "GET this URL; 2xx is serving, 503 is not serving")
      ->type_name("URL");
  cmd->add_flag("--deps", o->deps,
                "Check DATABASE_URL (critical), REDIS_URL and NATS_URL (degraded when down)");
  cmd->add_option("--timeout", o->timeout, "Per check (default 2s)")->type_name("DURATION");
  cmd->add_option("--service", o->service,
                  "With --grpc: the gRPC service to ask about (default: the whole server); "
                  "with --deps: auth or catalog, whose configuration to read (default auth)");
  cmd->add_option("--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--tls", o->tls, "With --grpc: connect with TLS");
  cmd->add_option("--tls-ca-cert", o->tls_ca_cert,
                  "CA certificate (PEM) that verifies the server (default: the system's; "
                  "implies --tls)")
      ->type_name("FILE");
  cmd->add_option("--tls-client-cert", o->tls_client_cert,
                  "Client certificate (PEM) for mutual TLS, with --tls-client-key")
      ->type_name("FILE");
  cmd->add_option("--tls-client-key", o->tls_client_key, "Client private key (PEM)")
      ->type_name("FILE");
  cmd->add_option("--tls-server-name", o->tls_server_name,
                  "With --grpc: the name the server certificate must carry (default: the host)")
      ->type_name("NAME");
  cmd->footer(HelpFooter("giia health --http http://127.0.0.1:8083/health/ready --timeout 1s"));
  cmd->callback([o, &env] { RunHealth(*o, env); });
}

}  // namespace giia::cli
