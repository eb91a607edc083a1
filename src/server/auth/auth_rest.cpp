#include "server/auth/auth_rest.hpp"

#include <ctime>

#include "core/auth/access.hpp"
#include "core/common/time.hpp"
#include "server/auth/auth_bodies.hpp"
#include "server/http/rest.hpp"

namespace giia::server {
namespace {

using rest::Ctx;
using rest::IntParam;
using rest::Json;
using rest::json;
using rest::Route;
using rest::RouteEnv;

std::string Iso(auth::Timestamp t) { return Rfc3339(t); }

json UserJson(const auth::UserRecord& u) {
  json j = {{"id", u.id.value()},
            {"organization_id", u.organization.value()},
            {"email", u.email},
            {"first_name", u.first_name},
            {"last_name", u.last_name},
            {"status", auth::UserStatusName(u.status)},
            {"email_verified", u.email_verified},
            {"roles", u.roles}};
  j["created_at"] = u.created_at ? json(Iso(*u.created_at)) : json(nullptr);
  j["last_login_at"] = u.last_login_at ? json(Iso(*u.last_login_at)) : json(nullptr);
  return j;
}

json TokensJson(const auth::TokenPair& t) {
  return {{"access_token", t.access_token},
          {"refresh_token", t.refresh_token},
          {"token_type", "Bearer"},
          {"access_token_expires_at", Iso(t.access_expires_at)},
          {"refresh_token_expires_at", Iso(t.refresh_expires_at)}};
}

}  // namespace

void AddAuthRoutes(HttpServer& server, auth::AuthService& svc,
                   const authz::AccessTokenCodec& tokens, const TrustedProxies& trusted_proxies) {
  const RouteEnv env{auth::Access(), svc, trusted_proxies};
  server.Route(
      "POST", "/api/v1/auth/register",
      Route(env, "Register", true, [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
        GIIA_TRY_READ(in, ParseRegisterBody(c.body));
        auto r = svc.Register(in, c.info);
        if (!r) return tl::unexpected(r.error());
        return Json(201, {{"user", UserJson(r->user)},
                          {"organization",
                           {{"id", r->organization.id.value()},
                            {"name", r->organization.name},
                            {"slug", r->organization.slug}}}});
      }));

  auto verify = [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
    std::string token;
    if (auto it = req.query.find("token"); it != req.query.end()) token = it->second;
    if (token.empty()) {
      GIIA_TRY_STR(t, c.body, "token");
      token = t;
    }
    auto r = svc.VerifyEmail(token, c.info);
    if (!r) return tl::unexpected(r.error());
    return Json(200, {{"user", UserJson(*r)}});
  };
  server.Route("POST", "/api/v1/auth/verify-email", Route(env, "VerifyEmail", true, verify));
  // The link in the e-mail is opened in a browser.
  server.Route("GET", "/api/v1/auth/verify-email", Route(env, "VerifyEmail", false, verify));

  server.Route(
      "POST", "/api/v1/auth/login",
      Route(env, "Login", true, [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
        GIIA_TRY_READ(in, ParseLoginBody(c.body));
        auto r = svc.Login(in.email, in.password, c.info);
        if (!r) return tl::unexpected(r.error());
        json body = TokensJson(r->tokens);
        body["user"] = UserJson(r->user);
        return Json(200, body);
      }));

  server.Route(
      "POST", "/api/v1/auth/refresh",
      Route(env, "RefreshToken", true, [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
        GIIA_TRY_STR(token, c.body, "refresh_token");
        auto r = svc.Refresh(token, c.info).Finish();
        if (!r) return tl::unexpected(r.error());
        return Json(200, TokensJson(*r));
      }));

  server.Route(
      "POST", "/api/v1/auth/logout",
      Route(env, "Logout", true, [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
        GIIA_TRY_STR(token, c.body, "refresh_token");
        auto r = svc.Logout(*c.caller, token, c.info);
        if (!r) return tl::unexpected(r.error());
        return rest::NoContent();
      }));

  server.Route("POST", "/api/v1/auth/change-password",
               Route(env, "ChangePassword", true,
                     [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_STR(current, c.body, "current_password");
                       GIIA_TRY_STR(next, c.body, "new_password");
                       auto r = svc.ChangePassword(*c.caller, current, next, c.info);
                       if (!r) return tl::unexpected(r.error());
                       return rest::NoContent();
                     }));

  server.Route("GET", "/api/v1/users/me",
               Route(env, "GetCurrentUser", false,
                     [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
                       auto r = svc.GetUser(*c.caller, "");
                       if (!r) return tl::unexpected(r.error());
                       return Json(200, {{"user", UserJson(*r)}});
                     }));

  server.Route("GET", "/api/v1/users",
               Route(env, "ListUsers", false,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       Error bad;
                       const int page = IntParam(req, "page", &bad);
                       const int size = IntParam(req, "page_size", &bad);
                       if (!bad.field.empty()) return tl::unexpected(bad);
                       std::optional<auth::UserStatus> status;
                       if (auto it = req.query.find("status"); it != req.query.end()) {
                         const std::string& s = it->second;
                         if (s == "pending")
                           status = auth::UserStatus::kPending;
                         else if (s == "active")
                           status = auth::UserStatus::kActive;
                         else if (s == "inactive")
                           status = auth::UserStatus::kInactive;
                         else if (s == "suspended")
                           status = auth::UserStatus::kSuspended;
                         else if (!s.empty()) {
                           return InvalidArgument(
                               "status", "status must be pending, active, inactive or suspended");
                         }
                       }
                       auto r = svc.ListUsers(*c.caller, page, size, status);
                       if (!r) return tl::unexpected(r.error());
                       json users = json::array();
                       for (const auto& u : r->users) users.push_back(UserJson(u));
                       return Json(200, {{"users", users},
                                         {"total", r->total},
                                         {"page", page == 0 ? 1 : page},
                                         {"page_size", size == 0 ? 20 : size}});
                     }));

  server.Route(
      "POST", "/api/v1/users",
      Route(env, "CreateUser", true, [&svc](const HttpRequest&, Ctx& c) -> Result<HttpResponse> {
        GIIA_TRY_READ(in, ParseCreateUserBody(c.body));
        auto r = svc.CreateUser(*c.caller, in, c.info);
        if (!r) return tl::unexpected(r.error());
        return Json(201, {{"user", UserJson(*r)}});
      }));

  server.Route(
      "GET", "/api/v1/users/([^/]+)",
      Route(env, "GetUser", false, [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
        auto r = svc.GetUser(*c.caller, req.matches.at(0));
        if (!r) return tl::unexpected(r.error());
        return Json(200, {{"user", UserJson(*r)}});
      }));

  server.Route("POST", "/api/v1/users/([^/]+)/roles",
               Route(env, "AssignRole", true,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_STR(role, c.body, "role");
                       auto r = svc.AssignRole(*c.caller, req.matches.at(0), role, c.info);
                       if (!r) return tl::unexpected(r.error());
                       return Json(200, {{"user", UserJson(*r)}});
                     }));

  server.Route("DELETE", "/api/v1/users/([^/]+)/roles/([^/]+)",
               Route(env, "RevokeRole", false,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       auto r =
                           svc.RevokeRole(*c.caller, req.matches.at(0), req.matches.at(1), c.info);
                       if (!r) return tl::unexpected(r.error());
                       return Json(200, {{"user", UserJson(*r)}});
                     }));

  server.Route("POST", "/api/v1/users/([^/]+)/unlock",
               Route(env, "UnlockUser", false,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       auto r = svc.UnlockUser(*c.caller, req.matches.at(0), c.info);
                       if (!r) return tl::unexpected(r.error());
                       return rest::NoContent();
                     }));

  server.Route("GET", "/\\.well-known/jwks\\.json", [&tokens](const HttpRequest&) {
    return HttpResponse{200, tokens.Jwks(), "application/json"};
  });
}

}  // namespace giia::server
