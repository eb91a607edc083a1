#include "cli/output.hpp"

#include <algorithm>
#include <ostream>

namespace giia::cli {

void Output::Error(const std::string& message) const {
  err << "giia: error: " << (redactor != nullptr ? redactor->Apply(message) : message) << "\n";
}

void Output::Line(const std::string& text) const {
  out << (redactor != nullptr ? redactor->Apply(text) : text) << "\n";
}

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print(header);
  for (const auto& row : rows) print(row);
}

}  // namespace giia::cli
