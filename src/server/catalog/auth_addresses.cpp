// AUTH_GRPC_ADDR's parser, apart from the gRPC client so that the
// configuration (and its fuzz harness) links it without gRPC.
#include <charconv>

#include "server/catalog/auth_permissions.hpp"

namespace giia::server {
namespace {

// Why `entry` is not host:port with a port of 1-65535; "" when it is.
std::string AddressProblem(std::string_view entry) {
  const std::string shown = "\"" + std::string(entry) + "\"";
  if (entry.empty()) return "is empty";
  const auto colon = entry.rfind(':');
  const auto bracket = entry.find(']');  // [::1]:9091
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && bracket > colon)) {
    return shown + " is not host:port";
  }
  const std::string_view host = entry.substr(0, colon);
  const std::string_view port = entry.substr(colon + 1);
  if (host.empty() || host.find_first_of("/?#@ ,") != std::string_view::npos) {
    return shown + " has no host";
  }
  int number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    return shown + " has no port of 1-65535";
  }
  return "";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<std::string>> ParseAuthAddresses(const std::string& text) {
  std::vector<std::string> out;
  const bool list = text.find(',') != std::string::npos;
  std::string_view rest = text;
  for (int position = 1;; ++position) {
    const auto comma = rest.find(',');
    const std::string_view entry = Trim(rest.substr(0, comma));
    if (const std::string problem = AddressProblem(entry); !problem.empty()) {
      return InvalidArgument(
          "AUTH_GRPC_ADDR",
          (list ? "entry " + std::to_string(position) + " " : std::string()) + problem);
    }
    out.emplace_back(entry);
    if (comma == std::string_view::npos) return out;
    rest = rest.substr(comma + 1);
  }
}

}  // namespace giia::server
