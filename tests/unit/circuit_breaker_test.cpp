#include "core/common/circuit_breaker.hpp"

#include <catch2/catch.hpp>

using giia::CircuitBreaker;
using State = CircuitBreaker::State;
using namespace std::chrono_literals;

TEST_CASE("A circuit breaker opens after its consecutive failures, and only then",
          "[auth-client]") {
  CircuitBreaker breaker({.failures = 3, .cooldown = 500ms});
  const auto t0 = CircuitBreaker::Clock::now();
  CHECK(breaker.state(t0) == State::kClosed);
  breaker.Failed(t0);
  breaker.Failed(t0);
  breaker.Succeeded();  // a success resets the count
  breaker.Failed(t0);
  breaker.Failed(t0);
  CHECK(breaker.Allow(t0));
  CHECK(breaker.state(t0) == State::kClosed);
  breaker.Failed(t0);
  CHECK(breaker.state(t0) == State::kOpen);
  CHECK(breaker.opened() == 1);
  CHECK_FALSE(breaker.Allow(t0));
  CHECK_FALSE(breaker.Allow(t0 + 499ms));
}

TEST_CASE("An open breaker lets one probe through after its cooldown, closing on its success",
          "[auth-client]") {
  CircuitBreaker breaker({.failures = 1, .cooldown = 500ms});
  const auto t0 = CircuitBreaker::Clock::now();
  breaker.Failed(t0);
  const auto later = t0 + 500ms;
  CHECK(breaker.state(later) == State::kHalfOpen);
  CHECK(breaker.Allow(later));        // the probe
  CHECK_FALSE(breaker.Allow(later));  // nobody else while it is out
  CHECK(breaker.state(later) == State::kHalfOpen);
  breaker.Succeeded();
  CHECK(breaker.state(later) == State::kClosed);
  CHECK(breaker.Allow(later));
  CHECK(breaker.Allow(later));
  CHECK(breaker.opened() == 1);
}

TEST_CASE("A failed probe opens the breaker for another cooldown", "[auth-client]") {
  CircuitBreaker breaker({.failures = 2, .cooldown = 500ms});
  const auto t0 = CircuitBreaker::Clock::now();
  breaker.Failed(t0);
  breaker.Failed(t0);
  const auto t1 = t0 + 600ms;
  REQUIRE(breaker.Allow(t1));
  breaker.Failed(t1);  // one failure of the probe is enough
  CHECK(breaker.state(t1) == State::kOpen);
  CHECK_FALSE(breaker.Allow(t1 + 499ms));
  CHECK(breaker.Allow(t1 + 500ms));
  CHECK(breaker.opened() == 1);  // it stayed open throughout
}
