#pragma once
// The result of `giia bench`, three ways: text (ghz's summary, histogram bars
// and distributions, plus the ratio to the health baseline, the comparison
// with a previous result and the --fail-if verdict), json (stable field
// names; what --compare reads back) and csv (one row per run).

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/bench/fail_if.hpp"
#include "core/bench/runner.hpp"
#include "core/bench/summary.hpp"
#include "core/common/result.hpp"

namespace giia::cli {

inline constexpr const char* kBenchSchema = "giia.bench/v1";

struct BenchRun {
  std::string scenario;  // "get-product", "mix", "health"
  std::string rpc;       // "giia.catalog.v1.CatalogService/GetProduct"
  std::string target;    // HOST:PORT
  bench::RunResult result;
  bench::Summary summary;
};

// The settings a run was made with, echoed into the result.
struct BenchSettings {
  int concurrency = 0;
  int connections = 0;
  std::uint64_t requests = 0;
  double duration_s = 0;
  double rate = 0;
  std::uint64_t warmup_requests = 0;
  double warmup_s = 0;
  double timeout_s = 0;
  bool tls = false;
  std::string mix;
};

struct SetupReport {
  std::string organization_id;
  std::string email;
  int products = 0;
  int users = 0;         // the pool (--users)
  bool kept = false;     // --keep
  bool removed = false;  // every row of the organization was deleted
  std::int64_t rows_removed = 0;
};

struct BenchReport {
  BenchSettings settings;
  BenchRun run;
  std::optional<BenchRun> baseline;        // --with-baseline
  std::string compare_file;                // --compare
  std::optional<bench::Summary> previous;  // read from it
  std::string fail_if;                     // the expression judged (given or default)
  std::optional<bench::Verdict> verdict;
  std::optional<SetupReport> setup;
  bool interrupted = false;  // Ctrl-C ended the load early
};

void WriteText(std::ostream& out, const BenchReport& report);
std::string ToJson(const BenchReport& report);
void WriteCsv(std::ostream& out, const BenchReport& report);

// The figures of a result that `--output json` wrote.
// Errors: kInvalidArgument (field "--compare") when the file cannot be read
// or is not such a result.
[[nodiscard]] Result<bench::Summary> ReadBenchJson(const std::string& path);

}  // namespace giia::cli
