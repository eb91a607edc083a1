// NATS_URL's parser, apart from the client so that the configuration (and
// its fuzz harness) links it without nats.c.
#include <charconv>

#include "adapters/nats/jetstream.hpp"
#include "core/common/comma_list.hpp"
#include "core/common/redact.hpp"

namespace giia::nats {
namespace {

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
  return ParseCommaList(urls, "NATS_URL", UrlProblem);
}

}  // namespace giia::nats
