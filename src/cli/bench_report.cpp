#include "cli/bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "cli/output.hpp"

namespace giia::cli {
namespace {

using bench::Metric;
using bench::Summary;
using nlohmann::json;

constexpr int kHistogramBins = 10;
constexpr int kBarWidth = 40;

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string PercentileLabel(std::size_t i) {
  const double p = bench::kPercentiles[i];
  return p == std::floor(p) ? Fixed(p, 0) : Fixed(p, 1);
}

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string LoadLine(const BenchSettings& s) {
  std::string load = s.rate > 0 ? "open loop at " + Fixed(s.rate, 1) + " calls/s" : "closed loop";
  load += ", " + Plural(static_cast<std::uint64_t>(s.concurrency), "worker", "workers") + " over " +
          Plural(static_cast<std::uint64_t>(s.connections), "connection", "connections");
  return load;
}

void WriteSummary(std::ostream& out, const BenchRun& run, const BenchSettings& settings) {
  const Summary& s = run.summary;
  const std::vector<std::vector<std::string>> rows = {
      {"Scenario:", run.scenario + " (" + run.rpc + " at " + run.target + ")"},
      {"Load:", LoadLine(settings)},
      {"Count:", std::to_string(s.count)},
      {"Total:", bench::FormatNanos(s.seconds * 1e9)},
      {"Slowest:", bench::FormatNanos(static_cast<double>(s.max_ns))},
      {"Fastest:", bench::FormatNanos(static_cast<double>(s.min_ns))},
      {"Average:", bench::FormatNanos(s.avg_ns)},
      {"Requests/sec:", Fixed(s.rps, 2)},
  };
  out << "\nSummary:\n";
  for (const auto& row : rows) {
    out << "  " << row[0] << std::string(15 - row[0].size(), ' ') << row[1] << "\n";
  }
}

void WriteHistogram(std::ostream& out, const bench::RunResult& r) {
  const auto bins = r.latency.LinearBins(kHistogramBins);
  if (bins.empty()) return;
  std::uint64_t most = 1;
  for (const auto& b : bins) most = std::max(most, b.count);
  std::size_t mark_width = 0, count_width = 0;
  for (const auto& b : bins) {
    mark_width =
        std::max(mark_width, bench::FormatNanos(static_cast<double>(b.upper_nanos)).size());
    count_width = std::max(count_width, std::to_string(b.count).size());
  }
  out << "\nResponse time histogram:\n";
  for (const auto& b : bins) {
    const std::string mark = bench::FormatNanos(static_cast<double>(b.upper_nanos));
    const std::string count = std::to_string(b.count);
    const auto bar = static_cast<std::size_t>(
        std::llround(static_cast<double>(b.count) * kBarWidth / static_cast<double>(most)));
    out << "  " << std::string(mark_width - mark.size(), ' ') << mark << " [" << count << "]"
        << std::string(count_width - count.size(), ' ') << " |";
    for (std::size_t i = 0; i < bar; ++i) out << "\u220e";
    out << "\n";
  }
}

void WriteDistributions(std::ostream& out, const BenchRun& run) {
  out << "\nLatency distribution:\n";
  for (std::size_t i = 0; i < bench::kPercentiles.size(); ++i) {
    out << "  " << PercentileLabel(i) << " % in "
        << bench::FormatNanos(static_cast<double>(run.summary.percentile_ns[i])) << "\n";
  }
  out << "\nStatus code distribution:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, n] : run.result.statuses) {
    rows.push_back({"[" + name + "]", Plural(n, "response", "responses")});
  }
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row[0].size());
  for (const auto& row : rows) {
    out << "  " << row[0] << std::string(width - row[0].size() + 3, ' ') << row[1] << "\n";
  }
  if (run.result.error_messages.empty()) return;
  out << "\nError distribution:\n";
  for (const auto& [message, n] : run.result.error_messages) {
    out << "  [" << n << "]   " << message << "\n";
  }
}

std::string Ratio(double numerator, double denominator) {
  if (denominator == 0) return "-";
  return Fixed(numerator / denominator, 2) + "x";
}

std::string Change(double percent) {
  if (std::isinf(percent)) return "new";
  return (percent >= 0 ? "+" : "") + Fixed(percent, 1) + "%";
}

void WriteBaseline(std::ostream& out, const BenchRun& run, const BenchRun& base) {
  out << "\nAgainst the health baseline (" << base.rpc << " at " << base.target
      << ", same settings):\n";
  std::vector<std::vector<std::string>> rows;
  for (Metric m : bench::kMetrics) {
    const double a = bench::MetricValue(run.summary, m);
    const double b = bench::MetricValue(base.summary, m);
    rows.push_back({bench::MetricName(m), bench::FormatMetric(m, a), bench::FormatMetric(m, b),
                    m == Metric::kErrors ? "-" : Ratio(a, b)});
  }
  std::ostringstream table;
  PrintTable(table, {"METRIC", run.scenario, "health", "RATIO"}, rows);
  std::istringstream lines(table.str());
  for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
}

void WriteComparison(std::ostream& out, const std::string& file, const Summary& previous,
                     const Summary& current) {
  out << "\nCompared with " << file << ":\n";
  std::vector<std::vector<std::string>> rows;
  for (const bench::Delta& d : bench::Compare(previous, current)) {
    rows.push_back({bench::MetricName(d.metric), bench::FormatMetric(d.metric, d.previous),
                    bench::FormatMetric(d.metric, d.current), Change(d.change_percent)});
  }
  std::ostringstream table;
  PrintTable(table, {"METRIC", "PREVIOUS", "CURRENT", "CHANGE"}, rows);
  std::istringstream lines(table.str());
  for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
}

void WriteVerdict(std::ostream& out, const BenchReport& r) {
  out << "\nfail-if (" << r.fail_if << "): ";
  if (r.verdict->passed()) {
    out << "passed\n";
    return;
  }
  out << Plural(r.verdict->violations.size(), "condition", "conditions") << " met\n";
  for (const bench::Violation& v : r.verdict->violations) out << "  " << v.Describe() << "\n";
}

void WriteSetup(std::ostream& out, const SetupReport& s) {
  out << "\nSetup: organization " << s.organization_id << ", admin " << s.email << ", "
      << Plural(static_cast<std::uint64_t>(s.products), "product", "products");
  if (s.users > 0) out << ", " << Plural(static_cast<std::uint64_t>(s.users), "user", "users");
  out << "; ";
  if (s.kept) {
    out << "kept (--keep)\n";
  } else if (s.removed) {
    out << "removed (" << Plural(static_cast<std::uint64_t>(s.rows_removed), "row", "rows")
        << ")\n";
  } else {
    out << "NOT removed (see the error above)\n";
  }
}

json LatencyJson(const Summary& s) {
  json latency = {{"min", s.min_ns}, {"avg", s.avg_ns}, {"max", s.max_ns}};
  for (std::size_t i = 0; i < bench::kPercentiles.size(); ++i) {
    latency[bench::MetricName(bench::kMetrics[i])] = s.percentile_ns[i];
  }
  return latency;
}

json RunJson(const BenchRun& run) {
  const Summary& s = run.summary;
  json out = {{"scenario", run.scenario},
              {"rpc", run.rpc},
              {"target", run.target},
              {"count", s.count},
              {"errors", s.errors},
              {"seconds", s.seconds},
              {"rps", s.rps},
              {"latency_ns", LatencyJson(s)}};
  out["histogram"] = json::array();
  for (const auto& b : run.result.latency.LinearBins(kHistogramBins)) {
    out["histogram"].push_back({{"upper_ns", b.upper_nanos}, {"count", b.count}});
  }
  out["status_codes"] = run.result.statuses;
  out["error_messages"] = run.result.error_messages;
  return out;
}

json SettingsJson(const BenchSettings& s) {
  return {{"concurrency", s.concurrency},
          {"connections", s.connections},
          {"requests", s.requests},
          {"duration_s", s.duration_s},
          {"rate", s.rate},
          {"warmup_requests", s.warmup_requests},
          {"warmup_s", s.warmup_s},
          {"timeout_s", s.timeout_s},
          {"tls", s.tls},
          {"mix", s.mix}};
}

json ExtrasJson(const BenchReport& r) {
  json out = json::object();
  if (r.baseline) {
    out["baseline"] = RunJson(*r.baseline);
    json ratio = json::object();
    for (Metric m : bench::kMetrics) {
      const double b = bench::MetricValue(r.baseline->summary, m);
      if (m != Metric::kErrors && b != 0) {
        ratio[bench::MetricName(m)] = bench::MetricValue(r.run.summary, m) / b;
      }
    }
    out["ratio_to_baseline"] = ratio;
  }
  if (r.previous) {
    json deltas = json::object();
    for (const bench::Delta& d : bench::Compare(*r.previous, r.run.summary)) {
      deltas[bench::MetricName(d.metric)] = {
          {"previous", d.previous},
          {"current", d.current},
          {"change_percent",
           std::isinf(d.change_percent) ? json(nullptr) : json(d.change_percent)}};
    }
    out["compare"] = {{"file", r.compare_file}, {"deltas", deltas}};
  }
  if (r.verdict) {
    json violations = json::array();
    for (const bench::Violation& v : r.verdict->violations) violations.push_back(v.Describe());
    out["fail_if"] = {
        {"expression", r.fail_if}, {"passed", r.verdict->passed()}, {"violations", violations}};
  }
  if (r.setup) {
    out["setup"] = {{"organization_id", r.setup->organization_id},
                    {"email", r.setup->email},
                    {"products", r.setup->products},
                    {"users", r.setup->users},
                    {"kept", r.setup->kept},
                    {"removed", r.setup->removed},
                    {"rows_removed", r.setup->rows_removed}};
  }
  return out;
}

std::vector<std::string> CsvRow(const std::string& name, const BenchRun& run) {
  const Summary& s = run.summary;
  std::vector<std::string> row = {name,
                                  run.scenario,
                                  run.rpc,
                                  run.target,
                                  std::to_string(s.count),
                                  std::to_string(s.errors),
                                  Fixed(s.seconds, 6),
                                  Fixed(s.rps, 2),
                                  std::to_string(s.min_ns),
                                  Fixed(s.avg_ns, 0),
                                  std::to_string(s.max_ns)};
  for (std::uint64_t p : s.percentile_ns) row.push_back(std::to_string(p));
  return row;
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Result<double> Number(const json& doc, const json::json_pointer& at, const std::string& path) {
  if (!doc.contains(at) || !doc.at(at).is_number()) {
    return InvalidArgument("--compare", "--compare " + path + ": no number at " + at.to_string() +
                                            "; is it a result of giia bench --output json?");
  }
  return doc.at(at).get<double>();
}

}  // namespace

void WriteText(std::ostream& out, const BenchReport& r) {
  if (r.interrupted)
    out << "\nInterrupted: the load ended early (Ctrl-C); the calls made so far:\n";
  WriteSummary(out, r.run, r.settings);
  WriteHistogram(out, r.run.result);
  WriteDistributions(out, r.run);
  if (r.baseline) WriteBaseline(out, r.run, *r.baseline);
  if (r.previous) WriteComparison(out, r.compare_file, *r.previous, r.run.summary);
  if (r.verdict) WriteVerdict(out, r);
  if (r.setup) WriteSetup(out, *r.setup);
}

std::string ToJson(const BenchReport& r) {
  json out = {{"schema", kBenchSchema},
              {"options", SettingsJson(r.settings)},
              {"interrupted", r.interrupted}};
  out.update(RunJson(r.run));
  out.update(ExtrasJson(r));
  return out.dump(2);
}

void WriteCsv(std::ostream& out, const BenchReport& r) {
  std::vector<std::string> header = {"run",     "scenario", "rpc",    "target", "count", "errors",
                                     "seconds", "rps",      "min_ns", "avg_ns", "max_ns"};
  for (std::size_t i = 0; i < bench::kPercentiles.size(); ++i) {
    header.push_back(std::string(bench::MetricName(bench::kMetrics[i])) + "_ns");
  }
  std::vector<std::vector<std::string>> rows = {header, CsvRow("main", r.run)};
  if (r.baseline) rows.push_back(CsvRow("baseline", *r.baseline));
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out << (i > 0 ? "," : "") << CsvField(row[i]);
    out << "\n";
  }
}

Result<Summary> ReadBenchJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("--compare", "--compare " + path + ": cannot read the file");
  const json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("schema", "") != kBenchSchema) {
    return InvalidArgument("--compare", "--compare " + path +
                                            " is not a result of giia bench --output json "
                                            "(schema " +
                                            kBenchSchema + ")");
  }
  Summary s;
  std::vector<std::pair<std::string, double*>> numbers = {
      {"/seconds", &s.seconds}, {"/rps", &s.rps}, {"/latency_ns/avg", &s.avg_ns}};
  for (const auto& [at, target] : numbers) {
    auto v = Number(doc, json::json_pointer(at), path);
    if (!v) return tl::unexpected(v.error());
    *target = *v;
  }
  std::vector<std::pair<std::string, std::uint64_t*>> counts = {{"/count", &s.count},
                                                                {"/errors", &s.errors},
                                                                {"/latency_ns/min", &s.min_ns},
                                                                {"/latency_ns/max", &s.max_ns}};
  for (std::size_t i = 0; i < bench::kPercentiles.size(); ++i) {
    counts.emplace_back(std::string("/latency_ns/") + bench::MetricName(bench::kMetrics[i]),
                        &s.percentile_ns[i]);
  }
  for (const auto& [at, target] : counts) {
    auto v = Number(doc, json::json_pointer(at), path);
    if (!v) return tl::unexpected(v.error());
    *target = static_cast<std::uint64_t>(std::llround(*v));
  }
  return s;
}

}  // namespace giia::cli
