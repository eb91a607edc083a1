#pragma once
// One thread that runs the jobs it is given, in order: for work that blocks
// (connecting, PQcancel, a write to a cache) and must not run on a thread
// that serves calls. With `max_queued`, Post refuses a job while that many
// wait, so a slow dependency costs dropped jobs, not memory.
//
// The destructor runs the jobs still queued (DropQueued() first forgets
// them), then joins. Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

namespace giia {

class SerialWorker {
 public:
  explicit SerialWorker(std::size_t max_queued = std::numeric_limits<std::size_t>::max())
      : max_queued_(max_queued), thread_([this] { Run(); }) {}
  ~SerialWorker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Forgets the jobs that have not started (the one running, if any, ends
  // by itself); returns how many.
  std::size_t DropQueued() {
    std::lock_guard lock(mu_);
    const std::size_t n = jobs_.size();
    jobs_.clear();
    return n;
  }

  // False (and `job` dropped) when max_queued jobs wait already.
  bool Post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (jobs_.size() >= max_queued_) return false;
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stop_, and nothing left to do
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stop_ = false;                       // guarded by mu_
  std::thread thread_;                      // last: starts once the rest exists
};

}  // namespace giia
