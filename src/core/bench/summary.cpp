#include "core/bench/summary.hpp"

namespace giia::bench {
namespace {
constexpr std::array<const char*, kMetrics.size()> kNames = {
    "p50", "p75", "p90", "p95", "p99", "p99.9", "avg", "min", "max", "rps", "errors"};
}  // namespace

const char* MetricName(Metric metric) { return kNames[static_cast<std::size_t>(metric)]; }

std::optional<Metric> MetricNamed(std::string_view name) {
  for (Metric m : kMetrics) {
    if (name == MetricName(m)) return m;
  }
  return std::nullopt;
}

bool IsLatency(Metric metric) { return metric != Metric::kRps && metric != Metric::kErrors; }

double MetricValue(const Summary& s, Metric metric) {
  switch (metric) {
    case Metric::kAvg: return s.avg_ns;
    case Metric::kMin: return static_cast<double>(s.min_ns);
    case Metric::kMax: return static_cast<double>(s.max_ns);
    case Metric::kRps: return s.rps;
    case Metric::kErrors: return static_cast<double>(s.errors);
    default: return static_cast<double>(s.percentile_ns[static_cast<std::size_t>(metric)]);
  }
}

}  // namespace giia::bench
