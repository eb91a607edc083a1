#pragma once
// The use cases behind `giia migrate`: status, up, down and force, over the
// MigrationStore port. Planning is pure (migration.hpp); the store applies one
// file at a time, each in its own locked transaction.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/migrate/migration.hpp"

namespace giia::migrate {

enum class StepOutcome {
  kApplied,      // this process ran the file
  kAlreadyDone,  // another process ran it first (seen after taking the lock)
};

struct StepResult {
  StepOutcome outcome = StepOutcome::kApplied;
  std::int64_t duration_ms = 0;
};

// Where the migration history lives and where migrations run.
// Implementations are safe to use from several processes at once.
class MigrationStore {
 public:
  virtual ~MigrationStore() = default;

  // Every recorded migration of every service; empty before the first one.
  // Errors: kUnavailable when the database cannot be reached.
  [[nodiscard]] virtual Result<std::vector<HistoryRecord>> History() = 0;

  // Runs `m.up_sql` and records it, in one transaction that first takes the
  // migration lock and re-reads the history: a file another process applied
  // meanwhile is not run again (kAlreadyDone). A failing file is rolled back
  // and recorded as failed with its error.
  // Errors: kFailedPrecondition naming the file when its SQL fails or when
  // the history changed under us (failed or modified record);
  // kUnavailable when the database cannot be reached.
  [[nodiscard]] virtual Result<StepResult> Up(const Migration& m) = 0;

  // Runs `m.down_sql` and deletes its record, likewise locked; a file no
  // longer applied is kAlreadyDone. Removes the history table once it is empty.
  [[nodiscard]] virtual Result<StepResult> Down(const Migration& m) = 0;

  // Rewrites the history of `service` so that exactly the shipped migrations
  // up to `version` are recorded as applied, with the shipped checksums. Runs
  // no migration SQL. `shipped` holds that service's migrations.
  [[nodiscard]] virtual Status Force(const std::string& service, int version,
                                     std::span<const Migration> shipped) = 0;
};

struct RunReport {
  std::vector<Migration> planned;  // what was (or, dry run, would be) run
  std::vector<StepResult> steps;   // one per planned file that ran
  std::optional<Error> error;      // set when a step failed; later files did not run
};

// REQUIRES: `migrations` holds the shipped migrations of the selected
// service(s) only (see ForService).
class Migrator {
 public:
  Migrator(MigrationStore& store, std::vector<Migration> migrations)
      : store_(store), migrations_(std::move(migrations)) {}

  [[nodiscard]] Result<std::vector<FileStatus>> Status();

  // Applies pending files up to `to`. Errors as PlanUp and MigrationStore::History;
  // a failing step is reported in RunReport::error.
  [[nodiscard]] Result<RunReport> Up(std::optional<int> to, bool dry_run);

  // Reverts the last `steps` applied files (nullopt: all of them).
  [[nodiscard]] Result<RunReport> Down(std::optional<int> steps, bool dry_run);

  // Sets the recorded version of one service (see MigrationStore::Force).
  // Errors: kInvalidArgument (field "version") when `version` is neither 0
  // nor a shipped version; kInvalidArgument (field "--service") for "all".
  [[nodiscard]] giia::Status Force(const std::string& service, int version);

 private:
  MigrationStore& store_;  // not owned; must outlive this object
  std::vector<Migration> migrations_;
};

}  // namespace giia::migrate
