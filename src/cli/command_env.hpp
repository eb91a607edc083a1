#pragma once
// What every subcommand shares: the process environment (read once, in
// main), standard streams, global flags, the redactor and the exit code the
// command leaves behind. Owned by Main; commands borrow it.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "core/common/redact.hpp"

namespace spdlog {
class logger;
}

namespace giia::cli {

struct GlobalOptions {
  std::string env_file;
  std::string log_level;   // --log-level, empty when not given
  std::string log_format;  // --log-format, empty when not given
};

// A command's configuration for one service, with where each value came from.
struct LoadedConfig {
  Config config;
  std::vector<ResolvedValue> values;
  std::shared_ptr<spdlog::logger> log;
  const ResolvedValue& Value(const std::string& key) const;
};

struct CommandEnv {
  const Env& env;
  std::istream& in;
  bool stdin_is_tty = false;
  Output output;
  Redactor redactor;
  GlobalOptions global;
  ExitCode exit_code = ExitCode::kOk;

  // The layers for `service` plus this command's own flags (bare key ->
  // value, and bare key -> flag name). Reads --env-file.
  // Errors: every configuration problem, each naming its key and source.
  tl::expected<Layers, std::vector<Error>> MakeLayers(const Env& flags, const Env& flag_names);

  // Resolves and validates the configuration of `service`; on failure prints
  // every problem and sets exit code 1, returning nullopt.
  std::optional<LoadedConfig> Load(const std::string& service, const Env& flags = {},
                                   const Env& flag_names = {},
                                   std::span<const std::string> required = {});

  // Prints `error` and sets the exit code it maps to.
  void Fail(const Error& error, bool from_operator = false);
};

}  // namespace giia::cli
