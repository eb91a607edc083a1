#include "core/health/readiness.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace giia::health;
using std::chrono::milliseconds;

namespace {

struct Probe final : DependencyProbe {
  std::string n;
  bool crit;
  bool up;
  milliseconds delay{0};
  Probe(std::string name, bool critical, bool is_up)
      : n(std::move(name)), crit(critical), up(is_up) {}
  std::string name() const override { return n; }
  bool critical() const override { return crit; }
  giia::Status Check(milliseconds) override {
    std::this_thread::sleep_for(delay);  // simulates a probe's latency
    if (up) return giia::Ok();
    return giia::MakeError(giia::ErrorCode::kUnavailable, n + " is down");
  }
};

}  // namespace

TEST_CASE("Readiness: a critical dependency down is not ready, another one degraded", "[health]") {
  Probe pg("postgres", true, true), redis("redis", false, true), nats("nats", false, true);
  DependencyProbe* probes[] = {&pg, &redis, &nats};
  CHECK(CheckReadiness(probes, milliseconds(100)).state == State::kReady);
  redis.up = false;
  auto degraded = CheckReadiness(probes, milliseconds(100));
  CHECK(degraded.state == State::kDegraded);
  CHECK(degraded.checks[1].error == "redis is down");
  pg.up = false;
  CHECK(CheckReadiness(probes, milliseconds(100)).state == State::kNotReady);
  CHECK(std::string(StateName(State::kNotReady)) == "not_ready");
}

TEST_CASE("Readiness probes run at the same time, each with its latency", "[health]") {
  Probe a("a", true, true), b("b", true, true), c("c", true, true);
  for (Probe* p : {&a, &b, &c}) p->delay = milliseconds(200);
  DependencyProbe* probes[] = {&a, &b, &c};
  const auto start = std::chrono::steady_clock::now();
  auto r = CheckReadiness(probes, milliseconds(1000));
  // Sequential probes would take 600 ms or more.
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(550));
  for (const auto& check : r.checks) CHECK(check.latency >= milliseconds(190));
}
