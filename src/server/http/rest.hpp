#pragma once
// What every REST route of a service shares: the request info, the
// service's permission matrix run under the use case's name, the JSON
// body and readers of its fields that name the offending field, and the
// turning of an Error into the JSON error response. Include only from .cpp
// files that add routes.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/authz/guard.hpp"
#include "core/common/client_address.hpp"
#include "server/http/http_server.hpp"

namespace giia::server::rest {

using nlohmann::json;

HttpResponse Json(int status, const json& body);
// 204, no body.
HttpResponse NoContent();

// What the routes of one service share: its permission matrix and
// authorizer, and the proxies whose forwarding headers name the client
// (TRUSTED_PROXIES). All outlive the server.
struct RouteEnv {
  const authz::AccessMatrix& access;
  authz::RequestAuthorizer& authorizer;
  const TrustedProxies& trusted_proxies;
};

// What every route does first: request info, the permission matrix, the body.
struct Ctx {
  authz::RequestInfo info;
  std::optional<authz::Caller> caller;  // set unless the method is public
  json body = json::object();           // {} when the route takes none or none was sent
  const authz::Caller& who() const { return *caller; }
};

// Bounds of a JSON body beyond the byte limit of the HTTP server: nesting
// (an object in an array in the body is depth 2) and the length in bytes of
// any string, member names included. Above every limit of the use cases (a
// description is 2,000 bytes, a password 1,024), so these only stop abuse.
inline constexpr int kMaxJsonDepth = 32;
inline constexpr std::size_t kMaxJsonString = 8192;

// A body as a JSON object. Errors: kInvalidArgument naming "body" when it is
// not a JSON object or nests deeper than kMaxJsonDepth, or naming the member
// whose string is longer than kMaxJsonString.
Result<json> ParseBody(const std::string& text);

// `use_case` names the matrix row ("Login", as the RPC is named). The
// request's ip_address is the client's (ClientAddress: X-Forwarded-For or
// Forwarded only from a trusted proxy). Runs on a worker, which may wait.
// Errors: those of authz::Guard; those of ParseBody.
Result<Ctx> Begin(const RouteEnv& env, const HttpRequest& req, std::string_view use_case,
                  bool has_body);

// A string member of the body; "" when absent or null. Errors name the field.
Result<std::string> Str(const json& body, const char* field);

// Members of the body that may be absent (or null: the same). Errors:
// kInvalidArgument naming the field when it has another JSON type (or, for
// integers, a fraction or a value out of range).
Result<std::optional<std::string>> OptStr(const json& body, const char* field);
Result<std::optional<double>> OptNumber(const json& body, const char* field);
Result<std::optional<int>> OptInt(const json& body, const char* field);
Result<std::optional<std::int64_t>> OptInt64(const json& body, const char* field);
Result<std::optional<bool>> OptBool(const json& body, const char* field);

// Reads optional members of a body into std::optional fields (absent or
// null leaves the field as it is), keeping the first error: read every field,
// then check status().
class BodyReader {
 public:
  explicit BodyReader(const json& body) : body_(body) {}
  BodyReader& Read(const char* field, std::optional<std::string>& out);
  BodyReader& Read(const char* field, std::optional<double>& out);
  BodyReader& Read(const char* field, std::optional<int>& out);
  BodyReader& Read(const char* field, std::optional<std::int64_t>& out);
  BodyReader& Read(const char* field, std::optional<bool>& out);
  // Errors: the first field of the wrong type.
  [[nodiscard]] Status status() const;

 private:
  template <typename T>
  BodyReader& Take(Result<std::optional<T>> r, std::optional<T>& out);
  const json& body_;
  std::optional<Error> error_;
};

// A whole-number query parameter; 0 when absent or empty. On a bad value
// sets *error (naming the parameter) and returns -1.
int IntParam(const HttpRequest& req, const std::string& name, Error* error);
// A query parameter; "" when absent.
std::string Param(const HttpRequest& req, const std::string& name);

// Runs one route body, turning any Error into the JSON error response.
// `fn` is Result<HttpResponse>(const HttpRequest&, Ctx&).
template <typename Fn>
HttpHandler Route(RouteEnv env, std::string use_case, bool has_body, Fn fn) {
  return [env, use_case = std::move(use_case), has_body, fn](const HttpRequest& req) {
    auto ctx = Begin(env, req, use_case, has_body);
    if (!ctx) return ErrorResponse(ctx.error(), req.request_id);
    Result<HttpResponse> out = fn(req, *ctx);
    if (!out) return ErrorResponse(out.error(), req.request_id);
    return *out;
  };
}

}  // namespace giia::server::rest

// Declares `const T& var` from a Result-returning reader, or returns its
// error from the enclosing Result-returning function.
#define GIIA_TRY_READ(var, expr)                        \
  auto var##_r = (expr);                                \
  if (!var##_r) return tl::unexpected(var##_r.error()); \
  const auto& var = *var##_r  // NOLINT(bugprone-macro-parentheses): a declarator

#define GIIA_TRY_STR(var, body, field) GIIA_TRY_READ(var, ::giia::server::rest::Str(body, field))
