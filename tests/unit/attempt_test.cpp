// core/common/attempt.hpp: an answer now, or the rest of the work.
#include "core/common/attempt.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/common/result.hpp"

using giia::Attempt;
using giia::ErrorCode;
using giia::Result;

namespace {
// A post for work that must not need one: fails the test if called.
void Refuse(const std::function<void()>&) { FAIL("nothing should have been posted"); }
}  // namespace

TEST_CASE("An answered attempt runs its next steps at once", "[common]") {
  int ran = 0;
  Attempt<Result<int>> a = Result<int>(20);
  REQUIRE(a.answered());
  auto b = std::move(a).Then([&](Result<int> r) -> Result<std::string> {
    ++ran;
    return std::to_string(*r + 1);
  });
  CHECK(ran == 1);
  REQUIRE(b.answered());
  CHECK(*std::move(b).Finish() == "21");

  Attempt<Result<int>> error = giia::MakeError(ErrorCode::kNotFound, "gone");
  REQUIRE(error.answered());
  CHECK(std::move(error).Finish().error().code == ErrorCode::kNotFound);
}

TEST_CASE("A rest runs once, when finished, and carries the steps chained on it", "[common]") {
  int rests = 0, steps = 0;
  auto a = Attempt<Result<int>>::Later([&]() -> Result<int> {
    ++rests;
    return 2;
  });
  CHECK_FALSE(a.answered());
  auto b = std::move(a)
               .Then([&](Result<int> r) -> Result<int> {
                 ++steps;
                 return *r * 10;
               })
               // A step may itself need the rest of some other work.
               .Then([&](Result<int> r) -> Attempt<Result<int>> {
                 ++steps;
                 const int v = *r;
                 return Attempt<Result<int>>::Later([v]() -> Result<int> { return v + 1; });
               });
  CHECK_FALSE(b.answered());
  CHECK(rests == 0);
  CHECK(steps == 0);
  CHECK(*std::move(b).Finish() == 21);
  CHECK(rests == 1);
  CHECK(steps == 2);
}

TEST_CASE("A step of an answered attempt may hand on a rest of its own", "[common]") {
  Attempt<Result<int>> a = Result<int>(1);
  auto b = std::move(a).Then([](Result<int> r) -> Attempt<Result<int>> {
    const int v = *r;
    return Attempt<Result<int>>::Later([v]() -> Result<int> { return v + 1; });
  });
  CHECK_FALSE(b.answered());  // the step's rest is still to run
  CHECK(*std::move(b).Finish() == 2);
}

TEST_CASE("Asynchronous work starts once, when delivered into, and its steps run with its answer",
          "[common]") {
  int starts = 0, steps = 0;
  Attempt<Result<int>>::Deliver pending;  // what the "I/O" will call
  auto a = Attempt<Result<int>>::Async([&](Attempt<Result<int>>::Deliver deliver) {
    ++starts;
    pending = std::move(deliver);
  });
  CHECK(a.asynchronous());
  auto b = std::move(a).Then([&](Result<int> r) -> Result<std::string> {
    ++steps;
    return std::to_string(*r * 2);
  });
  CHECK(b.asynchronous());
  CHECK(starts == 0);
  std::optional<Result<std::string>> got;
  std::move(b).Into([&](Result<std::string> r) { got = std::move(r); }, Refuse);
  CHECK(starts == 1);
  CHECK_FALSE(got);  // nothing happens until the work completes
  pending(21);
  REQUIRE(got);
  CHECK(**got == "42");
  CHECK(steps == 1);
}

TEST_CASE("Finish waits for asynchronous work completed on another thread", "[common]") {
  std::thread worker;
  auto a = Attempt<Result<int>>::Async([&](Attempt<Result<int>>::Deliver deliver) {
    worker = std::thread([deliver = std::move(deliver)] { deliver(7); });
  });
  CHECK(*std::move(a).Finish() == 7);
  worker.join();
}

TEST_CASE("Into hands over an answer at once and gives a rest to post", "[common]") {
  std::optional<Result<int>> got;
  Attempt<Result<int>>(Result<int>(1)).Into([&](Result<int> r) { got = std::move(r); }, Refuse);
  REQUIRE(got);
  CHECK(**got == 1);
  got.reset();
  std::vector<std::function<void()>> posted;
  Attempt<Result<int>>::Later([]() -> Result<int> { return 2; })
      .Into([&](Result<int> r) { got = std::move(r); },
            [&](std::function<void()> job) { posted.push_back(std::move(job)); });
  CHECK_FALSE(got);  // the rest did not run on the calling thread
  REQUIRE(posted.size() == 1);
  posted[0]();
  REQUIRE(got);
  CHECK(**got == 2);
}

TEST_CASE("Asynchronous work may deliver a rest, which goes to post and is finished there",
          "[common]") {
  Attempt<Result<int>>::Deliver pending;
  auto a = Attempt<Result<int>>::Async(
      [&](Attempt<Result<int>>::Deliver deliver) { pending = std::move(deliver); });
  int steps = 0;
  auto b = std::move(a).Then([&](Result<int> r) -> Result<int> {
    ++steps;
    return *r + 1;
  });
  std::optional<Result<int>> got;
  std::vector<std::function<void()>> posted;
  std::move(b).Into([&](Result<int> r) { got = std::move(r); },
                    [&](std::function<void()> job) { posted.push_back(std::move(job)); });
  // The I/O found a case it cannot finish without waiting: it hands on a rest.
  pending(Attempt<Result<int>>::Later([]() -> Result<int> { return 40; }));
  CHECK_FALSE(got);
  CHECK(steps == 0);  // the step waits for the rest's answer
  REQUIRE(posted.size() == 1);
  posted[0]();
  REQUIRE(got);
  CHECK(**got == 41);
  CHECK(steps == 1);
}

TEST_CASE(
    "A step of asynchronous work that returns a rest has it posted, not run where the I/O "
    "completed",
    "[common]") {
  Attempt<Result<int>>::Deliver pending;
  auto a = Attempt<Result<int>>::Async(
      [&](Attempt<Result<int>>::Deliver deliver) { pending = std::move(deliver); });
  bool rest_ran = false;
  auto b = std::move(a).Then([&](Result<int> r) -> Attempt<Result<int>> {
    const int v = *r;
    return Attempt<Result<int>>::Later([&rest_ran, v]() -> Result<int> {
      rest_ran = true;
      return v * 3;
    });
  });
  std::optional<Result<int>> got;
  std::vector<std::function<void()>> posted;
  std::move(b).Into([&](Result<int> r) { got = std::move(r); },
                    [&](std::function<void()> job) { posted.push_back(std::move(job)); });
  pending(5);
  CHECK_FALSE(rest_ran);
  REQUIRE(posted.size() == 1);
  posted[0]();
  CHECK(rest_ran);
  REQUIRE(got);
  CHECK(**got == 15);
}

TEST_CASE("Finish runs whatever asynchronous work hands on", "[common]") {
  auto a = Attempt<Result<int>>::Async([](Attempt<Result<int>>::Deliver deliver) {
    deliver(Attempt<Result<int>>::Later([]() -> Result<int> { return 9; }));
  });
  CHECK(*std::move(a).Finish() == 9);
}
