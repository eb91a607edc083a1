#include "core/bench/fail_if.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace giia::bench {
namespace {

constexpr const char* kField = "--fail-if";
constexpr const char* kMetricList = "p50, p75, p90, p95, p99, p99.9, avg, min, max, rps or errors";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

tl::unexpected<Error> Bad(std::string_view condition, const std::string& why) {
  return InvalidArgument(kField,
                         std::string(kField) + " \"" + std::string(condition) + "\": " + why);
}

struct Unit {
  std::string_view name;
  double nanos;
};
constexpr Unit kUnits[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};

// The limit after the operator: [+|-] number [unit].
Status ParseLimit(std::string_view text, std::string_view limit, Condition& c) {
  const bool sign = !limit.empty() && (limit.front() == '+' || limit.front() == '-');
  const bool negative = sign && limit.front() == '-';
  if (sign) limit.remove_prefix(1);
  std::size_t digits = 0;
  while (digits < limit.size() &&
         ((limit[digits] >= '0' && limit[digits] <= '9') || limit[digits] == '.')) {
    ++digits;
  }
  double number = 0;
  const auto [end, ec] = std::from_chars(limit.data(), limit.data() + digits, number);
  if (digits == 0 || ec != std::errc() || end != limit.data() + digits) {
    return Bad(text, "the limit must be a number, such as 2ms, 10000 or +10%");
  }
  const std::string_view unit = Trim(limit.substr(digits));
  if (sign) {
    if (unit != "%") return Bad(text, "a relative limit is a signed percentage, such as +10%");
    c.kind = Condition::Kind::kRelative;
    c.limit = negative ? -number : number;
    return Ok();
  }
  if (IsLatency(c.metric)) {
    for (const Unit& u : kUnits) {
      if (unit == u.name) {
        c.limit = number * u.nanos;
        return Ok();
      }
    }
    return Bad(text, "a latency limit needs a unit: ns, us, ms or s (such as 2ms)");
  }
  if (c.metric == Metric::kErrors && unit == "%") {
    c.kind = Condition::Kind::kErrorRate;
  } else if (!unit.empty()) {
    return Bad(text, c.metric == Metric::kRps
                         ? "rps is a plain number of calls per second (such as 10000)"
                         : "errors is a count (such as 0) or a share of the calls (such as 1%)");
  }
  c.limit = number;
  return Ok();
}

Result<Condition> ParseCondition(std::string_view text) {
  if (text.empty()) {
    return InvalidArgument(kField, std::string(kField) +
                                       " has an empty condition; write METRIC>LIMIT or "
                                       "METRIC<LIMIT, comma separated, such as p99>2ms,rps<10000");
  }
  const std::size_t op = text.find_first_of("<>=!");
  if (op == std::string_view::npos || text[op] == '=' || text[op] == '!' ||
      (op + 1 < text.size() &&
       (text[op + 1] == '=' || text[op + 1] == '<' || text[op + 1] == '>'))) {
    return Bad(text, "compare with > or < (such as p99>2ms)");
  }
  Condition c;
  c.text = std::string(text);
  c.above = text[op] == '>';
  const std::string_view name = Trim(text.substr(0, op));
  auto metric = MetricNamed(name);
  if (!metric) {
    return Bad(text, "unknown metric \"" + std::string(name) + "\"; use " + kMetricList);
  }
  c.metric = *metric;
  if (auto ok = ParseLimit(text, Trim(text.substr(op + 1)), c); !ok) {
    return tl::unexpected(ok.error());
  }
  return c;
}

std::string Number(double value, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

std::string FormatLimit(const Condition& c, double value) {
  if (c.kind == Condition::Kind::kErrorRate) return Number(value, "%.3g%%");
  return FormatMetric(c.metric, value);
}

}  // namespace

Result<std::vector<Condition>> ParseFailIf(std::string_view text) {
  std::vector<Condition> out;
  for (;;) {
    const std::size_t comma = text.find(',');
    auto c = ParseCondition(Trim(text.substr(0, comma)));
    if (!c) return tl::unexpected(c.error());
    out.push_back(std::move(*c));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool NeedsPrevious(std::span<const Condition> conditions) {
  for (const Condition& c : conditions) {
    if (c.kind == Condition::Kind::kRelative) return true;
  }
  return false;
}

std::string Violation::Describe() const {
  std::string out = std::string(MetricName(condition.metric)) + " " +
                    FormatLimit(condition, actual) + (condition.above ? " > " : " < ") +
                    FormatLimit(condition, limit);
  if (condition.kind == Condition::Kind::kRelative) {
    out += " (the previous result " + Number(condition.limit, "%+g%%") + ")";
  }
  return out;
}

Result<Verdict> Evaluate(std::span<const Condition> conditions, const Summary& current,
                         const Summary* previous) {
  Verdict verdict;
  for (const Condition& c : conditions) {
    Violation v{c, MetricValue(current, c.metric), c.limit};
    if (c.kind == Condition::Kind::kErrorRate) {
      v.actual = current.count == 0 ? 0
                                    : 100.0 * static_cast<double>(current.errors) /
                                          static_cast<double>(current.count);
    } else if (c.kind == Condition::Kind::kRelative) {
      if (previous == nullptr) {
        return Bad(c.text, "a relative limit needs a previous result: add --compare FILE");
      }
      v.limit = MetricValue(*previous, c.metric) * (1 + c.limit / 100);
    }
    if (c.above ? v.actual > v.limit : v.actual < v.limit) verdict.violations.push_back(v);
  }
  return verdict;
}

std::vector<Delta> Compare(const Summary& previous, const Summary& current) {
  std::vector<Delta> out;
  for (Metric m : kMetrics) {
    Delta d{m, MetricValue(previous, m), MetricValue(current, m), 0};
    if (d.previous != 0) {
      d.change_percent = (d.current - d.previous) / d.previous * 100;
    } else if (d.current != 0) {
      d.change_percent = std::numeric_limits<double>::infinity();
    }
    out.push_back(d);
  }
  return out;
}

std::string FormatNanos(double nanos) {
  // Three significant digits, without an exponent: 812ns, 41.2us, 2.41ms, 1.20s.
  auto scaled = [](double v, const char* unit) {
    return Number(v, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f") + unit;
  };
  if (nanos < 1e3) return Number(nanos, "%.0fns");
  if (nanos < 1e6) return scaled(nanos / 1e3, "us");
  if (nanos < 1e9) return scaled(nanos / 1e6, "ms");
  return scaled(nanos / 1e9, "s");
}

std::string FormatMetric(Metric metric, double value) {
  if (IsLatency(metric)) return FormatNanos(value);
  if (metric == Metric::kRps) return Number(value, "%.1f");
  return Number(value, "%.0f");
}

}  // namespace giia::bench
