#include "cli/secret_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace giia::cli {

std::optional<std::string> ReadSecret(CommandEnv& env, const std::string& variable,
                                      const std::string& prompt) {
  if (auto it = env.env.find(variable); it != env.env.end()) return it->second;
  termios saved{};
  const bool tty = env.stdin_is_tty && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    env.output.err << prompt << ": " << std::flush;
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(env.in, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    env.output.err << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  env.redactor.Add(line);
  return line;
}

}  // namespace giia::cli
