#include "e2e/support/pg_cluster.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/net.hpp"  // FreePort
#include "support/poll.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"  // Scalar

namespace giia::testing {
namespace {

constexpr const char* kRunuser = "/usr/sbin/runuser";
constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin/";

struct PostgresUser {
  uid_t uid;
  gid_t gid;
};

PostgresUser Postgres() {
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) FAIL("no postgres user: install the postgresql package");
  return {pw->pw_uid, pw->pw_gid};
}

std::string RandomPassword() {
  std::random_device rd;
  std::string out;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 24; ++i) out += hex[rd() & 15];
  return out;
}

// Writes `text` into a new file of mode 0600 (from its creation) owned by postgres.
void WriteSecretFile(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  const PostgresUser pg = Postgres();
  REQUIRE(::fchown(fd, pg.uid, pg.gid) == 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
}

// Runs a PostgreSQL program as the postgres user; fails the test unless it exits 0.
ProcessResult RunAsPostgres(const std::string& program, const std::vector<std::string>& args,
                            const ProcessEnv& env = {}) {
  std::vector<std::string> full = {"-u", "postgres", "--", std::string(kPgBin) + program};
  full.insert(full.end(), args.begin(), args.end());
  ProcessResult r = Process(kRunuser, full, env, "").Wait(std::chrono::seconds(60));
  INFO(program << ": " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return r;
}

std::unique_ptr<pg::Connection> Connect(const std::string& url) {
  pg::ConnectOptions options;
  options.url = url;
  options.application_name = "giia-tests";
  auto conn = pg::Connection::Open(options);
  if (!conn) FAIL("cannot connect to " << pg::DescribeServer(url) << ": " << conn.error().message);
  return std::move(*conn);
}

}  // namespace

PgCluster::PgCluster() {
  char tmpl[] = "/tmp/giia-pgcluster-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  const PostgresUser pg = Postgres();
  REQUIRE(::chown(dir_.c_str(), pg.uid, pg.gid) == 0);
  REQUIRE(::chmod(dir_.c_str(), 0700) == 0);
  password_ = RandomPassword();
  primary_port_ = FreePort();
  standby_port_ = FreePort();

  // initdb reads the password from a 0600 file, removed once it has.
  WriteSecretFile(dir_ + "/pwfile", password_ + "\n");
  RunAsPostgres("initdb",
                {"-D", dir_ + "/primary", "-U", "postgres", "--pwfile=" + dir_ + "/pwfile", "-A",
                 "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"});
  std::filesystem::remove(dir_ + "/pwfile");
  // pg_basebackup and the standby's walreceiver (primary_conninfo names
  // this passfile) read the password from here.
  WriteSecretFile(dir_ + "/pgpass", "127.0.0.1:" + std::to_string(primary_port_) + ":*:postgres:" +
                                        password_ + "\n127.0.0.1:" + std::to_string(standby_port_) +
                                        ":*:postgres:" + password_ + "\n");
  StartNode("primary", primary_port_);
  {
    auto conn = Connect(NodeUrl(primary_port_, "postgres"));
    REQUIRE(conn->ExecScript("CREATE DATABASE giia"));
  }

  // -c fast: no spread checkpoint to wait for. -N: the drill survives no OS crash.
  RunAsPostgres("pg_basebackup",
                {"-h", "127.0.0.1", "-p", std::to_string(primary_port_), "-U", "postgres", "-w",
                 "-D", dir_ + "/standby", "-R", "-X", "stream", "-c", "fast", "-N"},
                {{"PGPASSFILE", dir_ + "/pgpass"}});
  StartNode("standby", standby_port_);

  auto primary = ConnectPrimary();
  INFO("the standby never streamed");
  REQUIRE(Eventually(
      [&] {
        return Scalar(*primary,
                      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1";
      },
      std::chrono::seconds(20)));
  // Synchronous from now on: COMMIT returns once the standby flushed it. Set
  // with ALTER SYSTEM after the base backup, so it lives in the primary's
  // postgresql.auto.conf only: the promoted standby does not wait for a
  // standby of its own (it has none), or every commit there would hang.
  REQUIRE(primary->ExecScript("ALTER SYSTEM SET synchronous_standby_names = '*'"));
  REQUIRE(primary->ExecScript("SELECT pg_reload_conf()"));
  INFO("the standby never became synchronous");
  REQUIRE(Eventually(
      [&] {
        return Scalar(*primary,
                      "SELECT count(*) FROM pg_stat_replication WHERE sync_state = "
                      "'sync'") == "1";
      },
      std::chrono::seconds(20)));
}

PgCluster::~PgCluster() {
  StopNode("standby");
  StopNode("primary");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::NodeUrl(int port, const std::string& database) const {
  return "postgresql://postgres:" + password_ + "@127.0.0.1:" + std::to_string(port) + "/" +
         database;
}

std::string PgCluster::Url() const {
  return "postgresql://postgres:" + password_ + "@127.0.0.1:" + std::to_string(primary_port_) +
         ",127.0.0.1:" + std::to_string(standby_port_) + "/giia?target_session_attrs=read-write";
}

std::unique_ptr<pg::Connection> PgCluster::ConnectPrimary() const {
  return Connect(NodeUrl(primary_port_));
}

std::unique_ptr<pg::Connection> PgCluster::ConnectStandby() const {
  return Connect(NodeUrl(standby_port_));
}

void PgCluster::StartNode(const std::string& name, int port) {
  // Test-only speed: fsync and full-page writes off (no OS crash or power
  // loss in these tests; a killed postmaster leaves its writes in the page
  // cache). synchronous_commit stays on: it is what makes the standby
  // acknowledge each commit.
  const std::string settings = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port) +
                               " -c unix_socket_directories=" + dir_ +
                               " -c max_connections=100 -c fsync=off -c full_page_writes=off"
                               " -c synchronous_commit=on -c wal_level=replica -c hot_standby=on";
  RunAsPostgres("pg_ctl", {"-D", dir_ + "/" + name, "-l", dir_ + "/" + name + ".log", "-w", "-t",
                           "30", "-o", settings, "start"});
  (name == "primary" ? primary_running_ : standby_running_) = true;
}

void PgCluster::StopNode(const std::string& name) {
  bool& running = name == "primary" ? primary_running_ : standby_running_;
  if (!running) return;
  running = false;
  Process(kRunuser,
          {"-u", "postgres", "--", std::string(kPgBin) + "pg_ctl", "-D", dir_ + "/" + name, "-m",
           "immediate", "-w", "-t", "30", "stop"},
          {}, "")
      .Wait(std::chrono::seconds(40));
}

void PgCluster::CrashPrimary() {
  REQUIRE(primary_running_);
  primary_running_ = false;
  RunAsPostgres("pg_ctl", {"-D", dir_ + "/primary", "-m", "immediate", "-w", "-t", "30", "stop"});
}

void PgCluster::PromoteStandby() {
  REQUIRE(standby_running_);
  RunAsPostgres("pg_ctl", {"-D", dir_ + "/standby", "-w", "-t", "30", "promote"});
}

}  // namespace giia::testing
