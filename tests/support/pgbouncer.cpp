#include "support/pgbouncer.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/net.hpp"  // FreePort
#include "support/poll.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_database.hpp"

namespace giia::testing {
namespace {

constexpr const char* kPgBouncer = "/usr/sbin/pgbouncer";
// setpriv execs PgBouncer in its own place (the pid is PgBouncer's, and a
// SIGTERM reaches it directly); runuser would fork and wait 2 s on a signal.
constexpr const char* kSetpriv = "/usr/bin/setpriv";

struct ServerParts {
  std::string user, password, host;
  int port = 0;
};

// postgresql://user:pass@host:port/db, as scripts/test.sh writes it.
ServerParts Parse(const std::string& url) {
  ServerParts p;
  const auto authority = url.find("://");
  REQUIRE(authority != std::string::npos);
  const auto at = url.rfind('@');
  REQUIRE(at != std::string::npos);
  const std::string credentials = url.substr(authority + 3, at - authority - 3);
  const auto colon = credentials.find(':');
  REQUIRE(colon != std::string::npos);  // the server asks for a password
  p.user = credentials.substr(0, colon);
  p.password = credentials.substr(colon + 1);
  const auto end = url.find_first_of("/?", at);
  const std::string host_port = url.substr(at + 1, end - at - 1);
  const auto port_colon = host_port.rfind(':');
  p.host = host_port.substr(0, port_colon);
  p.port = port_colon == std::string::npos ? 5432 : std::stoi(host_port.substr(port_colon + 1));
  return p;
}

// A userlist.txt value: "..." with " doubled.
std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

PgBouncer::PgBouncer() {
  if (access(kPgBouncer, X_OK) != 0) FAIL("pgbouncer is not installed (Debian package pgbouncer)");
  const passwd* postgres = getpwnam("postgres");
  if (postgres == nullptr) FAIL("no postgres user (Debian package postgresql)");
  const ServerParts server = Parse(ServerUrl());
  char tmpl[] = "/tmp/giia-pgbouncer-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  port_ = FreePort();
  {
    std::ofstream users(dir_ + "/userlist.txt");
    users << Quoted(server.user) << " " << Quoted(server.password) << "\n";
    std::ofstream ini(dir_ + "/pgbouncer.ini");
    ini << "[databases]\n"
        << "* = host=" << server.host << " port=" << server.port << "\n"
        << "[pgbouncer]\n"
        << "listen_addr = 127.0.0.1\n"
        << "listen_port = " << port_ << "\n"
        << "unix_socket_dir = " << dir_ << "\n"
        << "auth_type = scram-sha-256\n"
        << "auth_file = " << dir_ << "/userlist.txt\n"
        << "pool_mode = transaction\n"
        << "admin_users = " << server.user << "\n"
        << "logfile = " << dir_ << "/pgbouncer.log\n";
  }
  // Only PgBouncer (as postgres) reads the password file.
  for (const char* name : {"", "/userlist.txt", "/pgbouncer.ini"}) {
    REQUIRE(::chown((dir_ + name).c_str(), postgres->pw_uid, postgres->pw_gid) == 0);
  }
  std::filesystem::permissions(dir_ + "/userlist.txt", std::filesystem::perms::owner_read,
                               std::filesystem::perm_options::replace);
  // -q: nothing on stdout/stderr (the log file has it), so no pipe fills up.
  process_ = std::make_unique<Process>(
      kSetpriv,
      std::vector<std::string>{"--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                               kPgBouncer, "-q", dir_ + "/pgbouncer.ini"},
      ProcessEnv{}, "");
  // A server that is starting: nothing to wait on but the port.
  if (!Eventually([&] { return Accepts(port_); }, std::chrono::seconds(10),
                  std::chrono::milliseconds(10))) {
    ProcessResult r = process_->Stop();
    FAIL("pgbouncer did not listen on 127.0.0.1:" << port_ << " (exit " << r.exit_code
                                                  << "): " << r.err << Log());
  }
}

PgBouncer::~PgBouncer() {
  if (process_) process_->Stop();  // SIGTERM: immediate shutdown
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgBouncer::Url(const std::string& url) const { return WithPort(url, port_); }

std::string PgBouncer::Log() const {
  std::ifstream in(dir_ + "/pgbouncer.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace giia::testing
