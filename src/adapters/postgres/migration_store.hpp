#pragma once
// The migration history in PostgreSQL (schema giia_migrations) and the
// runner of migration files. Every change takes the same transaction-scoped
// advisory lock and re-reads the history inside its transaction, so any number
// of processes can migrate at once, also behind PgBouncer transaction pooling
// (a session lock would be lost between transactions there).

#include "adapters/postgres/pool.hpp"
#include "core/health/readiness.hpp"
#include "core/migrate/migrator.hpp"

namespace giia::pg {

class PgMigrationStore final : public migrate::MigrationStore {
 public:
  explicit PgMigrationStore(Pool& pool) : pool_(pool) {}

  Result<std::vector<migrate::HistoryRecord>> History() override;
  Result<migrate::StepResult> Up(const migrate::Migration& m) override;
  Result<migrate::StepResult> Down(const migrate::Migration& m) override;
  Status Force(const std::string& service, int version,
               std::span<const migrate::Migration> shipped) override;

 private:
  Pool& pool_;  // not owned; must outlive this object
};

// Readiness: the service's schema is at the version this binary ships
// (critical: a server must not answer with a schema it does not know).
class SchemaProbe final : public health::DependencyProbe {
 public:
  // `shipped` holds this service's migrations.
  SchemaProbe(ConnectOptions options, std::string service, std::vector<migrate::Migration> shipped)
      : options_(std::move(options)), service_(std::move(service)), shipped_(std::move(shipped)) {}
  std::string name() const override { return "schema"; }
  bool critical() const override { return true; }
  Status Check(std::chrono::milliseconds timeout) override;

 private:
  ConnectOptions options_;
  std::string service_;
  std::vector<migrate::Migration> shipped_;
};

}  // namespace giia::pg
