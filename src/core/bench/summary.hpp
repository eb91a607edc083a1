#pragma once
// What one benchmark run measured, as plain numbers: the figures a report
// prints, --fail-if judges and --compare reads back from a previous JSON
// result (JSON itself is read and written outside core).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace giia::bench {

inline constexpr std::array<double, 6> kPercentiles = {50, 75, 90, 95, 99, 99.9};

// Every figure --fail-if and --compare know, by its name in expressions and
// in the JSON result.
enum class Metric { kP50, kP75, kP90, kP95, kP99, kP999, kAvg, kMin, kMax, kRps, kErrors };
inline constexpr std::array<Metric, 11> kMetrics = {
    Metric::kP50, Metric::kP75, Metric::kP90, Metric::kP95, Metric::kP99,   Metric::kP999,
    Metric::kAvg, Metric::kMin, Metric::kMax, Metric::kRps, Metric::kErrors};

// "p50" .. "p99.9", "avg", "min", "max", "rps", "errors".
const char* MetricName(Metric metric);
std::optional<Metric> MetricNamed(std::string_view name);
// Latencies are in nanoseconds; rps and errors are not.
bool IsLatency(Metric metric);

struct Summary {
  std::uint64_t count = 0;   // measured calls, failed ones included
  std::uint64_t errors = 0;  // calls that did not end OK
  double seconds = 0;        // measured wall time
  double rps = 0;            // count / seconds
  double avg_ns = 0;
  std::uint64_t min_ns = 0;
  std::uint64_t max_ns = 0;
  std::array<std::uint64_t, kPercentiles.size()> percentile_ns{};  // as kPercentiles
};

double MetricValue(const Summary& summary, Metric metric);

}  // namespace giia::bench
