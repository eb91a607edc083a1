// The PostgreSQL adapter against a real server: statements, error mapping,
// the pool's replacement of broken connections, and timeouts.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "adapters/postgres/auth_store.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "support/contract.hpp"
#include "support/net.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::Scalar;
using giia::testing::TestDatabase;

namespace {}  // namespace

TEST_CASE("Exec binds parameters, returns rows and NULLs", "[pg]") {
  TestDatabase db;
  auto rows = db.sql().Exec("SELECT $1::int + 1, $2::text, $3::text", {41, "it's", std::nullopt});
  REQUIRE(rows);
  CHECK(rows->Int(0, 0) == 42);
  CHECK(rows->Text(0, 1) == "it's");
  CHECK(rows->IsNull(0, 2));
}

TEST_CASE("SQLSTATEs map to the core's error codes, without the DETAIL line", "[pg]") {
  TestDatabase db;
  auto& sql = db.sql();
  REQUIRE(sql.Exec("CREATE TABLE t (id int PRIMARY KEY, n int CHECK (n > 0))"));
  REQUIRE(sql.Exec("INSERT INTO t VALUES (1, 1)"));
  auto dup = sql.Exec("INSERT INTO t VALUES ($1, 1)", {1});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  CHECK_THAT(dup.error().message, Catch::Contains("23505"));
  CHECK(dup.error().message.find("Key (id)=(1)") == std::string::npos);
  auto check = sql.Exec("INSERT INTO t VALUES (2, -1)");
  REQUIRE_FALSE(check);
  CHECK(check.error().code == ErrorCode::kInvalidArgument);
  auto missing = sql.Exec("SELECT * FROM nowhere");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(missing.error().message, Catch::Contains("giia migrate up"));
}

TEST_CASE("InTransaction commits on success and rolls back on error", "[pg]") {
  TestDatabase db;
  auto& sql = db.sql();
  REQUIRE(sql.Exec("CREATE TABLE t (id int PRIMARY KEY)"));
  REQUIRE(pg::InTransaction(sql, [&]() -> Status {
    if (auto r = sql.Exec("INSERT INTO t VALUES (1)"); !r) return tl::unexpected(r.error());
    return Ok();
  }));
  auto failed = pg::InTransaction(sql, [&]() -> Status {
    REQUIRE(sql.Exec("INSERT INTO t VALUES (2)"));
    return MakeError(ErrorCode::kAborted, "no");
  });
  REQUIRE_FALSE(failed);
  // A swallowed statement error cannot pass as a commit.
  auto swallowed = pg::InTransaction(sql, [&]() -> Status {
    REQUIRE(sql.Exec("INSERT INTO t VALUES (3)"));
    (void)sql.Exec("INSERT INTO t VALUES (1)");  // duplicate, ignored on purpose
    return Ok();
  });
  REQUIRE_FALSE(swallowed);
  CHECK(Scalar(sql, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1");
  CHECK(sql.Idle());
}

TEST_CASE("InTransaction sends BEGIN with the first statement, and nothing for no statement",
          "[pg]") {
  TestDatabase db;
  auto& sql = db.sql();
  REQUIRE(sql.Exec("CREATE TABLE t (id int PRIMARY KEY)"));
  const std::string backend = Scalar(sql, "SELECT pg_backend_pid()");
  // Work without statements: no transaction at all.
  REQUIRE(pg::InTransaction(sql, [] { return Ok(); }));
  CHECK(sql.Idle());
  // The first statement runs inside the transaction BEGIN opened with it.
  REQUIRE(pg::InTransaction(sql, [&]() -> Status {
    CHECK_FALSE(sql.Idle());
    auto r = sql.Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        " AND state = 'active' AND xact_start IS NOT NULL");
    if (!r) return tl::unexpected(r.error());
    CHECK(r->Int(0, 0) == 1);
    CHECK_FALSE(sql.Idle());
    return Ok();
  }));
  CHECK(sql.Idle());
  // A first statement that fails: its own error, rolled back, the connection usable.
  REQUIRE(sql.Exec("INSERT INTO t VALUES (1)"));
  auto dup = pg::InTransaction(sql, [&]() -> Status {
    auto r = sql.Exec("INSERT INTO t VALUES ($1)", {1});
    if (!r) return tl::unexpected(r.error());
    return Ok();
  });
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  CHECK(sql.Idle());
  // A first statement that succeeds, then the work fails: rolled back.
  auto refused = pg::InTransaction(sql, [&]() -> Status {
    REQUIRE(sql.Exec("INSERT INTO t VALUES ($1)", {2}));
    return MakeError(ErrorCode::kAborted, "no");
  });
  REQUIRE_FALSE(refused);
  CHECK(Scalar(sql, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1");
  // A script (migrations) as the first statement gets its BEGIN too.
  REQUIRE_FALSE(pg::InTransaction(sql, [&]() -> Status {
    REQUIRE(sql.ExecScript("INSERT INTO t VALUES (5); INSERT INTO t VALUES (6);"));
    return MakeError(ErrorCode::kAborted, "no");
  }));
  CHECK(Scalar(sql, "SELECT count(*) FROM t") == "1");
  CHECK(Scalar(sql, "SELECT pg_backend_pid()") == backend);  // one connection throughout
}

TEST_CASE("The pool replaces a connection the server killed", "[pg]") {
  TestDatabase db;
  auto pool = db.MakePool(1);
  std::string first_pid;
  {
    auto lease = pool->Acquire();
    REQUIRE(lease);
    first_pid = (*lease)->Exec("SELECT pg_backend_pid()").value().Text(0, 0);
  }
  REQUIRE(Scalar(db.sql(), "SELECT pg_terminate_backend(" + first_pid + ")") == "t");
  // pg_terminate_backend only signals: wait (with a deadline) until it is gone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Scalar(db.sql(), "SELECT count(*) FROM pg_stat_activity WHERE pid = " + first_pid) !=
         "0") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  // The dead connection is noticed before it is handed out...
  // ...and the borrower gets a new, working connection.
  auto lease = pool->Acquire();
  REQUIRE(lease);
  auto pid = (*lease)->Exec("SELECT pg_backend_pid()");
  REQUIRE(pid);
  CHECK(pid->Text(0, 0) != first_pid);
  CHECK(pool->Stats().discarded_total == 1);
}

TEST_CASE("A connection left inside a transaction is not handed out again", "[pg]") {
  TestDatabase db;
  auto pool = db.MakePool(1);
  {
    auto lease = pool->Acquire();
    REQUIRE(lease);
    REQUIRE((*lease)->Exec("BEGIN"));
  }
  auto lease = pool->Acquire();
  REQUIRE(lease);
  CHECK((*lease)->Idle());
  CHECK(pool->Stats().discarded_total == 1);
}

TEST_CASE("An exhausted pool answers UNAVAILABLE after its acquire timeout", "[pg]") {
  TestDatabase db;
  pg::PoolOptions options;
  options.connect.url = db.url();
  options.max_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(200);
  auto pool = pg::Pool::Create(options).value();
  auto held = pool->Acquire();
  REQUIRE(held);
  const auto start = std::chrono::steady_clock::now();
  auto second = pool->Acquire();
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::kUnavailable);
  CHECK(waited >= std::chrono::milliseconds(150));
  CHECK(waited < std::chrono::seconds(3));
  CHECK(pool->Stats().waits_total == 1);
}

TEST_CASE("A server that refuses or never answers is UNAVAILABLE within the timeout", "[pg]") {
  pg::ConnectOptions options;
  options.connect_timeout = std::chrono::milliseconds(500);
  options.url =
      "postgresql://giia:pw@127.0.0.1:" + std::to_string(giia::testing::ClosedPort()) + "/giia";
  auto refused = pg::Connection::Open(options);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(refused.error().message, Catch::Contains("127.0.0.1:"));

  // The TCP handshake completes; the PostgreSQL one never does.
  giia::testing::TcpListener silent;
  options.url = "postgresql://giia:pw@127.0.0.1:" + std::to_string(silent.port()) + "/giia";
  const auto start = std::chrono::steady_clock::now();
  auto hung = pg::Connection::Open(options);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(hung);
  CHECK(hung.error().code == ErrorCode::kUnavailable);
  CHECK(took >= std::chrono::milliseconds(450));
  CHECK(took < std::chrono::seconds(3));
}

TEST_CASE("A statement over the statement timeout is DEADLINE_EXCEEDED", "[pg]") {
  TestDatabase db;
  pg::ConnectOptions options;
  options.url = db.url();
  options.statement_timeout = std::chrono::milliseconds(100);
  auto conn = pg::Connection::Open(options).value();
  auto slow = conn->Exec("SELECT pg_sleep(5)");
  REQUIRE_FALSE(slow);
  CHECK(slow.error().code == ErrorCode::kDeadlineExceeded);
}

TEST_CASE("The PostgreSQL auth store keeps the AuthTransactionRunner contract", "[pg][auth]") {
  TestDatabase db;
  auto pool = db.MakePool();
  // The auth schema comes from the embedded migrations.
  auto migrations = pg::EmbeddedMigrations();
  REQUIRE(migrations);
  for (const auto& m : migrate::ForService(*migrations, "auth")) {
    REQUIRE(db.sql().ExecScript(m.up_sql));
  }
  pg::PgAuthStore store(*pool);
  giia::testing::CheckAuthStoreContract(store);
}

TEST_CASE("A connection past its lifetime is replaced", "[pg]") {
  TestDatabase db;
  auto pids = [&](std::chrono::milliseconds lifetime) {
    pg::PoolOptions options;
    options.connect.url = db.url();
    options.max_size = 1;
    options.max_lifetime = lifetime;
    auto pool = pg::Pool::Create(options).value();
    std::vector<std::string> out;
    for (int i = 0; i < 2; ++i) {
      auto lease = pool->Acquire();
      REQUIRE(lease);
      out.push_back((*lease)->Exec("SELECT pg_backend_pid()").value().Text(0, 0));
    }
    return std::make_pair(out, pool->Stats());
  };
  auto [young, young_stats] = pids(std::chrono::hours(1));
  CHECK(young[0] == young[1]);  // reused while young
  CHECK(young_stats.opened_total == 1);
  auto [old, old_stats] = pids(std::chrono::milliseconds(0));
  CHECK(old[0] != old[1]);  // expired at once: the next borrower gets a new one
  CHECK(old_stats.opened_total == 2);
  CHECK(old_stats.discarded_total == 1);
}

TEST_CASE("Exec prepares a statement once per connection and reuses it", "[pg]") {
  TestDatabase db;
  auto& sql = db.sql();
  const std::size_t before = sql.prepared_count();
  const char* text = "SELECT $1::int * 2 AS doubled";
  for (int i = 1; i <= 3; ++i) {
    auto r = sql.Exec(text, {i});
    REQUIRE(r);
    CHECK(r->Int(0, 0) == 2 * i);
  }
  CHECK(sql.prepared_count() == before + 1);
  // The server holds it under one name, parsed once.
  auto held = sql.Exec("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", {text});
  REQUIRE(held);
  CHECK(held->Int(0, 0) == 1);
  // A rolled-back transaction does not take it away.
  REQUIRE_FALSE(pg::InTransaction(sql, [&]() -> Status {
    REQUIRE(sql.Exec(text, {5}));
    return MakeError(ErrorCode::kAborted, "rolled back on purpose");
  }));
  auto after = sql.Exec(text, {6});
  REQUIRE(after);
  CHECK(after->Int(0, 0) == 12);
  // Text built per call is never prepared.
  const std::size_t prepared = sql.prepared_count();
  REQUIRE(sql.ExecOnce("SELECT $1::int + 7", {1}));
  CHECK(sql.prepared_count() == prepared);
}

TEST_CASE("Past its cap of prepared statements a connection runs new texts unprepared", "[pg]") {
  TestDatabase db;
  auto& sql = db.sql();
  for (std::size_t i = 0; i < pg::Connection::kMaxPrepared + 10; ++i) {
    auto r = sql.Exec("SELECT $1::int + " + std::to_string(i), {1});
    REQUIRE(r);
    CHECK(r->Int(0, 0) == static_cast<std::int64_t>(i) + 1);
  }
  CHECK(sql.prepared_count() == pg::Connection::kMaxPrepared);
}

TEST_CASE("A prepared statement whose table changed shape is prepared again", "[pg]") {
  TestDatabase db;
  auto pool = db.MakePool(1);  // one connection: the one holding the stale plan
  auto& admin = db.sql();
  REQUIRE(admin.Exec("CREATE TABLE t (a int)"));
  REQUIRE(admin.Exec("INSERT INTO t VALUES (1)"));
  const char* select_all = "SELECT * FROM t WHERE a = $1";
  // Prepares select_all with the table's columns of now.
  auto prepare_now = [&] {
    auto lease = pool->Acquire();
    REQUIRE(lease);
    REQUIRE((*lease)->Exec(select_all, {1}));
  };

  prepare_now();
  REQUIRE(admin.Exec("ALTER TABLE t ADD COLUMN b int DEFAULT 2"));
  {
    // Outside a transaction: run again at once.
    auto lease = pool->Acquire();
    REQUIRE(lease);
    auto rows = (*lease)->Exec(select_all, {1});
    REQUIRE(rows);
    CHECK(rows->Text(0, 1) == "2");
  }

  prepare_now();
  REQUIRE(admin.Exec("ALTER TABLE t ADD COLUMN c int DEFAULT 3"));
  {
    // Inside a transaction: kAborted, so the transaction can run again...
    auto lease = pool->Acquire();
    REQUIRE(lease);
    pg::Connection& conn = **lease;
    auto failed = pg::InTransaction(conn, [&]() -> Status {
      if (auto r = conn.Exec(select_all, {1}); !r) return tl::unexpected(r.error());
      return Ok();
    });
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ErrorCode::kAborted);
  }

  prepare_now();
  REQUIRE(admin.Exec("ALTER TABLE t ADD COLUMN d int DEFAULT 4"));
  // ...which RunRetriedTransaction does.
  int attempts = 0;
  std::string d;
  REQUIRE(pg::RunRetriedTransaction(*pool, [&](pg::Connection& conn) -> Status {
    ++attempts;
    auto r = conn.Exec(select_all, {1});
    if (!r) return tl::unexpected(r.error());
    d = r->Text(0, 3);
    return Ok();
  }));
  CHECK(attempts == 2);
  CHECK(d == "4");
}

TEST_CASE("With prepare_statements off, Exec never prepares (PgBouncer before 1.21)", "[pg]") {
  TestDatabase db;
  pg::ConnectOptions options;
  options.url = db.url();
  options.prepare_statements = false;
  auto conn = pg::Connection::Open(options);
  REQUIRE(conn);
  for (int i = 0; i < 3; ++i) REQUIRE((*conn)->Exec("SELECT $1::int", {i}));
  CHECK((*conn)->prepared_count() == 0);
  auto held = (*conn)->Exec("SELECT count(*) FROM pg_prepared_statements");
  REQUIRE(held);
  CHECK(held->Int(0, 0) == 0);
}

TEST_CASE("DescribeServer names every host of a multi-host URL with its port", "[pg]") {
  CHECK(pg::DescribeServer("postgresql://u:secret@10.0.0.1:5433/giia") == "10.0.0.1:5433");
  CHECK(pg::DescribeServer("postgresql://u:secret@db/giia") == "db:5432");
  CHECK(pg::DescribeServer("postgresql://u:secret@10.0.0.1:5432,10.0.0.2:5433/giia?"
                           "target_session_attrs=read-write") == "10.0.0.1:5432,10.0.0.2:5433");
  // One port applies to every host.
  CHECK(pg::DescribeServer("host=a,b port=6432 password=secret") == "a:6432,b:6432");
  CHECK(pg::DescribeServer("postgresql://u:secret@a:1,b:2/giia").find("secret") ==
        std::string::npos);
}

TEST_CASE("A connection to no reachable host names each host it tried", "[pg]") {
  const int first = giia::testing::ClosedPort();
  const int second = giia::testing::ClosedPort();
  pg::ConnectOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.url = "postgresql://giia:secret@127.0.0.1:" + std::to_string(first) +
                ",127.0.0.1:" + std::to_string(second) + "/giia?target_session_attrs=read-write";
  auto refused = pg::Connection::Open(options);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kUnavailable);
  INFO(refused.error().message);
  CHECK_THAT(refused.error().message, Catch::Contains("127.0.0.1:" + std::to_string(first) +
                                                      ",127.0.0.1:" + std::to_string(second)));
  // libpq's sentence for each host, not only the first one's.
  CHECK_THAT(refused.error().message, Catch::Contains("port " + std::to_string(second)));
  CHECK(refused.error().message.find("secret") == std::string::npos);
}

TEST_CASE("A write on a read-only server is UNAVAILABLE and its connection is not reused", "[pg]") {
  TestDatabase db;
  REQUIRE(db.sql().Exec("CREATE TABLE t (id int PRIMARY KEY)"));
  auto pool = db.MakePool(1);
  {
    auto lease = pool->Acquire();
    REQUIRE(lease);
    // As on a standby, or a demoted primary a session still reaches.
    REQUIRE((*lease)->Exec("SET default_transaction_read_only = on"));
    auto written = pg::InTransaction(**lease, [&]() -> Status {
      if (auto r = (*lease)->Exec("INSERT INTO t VALUES (1)"); !r) return tl::unexpected(r.error());
      return Ok();
    });
    REQUIRE_FALSE(written);
    CHECK(written.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(written.error().message, Catch::Contains("25006"));
    CHECK_FALSE((*lease)->Healthy());
  }
  CHECK(pool->Stats().discarded_total == 1);
  // The next borrower gets a new session, which can write.
  auto lease = pool->Acquire();
  REQUIRE(lease);
  CHECK((*lease)->Exec("INSERT INTO t VALUES (1)"));
}
