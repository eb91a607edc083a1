#include "core/common/circuit_breaker.hpp"

namespace giia {

bool CircuitBreaker::Allow(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!open_) return true;
  if (probing_ || now < open_until_) return false;
  probing_ = true;
  return true;
}

void CircuitBreaker::Succeeded() {
  std::lock_guard lock(mu_);
  consecutive_failures_ = 0;
  open_ = false;
  probing_ = false;
}

void CircuitBreaker::Failed(Clock::time_point now) {
  std::lock_guard lock(mu_);
  ++consecutive_failures_;
  // A failed probe, or the threshold reached: (re)open for a cooldown.
  if (probing_ || (!open_ && consecutive_failures_ >= options_.failures)) {
    if (!open_) ++opened_;
    open_ = true;
    probing_ = false;
    open_until_ = now + options_.cooldown;
  }
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  if (!open_) return State::kClosed;
  return probing_ || now >= open_until_ ? State::kHalfOpen : State::kOpen;
}

unsigned long long CircuitBreaker::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

}  // namespace giia
