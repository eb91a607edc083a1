#include "adapters/postgres/migration_store.hpp"

#include <chrono>

#include "adapters/postgres/embedded_migrations.hpp"

namespace giia::pg {
namespace {

// One lock for every migration change of every service: migrations are rare
// and short, and one lock keeps cross-service ordering trivial.
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(7266840212001)";

constexpr const char* kEnsureHistory = R"sql(
CREATE SCHEMA IF NOT EXISTS giia_migrations;
CREATE TABLE IF NOT EXISTS giia_migrations.history (
    service      text NOT NULL,
    version      integer NOT NULL,
    name         text NOT NULL,
    checksum     text NOT NULL,
    state        text NOT NULL CHECK (state IN ('applied', 'failed')),
    error        text,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    duration_ms  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (service, version)
);)sql";

constexpr const char* kHistoryExists = "SELECT to_regclass('giia_migrations.history') IS NOT NULL";

constexpr const char* kSelectHistory = R"sql(
SELECT service, version, name, checksum, state, coalesce(error, ''),
       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), duration_ms
FROM giia_migrations.history ORDER BY service, version)sql";

constexpr const char* kSelectOne =
    "SELECT state, checksum FROM giia_migrations.history WHERE service = $1 AND version = $2";

constexpr const char* kRecord = R"sql(
INSERT INTO giia_migrations.history (service, version, name, checksum, state, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (service, version) DO UPDATE SET
    name = EXCLUDED.name, checksum = EXCLUDED.checksum, state = EXCLUDED.state,
    error = EXCLUDED.error, applied_at = now(), duration_ms = EXCLUDED.duration_ms)sql";

constexpr const char* kDeleteOne =
    "DELETE FROM giia_migrations.history WHERE service = $1 AND version = $2";

constexpr const char* kCountHistory = "SELECT count(*) FROM giia_migrations.history";

constexpr const char* kDropHistory = "DROP SCHEMA giia_migrations CASCADE";

constexpr const char* kForgetAbove =
    "DELETE FROM giia_migrations.history WHERE service = $1 AND (version > $2 OR state = 'failed')";

std::int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

Result<std::vector<migrate::Migration>> EmbeddedMigrations() {
  std::vector<migrate::SqlFile> files;
  for (const EmbeddedSqlFile& f : EmbeddedMigrationFiles()) {
    files.push_back({f.path, f.text, f.checksum});
  }
  return migrate::LoadMigrations(files);
}

Result<std::vector<migrate::HistoryRecord>> PgMigrationStore::History() {
  auto conn = pool_.Acquire();
  if (!conn) return tl::unexpected(conn.error());
  auto exists = (*conn)->Exec(kHistoryExists);
  if (!exists) return tl::unexpected(exists.error());
  std::vector<migrate::HistoryRecord> out;
  if (!exists->Bool(0, 0)) return out;
  auto rows = (*conn)->Exec(kSelectHistory);
  if (!rows) return tl::unexpected(rows.error());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    migrate::HistoryRecord r;
    r.service = rows->Text(i, 0);
    r.version = static_cast<int>(rows->Int(i, 1));
    r.name = rows->Text(i, 2);
    r.checksum = rows->Text(i, 3);
    r.state = rows->Text(i, 4) == "failed" ? migrate::RecordState::kFailed
                                           : migrate::RecordState::kApplied;
    r.error = rows->Text(i, 5);
    r.applied_at = rows->Text(i, 6);
    r.duration_ms = rows->Int(i, 7);
    out.push_back(std::move(r));
  }
  return out;
}

Result<migrate::StepResult> PgMigrationStore::Up(const migrate::Migration& m) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  Connection& conn = **lease;
  migrate::StepResult result;
  std::optional<Error> sql_error;
  Status status = InTransaction(conn, [&]() -> Status {
    if (auto r = conn.Exec(kLock); !r) return tl::unexpected(r.error());
    if (auto r = conn.ExecScript(kEnsureHistory); !r) return r;
    // Re-read under the lock: another process may have applied it meanwhile.
    auto seen = conn.Exec(kSelectOne, {m.service, m.version});
    if (!seen) return tl::unexpected(seen.error());
    if (!seen->empty()) {
      if (seen->Text(0, 0) == "failed") {
        return MakeError(ErrorCode::kFailedPrecondition,
                         m.File() + " was recorded as failed by another process");
      }
      if (seen->Text(0, 1) != m.checksum) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         m.File() + " was changed after it was applied");
      }
      result.outcome = migrate::StepOutcome::kAlreadyDone;
      return Ok();
    }
    const auto start = std::chrono::steady_clock::now();
    if (auto r = conn.ExecScript(m.up_sql); !r) {
      sql_error = r.error();
      return r;
    }
    result.duration_ms = MillisSince(start);
    auto recorded = conn.Exec(kRecord, {m.service, m.version, m.name, m.checksum, "applied",
                                        std::nullopt, result.duration_ms});
    if (!recorded) return tl::unexpected(recorded.error());
    return Ok();
  });
  if (status) return result;
  if (!sql_error) return tl::unexpected(status.error());
  // The file's own SQL failed and its transaction rolled back. Record the
  // failure in a transaction of its own, so `status` can show it.
  if (!conn.Healthy()) return tl::unexpected(*sql_error);
  Status noted = InTransaction(conn, [&]() -> Status {
    if (auto r = conn.Exec(kLock); !r) return tl::unexpected(r.error());
    if (auto r = conn.ExecScript(kEnsureHistory); !r) return r;
    auto r = conn.Exec(kRecord, {m.service, m.version, m.name, m.checksum, "failed",
                                 sql_error->message, std::int64_t{0}});
    if (!r) return tl::unexpected(r.error());
    return Ok();
  });
  (void)noted;  // the migration's own error is what the operator must see
  return MakeError(ErrorCode::kFailedPrecondition,
                   m.File() + " failed and was rolled back: " + sql_error->message);
}

Result<migrate::StepResult> PgMigrationStore::Down(const migrate::Migration& m) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  Connection& conn = **lease;
  migrate::StepResult result;
  Status status = InTransaction(conn, [&]() -> Status {
    if (auto r = conn.Exec(kLock); !r) return tl::unexpected(r.error());
    auto exists = conn.Exec(kHistoryExists);
    if (!exists) return tl::unexpected(exists.error());
    if (!exists->Bool(0, 0)) {
      result.outcome = migrate::StepOutcome::kAlreadyDone;
      return Ok();
    }
    auto seen = conn.Exec(kSelectOne, {m.service, m.version});
    if (!seen) return tl::unexpected(seen.error());
    if (seen->empty()) {
      result.outcome = migrate::StepOutcome::kAlreadyDone;
      return Ok();
    }
    const auto start = std::chrono::steady_clock::now();
    if (auto r = conn.ExecScript(m.down_sql); !r) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       m.File() + " could not be reverted (rolled back): " + r.error().message);
    }
    result.duration_ms = MillisSince(start);
    if (auto r = conn.Exec(kDeleteOne, {m.service, m.version}); !r) {
      return tl::unexpected(r.error());
    }
    auto left = conn.Exec(kCountHistory);
    if (!left) return tl::unexpected(left.error());
    if (left->Int(0, 0) == 0) {
      // Nothing of giia is left: leave no giia table behind either.
      if (auto r = conn.Exec(kDropHistory); !r) return tl::unexpected(r.error());
    }
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  return result;
}

Status PgMigrationStore::Force(const std::string& service, int version,
                               std::span<const migrate::Migration> shipped) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  Connection& conn = **lease;
  return InTransaction(conn, [&]() -> Status {
    if (auto r = conn.Exec(kLock); !r) return tl::unexpected(r.error());
    if (auto r = conn.ExecScript(kEnsureHistory); !r) return r;
    if (auto r = conn.Exec(kForgetAbove, {service, version}); !r) {
      return tl::unexpected(r.error());
    }
    for (const migrate::Migration& m : shipped) {
      if (m.version > version) continue;
      auto r = conn.Exec(kRecord, {m.service, m.version, m.name, m.checksum, "applied",
                                   std::nullopt, std::int64_t{0}});
      if (!r) return tl::unexpected(r.error());
    }
    return Ok();
  });
}

Status SchemaProbe::Check(std::chrono::milliseconds timeout) {
  PoolOptions options;
  options.connect = options_;
  options.connect.connect_timeout = timeout;
  options.connect.statement_timeout = timeout;
  options.max_size = 1;
  options.acquire_timeout = timeout;
  auto pool = Pool::Create(options);
  if (!pool) return tl::unexpected(pool.error());
  PgMigrationStore store(**pool);
  auto history = store.History();
  if (!history) return tl::unexpected(history.error());
  return migrate::CheckSchemaCurrent(migrate::ComputeStatus(shipped_, *history), service_);
}

}  // namespace giia::pg
