// --env-file: the KEY=VALUE files of the seeds' deploy/environments.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/config.hpp"

namespace giia::cli {

Result<Env> ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return InvalidArgument(
        "--env-file", "--env-file " + path + ": cannot read it (" + std::strerror(errno) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseEnvFile(text.str(), path);
}

Result<Env> ParseEnvFile(std::string_view text, const std::string& path) {
  std::istringstream in{std::string(text)};
  Env out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto bad = [&](const std::string& why) {
      return InvalidArgument("--env-file", path + ":" + std::to_string(number) + ": " + why);
    };
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) return bad("expected KEY=VALUE");
    std::string key = line.substr(0, eq);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    for (char c : key) {
      if (!(std::isupper(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
        return bad("\"" + key + "\" is not a variable name (A-Z, 0-9, _)");
      }
    }
    std::string value = line.substr(eq + 1);
    const std::size_t start = value.find_first_not_of(" \t");
    value = start == std::string::npos ? "" : value.substr(start);
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const char quote = value.front();
      const std::size_t close = value.find(quote, 1);
      if (close == std::string::npos) return bad("the quote is not closed");
      value = value.substr(1, close - 1);
    } else {
      // An unquoted value ends at a " #" comment; trailing blanks are dropped.
      const std::size_t comment = value.find(" #");
      if (comment != std::string::npos) value.resize(comment);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    out[key] = value;
  }
  return out;
}

}  // namespace giia::cli
