#pragma once
// argon2id is slow on purpose (tens of milliseconds of CPU and memory per
// call). BoundedHasher runs every Hash and Verify on a few threads of its own
// with a bounded queue, so a burst of logins waits here, or is refused with
// kResourceExhausted, instead of taking the threads that validate tokens and
// check permissions.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/auth/ports.hpp"

namespace giia::auth {

class BoundedHasher final : public PasswordHasher {
 public:
  // REQUIRES: threads >= 1, max_queue >= 1; `inner` outlives this object.
  BoundedHasher(PasswordHasher& inner, int threads, std::size_t max_queue);
  ~BoundedHasher() override;  // finishes queued work, then joins
  BoundedHasher(const BoundedHasher&) = delete;
  BoundedHasher& operator=(const BoundedHasher&) = delete;

  Result<std::string> Hash(std::string_view password) override;
  Result<bool> Verify(const std::string& hash, std::string_view password) override;
  // Jobs waiting for a thread.
  std::size_t queued();

 private:
  // Runs `job` on a pool thread and waits for it. False when the queue is full.
  bool RunOnPool(const std::function<void()>& job);
  void Work();

  PasswordHasher& inner_;
  std::size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace giia::auth
