#pragma once
// A PgBouncer of the test's own (Debian's /usr/sbin/pgbouncer) on a free
// loopback port, in front of the PostgreSQL server that
// GIIA_TEST_DATABASE_URL names: every database of that server (`*`), the
// server's user and password (SCRAM from client to PgBouncer and from
// PgBouncer to the server), `pool_mode = transaction`, and PgBouncer's
// default settings otherwise (so a startup parameter it does not know, such
// as `options`, is refused). It runs as the postgres user (PgBouncer refuses
// root) from a temporary folder it owns, and is stopped when destroyed.

#include <memory>
#include <string>

#include "support/process.hpp"

namespace giia::testing {

class PgBouncer {
 public:
  PgBouncer();  // starts it and waits until it accepts connections
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  int port() const { return port_; }
  // `url` (a database on the test server, postgresql://user:pass@host:port/db)
  // through this PgBouncer.
  std::string Url(const std::string& url) const;
  // What PgBouncer logged so far (for failure messages).
  std::string Log() const;

 private:
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace giia::testing
