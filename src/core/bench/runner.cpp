#include "core/bench/runner.hpp"

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace giia::bench {
namespace {

class RealClock final : public Clock {
 public:
  Nanos Now() override { return std::chrono::steady_clock::now().time_since_epoch(); }
  void SleepUntil(Nanos when) override {
    std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(when)));
  }
};

// What the workers of one phase share.
struct Phase {
  const Load& load;
  Caller& caller;
  Clock& clock;
  const std::atomic<bool>* stop;
  Nanos start;
  std::uint64_t first_ticket;
  std::atomic<std::uint64_t> next{0};  // calls handed out
};

void Count(RunResult& r, const CallOutcome& outcome, Nanos latency) {
  r.latency.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency.count())));
  ++r.count;
  ++r.statuses[outcome.status_name];
  if (outcome.status == 0) return;
  ++r.errors;
  const bool known = r.error_messages.contains(outcome.error);
  if (known || r.error_messages.size() < kMaxErrorMessages) {
    ++r.error_messages[outcome.error];
  } else {
    ++r.error_messages["(other)"];
  }
}

// Takes the next call of the phase; false when the phase is over. `due` is
// when the call should start (open loop) or now (closed loop).
bool Take(Phase& p, std::uint64_t& i, Nanos& due) {
  if (p.stop != nullptr && p.stop->load()) return false;
  const Load& load = p.load;
  if (load.rate <= 0 && load.duration.count() > 0 && p.clock.Now() - p.start >= load.duration) {
    return false;
  }
  i = p.next.fetch_add(1);
  if (load.requests > 0 && i >= load.requests) return false;
  if (load.rate <= 0) {
    due = p.clock.Now();
    return true;
  }
  due = OpenLoopSchedule(load.rate, p.start).DueAt(i);
  return load.duration.count() == 0 || due - p.start < load.duration;
}

void Work(Phase& p, int worker, RunResult& out, Nanos& last_reply) {
  std::uint64_t i = 0;
  Nanos due{0};
  while (Take(p, i, due)) {
    if (p.load.rate > 0) p.clock.SleepUntil(due);
    const CallOutcome outcome = p.caller.Call(worker, p.first_ticket + i);
    const Nanos end = p.clock.Now();
    Count(out, outcome, end - due);
    last_reply = std::max(last_reply, end);
  }
}

// One worker of a closed loop of an asynchronous caller: its calls follow
// one another, each started by the completion of the last, so its result
// is touched by one call at a time.
struct Chain {
  Phase* phase = nullptr;
  int worker = 0;
  RunResult result;
  Nanos last_reply{0};
  Nanos due{0};
  // 1 while Start() runs; a completion that finds 1 leaves the next call to
  // the loop in Next() (no recursion when calls end inside Start).
  std::atomic<int> starting{0};
  std::function<void()> finished;  // when the chain takes no more calls
};

void Next(Chain& c) {
  for (;;) {
    std::uint64_t i = 0;
    if (!Take(*c.phase, i, c.due)) {
      c.finished();
      return;
    }
    c.starting.store(1);
    c.phase->caller.Start(c.worker, c.phase->first_ticket + i, [&c](const CallOutcome& outcome) {
      const Nanos end = c.phase->clock.Now();
      Count(c.result, outcome, end - c.due);
      c.last_reply = std::max(c.last_reply, end);
      if (c.starting.exchange(2) == 1) return;  // ended inside Start: Next's loop goes on
      Next(c);
    });
    if (c.starting.exchange(0) != 2) return;  // still in flight: its completion goes on
  }
}

// A closed loop of an asynchronous caller: no thread per worker.
void RunChains(Phase& phase, int workers, std::vector<RunResult>& results,
               std::vector<Nanos>& last) {
  std::mutex mu;
  std::condition_variable all_done;
  int running = workers;
  std::vector<Chain> chains(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w) {
    Chain& c = chains[static_cast<std::size_t>(w)];
    c.phase = &phase;
    c.worker = w;
    c.last_reply = phase.start;
    c.finished = [&] {
      std::lock_guard lock(mu);
      if (--running == 0) all_done.notify_all();
    };
  }
  for (Chain& c : chains) Next(c);
  std::unique_lock lock(mu);
  all_done.wait(lock, [&] { return running == 0; });
  for (std::size_t k = 0; k < chains.size(); ++k) {
    results[k] = std::move(chains[k].result);
    last[k] = chains[k].last_reply;
  }
}

}  // namespace

Clock& SteadyClock() {
  static RealClock clock;
  return clock;
}

Nanos OpenLoopSchedule::DueAt(std::uint64_t i) const {
  return start_ + Nanos(std::llround(static_cast<double>(i) * 1e9 / rate_));
}

void RunResult::Merge(const RunResult& other) {
  latency.Merge(other.latency);
  count += other.count;
  errors += other.errors;
  elapsed = std::max(elapsed, other.elapsed);
  for (const auto& [k, v] : other.statuses) statuses[k] += v;
  for (const auto& [k, v] : other.error_messages) {
    if (error_messages.contains(k) || error_messages.size() < kMaxErrorMessages) {
      error_messages[k] += v;
    } else {
      error_messages["(other)"] += v;
    }
  }
}

RunResult RunLoad(const Load& load, Caller& caller, Clock& clock, std::uint64_t first_ticket,
                  const std::atomic<bool>* stop) {
  const int workers = std::max(1, load.concurrency);
  Phase phase{load, caller, clock, stop, clock.Now(), first_ticket};
  std::vector<RunResult> results(static_cast<std::size_t>(workers));
  std::vector<Nanos> last(static_cast<std::size_t>(workers), phase.start);
  if (load.rate <= 0 && caller.Asynchronous()) {
    RunChains(phase, workers, results, last);
  } else {
    std::vector<std::jthread> threads;
    for (int w = 0; w < workers; ++w) {
      const auto k = static_cast<std::size_t>(w);
      threads.emplace_back([&, w, k] { Work(phase, w, results[k], last[k]); });
    }
  }
  RunResult total;
  for (std::size_t k = 0; k < results.size(); ++k) {
    total.Merge(results[k]);
    total.elapsed = std::max(total.elapsed, last[k] - phase.start);
  }
  return total;
}

RunResult Run(const RunPlan& plan, Caller& caller, Clock& clock, const std::atomic<bool>* stop) {
  std::uint64_t tickets = 0;
  if (plan.warmup_requests > 0 || plan.warmup_duration.count() > 0) {
    Load warmup = plan.load;
    warmup.requests = plan.warmup_requests;
    warmup.duration = plan.warmup_duration;
    tickets = RunLoad(warmup, caller, clock, 0, stop).count;
  }
  return RunLoad(plan.load, caller, clock, tickets, stop);
}

Summary Summarize(const RunResult& r) {
  Summary s;
  s.count = r.count;
  s.errors = r.errors;
  s.seconds = static_cast<double>(r.elapsed.count()) / 1e9;
  s.rps = s.seconds > 0 ? static_cast<double>(r.count) / s.seconds : 0;
  s.avg_ns = r.latency.mean();
  s.min_ns = r.latency.min();
  s.max_ns = r.latency.max();
  for (std::size_t i = 0; i < kPercentiles.size(); ++i) {
    s.percentile_ns[i] = r.latency.Percentile(kPercentiles[i]);
  }
  return s;
}

}  // namespace giia::bench
