#pragma once
// Where a command writes: results to `out` (a table, or JSON with
// --output json), errors to `err` as one sentence with secrets removed.

#include <iosfwd>
#include <string>
#include <vector>

#include "core/common/redact.hpp"
#include "core/common/result.hpp"

namespace giia::cli {

struct Output {
  std::ostream& out;
  std::ostream& err;
  bool json = false;  // --output json
  const Redactor* redactor = nullptr;

  // "giia: error: <message>" on err, secrets removed.
  void Error(const std::string& message) const;
  void Error(const giia::Error& error) const { Error(error.message); }
  // A plain line on out, secrets removed.
  void Line(const std::string& text) const;
};

// A left-aligned text table with a header row.
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace giia::cli
