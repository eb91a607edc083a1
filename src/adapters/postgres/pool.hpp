#pragma once
// A bounded pool of PostgreSQL connections. A connection that broke, is in a
// transaction, or outlived max_lifetime is discarded on return and replaced
// on demand; it is never handed out again.
//
// Thread-safe. Leases must not outlive the pool.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "adapters/postgres/connection.hpp"

namespace giia::pg {

struct PoolOptions {
  ConnectOptions connect;
  int max_size = 10;                                // open connections, at most
  std::chrono::milliseconds acquire_timeout{5000};  // wait for a free one, at most
  std::chrono::milliseconds max_lifetime{30 * 60 * 1000};
};

struct PoolStats {
  int open = 0;
  int idle = 0;
  int in_use = 0;
  std::int64_t opened_total = 0;     // connections ever opened
  std::int64_t discarded_total = 0;  // broken, expired or left in a transaction
  std::int64_t waits_total = 0;      // acquisitions that had to wait
};

class Pool;

// A borrowed connection; returned to the pool when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_.get(); }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  // No I/O: connections open on first use.
  // Errors: kInvalidArgument for a malformed URL or max_size < 1.
  [[nodiscard]] static Result<std::unique_ptr<Pool>> Create(PoolOptions options);

  // An idle healthy connection, or a new one while fewer than max_size are
  // open, else waits up to acquire_timeout for one to come back.
  // Errors: kUnavailable when connecting fails or no connection frees up in time.
  [[nodiscard]] Result<Lease> Acquire();

  PoolStats Stats() const;
  const PoolOptions& options() const { return options_; }

 private:
  friend class Lease;
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  void Release(std::unique_ptr<Connection> conn);

  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  int open_ = 0;                                   // guarded by mu_; idle + leased + opening
  PoolStats counters_;                             // guarded by mu_; the *_total fields
};

// Runs `work` on a pooled connection between BEGIN and COMMIT, again (up to
// 3 times in all) after a serialization failure or deadlock (kAborted from
// the database; a kAborted that `work` returns with its transaction healthy,
// such as a stale version, is not retried).
[[nodiscard]] Status RunRetriedTransaction(Pool& pool,
                                           const std::function<Status(Connection& conn)>& work);

}  // namespace giia::pg
