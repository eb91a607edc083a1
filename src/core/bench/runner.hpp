#pragma once
// The load loop of `giia bench`, independent of what is called: `concurrency`
// workers, each making one call at a time through a Caller.
//   closed loop (rate 0): a worker sends its next call when the last one
//     ended; latency = end - start of the call.
//   open loop (rate R): call i is due at start + i/R (OpenLoopSchedule);
//     a worker takes the next due call, waits for its time and sends it;
//     latency = end - the time it was due, so a stall that holds calls back
//     is counted in every call it delayed (no coordinated omission).
// Warm-up calls run first, the same way, and are not counted. A closed loop
// of an Asynchronous() caller keeps `concurrency` calls in flight from their
// completions instead of from threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/bench/histogram.hpp"
#include "core/bench/summary.hpp"

namespace giia::bench {

using Nanos = std::chrono::nanoseconds;

// Monotonic time. The real one is SteadyClock(); tests drive a fake one.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Nanos Now() = 0;
  virtual void SleepUntil(Nanos when) = 0;
};
Clock& SteadyClock();

// How one call ended: status 0 is OK; the name keys the status distribution.
struct CallOutcome {
  int status = 0;
  const char* status_name = "OK";  // a static string
  std::string error;               // why it failed; empty when OK
};

class Caller {
 public:
  using Done = std::function<void(CallOutcome)>;
  virtual ~Caller() = default;
  // One call. `worker` is in [0, concurrency); `ticket` is unique in a run
  // (warm-up included). Called from every worker thread at once.
  virtual CallOutcome Call(int worker, std::uint64_t ticket) = 0;
  // Whether Start() sends a call without a thread waiting for it. Then a
  // closed loop runs no threads of its own: each worker's next call is
  // started from the completion of its last (no thread per worker to wake).
  virtual bool Asynchronous() const { return false; }
  // Starts one call and returns; `done` runs once, on any thread (also this
  // one, before Start returns), when the call ends. By default: Call() here.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): an override keeps `done`
  virtual void Start(int worker, std::uint64_t ticket, Done done) { done(Call(worker, ticket)); }
};

// When call i of an open loop is due.
class OpenLoopSchedule {
 public:
  // REQUIRES: rate > 0 (calls per second).
  OpenLoopSchedule(double rate, Nanos start) : rate_(rate), start_(start) {}
  Nanos DueAt(std::uint64_t i) const;

 private:
  double rate_;
  Nanos start_;
};

// One phase of load: bounded by a number of calls or a duration (one of
// them non-zero).
struct Load {
  int concurrency = 1;
  std::uint64_t requests = 0;  // 0: until `duration` has passed
  Nanos duration{0};           // 0: until `requests` calls were made
  double rate = 0;             // calls per second in all; 0: closed loop
};

struct RunPlan {
  Load load;
  std::uint64_t warmup_requests = 0;  // run first, uncounted
  Nanos warmup_duration{0};           // likewise, by time
};

inline constexpr std::size_t kMaxErrorMessages = 50;  // distinct; the rest count as "(other)"

struct RunResult {
  Histogram latency;         // every measured call, failed ones included
  std::uint64_t count = 0;   // measured calls
  std::uint64_t errors = 0;  // of which did not end OK
  Nanos elapsed{0};          // from the start of the measured phase to its last reply
  std::map<std::string, std::uint64_t> statuses;        // status name -> calls
  std::map<std::string, std::uint64_t> error_messages;  // message -> calls

  void Merge(const RunResult& other);
};

// Runs one phase. Tickets start at `first_ticket`. Blocks until every worker
// is done. `stop`, when set, ends the phase early (calls in flight finish).
RunResult RunLoad(const Load& load, Caller& caller, Clock& clock, std::uint64_t first_ticket = 0,
                  const std::atomic<bool>* stop = nullptr);

// Warm-up (when any), then the measured phase, whose result is returned.
RunResult Run(const RunPlan& plan, Caller& caller, Clock& clock,
              const std::atomic<bool>* stop = nullptr);

Summary Summarize(const RunResult& result);

}  // namespace giia::bench
