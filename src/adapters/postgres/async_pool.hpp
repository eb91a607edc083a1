#pragma once
// PostgreSQL without a thread per waiting query: a reactor thread drives a
// bounded set of connections with libpq's asynchronous API (statements sent
// in pipeline mode, the sockets watched with epoll), so a caller starts a
// statement and is called back with its rows, instead of lending a thread
// to the wait. For the hot paths: single statements, and transactions whose
// next statement is decided from the last one's rows.
//
//   pool.Query(sql, {org, id}, deadline, [](Result<Rows> rows) { ... });
//
//   pool.Transaction(deadline, [](Result<AsyncTransaction*> tx) {
//     if (!tx) return answer(tx.error());
//     (*tx)->Query(insert, params, [](Result<Rows> row, AsyncTransaction& tx) {
//       if (!row) return answer(row.error());  // rolled back
//       tx.Commit(outbox_insert, event, [](Result<Rows> done, AsyncTransaction&) {...});
//     });
//   });
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
  int busy = 0;  // running a statement or holding a transaction (or being cancelled)
  std::size_t waiting = 0;
  std::int64_t cancelled_total = 0;  // statements cancelled at their deadline
  std::int64_t discarded_total = 0;  // connections closed because they broke or expired
};

using QueryDone = std::function<void(Result<Rows>)>;

// A transaction on one connection of an AsyncPool, driven from its
// callbacks, which run on the reactor thread. Each callback gives the next
// step: Query (the next statement) or Commit (the last statement and
// COMMIT, in one round trip); a callback that gives neither ends the
// transaction, rolled back. BEGIN travels with the first statement.
// A statement that fails, or whose deadline passes, rolls the transaction
// back: its callback gets the error, and a step it gives then is answered
// kAborted. The object is valid only inside the callback that received it.
class AsyncTransaction {
 public:
  using Done = std::function<void(Result<Rows>, AsyncTransaction&)>;
  // The next statement; `done` gets its rows. At most one step a callback.
  virtual void Query(std::string sql, std::vector<Param> params, Done done) = 0;
  // The last statement and COMMIT: `done` gets the statement's rows once
  // the transaction committed; kAborted when COMMIT rolled it back.
  virtual void Commit(std::string sql, std::vector<Param> params, Done done) = 0;

 protected:
  ~AsyncTransaction() = default;
};

// The start of Transaction: the transaction, or why there is none (as
// Query's errors before a statement runs).
using TransactionStart = std::function<void(Result<AsyncTransaction*>)>;

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

  // Reserves a connection for a transaction (see AsyncTransaction) and
  // calls `start` with it on the reactor thread. `deadline` holds for the
  // whole transaction. Errors (to `start`, or to the step running then): as
  // Query's; a connection lost mid-transaction is kUnavailable: nothing is
  // committed when it was lost before Commit's step was sent; lost during
  // that step, the outcome is unknown (as for any COMMIT whose answer is
  // lost: the server may have received it).
  void Transaction(std::chrono::steady_clock::time_point deadline, TransactionStart start);

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
