// The PostgreSQL adapter in transaction-pooling mode (DATABASE_POOL_MODE=
// transaction): no startup option, the statement timeout set in each
// transaction, a statement outside a transaction run as one of its own.
// Against the server directly (what the adapter sends) and through a real
// PgBouncer in transaction mode (what a stock PgBouncer accepts).

#include <catch2/catch.hpp>

#include "adapters/postgres/connection.hpp"
#include "adapters/postgres/pool.hpp"
#include "support/pgbouncer.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::PgBouncer;
using giia::testing::Scalar;
using giia::testing::TestDatabase;
using namespace std::chrono_literals;

namespace {

pg::ConnectOptions Options(const std::string& url, std::chrono::milliseconds timeout,
                           bool transaction_pooling) {
  pg::ConnectOptions options;
  options.url = url;
  options.statement_timeout = timeout;
  options.transaction_pooling = transaction_pooling;
  return options;
}

std::unique_ptr<pg::Connection> Open(const pg::ConnectOptions& options) {
  auto conn = pg::Connection::Open(options);
  if (!conn) FAIL("cannot connect: " << conn.error().message);
  return std::move(*conn);
}

// The session's own statement_timeout (what RESET restores: the server's
// default or a startup option) and the one in force, read in a transaction.
std::pair<std::string, std::string> SessionAndCurrentTimeout(pg::Connection& conn) {
  std::pair<std::string, std::string> out;
  REQUIRE(pg::InTransaction(conn, [&]() -> Status {
    auto r = conn.Exec(
        "SELECT reset_val, current_setting('statement_timeout') FROM pg_settings "
        "WHERE name = 'statement_timeout'");
    if (!r) return tl::unexpected(r.error());
    out = {r->Text(0, 0), r->Text(0, 1)};
    return Ok();
  }));
  return out;
}

}  // namespace

TEST_CASE("Transaction pooling sends no startup option and bounds each transaction instead",
          "[pg][pgbouncer]") {
  TestDatabase db;
  // The server's default is 0; the session mode's startup option is the
  // session's own value, transaction mode leaves the session at the default.
  auto session = Open(Options(db.url(), 250ms, false));
  CHECK(SessionAndCurrentTimeout(*session) == std::pair<std::string, std::string>("250", "250ms"));
  auto pooled = Open(Options(db.url(), 250ms, true));
  CHECK(SessionAndCurrentTimeout(*pooled) == std::pair<std::string, std::string>("0", "250ms"));
  // Outside a transaction the statement gets a transaction of its own, with
  // the timeout set in it, and nothing is left on the session.
  CHECK(Scalar(*pooled, "SELECT current_setting('statement_timeout')") == "250ms");
  CHECK(Scalar(*pooled, "SELECT reset_val FROM pg_settings WHERE name = 'statement_timeout'") ==
        "0");
  CHECK(pooled->Idle());
}

TEST_CASE(
    "In transaction mode a statement over the timeout is DEADLINE_EXCEEDED, in or out of a "
    "transaction, and the connection stays usable",
    "[pg][pgbouncer]") {
  TestDatabase db;
  auto conn = Open(Options(db.url(), 200ms, true));
  const std::string backend = Scalar(*conn, "SELECT pg_backend_pid()");

  auto slow = conn->Exec("SELECT pg_sleep(5)");
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == ErrorCode::kDeadlineExceeded);
  CHECK(conn->Idle());
  CHECK_FALSE(conn->InFailedTransaction());

  auto in_transaction = pg::InTransaction(*conn, [&]() -> Status {
    if (auto r = conn->Exec("SELECT 1"); !r) return tl::unexpected(r.error());
    if (auto r = conn->Exec("SELECT pg_sleep(5)"); !r) return tl::unexpected(r.error());
    return Ok();
  });
  REQUIRE_FALSE(in_transaction);
  CHECK(in_transaction.error().code == ErrorCode::kDeadlineExceeded);
  CHECK(conn->Idle());

  // A script run outside a transaction is bounded too.
  auto script = conn->ExecScript("SELECT 1;\nSELECT pg_sleep(5);");
  REQUIRE_FALSE(script);
  CHECK(script.error().code == ErrorCode::kDeadlineExceeded);
  CHECK(conn->Idle());

  // Still the same session, idle and usable.
  CHECK(Scalar(*conn, "SELECT pg_backend_pid()") == backend);
  CHECK(Scalar(*conn, "SELECT 40 + 2") == "42");
}

TEST_CASE(
    "In transaction mode a failed statement outside a transaction is rolled back and "
    "leaves the connection idle",
    "[pg][pgbouncer]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int PRIMARY KEY)"));
  REQUIRE(db.sql().Exec("CREATE TABLE p (id int PRIMARY KEY)"));
  REQUIRE(db.sql().Exec("CREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED)"));
  pg::PoolOptions options;
  options.connect = Options(db.url(), 5s, true);
  options.max_size = 1;
  auto pool = pg::Pool::Create(options).value();
  {
    auto lease = pool->Acquire();
    REQUIRE(lease);
    pg::Connection& conn = **lease;
    REQUIRE(conn.Exec("INSERT INTO t VALUES ($1)", {1}));
    // The statement fails: the error is the statement's.
    auto dup = conn.Exec("INSERT INTO t VALUES ($1)", {1});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == ErrorCode::kAlreadyExists);
    CHECK(conn.Idle());
    // The statement runs, its COMMIT fails (a deferred check): the error is
    // the COMMIT's, and nothing of the statement is left.
    auto orphan = conn.Exec("INSERT INTO c VALUES (7)");
    REQUIRE_FALSE(orphan);
    CHECK(orphan.error().code == ErrorCode::kFailedPrecondition);
    CHECK(conn.Idle());
    // A script that fails halfway is undone whole, and says where it failed.
    auto script = conn.ExecScript("INSERT INTO t VALUES (2);\nINSERT INTO nowhere VALUES (1);");
    REQUIRE_FALSE(script);
    CHECK(script.error().code == ErrorCode::kFailedPrecondition);
    CHECK_THAT(script.error().message, Catch::EndsWith("at line 2"));
    CHECK(conn.Idle());
  }
  CHECK(Scalar(db.sql(), "SELECT string_agg(id::text, ',') FROM t") == "1");
  CHECK(Scalar(db.sql(), "SELECT count(*) FROM c") == "0");
  // The pool took the connection back each time: one opened, none discarded.
  auto lease = pool->Acquire();
  REQUIRE(lease);
  CHECK((*lease)->Exec("SELECT 1"));
  CHECK(pool->Stats().opened_total == 1);
  CHECK(pool->Stats().discarded_total == 0);
}

TEST_CASE("In transaction mode a stale prepared plan outside a transaction is prepared again",
          "[pg][pgbouncer]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (a int)"));
  REQUIRE(db.sql().Exec("INSERT INTO t VALUES (1)"));
  auto conn = Open(Options(db.url(), 5s, true));  // prepare_statements: PgBouncer >= 1.21
  const char* select_all = "SELECT * FROM t WHERE a = $1";
  REQUIRE(conn->Exec(select_all, {1}));
  REQUIRE(conn->prepared_count() == 1);
  REQUIRE(db.sql().Exec("ALTER TABLE t ADD COLUMN b int DEFAULT 2"));
  auto rows = conn->Exec(select_all, {1});
  REQUIRE(rows);
  CHECK(rows->Text(0, 1) == "2");
  CHECK(conn->Idle());
}

TEST_CASE("Transaction mode with no statement timeout adds no statement", "[pg][pgbouncer]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (a int)"));
  auto conn = Open(Options(db.url(), 0ms, true));
  CHECK(Scalar(*conn, "SHOW statement_timeout") == "0");
  // VACUUM refuses a transaction block: it runs only because the statement
  // is sent as it is, not wrapped in BEGIN ... COMMIT.
  CHECK(conn->Exec("VACUUM t"));
  auto bounded = Open(Options(db.url(), 5s, true));
  auto refused = bounded->Exec("VACUUM t");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("25001"));
  CHECK(bounded->Idle());
}

TEST_CASE(
    "Through a stock PgBouncer in transaction mode: the session mode is refused, the "
    "transaction mode works and is bounded",
    "[pg][pgbouncer]") {
  TestDatabase db;
  PgBouncer bouncer;
  const std::string url = bouncer.Url(db.url());
  INFO(bouncer.Log());

  auto refused = pg::Connection::Open(Options(url, 200ms, false));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(refused.error().message, Catch::Contains("unsupported startup parameter: options"));

  pg::ConnectOptions options = Options(url, 200ms, true);
  options.prepare_statements = false;  // PgBouncer 1.18
  auto conn = Open(options);
  CHECK(Scalar(*conn, "SELECT current_setting('statement_timeout')") == "200ms");
  auto slow = conn->Exec("SELECT pg_sleep(5)");
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == ErrorCode::kDeadlineExceeded);
  CHECK(conn->Idle());
  auto in_transaction = pg::InTransaction(*conn, [&]() -> Status {
    if (auto r = conn->Exec("SELECT pg_sleep(5)"); !r) return tl::unexpected(r.error());
    return Ok();
  });
  REQUIRE_FALSE(in_transaction);
  CHECK(in_transaction.error().code == ErrorCode::kDeadlineExceeded);
  // A transaction's statements run on one server connection; afterwards the
  // client connection is idle and usable.
  std::string pids;
  REQUIRE(pg::InTransaction(*conn, [&]() -> Status {
    auto a = conn->Exec("SELECT pg_backend_pid()");
    if (!a) return tl::unexpected(a.error());
    auto b = conn->Exec("SELECT pg_backend_pid()");
    if (!b) return tl::unexpected(b.error());
    pids = a->Text(0, 0) + "=" + b->Text(0, 0);
    return Ok();
  }));
  CHECK(pids.substr(0, pids.find('=')) == pids.substr(pids.find('=') + 1));
  CHECK(Scalar(*conn, "SELECT 40 + 2") == "42");
}
