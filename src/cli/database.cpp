#include "cli/database.hpp"

#include <thread>

namespace giia::cli {

Result<std::unique_ptr<pg::Pool>> OpenCommandPool(
    const LoadedConfig& loaded, const std::string& application_name,
    std::optional<std::chrono::milliseconds> statement_timeout) {
  const DatabaseConfig& db = loaded.config.database;
  pg::PoolOptions options;
  options.connect.url = db.url;
  options.connect.connect_timeout = db.connect_timeout;
  options.connect.statement_timeout = statement_timeout.value_or(db.statement_timeout);
  options.connect.application_name = application_name;
  options.connect.prepare_statements = db.prepared_statements;
  options.connect.transaction_pooling = db.transaction_pooling;
  options.max_size = 2;
  options.acquire_timeout = db.connect_timeout;
  options.max_lifetime =
      db.conn_max_lifetime.count() > 0 ? db.conn_max_lifetime : std::chrono::hours(24);
  return pg::Pool::Create(std::move(options));
}

Status WaitForDatabase(pg::Pool& pool, const LoadedConfig& loaded, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto delay = std::chrono::milliseconds(100);
  for (;;) {
    auto lease = pool.Acquire();
    if (lease) return Ok();
    Error error = lease.error();
    if (error.code != ErrorCode::kUnavailable || std::chrono::steady_clock::now() >= deadline) {
      error.message += "; check " + loaded.Value("DATABASE_URL").Describe();
      if (wait.count() > 0) error.message += ", waited " + std::to_string(wait.count()) + " ms";
      return tl::unexpected(error);
    }
    // Back off between attempts; the database is starting or unreachable.
    std::this_thread::sleep_for(
        std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())));
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace giia::cli
