// Every REST body reader, as a request reaches it: rest::Begin's JSON parse
// (server/http/rest.cpp) and then the route's reader: register, login, create
// user (server/auth/auth_bodies.cpp), product, supplier, buffer profile
// (server/catalog/catalog_bodies.cpp). The first input byte picks the route,
// the rest is the body. Nothing crashes; a body is refused exactly when it is
// not a JSON object or a known member has the wrong type, and then the error
// names the first such member in reading order; what is read is the body's.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "server/auth/auth_bodies.hpp"
#include "server/catalog/catalog_bodies.hpp"
#include "server/http/rest.hpp"

namespace {

using giia::Result;
using giia::server::rest::json;

// Every caller is allowed: the harness is about bodies, not the matrix.
class AllowAll final : public giia::authz::RequestAuthorizer {
 public:
  Result<giia::authz::Caller> Verify(std::string_view) override {
    return giia::authz::Caller{giia::UserId("u1"), giia::OrganizationId("o1")};
  }
  giia::Attempt<Result<giia::authz::Decision>> Admit(const giia::authz::Caller&,
                                                     const std::vector<std::string>&,
                                                     const giia::authz::RequestInfo&) override {
    return Result<giia::authz::Decision>(giia::authz::Decision{"", true, ""});
  }
};

enum class Kind { kString, kNumber, kInt, kRoles };
struct Member {
  const char* name;
  Kind kind;
};

// Whether `v` (present, not null) is what a reader of `kind` takes.
bool Fits(const json& v, Kind kind) {
  switch (kind) {
    case Kind::kString: return v.is_string();
    case Kind::kNumber: return v.is_number();
    case Kind::kInt:
      if (v.is_number_unsigned()) {
        return v.get<std::uint64_t>() <=
               static_cast<std::uint64_t>(std::numeric_limits<int>::max());
      }
      return v.is_number_integer() && v.get<std::int64_t>() >= std::numeric_limits<int>::min() &&
             v.get<std::int64_t>() <= std::numeric_limits<int>::max();
    case Kind::kRoles:
      if (!v.is_array()) return false;
      for (const json& r : v) {
        if (!r.is_string()) return false;
      }
      return true;
  }
  return false;
}

// The member a reader of `members` must name, or "" when none is wrong.
std::string FirstWrong(const json& body, const std::vector<Member>& members) {
  for (const Member& m : members) {
    auto it = body.find(m.name);
    if (it == body.end() || it->is_null() || Fits(*it, m.kind)) continue;
    if (m.kind == Kind::kRoles && it->is_array()) {
      for (std::size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_string()) return "roles[" + std::to_string(i) + "]";
      }
    }
    return m.name;
  }
  return "";
}

std::string StrOf(const json& body, const char* name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? "" : it->get<std::string>();
}

std::optional<std::string> OptStrOf(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  return it->get<std::string>();
}

template <typename T>
void CheckOutcome(const Result<T>& r, const json& body, const std::vector<Member>& members) {
  const std::string wrong = FirstWrong(body, members);
  if (wrong.empty()) {
    GIIA_FUZZ_CHECK(r.has_value());
  } else {
    GIIA_FUZZ_CHECK(!r.has_value());
    GIIA_FUZZ_CHECK(r.error().code == giia::ErrorCode::kInvalidArgument);
    GIIA_FUZZ_CHECK(r.error().field == wrong);
    // The error answer is the error object, whatever the message says.
    const json answer = json::parse(giia::server::ErrorResponse(r.error(), "rid").body);
    GIIA_FUZZ_CHECK(answer.at("error").at("field") == wrong);
  }
}

void Register(const json& b) {
  auto r = giia::server::ParseRegisterBody(b);
  CheckOutcome(r, b,
               {{"email", Kind::kString},
                {"password", Kind::kString},
                {"first_name", Kind::kString},
                {"last_name", Kind::kString},
                {"organization_name", Kind::kString},
                {"organization_slug", Kind::kString}});
  if (!r) return;
  GIIA_FUZZ_CHECK(r->email == StrOf(b, "email") && r->password == StrOf(b, "password"));
  GIIA_FUZZ_CHECK(r->organization_slug == StrOf(b, "organization_slug"));
}

void Login(const json& b) {
  auto r = giia::server::ParseLoginBody(b);
  CheckOutcome(r, b, {{"email", Kind::kString}, {"password", Kind::kString}});
  if (r) GIIA_FUZZ_CHECK(r->email == StrOf(b, "email") && r->password == StrOf(b, "password"));
}

void CreateUser(const json& b) {
  auto r = giia::server::ParseCreateUserBody(b);
  CheckOutcome(r, b,
               {{"email", Kind::kString},
                {"password", Kind::kString},
                {"first_name", Kind::kString},
                {"last_name", Kind::kString},
                {"roles", Kind::kRoles}});
  if (r && b.contains("roles") && !b["roles"].is_null()) {
    GIIA_FUZZ_CHECK(r->roles.size() == b["roles"].size());
  }
}

void Product(const json& b) {
  giia::catalog::ProductFields f;
  auto r = giia::server::ReadFields(b, f);
  CheckOutcome(r, b,
               {{"sku", Kind::kString},
                {"name", Kind::kString},
                {"description", Kind::kString},
                {"category", Kind::kString},
                {"unit_of_measure", Kind::kString},
                {"standard_cost", Kind::kNumber},
                {"status", Kind::kString}});
  if (r) GIIA_FUZZ_CHECK(f.sku == OptStrOf(b, "sku") && f.status == OptStrOf(b, "status"));
}

void Supplier(const json& b) {
  giia::catalog::SupplierFields f;
  auto r = giia::server::ReadFields(b, f);
  CheckOutcome(r, b,
               {{"code", Kind::kString},
                {"name", Kind::kString},
                {"contact_name", Kind::kString},
                {"contact_email", Kind::kString},
                {"contact_phone", Kind::kString},
                {"default_lead_time_days", Kind::kInt},
                {"status", Kind::kString}});
  if (r && f.default_lead_time_days) {
    GIIA_FUZZ_CHECK(*f.default_lead_time_days == b["default_lead_time_days"].get<std::int64_t>());
  }
}

void BufferProfile(const json& b) {
  giia::catalog::BufferProfileFields f;
  auto r = giia::server::ReadFields(b, f);
  CheckOutcome(r, b,
               {{"name", Kind::kString},
                {"description", Kind::kString},
                {"adu_method", Kind::kString},
                {"lead_time_factor", Kind::kNumber},
                {"variability_factor", Kind::kNumber},
                {"status", Kind::kString}});
}

// Every route is allowed: a matrix of just the routes the harness drives.
using Need = giia::authz::Requirement::Kind;
const giia::authz::AccessMatrix kAnyone{
    {"Register", Need::kAuthenticated},       {"Login", Need::kAuthenticated},
    {"CreateUser", Need::kAuthenticated},     {"CreateProduct", Need::kAuthenticated},
    {"CreateSupplier", Need::kAuthenticated}, {"CreateBufferProfile", Need::kAuthenticated},
};

struct Route {
  const char* use_case;
  void (*read)(const json&);
};
const Route kRoutes[] = {
    {"Register", Register},       {"Login", Login},
    {"CreateUser", CreateUser},   {"CreateProduct", Product},
    {"CreateSupplier", Supplier}, {"CreateBufferProfile", BufferProfile},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % std::size(kRoutes)];
  giia::server::HttpRequest req;
  req.method = "POST";
  req.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  req.headers = {{"Authorization", "Bearer t"}, {"User-Agent", "fuzz"}};
  req.request_id = "rid";
  req.remote_addr = "127.0.0.1";
  AllowAll authorizer;
  const giia::TrustedProxies nobody;  // the peer is the client
  const giia::server::rest::RouteEnv env{kAnyone, authorizer, nobody};
  auto ctx = giia::server::rest::Begin(env, req, route.use_case, true);
  if (!ctx) {
    GIIA_FUZZ_CHECK(ctx.error().code == giia::ErrorCode::kInvalidArgument);
    GIIA_FUZZ_CHECK(!ctx.error().field.empty());
    return 0;
  }
  GIIA_FUZZ_CHECK(ctx->body.is_object());
  route.read(ctx->body);
  return 0;
}
