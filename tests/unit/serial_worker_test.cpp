// core/common/serial_worker.hpp: one thread, jobs in order, a bounded queue.
#include "core/common/serial_worker.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <vector>

using giia::SerialWorker;

TEST_CASE("A serial worker runs its jobs in order, refuses past its bound, and drops on request",
          "[common]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  std::vector<int> ran;  // written by the worker's thread only, read after it joined
  std::vector<int> expected;
  {
    SerialWorker worker(2);
    // The first job holds the thread, so the next ones wait in the queue.
    REQUIRE(worker.Post([&] {
      started.set_value();
      released.wait();
      ran.push_back(0);
    }));
    started.get_future().wait();
    CHECK(worker.Post([&] { ran.push_back(1); }));
    CHECK(worker.Post([&] { ran.push_back(2); }));
    CHECK_FALSE(worker.Post([&] { ran.push_back(3); }));  // two wait already

    SECTION("the destructor runs what is queued") {
      expected = {0, 1, 2};
      release.set_value();
    }
    SECTION("DropQueued forgets what has not started") {
      CHECK(worker.DropQueued() == 2);
      CHECK(worker.Post([&] { ran.push_back(4); }));
      expected = {0, 4};
      release.set_value();
    }
  }
  CHECK(ran == expected);
}
