#include "adapters/postgres/connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <span>
#include <unordered_map>

#include "core/common/redact.hpp"

namespace giia::pg {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// libpq messages run over several lines ("...failed: Connection refused\n\tIs
// the server running..."): the lines that start with a tab are hints, the
// others the sentences that matter. With several hosts there is one sentence
// per host tried ("connection to server at \"10.0.0.1\", port 5432 failed:
// ...", then the next host's): all are kept, joined by "; ".
std::string Trim(const std::string& s) {
  std::string out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '\t') continue;
    while (!line.empty() && (line.back() == ' ' || line.back() == '.')) line.pop_back();
    if (!line.empty()) out += (out.empty() ? "" : "; ") + line;
  }
  return out;
}

std::string Field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v != nullptr ? v : "";
}

// SQLSTATE -> ErrorCode. The message is built from what we know (the
// SQLSTATE and the server's primary message); the DETAIL line is left out
// because it prints key values, which are user data.
Error MapSqlState(const std::string& state, const std::string& primary,
                  const std::string& constraint) {
  const std::string text = primary + " (SQLSTATE " + state + ")";
  auto starts = [&](const char* prefix) { return state.rfind(prefix, 0) == 0; };
  if (state == "23505") return {ErrorCode::kAlreadyExists, text, "", constraint};
  if (state == "23503") return {ErrorCode::kFailedPrecondition, text, "", constraint};
  if (state == "23514" || state == "23502" || starts("22")) {
    return {ErrorCode::kInvalidArgument, text, "", constraint};
  }
  if (state == "40001" || state == "40P01") return {ErrorCode::kAborted, text, ""};
  if (state == "57014") return {ErrorCode::kDeadlineExceeded, text, ""};
  // The server is going away or cannot serve this session now: connection
  // exceptions (08), insufficient resources (53), admin/crash shutdown and
  // "cannot connect now" (57P01-57P03, as in a failover), and a write on a
  // read-only server (25006: the session landed on a standby or a demoted
  // primary). The connection is discarded (Connection::Healthy).
  if (starts("08") || starts("53") || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "25006") {
    return {ErrorCode::kUnavailable, text, ""};
  }
  // Undefined table, column or schema: the database is behind this binary.
  if (state == "42P01" || state == "42703" || state == "3F000") {
    return {ErrorCode::kFailedPrecondition,
            text + "; the database schema is behind this giia: run `giia migrate up`", ""};
  }
  return {ErrorCode::kInternal, text, ""};
}

}  // namespace

// Looks a statement up by its text without copying it into a std::string.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The asynchronous statement in flight on a connection.
struct AsyncStatement {
  std::string sql;
  std::vector<Param> params;
  std::string preparing;  // the name it is being prepared under, if it is
  bool uses_prepared = false;
  bool replanned = false;  // already sent again after "cached plan must not change"
  StatementPart part;
  std::vector<ResultPtr> results;
};

struct Connection::Handle {
  PGconn* conn = nullptr;
  std::string server;  // host:port, for messages
  // Statement text -> the name it was prepared under on this connection.
  // Prepared statements outlive transactions, rolled back or not.
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> prepared;
  std::uint64_t statements = 0;  // names handed out, for the next one
  bool prepare = true;           // ConnectOptions::prepare_statements
  bool begin_pending = false;    // BeginWithNextStatement
  // A statement failed with kUnavailable (a read-only or departing server):
  // the session must not be reused even if libpq still calls it open.
  bool unusable = false;
  // transaction_pooling with a timeout: "SET LOCAL statement_timeout = <ms>",
  // sent after every BEGIN. Empty otherwise (nothing is added).
  std::string set_timeout;
  std::optional<AsyncStatement> in_flight;  // Start .. Continue's answer
  bool wants_write = false;
  bool nonblocking = false;
  ~Handle() {
    if (conn != nullptr) PQfinish(conn);
  }
};

Status ValidateUrl(const std::string& url) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> opts(PQconninfoParse(url.c_str(), &err));
  if (opts == nullptr) {
    std::string why = err != nullptr ? Trim(err) : "not a PostgreSQL URL";
    PQfreemem(err);
    return InvalidArgument("", "is not a valid PostgreSQL URL: " + RedactCredentials(why));
  }
  // libpq checks the port only when it connects; a typo there is a usage
  // error, not an unreachable server.
  for (PQconninfoOption* o = opts.get(); o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "port") != 0 || o->val == nullptr) continue;
    const std::string port = o->val;
    const bool numeric =
        !port.empty() && port.find_first_not_of("0123456789,") == std::string::npos;
    if (!numeric) {
      return InvalidArgument(
          "", "is not a valid PostgreSQL URL: port \"" + port + "\" is not a number");
    }
  }
  return Ok();
}

namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

std::string DescribeServer(const std::string& url) {
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> opts(PQconninfoParse(url.c_str(), nullptr));
  std::string host, hostaddr, port;
  for (PQconninfoOption* o = opts.get(); o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "hostaddr") == 0) hostaddr = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
  }
  // Several hosts (a primary and its standbys) come as comma lists; one
  // port applies to every host. "h1:p1,h2:p2".
  const std::vector<std::string> hosts = SplitCommas(!hostaddr.empty() ? hostaddr : host);
  const std::vector<std::string> ports = SplitCommas(port);
  std::string out;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    std::string p = ports.size() == hosts.size() ? ports[i] : ports[0];
    if (!out.empty()) out += ",";
    out += (hosts[i].empty() ? "localhost" : hosts[i]) + ":" + (p.empty() ? "5432" : p);
  }
  return out;
}

std::int64_t Rows::Int(std::size_t row, std::size_t col) const {
  return std::strtoll(Text(row, col).c_str(), nullptr, 10);
}

Connection::Connection(std::unique_ptr<Handle> handle)
    : handle_(std::move(handle)), opened_at_(std::chrono::steady_clock::now()) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  if (auto ok = ValidateUrl(options.url); !ok) return tl::unexpected(ok.error());
  auto handle = std::make_unique<Handle>();
  handle->server = DescribeServer(options.url);
  handle->prepare = options.prepare_statements;
  const std::string statement_timeout =
      "-c statement_timeout=" + std::to_string(options.statement_timeout.count());
  if (options.transaction_pooling && options.statement_timeout.count() > 0) {
    handle->set_timeout =
        "SET LOCAL statement_timeout = " + std::to_string(options.statement_timeout.count());
  }
  // Explicit keywords after the URL override what it says; expand_dbname=1
  // makes libpq read the first value as a full URL or conninfo string. A
  // pooler in transaction mode refuses `options` (PgBouncer: "unsupported
  // startup parameter"); application_name and client_encoding it passes on.
  const char* keys[] = {"dbname", "application_name", "options", "client_encoding", nullptr};
  const char* values[] = {options.url.c_str(), options.application_name.c_str(),
                          statement_timeout.c_str(), "UTF8", nullptr};
  if (options.transaction_pooling) {  // drop "options"
    keys[2] = keys[3];
    values[2] = values[3];
    keys[3] = values[3] = nullptr;
  }
  handle->conn = PQconnectStartParams(keys, values, 1);
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  auto unavailable = [&](const std::string& why) {
    return MakeError(ErrorCode::kUnavailable, "cannot connect to PostgreSQL at " + handle->server +
                                                  ": " + RedactCredentials(why));
  };
  if (handle->conn == nullptr) return unavailable("out of memory");
  if (PQstatus(handle->conn) == CONNECTION_BAD) {
    return unavailable(Trim(PQerrorMessage(handle->conn)));
  }
  // Drive the non-blocking handshake ourselves, so the deadline covers DNS-free
  // connect, TLS and authentication with millisecond precision (libpq's own
  // connect_timeout rounds to whole seconds and restarts per host).
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (poll_status != PGRES_POLLING_OK) {
    if (poll_status == PGRES_POLLING_FAILED) {
      std::string why = Trim(PQerrorMessage(handle->conn));
      if (!options.transaction_pooling &&
          why.find("unsupported startup parameter") != std::string::npos) {
        why += " (a pooler in transaction mode: set DATABASE_POOL_MODE=transaction)";
      }
      return unavailable(why);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return unavailable("no answer within " + std::to_string(options.connect_timeout.count()) +
                         " ms");
    }
    pollfd pfd{};
    pfd.fd = PQsocket(handle->conn);
    pfd.events = poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return unavailable(std::strerror(errno));
    if (ready > 0) poll_status = PQconnectPoll(handle->conn);
  }
  // libpq prints NOTICEs ("relation already exists, skipping") to stderr by
  // default; they are chatter, not errors, and must not reach operators' terminals.
  PQsetNoticeProcessor(
      handle->conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(std::move(handle)));
}

namespace {

Error ErrorFrom(PGconn* conn, const PGresult* r, const std::string& server) {
  if (PQstatus(conn) == CONNECTION_BAD) {
    return {ErrorCode::kUnavailable,
            "lost the connection to PostgreSQL at " + server + ": " + Trim(PQerrorMessage(conn)),
            ""};
  }
  const std::string state = r != nullptr ? Field(r, PG_DIAG_SQLSTATE) : "";
  const std::string primary =
      r != nullptr ? Field(r, PG_DIAG_MESSAGE_PRIMARY) : Trim(PQerrorMessage(conn));
  if (state.empty())
    return {ErrorCode::kUnavailable, "PostgreSQL at " + server + ": " + primary, ""};
  return MapSqlState(state, primary, r != nullptr ? Field(r, PG_DIAG_CONSTRAINT_NAME) : "");
}

// Sends the `head` statements (BEGIN, and SET LOCAL statement_timeout with
// transaction pooling), the statement `send` queues, and `tail` (COMMIT, or
// null for none) in one pipeline, and returns the statement's result, failed
// or not (the caller reads its SQLSTATE). Errors: the result that says why a
// head or tail statement failed (the statement succeeded), null when the
// connection broke. The connection leaves pipeline mode before returning,
// with every result read.
tl::expected<ResultPtr, ResultPtr> Pipeline(PGconn* conn, std::span<const char* const> head,
                                            const std::function<int()>& send, const char* tail) {
  if (PQenterPipelineMode(conn) != 1) return tl::unexpected(ResultPtr());
  auto plain = [conn](const char* sql) {
    return PQsendQueryParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  };
  bool sent = std::all_of(head.begin(), head.end(), plain) && send() == 1 &&
              (tail == nullptr || plain(tail)) && PQpipelineSync(conn) == 1;
  std::vector<ResultPtr> results;
  // Results arrive in order, each query's followed by a null (a query after
  // a failed one: PIPELINE_ABORTED), then the sync. More nulls in a row than
  // that means the connection broke.
  for (int nulls = 0; sent && nulls < 3;) {
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) {
      ++nulls;
      continue;
    }
    nulls = 0;
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    results.emplace_back(r);
  }
  if (PQexitPipelineMode(conn) != 1 || !sent) return tl::unexpected(ResultPtr());
  for (std::size_t i = 0; i < head.size() && i < results.size(); ++i) {
    if (PQresultStatus(results[i].get()) != PGRES_COMMAND_OK) {
      return tl::unexpected(std::move(results[i]));
    }
  }
  if (results.size() <= head.size()) return tl::unexpected(ResultPtr());
  ResultPtr statement = std::move(results[head.size()]);
  const ExecStatusType status = PQresultStatus(statement.get());
  if (tail != nullptr && (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)) {
    if (results.size() <= head.size() + 1) return tl::unexpected(ResultPtr());
    ResultPtr& ended = results[head.size() + 1];
    if (PQresultStatus(ended.get()) != PGRES_COMMAND_OK) return tl::unexpected(std::move(ended));
  }
  return statement;
}

}  // namespace

Result<Rows> Connection::Exec(std::string_view sql, const std::vector<Param>& params) {
  auto rows = Run(sql, params, /*prepare=*/true);
  if (!rows && rows.error().code == ErrorCode::kUnavailable) handle_->unusable = true;
  return rows;
}

Result<Rows> Connection::ExecOnce(std::string_view sql, const std::vector<Param>& params) {
  auto rows = Run(sql, params, /*prepare=*/false);
  if (!rows && rows.error().code == ErrorCode::kUnavailable) handle_->unusable = true;
  return rows;
}

std::size_t Connection::prepared_count() const { return handle_->prepared.size(); }

Result<Rows> Connection::Run(std::string_view sql, const std::vector<Param>& params, bool prepare) {
  PGconn* conn = handle_->conn;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p.value() ? p.value()->c_str() : nullptr);
  const int count = static_cast<int>(values.size());

  // Decided before anything is sent: outside a transaction, with the
  // statement timeout to set in each one.
  const bool wrapped = WrapsAutocommit();
  auto& prepared = handle_->prepared;
  auto statement = prepared.end();
  if (prepare && handle_->prepare) {
    statement = prepared.find(sql);
    if (statement == prepared.end() && prepared.size() < kMaxPrepared) {
      // A text prepared inside a transaction, as before pipelining: a
      // statement that cannot be prepared aborts the transaction.
      if (auto begun = SendPendingBegin(); !begun) return tl::unexpected(begun.error());
      std::string name = "giia_" + std::to_string(++handle_->statements);
      const std::string text(sql);
      ResultPtr parsed(PQprepare(conn, name.c_str(), text.c_str(), count, nullptr));
      if (!parsed || PQresultStatus(parsed.get()) != PGRES_COMMAND_OK) {
        return tl::unexpected(ErrorFrom(conn, parsed.get(), handle_->server));
      }
      statement = prepared.emplace(text, std::move(name)).first;
    }
  }
  ResultPtr r;
  if (handle_->begin_pending || wrapped) {
    handle_->begin_pending = false;
    const char* head[] = {"BEGIN", handle_->set_timeout.c_str()};
    const std::size_t head_size = handle_->set_timeout.empty() ? 1 : 2;
    auto piped = Pipeline(
        conn, std::span(head, head_size),
        [&] {
          return statement != prepared.end()
                     ? PQsendQueryPrepared(conn, statement->second.c_str(), count, values.data(),
                                           nullptr, nullptr, 0)
                     : PQsendQueryParams(conn, std::string(sql).c_str(), count, nullptr,
                                         values.data(), nullptr, nullptr, 0);
        },
        wrapped ? "COMMIT" : nullptr);
    if (!piped) {
      Error error = ErrorFrom(conn, piped.error().get(), handle_->server);
      if (wrapped) RollBackWrapped();
      return tl::unexpected(std::move(error));
    }
    r = std::move(*piped);
  } else {
    r.reset(statement != prepared.end()
                ? PQexecPrepared(conn, statement->second.c_str(), count, values.data(), nullptr,
                                 nullptr, 0)
                : PQexecParams(conn, std::string(sql).c_str(), count, nullptr, values.data(),
                               nullptr, nullptr, 0));
  }
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error error = ErrorFrom(conn, r.get(), handle_->server);
    if (wrapped) RollBackWrapped();
    // A table the statement reads changed shape since it was prepared
    // ("cached plan must not change result type", a migration ran): prepare
    // it anew on next use. Outside a transaction it runs again at once
    // (unprepared: no loop); inside one the failure aborted the transaction,
    // which must run again.
    if (statement != prepared.end() && r && Field(r.get(), PG_DIAG_SQLSTATE) == "0A000") {
      prepared.erase(statement);
      if (Idle()) return Run(sql, params, /*prepare=*/false);
      error.code = ErrorCode::kAborted;
    }
    return tl::unexpected(std::move(error));
  }
  return RowsOf(r.get());
}

Rows Connection::RowsOf(const PGresult* r) {
  Rows rows;
  const int n = PQntuples(r);
  const int cols = PQnfields(r);
  rows.rows_.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& row = rows.rows_[static_cast<std::size_t>(i)];
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(r, i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c))));
      }
    }
  }
  const char* affected = PQcmdTuples(const_cast<PGresult*>(r));
  rows.affected = (affected != nullptr && *affected != '\0') ? std::atoll(affected) : 0;
  return rows;
}

Status Connection::ExecScript(std::string_view sql) {
  const bool wrapped = WrapsAutocommit();
  if (auto begun = SendPendingBegin(); !begun) return begun;
  // Wrapped: one text, one round trip. The script starts on a line of its
  // own and the newline before COMMIT ends a trailing `--` comment.
  const std::string prefix = wrapped ? "BEGIN; " + handle_->set_timeout + ";\n" : "";
  const std::string text = prefix + std::string(sql) + (wrapped ? "\n;COMMIT" : "");
  // PQexec runs every result to completion; only the last one is returned,
  // and on error it is the failing statement's.
  ResultPtr r(PQexec(handle_->conn, text.c_str()));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return Ok();
  }
  Error error = ErrorFrom(handle_->conn, r.get(), handle_->server);
  if (wrapped) RollBackWrapped();
  const std::string position = r ? Field(r.get(), PG_DIAG_STATEMENT_POSITION) : "";
  if (!position.empty()) {
    const auto offset = std::clamp<std::size_t>(std::stoul(position), prefix.size(), text.size());
    const auto line = 1 + std::count(text.begin() + static_cast<long>(prefix.size()),
                                     text.begin() + static_cast<long>(offset), '\n');
    error.message += " at line " + std::to_string(line);
  }
  return tl::unexpected(std::move(error));
}

bool Connection::Healthy() const {
  return !handle_->unusable && PQstatus(handle_->conn) == CONNECTION_OK;
}

bool Connection::CheckAlive() {
  if (!Healthy()) return false;
  // An idle pooled connection has nothing to read. A readable socket means
  // the server spoke first: almost always a termination (FATAL, then EOF).
  // Discarding on any unsolicited data is cheap and never hands out a
  // connection in an unknown state.
  pollfd pfd{};
  pfd.fd = PQsocket(handle_->conn);
  pfd.events = POLLIN;
  return ::poll(&pfd, 1, 0) == 0;
}

bool Connection::Idle() const {
  return !handle_->begin_pending && PQtransactionStatus(handle_->conn) == PQTRANS_IDLE;
}

void Connection::BeginWithNextStatement() { handle_->begin_pending = true; }
bool Connection::BeginPending() const { return handle_->begin_pending; }
void Connection::CancelPendingBegin() { handle_->begin_pending = false; }

Status Connection::SendPendingBegin() {
  if (!handle_->begin_pending) return Ok();
  handle_->begin_pending = false;
  // One round trip either way: PQexec returns the last result, or the error.
  const std::string begin =
      handle_->set_timeout.empty() ? "BEGIN" : "BEGIN; " + handle_->set_timeout;
  ResultPtr r(PQexec(handle_->conn, begin.c_str()));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    // A failed SET leaves an aborted transaction: InTransaction rolls it back.
    return tl::unexpected(ErrorFrom(handle_->conn, r.get(), handle_->server));
  }
  return Ok();
}

bool Connection::WrapsAutocommit() const { return !handle_->set_timeout.empty() && Idle(); }

void Connection::RollBackWrapped() {
  const PGTransactionStatusType state = PQtransactionStatus(handle_->conn);
  if (state != PQTRANS_INERROR && state != PQTRANS_INTRANS) return;
  // Failing too, the connection is broken: the pool discards it (not Idle).
  PQclear(PQexec(handle_->conn, "ROLLBACK"));
}

bool Connection::InFailedTransaction() const {
  return PQtransactionStatus(handle_->conn) == PQTRANS_INERROR;
}

// --- asynchronous use

int Connection::Socket() const { return PQsocket(handle_->conn); }

bool Connection::WantsWrite() const { return handle_->wants_write; }

std::function<void()> Connection::Canceller() const {
  std::shared_ptr<PGcancel> cancel(PQgetCancel(handle_->conn), PQfreeCancel);
  return [cancel] {
    char why[256];
    if (cancel) (void)PQcancel(cancel.get(), why, sizeof why);  // best effort: the deadline stands
  };
}

Status Connection::Start(std::string_view sql, const std::vector<Param>& params,
                         StatementPart part) {
  Handle& h = *handle_;
  if (!h.nonblocking) {
    if (PQsetnonblocking(h.conn, 1) != 0) {
      h.unusable = true;
      return MakeError(ErrorCode::kUnavailable,
                       "PostgreSQL at " + h.server + ": " + Trim(PQerrorMessage(h.conn)));
    }
    h.nonblocking = true;
  }
  h.in_flight.emplace();
  h.in_flight->sql = std::string(sql);
  h.in_flight->params = params;
  h.in_flight->part = part;
  return SendInFlight();
}

Status Connection::SendInFlight() {
  Handle& h = *handle_;
  AsyncStatement& f = *h.in_flight;
  std::vector<const char*> values;
  values.reserve(f.params.size());
  for (const Param& p : f.params) values.push_back(p.value() ? p.value()->c_str() : nullptr);
  const int count = static_cast<int>(values.size());
  f.preparing.clear();
  f.uses_prepared = false;
  f.results.clear();
  auto statement = h.prepared.end();
  if (h.prepare && !f.replanned) {
    statement = h.prepared.find(f.sql);
    if (statement == h.prepared.end() && h.prepared.size() < kMaxPrepared) {
      f.preparing = "giia_" + std::to_string(++h.statements);
    }
  }
  bool sent = PQenterPipelineMode(h.conn) == 1;
  if (sent && f.part.begin) {
    sent = PQsendQueryParams(h.conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  if (sent && !f.preparing.empty()) {
    sent = PQsendPrepare(h.conn, f.preparing.c_str(), f.sql.c_str(), count, nullptr) == 1;
  }
  if (sent) {
    const char* name = !f.preparing.empty()            ? f.preparing.c_str()
                       : statement != h.prepared.end() ? statement->second.c_str()
                                                       : nullptr;
    f.uses_prepared = name != nullptr;
    sent = name != nullptr
               ? PQsendQueryPrepared(h.conn, name, count, values.data(), nullptr, nullptr, 0) == 1
               : PQsendQueryParams(h.conn, f.sql.c_str(), count, nullptr, values.data(), nullptr,
                                   nullptr, 0) == 1;
  }
  if (sent && f.part.commit) {
    sent = PQsendQueryParams(h.conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  sent = sent && PQpipelineSync(h.conn) == 1;
  const int flushed = sent ? PQflush(h.conn) : -1;
  if (flushed < 0) {
    h.unusable = true;
    h.in_flight.reset();
    return tl::unexpected(ErrorFrom(h.conn, nullptr, h.server));
  }
  h.wants_write = flushed == 1;
  return Ok();
}

std::optional<Result<Rows>> Connection::Continue() {
  Handle& h = *handle_;
  auto broken = [&]() -> Result<Rows> {
    h.unusable = true;
    h.in_flight.reset();
    Error e = ErrorFrom(h.conn, nullptr, h.server);
    e.code = ErrorCode::kUnavailable;
    return tl::unexpected(std::move(e));
  };
  if (!h.in_flight) return MakeError(ErrorCode::kInternal, "no statement in flight");
  if (h.wants_write) {
    const int flushed = PQflush(h.conn);
    if (flushed < 0) return broken();
    h.wants_write = flushed == 1;
  }
  if (PQconsumeInput(h.conn) != 1) return broken();
  // Results arrive in order: BEGIN's, the prepare's, the statement's,
  // COMMIT's (each followed by a null), then the sync's.
  // More nulls in a row than one per statement means libpq has nothing left
  // to give: the connection is in a state it cannot leave.
  for (int nulls = 0; PQisBusy(h.conn) == 0;) {
    PGresult* r = PQgetResult(h.conn);
    if (r == nullptr) {
      if (PQstatus(h.conn) == CONNECTION_BAD || ++nulls > 2) return broken();
      continue;  // the end of one statement's results; the next one's follow
    }
    nulls = 0;
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      if (PQexitPipelineMode(h.conn) != 1) return broken();
      return Conclude();
    }
    h.in_flight->results.emplace_back(r);
  }
  if (PQstatus(h.conn) == CONNECTION_BAD) return broken();
  return std::nullopt;
}

std::optional<Result<Rows>> Connection::Conclude() {
  Handle& h = *handle_;
  AsyncStatement& f = *h.in_flight;
  auto fail = [&](const PGresult* r) -> Result<Rows> {
    Error e = ErrorFrom(h.conn, r, h.server);
    if (e.code == ErrorCode::kUnavailable) h.unusable = true;
    h.in_flight.reset();
    return tl::unexpected(std::move(e));
  };
  // The results in the order they were sent; a BEGIN, prepare or COMMIT
  // sent with the statement that failed is the answer.
  std::size_t at = 0;
  auto next = [&]() -> const PGresult* {
    return at < f.results.size() ? f.results[at++].get() : nullptr;
  };
  auto done = [](const PGresult* c) {
    return c != nullptr && PQresultStatus(c) == PGRES_COMMAND_OK;
  };
  if (f.part.begin) {
    if (const PGresult* b = next(); !done(b)) return fail(b);
  }
  if (!f.preparing.empty()) {
    if (const PGresult* p = next(); !done(p)) return fail(p);
    h.prepared.emplace(f.sql, f.preparing);
  }
  const PGresult* r = next();
  if (r == nullptr) return fail(nullptr);
  const ExecStatusType status = PQresultStatus(r);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
    if (f.part.commit) {
      const PGresult* c = next();
      if (!done(c)) return fail(c);
      // COMMIT of a transaction that cannot commit answers ROLLBACK.
      if (std::string_view(PQcmdStatus(const_cast<PGresult*>(c))) != "COMMIT") {
        h.in_flight.reset();
        return MakeError(ErrorCode::kAborted, "the transaction was rolled back at COMMIT");
      }
    }
    Rows rows = RowsOf(r);
    h.in_flight.reset();
    return rows;
  }
  // As in Run: a plan a schema change made unusable is dropped, and the
  // statement sent once more, unprepared (only outside a transaction, which
  // the failure aborted).
  const bool alone = !f.part.begin && !f.part.in_transaction;
  if (alone && f.uses_prepared && !f.replanned && Field(r, PG_DIAG_SQLSTATE) == "0A000") {
    h.prepared.erase(f.sql);
    f.replanned = true;
    if (auto sent = SendInFlight(); !sent) return tl::unexpected(sent.error());
    return std::nullopt;
  }
  return fail(r);
}

Status InTransaction(Connection& conn, const std::function<Status()>& work) {
  conn.BeginWithNextStatement();
  Status result = work();
  if (conn.BeginPending()) {  // no statement ran: there is nothing to end
    conn.CancelPendingBegin();
    return result;
  }
  if (result && conn.InFailedTransaction()) {
    // COMMIT of an aborted transaction "succeeds" as a ROLLBACK: never let
    // a swallowed statement error pass as a commit.
    result = MakeError(ErrorCode::kInternal, "a statement failed inside the transaction");
  }
  if (!result) {
    (void)conn.Exec("ROLLBACK");  // a broken connection is discarded by the pool anyway
    return result;
  }
  if (auto commit = conn.Exec("COMMIT"); !commit) return tl::unexpected(commit.error());
  return Ok();
}

}  // namespace giia::pg
