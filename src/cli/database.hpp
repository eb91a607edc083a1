#pragma once
// Opening the PostgreSQL pool of an operator command from its configuration.

#include <chrono>
#include <memory>

#include "adapters/postgres/pool.hpp"
#include "cli/command_env.hpp"

namespace giia::cli {

// A small pool for a run-once command. `statement_timeout` overrides the
// configured one (migrations run without a limit).
// Errors: kInvalidArgument for a malformed DATABASE_URL.
[[nodiscard]] Result<std::unique_ptr<pg::Pool>> OpenCommandPool(
    const LoadedConfig& loaded, const std::string& application_name,
    std::optional<std::chrono::milliseconds> statement_timeout = std::nullopt);

// Connects once; when `wait` is more than 0, keeps trying until the database
// answers or `wait` has passed (dbmate's --wait).
// Errors: kUnavailable with the last reason and the key that set the URL.
[[nodiscard]] Status WaitForDatabase(pg::Pool& pool, const LoadedConfig& loaded,
                                     std::chrono::milliseconds wait);

}  // namespace giia::cli
