#include "adapters/postgres/probe.hpp"

namespace giia::pg {

Status PgProbe::Check(std::chrono::milliseconds timeout) {
  ConnectOptions options = options_;
  options.connect_timeout = timeout;
  options.statement_timeout = timeout;
  auto conn = Connection::Open(options);
  if (!conn) return tl::unexpected(conn.error());
  auto r = (*conn)->Exec("SELECT 1");
  if (!r) return tl::unexpected(r.error());
  return Ok();
}

}  // namespace giia::pg
