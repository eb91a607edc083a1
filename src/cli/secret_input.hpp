#pragma once
// Secrets an operator types: never a flag (flags end up in shell history and
// in `ps`). The value of an environment variable, else one line of standard
// input, read without echo on a terminal. Whatever is read is redacted from
// all output from then on.

#include <optional>
#include <string>

#include "cli/command_env.hpp"

namespace giia::cli {

// `variable` when set, else a line of standard input after `prompt` (shown
// only on a terminal). nullopt when standard input ended first.
std::optional<std::string> ReadSecret(CommandEnv& env, const std::string& variable,
                                      const std::string& prompt);

}  // namespace giia::cli
