#pragma once
// `giia serve auth` as a process for the e2e tests, on its own fresh
// database (migrated and seeded), its own nats-server, the run's Redis under
// a key prefix of its own (or a redis-server of its own), free ports, and a
// folder for the e-mails it sends. Ready when /health/ready says so.

#include <grpcpp/security/credentials.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "giia/auth/v1/auth.grpc.pb.h"
#include "support/nats_server.hpp"
#include "support/net.hpp"  // FreePort
#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/tcp_proxy.hpp"
#include "support/test_database.hpp"

namespace giia::testing {

struct Served {
  std::unique_ptr<Process> process;
  int http_port = 0;
  int grpc_port = 0;
};

// `giia serve SERVICE` with HTTP_PORT and GRPC_PORT of `env` set to free
// ports, once `ready(http_port)` answers true (one probe; polled). A port can
// be taken between FreePort and the server's bind by another test's listener:
// the server then exits saying so and is started again on other ports. FAILs
// the test when the server exits otherwise or is not ready within 60 s.
Served ServeOnFreePorts(const std::string& service, ProcessEnv& env,
                        const std::function<bool(int http_port)>& ready);
// One probe of GET /health/ready over plain HTTP.
bool ReadyOverHttp(int http_port);

struct AuthServerOptions {
  bool own_redis = false;       // a redis-server the test may stop
  bool database_proxy = false;  // reach PostgreSQL through a TcpProxy the test may cut
  bool tls = false;             // HTTPS and gRPC over TLS with a self-signed certificate
  bool mutual_tls = false;      // ... and client certificates required (implies tls)
  // DATABASE_URL as postgres://user@host/db?password=... (libpq reads both forms)
  bool database_password_in_query = false;
  // Reach PostgreSQL on this loopback port instead (a PgBouncer in front of
  // the test server); 0: directly.
  int database_port = 0;
  ProcessEnv extra_env;
};

struct HttpReply {
  int status = 0;
  nlohmann::json body;
  std::string raw;
  std::string request_id;
};

// The reply of an httplib call (status 0 and the reason in `raw` when there
// was no response).
HttpReply ToReply(const httplib::Result& res);

class AuthServer {
 public:
  explicit AuthServer(AuthServerOptions options = {});
  ~AuthServer();

  TestDatabase& db() { return db_; }
  NatsServer& nats() { return nats_; }
  RedisServer* redis() { return redis_.get(); }
  TcpProxy* database_proxy() { return proxy_.get(); }
  const std::string& grpc_address() const { return grpc_address_; }
  int http_port() const { return http_port_; }
  const ProcessEnv& env() const { return env_; }

  HttpReply Get(const std::string& path, const std::string& token = "");
  HttpReply Post(const std::string& path, const nlohmann::json& body,
                 const std::string& token = "");
  HttpReply Delete(const std::string& path, const std::string& token = "");
  std::unique_ptr<giia::auth::v1::AuthService::Stub> Stub();
  // A client of the HTTP side; with TLS it trusts the test certificate and,
  // when `client_certificate`, presents it.
  std::unique_ptr<httplib::Client> Client(bool client_certificate = true);
  // gRPC credentials likewise.
  std::shared_ptr<grpc::ChannelCredentials> Credentials(bool client_certificate = true);

  // The token of the newest verification e-mail to `email`, waiting for it.
  std::string VerificationToken(const std::string& email,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Registers, verifies and logs in an admin of a new organization; returns
  // the login response body (access_token, refresh_token, user).
  nlohmann::json RegisterAdmin(const std::string& email, const std::string& organization);
  // Creates a user with `role` (as `admin_token`) and logs them in.
  nlohmann::json CreateAndLogin(const std::string& admin_token, const std::string& email,
                                const std::string& role);

  // SIGTERM (or `signal`) and the exit; the log is in the result.
  ProcessResult Stop(int signal = 15);
  bool WaitReady(std::chrono::milliseconds timeout);

 private:
  TestDatabase db_;
  NatsServer nats_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<TcpProxy> proxy_;
  std::string mail_dir_;
  std::string tls_dir_;  // cert.pem / key.pem when TLS is on
  bool mutual_tls_ = false;
  ProcessEnv env_;
  int http_port_ = 0;
  std::string grpc_address_;
  std::unique_ptr<Process> process_;
  std::optional<ProcessResult> stopped_;
};

// One more `giia serve auth` on the database, Redis prefix, NATS and JWT
// secret of `auth`, with ports of its own: a second replica. Ready when
// constructed.
class AuthReplica {
 public:
  explicit AuthReplica(AuthServer& auth, const ProcessEnv& extra_env = {});
  ~AuthReplica();

  const std::string& grpc_address() const { return grpc_address_; }
  int http_port() const { return http_port_; }
  int pid() const { return process_->pid(); }
  HttpReply Get(const std::string& path, const std::string& token);
  HttpReply Delete(const std::string& path, const std::string& token);
  // `signal` and the exit; the log is in the result.
  ProcessResult Stop(int signal = 15);

 private:
  ProcessEnv env_;
  int http_port_;
  std::string grpc_address_;
  std::unique_ptr<Process> process_;
  std::optional<ProcessResult> stopped_;
};

inline constexpr const char* kPassword = "correct horse battery";

}  // namespace giia::testing
