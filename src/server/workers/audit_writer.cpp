#include "server/workers/audit_writer.hpp"

#include <spdlog/spdlog.h>

namespace giia::server {

AuditWriter::AuditWriter(auth::AuditStore& store, AuditWriterOptions options, spdlog::logger& log)
    : store_(store), options_(options), log_(log) {}

AuditWriter::~AuditWriter() { Stop(std::chrono::seconds(5)); }

void AuditWriter::Record(auth::AuditEntry entry) {
  entry = auth::StorableAuditEntry(std::move(entry));  // outside the lock
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.max_queue) {
      dropped_.fetch_add(1);
      return;
    }
    queue_.push_back(std::move(entry));
    if (queue_.size() < options_.batch_size) return;
  }
  cv_.notify_one();
}

std::size_t AuditWriter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size() + in_flight_.size();
}

void AuditWriter::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

bool AuditWriter::WriteSome(std::size_t max) {
  {
    std::lock_guard lock(mu_);
    while (in_flight_.size() < max && !queue_.empty()) {
      in_flight_.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (in_flight_.empty()) return true;
  std::size_t handled = 0;
  const bool ok = WriteRange(0, in_flight_.size(), handled);
  std::lock_guard lock(mu_);
  if (ok) {
    in_flight_.clear();
  } else {
    in_flight_.erase(in_flight_.begin(), in_flight_.begin() + static_cast<std::ptrdiff_t>(handled));
  }
  return ok;
}

bool AuditWriter::WriteRange(std::size_t begin, std::size_t end, std::size_t& handled) {
  // Only this thread changes in_flight_; reading it without the lock is safe.
  const std::size_t count = end - begin;
  Status ok = count == in_flight_.size()
                  ? store_.Append(in_flight_)
                  : store_.Append(std::vector<auth::AuditEntry>(
                        in_flight_.begin() + static_cast<std::ptrdiff_t>(begin),
                        in_flight_.begin() + static_cast<std::ptrdiff_t>(end)));
  if (ok) {
    written_.fetch_add(static_cast<std::int64_t>(count));
    handled = end;
    return true;
  }
  if (ok.error().code != ErrorCode::kInvalidArgument) {
    log_.warn("audit log write failed; {} entries kept for retry: {}", in_flight_.size() - begin,
              ok.error().message);
    return false;
  }
  if (count == 1) {
    // The entry's text is not logged: it is what the store could not take.
    const auth::AuditEntry& e = in_flight_[begin];
    log_.error("audit log entry rejected by the store and dropped: action={} request_id={}: {}",
               e.action, e.request_id, ok.error().message);
    rejected_.fetch_add(1);
    handled = end;
    return true;
  }
  const std::size_t middle = begin + count / 2;
  return WriteRange(begin, middle, handled) && WriteRange(middle, end, handled);
}

void AuditWriter::Loop() {
  std::chrono::milliseconds backoff{0};
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const auto wait = backoff.count() > 0 ? backoff : options_.flush_every;
      cv_.wait_for(lock, wait, [&] {
        return stopping_ || (backoff.count() == 0 && queue_.size() >= options_.batch_size);
      });
      if (stopping_) return;  // Stop() drains on its own thread
    }
    if (WriteSome(options_.batch_size)) {
      backoff = std::chrono::milliseconds(0);
    } else {
      backoff = std::min(options_.max_backoff,
                         backoff.count() == 0 ? std::chrono::milliseconds(100) : backoff * 2);
    }
  }
}

std::size_t AuditWriter::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return queue_.size() + in_flight_.size();
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::chrono::milliseconds backoff{50};
  while (queued() > 0) {
    if (WriteSome(options_.batch_size)) continue;
    if (std::chrono::steady_clock::now() + backoff > until) break;
    std::this_thread::sleep_for(backoff);  // waiting for the store to come back
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
  const std::size_t left = queued();
  if (left > 0) log_.error("audit log: {} entries could not be written before shutdown", left);
  return left;
}

}  // namespace giia::server
