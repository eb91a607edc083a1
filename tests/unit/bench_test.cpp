// giia bench's pure parts: the log-linear histogram against exact
// percentiles of known distributions, the open-loop schedule and its latency
// accounting on a fake clock (a stalled reply counts in every call it held
// back), closed-loop and warm-up accounting, and the --fail-if parser,
// evaluator and --compare deltas. Nothing here is timed.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/bench/fail_if.hpp"
#include "core/bench/histogram.hpp"
#include "core/bench/runner.hpp"
#include "core/bench/scenario.hpp"

using namespace giia;
using namespace giia::bench;
using namespace std::chrono_literals;

namespace {

// The nearest-rank percentile of `sorted`, as Histogram::Percentile defines it.
std::uint64_t Exact(const std::vector<std::uint64_t>& sorted, double percent) {
  if (percent >= 100) return sorted.back();
  const auto rank = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(percent / 100 * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

void CheckPercentiles(std::vector<std::uint64_t> values) {
  Histogram h;
  for (std::uint64_t v : values) h.Record(v);
  std::sort(values.begin(), values.end());
  REQUIRE(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  for (double p : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
    const double exact = static_cast<double>(Exact(values, p));
    const double got = static_cast<double>(h.Percentile(p));
    INFO("p" << p << " exact " << exact << " histogram " << got);
    CHECK(std::abs(got - exact) <= exact * Histogram::kMaxRelativeError);
    CHECK(std::abs(got - exact) <= exact * 0.01);  // the promise of the issue: within 1%
  }
}

class FakeClock final : public Clock {
 public:
  Nanos now{0};
  Nanos Now() override { return now; }
  void SleepUntil(Nanos when) override { now = std::max(now, when); }
};

// Every call takes `each`, except those in `stalls`, which take `stall`.
class ScriptedCaller final : public Caller {
 public:
  ScriptedCaller(FakeClock& clock, Nanos each, std::set<std::uint64_t> stalls = {},
                 Nanos stall = 0ns)
      : clock_(clock), each_(each), stalls_(std::move(stalls)), stall_(stall) {}
  CallOutcome Call(int, std::uint64_t ticket) override {
    tickets.push_back(ticket);
    clock_.now += stalls_.contains(ticket) ? stall_ : each_;
    if (fail_odd && ticket % 2 == 1) return {14, "UNAVAILABLE", "connection refused"};
    return {};
  }
  std::vector<std::uint64_t> tickets;
  bool fail_odd = false;

 private:
  FakeClock& clock_;
  Nanos each_;
  std::set<std::uint64_t> stalls_;
  Nanos stall_;
};

Summary SummaryWith(std::uint64_t p99_ns, double rps, std::uint64_t count = 1000,
                    std::uint64_t errors = 0) {
  Summary s;
  s.count = count;
  s.errors = errors;
  s.rps = rps;
  s.seconds = static_cast<double>(count) / rps;
  s.percentile_ns = {p99_ns / 4, p99_ns / 3, p99_ns / 2, p99_ns / 2, p99_ns, p99_ns * 2};
  s.avg_ns = static_cast<double>(p99_ns) / 3;
  s.min_ns = p99_ns / 10;
  s.max_ns = p99_ns * 3;
  return s;
}

std::string ParseError(const std::string& text) {
  auto parsed = ParseFailIf(text);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  CHECK(parsed.error().field == "--fail-if");
  CHECK_THAT(parsed.error().message, Catch::Contains("--fail-if"));
  return parsed.error().message;
}

}  // namespace

TEST_CASE("Histogram buckets tile the whole range, each within 1/128 of its values", "[bench]") {
  for (std::size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    INFO("bucket " << i);
    REQUIRE(Histogram::BucketHigh(i) + 1 == Histogram::BucketLow(i + 1));
    REQUIRE(Histogram::BucketOf(Histogram::BucketLow(i)) == i);
    REQUIRE(Histogram::BucketOf(Histogram::BucketHigh(i)) == i);
    const double width =
        static_cast<double>(Histogram::BucketHigh(i) - Histogram::BucketLow(i) + 1);
    REQUIRE(width <= std::max(1.0, static_cast<double>(Histogram::BucketLow(i)) / 128));
  }
  CHECK(Histogram::BucketOf(0) == 0);
  CHECK(Histogram::BucketOf(255) == 255);
  CHECK(Histogram::BucketOf(UINT64_MAX) == Histogram::kBucketCount - 1);
  CHECK(Histogram::BucketHigh(Histogram::kBucketCount - 1) == UINT64_MAX);
  CHECK(Histogram::kMaxRelativeError < 0.01);
}

TEST_CASE("Histogram percentiles of known distributions are within the stated error", "[bench]") {
  SECTION("constant: every percentile, min, max and mean are the value itself") {
    Histogram h;
    for (int i = 0; i < 1000; ++i) h.Record(1'234'567);
    for (double p : {0.0, 50.0, 99.9, 100.0}) CHECK(h.Percentile(p) == 1'234'567);
    CHECK(h.min() == 1'234'567);
    CHECK(h.max() == 1'234'567);
    CHECK(h.mean() == 1'234'567.0);
  }
  SECTION("uniform over 1ns..1ms, every integer once") {
    std::vector<std::uint64_t> values(1'000'000);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = i + 1;
    CheckPercentiles(values);
    Histogram h;
    for (std::uint64_t v : values) h.Record(v);
    CHECK(h.mean() == 500'000.5);
    // p50 of 1..1e6 is 500000; p99.9 is 999000.
    CHECK(std::abs(static_cast<double>(h.Percentile(50)) - 500'000) <= 500'000 * 0.004);
    CHECK(std::abs(static_cast<double>(h.Percentile(99.9)) - 999'000) <= 999'000 * 0.004);
  }
  SECTION("bimodal: 90% near 100us, 10% near 10ms") {
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::uint64_t> fast(90'000, 110'000);
    std::uniform_int_distribution<std::uint64_t> slow(9'500'000, 10'500'000);
    std::vector<std::uint64_t> values;
    for (int i = 0; i < 100'000; ++i) values.push_back(i % 10 == 9 ? slow(rng) : fast(rng));
    CheckPercentiles(values);
    Histogram h;
    for (std::uint64_t v : values) h.Record(v);
    CHECK(h.Percentile(50) < 111'000);
    CHECK(h.Percentile(90) < 111'000);
    CHECK(h.Percentile(95) > 9'400'000);
    CHECK(h.Percentile(99.9) > 9'400'000);
  }
  SECTION("long tail: log-uniform over 1us..10s") {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> exponent(3, 10);
    std::vector<std::uint64_t> values;
    for (int i = 0; i < 200'000; ++i) {
      values.push_back(static_cast<std::uint64_t>(std::pow(10.0, exponent(rng))));
    }
    CheckPercentiles(values);
  }
  SECTION("small exact values") { CheckPercentiles({1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233}); }
  SECTION("empty") {
    Histogram h;
    CHECK(h.Percentile(50) == 0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0);
    CHECK(h.LinearBins(10).empty());
  }
}

TEST_CASE("Merged histograms equal one histogram of every value and bins cover min to max",
          "[bench]") {
  Histogram a, b, all;
  for (std::uint64_t v = 1; v <= 20'000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 37);
    all.Record(v * 37);
  }
  a.Merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  CHECK(a.mean() == all.mean());
  for (double p : {50.0, 90.0, 99.0, 99.9}) CHECK(a.Percentile(p) == all.Percentile(p));

  const auto bins = all.LinearBins(10);
  REQUIRE(bins.size() == 10);
  CHECK(bins.back().upper_nanos == all.max());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < bins.size(); ++i) {
    total += bins[i].count;
    if (i > 0) CHECK(bins[i].upper_nanos > bins[i - 1].upper_nanos);
    CHECK(bins[i].count == Approx(2000).epsilon(0.05));  // uniform values: even bins
  }
  CHECK(total == all.count());
}

TEST_CASE("The open-loop schedule spaces calls 1/R apart from the start", "[bench]") {
  const OpenLoopSchedule s(1000, 5s);
  CHECK(s.DueAt(0) == 5s);
  CHECK(s.DueAt(1) == 5001ms);
  CHECK(s.DueAt(1000) == 6s);
  const OpenLoopSchedule third(3, 0s);
  CHECK(third.DueAt(1) == 333'333'333ns);
  CHECK(third.DueAt(3) == 1s);  // no drift from adding rounded periods
}

TEST_CASE("Open loop: a stalled reply counts in every call it held back", "[bench]") {
  FakeClock clock;
  SECTION("rate 100/s, call 0 takes 100ms, the others 1ms") {
    // Calls are due every 10ms. Call k (1..9) is due at 10k ms but can only
    // start when the one before it ends, at 100 + (k - 1) ms, and ends 1ms
    // later: latency 100 - 9k ms. Call 10 is due at 100ms, starts at 109ms:
    // 10ms. Call 11 is on time again: 1ms.
    ScriptedCaller caller(clock, 1ms, {0}, 100ms);
    const RunResult r = RunLoad({1, 12, 0ns, 100}, caller, clock);
    CHECK(r.count == 12);
    CHECK(r.errors == 0);
    CHECK(r.latency.max() == 100'000'000);
    CHECK(r.latency.min() == 1'000'000);
    // 100 + 91 + 82 + ... + 19 + 10 + 1 = 606 ms over 12 calls.
    CHECK(r.latency.mean() == 606e6 / 12);
    CHECK(r.elapsed == 111ms);  // call 11 due at 110ms, ends at 111ms
  }
  SECTION("rate 1000/s: every call after the stall waited for it") {
    ScriptedCaller caller(clock, 1ms, {0}, 100ms);
    const RunResult r = RunLoad({1, 10, 0ns, 1000}, caller, clock);
    CHECK(r.latency.min() == 100'000'000);
    CHECK(r.latency.max() == 100'000'000);
    CHECK(r.latency.Percentile(50) == 100'000'000);
  }
  SECTION("the same stall in a closed loop hides in one call (coordinated omission)") {
    ScriptedCaller caller(clock, 1ms, {0}, 100ms);
    const RunResult r = RunLoad({1, 12, 0ns, 0}, caller, clock);
    CHECK(r.latency.max() == 100'000'000);
    CHECK(static_cast<double>(r.latency.Percentile(50)) ==
          Approx(1e6).epsilon(Histogram::kMaxRelativeError));
    CHECK(r.latency.mean() == 111e6 / 12);
  }
  SECTION("by duration: the calls due before the end") {
    ScriptedCaller caller(clock, 500us);
    const RunResult r = RunLoad({1, 0, 10ms, 1000}, caller, clock);
    CHECK(r.count == 10);  // due at 0, 1, ..., 9 ms
    CHECK(r.latency.max() == 500'000);
  }
}

TEST_CASE("Closed loop: counts, durations, warm-up and status accounting", "[bench]") {
  FakeClock clock;
  SECTION("by duration") {
    ScriptedCaller caller(clock, 1ms);
    const RunResult r = RunLoad({1, 0, 10ms, 0}, caller, clock);
    CHECK(r.count == 10);
    CHECK(r.elapsed == 10ms);
    CHECK(Summarize(r).rps == Approx(1000));
  }
  SECTION("warm-up calls run first with their own tickets and are not counted") {
    ScriptedCaller caller(clock, 1ms, {0, 1, 2}, 50ms);  // the slow ones are warm-up
    RunPlan plan;
    plan.load = {1, 10, 0ns, 0};
    plan.warmup_requests = 5;
    const RunResult r = Run(plan, caller, clock);
    CHECK(r.count == 10);
    CHECK(r.latency.max() == 1'000'000);
    CHECK(caller.tickets.size() == 15);
    CHECK(std::set<std::uint64_t>(caller.tickets.begin(), caller.tickets.end()).size() == 15);
    CHECK(r.elapsed == 10ms);
  }
  SECTION("statuses and error messages") {
    ScriptedCaller caller(clock, 1ms);
    caller.fail_odd = true;
    const RunResult r = RunLoad({1, 10, 0ns, 0}, caller, clock);
    CHECK(r.count == 10);
    CHECK(r.errors == 5);
    CHECK(r.statuses.at("OK") == 5);
    CHECK(r.statuses.at("UNAVAILABLE") == 5);
    CHECK(r.error_messages.at("connection refused") == 5);
  }
  SECTION("several workers share the calls") {
    // Real threads on the real clock; only counts are checked.
    class Instant final : public Caller {
     public:
      CallOutcome Call(int, std::uint64_t) override { return {}; }
    } instant;
    const RunResult r = RunLoad({4, 1000, 0ns, 0}, instant, SteadyClock());
    CHECK(r.count == 1000);
    CHECK(r.statuses.at("OK") == 1000);
  }
}

namespace {
// An asynchronous caller whose calls end on a thread of its own (as gRPC's
// completions do), at most `workers` in flight; it records the most it saw.
class ThreadedAsyncCaller final : public Caller {
 public:
  bool Asynchronous() const override { return true; }
  CallOutcome Call(int, std::uint64_t) override { return {}; }
  void Start(int worker, std::uint64_t ticket, Done done) override {
    const int now = ++in_flight;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    {
      std::lock_guard lock(mu);
      per_worker[worker] += 1;
      tickets.insert(ticket);
    }
    std::thread([this, ticket, done = std::move(done)] {
      --in_flight;
      done(ticket % 3 == 0 ? CallOutcome{14, "UNAVAILABLE", "down"} : CallOutcome{});
    }).detach();
  }
  std::atomic<int> in_flight{0}, most{0};
  std::mutex mu;
  std::map<int, int> per_worker;
  std::set<std::uint64_t> tickets;
};

// Calls that end inside Start, on the caller's stack.
class InlineAsyncCaller final : public Caller {
 public:
  bool Asynchronous() const override { return true; }
  CallOutcome Call(int, std::uint64_t) override { return {}; }
  void Start(int, std::uint64_t, Done done) override {
    ++calls;
    done({});
  }
  std::atomic<std::uint64_t> calls{0};
};
}  // namespace

TEST_CASE("Closed loop of an asynchronous caller: calls follow their completions, no threads",
          "[bench]") {
  SECTION("calls that end on other threads keep at most one a worker in flight") {
    ThreadedAsyncCaller caller;
    const RunResult r = RunLoad({4, 600, 0ns, 0}, caller, SteadyClock());
    CHECK(r.count == 600);
    CHECK(r.errors == 200);
    CHECK(r.statuses.at("UNAVAILABLE") == 200);
    CHECK(caller.most.load() <= 4);
    CHECK(caller.tickets.size() == 600);  // every ticket once
    CHECK(caller.per_worker.size() == 4);
    CHECK(caller.in_flight.load() == 0);  // the run ends after its last reply
  }
  SECTION("calls that end inside Start do not nest: a long run keeps a flat stack") {
    InlineAsyncCaller caller;
    const RunResult r = RunLoad({2, 200'000, 0ns, 0}, caller, SteadyClock());
    CHECK(r.count == 200'000);
    CHECK(caller.calls.load() == 200'000);
  }
  SECTION("by duration, on the fake clock") {
    FakeClock clock;
    class Ticking final : public Caller {
     public:
      explicit Ticking(FakeClock& c) : clock_(c) {}
      bool Asynchronous() const override { return true; }
      CallOutcome Call(int, std::uint64_t) override { return {}; }
      void Start(int, std::uint64_t, Done done) override {
        clock_.now += 1ms;
        done({});
      }

     private:
      FakeClock& clock_;
    } ticking(clock);
    const RunResult r = RunLoad({1, 0, 10ms, 0}, ticking, clock);
    CHECK(r.count == 10);
    CHECK(r.elapsed == 10ms);
  }
}

TEST_CASE("The --fail-if parser accepts conditions on every metric", "[bench]") {
  auto parsed = ParseFailIf("p99>2ms,rps<10000");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].metric == Metric::kP99);
  CHECK((*parsed)[0].above);
  CHECK((*parsed)[0].limit == 2e6);
  CHECK((*parsed)[1].metric == Metric::kRps);
  CHECK_FALSE((*parsed)[1].above);
  CHECK((*parsed)[1].limit == 10000);

  parsed = ParseFailIf(" p99.9 > 1.5us , avg<500ns,max>1s, p50>0.25ms,errors>0,errors>2.5%");
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 6);
  CHECK((*parsed)[0].metric == Metric::kP999);
  CHECK((*parsed)[0].limit == 1500);
  CHECK((*parsed)[0].text == "p99.9 > 1.5us");
  CHECK((*parsed)[1].limit == 500);
  CHECK((*parsed)[2].limit == 1e9);
  CHECK((*parsed)[3].limit == 250'000);
  CHECK((*parsed)[4].kind == Condition::Kind::kAbsolute);
  CHECK((*parsed)[5].kind == Condition::Kind::kErrorRate);
  CHECK((*parsed)[5].limit == 2.5);
  CHECK_FALSE(NeedsPrevious(*parsed));

  parsed = ParseFailIf("p99>+10%,rps<-5%");
  REQUIRE(parsed);
  CHECK((*parsed)[0].kind == Condition::Kind::kRelative);
  CHECK((*parsed)[0].limit == 10);
  CHECK((*parsed)[1].limit == -5);
  CHECK(NeedsPrevious(*parsed));
  CHECK(ParseFailIf(kDefaultCompareRule));
}

TEST_CASE("The --fail-if parser rejects what it cannot read, naming the condition and the fix",
          "[bench]") {
  CHECK_THAT(ParseError(""), Catch::Contains("empty condition"));
  CHECK_THAT(ParseError("p99>2ms,"), Catch::Contains("empty condition"));
  CHECK_THAT(ParseError("p98>2ms"),
             Catch::Contains("unknown metric \"p98\"") && Catch::Contains("p99.9"));
  CHECK_THAT(ParseError("p99>2"), Catch::Contains("\"p99>2\"") && Catch::Contains("unit"));
  CHECK_THAT(ParseError("p99>2m"), Catch::Contains("unit"));
  CHECK_THAT(ParseError("p99=2ms"), Catch::Contains("> or <"));
  CHECK_THAT(ParseError("p99>=2ms"), Catch::Contains("> or <"));
  CHECK_THAT(ParseError("p99 2ms"), Catch::Contains("> or <"));
  CHECK_THAT(ParseError("rps<10k"), Catch::Contains("plain number"));
  CHECK_THAT(ParseError("errors>1ms"), Catch::Contains("count"));
  CHECK_THAT(ParseError("p99>fast"), Catch::Contains("number"));
  CHECK_THAT(ParseError("p99>+10"), Catch::Contains("signed percentage"));
  CHECK_THAT(ParseError("p99>1.2.3ms"), Catch::Contains("number"));
}

TEST_CASE("A --fail-if condition that is met fails the run", "[bench]") {
  const Summary run = SummaryWith(3'000'000, 9000);
  auto conditions = ParseFailIf("p99>2ms,rps<10000");
  REQUIRE(conditions);
  auto verdict = Evaluate(*conditions, run, nullptr);
  REQUIRE(verdict);
  CHECK_FALSE(verdict->passed());
  REQUIRE(verdict->violations.size() == 2);
  CHECK(verdict->violations[0].Describe() == "p99 3.00ms > 2.00ms");
  CHECK(verdict->violations[1].Describe() == "rps 9000.0 < 10000.0");

  conditions = ParseFailIf("p99>5ms,rps<5000,errors>0");
  REQUIRE(conditions);
  verdict = Evaluate(*conditions, run, nullptr);
  REQUIRE(verdict);
  CHECK(verdict->passed());

  // Error rate: 20 of 1000 calls is 2%.
  const Summary failing = SummaryWith(1'000'000, 9000, 1000, 20);
  conditions = ParseFailIf("errors>1%");
  REQUIRE(conditions);
  CHECK_FALSE(Evaluate(*conditions, failing, nullptr)->passed());
  conditions = ParseFailIf("errors>5%,errors>20");
  REQUIRE(conditions);
  CHECK(Evaluate(*conditions, failing, nullptr)->passed());
}

TEST_CASE("Relative limits of --compare against the previous result", "[bench]") {
  const Summary previous = SummaryWith(2'000'000, 10000);
  const Summary current = SummaryWith(2'300'000, 9400);
  auto conditions = ParseFailIf("p99>+10%,rps<-5%");
  REQUIRE(conditions);
  auto verdict = Evaluate(*conditions, current, &previous);
  REQUIRE(verdict);
  REQUIRE(verdict->violations.size() == 2);
  CHECK(verdict->violations[0].limit == Approx(2'200'000));
  CHECK_THAT(verdict->violations[0].Describe(), Catch::StartsWith("p99 2.30ms > 2.20ms"));
  CHECK(verdict->violations[1].limit == Approx(9500));

  conditions = ParseFailIf("p99>+20%,rps<-10%");
  REQUIRE(conditions);
  CHECK(Evaluate(*conditions, current, &previous)->passed());

  auto alone = Evaluate(*conditions, current, nullptr);
  REQUIRE_FALSE(alone);
  CHECK(alone.error().field == "--fail-if");
  CHECK_THAT(alone.error().message, Catch::Contains("--compare"));

  const auto deltas = Compare(previous, current);
  REQUIRE(deltas.size() == kMetrics.size());
  CHECK(deltas[static_cast<std::size_t>(Metric::kP99)].change_percent == Approx(15));
  CHECK(deltas[static_cast<std::size_t>(Metric::kRps)].change_percent == Approx(-6));
  CHECK(deltas[static_cast<std::size_t>(Metric::kErrors)].change_percent == 0);
}

TEST_CASE("Metrics print with a unit people read", "[bench]") {
  CHECK(FormatNanos(812) == "812ns");
  CHECK(FormatNanos(41'230) == "41.2us");
  CHECK(FormatNanos(2'410'000) == "2.41ms");
  CHECK(FormatNanos(1.2e9) == "1.20s");
  CHECK(FormatMetric(Metric::kRps, 10432.14) == "10432.1");
  CHECK(FormatMetric(Metric::kErrors, 3) == "3");
  CHECK(MetricNamed("p99.9") == Metric::kP999);
  CHECK_FALSE(MetricNamed("p100"));
}

TEST_CASE("A --mix interleaves weighted scenarios with their combined needs", "[bench]") {
  auto mix = ParseMix(kDefaultMix);
  REQUIRE(mix);
  REQUIRE(mix->size() == 3);
  CHECK((*mix)[0].scenario->name == "check-permission");
  CHECK((*mix)[0].weight == 70);
  const ScenarioInfo need = Requirements(*mix);
  CHECK(need.needs_token);
  CHECK(need.needs_products);  // get-product
  CHECK_FALSE(need.needs_password);

  const MixPicker picker(*mix);
  std::array<int, 3> counts{};
  for (std::uint64_t t = 0; t < 100; ++t) ++counts[picker.Pick(t)];
  CHECK(counts == std::array<int, 3>{70, 20, 10});
  // Spread out: the 10 get-product calls are never next to each other.
  for (std::uint64_t t = 0; t < 100; ++t) {
    if (picker.Pick(t) == 2) CHECK(picker.Pick(t + 1) != 2);
  }

  auto bad = [](const std::string& text) {
    auto r = ParseMix(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "--mix");
    return r.error().message;
  };
  CHECK_THAT(bad("get-product"), Catch::Contains("NAME=WEIGHT"));
  CHECK_THAT(bad("get-products=10"), Catch::Contains("unknown scenario \"get-products\""));
  CHECK_THAT(bad("mix=10"), Catch::Contains("unknown scenario"));
  CHECK_THAT(bad("login=0"), Catch::Contains("1 to 1000"));
  CHECK_THAT(bad("login=ten"), Catch::Contains("whole number"));
  CHECK_THAT(bad("login=1,login=2"), Catch::Contains("twice"));
  CHECK(FindScenario("refresh")->needs_password);
  const ScenarioInfo* cold = FindScenario("check-permission-cold");
  REQUIRE(cold != nullptr);
  CHECK(cold->needs_users);
  CHECK(cold->needs_token);
  CHECK(cold->rpc == FindScenario("check-permission")->rpc);
  CHECK_FALSE(FindScenario("check-permission")->needs_users);
  CHECK_THAT(ScenarioList(), Catch::Contains("check-permission-cold"));
  auto cold_mix = ParseMix("check-permission-cold=1,validate-token=3");
  REQUIRE(cold_mix);
  CHECK(Requirements(*cold_mix).needs_users);
  CHECK_FALSE(Requirements(*mix).needs_users);
  CHECK(FindScenario("create-product")->writes);
  CHECK(FindScenario("nope") == nullptr);
}
