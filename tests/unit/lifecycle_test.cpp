#include "cli/runtime/lifecycle.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using giia::cli::Lifecycle;
using giia::cli::Service;
using Clock = std::chrono::steady_clock;

namespace {

// A service that writes what is done to it, in order, into a shared journal.
class Recorded final : public Service {
 public:
  Recorded(std::string name, std::vector<std::string>& journal, bool fails = false)
      : name_(std::move(name)), journal_(journal), fails_(fails) {}
  ~Recorded() override { journal_.push_back(name_ + " destroyed"); }
  const std::string& name() const override { return name_; }
  giia::Status Start() override {
    journal_.push_back(name_ + " start");
    if (fails_) return giia::MakeError(giia::ErrorCode::kUnavailable, name_ + ": port taken");
    return giia::Ok();
  }
  void BeginDrain() override { journal_.push_back(name_ + " drain"); }
  void StopAccepting(Clock::time_point deadline) override {
    journal_.push_back(name_ + " stop accepting");
    deadline_ = deadline;
  }
  void StopWorkers(Clock::time_point) override { journal_.push_back(name_ + " stop workers"); }
  Clock::time_point deadline() const { return deadline_; }

 private:
  std::string name_;
  std::vector<std::string>& journal_;
  bool fails_;
  Clock::time_point deadline_{};
};

std::vector<std::unique_ptr<Service>> Services(std::vector<std::string>& journal,
                                               std::vector<std::string> names,
                                               const std::string& failing = "") {
  std::vector<std::unique_ptr<Service>> out;
  for (const std::string& n : names)
    out.push_back(std::make_unique<Recorded>(n, journal, n == failing));
  return out;
}

}  // namespace

TEST_CASE("Lifecycle: services start in order and stop phase by phase in reverse", "[cli]") {
  std::vector<std::string> journal;
  {
    Lifecycle lifecycle(Services(journal, {"auth", "catalog"}));
    REQUIRE(lifecycle.Start(std::chrono::seconds(1)));
    CHECK(journal == std::vector<std::string>{"auth start", "catalog start"});
    journal.clear();
    lifecycle.Stop(std::chrono::seconds(5));
    CHECK(journal == std::vector<std::string>{"catalog drain", "auth drain",
                                              "catalog stop accepting", "auth stop accepting",
                                              "catalog stop workers", "auth stop workers"});
    journal.clear();
    lifecycle.Stop(std::chrono::seconds(5));  // a second stop does nothing
    CHECK(journal.empty());
  }
  CHECK(journal == std::vector<std::string>{"catalog destroyed", "auth destroyed"});
}

TEST_CASE(
    "Lifecycle: a service that fails to start is stopped with those before it, the rest "
    "never start",
    "[cli]") {
  std::vector<std::string> journal;
  Lifecycle lifecycle(Services(journal, {"a", "b", "c"}, "b"));
  auto started = lifecycle.Start(std::chrono::seconds(1));
  REQUIRE_FALSE(started);
  CHECK(started.error().message == "b: port taken");
  CHECK(journal == std::vector<std::string>{"a start", "b start", "b drain", "a drain",
                                            "b stop accepting", "a stop accepting",
                                            "b stop workers", "a stop workers"});
  journal.clear();
  lifecycle.Stop(std::chrono::seconds(1));
  CHECK(journal.empty());
}

TEST_CASE("Lifecycle: destroyed while running, it stops every service before destroying any",
          "[cli]") {
  std::vector<std::string> journal;
  {
    Lifecycle lifecycle(Services(journal, {"auth", "catalog"}));
    REQUIRE(lifecycle.Start(std::chrono::seconds(1)));
    journal.clear();
  }
  CHECK(journal == std::vector<std::string>{"catalog drain", "auth drain", "catalog stop accepting",
                                            "auth stop accepting", "catalog stop workers",
                                            "auth stop workers", "catalog destroyed",
                                            "auth destroyed"});
}

TEST_CASE("Lifecycle: calls in flight get until now plus the shutdown timeout", "[cli]") {
  std::vector<std::string> journal;
  auto services = Services(journal, {"auth"});
  auto* auth = static_cast<Recorded*>(services.front().get());
  Lifecycle lifecycle(std::move(services));
  REQUIRE(lifecycle.Start(std::chrono::seconds(1)));
  const auto before = Clock::now();
  lifecycle.Stop(std::chrono::seconds(30));
  const auto after = Clock::now();
  CHECK(auth->deadline() >= before + std::chrono::seconds(30));
  CHECK(auth->deadline() <= after + std::chrono::seconds(30));
}
