// The registry: add a line here to add a top-level command. A command is
// registered only once it works (no placeholders in `giia --help`).
#include "cli/commands.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "cli/command_env.hpp"
#include "cli/logging.hpp"

namespace giia::cli {

void RegisterCommands(CLI::App& app, CommandEnv& env) {
  RegisterServe(app, env);
  RegisterMigrate(app, env);
  RegisterSeedRoles(app, env);
  RegisterDlq(app, env);
  RegisterHealth(app, env);
  RegisterBench(app, env);
  RegisterConfig(app, env);
  RegisterVersion(app, env);
}

std::string HelpFooter(const std::string& example) {
  return "Exit codes: 0 success, 1 usage or configuration error, 2 could not connect,\n"
         "3 the operation failed or a check did not pass, 4 reached but not serving.\n"
         "Example: " +
         example;
}

const ResolvedValue& LoadedConfig::Value(const std::string& key) const {
  for (const ResolvedValue& v : values) {
    if (v.key == key) return v;
  }
  throw std::logic_error("unknown configuration key " + key);
}

tl::expected<Layers, std::vector<Error>> CommandEnv::MakeLayers(const Env& flags,
                                                                const Env& flag_names) {
  Layers layers;
  layers.flags = flags;
  layers.flag_names = flag_names;
  if (!global.log_level.empty()) {
    layers.flags["LOG_LEVEL"] = global.log_level;
    layers.flag_names["LOG_LEVEL"] = "--log-level";
  }
  if (!global.log_format.empty()) {
    layers.flags["LOG_FORMAT"] = global.log_format;
    layers.flag_names["LOG_FORMAT"] = "--log-format";
  }
  layers.env = &env;
  if (!global.env_file.empty()) {
    auto file = ReadEnvFile(global.env_file);
    if (!file) return tl::unexpected(std::vector<Error>{file.error()});
    layers.env_file = std::move(*file);
    layers.env_file_path = global.env_file;
    // Secrets read from the file are as secret as those in the environment.
    for (const auto& [key, value] : layers.env_file) {
      if (IsSecretKey(key)) redactor.Add(value);
    }
  }
  return layers;
}

std::optional<LoadedConfig> CommandEnv::Load(const std::string& service, const Env& flags,
                                             const Env& flag_names,
                                             std::span<const std::string> required) {
  auto layers = MakeLayers(flags, flag_names);
  std::vector<ResolvedValue> values;
  if (layers) values = Resolve(*layers, service);
  tl::expected<Config, std::vector<Error>> config =
      layers ? Parse(values, service, required)
             : tl::expected<Config, std::vector<Error>>(tl::unexpected(layers.error()));
  if (!config) {
    const auto& problems = config.error();
    output.Error(problems.size() == 1
                     ? "configuration: " + problems[0].message
                     : "configuration has " + std::to_string(problems.size()) + " problems:");
    if (problems.size() > 1) {
      for (const Error& e : problems) output.err << "  - " << redactor.Apply(e.message) << "\n";
    }
    exit_code = ExitCode::kUsage;
    return std::nullopt;
  }
  LoadedConfig loaded{std::move(*config), std::move(values), nullptr};
  loaded.log = MakeLogger(service, loaded.config.log_level, loaded.config.log_format);
  return loaded;
}

void CommandEnv::Fail(const Error& error, bool from_operator) {
  output.Error(error);
  exit_code = ExitCodeFor(error.code, from_operator);
}

}  // namespace giia::cli
