// `giia serve auth` as a process, driven over REST and gRPC like its users
// do, against real PostgreSQL, Redis and NATS.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <nats/nats.h>
#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "core/auth/access.hpp"
#include "e2e/support/auth_server.hpp"
#include "support/counter.hpp"
#include "support/poll.hpp"

namespace pb = giia::auth::v1;
using giia::testing::AuthServer;
using giia::testing::HttpReply;
using giia::testing::kPassword;
using giia::testing::ProcessResult;
using nlohmann::json;

namespace {

struct Rpc {
  std::unique_ptr<grpc::ClientContext> ctx = std::make_unique<grpc::ClientContext>();
  explicit Rpc(const std::string& token = "") {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  }
};

std::string Scalar(AuthServer& s, const std::string& sql) {
  return giia::testing::Scalar(s.db().sql(), sql);
}

// Counts the messages published on `subject` (a core NATS subscription sees
// what JetStream stores).
class NatsWatch {
 public:
  NatsWatch(const std::string& url, const std::string& subject,
            giia::testing::EventCounter& counter) {
    REQUIRE(natsConnection_ConnectTo(&nc_, url.c_str()) == NATS_OK);
    REQUIRE(natsConnection_Subscribe(
                &sub_, nc_, subject.c_str(),
                [](natsConnection*, natsSubscription*, natsMsg* msg, void* c) {
                  static_cast<giia::testing::EventCounter*>(c)->Bump();
                  natsMsg_Destroy(msg);
                },
                &counter) == NATS_OK);
    REQUIRE(natsConnection_Flush(nc_) == NATS_OK);
  }
  ~NatsWatch() {
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }

 private:
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

std::string B64Url(const std::string& in) {
  std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()),
                    in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace

TEST_CASE("The auth journey: register, e-mail, verify, login, validate, check, refresh, logout",
          "[auth]") {
  AuthServer server;
  giia::testing::EventCounter published;
  NatsWatch watch(server.env().at("NATS_URL"), "auth.>", published);
  HttpReply reg = server.Post("/api/v1/auth/register", {{"email", "Ada@Example.com"},
                                                        {"password", kPassword},
                                                        {"first_name", "Ada"},
                                                        {"organization_name", "Acme Corp"}});
  INFO(reg.raw);
  REQUIRE(reg.status == 201);
  CHECK(reg.body["user"]["status"] == "pending");
  CHECK(reg.body["user"]["roles"] == json({"Admin"}));
  CHECK(reg.body["organization"]["slug"] == "acme-corp");
  CHECK_FALSE(reg.request_id.empty());
  // The event carries the request that caused it, for tracing consumers' work.
  CHECK(Scalar(server,
               "SELECT payload->>'requestid' FROM auth.outbox"
               " WHERE event_type = 'user.registered'") == reg.request_id);

  // Pending users cannot log in yet.
  HttpReply early =
      server.Post("/api/v1/auth/login", {{"email", "ada@example.com"}, {"password", kPassword}});
  CHECK(early.status == 400);
  CHECK(early.body["error"]["code"] == "FAILED_PRECONDITION");

  const std::string token = server.VerificationToken("ada@example.com");
  HttpReply verified = server.Get("/api/v1/auth/verify-email?token=" + token);
  INFO(verified.raw);
  REQUIRE(verified.status == 200);
  CHECK(verified.body["user"]["status"] == "active");
  // A verification token works once.
  CHECK(server.Post("/api/v1/auth/verify-email", {{"token", token}}).status == 400);

  HttpReply login =
      server.Post("/api/v1/auth/login", {{"email", "ada@example.com"}, {"password", kPassword}});
  INFO(login.raw);
  REQUIRE(login.status == 200);
  const std::string access = login.body["access_token"];
  const std::string refresh1 = login.body["refresh_token"];

  auto stub = server.Stub();
  {
    Rpc rpc;
    pb::ValidateTokenRequest req;
    req.set_token(access);
    pb::ValidateTokenResponse res;
    REQUIRE(stub->ValidateToken(rpc.ctx.get(), req, &res).ok());
    CHECK(res.valid());
    CHECK(res.user().email() == "ada@example.com");
    CHECK(res.roles_size() == 1);
    CHECK(res.expires_at().seconds() > 0);
  }
  {
    Rpc rpc;
    pb::ValidateTokenRequest req;
    req.set_token(access + "x");
    pb::ValidateTokenResponse res;
    REQUIRE(stub->ValidateToken(rpc.ctx.get(), req, &res).ok());
    CHECK_FALSE(res.valid());
    CHECK_FALSE(res.error().empty());
  }
  {
    Rpc rpc(access);
    pb::BatchCheckPermissionsRequest req;
    req.add_permissions("catalog:write");
    req.add_permissions("users:write");
    pb::BatchCheckPermissionsResponse res;
    REQUIRE(stub->BatchCheckPermissions(rpc.ctx.get(), req, &res).ok());
    REQUIRE(res.results_size() == 2);
    CHECK(res.results(0).allowed());
    CHECK(res.results(1).allowed());
  }

  // Roles behave as seeded: a Viewer may catalog:read, not catalog:write.
  json viewer = server.CreateAndLogin(access, "vic@example.com", "Viewer");
  for (auto [permission, allowed] :
       {std::pair{"catalog:read", true}, std::pair{"catalog:write", false}}) {
    Rpc rpc(viewer["access_token"]);
    pb::CheckPermissionRequest req;
    req.set_permission(permission);
    pb::CheckPermissionResponse res;
    REQUIRE(stub->CheckPermission(rpc.ctx.get(), req, &res).ok());
    CHECK(res.allowed() == allowed);
    CHECK_FALSE(res.reason().empty());
  }

  // Refresh: rotation, the grace for the immediate predecessor, reuse revokes the family.
  HttpReply r2 = server.Post("/api/v1/auth/refresh", {{"refresh_token", refresh1}});
  REQUIRE(r2.status == 200);
  const std::string refresh2 = r2.body["refresh_token"];
  CHECK(refresh2 != refresh1);
  HttpReply retried = server.Post("/api/v1/auth/refresh", {{"refresh_token", refresh1}});
  REQUIRE(retried.status == 200);  // a client that lost the response retries once
  const std::string refresh3 = retried.body["refresh_token"];
  HttpReply reused = server.Post("/api/v1/auth/refresh", {{"refresh_token", refresh1}});
  CHECK(reused.status == 401);
  CHECK(server.Post("/api/v1/auth/refresh", {{"refresh_token", refresh3}}).status == 401);
  CHECK(server.Post("/api/v1/auth/refresh", {{"refresh_token", refresh2}}).status == 401);
  CHECK(Scalar(server, "SELECT count(*) FROM auth.refresh_tokens WHERE revoked_reason = 'reuse'") ==
        "3");
  // Reuse also ends the access tokens minted from the stolen chain (and the
  // user's others: the token version moved), here and, by its event, at
  // every service that verifies tokens.
  for (const std::string& minted :
       {access, std::string(r2.body["access_token"]), std::string(retried.body["access_token"])}) {
    CHECK(server.Get("/api/v1/users/me", minted).status == 401);
  }
  CHECK(Scalar(server,
               "SELECT count(*) FROM auth.outbox WHERE event_type = 'user.sessions_revoked'") ==
        "1");

  // Logout of everything: the access token stops working at once.
  HttpReply again =
      server.Post("/api/v1/auth/login", {{"email", "ada@example.com"}, {"password", kPassword}});
  REQUIRE(again.status == 200);
  const std::string access2 = again.body["access_token"];
  CHECK(server.Get("/api/v1/users/me", access2).status == 200);
  CHECK(server.Post("/api/v1/auth/logout", json::object(), access2).status == 204);
  HttpReply after = server.Get("/api/v1/users/me", access2);
  CHECK(after.status == 401);
  CHECK(after.body["error"]["code"] == "UNAUTHENTICATED");

  // The events went out: user.registered, user.verified, role.assigned, and
  // user.sessions_revoked for the reuse and the logout.
  CHECK(published.WaitFor(5, std::chrono::seconds(20)));

  // The service's metrics: the ecosystem's names, and promtool accepts them.
  HttpReply metrics = server.Get("/metrics");
  CHECK(metrics.status == 200);
  for (const char* name : {"grpc_server_started_total{", "grpc_server_handled_total{",
                           "grpc_server_handling_seconds_bucket{", "http_requests_total{",
                           "http_request_duration_seconds_bucket{",
                           "process_resident_memory_bytes ", "giia_permission_cache_hits_total ",
                           "giia_audit_entries_written_total ", "giia_outbox_pending"}) {
    CHECK_THAT(metrics.raw, Catch::Contains(name));
  }
  CHECK_THAT(metrics.raw, Catch::Contains("grpc_code=\"OK\""));
  ProcessResult promtool =
      giia::testing::Process("/usr/bin/promtool", {"check", "metrics"}, {}, metrics.raw).Wait();
  INFO(promtool.out << promtool.err);
  CHECK(promtool.exit_code == 0);

  ProcessResult stopped = server.Stop();
  CHECK(stopped.exit_code == 0);
  // Stopped gracefully: the audit queue is written.
  CHECK(Scalar(server, "SELECT count(*) > 0 FROM auth.audit_logs WHERE action = 'login'") == "t");
  // No secret in any log line.
  for (const std::string& secret :
       {std::string(kPassword), access, refresh1, token, server.env().at("JWT_SECRET")}) {
    CHECK(stopped.err.find(secret) == std::string::npos);
    CHECK(stopped.out.find(secret) == std::string::npos);
  }
}

TEST_CASE("Every route answers bad input, no token, denial and other tenants as it should",
          "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("ann@a.example", "Org A");
  json other = server.RegisterAdmin("bob@b.example", "Org B");
  const std::string a = admin["access_token"];
  const std::string b_user = other["user"]["id"];
  json viewer = server.CreateAndLogin(a, "val@a.example", "Viewer");
  const std::string v = viewer["access_token"];

  // Bad input names the field and changes nothing.
  HttpReply bad =
      server.Post("/api/v1/auth/register",
                  {{"email", "not-an-email"}, {"password", kPassword}, {"organization_name", "X"}});
  CHECK(bad.status == 400);
  CHECK(bad.body["error"]["field"] == "email");
  CHECK(bad.body["error"]["request_id"] == bad.request_id);
  HttpReply weak =
      server.Post("/api/v1/auth/register",
                  {{"email", "c@c.example"}, {"password", "short"}, {"organization_name", "X"}});
  CHECK(weak.body["error"]["field"] == "password");
  CHECK(server
            .Post("/api/v1/users",
                  {{"email", "x@a.example"}, {"password", kPassword}, {"roles", {"NoSuchRole"}}}, a)
            .body["error"]["field"] == "roles[0]");
  CHECK(Scalar(server, "SELECT count(*) FROM auth.users WHERE email = 'x@a.example'") == "0");
  HttpReply junk = server.Post("/api/v1/auth/login", json::array());
  CHECK(junk.status == 400);
  CHECK(junk.body["error"]["field"] == "body");
  CHECK(server.Get("/api/v1/users?page_size=500", a).body["error"]["field"] == "page_size");

  // A value of the wrong type, on every route that reads a body, is refused
  // naming the field: never coerced, and nothing changes.
  struct WrongType {
    std::string path;
    json body;
    std::string field;
    std::string token;
  };
  const std::string me = admin["user"]["id"];
  const json reg = {{"email", "w@w.example"}, {"password", kPassword}, {"organization_name", "W"}};
  const auto with = [](json body, const std::string& key, json value) {
    body[key] = std::move(value);
    return body;
  };
  const json user = {{"email", "w@a.example"}, {"password", kPassword}};
  for (const auto& [path, body, field, token] : std::vector<WrongType>{
           {"/api/v1/auth/register", with(reg, "email", 0), "email", ""},
           {"/api/v1/auth/register", with(reg, "password", 12345678), "password", ""},
           {"/api/v1/auth/register", with(reg, "first_name", json::array({"W"})), "first_name", ""},
           {"/api/v1/auth/register", with(reg, "last_name", false), "last_name", ""},
           {"/api/v1/auth/register", with(reg, "organization_name", 0), "organization_name", ""},
           {"/api/v1/auth/register", with(reg, "organization_slug", json::object({{"s", "w"}})),
            "organization_slug", ""},
           {"/api/v1/auth/verify-email", {{"token", 12345}}, "token", ""},
           {"/api/v1/auth/login",
            {{"email", "ann@a.example"}, {"password", 12345678}},
            "password",
            ""},
           {"/api/v1/auth/login",
            {{"email", json::object({{"$ne", ""}})}, {"password", kPassword}},
            "email",
            ""},
           {"/api/v1/auth/refresh", {{"refresh_token", 1}}, "refresh_token", ""},
           {"/api/v1/auth/logout", {{"refresh_token", json::array()}}, "refresh_token", a},
           {"/api/v1/auth/change-password",
            {{"current_password", kPassword}, {"new_password", 123456789}},
            "new_password",
            a},
           {"/api/v1/auth/change-password",
            {{"current_password", true}, {"new_password", kPassword}},
            "current_password",
            a},
           {"/api/v1/users", with(user, "email", 5), "email", a},
           {"/api/v1/users", with(user, "password", json::array()), "password", a},
           {"/api/v1/users", with(user, "first_name", 1.5), "first_name", a},
           {"/api/v1/users", with(user, "last_name", 0), "last_name", a},
           {"/api/v1/users", with(user, "roles", "Admin"), "roles", a},
           {"/api/v1/users", with(user, "roles", json::object({{"name", "Viewer"}})), "roles", a},
           {"/api/v1/users", with(user, "roles", json::array({1})), "roles[0]", a},
           {"/api/v1/users", with(user, "roles", json::array({"Viewer", json::array({"Admin"})})),
            "roles[1]", a},
           {"/api/v1/users/" + me + "/roles", {{"role", json::array({"Viewer"})}}, "role", a},
           {"/api/v1/users/" + me + "/roles", {{"role", 1}}, "role", a},
       }) {
    HttpReply r = server.Post(path, body, token);
    INFO(path << " " << body.dump() << " -> " << r.raw);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "INVALID_ARGUMENT");
    CHECK(r.body["error"]["field"] == field);
  }
  CHECK(Scalar(server,
               "SELECT count(*) FROM auth.users WHERE email IN ('w@w.example', 'w@a.example')") ==
        "0");
  CHECK(Scalar(server, "SELECT count(*) FROM auth.user_roles WHERE user_id = '" + me + "'") == "1");

  // Unauthenticated, denied.
  CHECK(server.Get("/api/v1/users").status == 401);
  CHECK(server.Get("/api/v1/users", "garbage").status == 401);
  CHECK(server.Get("/api/v1/users", v).status == 403);
  CHECK(
      server.Post("/api/v1/users", {{"email", "y@a.example"}, {"password", kPassword}}, v).status ==
      403);

  // Another organization's user: NOT_FOUND, never data.
  HttpReply foreign = server.Get("/api/v1/users/" + b_user, a);
  CHECK(foreign.status == 404);
  CHECK(foreign.raw.find("bob@b.example") == std::string::npos);
  CHECK(server.Post("/api/v1/users/" + b_user + "/roles", {{"role", "Viewer"}}, a).status == 404);
  auto stub = server.Stub();
  {
    Rpc rpc(a);
    pb::GetUserRequest req;
    req.set_user_id(b_user);
    pb::GetUserResponse res;
    CHECK(stub->GetUser(rpc.ctx.get(), req, &res).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  {
    Rpc rpc(a);
    pb::CheckPermissionRequest req;
    req.set_permission("catalog:read");
    req.set_user_id(b_user);
    pb::CheckPermissionResponse res;
    CHECK(stub->CheckPermission(rpc.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  {
    Rpc rpc;  // no token
    pb::ListUsersRequest req;
    pb::ListUsersResponse res;
    CHECK(stub->ListUsers(rpc.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    Rpc rpc(v);
    pb::ListUsersRequest req;
    pb::ListUsersResponse res;
    CHECK(stub->ListUsers(rpc.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    Rpc rpc(a);
    pb::ListUsersRequest req;
    pb::ListUsersResponse res;
    REQUIRE(stub->ListUsers(rpc.ctx.get(), req, &res).ok());
    CHECK(res.total() == 2);  // ann and val; never bob
  }
  {
    Rpc rpc(a);
    pb::GetUserByEmailRequest req;
    req.set_email("bob@b.example");
    pb::GetUserByEmailResponse res;
    CHECK(stub->GetUserByEmail(rpc.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  {
    Rpc rpc(a);
    pb::AssignRoleRequest req;
    req.set_user_id(viewer["user"]["id"]);
    req.set_role("Analyst");
    pb::AssignRoleResponse res;
    REQUIRE(stub->AssignRole(rpc.ctx.get(), req, &res).ok());
    CHECK(res.user().roles_size() == 2);
  }
  // The role change reached the permission cache: reports:read is now there.
  {
    Rpc rpc(v);
    pb::GetUserPermissionsRequest req;
    pb::GetUserPermissionsResponse res;
    REQUIRE(stub->GetUserPermissions(rpc.ctx.get(), req, &res).ok());
    CHECK(res.roles_size() == 2);
  }
  // Denied checks are audited (the queue is written by the time the server stopped).
  CHECK(server.Stop().exit_code == 0);
  CHECK(Scalar(server,
               "SELECT count(*) > 0 FROM auth.audit_logs WHERE action = 'permission.check'"
               " AND result = 'denied'") == "t");
}

TEST_CASE("Forged, expired and confused tokens are all refused", "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("eve@example.com", "Evil Corp");
  const std::string good = admin["access_token"];
  const auto dot1 = good.find('.');
  const auto dot2 = good.find('.', dot1 + 1);
  const std::string header = good.substr(0, dot1);
  const std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = good.substr(dot2 + 1);
  json claims = json::parse([&] {
    std::string bin(payload.size(), '\0');
    std::size_t len = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), payload.data(),
                      payload.size(), nullptr, &len, nullptr,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    bin.resize(len);
    return bin;
  }());
  auto with = [&](const std::string& key, const json& value) {
    json c = claims;
    c[key] = value;
    return header + "." + B64Url(c.dump()) + "." + signature;
  };
  const std::vector<std::string> forged = {
      B64Url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".",
      B64Url(R"({"alg":"EdDSA","typ":"JWT"})") + "." + payload + "." + signature,
      with("org", "00000000-0000-0000-0000-000000000000"),
      with("exp", 1000),
      with("typ", "refresh"),
      header + "." + payload + "." + B64Url("not the signature at all, no"),
      good.substr(0, good.size() - 2),
      "a.b",
  };
  for (const std::string& token : forged) {
    HttpReply r = server.Get("/api/v1/users/me", token);
    INFO(token);
    CHECK(r.status == 401);
  }
  CHECK(server.Get("/api/v1/users/me", good).status == 200);
}

TEST_CASE("50 parallel wrong passwords lock the account exactly once and an admin unlocks it",
          "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("root@example.com", "Lock Co");
  json target = server.CreateAndLogin(admin["access_token"], "tim@example.com", "Viewer");
  const std::string tim = target["user"]["id"];

  std::vector<std::thread> threads;
  std::atomic<int> unauthenticated{0}, locked{0}, other{0};
  std::mutex mu;
  std::string others;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      HttpReply r = server.Post("/api/v1/auth/login",
                                {{"email", "tim@example.com"}, {"password", "wrong password!"}});
      if (r.status == 401 && r.body["error"]["message"] == "wrong e-mail or password") {
        ++unauthenticated;
      } else {
        std::lock_guard lock(mu);
        ++other;
        others += std::to_string(r.status) + " " + r.raw + "\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  INFO(others);
  // A locked account answers like a wrong password: nothing tells a guesser
  // (or an e-mail prober) that the account exists or is locked.
  CHECK(unauthenticated.load() == 50);
  CHECK(other.load() == 0);
  CHECK(locked.load() == 0);
  // Written in the same request as the refusal.
  CHECK(Scalar(server, "SELECT count(*) FROM auth.outbox WHERE event_type = 'user.locked'") == "1");
  // Locked: even the right password is refused, with the same answer as an
  // unknown e-mail.
  HttpReply right =
      server.Post("/api/v1/auth/login", {{"email", "tim@example.com"}, {"password", kPassword}});
  HttpReply unknown =
      server.Post("/api/v1/auth/login", {{"email", "nobody@example.com"}, {"password", kPassword}});
  CHECK(right.status == 401);
  CHECK(right.status == unknown.status);
  CHECK(right.body["error"]["message"] == unknown.body["error"]["message"]);
  CHECK(right.body["error"]["code"] == unknown.body["error"]["code"]);
  // The lock ended the session Tim had.
  CHECK(server.Get("/api/v1/users/me", target["access_token"]).status == 401);
  CHECK(server.Post("/api/v1/users/" + tim + "/unlock", json::object(), admin["access_token"])
            .status == 204);
  CHECK(server.Post("/api/v1/auth/login", {{"email", "tim@example.com"}, {"password", kPassword}})
            .status == 200);
  // A graceful stop writes the audit queue: then the lock is on record, once.
  CHECK(server.Stop().exit_code == 0);
  CHECK(Scalar(server, "SELECT count(*) FROM auth.audit_logs WHERE action = 'user.locked'") == "1");
  // Every refusal of the locked account is on record as such.
  CHECK(Scalar(server,
               "SELECT count(*) >= 46 FROM auth.audit_logs WHERE action = 'login.failed' AND "
               "metadata->>'reason' = 'locked'") == "t");
}

TEST_CASE("Wrong current passwords count like failed logins and lock the account", "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("root@guess.example", "Guess Co");
  json target = server.CreateAndLogin(admin["access_token"], "gus@guess.example", "Viewer");
  const std::string token = target["access_token"];
  for (int i = 0; i < 5; ++i) {
    HttpReply r = server.Post("/api/v1/auth/change-password",
                              {{"current_password", "a wrong guess " + std::to_string(i)},
                               {"new_password", "whatever new one"}},
                              token);
    INFO(i << " " << r.raw);
    CHECK(r.status == 400);  // the same answer, the fifth included
    CHECK(r.body["error"]["field"] == "current_password");
  }
  // The fifth locked the account: the token died with it, and logins are refused.
  CHECK(server.Get("/api/v1/users/me", token).status == 401);
  CHECK(server.Post("/api/v1/auth/login", {{"email", "gus@guess.example"}, {"password", kPassword}})
            .status == 401);
  CHECK(Scalar(server, "SELECT count(*) FROM auth.outbox WHERE event_type = 'user.locked'") == "1");
}

TEST_CASE("Registrations and password changes are rate-limited per client address", "[auth]") {
  AuthServer server({.extra_env = {{"RATE_LIMIT_ENABLED", "true"},
                                   {"RATE_LIMIT_REQUESTS_PER_MINUTE", "2"},
                                   {"RATE_LIMIT_REGISTRATIONS_PER_MINUTE", "2"}}});
  json admin = server.RegisterAdmin("root@limits.example", "Limits Co");  // 1 of each
  // Windows are a minute long: 5 more tries may straddle two of them, which
  // let at most 4 through in all.
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    HttpReply r = server.Post("/api/v1/auth/register",
                              {{"email", "squat" + std::to_string(i) + "@limits.example"},
                               {"password", kPassword},
                               {"organization_name", "Squat " + std::to_string(i)}});
    if (r.status == 429) {
      ++limited;
      CHECK(r.body["error"]["code"] == "RESOURCE_EXHAUSTED");
    } else {
      CHECK(r.status == 201);
    }
  }
  CHECK(limited >= 2);
  limited = 0;
  for (int i = 0; i < 5; ++i) {
    HttpReply r = server.Post(
        "/api/v1/auth/change-password",
        {{"current_password", "not the password"}, {"new_password", "whatever new one"}},
        admin["access_token"]);
    if (r.status == 429) ++limited;
  }
  CHECK(limited >= 1);
  // The audit log is written off the request path: poll for it.
  CHECK(giia::testing::Eventually([&] {
    return Scalar(server,
                  "SELECT count(*) > 0 FROM auth.audit_logs WHERE action = "
                  "'register.rate_limited'") == "t";
  }));
}

TEST_CASE("A registration never verified expires and frees its e-mail and slug", "[auth]") {
  AuthServer server({.extra_env = {{"PENDING_REGISTRATION_TTL", "1m"}}});
  const json body = {{"email", "squatter@expiry.example"},
                     {"password", kPassword},
                     {"organization_name", "Expiry Co"}};
  REQUIRE(server.Post("/api/v1/auth/register", body).status == 201);
  const std::string first_token = server.VerificationToken("squatter@expiry.example");
  // Within the TTL, the e-mail and the slug are taken.
  CHECK(server.Post("/api/v1/auth/register", body).status == 409);
  // Past it (the registration is made two minutes old), they are free again.
  REQUIRE(server.db().sql().Exec(
      "UPDATE auth.users SET created_at = now() - interval '2 minutes' WHERE email = "
      "'squatter@expiry.example'"));
  HttpReply again = server.Post("/api/v1/auth/register", body);
  INFO(again.raw);
  CHECK(again.status == 201);
  CHECK(Scalar(server, "SELECT count(*) FROM auth.users WHERE email = 'squatter@expiry.example'") ==
        "1");
  CHECK(Scalar(server, "SELECT count(*) FROM auth.organizations WHERE slug = 'expiry-co'") == "1");
  // A verified account never expires. (The first registration's link went
  // with it: wait for the second one's e-mail.)
  std::string token;
  CHECK(giia::testing::Eventually([&] {
    token = server.VerificationToken("squatter@expiry.example");
    return token != first_token;
  }));
  REQUIRE(server.Get("/api/v1/auth/verify-email?token=" + token).status == 200);
  REQUIRE(server.db().sql().Exec(
      "UPDATE auth.users SET created_at = now() - interval '2 minutes' WHERE email = "
      "'squatter@expiry.example'"));
  CHECK(server.Post("/api/v1/auth/register", body).status == 409);
}

TEST_CASE("Redis stopped: permission checks still answer and readiness stays 200, degraded",
          "[auth]") {
  AuthServer server({.own_redis = true});
  json admin = server.RegisterAdmin("rex@example.com", "Cache Co");
  const std::string token = admin["access_token"];
  server.redis()->Stop();
  HttpReply ready = server.Get("/health/ready");
  CHECK(ready.status == 200);
  CHECK(ready.body["checks"]["redis"]["status"] == "down");
  // A role change while Redis is down still takes effect here.
  json viewer = server.CreateAndLogin(token, "vera@example.com", "Viewer");
  auto stub = server.Stub();
  Rpc rpc(viewer["access_token"]);
  pb::CheckPermissionRequest req;
  req.set_permission("catalog:read");
  pb::CheckPermissionResponse res;
  grpc::Status status = stub->CheckPermission(rpc.ctx.get(), req, &res);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(res.allowed());
  server.redis()->Start();
  CHECK(server.WaitReady(std::chrono::seconds(10)));
}

TEST_CASE("PostgreSQL gone: readiness 503, calls UNAVAILABLE, liveness 200, back without a restart",
          "[auth]") {
  AuthServer server({.database_proxy = true});
  json admin = server.RegisterAdmin("pam@example.com", "Down Co");
  server.database_proxy()->Cut();
  HttpReply ready = server.Get("/health/ready");
  CHECK(ready.status == 503);
  CHECK(ready.body["checks"]["postgres"]["status"] == "down");
  CHECK(server.Get("/health/live").status == 200);
  HttpReply login =
      server.Post("/api/v1/auth/login", {{"email", "pam@example.com"}, {"password", kPassword}});
  CHECK(login.status == 503);
  CHECK(login.body["error"]["code"] == "UNAVAILABLE");
  {
    auto stub = server.Stub();
    Rpc rpc;
    pb::LoginRequest req;
    req.set_email("pam@example.com");
    req.set_password(kPassword);
    pb::LoginResponse res;
    CHECK(stub->Login(rpc.ctx.get(), req, &res).error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  server.database_proxy()->Restore();
  REQUIRE(server.WaitReady(std::chrono::seconds(20)));
  CHECK(server.Post("/api/v1/auth/login", {{"email", "pam@example.com"}, {"password", kPassword}})
            .status == 200);
  ProcessResult stopped = server.Stop();
  CHECK(stopped.exit_code == 0);
  // Nothing logged the DSN password.
  const std::string url = server.env().at("DATABASE_URL");
  const std::string password =
      url.substr(url.find(':', 13) + 1, url.rfind('@') - url.find(':', 13) - 1);
  CHECK(stopped.err.find(password) == std::string::npos);
}

TEST_CASE("SIGTERM while 32 clients log in: every accepted call completes, the audit is flushed",
          "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("sig@example.com", "Term Co");
  // One account per client: the lockout counts checks in flight per account.
  for (int i = 0; i < 32; ++i) {
    HttpReply created =
        server.Post("/api/v1/users",
                    {{"email", "c" + std::to_string(i) + "@example.com"}, {"password", kPassword}},
                    admin["access_token"]);
    REQUIRE(created.status == 201);
  }
  std::atomic<int> ok{0}, refused{0}, broken{0};
  std::atomic<int> started{0};
  giia::testing::EventCounter logged_in;
  // A call racing the signal may still be in transit when the server stops
  // taking calls: it may be refused (UNAVAILABLE, CANCELLED), and then it
  // never reached a handler (checked against the server's log below). One
  // sent well before the signal must complete OK.
  constexpr auto kInTransit = std::chrono::milliseconds(100);
  std::atomic<std::chrono::steady_clock::time_point> signalled{
      std::chrono::steady_clock::time_point::max()};
  std::mutex mu;
  std::string codes;
  std::vector<std::thread> clients;
  for (int i = 0; i < 32; ++i) {
    clients.emplace_back([&, i] {
      auto stub = server.Stub();
      ++started;
      for (int n = 0; n < 200; ++n) {
        Rpc rpc;
        pb::LoginRequest req;
        req.set_email("c" + std::to_string(i) + "@example.com");
        req.set_password(kPassword);
        pb::LoginResponse res;
        const auto sent = std::chrono::steady_clock::now();
        grpc::Status s = stub->Login(rpc.ctx.get(), req, &res);
        if (s.ok()) {
          ++ok;
          logged_in.Bump();
        } else if (sent + kInTransit > signalled.load() &&
                   (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                    s.error_code() == grpc::StatusCode::CANCELLED)) {
          ++refused;  // sent after the signal: the server no longer takes calls
          return;
        } else {
          std::lock_guard lock(mu);
          ++broken;
          codes += std::to_string(s.error_code()) + ": " + s.error_message() + ", sent " +
                   std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                      signalled.load() - sent)
                                      .count()) +
                   " us before the signal\n";
          return;
        }
      }
    });
  }
  // Let the clients get going, then stop the server under them.
  CHECK(logged_in.WaitFor(64, std::chrono::seconds(30)));
  signalled.store(std::chrono::steady_clock::now());
  ProcessResult stopped = server.Stop(SIGTERM);
  for (auto& t : clients) t.join();
  INFO(stopped.err.substr(stopped.err.size() > 3000 ? stopped.err.size() - 3000 : 0));
  CHECK(stopped.exit_code == 0);
  INFO(codes);
  CHECK(broken.load() == 0);
  CHECK(ok.load() >= 64);
  // Every call a handler took was answered: the server logged exactly the
  // logins the clients received.
  std::size_t handled = 0;
  for (std::size_t at = 0; (at = stopped.err.find("AuthService/Login ", at)) != std::string::npos;
       ++at) {
    ++handled;
  }
  CHECK(handled == static_cast<std::size_t>(ok.load()));
  // Every successful login was audited before the process exited (+1: RegisterAdmin's).
  CHECK(Scalar(server, "SELECT count(*) FROM auth.audit_logs WHERE action = 'login'") ==
        std::to_string(ok.load() + 1));
}

TEST_CASE("METRICS_PORT moves /metrics to a port of its own", "[auth]") {
  const int port = giia::testing::FreePort();
  AuthServer server({.extra_env = {{"METRICS_PORT", std::to_string(port)}}});
  CHECK(server.Get("/metrics").status == 404);
  httplib::Client metrics("127.0.0.1", port);
  auto r = metrics.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK_THAT(r->body, Catch::Contains("process_cpu_seconds_total"));
}

TEST_CASE("Reflection lists the services to a client we did not write (buf curl)", "[auth]") {
  const std::string buf = std::string(GIIA_SOURCE_DIR) + "/node_modules/.bin/buf";
  if (::access(buf.c_str(), X_OK) != 0) FAIL("buf is not installed: run scripts/test.sh");
  AuthServer server;
  giia::testing::ProcessResult r =
      giia::testing::Process(buf,
                             {"curl", "--protocol", "grpc", "--http2-prior-knowledge",
                              "--list-services", "http://" + server.grpc_address()},
                             {{"HOME", "/tmp"}}, "")
          .Wait(std::chrono::seconds(60));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("giia.auth.v1.AuthService") != std::string::npos);
  CHECK(r.out.find("grpc.health.v1.Health") != std::string::npos);

  // ENABLE_GRPC_REFLECTION=false takes it away (prod).
  AuthServer hidden({.extra_env = {{"ENABLE_GRPC_REFLECTION", "false"}}});
  giia::testing::ProcessResult off =
      giia::testing::Process(buf,
                             {"curl", "--protocol", "grpc", "--http2-prior-knowledge",
                              "--list-services", "http://" + hidden.grpc_address()},
                             {{"HOME", "/tmp"}}, "")
          .Wait(std::chrono::seconds(60));
  CHECK(off.exit_code != 0);
  CHECK(off.out.find("giia.auth.v1.AuthService") == std::string::npos);
}

TEST_CASE(
    "TLS: HTTPS and gRPC over TLS, and with a client CA, clients without a certificate are refused",
    "[auth]") {
  SECTION("server TLS") {
    AuthServer server({.tls = true});
    json admin = server.RegisterAdmin("tina@example.com", "TLS Co");  // over HTTPS
    auto stub = server.Stub();                                        // gRPC over TLS
    Rpc rpc;
    pb::ValidateTokenRequest req;
    req.set_token(admin["access_token"]);
    pb::ValidateTokenResponse res;
    REQUIRE(stub->ValidateToken(rpc.ctx.get(), req, &res).ok());
    CHECK(res.valid());
    // Plain HTTP and plaintext gRPC get nowhere.
    httplib::Client plain("127.0.0.1", server.http_port());
    auto r = plain.Get("/health/live");
    CHECK((!r || r->status != 200));
    auto insecure = pb::AuthService::NewStub(
        grpc::CreateChannel(server.grpc_address(), grpc::InsecureChannelCredentials()));
    Rpc rpc2;
    CHECK(insecure->ValidateToken(rpc2.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::UNAVAILABLE);
  }
  SECTION("mutual TLS") {
    AuthServer server({.mutual_tls = true});
    CHECK(server.Get("/health/live").status == 200);  // with the client certificate
    auto anonymous = server.Client(false);
    auto r = anonymous->Get("/health/live");
    CHECK((!r || r->status != 200));
    auto stub = pb::AuthService::NewStub(
        grpc::CreateChannel(server.grpc_address(), server.Credentials(false)));
    Rpc rpc;
    pb::ValidateTokenRequest req;
    req.set_token("x");
    pb::ValidateTokenResponse res;
    CHECK(stub->ValidateToken(rpc.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::UNAVAILABLE);
    auto authenticated = server.Stub();
    Rpc rpc2;
    CHECK(authenticated->ValidateToken(rpc2.ctx.get(), req, &res).ok());

    // `giia health` with grpc_health_probe's TLS flags (the Kubernetes probe).
    const std::string cert = server.env().at("TLS_CERT_FILE");
    const std::string key = server.env().at("TLS_KEY_FILE");
    const std::string https = "https://127.0.0.1:" + std::to_string(server.http_port());
    auto health = [&](std::vector<std::string> args) {
      args.insert(args.begin(), "health");
      auto run = giia::testing::RunGiia(args, {});
      UNSCOPED_INFO("giia health exited " << run.exit_code << "; stderr: " << run.err);
      return run.exit_code;
    };
    CHECK(health({"--grpc", server.grpc_address(), "--tls-ca-cert", cert, "--tls-client-cert", cert,
                  "--tls-client-key", key}) == 0);
    CHECK(health({"--grpc", server.grpc_address(), "--tls", "--tls-ca-cert", cert,
                  "--tls-client-cert", cert, "--tls-client-key", key, "--tls-server-name",
                  "127.0.0.1", "--service", "giia.auth.v1.AuthService"}) == 0);
    CHECK(health({"--grpc", server.grpc_address(), "--tls-ca-cert", cert}) != 0);  // no client cert
    CHECK(health({"--grpc", server.grpc_address()}) == 2);  // plaintext to a TLS port
    CHECK(health({"--http", https + "/health/live", "--tls-ca-cert", cert, "--tls-client-cert",
                  cert, "--tls-client-key", key}) == 0);
    CHECK(health({"--http", https + "/health/live"}) == 2);  // the system does not trust it
    CHECK(health({"--grpc", server.grpc_address(), "--tls-client-cert", cert}) == 1);
  }
}

TEST_CASE("Every RPC goes through the permission matrix: no token, a Viewer's token, an Admin's",
          "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("mat@example.com", "Matrix Co");
  json viewer = server.CreateAndLogin(admin["access_token"], "vin@example.com", "Viewer");
  auto channel = grpc::CreateChannel(server.grpc_address(), server.Credentials());
  grpc::GenericStub stub(channel);
  auto call = [&](const std::string& method, const std::string& token) {
    return giia::testing::CallWithEmptyRequest(stub, method, token);
  };
  const google::protobuf::ServiceDescriptor* service =
      pb::LoginRequest::descriptor()->file()->FindServiceByName("AuthService");
  REQUIRE(service != nullptr);
  REQUIRE(service->method_count() >= 18);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
    INFO(method);
    const giia::authz::Requirement* need = giia::auth::Access().For(service->method(i)->name());
    REQUIRE(need != nullptr);  // listed, so not denied by omission
    const auto anonymous = call(method, "");
    if (need->kind == giia::authz::Requirement::Kind::kPublic) {
      CHECK(anonymous != grpc::StatusCode::UNAUTHENTICATED);
      CHECK(anonymous != grpc::StatusCode::PERMISSION_DENIED);
    } else {
      CHECK(anonymous == grpc::StatusCode::UNAUTHENTICATED);
      // Logout (of every session) would revoke the tokens the loop goes on with.
      if (service->method(i)->name() == "Logout") continue;
      const auto as_viewer = call(method, viewer["access_token"]);
      if (need->kind == giia::authz::Requirement::Kind::kPermission) {
        CHECK(as_viewer == grpc::StatusCode::PERMISSION_DENIED);  // users:* is not a Viewer's
      } else {
        CHECK(as_viewer != grpc::StatusCode::PERMISSION_DENIED);
      }
      CHECK(call(method, admin["access_token"]) != grpc::StatusCode::PERMISSION_DENIED);
    }
    CHECK(anonymous != grpc::StatusCode::INTERNAL);
    CHECK(anonymous != grpc::StatusCode::UNIMPLEMENTED);
  }
  // A method the server does not know.
  CHECK(call("/giia.auth.v1.AuthService/DropAllTables", admin["access_token"]) ==
        grpc::StatusCode::UNIMPLEMENTED);
}

TEST_CASE("Logins are rate-limited per client address when RATE_LIMIT_ENABLED", "[auth]") {
  AuthServer server(
      {.extra_env = {{"RATE_LIMIT_ENABLED", "true"}, {"RATE_LIMIT_REQUESTS_PER_MINUTE", "3"}}});
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    HttpReply r = server.Post("/api/v1/auth/login",
                              {{"email", "nobody@example.com"}, {"password", "whatever123"}});
    if (r.status == 429) {
      ++limited;
      CHECK(r.body["error"]["code"] == "RESOURCE_EXHAUSTED");
    } else {
      CHECK(r.status == 401);
    }
  }
  // The window is a minute: the 5 attempts may straddle two windows at most.
  CHECK(limited >= 1);
  CHECK(limited <= 2);
}

namespace {

// A junk login (an unknown e-mail) sent with `x_forwarded_for`.
HttpReply LoginForwardedFor(AuthServer& server, const std::string& x_forwarded_for) {
  const json body = {{"email", "nobody@example.com"}, {"password", "whatever123"}};
  return giia::testing::ToReply(server.Client()->Post("/api/v1/auth/login",
                                                      {{"X-Forwarded-For", x_forwarded_for}},
                                                      body.dump(), "application/json"));
}

// Junk logins as `x_forwarded_for` until the limiter refuses one; false when
// none was refused (the window is a minute: `limit` attempts may straddle two).
bool LimitClient(AuthServer& server, const std::string& x_forwarded_for, int limit) {
  for (int i = 0; i < 2 * limit + 1; ++i) {
    HttpReply r = LoginForwardedFor(server, x_forwarded_for);
    if (r.status == 429) return true;
    CHECK(r.status == 401);
  }
  return false;
}

std::string AuditedFrom(AuthServer& server, const std::string& ip) {
  return Scalar(server, "SELECT count(*) FROM auth.audit_logs WHERE ip_address = '" + ip + "'");
}

}  // namespace

TEST_CASE(
    "Behind a trusted proxy, each forwarded client has its own login limit and is audited "
    "with its address",
    "[auth]") {
  constexpr int kLimit = 5;
  AuthServer server({.extra_env = {{"RATE_LIMIT_ENABLED", "true"},
                                   {"RATE_LIMIT_REQUESTS_PER_MINUTE", std::to_string(kLimit)},
                                   {"TRUSTED_PROXIES", "127.0.0.1/32"}}});
  // Client A wrote a hop of its own; the proxy (the peer, trusted) appended
  // the address it saw: the right-most untrusted hop is A.
  REQUIRE(LimitClient(server, "192.0.2.66, 198.51.100.7", kLimit));
  // Client B, behind the same proxy, is not blocked by A's junk logins.
  HttpReply b = LoginForwardedFor(server, "203.0.113.9");
  CHECK(b.status == 401);
  // A stays limited; an IPv6 client through a chain of trusted hops is not.
  CHECK(LoginForwardedFor(server, "198.51.100.7").status == 429);
  CHECK(LoginForwardedFor(server, "[2001:db8::5]:5555, 127.0.0.1").status == 401);
  // gRPC: x-forwarded-for metadata.
  {
    auto stub = server.Stub();
    Rpc rpc;
    rpc.ctx->AddMetadata("x-forwarded-for", "192.0.2.200");
    pb::LoginRequest req;
    req.set_email("nobody@example.com");
    req.set_password("whatever123");
    pb::LoginResponse res;
    CHECK(stub->Login(rpc.ctx.get(), req, &res).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  // The audit log records the client, never the proxy or a hop the client wrote.
  CHECK(giia::testing::Eventually(
      [&] {
        return AuditedFrom(server, "198.51.100.7") != "0" &&
               AuditedFrom(server, "203.0.113.9") != "0" &&
               AuditedFrom(server, "2001:db8::5") != "0" &&
               AuditedFrom(server, "192.0.2.200") != "0";
      },
      std::chrono::seconds(15)));
  CHECK(AuditedFrom(server, "192.0.2.66") == "0");
  CHECK(AuditedFrom(server, "127.0.0.1") == "0");
}

TEST_CASE(
    "Without TRUSTED_PROXIES a spoofed X-Forwarded-For is ignored: the limiter counts the "
    "peer",
    "[auth]") {
  constexpr int kLimit = 5;
  AuthServer server({.extra_env = {{"RATE_LIMIT_ENABLED", "true"},
                                   {"RATE_LIMIT_REQUESTS_PER_MINUTE", std::to_string(kLimit)}}});
  // A new address in every attempt: all of them count against the peer.
  int limited = 0;
  for (int i = 0; i < 2 * kLimit + 1; ++i) {
    HttpReply r = LoginForwardedFor(server, "198.51.100." + std::to_string(i + 1));
    if (r.status == 429) ++limited;
  }
  CHECK(limited >= 1);
  CHECK(giia::testing::Eventually(
      [&] { return std::stoi(AuditedFrom(server, "127.0.0.1")) >= 2 * kLimit + 1; },
      std::chrono::seconds(15)));
  CHECK(Scalar(server,
               "SELECT count(*) FROM auth.audit_logs WHERE ip_address LIKE '198.51.100.%'") == "0");
}

TEST_CASE(
    "Credentials in NATS_URL, DATABASE_URL and REDIS_URL appear in no readiness or "
    "metrics body, config print or log",
    "[auth]") {
  const std::string nats_password = "s3cretpw-nats";
  AuthServer server({.database_password_in_query = true,
                     .extra_env = {{"NATS_URL", "nats://user:" + nats_password + "@127.0.0.1:" +
                                                    std::to_string(giia::testing::FreePort())},
                                   {"LOG_LEVEL", "debug"}}});
  const std::string database_url = server.env().at("DATABASE_URL");
  const auto query = database_url.find("?password=");
  REQUIRE(query != std::string::npos);
  const std::string db_password = database_url.substr(query + 10);
  REQUIRE(db_password.size() >= 4);
  const std::string redis_password = "s3cretpw-redis";
  const std::string nats_token = "s3cretpw-token";
  const std::string ssl_password = "s3cretpw-sslkey";
  const std::vector<std::string> secrets = {nats_password, db_password, redis_password, nats_token,
                                            ssl_password};
  auto check_clean = [&](const std::string& text) {
    for (const std::string& secret : secrets) CHECK(text.find(secret) == std::string::npos);
  };

  // NATS is unreachable: degraded, and the body says so without its URL.
  HttpReply ready = server.Get("/health/ready");
  INFO(ready.raw);
  CHECK(ready.status == 200);
  CHECK(ready.body["status"] == "degraded");
  CHECK(ready.body["checks"]["nats"]["status"] == "down");
  CHECK(ready.body["checks"]["postgres"]["status"] == "up");
  CHECK(ready.raw.find("nats://") == std::string::npos);
  check_clean(ready.raw);
  HttpReply metrics = server.Get("/metrics");
  CHECK(metrics.status == 200);
  check_clean(metrics.raw);

  // config print, every form, text and JSON.
  const std::vector<giia::testing::ProcessEnv> forms = {
      {{"DATABASE_URL", database_url}},
      {{"DATABASE_URL", "postgresql://giia@db/giia?sslkey=/k.pem&sslpassword=" + ssl_password +
                            "&sslmode=require"}},
      {{"REDIS_URL", "redis://" + redis_password + "@127.0.0.1:6379"}},
      {{"REDIS_URL", "redis://default:" + redis_password + "@127.0.0.1:6379/0"}},
      {{"NATS_URL", "nats://" + nats_token + "@127.0.0.1:4222"}},
      {{"NATS_URL", "nats://127.0.0.1:4222,nats://user:" + nats_password + "@127.0.0.1:4223"}},
      {{"NATS_URL", "tls://" + nats_token + "@127.0.0.1:4222"}},
  };
  for (const auto& form : forms) {
    for (const char* output : {"text", "json"}) {
      ProcessResult r = giia::testing::RunGiia(
          {"config", "print", "--service", "auth", "--output", output}, form);
      INFO(form.begin()->second << "\n" << r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK_THAT(r.out, Catch::Contains("[REDACTED]"));
      check_clean(r.out);
      check_clean(r.err);
    }
  }

  ProcessResult stopped = server.Stop();
  CHECK(stopped.exit_code == 0);
  // The log said why NATS is down, redacted.
  CHECK_THAT(stopped.err, Catch::Contains("nats is down") && Catch::Contains("[REDACTED]"));
  check_clean(stopped.err);
  check_clean(stopped.out);
}

TEST_CASE("EdDSA: tokens signed with the key files, the public key at /.well-known/jwks.json",
          "[auth]") {
  const std::string dir =
      std::filesystem::temp_directory_path() /
      ("giia-ed-" + std::to_string(::getpid()) + "-" +
       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  ProcessResult key =
      giia::testing::Process("/usr/bin/openssl",
                             {"genpkey", "-algorithm", "ed25519", "-out", dir + "/private.pem"}, {},
                             "")
          .Wait();
  REQUIRE(key.exit_code == 0);
  ProcessResult pub =
      giia::testing::Process(
          "/usr/bin/openssl",
          {"pkey", "-in", dir + "/private.pem", "-pubout", "-out", dir + "/public.pem"}, {}, "")
          .Wait();
  REQUIRE(pub.exit_code == 0);
  {
    AuthServer server({.extra_env = {{"JWT_SECRET", ""},
                                     {"JWT_PRIVATE_KEY_FILE", dir + "/private.pem"},
                                     {"JWT_PUBLIC_KEY_FILE", dir + "/public.pem"}}});
    json admin = server.RegisterAdmin("ed@example.com", "Edwards Co");
    const std::string token = admin["access_token"];
    CHECK(server.Get("/api/v1/users/me", token).status == 200);
    HttpReply jwks = server.Get("/.well-known/jwks.json");
    REQUIRE(jwks.status == 200);
    REQUIRE(jwks.body["keys"].size() == 1);
    CHECK(jwks.body["keys"][0]["kty"] == "OKP");
    CHECK(jwks.body["keys"][0]["crv"] == "Ed25519");
    // The header names EdDSA and the kid of the published key.
    const std::string header = token.substr(0, token.find('.'));
    std::string bin(header.size(), '\0');
    std::size_t len = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), header.data(),
                      header.size(), nullptr, &len, nullptr,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    bin.resize(len);
    json h = json::parse(bin);
    CHECK(h["alg"] == "EdDSA");
    CHECK(h["kid"] == jwks.body["keys"][0]["kid"]);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("EMAIL_PROVIDER=smtp sends the verification e-mail to an SMTP server", "[auth]") {
  const int port = giia::testing::FreePort();
  // An SMTP sink (Python's smtpd) that prints the first message it accepts and
  // exits once that client has hung up: its exit is what the test waits on.
  const std::string sink = R"py(
import asyncore, smtpd, sys
done = False
class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        global done
        sys.stdout.write(data.decode() + "\n")
        done = True
Sink(("127.0.0.1", int(sys.argv[1])), None)
while not (done and len(asyncore.socket_map) == 1):
    asyncore.loop(timeout=0.1, count=1)
)py";
  giia::testing::Process smtp("/usr/bin/python3",
                              {"-u", "-W", "ignore", "-c", sink, std::to_string(port)}, {}, "");
  AuthServer server({.extra_env = {{"EMAIL_PROVIDER", "smtp"},
                                   {"SMTP_URL", "smtp://127.0.0.1:" + std::to_string(port)},
                                   {"SMTP_FROM", "GIIA <no-reply@giia.test>"}}});
  HttpReply reg = server.Post(
      "/api/v1/auth/register",
      {{"email", "sam@example.com"}, {"password", kPassword}, {"organization_name", "Mail Co"}});
  REQUIRE(reg.status == 201);
  ProcessResult received = smtp.Wait(std::chrono::seconds(60));
  INFO(received.err);
  CHECK(received.exit_code == 0);
  CHECK_THAT(received.out, Catch::Contains("To: sam@example.com"));
  CHECK_THAT(received.out, Catch::Contains("/api/v1/auth/verify-email?token="));
  CHECK_THAT(received.out, Catch::Contains("Subject: Verify your e-mail address"));
}

TEST_CASE("Role levels: a Manager cannot make itself Admin, touch an Admin, or create one",
          "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("root@ranks.example", "Ranks Co");
  const std::string admin_token = admin["access_token"];
  const std::string admin_id = admin["user"]["id"];
  json manager = server.CreateAndLogin(admin_token, "mia@ranks.example", "Manager");
  const std::string mia = manager["access_token"];
  const std::string mia_id = manager["user"]["id"];
  json viewer = server.CreateAndLogin(admin_token, "vic@ranks.example", "Viewer");
  const std::string vic_id = viewer["user"]["id"];
  auto roles_of = [&](const std::string& id) {
    return Scalar(server,
                  "SELECT string_agg(r.name, ',' ORDER BY r.name) FROM auth.user_roles ur JOIN "
                  "auth.roles r ON r.id = ur.role_id WHERE ur.user_id = '" +
                      id + "'");
  };

  // Over REST: up to Admin, an Admin's roles, a user created as Admin.
  HttpReply self = server.Post("/api/v1/users/" + mia_id + "/roles", {{"role", "Admin"}}, mia);
  INFO(self.raw);
  CHECK(self.status == 403);
  CHECK(self.body["error"]["code"] == "PERMISSION_DENIED");
  CHECK(self.body["error"]["field"] == "role");
  HttpReply strip = server.Delete("/api/v1/users/" + admin_id + "/roles/Admin", mia);
  CHECK(strip.status == 403);
  HttpReply touch = server.Post("/api/v1/users/" + admin_id + "/roles", {{"role", "Viewer"}}, mia);
  CHECK(touch.status == 403);
  CHECK(touch.body["error"]["field"] == "user_id");
  HttpReply create = server.Post(
      "/api/v1/users",
      {{"email", "eve@ranks.example"}, {"password", kPassword}, {"roles", {"Viewer", "Admin"}}},
      mia);
  CHECK(create.status == 403);
  CHECK(create.body["error"]["field"] == "roles[1]");
  // Nothing changed.
  CHECK(roles_of(mia_id) == "Manager");
  CHECK(roles_of(admin_id) == "Admin");
  CHECK(Scalar(server, "SELECT count(*) FROM auth.users WHERE email = 'eve@ranks.example'") == "0");

  // Over gRPC alike.
  {
    auto stub = server.Stub();
    Rpc rpc(mia);
    pb::AssignRoleRequest req;
    req.set_user_id(mia_id);
    req.set_role("Admin");
    pb::AssignRoleResponse res;
    CHECK(stub->AssignRole(rpc.ctx.get(), req, &res).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  CHECK(roles_of(mia_id) == "Manager");

  // At or below its own level, on users at or below it, is allowed.
  CHECK(server.Post("/api/v1/users/" + vic_id + "/roles", {{"role", "Manager"}}, mia).status ==
        200);
  CHECK(server.Delete("/api/v1/users/" + vic_id + "/roles/Viewer", mia).status == 200);
  CHECK(roles_of(vic_id) == "Manager");

  // The last Admin cannot lose Admin, not even by its own hand.
  HttpReply last = server.Delete("/api/v1/users/" + admin_id + "/roles/Admin", admin_token);
  INFO(last.raw);
  CHECK(last.status == 400);
  CHECK(last.body["error"]["code"] == "FAILED_PRECONDITION");
  CHECK(roles_of(admin_id) == "Admin");
  // With a second Admin it can.
  CHECK(
      server.Post("/api/v1/users/" + mia_id + "/roles", {{"role", "Admin"}}, admin_token).status ==
      200);
  CHECK(server.Delete("/api/v1/users/" + admin_id + "/roles/Admin", admin_token).status == 200);

  // Every refusal is on record.
  CHECK(server.Stop().exit_code == 0);
  CHECK(Scalar(server,
               "SELECT count(*) FROM auth.audit_logs WHERE result = 'denied' AND action IN "
               "('role.assign', 'role.revoke', 'user.create')") == "6");
}

TEST_CASE("A session ends at its absolute lifetime however often it is refreshed", "[auth]") {
  AuthServer server({.extra_env = {{"JWT_REFRESH_MAX_LIFETIME", "3s"}}});
  server.RegisterAdmin("root@lifetime.example", "Lifetime Co");
  HttpReply login = server.Post("/api/v1/auth/login",
                                {{"email", "root@lifetime.example"}, {"password", kPassword}});
  REQUIRE(login.status == 200);
  const auto logged_in = std::chrono::steady_clock::now();
  std::string refresh = login.body["refresh_token"];
  int rotations = 0;
  int last_status = 0;
  // Rotate the newest token again and again: it works until the session's
  // end, three seconds after the login, and never after.
  CHECK(giia::testing::Eventually(
      [&] {
        HttpReply r = server.Post("/api/v1/auth/refresh", {{"refresh_token", refresh}});
        last_status = r.status;
        if (r.status != 200) return true;
        ++rotations;
        refresh = r.body["refresh_token"];
        return false;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)));
  CHECK(last_status == 401);
  CHECK(rotations >= 1);
  // (the server started the clock a little before the login answered)
  CHECK(std::chrono::steady_clock::now() - logged_in >= std::chrono::milliseconds(2500));
  CHECK(std::chrono::steady_clock::now() - logged_in < std::chrono::seconds(20));
}

TEST_CASE(
    "SMTP with a password: no STARTTLS, no mail (the password never goes in clear) "
    "unless SMTP_REQUIRE_TLS=false",
    "[auth]") {
  // A fake SMTP server that offers AUTH but not STARTTLS. It prints what the
  // client sent (C: commands, D: message lines) and exits once the first
  // client hangs up: its exit is what the test waits on.
  const std::string fake = R"py(
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(4)
conn, _ = srv.accept()
f = conn.makefile("rwb")
def say(s):
    f.write((s + "\r\n").encode()); f.flush()
def heard(prefix, line):
    sys.stdout.write(prefix + line.decode(errors="replace"))
say("220 fake ESMTP")
while True:
    line = f.readline()
    if not line:
        break
    heard("C: ", line)
    cmd = line.strip().upper()
    if cmd.startswith(b"EHLO"):
        say("250-fake"); say("250 AUTH PLAIN")
    elif cmd == b"AUTH PLAIN":
        say("334 "); heard("C: ", f.readline()); say("235 ok")
    elif cmd.startswith(b"AUTH"):
        say("235 ok")
    elif cmd == b"DATA":
        say("354 go")
        while True:
            data = f.readline()
            if not data or data.rstrip(b"\r\n") == b".":
                break
            heard("D: ", data)
        say("250 queued")
    elif cmd == b"QUIT":
        say("221 bye"); break
    else:
        say("250 ok")
)py";
  for (const bool require_tls : {true, false}) {
    INFO("SMTP_REQUIRE_TLS=" << require_tls);
    const int port = giia::testing::FreePort();
    giia::testing::Process smtp("/usr/bin/python3",
                                {"-u", "-W", "ignore", "-c", fake, std::to_string(port)}, {}, "");
    giia::testing::ProcessEnv env = {{"EMAIL_PROVIDER", "smtp"},
                                     {"SMTP_URL", "smtp://127.0.0.1:" + std::to_string(port)},
                                     {"SMTP_USERNAME", "mailer"},
                                     {"SMTP_PASSWORD", "smtp-secret"}};
    if (!require_tls) env["SMTP_REQUIRE_TLS"] = "false";
    AuthServer server({.extra_env = env});
    HttpReply reg = server.Post(
        "/api/v1/auth/register",
        {{"email", "tls@example.com"}, {"password", kPassword}, {"organization_name", "TLS Co"}});
    REQUIRE(reg.status == 201);
    ProcessResult heard = smtp.Wait(std::chrono::seconds(60));
    INFO(heard.out << heard.err);
    CHECK(heard.exit_code == 0);
    CHECK_THAT(heard.out, Catch::Contains("C: EHLO"));
    if (require_tls) {
      CHECK_THAT(heard.out, !Catch::Contains("AUTH") && !Catch::Contains("MAIL FROM") &&
                                !Catch::Contains("D: ") && !Catch::Contains("smtp-secret"));
    } else {
      CHECK_THAT(heard.out,
                 Catch::Contains("C: AUTH PLAIN") && Catch::Contains("D: To: tls@example.com"));
    }
  }
}

TEST_CASE("Hostile JSON bodies: 100,000 levels deep and over-long strings are 400 naming the field",
          "[auth]") {
  AuthServer server;
  auto client = server.Client();
  const auto post = [&](const std::string& body) {
    const auto start = std::chrono::steady_clock::now();
    HttpReply r =
        giia::testing::ToReply(client->Post("/api/v1/auth/login", body, "application/json"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    return r;
  };
  // 100,000 levels (200 KB, within the body limit) inside an object.
  const std::string deep = R"({"email":"a@example.com","password":"pw123456","x":)" +
                           std::string(100000, '[') + std::string(100000, ']') + "}";
  HttpReply r = post(deep);
  CHECK(r.status == 400);
  CHECK(r.body["error"]["code"] == "INVALID_ARGUMENT");
  CHECK(r.body["error"]["field"] == "body");
  // As deep as allowed is read (and then the login is refused as usual).
  const std::string ok = R"({"email":"a@example.com","password":"pw123456","x":)" +
                         std::string(31, '[') + std::string(31, ']') + "}";
  CHECK(post(ok).status == 401);
  // A string field longer than the limit, named; a long member name is the body's.
  r = post(
      json{{"email", std::string(20000, 'e') + "@example.com"}, {"password", "pw123456"}}.dump());
  CHECK(r.status == 400);
  CHECK(r.body["error"]["field"] == "email");
  r = post(json{{std::string(20000, 'k'), "v"}, {"email", "a@example.com"}}.dump());
  CHECK(r.status == 400);
  CHECK(r.body["error"]["field"] == "body");
  CHECK(server.Get("/health/live").status == 200);
}

// RefreshToken over gRPC runs its transaction on the asynchronous pool (no
// thread waits for it); the rare verdicts (reuse, an inactive user) go on
// on the handler pool. Every verdict answers as over REST.
TEST_CASE("RefreshToken over gRPC: rotation, grace, reuse, an inactive user, refusals by name",
          "[auth]") {
  AuthServer server;
  json admin = server.RegisterAdmin("ada@example.com", "Acme Corp");
  auto stub = server.Stub();
  auto refresh = [&](const std::string& token, pb::RefreshTokenResponse* res) {
    Rpc rpc;
    pb::RefreshTokenRequest req;
    req.set_refresh_token(token);
    return stub->RefreshToken(rpc.ctx.get(), req, res);
  };

  const std::string first = admin["refresh_token"];
  pb::RefreshTokenResponse r2;
  grpc::Status rotated = refresh(first, &r2);
  INFO(rotated.error_message());
  REQUIRE(rotated.ok());
  const std::string second = r2.tokens().refresh_token();
  CHECK(second != first);
  CHECK_FALSE(r2.tokens().access_token().empty());
  CHECK(server.Get("/api/v1/users/me", r2.tokens().access_token()).status == 200);
  // It ran on the asynchronous pool, which opened a connection for it.
  CHECK_THAT(server.Get("/metrics").raw,
             Catch::Contains("giia_db_async_pool_open_connections{service=\"auth\"} 1"));
  // The predecessor again, within the grace: a new successor of the newest.
  pb::RefreshTokenResponse r3;
  REQUIRE(refresh(first, &r3).ok());
  CHECK(Scalar(server, "SELECT max(generation) FROM auth.refresh_tokens") == "2");
  // Once more: reuse, the family is revoked and the user's tokens end.
  pb::RefreshTokenResponse reused;
  grpc::Status reuse = refresh(first, &reused);
  CHECK(reuse.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(reuse.error_message().find("already used") != std::string::npos);
  CHECK(Scalar(server, "SELECT count(*) FROM auth.refresh_tokens WHERE revoked_reason = 'reuse'") ==
        "3");
  CHECK(server.Get("/api/v1/users/me", r3.tokens().access_token()).status == 401);
  pb::RefreshTokenResponse after;
  CHECK(refresh(r3.tokens().refresh_token(), &after).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);

  // An inactive user's session ends at its next refresh.
  json vic = server.CreateAndLogin(
      std::string(
          server.Post("/api/v1/auth/login", {{"email", "ada@example.com"}, {"password", kPassword}})
              .body["access_token"]),
      "vic@example.com", "Viewer");
  Scalar(server, "UPDATE auth.users SET status = 'suspended' WHERE email = 'vic@example.com'");
  pb::RefreshTokenResponse suspended;
  grpc::Status inactive = refresh(vic["refresh_token"], &suspended);
  CHECK(inactive.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(Scalar(server,
               "SELECT count(*) FROM auth.refresh_tokens WHERE revoked_reason = 'user inactive'") ==
        "1");

  // Unknown, oversized and missing tokens, refused without a transaction.
  pb::RefreshTokenResponse refused;
  CHECK(refresh(std::string(43, 'x'), &refused).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(refresh(std::string(201, 'x'), &refused).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status missing = refresh("", &refused);
  CHECK(missing.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(missing.error_message().find("refresh_token") != std::string::npos);
}
