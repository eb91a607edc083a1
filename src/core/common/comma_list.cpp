#include "core/common/comma_list.hpp"

namespace giia {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace

Result<std::vector<std::string>> ParseCommaList(
    std::string_view text, const std::string& field,
    const std::function<std::string(std::string_view)>& problem) {
  std::vector<std::string> out;
  const bool list = text.find(',') != std::string_view::npos;
  for (int position = 1;; ++position) {
    const auto comma = text.find(',');
    const std::string_view entry = TrimSpaces(text.substr(0, comma));
    if (const std::string why = problem(entry); !why.empty()) {
      return InvalidArgument(
          field, (list ? "entry " + std::to_string(position) + " " : std::string()) + why);
    }
    out.emplace_back(entry);
    if (comma == std::string_view::npos) return out;
    text = text.substr(comma + 1);
  }
}

}  // namespace giia
