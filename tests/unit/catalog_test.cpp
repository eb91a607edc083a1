// The catalog's pure rules: DDMRP buffer zones against worked examples,
// validation that names the field, paging bounds, tenancy checks made before
// any storage is touched, and the remote authorizer's cache (TTL, one call
// per request, fail closed).

#include <catch2/catch.hpp>

#include "core/catalog/remote_authorizer.hpp"
#include "core/catalog/service.hpp"

using namespace giia;
using namespace giia::catalog;
using namespace std::chrono_literals;

namespace {

void CheckZones(const BufferZones& z, double red_base, double red_safety, double red, double yellow,
                double green) {
  CHECK(z.red_base == Approx(red_base));
  CHECK(z.red_safety == Approx(red_safety));
  CHECK(z.red == Approx(red));
  CHECK(z.yellow == Approx(yellow));
  CHECK(z.green == Approx(green));
  CHECK(z.top_of_red == Approx(red));
  CHECK(z.top_of_yellow == Approx(red + yellow));
  CHECK(z.top_of_green == Approx(red + yellow + green));
}

}  // namespace

TEST_CASE("Buffer zones match worked DDMRP examples", "[catalog]") {
  SECTION("the lead-time term sets green") {
    // ADU 10/day, DLT 20 days, LTF 0.5, VF 0.5, MOQ 50, order cycle 7 days.
    // yellow = 10 x 20 = 200; red base = 200 x 0.5 = 100; red safety = 100 x 0.5 = 50;
    // red = 150; green = max(10 x 7 = 70, 100, 50) = 100;
    // top of red 150, top of yellow 350, top of green 450.
    auto z = CalculateZones({10, 20, 50, 7}, 0.5, 0.5);
    REQUIRE(z);
    CheckZones(*z, 100, 50, 150, 200, 100);
    CHECK(z->top_of_green == Approx(450));
  }
  SECTION("the minimum order quantity sets green") {
    // ADU 4, DLT 10, LTF 0.3, VF 0.2, MOQ 60, order cycle 5.
    // yellow = 40; red base = 40 x 0.3 = 12; red safety = 12 x 0.2 = 2.4; red = 14.4;
    // green = max(4 x 5 = 20, 12, 60) = 60; tops 14.4 / 54.4 / 114.4.
    auto z = CalculateZones({4, 10, 60, 5}, 0.3, 0.2);
    REQUIRE(z);
    CheckZones(*z, 12, 2.4, 14.4, 40, 60);
    CHECK(z->top_of_yellow == Approx(54.4));
    CHECK(z->top_of_green == Approx(114.4));
  }
  SECTION("the order cycle sets green") {
    // ADU 25, DLT 4, LTF 0.7, VF 1.0, MOQ 10, order cycle 14.
    // yellow = 100; red base = 70; red safety = 70; red = 140;
    // green = max(25 x 14 = 350, 70, 10) = 350; tops 140 / 240 / 590.
    auto z = CalculateZones({25, 4, 10, 14}, 0.7, 1.0);
    REQUIRE(z);
    CheckZones(*z, 70, 70, 140, 100, 350);
    CHECK(z->top_of_green == Approx(590));
  }
  SECTION("no usage leaves only the minimum order quantity") {
    auto z = CalculateZones({0, 30, 12, 7}, 0.5, 0.5);
    REQUIRE(z);
    CheckZones(*z, 0, 0, 0, 0, 12);
  }
}

TEST_CASE("Bad buffer zone inputs name their field", "[catalog]") {
  auto field_of = [](const ZoneInputs& in, double ltf, double vf) {
    auto z = CalculateZones(in, ltf, vf);
    REQUIRE_FALSE(z);
    CHECK(z.error().code == ErrorCode::kInvalidArgument);
    return z.error().field;
  };
  CHECK(field_of({-1, 10, 0, 0}, 0.5, 0.5) == "adu");
  CHECK(field_of({1, -10, 0, 0}, 0.5, 0.5) == "dlt_days");
  CHECK(field_of({1, 10, -5, 0}, 0.5, 0.5) == "moq");
  CHECK(field_of({1, 10, 0, -1}, 0.5, 0.5) == "order_cycle_days");
  CHECK(field_of({std::nan(""), 10, 0, 0}, 0.5, 0.5) == "adu");
  CHECK(field_of({1, 10, 0, 0}, 0, 0.5) == "lead_time_factor");
  CHECK(field_of({1, 10, 0, 0}, 1.5, 0.5) == "lead_time_factor");
  CHECK(field_of({1, 10, 0, 0}, 0.5, -0.1) == "variability_factor");
}

TEST_CASE("Catalog validation names the field", "[catalog]") {
  auto field = [](const Status& s) { return s ? std::string("ok") : s.error().field; };
  Product p;
  p.sku = "WID-001";
  p.name = "Widget";
  CHECK(field(ValidateProduct(p)) == "ok");
  for (const char* bad : {"", "-lead", "has space", "ümlaut", "x;drop"}) {
    Product q = p;
    q.sku = bad;
    CHECK(field(ValidateProduct(q)) == "sku");
  }
  Product q = p;
  q.sku = std::string(65, 'A');
  CHECK(field(ValidateProduct(q)) == "sku");
  q = p;
  q.name = "  ";
  CHECK(field(ValidateProduct(q)) == "name");
  q = p;
  q.standard_cost = -0.01;
  CHECK(field(ValidateProduct(q)) == "standard_cost");
  q = p;
  q.status = "retired";
  CHECK(field(ValidateProduct(q)) == "status");

  Supplier s;
  s.code = "ACME";
  s.name = "Acme";
  CHECK(field(ValidateSupplier(s)) == "ok");
  Supplier t = s;
  t.default_lead_time_days = -1;
  CHECK(field(ValidateSupplier(t)) == "default_lead_time_days");
  t = s;
  t.contact_email = "not-an-address";
  CHECK(field(ValidateSupplier(t)) == "contact_email");

  BufferProfile b;
  b.name = "F-long";
  CHECK(field(ValidateBufferProfile(b)) == "ok");
  BufferProfile c = b;
  c.adu_method = "median";
  CHECK(field(ValidateBufferProfile(c)) == "adu_method");
  c = b;
  c.lead_time_factor = 0;
  CHECK(field(ValidateBufferProfile(c)) == "lead_time_factor");
  c = b;
  c.variability_factor = 1.01;
  CHECK(field(ValidateBufferProfile(c)) == "variability_factor");
}

TEST_CASE("List paging defaults and bounds", "[catalog]") {
  auto q = NormalizeQuery({});
  REQUIRE(q);
  CHECK(q->page == 1);
  CHECK(q->page_size == 20);
  CHECK(NormalizeQuery({1, 100})->page_size == 100);
  CHECK(NormalizeQuery({1, 101}).error().field == "page_size");
  CHECK(NormalizeQuery({1, -1}).error().field == "page_size");
  CHECK(NormalizeQuery({-1, 10}).error().field == "page");
  CHECK(IsUuid("0b6f3c1e-8a8f-4c55-9d2e-1f0a3b4c5d6e"));
  CHECK_FALSE(IsUuid("0b6f3c1e-8a8f-4c55-9d2e-1f0a3b4c5d6"));
  CHECK_FALSE(IsUuid("0b6f3c1e_8a8f-4c55-9d2e-1f0a3b4c5d6e"));
  CHECK_FALSE(IsUuid("zb6f3c1e-8a8f-4c55-9d2e-1f0a3b4c5d6e"));
}

namespace {

// A store that must not be reached: the checks under test come first.
class UnreachableStore final : public CatalogStore {
 public:
  Status Write(const std::function<Status(CatalogTx&)>&) override {
    ++calls;
    return MakeError(ErrorCode::kInternal, "the store was reached");
  }
  Status Read(const std::function<Status(CatalogRepository&)>&) override {
    ++calls;
    return MakeError(ErrorCode::kInternal, "the store was reached");
  }
  int calls = 0;
};

authz::Caller CallerOf(const std::string& org) {
  authz::Caller c;
  c.user = UserId("7d1e6b9a-1111-4a4a-8b8b-000000000001");
  c.organization = OrganizationId(org);
  return c;
}

}  // namespace

TEST_CASE("Tenancy and input are checked before the store is touched", "[catalog]") {
  UnreachableStore store;
  CatalogService svc({store, [] { return std::string("e"); }});
  const std::string mine = "11111111-1111-4111-8111-111111111111";
  const std::string other = "22222222-2222-4222-8222-222222222222";
  const authz::Caller c = CallerOf(mine);
  const authz::RequestInfo req;

  ProductFields f;
  f.sku = "SKU-1";
  f.name = "Thing";
  auto named_other = svc.CreateProduct(c, other, f, req);
  REQUIRE_FALSE(named_other);
  CHECK(named_other.error().code == ErrorCode::kPermissionDenied);
  CHECK(named_other.error().field == "organization_id");
  CHECK(svc.ListSuppliers(c, other, {}).error().code == ErrorCode::kPermissionDenied);
  CHECK(svc.GetBufferProfile(c, {other, mine, 0}).error().code == ErrorCode::kPermissionDenied);

  auto no_version = svc.UpdateProduct(c, {"", mine, 0}, f, req);
  CHECK(no_version.error().field == "version");
  CHECK(svc.DeleteSupplier(c, {"", "not-a-uuid", 1}, req).error().field == "id");
  f.standard_cost = -1;
  CHECK(svc.CreateProduct(c, "", f, req).error().field == "standard_cost");
  CHECK(svc.SearchProducts(c, "", {}).error().field == "query");
  CHECK(svc.CalculateBufferZones(c, {"", mine, 0}, {-1, 1, 1, 1}).error().field == "adu");
  BufferProfileFields b;
  b.name = "P";
  b.lead_time_factor = 0.5;
  CHECK(svc.CreateBufferProfile(c, "", b, req).error().field == "variability_factor");
  CHECK(store.calls == 0);
}

namespace {

class FakeCodec final : public authz::AccessTokenCodec {
 public:
  Result<std::string> Sign(const authz::AccessClaims&) const override { return std::string(); }
  Result<authz::AccessClaims> Verify(std::string_view token, std::int64_t) const override {
    // "good" is version 0 of u1's tokens, "good-v1" version 1.
    if (token != "good" && token != "good-v1") {
      return MakeError(ErrorCode::kUnauthenticated, "bad signature");
    }
    authz::AccessClaims c;
    c.subject = "u1";
    c.organization = "o1";
    c.token_version = token == "good-v1" ? 1 : 0;
    c.expires_at = 4'000'000'000;
    return c;
  }
  std::string Jwks() const override { return "{}"; }
};

class FakeOracle final : public PermissionOracle {
 public:
  Result<std::vector<authz::Decision>> Check(const authz::Caller& caller,
                                             const std::vector<std::string>& permissions,
                                             const authz::RequestInfo&) override {
    ++calls;
    last_token = caller.access_token;
    last_asked = permissions;
    if (while_asked) while_asked();
    if (down) return MakeError(ErrorCode::kUnavailable, "auth is down");
    std::vector<authz::Decision> out;
    for (const auto& p : permissions) {
      if (caller.token_version < refuse_below) {
        return MakeError(ErrorCode::kUnauthenticated, "token revoked");
      }
      const bool allowed = p.ends_with(":read") || (p == "catalog:write" && writer);
      out.push_back({p, allowed, allowed ? "granted" : "no role grants it"});
    }
    return out;
  }
  int calls = 0;
  bool down = false;
  bool writer = true;
  std::int64_t refuse_below = 0;  // auth refuses tokens older than this version
  std::string last_token;
  std::vector<std::string> last_asked;
  std::function<void()> while_asked;  // runs inside Check, before it answers
};

events::Event SessionsRevoked(const std::string& org, const std::string& user,
                              std::int64_t version) {
  events::Event e;
  e.service = "auth";
  e.type = "user.sessions_revoked";
  e.aggregate_type = "user";
  e.aggregate_id = user;
  e.organization_id = org;
  e.data = {{"user_id", user},
            {"organization_id", org},
            {"token_version", version},
            {"reason", std::string("logout")}};
  return e;
}

events::Event AuthEvent(const std::string& service, const std::string& org,
                        const std::string& user) {
  events::Event e;
  e.service = service;
  e.type = "role.revoked";
  e.aggregate_type = "role";
  e.aggregate_id = user;
  e.organization_id = org;
  return e;
}

}  // namespace

TEST_CASE("The remote authorizer answers from its cache at once and asks auth only in the rest",
          "[catalog]") {
  FakeCodec codec;
  FakeOracle oracle;
  RemoteAuthorizer remote(codec, oracle, {.ttl = 10s});
  const authz::RequestInfo req;
  auto caller = remote.Verify("good");
  REQUIRE(caller);

  auto miss = remote.Admit(*caller, {"catalog:read"}, req);
  CHECK_FALSE(miss.answered());
  CHECK(oracle.calls == 0);  // nothing asked before the rest runs
  auto asked = std::move(miss).Finish();
  REQUIRE(asked);
  CHECK(asked->allowed);
  CHECK(oracle.calls == 1);

  auto hit = remote.Admit(*caller, {"catalog:read"}, req);
  REQUIRE(hit.answered());
  CHECK(std::move(hit).Finish()->allowed);
  CHECK(oracle.calls == 1);

  // One of two in the cache: the rest asks for the other alone, and the
  // answer keeps the order of the question.
  auto half = remote.Admit(*caller, {"catalog:read", "catalog:delete"}, req);
  REQUIRE_FALSE(half.answered());
  auto denied = std::move(half).Finish();
  REQUIRE(denied);
  CHECK_FALSE(denied->allowed);
  CHECK(denied->permission == "catalog:delete");
  CHECK(oracle.last_asked == std::vector<std::string>{"catalog:delete"});
  CHECK(remote.stats().hits == 1);
  CHECK(remote.stats().misses == 2);
}

TEST_CASE("The remote authorizer caches decisions for a TTL and fails closed", "[catalog]") {
  FakeCodec codec;
  FakeOracle oracle;
  auto now = std::chrono::steady_clock::time_point(100s);
  RemoteAuthorizer remote(codec, oracle, {.ttl = 10s}, [&] { return now; });
  const authz::RequestInfo req;

  CHECK(remote.Verify("forged").error().code == ErrorCode::kUnauthenticated);
  CHECK(remote.Verify("").error().code == ErrorCode::kUnauthenticated);
  auto caller = remote.Verify("good");
  REQUIRE(caller);
  CHECK(caller->organization.value() == "o1");
  CHECK(oracle.calls == 0);  // tokens are verified locally

  SECTION("several permissions are asked in one call, then answered from the cache") {
    auto d = remote.AdmitNow(*caller, {"catalog:write", "buffers:read"}, req);
    REQUIRE(d);
    CHECK(d->allowed);
    CHECK(oracle.calls == 1);
    CHECK(oracle.last_token == "good");  // asked on the caller's behalf
    CHECK(remote.AdmitNow(*caller, {"buffers:read"}, req)->allowed);
    CHECK(remote.AdmitNow(*caller, {"catalog:write", "buffers:read"}, req)->allowed);
    CHECK(oracle.calls == 1);
    CHECK(remote.stats().hits == 2);
  }
  SECTION("the first denial is the answer") {
    auto d = remote.AdmitNow(*caller, {"catalog:read", "catalog:delete"}, req);
    REQUIRE(d);
    CHECK_FALSE(d->allowed);
    CHECK(d->permission == "catalog:delete");
  }
  SECTION("a change in auth shows once the TTL has passed") {
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    oracle.writer = false;
    now += 9s;
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    now += 2s;
    CHECK_FALSE(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    CHECK(oracle.calls == 2);
  }
  SECTION("an auth event about the user drops its decisions at once, and no one else's") {
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    oracle.writer = false;
    remote.OnAuthEvent(AuthEvent("auth", "o1", "u2"));     // another user
    remote.OnAuthEvent(AuthEvent("auth", "o2", "u1"));     // another organization
    remote.OnAuthEvent(AuthEvent("catalog", "o1", "u1"));  // not auth's
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    CHECK(oracle.calls == 1);
    remote.OnAuthEvent(AuthEvent("auth", "o1", "u1"));
    CHECK_FALSE(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    CHECK(oracle.calls == 2);
  }
  SECTION("a decision asked before a Forget and answered after it is not kept") {
    oracle.while_asked = [&] {
      remote.Forget(OrganizationId("o1"), UserId("u1"));
      oracle.while_asked = nullptr;
    };
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);  // answered, not kept
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);
    CHECK(oracle.calls == 2);
    CHECK(remote.AdmitNow(*caller, {"catalog:write"}, req)->allowed);  // kept this time
    CHECK(oracle.calls == 2);
  }
  SECTION("auth down: cached decisions serve until they expire, then UNAVAILABLE") {
    CHECK(remote.AdmitNow(*caller, {"catalog:read"}, req)->allowed);
    oracle.down = true;
    now += 5s;
    CHECK(remote.AdmitNow(*caller, {"catalog:read"}, req)->allowed);
    auto uncached = remote.AdmitNow(*caller, {"buffers:read"}, req);
    REQUIRE_FALSE(uncached);
    CHECK(uncached.error().code == ErrorCode::kUnavailable);
    now += 6s;
    auto expired = remote.AdmitNow(*caller, {"catalog:read"}, req);
    REQUIRE_FALSE(expired);
    CHECK(expired.error().code == ErrorCode::kUnavailable);
    CHECK(remote.stats().unavailable == 2);
    oracle.down = false;
    CHECK(remote.AdmitNow(*caller, {"catalog:read"}, req)->allowed);
  }
}

TEST_CASE("The remote authorizer honours revocation: token versions and auth's revocation event",
          "[catalog]") {
  FakeCodec codec;
  FakeOracle oracle;
  auto now = std::chrono::steady_clock::time_point(100s);
  RemoteAuthorizer remote(codec, oracle, {.ttl = 600s, .revocation_memory = 3600s},
                          [&] { return now; });
  const authz::RequestInfo req;
  auto old_token = remote.Verify("good");
  REQUIRE(old_token);
  CHECK(old_token->token_version == 0);
  REQUIRE(remote.AdmitNow(*old_token, {"catalog:write"}, req)->allowed);  // cached for version 0

  SECTION("a decision cached for one token version never answers another") {
    // The password changed (version 1) and the user logged in again: the
    // new token asks auth itself instead of refilling version 0's entries...
    oracle.refuse_below = 1;
    auto fresh = remote.Verify("good-v1");
    REQUIRE(fresh);
    CHECK(remote.AdmitNow(*fresh, {"catalog:write"}, req)->allowed);
    CHECK(oracle.calls == 2);
    // ... and what it filled does not serve the old token.
    remote.Forget(OrganizationId("o1"), UserId("u1"));
    CHECK(remote.AdmitNow(*fresh, {"catalog:write"}, req)->allowed);
    auto old_again = remote.AdmitNow(*old_token, {"catalog:write"}, req);
    REQUIRE_FALSE(old_again);
    CHECK(old_again.error().code == ErrorCode::kUnauthenticated);
  }
  SECTION("user.sessions_revoked refuses older tokens at once, before any cache") {
    remote.OnAuthEvent(SessionsRevoked("o2", "u1", 1));  // another organization
    remote.OnAuthEvent(SessionsRevoked("o1", "u2", 1));  // another user
    CHECK(remote.Verify("good"));
    remote.OnAuthEvent(SessionsRevoked("o1", "u1", 1));
    auto refused = remote.Verify("good");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::kUnauthenticated);
    CHECK(refused.error().message == "token revoked");
    CHECK(remote.Verify("good-v1"));  // the new version works
    // An older event arriving late lowers nothing.
    remote.OnAuthEvent(SessionsRevoked("o1", "u1", 0));
    CHECK_FALSE(remote.Verify("good"));
    // The floor is remembered for revocation_memory, longer than tokens live.
    now += 3601s;
    CHECK(remote.Verify("good"));
  }
  SECTION("a revocation without its version (a malformed event) still drops the decisions") {
    events::Event e = SessionsRevoked("o1", "u1", 1);
    e.data = {{"user_id", std::string("u1")}};
    oracle.refuse_below = 1;
    remote.OnAuthEvent(e);
    auto asked = remote.AdmitNow(*old_token, {"catalog:write"}, req);
    REQUIRE_FALSE(asked);
    CHECK(asked.error().code == ErrorCode::kUnauthenticated);
  }
}
