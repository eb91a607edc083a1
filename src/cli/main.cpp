#include "cli/main.hpp"

#include <absl/synchronization/mutex.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/http/client.hpp"
#include "adapters/http/webhook.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"

extern char** environ;

namespace giia::cli {
namespace {

Env ReadEnvironment() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::size_t eq = entry.find('=');
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

}  // namespace

int Main(int argc, char** argv) {
  const Env env = ReadEnvironment();
  CommandEnv command_env{
      env, std::cin,     ::isatty(STDIN_FILENO) == 1, Output{std::cout, std::cerr}, {},
      {},  ExitCode::kOk};
  command_env.output.redactor = &command_env.redactor;
  // Every secret the environment holds is kept out of all output.
  for (const auto& [key, value] : env) {
    if (IsSecretKey(key)) {
      command_env.redactor.Add(value);
    }
  }
  // Debian's abseil keeps its debug lock-order graph on: every absl::Mutex
  // lock inside gRPC (servers and the bench's clients) updated it
  // (GraphCycles::GetId, InsertEdge: about 5 % of a server's time under load,
  // perf). Deadlock detection is a debugging aid for abseil's own users.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  http::InitHttpClient();
  if (auto ok = crypto::InitSodium(); !ok) {
    command_env.output.Error(ok.error());
    return static_cast<int>(ExitCode::kFailed);
  }

  CLI::App app{
      "giia: the core engine of GIIA, a DDMRP supply-chain planning platform.\n"
      "One binary: the auth and catalog services, and the operator's toolkit.",
      "giia"};
  app.fallthrough();  // global flags may also follow the subcommand
  app.require_subcommand(1);
  app.footer(HelpFooter("giia --env-file .devenv/env migrate status"));
  app.add_option("--env-file", command_env.global.env_file,
                 "Read KEY=VALUE settings from FILE (flags and the environment win)")
      ->type_name("FILE");
  app.add_option("--log-level", command_env.global.log_level,
                 "trace, debug, info, warn, error or off (LOG_LEVEL)")
      ->type_name("LEVEL");
  app.add_option("--log-format", command_env.global.log_format, "json or text (LOG_FORMAT)")
      ->type_name("FORMAT");
  RegisterCommands(app, command_env);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; every other parse problem is a usage error.
    return app.exit(e, std::cout, std::cerr) == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  } catch (const std::exception& e) {
    command_env.output.Error(std::string("internal error: ") + e.what());
    return static_cast<int>(ExitCode::kFailed);
  }
  return static_cast<int>(command_env.exit_code);
}

}  // namespace giia::cli
