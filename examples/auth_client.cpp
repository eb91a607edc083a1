// An integrator's client of giia's auth service: what a service that trusts
// giia for identity and permissions does, written against the generated gRPC
// stubs of proto/ only (and cpp-httplib + nlohmann_json for the REST login).
//
//   auth_client --addr HOST:PORT [--ca FILE] [--http URL] --email E --password P
//
// Every flag can come from the environment instead: GIIA_AUTH_ADDR,
// GIIA_CA_FILE, GIIA_AUTH_HTTP, GIIA_EMAIL, GIIA_PASSWORD. With --ca the
// channel is TLS and trusts FILE (PEM); without, it is plaintext HTTP/2.
// With --http (http://host:port or https://...) it also logs in over REST.
//
// What it does, printing each step and its answer:
//   1. logs in (REST when --http is given, then gRPC Login);
//   2. ValidateToken on its access token, and on a token that is not one;
//   3. CheckPermission with a bad token: UNAUTHENTICATED, so it refreshes
//      the session (RefreshToken) and tries again;
//   4. CheckPermission and BatchCheckPermissions on its own token, allowed
//      and denied decisions;
//   5. ListUsers, which needs users:read: PERMISSION_DENIED for a user
//      without it, and that is never retried;
//   6. RefreshToken once more (the refresh token rotates).
// Exit code 0 when every step behaved as described, 1 on a usage error, 2
// when auth could not be reached, 3 when a step failed otherwise.

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "giia/auth/v1/auth.grpc.pb.h"

namespace pb = giia::auth::v1;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string addr;
  std::string ca_file;
  std::string http_url;
  std::string email;
  std::string password;
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void Usage() {
  std::cerr << "usage: auth_client --addr HOST:PORT [--ca FILE] [--http URL] --email E "
               "--password P\n"
               "  (or GIIA_AUTH_ADDR, GIIA_CA_FILE, GIIA_AUTH_HTTP, GIIA_EMAIL, GIIA_PASSWORD)\n";
}

bool ParseArgs(int argc, char** argv, Options& o) {
  o.addr = Env("GIIA_AUTH_ADDR");
  o.ca_file = Env("GIIA_CA_FILE");
  o.http_url = Env("GIIA_AUTH_HTTP");
  o.email = Env("GIIA_EMAIL");
  o.password = Env("GIIA_PASSWORD");
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return false;
    if (i + 1 >= argc) {
      std::cerr << "auth_client: " << flag << " needs a value\n";
      return false;
    }
    const std::string value = argv[++i];
    if (flag == "--addr") {
      o.addr = value;
    } else if (flag == "--ca") {
      o.ca_file = value;
    } else if (flag == "--http") {
      o.http_url = value;
    } else if (flag == "--email") {
      o.email = value;
    } else if (flag == "--password") {
      o.password = value;
    } else {
      std::cerr << "auth_client: unknown flag " << flag << "\n";
      return false;
    }
  }
  if (o.addr.empty() || o.email.empty() || o.password.empty()) {
    std::cerr << "auth_client: --addr, --email and --password are required\n";
    return false;
  }
  return true;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ABORTED: return "ABORTED";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::INTERNAL: return "INTERNAL";
    default: return "code " + std::to_string(static_cast<int>(code));
  }
}

std::string Describe(const grpc::Status& s) {
  if (s.ok()) return "OK";
  return CodeName(s.error_code()) + " (" + s.error_message() + ")";
}

// Exponential backoff with full jitter: a random wait in [0, base * 2^attempt],
// capped, so that many clients retrying at once spread out.
std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds base) {
  static std::mt19937 rng{std::random_device{}()};
  const auto cap = std::min<std::int64_t>(base.count() << attempt, 5000);
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(cap / 2, cap)(rng));
}

// One call with the handling every caller of giia needs. `call` runs the RPC
// on the context it is given (a fresh one per attempt, each with its own
// deadline). Only UNAVAILABLE, RESOURCE_EXHAUSTED and (for calls that change
// nothing) DEADLINE_EXCEEDED are retried here; everything else goes back to
// the caller, who knows what it means for its flow:
//   UNAUTHENTICATED    the token is missing, expired or revoked: refresh the
//                      session (RefreshToken), or log in again if that fails;
//   PERMISSION_DENIED  the caller lacks the permission: retrying cannot help;
//   RESOURCE_EXHAUSTED a rate limit or a full password-hashing queue: wait
//                      (as long as the server says, when it says) and retry;
//   UNAVAILABLE        auth or its database is down or restarting: retry
//                      with backoff; giia answers it only where no state
//                      changed, so even a Login may be retried.
grpc::Status Call(const std::string& what, bool read_only,
                  const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  constexpr int kAttempts = 4;
  grpc::Status status;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    status = call(ctx);
    const bool last = attempt + 1 == kAttempts;
    std::chrono::milliseconds wait{0};
    switch (status.error_code()) {
      case grpc::UNAVAILABLE: wait = Backoff(attempt, 100ms); break;
      case grpc::RESOURCE_EXHAUSTED: {
        // A `retry-after` (seconds) in the trailers is honoured; giia sends
        // none today, so the fallback is a longer backoff than UNAVAILABLE's.
        const auto& trailers = ctx.GetServerTrailingMetadata();
        const auto it = trailers.find("retry-after");
        wait = it != trailers.end()
                   ? std::chrono::seconds(
                         std::atoi(std::string(it->second.data(), it->second.size()).c_str()))
                   : Backoff(attempt, 500ms);
        break;
      }
      case grpc::DEADLINE_EXCEEDED:
        if (!read_only) return status;  // it may have happened: find out before repeating it
        wait = Backoff(attempt, 100ms);
        break;
      default: return status;  // OK, or an answer that retrying does not change
    }
    if (last) break;
    std::cout << "  " << what << ": " << Describe(status) << ", retrying in " << wait.count()
              << " ms\n";
    std::this_thread::sleep_for(wait);
  }
  return status;
}

class Session {
 public:
  explicit Session(std::shared_ptr<grpc::Channel> channel)
      : stub_(pb::AuthService::NewStub(std::move(channel))) {}

  pb::AuthService::Stub& stub() { return *stub_; }
  const std::string& access_token() const { return access_; }
  void set_access_token(std::string t) { access_ = std::move(t); }

  grpc::Status Login(const std::string& email, const std::string& password,
                     pb::LoginResponse& out) {
    pb::LoginRequest req;
    req.set_email(email);
    req.set_password(password);
    grpc::Status s = Call("Login", false,
                          [&](grpc::ClientContext& ctx) { return stub_->Login(&ctx, req, &out); });
    if (s.ok()) Keep(out.tokens());
    return s;
  }

  grpc::Status Refresh() {
    pb::RefreshTokenRequest req;
    req.set_refresh_token(refresh_);
    pb::RefreshTokenResponse resp;
    // Not retried after a lost answer: the server accepts the same refresh
    // token once more within 30 s, but a third use would revoke the session.
    grpc::Status s = Call("RefreshToken", false, [&](grpc::ClientContext& ctx) {
      return stub_->RefreshToken(&ctx, req, &resp);
    });
    if (s.ok()) Keep(resp.tokens());
    return s;
  }

  // Adds the bearer token to a call's metadata.
  void Authorize(grpc::ClientContext& ctx) const {
    ctx.AddMetadata("authorization", "Bearer " + access_);
  }

  const std::string& refresh_token() const { return refresh_; }

 private:
  void Keep(const pb::TokenPair& pair) {
    access_ = pair.access_token();
    refresh_ = pair.refresh_token();
  }

  std::unique_ptr<pb::AuthService::Stub> stub_;
  std::string access_;
  std::string refresh_;
};

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out.empty() ? "(none)" : out;
}

// REST login: POST /api/v1/auth/login, as a browser or a script would.
bool RestLogin(const Options& o) {
  httplib::Client http(o.http_url);
  if (!o.ca_file.empty()) {
    http.set_ca_cert_path(o.ca_file.c_str());
    http.enable_server_certificate_verification(true);
  }
  http.set_connection_timeout(5s);
  const nlohmann::json body = {{"email", o.email}, {"password", o.password}};
  auto res = http.Post("/api/v1/auth/login", body.dump(), "application/json");
  if (!res) {
    std::cout << "[rest] POST /api/v1/auth/login: no answer (" << httplib::to_string(res.error())
              << ")\n";
    return false;
  }
  const auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || doc.is_discarded()) {
    std::cout << "[rest] POST /api/v1/auth/login: HTTP " << res->status << " " << res->body << "\n";
    return false;
  }
  std::cout << "[rest] POST /api/v1/auth/login: HTTP 200, token_type "
            << doc.value("token_type", "") << ", access token of "
            << doc.value("access_token", "").size() << " bytes\n";
  return true;
}

int Run(const Options& o) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (o.ca_file.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(o.ca_file);
    creds = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateChannel(o.addr, creds);
  std::cout << "[connect] " << o.addr << (o.ca_file.empty() ? " (plaintext)" : " (TLS)") << "\n";
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + 10s)) {
    std::cout << "[connect] UNAVAILABLE: " << o.addr << " did not answer within 10 s\n";
    return 2;
  }
  if (!o.http_url.empty() && !RestLogin(o)) return 3;

  Session session(channel);
  pb::LoginResponse login;
  grpc::Status s = session.Login(o.email, o.password, login);
  if (!s.ok()) {
    // UNAUTHENTICATED here is a wrong e-mail or password (or a locked
    // account: giia answers all three alike); asking again will not help.
    std::cout << "[login] Login " << o.email << ": " << Describe(s) << "\n";
    return s.error_code() == grpc::UNAVAILABLE ? 2 : 3;
  }
  std::cout << "[login] Login " << o.email << ": OK, user " << login.user().id() << ", roles "
            << Join(login.user().roles()) << "\n";

  // ValidateToken is public: a bad token is an answer (valid false), not an error.
  auto validate = [&](const std::string& label, const std::string& token) {
    pb::ValidateTokenRequest req;
    req.set_token(token);
    pb::ValidateTokenResponse resp;
    grpc::Status vs = Call("ValidateToken", true, [&](grpc::ClientContext& ctx) {
      return session.stub().ValidateToken(&ctx, req, &resp);
    });
    if (!vs.ok()) {
      std::cout << "[validate] " << label << ": " << Describe(vs) << "\n";
      return false;
    }
    if (resp.valid()) {
      std::cout << "[validate] " << label << ": valid, user " << resp.user().email()
                << ", organization " << resp.organization().id() << ", roles " << Join(resp.roles())
                << "\n";
    } else {
      std::cout << "[validate] " << label << ": not valid: " << resp.error() << "\n";
    }
    return resp.valid();
  };
  if (!validate("ValidateToken(access token)", session.access_token())) return 3;
  if (validate("ValidateToken(\"not-a-token\")", "not-a-token")) return 3;

  auto check = [&](const std::string& permission, pb::CheckPermissionResponse& resp) {
    pb::CheckPermissionRequest req;
    req.set_permission(permission);
    return Call("CheckPermission", true, [&](grpc::ClientContext& ctx) {
      session.Authorize(ctx);
      return session.stub().CheckPermission(&ctx, req, &resp);
    });
  };

  // A bad token on purpose: UNAUTHENTICATED, which a caller answers by
  // refreshing its session and trying once more.
  {
    const std::string good = session.access_token();
    session.set_access_token(good + "x");  // a broken signature
    pb::CheckPermissionResponse resp;
    s = check("catalog:read", resp);
    std::cout << "[unauthenticated] CheckPermission(catalog:read) with a bad token: " << Describe(s)
              << "\n";
    if (s.error_code() != grpc::UNAUTHENTICATED) return 3;
    std::cout << "[unauthenticated] -> refreshing the session (RefreshToken) and trying again\n";
    grpc::Status r = session.Refresh();
    if (!r.ok()) {
      // The refresh token was revoked or expired as well: log in again.
      std::cout << "[unauthenticated] RefreshToken: " << Describe(r) << " -> logging in again\n";
      if (!session.Login(o.email, o.password, login).ok()) return 3;
    } else {
      std::cout << "[unauthenticated] RefreshToken: OK, new access token\n";
    }
    s = check("catalog:read", resp);
    std::cout << "[unauthenticated] CheckPermission(catalog:read) again: " << Describe(s) << "\n";
    if (!s.ok()) return 3;
  }

  // Decisions: allowed or denied is an answer, not an error.
  for (const std::string permission : {"catalog:read", "catalog:write"}) {
    pb::CheckPermissionResponse resp;
    s = check(permission, resp);
    if (!s.ok()) {
      std::cout << "[check] CheckPermission(" << permission << "): " << Describe(s) << "\n";
      return 3;
    }
    std::cout << "[check] CheckPermission(" << permission
              << "): " << (resp.allowed() ? "allowed" : "denied") << " (" << resp.reason() << ")\n";
  }

  {
    pb::BatchCheckPermissionsRequest req;
    for (const char* p : {"catalog:read", "catalog:write", "orders:read", "users:read"}) {
      req.add_permissions(p);
    }
    pb::BatchCheckPermissionsResponse resp;
    s = Call("BatchCheckPermissions", true, [&](grpc::ClientContext& ctx) {
      session.Authorize(ctx);
      return session.stub().BatchCheckPermissions(&ctx, req, &resp);
    });
    std::cout << "[batch] BatchCheckPermissions: " << Describe(s) << "\n";
    if (!s.ok()) return 3;
    for (const auto& d : resp.results()) {
      std::cout << "[batch]   " << d.permission() << ": " << (d.allowed() ? "allowed" : "denied")
                << " (" << d.reason() << ")\n";
    }
  }

  // A method the caller may not call: PERMISSION_DENIED is final.
  {
    pb::ListUsersRequest req;
    req.set_page_size(5);
    pb::ListUsersResponse resp;
    s = Call("ListUsers", true, [&](grpc::ClientContext& ctx) {
      session.Authorize(ctx);
      return session.stub().ListUsers(&ctx, req, &resp);
    });
    if (s.error_code() == grpc::PERMISSION_DENIED) {
      std::cout << "[denied] ListUsers: " << Describe(s)
                << " -> not retried: the caller lacks users:read\n";
    } else if (s.ok()) {
      std::cout << "[denied] ListUsers: OK, " << resp.total()
                << " users (this user holds users:read)\n";
    } else {
      std::cout << "[denied] ListUsers: " << Describe(s) << "\n";
      return 3;
    }
  }

  {
    const std::string before = session.refresh_token();
    s = session.Refresh();
    std::cout << "[refresh] RefreshToken: " << Describe(s)
              << (s.ok() && session.refresh_token() != before ? ", refresh token rotated" : "")
              << "\n";
    if (!s.ok()) return 3;
    if (!validate("ValidateToken(refreshed access token)", session.access_token())) return 3;
  }
  std::cout << "auth_client: done\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    Usage();
    return 1;
  }
  try {
    return Run(options);
  } catch (const std::exception& e) {
    std::cerr << "auth_client: " << e.what() << "\n";
    return 1;
  }
}
