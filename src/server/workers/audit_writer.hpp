#pragma once
// The audit log off the request path: Record() queues and returns; a thread
// writes batches (up to batch_size, or whatever is queued every flush_every)
// through an AuditStore, keeping a failed batch and retrying with backoff.
// Stop() writes everything queued before returning (within its deadline):
// nothing recorded before a graceful shutdown is lost. When the queue is full
// (the database has been down for long), new entries are dropped and counted.
//
// No input stops it: Record() makes each entry storable first
// (auth::StorableAuditEntry: valid UTF-8, bounded). A batch the store refuses
// for its data (kInvalidArgument) is split in halves, recursively, so the
// other entries are written; an entry refused on its own is dropped, logged
// and counted (rejected()). Any other failure (the database is down) keeps
// the rest of the batch for retry with backoff, as before: nothing is lost.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/auth/audit.hpp"

namespace spdlog {
class logger;
}

namespace giia::server {

struct AuditWriterOptions {
  std::size_t batch_size = 200;
  std::size_t max_queue = 50'000;
  std::chrono::milliseconds flush_every{250};
  std::chrono::milliseconds max_backoff{5000};
};

class AuditWriter final : public auth::AuditLog {
 public:
  AuditWriter(auth::AuditStore& store, AuditWriterOptions options, spdlog::logger& log);
  ~AuditWriter() override;  // Stop(5s)

  void Record(auth::AuditEntry entry) override;
  void Start();
  // Writes what is queued, retrying until `deadline` passes; then stops.
  // Returns the number of entries left unwritten (0 unless the store stayed down).
  std::size_t Stop(std::chrono::milliseconds deadline);

  std::int64_t written() const { return written_.load(); }
  std::int64_t dropped() const { return dropped_.load(); }    // the queue was full
  std::int64_t rejected() const { return rejected_.load(); }  // the store refused the data
  std::size_t queued() const;

 private:
  void Loop();
  bool WriteSome(std::size_t max);  // false when the store failed
  // Writes in_flight_[begin, end), splitting on data errors. Returns false
  // when the store failed otherwise; `handled` is then the count of leading
  // in_flight_ entries written or rejected (entries are handled in order).
  bool WriteRange(std::size_t begin, std::size_t end, std::size_t& handled);

  auth::AuditStore& store_;
  const AuditWriterOptions options_;
  spdlog::logger& log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<auth::AuditEntry> queue_;
  std::vector<auth::AuditEntry> in_flight_;  // taken from the queue, not yet written
  bool stopping_ = false;
  bool started_ = false;
  std::atomic<std::int64_t> written_{0};
  std::atomic<std::int64_t> dropped_{0};
  std::atomic<std::int64_t> rejected_{0};
  std::thread thread_;
};

}  // namespace giia::server
