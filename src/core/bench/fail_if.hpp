#pragma once
// --fail-if: conditions a run must not meet, e.g. "p99>2ms,rps<10000,errors>0".
// Each is METRIC OP LIMIT, comma separated, any of them met fails the run:
//   METRIC  p50 p75 p90 p95 p99 p99.9 avg min max rps errors
//   OP      > (fails when the value is above LIMIT) or < (below)
//   LIMIT   latencies: a number with ns, us, ms or s ("2ms", "1.5us");
//           rps: a number of calls per second; errors: a count, or a share
//           of the calls with % ("errors>0.1%");
//           relative to the --compare result: a signed percentage
//           ("p99>+10%": p99 more than 10% above the previous p99;
//           "rps<-5%": rps more than 5% below the previous rps).
// And --compare: each metric's change against a previous result.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bench/summary.hpp"
#include "core/common/result.hpp"

namespace giia::bench {

// What --compare judges when no --fail-if is given.
inline constexpr const char* kDefaultCompareRule = "p99>+10%,rps<-10%";

struct Condition {
  enum class Kind {
    kAbsolute,   // limit in the metric's unit (ns, calls/s, calls)
    kErrorRate,  // errors only: limit is a percentage of the calls
    kRelative,   // limit is a percentage change from the previous result
  };
  Metric metric = Metric::kP99;
  bool above = true;  // '>': met when the value is above the limit; '<': below
  Kind kind = Kind::kAbsolute;
  double limit = 0;
  std::string text;  // as written, without surrounding spaces
};

// Errors: kInvalidArgument (field "--fail-if") naming the condition and what
// is wrong with it: an unknown metric, a missing or other operator, a number
// that does not parse, a unit that does not fit the metric.
[[nodiscard]] Result<std::vector<Condition>> ParseFailIf(std::string_view text);

bool NeedsPrevious(std::span<const Condition> conditions);

struct Violation {
  Condition condition;
  double actual = 0;             // the current value (errors as a percentage for kErrorRate)
  double limit = 0;              // the resolved limit, in the same unit
  std::string Describe() const;  // "p99 2.41ms > 2ms"
};

struct Verdict {
  std::vector<Violation> violations;
  bool passed() const { return violations.empty(); }
};

// Which conditions the current run meets. `previous` is the --compare
// result, or null. Errors: kInvalidArgument (field "--fail-if") when a
// relative condition has no previous result to compare with.
[[nodiscard]] Result<Verdict> Evaluate(std::span<const Condition> conditions,
                                       const Summary& current, const Summary* previous);

// One metric against the previous result; change_percent is 0 when both are
// 0 and +inf when only the previous one is.
struct Delta {
  Metric metric = Metric::kP50;
  double previous = 0;
  double current = 0;
  double change_percent = 0;
};
std::vector<Delta> Compare(const Summary& previous, const Summary& current);

// A metric's value for people: "812ns", "41.2us", "2.41ms", "1.20s", "10432.1"
// (rps), "3" (errors).
std::string FormatMetric(Metric metric, double value);
std::string FormatNanos(double nanos);

}  // namespace giia::bench
