#pragma once
// A thread-safe counter a test can wait on: code under test (through a fake
// or a decorator) bumps it, the test blocks until it reaches a value or the
// deadline passes. Waiting on a condition, never sleeping.

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace giia::testing {

class EventCounter {
 public:
  void Bump() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  // True when the count reached `n` within `timeout`.
  bool WaitFor(int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

}  // namespace giia::testing
