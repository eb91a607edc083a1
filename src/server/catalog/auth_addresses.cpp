// AUTH_GRPC_ADDR's parser, apart from the gRPC client so that the
// configuration (and its fuzz harness) links it without gRPC.
#include <charconv>

#include "core/common/comma_list.hpp"
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

}  // namespace

Result<std::vector<std::string>> ParseAuthAddresses(const std::string& text) {
  return ParseCommaList(text, "AUTH_GRPC_ADDR", AddressProblem);
}

}  // namespace giia::server
