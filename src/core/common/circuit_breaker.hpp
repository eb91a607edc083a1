#pragma once
// A circuit breaker for calls to one remote replica. Closed: every call may
// go. After `failures` consecutive failures it opens: calls fail fast for
// `cooldown` instead of each waiting for its deadline. Then it is half-open:
// one call at a time may go as a probe; its success closes the breaker, its
// failure opens it for another cooldown. Thread-safe; time is passed in, so
// the breaker is tested without waiting.

#include <chrono>
#include <mutex>

namespace giia {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

  struct Options {
    int failures = 3;  // consecutive failures that open the breaker (>= 1)
    std::chrono::milliseconds cooldown{500};
  };

  explicit CircuitBreaker(Options options) : options_(options) {}

  // Whether a call may go now. True in Closed; in Open once the cooldown is
  // over, which makes this call the half-open probe (every other caller gets
  // false until it reports). Each call Allow() let through must report
  // Succeeded() or Failed().
  [[nodiscard]] bool Allow(Clock::time_point now);
  void Succeeded();
  void Failed(Clock::time_point now);

  State state(Clock::time_point now) const;
  // Times the breaker went from closed (or half-open) to open.
  unsigned long long opened() const;

 private:
  const Options options_;
  mutable std::mutex mu_;
  int consecutive_failures_ = 0;    // guarded by mu_
  bool open_ = false;               // guarded by mu_
  bool probing_ = false;            // guarded by mu_: the half-open probe is out
  Clock::time_point open_until_{};  // guarded by mu_
  unsigned long long opened_ = 0;   // guarded by mu_
};

}  // namespace giia
