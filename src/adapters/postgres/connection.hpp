#pragma once
// One PostgreSQL connection (libpq), behind giia types only: including this
// header does not bring libpq-fe.h along. Parameterised statements only;
// ExecScript exists for the embedded migration files and nothing else.
//
// Statements are prepared once per connection: Exec parses and plans a text
// the first time this connection runs it and reuses the plan afterwards, as
// `pgbench -M prepared` does (parsing and planning were half of PostgreSQL's
// CPU for our short statements). Text built per call (a batch whose length
// varies) goes through ExecOnce instead, so it does not fill the cache.
// Behind PgBouncer, this needs session pooling or PgBouncer >= 1.21 with
// max_prepared_statements set (protocol-level prepared statements); else
// ConnectOptions::prepare_statements = false (DATABASE_PREPARED_STATEMENTS).
//
// Behind a pooler in transaction mode (ConnectOptions::transaction_pooling)
// a connection is a server session only for the length of a transaction, so
// nothing is set per session: the statement timeout is set with SET LOCAL
// in every transaction, in the round trip of its BEGIN, and a statement run
// outside a transaction runs as a transaction of its own (BEGIN, SET LOCAL,
// the statement, COMMIT: one round trip). Such a statement therefore cannot
// be one that refuses a transaction block (CREATE DATABASE, VACUUM, CREATE
// INDEX CONCURRENTLY), nor BEGIN/COMMIT itself: use InTransaction.
//
// Thread-safety: a Connection is used by one thread at a time (the pool
// hands each one to a single borrower).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

struct pg_result;  // libpq's PGresult, named here without including libpq-fe.h

namespace giia::pg {

struct ConnectOptions {
  std::string url;  // postgres:// or postgresql:// URL, or a key=value conninfo
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};  // 0: no limit
  std::string application_name = "giia";
  // False: Exec never prepares (PgBouncer before 1.21 in transaction pooling
  // cannot route a prepared statement to the server connection that has it).
  bool prepare_statements = true;
  // True behind a pooler in transaction mode (DATABASE_POOL_MODE=transaction):
  // no `options` startup parameter (PgBouncer refuses it), the statement
  // timeout set in each transaction instead (see above). With
  // statement_timeout 0 nothing is added at all. False: the timeout travels
  // in the startup packet and no statement is added.
  bool transaction_pooling = false;
};

// Checks that `url` parses as libpq connection info. Errors: kInvalidArgument
// (field empty: the caller names the key) saying what is wrong, with any
// password removed.
[[nodiscard]] Status ValidateUrl(const std::string& url);

// "host:port" of `url`, for messages ("127.0.0.1:5432"); with several hosts
// each with its port ("10.0.0.1:5432,10.0.0.2:5432"); never the password.
std::string DescribeServer(const std::string& url);

// A statement parameter in text form; nullopt is SQL NULL.
class Param {
 public:
  Param(std::nullopt_t) {}                               // NOLINT(google-explicit-constructor)
  Param(std::string_view v) : value_(std::string(v)) {}  // NOLINT
  Param(const char* v) : value_(std::string(v)) {}       // NOLINT
  Param(const std::string& v) : value_(v) {}             // NOLINT
  Param(std::int64_t v) : value_(std::to_string(v)) {}   // NOLINT
  Param(int v) : value_(std::to_string(v)) {}            // NOLINT
  Param(bool v) : value_(v ? "true" : "false") {}        // NOLINT
  const std::optional<std::string>& value() const { return value_; }

 private:
  std::optional<std::string> value_;
};

// The rows of a result, copied out of libpq (text format).
class Rows {
 public:
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  // REQUIRES: row < size(), col < the column count.
  const std::string& Text(std::size_t row, std::size_t col) const { return *rows_[row][col]; }
  bool IsNull(std::size_t row, std::size_t col) const { return !rows_[row][col].has_value(); }
  std::int64_t Int(std::size_t row, std::size_t col) const;
  bool Bool(std::size_t row, std::size_t col) const { return Text(row, col) == "t"; }
  std::int64_t affected = 0;  // rows an INSERT/UPDATE/DELETE touched

 private:
  friend class Connection;
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

// Where a statement started asynchronously (Connection::Start) stands in a
// transaction its caller drives.
struct StatementPart {
  bool begin = false;           // BEGIN is sent before it, in the same round trip
  bool commit = false;          // COMMIT is sent after it, in the same round trip
  bool in_transaction = false;  // a transaction is open already
};

class Connection {
 public:
  // Connects within options.connect_timeout (the whole handshake, not only
  // the TCP connect), with the statement timeout in the startup packet
  // (session mode) or set in each transaction (transaction_pooling).
  // Errors: kUnavailable naming host:port when the server cannot be reached,
  // refuses, or does not answer in time; kInvalidArgument for a malformed URL.
  [[nodiscard]] static Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with $1..$n bound to `params`, prepared on first use
  // (at most kMaxPrepared texts per connection; later ones run unprepared).
  // Errors: SQLSTATE mapped to ErrorCode (see errors in connection.cpp). A
  // prepared plan that a schema change made unusable is prepared again and
  // run once more outside a transaction; inside one it fails with kAborted,
  // which RunRetriedTransaction retries. With transaction_pooling, a
  // statement outside a transaction runs in one of its own; when it fails,
  // that transaction is rolled back and the connection is idle again.
  [[nodiscard]] Result<Rows> Exec(std::string_view sql, const std::vector<Param>& params = {});
  // As Exec, never prepared: for text that differs from call to call.
  [[nodiscard]] Result<Rows> ExecOnce(std::string_view sql, const std::vector<Param>& params = {});
  static constexpr std::size_t kMaxPrepared = 256;
  // Statements this connection has prepared.
  std::size_t prepared_count() const;

  // Runs trusted, fixed SQL text holding several statements (migration
  // files). Never pass text that contains input. Errors as Exec; the message
  // names the line of the failing statement. With transaction_pooling and
  // no transaction open, the script runs between BEGIN (and SET LOCAL) and
  // COMMIT, sent as one text with it.
  [[nodiscard]] Status ExecScript(std::string_view sql);

  // False once the connection is broken, or once a statement failed with
  // kUnavailable (the server is read-only or going away: a failover); such a
  // connection is discarded.
  bool Healthy() const;
  // Healthy(), and the server has not closed or terminated the connection
  // while it sat idle (checked without a round trip). Pools call it before
  // handing a connection out.
  bool CheckAlive();
  // Opens a transaction with the next statement: BEGIN travels in one
  // round trip with it (libpq pipeline mode). Until then Idle() is false.
  void BeginWithNextStatement();
  // True while BeginWithNextStatement's BEGIN has not been sent.
  bool BeginPending() const;
  // Drops a BEGIN not yet sent (the transaction ran no statement).
  void CancelPendingBegin();

  // True when no transaction is open (nor pending).
  bool Idle() const;
  // True inside a transaction that a failed statement aborted.
  bool InFailedTransaction() const;
  std::chrono::steady_clock::time_point opened_at() const { return opened_at_; }

  // --- Asynchronous use, by one reactor thread (AsyncPool): one statement
  // at a time, never blocking. A connection used this way is not used with
  // the calls above.

  // The socket to wait on.
  int Socket() const;
  // Sends `sql` with `params` (prepared on this connection's first use of
  // the text, in the same round trip: pipeline mode, no wait for the
  // prepare) and returns at once. No statement timeout is added with
  // transaction_pooling: the caller's deadline, enforced by cancelling,
  // stands for it. With `part`, the statement opens (begin), continues
  // (in_transaction) or ends (commit) a transaction; its answer is then an
  // error when BEGIN or COMMIT failed (a failed statement skips the COMMIT,
  // and leaves the transaction open and aborted: the caller rolls it back).
  // REQUIRES: Idle(), nothing in flight.
  // Errors: kUnavailable when it cannot be sent (the connection broke).
  [[nodiscard]] Status Start(std::string_view sql, const std::vector<Param>& params,
                             StatementPart part = {});
  // Goes on with the statement started once the socket is ready: sends what
  // is left, reads what arrived. nullopt: not done yet (WantsWrite() says
  // whether to wait for writability too). Else the answer, as Exec's.
  [[nodiscard]] std::optional<Result<Rows>> Continue();
  // True while part of the statement is still to be sent.
  bool WantsWrite() const;
  // Asks the server to cancel what this connection runs now. Blocks for a
  // connection to the server (short on a LAN): call it off the reactor.
  // Thread-safe; usable while another thread drives the connection.
  std::function<void()> Canceller() const;

 private:
  struct Handle;
  explicit Connection(std::unique_ptr<Handle> handle);
  Result<Rows> Run(std::string_view sql, const std::vector<Param>& params, bool prepare);
  static Rows RowsOf(const pg_result* r);  // copies a result's rows out of libpq
  // Sends in_flight's statement (the prepare first, when it needs one).
  Status SendInFlight();
  // The answer of in_flight's results, once its sync arrived; nullopt when
  // it was sent again (a plan a schema change invalidated).
  std::optional<Result<Rows>> Conclude();
  // Sends a pending BEGIN on its own (with its SET LOCAL).
  Status SendPendingBegin();
  // True when a statement now would run outside a transaction and must be
  // wrapped in one of its own (transaction_pooling with a timeout).
  bool WrapsAutocommit() const;
  // Ends a transaction a failed wrapped statement left open.
  void RollBackWrapped();
  std::unique_ptr<Handle> handle_;
  std::chrono::steady_clock::time_point opened_at_;
};

// Runs `work` between BEGIN and COMMIT; ROLLBACK when it fails (and returns
// its error). BEGIN is sent with work's first statement; work that runs no
// statement sends nothing. REQUIRES: `conn` is idle.
[[nodiscard]] Status InTransaction(Connection& conn, const std::function<Status()>& work);

}  // namespace giia::pg
