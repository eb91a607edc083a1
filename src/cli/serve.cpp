// `giia serve auth|catalog|all`: configuration (every problem reported, exit
// 1, before any port opens), each service's wiring (runtime/auth_runtime,
// runtime/catalog_runtime), then the lifecycle (runtime/lifecycle) starts
// them, waits for SIGTERM or SIGINT and drains them within SHUTDOWN_TIMEOUT.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "cli/runtime/auth_runtime.hpp"
#include "cli/runtime/catalog_runtime.hpp"
#include "cli/runtime/lifecycle.hpp"

namespace giia::cli {
namespace {

void RunServe(const std::string& which, CommandEnv& env) {
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
  // (AUTH_* and CATALOG_* keys win over the bare ones). Start order: auth
  // first, so that the catalog's first calls find it; the catalog drains first.
  const std::vector<std::string> names = which == "all"
                                             ? std::vector<std::string>{"auth", "catalog"}
                                             : std::vector<std::string>{which};
  const std::vector<std::string> required = {"DATABASE_URL"};
  std::vector<LoadedConfig> configs;
  for (const std::string& name : names) {
    auto loaded = env.Load(name, {}, {}, required);
    if (!loaded) return;
    configs.push_back(std::move(*loaded));
  }
  auto fail = [&](const Error& e) { env.Fail(e, true); };
  if (auto ok = crypto::InitSodium(); !ok) return fail(ok.error());

  std::vector<std::unique_ptr<Service>> services;
  auto timeout = configs.front().config.shutdown_timeout;
  for (const LoadedConfig& c : configs) {
    auto service =
        c.config.service == "auth" ? WireAuth(c.config, *c.log) : WireCatalog(c.config, *c.log);
    if (!service) return fail(service.error());
    services.push_back(std::move(*service));
    timeout = std::max(timeout, c.config.shutdown_timeout);
  }
  Lifecycle lifecycle(std::move(services));
  if (auto ok = lifecycle.Start(timeout); !ok) return fail(ok.error());

  int received = 0;
  sigwait(&signals, &received);
  spdlog::logger& log = *configs.front().log;
  log.info("{} received: draining (up to {} ms)", received == SIGTERM ? "SIGTERM" : "SIGINT",
           timeout.count());
  lifecycle.Stop(timeout);
  log.info("stopped");
}

}  // namespace

void RegisterServe(CLI::App& app, CommandEnv& env) {
  auto service = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run a service in the foreground (gRPC + REST + health + metrics) until SIGTERM");
  cmd->add_option("service", *service, "The service to run")
      ->required()
      ->check(CLI::IsMember({"auth", "catalog", "all"}));
  cmd->footer(HelpFooter("giia --env-file .devenv/env serve all"));
  cmd->callback([service, &env] { RunServe(*service, env); });
}

}  // namespace giia::cli
