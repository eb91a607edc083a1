#include "adapters/postgres/pool.hpp"

namespace giia::pg {

Lease::~Lease() {
  if (conn_) pool_->Release(std::move(conn_));
}

Result<std::unique_ptr<Pool>> Pool::Create(PoolOptions options) {
  if (options.max_size < 1) {
    return InvalidArgument("DATABASE_MAX_OPEN_CONNS", "must be at least 1");
  }
  if (auto ok = ValidateUrl(options.connect.url); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<Pool>(new Pool(std::move(options)));
}

Result<Lease> Pool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mu_);
  bool waited = false;
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      const bool expired =
          std::chrono::steady_clock::now() - conn->opened_at() > options_.max_lifetime;
      if (!expired && conn->CheckAlive()) return Lease(this, std::move(conn));
      --open_;
      ++counters_.discarded_total;
      lock.unlock();
      conn.reset();  // closing may block on the socket: not under the lock
      lock.lock();
    }
    if (open_ < options_.max_size) {
      ++open_;  // reserve the slot, then connect without holding the lock
      lock.unlock();
      auto conn = Connection::Open(options_.connect);
      lock.lock();
      if (!conn) {
        --open_;
        returned_.notify_one();
        return tl::unexpected(conn.error());
      }
      ++counters_.opened_total;
      return Lease(this, std::move(*conn));
    }
    if (!waited) {
      waited = true;
      ++counters_.waits_total;
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_size) {
      return MakeError(ErrorCode::kUnavailable,
                       "no PostgreSQL connection became free within " +
                           std::to_string(options_.acquire_timeout.count()) + " ms (pool of " +
                           std::to_string(options_.max_size) + ")");
    }
  }
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  // A connection still inside a transaction holds locks and state a later
  // borrower must not inherit; a broken one is useless. Both are closed.
  const bool reusable = conn->Healthy() && conn->Idle();
  std::unique_lock lock(mu_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
    ++counters_.discarded_total;
    lock.unlock();
    conn.reset();
    lock.lock();
  }
  returned_.notify_one();
}

PoolStats Pool::Stats() const {
  std::lock_guard lock(mu_);
  PoolStats s = counters_;
  s.open = open_;
  s.idle = static_cast<int>(idle_.size());
  s.in_use = open_ - s.idle;
  return s;
}

Status RunRetriedTransaction(Pool& pool, const std::function<Status(Connection& conn)>& work) {
  constexpr int kAttempts = 3;
  Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto lease = pool.Acquire();
    if (!lease) return tl::unexpected(lease.error());
    Connection& conn = **lease;
    // A refusal of the work itself (a stale version is kAborted too) leaves
    // the transaction healthy: only the database's conflicts are retried.
    bool refused = false;
    last = InTransaction(conn, [&] {
      Status done = work(conn);
      refused = !done && !conn.InFailedTransaction();
      return done;
    });
    if (last || refused || last.error().code != ErrorCode::kAborted) return last;
  }
  return last;
}

}  // namespace giia::pg
