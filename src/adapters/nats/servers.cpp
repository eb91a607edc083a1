// NATS_URL's parser, apart from the client so that the configuration (and
// its fuzz harness) links it without nats.c.
#include <charconv>

#include "adapters/nats/jetstream.hpp"
#include "core/common/redact.hpp"

namespace giia::nats {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Why `entry` is not a nats:// or tls:// URL with a host and a valid port;
// "" when it is one.
std::string UrlProblem(std::string_view entry) {
  const std::string shown = "\"" + RedactCredentials(entry) + "\"";
  if (entry.empty()) return "is empty";
  std::string_view rest;
  if (entry.starts_with("nats://")) {
    rest = entry.substr(7);
  } else if (entry.starts_with("tls://")) {
    rest = entry.substr(6);
  } else {
    return shown + " is not a nats:// or tls:// URL";
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view host = rest;
  std::string_view port = "4222";
  const auto colon = rest.rfind(':');
  const auto bracket = rest.find(']');  // [::1]:4222
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || bracket < colon)) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of("/?# ") != std::string_view::npos) {
    return shown + " has no host";
  }
  int number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    return shown + ": port \"" + std::string(port) + "\" is not a number from 1 to 65535";
  }
  return "";
}

}  // namespace

Result<std::vector<std::string>> ParseServers(const std::string& urls) {
  std::vector<std::string> out;
  const bool list = urls.find(',') != std::string::npos;
  std::string_view rest = urls;
  for (int position = 1;; ++position) {
    const auto comma = rest.find(',');
    const std::string_view entry = TrimSpaces(rest.substr(0, comma));
    if (const std::string problem = UrlProblem(entry); !problem.empty()) {
      return InvalidArgument(
          "NATS_URL", (list ? "entry " + std::to_string(position) + " " : std::string()) + problem);
    }
    out.emplace_back(entry);
    if (comma == std::string_view::npos) return out;
    rest = rest.substr(comma + 1);
  }
}

}  // namespace giia::nats
