#include "core/common/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

namespace giia {
namespace {

constexpr std::int64_t kMaxMillis = 100LL * 365 * 24 * 3600 * 1000;  // 100 years

struct Unit {
  std::string_view name;
  std::int64_t millis;
};
// Longest names first, so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) {
    return InvalidArgument("", "is empty; write a duration such as 30s, 15m or 24h");
  }
  if (text == "0") return std::chrono::milliseconds(0);
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return InvalidArgument("", quoted + " is not a duration; write one such as 30s, 15m or 24h");
    }
    std::int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxMillis) return InvalidArgument("", quoted + " is too long");
      ++i;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      return InvalidArgument("", quoted + " needs a unit after each number (ms, s, m, h or d)");
    }
    i += unit->name.size();
    if (number > (kMaxMillis - total) / unit->millis) {
      return InvalidArgument("", quoted + " is too long");
    }
    total += number * unit->millis;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (const Unit& u : {kUnits[4], kUnits[3], kUnits[2], kUnits[1], kUnits[0]}) {
    if (ms >= u.millis) {
      out += std::to_string(ms / u.millis) + std::string(u.name);
      ms %= u.millis;
    }
  }
  return out;
}

}  // namespace giia
