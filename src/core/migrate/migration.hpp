#pragma once
// Schema migrations: the model, the status of each file against the recorded
// history, and the plans `giia migrate` carries out. Pure; no I/O.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace giia::migrate {

// One numbered migration of one service, as shipped in the binary.
struct Migration {
  std::string service;  // "auth" or "catalog": also its PostgreSQL schema
  int version = 0;      // the file's number; ordered, unique per service
  std::string name;     // "identity" for 0001_identity.up.sql
  std::string up_sql;
  std::string down_sql;  // empty when the file has no down
  std::string checksum;  // sha256 (hex) of the up file, computed at build time

  // "auth/0001_identity.up.sql": how operators and errors name the file.
  std::string File() const;
};

enum class RecordState { kApplied, kFailed };

// A row of the migration history table.
struct HistoryRecord {
  std::string service;
  int version = 0;
  std::string name;
  std::string checksum;
  RecordState state = RecordState::kApplied;
  std::string error;       // why it failed (kFailed only)
  std::string applied_at;  // ISO 8601, as recorded by the database
  std::int64_t duration_ms = 0;
};

enum class FileState {
  kApplied,   // recorded as applied with the same checksum
  kPending,   // not recorded
  kFailed,    // recorded as failed: `force` repairs the record
  kModified,  // applied, but the file shipped now differs from the one applied
  kUnknown,   // recorded, but this binary does not ship it (the database is newer)
};
const char* FileStateName(FileState state);

struct FileStatus {
  std::string service;
  int version = 0;
  std::string name;
  FileState state = FileState::kPending;
  std::optional<HistoryRecord> record;
  std::string File() const;
};

// Parses "0001_identity.up.sql" / "0001_identity.down.sql" file names and
// pairs them into migrations. `files` holds (path relative to sql/, text,
// sha256) triples such as ("auth/0001_identity.up.sql", ...).
// Errors: kInvalidArgument naming the file when a name does not follow the
// pattern, a version repeats, or a down file has no up file.
struct SqlFile {
  std::string path;
  std::string text;
  std::string checksum;
};
[[nodiscard]] Result<std::vector<Migration>> LoadMigrations(std::span<const SqlFile> files);

// The migrations of `service` ("all" selects every service), in order.
std::vector<Migration> ForService(std::span<const Migration> all, const std::string& service);

// The state of every shipped and every recorded migration of the services in
// `migrations`, ordered by service then version.
std::vector<FileStatus> ComputeStatus(std::span<const Migration> migrations,
                                      std::span<const HistoryRecord> history);

// The highest applied version per service, 0 when none.
int AppliedVersion(std::span<const FileStatus> status, const std::string& service);

// Whether `service`'s schema is exactly what this binary ships: every shipped
// file applied, none failed or modified. Servers stay not-ready otherwise.
// Errors: kFailedPrecondition saying what is behind and what to run.
[[nodiscard]] Status CheckSchemaCurrent(std::span<const FileStatus> status,
                                        const std::string& service);

// What `up` applies: the pending migrations up to `to` (inclusive; nullopt is
// all), in order.
// Errors: kFailedPrecondition, naming the file, while any file is failed or
// modified (the history must be repaired first); kInvalidArgument (field
// "--to") when `to` names no shipped version of a single service.
[[nodiscard]] Result<std::vector<Migration>> PlanUp(std::span<const Migration> migrations,
                                                    std::span<const FileStatus> status,
                                                    std::optional<int> to);

// What `down` reverts: the last `steps` applied migrations (nullopt: all of
// them), newest first, per service in reverse service order.
// Errors: kFailedPrecondition naming the file when an applied migration is
// not shipped by this binary, has no down file, or a file is failed.
[[nodiscard]] Result<std::vector<Migration>> PlanDown(std::span<const Migration> migrations,
                                                      std::span<const FileStatus> status,
                                                      std::optional<int> steps);

}  // namespace giia::migrate
