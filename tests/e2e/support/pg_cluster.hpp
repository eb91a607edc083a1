#pragma once
// A PostgreSQL 15 primary and a streaming standby of the test's own, on free
// loopback ports, each in its own directory under one temp folder (owned by
// the postgres user, mode 0700: PostgreSQL refuses to run as root, so every
// server program runs through `runuser -u postgres`). The standby is a
// pg_basebackup -R -X stream of the primary, and replication is synchronous
// (synchronous_standby_names = '*' on the primary once the standby streams):
// a commit the primary acknowledged is on the standby too, so a crash of the
// primary loses none. With asynchronous replication a crash of the primary
// can lose the last acknowledged commits; that is PostgreSQL's contract.
//
// The password is read from 0600 files (initdb's pwfile, a PGPASSFILE for
// pg_basebackup and the standby's walreceiver), never from a command line.
// Both servers are stopped and the folder removed when destroyed.
//
// Not thread-safe: one test thread drives it.

#include <memory>
#include <string>
#include <vector>

#include "adapters/postgres/connection.hpp"

namespace giia::testing {

class PgCluster {
 public:
  PgCluster();  // primary, database "giia", standby streaming synchronously
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // postgresql://postgres:PW@127.0.0.1:P1,127.0.0.1:P2/giia?target_session_attrs=read-write
  std::string Url() const;
  // A direct URL to one node (database "giia"), for checking.
  std::string PrimaryUrl() const { return NodeUrl(primary_port_); }
  std::string StandbyUrl() const { return NodeUrl(standby_port_); }
  // A direct connection to one node; fails the test when it cannot connect.
  std::unique_ptr<pg::Connection> ConnectPrimary() const;
  std::unique_ptr<pg::Connection> ConnectStandby() const;

  // pg_ctl stop -m immediate: every backend killed at once, no shutdown
  // checkpoint, as in a crash (the OS keeps the files: no power loss).
  void CrashPrimary();
  // pg_ctl promote -w: returns once the standby accepts writes.
  void PromoteStandby();

 private:
  std::string NodeUrl(int port, const std::string& database = "giia") const;
  void StartNode(const std::string& name, int port);
  void StopNode(const std::string& name);

  std::string dir_;
  std::string password_;
  int primary_port_ = 0;
  int standby_port_ = 0;
  bool primary_running_ = false;
  bool standby_running_ = false;
};

}  // namespace giia::testing
