// The asynchronous PostgreSQL pool against a real server: answers, errors,
// deadlines cancelled on the server, a connection lost mid-query, a full
// pool, and shutdown with statements in flight. A statement is held running
// by a lock another connection keeps, never by a timer.
#include <catch2/catch.hpp>
#include <future>
#include <stdexcept>

#include "adapters/postgres/async_pool.hpp"
#include "support/net.hpp"
#include "support/poll.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::Eventually;
using giia::testing::Scalar;
using giia::testing::TestDatabase;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

namespace {

// One query's answer, to wait for.
struct Answer {
  std::promise<Result<pg::Rows>> promise;
  std::future<Result<pg::Rows>> future = promise.get_future();
  pg::QueryDone Done() {
    return [this](Result<pg::Rows> r) { promise.set_value(std::move(r)); };
  }
  bool Arrived() { return future.wait_for(milliseconds(0)) == std::future_status::ready; }
  // The answer, failing the test when none comes within 30 s.
  Result<pg::Rows> Get() {
    REQUIRE(future.wait_for(seconds(30)) == std::future_status::ready);
    return future.get();
  }
};

std::unique_ptr<pg::AsyncPool> MakePool(const std::string& url, int size,
                                        std::size_t max_waiting = 64) {
  pg::AsyncPoolOptions o;
  o.connect.url = url;
  o.connect.connect_timeout = seconds(5);
  o.max_size = size;
  o.max_waiting = max_waiting;
  auto pool = pg::AsyncPool::Create(o);
  REQUIRE(pool);
  return std::move(*pool);
}

Result<pg::Rows> Run(pg::AsyncPool& pool, std::string sql, std::vector<pg::Param> params = {}) {
  Answer a;
  pool.Query(std::move(sql), std::move(params), Clock::now() + seconds(20), a.Done());
  return a.Get();
}

// Holds an exclusive lock on table `t` from its own connection until
// released, so that any statement reading t waits on the server.
class TableLock {
 public:
  explicit TableLock(TestDatabase& db) : conn_(pg::Connection::Open({.url = db.url()})) {
    REQUIRE(conn_);
    REQUIRE((*conn_)->Exec("BEGIN"));
    REQUIRE((*conn_)->Exec("LOCK TABLE t IN ACCESS EXCLUSIVE MODE"));
  }
  void Release() { REQUIRE((*conn_)->Exec("COMMIT")); }

 private:
  Result<std::unique_ptr<pg::Connection>> conn_;
};

// True once the server shows `n` statements of this database waiting on a lock.
bool LockWaiters(TestDatabase& db, int n) {
  return Scalar(db.sql(), "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db.name() +
                              "' AND wait_event_type = 'Lock'") == std::to_string(n);
}

// The port of the test database's server.
int PortOf(TestDatabase& db) {
  const auto at = db.url().rfind('@');
  const auto colon = db.url().find(':', at);
  const auto slash = db.url().find('/', colon);
  return std::stoi(db.url().substr(colon + 1, slash - colon - 1));
}

// Starts a statement that reads t (locked: it waits on the server), and
// returns once the server shows it waiting.
void StartBlocked(pg::AsyncPool& pool, TestDatabase& db, Answer& answer) {
  pool.Query("SELECT count(*) FROM t", {}, Clock::now() + seconds(20), answer.Done());
  REQUIRE(Eventually([&] { return LockWaiters(db, 1); }, seconds(10)));
}

}  // namespace

TEST_CASE("AsyncPool answers with the rows, and prepares a text once per connection", "[pg]") {
  TestDatabase db;
  auto pool = MakePool(db.url(), 1);
  for (int i = 0; i < 3; ++i) {
    auto rows = Run(*pool, "SELECT $1::int + 1, $2::text", {41, std::nullopt});
    REQUIRE(rows);
    CHECK(rows->Int(0, 0) == 42);
    CHECK(rows->IsNull(0, 1));
  }
  auto prepared = Run(*pool,
                      "SELECT count(*) FROM pg_prepared_statements WHERE statement = "
                      "'SELECT $1::int + 1, $2::text'");
  REQUIRE(prepared);
  CHECK(prepared->Int(0, 0) == 1);
  CHECK(pool->Stats().open == 1);
}

TEST_CASE("AsyncPool: a statement that fails gets its error, and the connection serves the next",
          "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY)"));
  auto pool = MakePool(db.url(), 1);
  REQUIRE(Run(*pool, "INSERT INTO t VALUES ($1)", {1}));
  auto dup = Run(*pool, "INSERT INTO t VALUES ($1)", {1});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  CHECK(dup.error().constraint == "t_pk");
  auto bad = Run(*pool, "SELECT * FROM nowhere");  // fails while being prepared
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kFailedPrecondition);
  auto next = Run(*pool, "SELECT count(*) FROM t");
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 1);
  CHECK(pool->Stats().discarded_total == 0);
  CHECK(pool->Stats().open == 1);
}

TEST_CASE("AsyncPool: a plan a schema change invalidated is prepared again, unseen by the caller",
          "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  REQUIRE(db.sql().Exec("INSERT INTO t VALUES (7)"));
  auto pool = MakePool(db.url(), 1);
  REQUIRE(Run(*pool, "SELECT * FROM t"));
  REQUIRE(db.sql().Exec("ALTER TABLE t ADD COLUMN name text DEFAULT 'x'"));
  auto rows = Run(*pool, "SELECT * FROM t");
  REQUIRE(rows);
  CHECK(rows->Text(0, 1) == "x");
}

TEST_CASE(
    "AsyncPool: at its deadline a running statement is answered at once and cancelled on "
    "the server, and its connection comes back healthy",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  auto pool = MakePool(db.url(), 1);
  REQUIRE(Run(*pool, "SELECT 1"));  // open: the statement below starts at once
  TableLock lock(db);
  Answer late;
  pool->Query("SELECT count(*) FROM t", {}, Clock::now() + seconds(1), late.Done());
  auto answer = late.Get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kDeadlineExceeded);
  // Cancelled: the server no longer waits for the lock, which is still held.
  CHECK(Eventually([&] { return LockWaiters(db, 0); }, seconds(10)));
  CHECK(pool->Stats().cancelled_total == 1);
  // The same connection answers the next statement (the lock is released
  // only after, so this one could not wait for it: it reads another table).
  auto next = Run(*pool, "SELECT 1");
  REQUIRE(next);
  CHECK(pool->Stats().discarded_total == 0);
  CHECK(pool->Stats().open == 1);
  lock.Release();
}

TEST_CASE("AsyncPool: a connection lost mid-statement answers kUnavailable and is replaced",
          "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  giia::testing::TcpProxy proxy("127.0.0.1", PortOf(db));
  auto pool = MakePool(giia::testing::WithPort(db.url(), proxy.port()), 1);
  TableLock lock(db);
  Answer lost;
  StartBlocked(*pool, db, lost);
  proxy.Cut();
  auto answer = lost.Get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  proxy.Restore();
  lock.Release();
  auto next = Run(*pool, "SELECT count(*) FROM t");
  REQUIRE(next);
  CHECK(pool->Stats().discarded_total == 1);
}

TEST_CASE(
    "AsyncPool: a full pool queues up to max_waiting, refuses more, and answers a waiting "
    "query at its deadline",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  auto pool = MakePool(db.url(), 1, /*max_waiting=*/2);
  TableLock lock(db);
  Answer running, queued, expiring, refused;
  StartBlocked(*pool, db, running);
  pool->Query("SELECT 2", {}, Clock::now() + seconds(20), queued.Done());
  pool->Query("SELECT 3", {}, Clock::now() + milliseconds(200), expiring.Done());
  REQUIRE(Eventually([&] { return pool->Stats().waiting == 2; }, seconds(10)));
  pool->Query("SELECT 4", {}, Clock::now() + seconds(20), refused.Done());
  auto no = refused.Get();
  REQUIRE_FALSE(no);
  CHECK(no.error().code == ErrorCode::kResourceExhausted);
  auto timed_out = expiring.Get();
  REQUIRE_FALSE(timed_out);
  CHECK(timed_out.error().code == ErrorCode::kDeadlineExceeded);
  CHECK_THAT(timed_out.error().message, Catch::Contains("waiting for a PostgreSQL connection"));
  CHECK_FALSE(queued.Arrived());
  lock.Release();
  auto first = running.Get();
  REQUIRE(first);
  auto second = queued.Get();
  REQUIRE(second);
  CHECK(second->Int(0, 0) == 2);
}

TEST_CASE(
    "AsyncPool: shutdown refuses new and waiting statements, lets the running one finish "
    "within the grace, and returns once all are answered",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  auto pool = MakePool(db.url(), 1);
  TableLock lock(db);
  Answer running, queued, after;
  StartBlocked(*pool, db, running);
  pool->Query("SELECT 2", {}, Clock::now() + seconds(20), queued.Done());
  auto stopped = std::async(std::launch::async, [&] { pool->Shutdown(seconds(20)); });
  auto refused = queued.Get();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  pool->Query("SELECT 3", {}, Clock::now() + seconds(20), after.Done());
  auto late = after.Get();
  REQUIRE_FALSE(late);
  CHECK(late.error().code == ErrorCode::kUnavailable);
  CHECK_FALSE(running.Arrived());
  lock.Release();
  auto finished = running.Get();
  REQUIRE(finished);
  CHECK(finished->Int(0, 0) == 0);
  REQUIRE(stopped.wait_for(seconds(30)) == std::future_status::ready);
  CHECK(pool->Stats().open == 0);
}

TEST_CASE(
    "AsyncPool: shutdown past its grace answers a running statement kUnavailable and "
    "cancels it on the server",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  auto pool = MakePool(db.url(), 1);
  TableLock lock(db);
  Answer running;
  StartBlocked(*pool, db, running);
  pool->Shutdown(milliseconds(100));
  REQUIRE(running.Arrived());
  auto answer = running.Get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  CHECK(Eventually([&] { return LockWaiters(db, 0); }, seconds(10)));
  lock.Release();
}

TEST_CASE(
    "AsyncPool: with the server unreachable every waiting statement gets kUnavailable "
    "naming it",
    "[pg]") {
  TestDatabase db;
  const int closed = giia::testing::ClosedPort();
  auto pool = MakePool(giia::testing::WithPort(db.url(), closed), 2);
  Answer a, b;
  pool->Query("SELECT 1", {}, Clock::now() + seconds(20), a.Done());
  pool->Query("SELECT 1", {}, Clock::now() + seconds(20), b.Done());
  for (Answer* x : {&a, &b}) {
    auto r = x->Get();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(r.error().message, Catch::Contains("127.0.0.1:" + std::to_string(closed)));
  }
}

TEST_CASE("AsyncPool: a callback that throws costs only its own answer", "[pg]") {
  TestDatabase db;
  auto pool = MakePool(db.url(), 1);
  pool->Query("SELECT 1", {}, Clock::now() + seconds(20),
              [](Result<pg::Rows>) { throw std::runtime_error("a handler's bug"); });
  auto next = Run(*pool, "SELECT 2");
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 2);
  CHECK(pool->Stats().discarded_total == 0);
}

// --- transactions

namespace {

// Runs a transaction on `pool` whose steps `first` gives; waits for the
// answer a step puts into `out`.
void Transact(pg::AsyncPool& pool, Clock::time_point deadline,
              std::function<void(pg::AsyncTransaction&)> first, Answer& failed_start) {
  pool.Transaction(deadline,
                   [first = std::move(first), &failed_start](Result<pg::AsyncTransaction*> tx) {
                     if (!tx) return failed_start.promise.set_value(tl::unexpected(tx.error()));
                     first(**tx);
                   });
}

// Starts a transaction that inserts into u, then reads t (locked: it waits
// on the server) as its next step (with commit: its last); `blocked` gets
// that read's answer.
void StartBlockedTransaction(pg::AsyncPool& pool, Clock::time_point deadline, bool commit,
                             Answer& blocked, Answer& start) {
  Transact(
      pool, deadline,
      [&blocked, commit](pg::AsyncTransaction& tx) {
        tx.Query("INSERT INTO u VALUES (1)", {},
                 [&blocked, commit](Result<pg::Rows> r, pg::AsyncTransaction& t) {
                   REQUIRE(r);
                   auto done = [&blocked](Result<pg::Rows> read, pg::AsyncTransaction&) {
                     blocked.promise.set_value(std::move(read));
                   };
                   if (commit) return t.Commit("SELECT count(*) FROM t", {}, done);
                   t.Query("SELECT count(*) FROM t", {}, done);
                 });
      },
      start);
}

std::string Count(TestDatabase& db, const std::string& table) {
  return Scalar(db.sql(), "SELECT count(*) FROM " + table);
}

}  // namespace

TEST_CASE("AsyncPool: a transaction's statements commit together, unseen by others until COMMIT",
          "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE u (id int PRIMARY KEY)"));
  auto pool = MakePool(db.url(), 1);
  Answer start, committed;
  std::string seen_midway;
  Transact(
      *pool, Clock::now() + seconds(20),
      [&](pg::AsyncTransaction& tx) {
        tx.Query("INSERT INTO u VALUES ($1)", {1},
                 [&](Result<pg::Rows> r, pg::AsyncTransaction& t) {
                   REQUIRE(r);
                   seen_midway =
                       Count(db, "u");  // from another connection, while the transaction is open
                   t.Commit("INSERT INTO u VALUES ($1) RETURNING id", {2},
                            [&](Result<pg::Rows> last, auto&) {
                              committed.promise.set_value(std::move(last));
                            });
                 });
      },
      start);
  auto last = committed.Get();
  REQUIRE(last);
  CHECK(last->Int(0, 0) == 2);
  CHECK(seen_midway == "0");
  CHECK(Count(db, "u") == "2");
  CHECK_FALSE(start.Arrived());
  // BEGIN and COMMIT travelled with the statements: the connection is idle,
  // outside any transaction, and serves the next statement.
  auto next = Run(*pool, "SELECT count(*) FROM u");
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 2);
  // Stats are published once the reactor's turn ends, after the answer.
  CHECK(Eventually([&] { return pool->Stats().busy == 0; }, seconds(10)));
}

TEST_CASE(
    "AsyncPool: a failed statement rolls its transaction back, a step given after it is "
    "answered kAborted, and the connection serves the next",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE u (id int CONSTRAINT u_pk PRIMARY KEY)"));
  auto pool = MakePool(db.url(), 1);
  Answer start, failed, after;
  Transact(
      *pool, Clock::now() + seconds(20),
      [&](pg::AsyncTransaction& tx) {
        tx.Query("INSERT INTO u VALUES ($1)", {1},
                 [&](Result<pg::Rows> r, pg::AsyncTransaction& t) {
                   REQUIRE(r);
                   t.Commit("INSERT INTO u VALUES ($1)", {1}, [&](Result<pg::Rows> dup, auto& t2) {
                     failed.promise.set_value(std::move(dup));
                     t2.Query("INSERT INTO u VALUES ($1)", {3}, [&](Result<pg::Rows> no, auto&) {
                       after.promise.set_value(std::move(no));
                     });
                   });
                 });
      },
      start);
  auto dup = failed.Get();
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  CHECK(dup.error().constraint == "u_pk");
  auto no = after.Get();
  REQUIRE_FALSE(no);
  CHECK(no.error().code == ErrorCode::kAborted);
  auto next = Run(*pool, "SELECT count(*) FROM u");  // the same, one connection
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 0);
  CHECK(pool->Stats().discarded_total == 0);
}

TEST_CASE("AsyncPool: a transaction callback that gives no step rolls back", "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE u (id int)"));
  auto pool = MakePool(db.url(), 1);
  Answer start, first;
  Transact(
      *pool, Clock::now() + seconds(20),
      [&](pg::AsyncTransaction& tx) {
        tx.Query("INSERT INTO u VALUES (1)", {}, [&](Result<pg::Rows> r, auto&) {
          first.promise.set_value(std::move(r));  // and no next step
        });
      },
      start);
  REQUIRE(first.Get());
  auto next = Run(*pool, "SELECT count(*) FROM u");
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 0);
  CHECK(Count(db, "u") == "0");
}

TEST_CASE(
    "AsyncPool: a transaction's deadline answers its running statement, cancels it on the "
    "server, rolls back, and the connection comes back healthy",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  REQUIRE(db.sql().Exec("CREATE TABLE u (id int)"));
  auto pool = MakePool(db.url(), 1);
  REQUIRE(Run(*pool, "SELECT 1"));
  TableLock lock(db);
  Answer start, late;
  StartBlockedTransaction(*pool, Clock::now() + seconds(1), /*commit=*/true, late, start);
  auto answer = late.Get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kDeadlineExceeded);
  CHECK(Eventually([&] { return LockWaiters(db, 0); }, seconds(10)));
  auto next = Run(*pool, "SELECT count(*) FROM u");
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 0);
  CHECK(pool->Stats().cancelled_total == 1);
  CHECK(pool->Stats().discarded_total == 0);
  lock.Release();
}

TEST_CASE(
    "AsyncPool: a connection lost mid-transaction, before its COMMIT was sent, answers "
    "kUnavailable and commits nothing",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  REQUIRE(db.sql().Exec("CREATE TABLE u (id int)"));
  giia::testing::TcpProxy proxy("127.0.0.1", PortOf(db));
  auto pool = MakePool(giia::testing::WithPort(db.url(), proxy.port()), 1);
  TableLock lock(db);
  Answer start, lost;
  StartBlockedTransaction(*pool, Clock::now() + seconds(20), /*commit=*/false, lost, start);
  REQUIRE(Eventually([&] { return LockWaiters(db, 1); }, seconds(10)));
  proxy.Cut();
  auto answer = lost.Get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  proxy.Restore();
  lock.Release();
  // The server ends the session once it finds the client gone.
  CHECK(Eventually(
      [&] {
        return LockWaiters(db, 0) &&
               Scalar(db.sql(), "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                    db.name() + "' AND state LIKE 'idle in transaction%'") == "0";
      },
      seconds(10)));
  auto next = Run(*pool, "SELECT count(*) FROM u");
  REQUIRE(next);
  CHECK(next->Int(0, 0) == 0);
  CHECK(pool->Stats().discarded_total == 1);
}

TEST_CASE(
    "AsyncPool: a transaction waits for a connection like a statement, up to its deadline, "
    "and shutdown answers one in flight kUnavailable with nothing committed",
    "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int)"));
  REQUIRE(db.sql().Exec("CREATE TABLE u (id int)"));
  auto pool = MakePool(db.url(), 1);
  TableLock lock(db);
  Answer start, running;
  StartBlockedTransaction(*pool, Clock::now() + seconds(20), /*commit=*/true, running, start);
  REQUIRE(Eventually([&] { return LockWaiters(db, 1); }, seconds(10)));
  Answer queued;
  Transact(
      *pool, Clock::now() + milliseconds(200),
      [&](pg::AsyncTransaction&) { FAIL("no connection was free"); }, queued);
  auto waited = queued.Get();
  REQUIRE_FALSE(waited);
  CHECK(waited.error().code == ErrorCode::kDeadlineExceeded);
  pool->Shutdown(milliseconds(100));
  auto answer = running.Get();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  CHECK(Eventually([&] { return LockWaiters(db, 0); }, seconds(10)));
  lock.Release();
  CHECK(Eventually([&] { return Count(db, "u") == "0"; }, seconds(10)));
  CHECK_FALSE(start.Arrived());
}
