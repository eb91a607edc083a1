#pragma once
// PostgreSQL without a thread per waiting query: a reactor thread drives a
// bounded set of connections with libpq's asynchronous API (statements sent
// in pipeline mode, the sockets watched with epoll), so a caller starts a
// statement and is called back with its rows, instead of lending a thread
// to the wait. For the hot single-statement paths (reads, and writes that
// are one statement); transactions of several statements use Pool.
//
//   pool.Query(sql, {org, id}, deadline, [](Result<Rows> rows) { ... });
//
// Every Query gets exactly one answer, on the reactor thread, never inside
// Query itself; the callback must not block (it may call Query again), and
// one that throws loses only its own answer (the exception is dropped).
// Deadlines: a statement still running at its deadline is answered
// kDeadlineExceeded at once and cancelled on the server (PQcancel); its
// connection is reused once the server has given it back. A query waiting
// for a connection is answered at its deadline too.
//
// Thread-safe: Query and Shutdown from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/postgres/connection.hpp"

namespace giia::pg {

struct AsyncPoolOptions {
  ConnectOptions connect;
  int max_size = 10;               // open connections, at most
  std::size_t max_waiting = 4096;  // queries waiting for a connection, at most
  std::chrono::milliseconds max_lifetime{30 * 60 * 1000};
};

struct AsyncPoolStats {
  int open = 0;  // connections open (or opening)
  int busy = 0;  // running a statement (or being cancelled)
  std::size_t waiting = 0;
  std::int64_t cancelled_total = 0;  // statements cancelled at their deadline
  std::int64_t discarded_total = 0;  // connections closed because they broke or expired
};

using QueryDone = std::function<void(Result<Rows>)>;

class AsyncPool {
 public:
  // Starts the reactor; no connection is opened yet.
  // Errors: kInvalidArgument for a malformed URL or max_size < 1;
  // kInternal when the reactor cannot be set up (epoll, eventfd).
  [[nodiscard]] static Result<std::unique_ptr<AsyncPool>> Create(AsyncPoolOptions options);
  // Shutdown() with no grace.
  ~AsyncPool();
  AsyncPool(const AsyncPool&) = delete;
  AsyncPool& operator=(const AsyncPool&) = delete;

  // Runs one statement (outside a transaction; see Connection::Start) on a
  // free connection, or one opened for it, or the first to free up; `done`
  // gets the rows. Errors: as Connection::Exec; kDeadlineExceeded at
  // `deadline`; kUnavailable when connecting fails while no connection is
  // open, or after Shutdown (then answered inside Query, the one exception);
  // kResourceExhausted when max_waiting queries wait already.
  void Query(std::string sql, std::vector<Param> params,
             std::chrono::steady_clock::time_point deadline, QueryDone done);

  // Refuses new queries (kUnavailable), answers the waiting ones
  // kUnavailable, gives the running ones until `grace` has passed (then
  // cancels them and answers kUnavailable), closes the connections and ends
  // the reactor. Idempotent; returns once every query has had its answer.
  // Not from a callback (it waits for the reactor thread that runs them).
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

  AsyncPoolStats Stats() const;

 private:
  struct Reactor;
  explicit AsyncPool(std::unique_ptr<Reactor> reactor);
  std::unique_ptr<Reactor> reactor_;
};

}  // namespace giia::pg
