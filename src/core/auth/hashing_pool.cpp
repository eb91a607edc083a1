#include "core/auth/hashing_pool.hpp"

#include <future>

namespace giia::auth {

BoundedHasher::BoundedHasher(PasswordHasher& inner, int threads, std::size_t max_queue)
    : inner_(inner), max_queue_(max_queue) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

BoundedHasher::~BoundedHasher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void BoundedHasher::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

bool BoundedHasher::RunOnPool(const std::function<void()>& job) {
  std::promise<void> done;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_) return false;
    queue_.emplace_back([&] {
      job();
      done.set_value();
    });
  }
  cv_.notify_one();
  done.get_future().wait();
  return true;
}

std::size_t BoundedHasher::queued() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

namespace {
tl::unexpected<Error> Busy() {
  return MakeError(ErrorCode::kResourceExhausted,
                   "too many password checks in progress; retry shortly");
}
}  // namespace

Result<std::string> BoundedHasher::Hash(std::string_view password) {
  Result<std::string> out = Busy();
  if (!RunOnPool([&] { out = inner_.Hash(password); })) return Busy();
  return out;
}

Result<bool> BoundedHasher::Verify(const std::string& hash, std::string_view password) {
  Result<bool> out = Busy();
  if (!RunOnPool([&] { out = inner_.Verify(hash, password); })) return Busy();
  return out;
}

}  // namespace giia::auth
