#pragma once
// The migration files of sql/, compiled into the binary (cmake/embed_sql.cmake).

#include <span>
#include <vector>

#include "core/migrate/migration.hpp"

namespace giia::pg {

struct EmbeddedSqlFile {
  const char* path;  // relative to sql/: "auth/0001_identity.up.sql"
  const char* text;
  const char* checksum;  // sha256, hex
};

std::span<const EmbeddedSqlFile> EmbeddedMigrationFiles();

// The embedded files as migrations, ordered by service then version.
// Errors: kInvalidArgument for a misnamed file (a build defect; tests catch it).
[[nodiscard]] Result<std::vector<migrate::Migration>> EmbeddedMigrations();

}  // namespace giia::pg
