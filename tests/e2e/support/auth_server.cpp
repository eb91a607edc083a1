#include "e2e/support/auth_server.hpp"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "support/poll.hpp"

namespace giia::testing {

Served ServeOnFreePorts(const std::string& service, ProcessEnv& env,
                        const std::function<bool(int http_port)>& ready) {
  std::string log;
  for (int attempt = 0; attempt < 5; ++attempt) {
    Served served;
    served.http_port = FreePort();
    served.grpc_port = FreePort();
    env["HTTP_PORT"] = std::to_string(served.http_port);
    env["GRPC_PORT"] = std::to_string(served.grpc_port);
    served.process = std::make_unique<Process>(std::vector<std::string>{"serve", service}, env);
    bool is_ready = false;
    Eventually(
        [&] {
          if (served.process->Ended()) return true;
          is_ready = ready(served.http_port);
          return is_ready;
        },
        std::chrono::seconds(60));
    if (is_ready) return served;
    log = served.process->Stop(9).err;
    if (log.find("taken or not allowed") == std::string::npos) break;
  }
  FAIL("giia serve " << service << " did not become ready: " << log);
  return {};
}

bool ReadyOverHttp(int http_port) {
  httplib::Client client("127.0.0.1", http_port);
  client.set_connection_timeout(std::chrono::milliseconds(200));
  auto res = client.Get("/health/ready");
  return res && res->status == 200;
}

namespace {
// TLS clients write with write(): a server that hangs up must not kill the tests.
const bool kIgnoreSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string RandomHex(int bytes) {
  std::random_device rd;
  std::string out;
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < bytes; ++i) {
    const unsigned v = rd() & 0xff;
    out += hex[v >> 4];
    out += hex[v & 15];
  }
  return out;
}
}  // namespace

AuthServer::AuthServer(AuthServerOptions options) {
  if (options.own_redis) redis_ = std::make_unique<RedisServer>();
  if (options.tls || options.mutual_tls) {
    tls_dir_ = (std::filesystem::temp_directory_path() / ("giia-tls-" + RandomHex(8))).string();
    std::filesystem::create_directories(tls_dir_);
    // Self-signed, for 127.0.0.1; it is also the client certificate and its CA.
    ProcessResult made = Process("/usr/bin/openssl",
                                 {"req", "-x509", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                                  "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                  "-keyout", tls_dir_ + "/key.pem", "-out", tls_dir_ + "/cert.pem"},
                                 {}, "")
                             .Wait();
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    mutual_tls_ = options.mutual_tls;
  }
  mail_dir_ = (std::filesystem::temp_directory_path() / ("giia-mail-" + RandomHex(8))).string();
  std::string database_url = db_.url();
  if (options.database_proxy) {
    const auto at = database_url.rfind('@');
    const auto colon = database_url.find(':', at);
    const auto slash = database_url.find('/', colon);
    proxy_ = std::make_unique<TcpProxy>(
        "127.0.0.1", std::stoi(database_url.substr(colon + 1, slash - colon - 1)));
    database_url = WithPort(database_url, proxy_->port());
  }
  if (options.database_port != 0) database_url = WithPort(database_url, options.database_port);
  if (options.database_password_in_query) {
    const auto authority = database_url.find("://") + 3;
    const auto at = database_url.rfind('@');
    const auto colon = database_url.find(':', authority);
    REQUIRE(colon < at);
    const std::string password = database_url.substr(colon + 1, at - colon - 1);
    database_url = database_url.substr(0, colon) + database_url.substr(at);
    database_url += (database_url.find('?') == std::string::npos ? "?" : "&");
    database_url += "password=" + password;
  }
  env_ = {{"DATABASE_URL", database_url},
          {"REDIS_URL", redis_ ? redis_->url() : TestRedisUrl()},
          {"REDIS_KEY_PREFIX", UniqueRedisPrefix()},
          {"NATS_URL", nats_.url()},
          {"JWT_SECRET", "test-secret-" + RandomHex(16)},
          {"EMAIL_PROVIDER", "file"},
          {"EMAIL_FILE_DIR", mail_dir_},
          {"PASSWORD_HASH_MEMORY_KIB", "8"},
          {"PASSWORD_HASH_ITERATIONS", "1"},
          {"HTTP_HOST", "127.0.0.1"},
          {"GRPC_HOST", "127.0.0.1"},
          {"RATE_LIMIT_ENABLED", "false"},
          {"SHUTDOWN_TIMEOUT", "20s"},
          {"LOG_FORMAT", "text"}};
  if (!tls_dir_.empty()) {
    env_["TLS_CERT_FILE"] = tls_dir_ + "/cert.pem";
    env_["TLS_KEY_FILE"] = tls_dir_ + "/key.pem";
    if (mutual_tls_) env_["TLS_CLIENT_CA_FILE"] = tls_dir_ + "/cert.pem";
  }
  for (const auto& [k, v] : options.extra_env) env_[k] = v;
  ProcessResult migrated = RunGiia({"migrate", "up", "--service", "auth"}, env_);
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
  ProcessResult seeded = RunGiia({"seed-roles"}, env_);
  INFO(seeded.err);
  REQUIRE(seeded.exit_code == 0);
  Served served = ServeOnFreePorts("auth", env_, [this](int http_port) {
    http_port_ = http_port;
    auto client = Client();
    client->set_connection_timeout(std::chrono::milliseconds(200));
    auto res = client->Get("/health/ready");
    return res && res->status == 200;
  });
  process_ = std::move(served.process);
  grpc_address_ = "127.0.0.1:" + std::to_string(served.grpc_port);
}

AuthServer::~AuthServer() {
  if (process_ && !stopped_) process_->End();
  std::error_code ec;
  std::filesystem::remove_all(mail_dir_, ec);
  if (!tls_dir_.empty()) std::filesystem::remove_all(tls_dir_, ec);
}

std::unique_ptr<httplib::Client> AuthServer::Client(bool client_certificate) {
  if (tls_dir_.empty()) return std::make_unique<httplib::Client>("127.0.0.1", http_port_);
  const std::string url = "https://127.0.0.1:" + std::to_string(http_port_);
  auto client =
      mutual_tls_ && client_certificate
          ? std::make_unique<httplib::Client>(url, tls_dir_ + "/cert.pem", tls_dir_ + "/key.pem")
          : std::make_unique<httplib::Client>(url);
  client->set_ca_cert_path(tls_dir_ + "/cert.pem");
  client->enable_server_certificate_verification(true);
  return client;
}

std::shared_ptr<grpc::ChannelCredentials> AuthServer::Credentials(bool client_certificate) {
  if (tls_dir_.empty()) return grpc::InsecureChannelCredentials();
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read(tls_dir_ + "/cert.pem");
  if (mutual_tls_ && client_certificate) {
    ssl.pem_private_key = read(tls_dir_ + "/key.pem");
    ssl.pem_cert_chain = read(tls_dir_ + "/cert.pem");
  }
  return grpc::SslCredentials(ssl);
}

bool AuthServer::WaitReady(std::chrono::milliseconds timeout) {
  auto client = Client();
  client->set_connection_timeout(std::chrono::milliseconds(200));
  // A server that is starting: nothing to wait on but the port.
  return Eventually(
      [&] {
        auto res = client->Get("/health/ready");
        return res && res->status == 200;
      },
      timeout);
}

ProcessResult AuthServer::Stop(int signal) {
  if (!stopped_) stopped_ = process_->Stop(signal);
  return *stopped_;
}

HttpReply ToReply(const httplib::Result& res) {
  HttpReply r;
  if (!res) {
    r.raw = "no response: " + httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.raw = res->body;
  r.request_id = res->get_header_value("X-Request-Id");
  r.body = nlohmann::json::parse(res->body, nullptr, false);
  return r;
}

namespace {
httplib::Headers Auth(const std::string& token) {
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  return h;
}
}  // namespace

HttpReply AuthServer::Get(const std::string& path, const std::string& token) {
  return ToReply(Client()->Get(path, Auth(token)));
}

HttpReply AuthServer::Post(const std::string& path, const nlohmann::json& body,
                           const std::string& token) {
  return ToReply(Client()->Post(path, Auth(token), body.dump(), "application/json"));
}

HttpReply AuthServer::Delete(const std::string& path, const std::string& token) {
  return ToReply(Client()->Delete(path, Auth(token)));
}

std::unique_ptr<giia::auth::v1::AuthService::Stub> AuthServer::Stub() {
  return giia::auth::v1::AuthService::NewStub(grpc::CreateChannel(grpc_address_, Credentials()));
}

std::string AuthServer::VerificationToken(const std::string& email,
                                          std::chrono::milliseconds timeout) {
  std::string token;
  // The e-mail goes through the outbox, JetStream and a consumer into a file.
  const bool arrived = Eventually(
      [&] {
        std::string newest_name;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(mail_dir_, ec)) {
          const std::string name = entry.path().filename().string();
          if (entry.path().extension() != ".json" || name.front() == '.') continue;
          std::ifstream in(entry.path());
          auto doc = nlohmann::json::parse(in, nullptr, false);
          if (doc.is_discarded() || doc.value("to", "") != email) continue;
          if (name > newest_name) {
            newest_name = name;
            token = doc.value("token", "");
          }
        }
        return !token.empty();
      },
      timeout);
  if (!arrived) FAIL("no verification e-mail to " << email);
  return token;
}

nlohmann::json AuthServer::RegisterAdmin(const std::string& email,
                                         const std::string& organization) {
  HttpReply reg = Post("/api/v1/auth/register", {{"email", email},
                                                 {"password", kPassword},
                                                 {"first_name", "Ada"},
                                                 {"organization_name", organization}});
  INFO(reg.raw);
  REQUIRE(reg.status == 201);
  HttpReply verified = Post("/api/v1/auth/verify-email", {{"token", VerificationToken(email)}});
  INFO(verified.raw);
  REQUIRE(verified.status == 200);
  HttpReply login = Post("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
  INFO(login.raw);
  REQUIRE(login.status == 200);
  return login.body;
}

nlohmann::json AuthServer::CreateAndLogin(const std::string& admin_token, const std::string& email,
                                          const std::string& role) {
  HttpReply created = Post(
      "/api/v1/users", {{"email", email}, {"password", kPassword}, {"roles", {role}}}, admin_token);
  INFO(created.raw);
  REQUIRE(created.status == 201);
  HttpReply login = Post("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
  INFO(login.raw);
  REQUIRE(login.status == 200);
  return login.body;
}

AuthReplica::AuthReplica(AuthServer& auth, const ProcessEnv& extra_env) : env_(auth.env()) {
  for (const auto& [k, v] : extra_env) env_[k] = v;
  Served served = ServeOnFreePorts("auth", env_, ReadyOverHttp);
  process_ = std::move(served.process);
  http_port_ = served.http_port;
  grpc_address_ = "127.0.0.1:" + std::to_string(served.grpc_port);
}

AuthReplica::~AuthReplica() {
  if (process_ && !stopped_) {
    ::kill(process_->pid(), SIGCONT);  // a test may have stopped it
    process_->End();
  }
}

HttpReply AuthReplica::Get(const std::string& path, const std::string& token) {
  httplib::Client client("127.0.0.1", http_port_);
  return ToReply(client.Get(path, {{"Authorization", "Bearer " + token}}));
}

HttpReply AuthReplica::Delete(const std::string& path, const std::string& token) {
  httplib::Client client("127.0.0.1", http_port_);
  return ToReply(client.Delete(path, {{"Authorization", "Bearer " + token}}));
}

ProcessResult AuthReplica::Stop(int signal) {
  if (!stopped_) stopped_ = process_->Stop(signal);
  return *stopped_;
}

}  // namespace giia::testing
