// `giia serve catalog` beside `giia serve auth`, both as processes, driven
// over gRPC and REST like their users do, against real PostgreSQL, Redis and
// NATS: the cross-service journey, the seeded roles against every catalog
// method, tenant isolation, optimistic locking, lists and search, and what
// happens while auth or NATS is away.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <nats/nats.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/codec/cloudevents.hpp"
#include "core/catalog/access.hpp"
#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"
#include "support/counter.hpp"
#include "support/poll.hpp"

namespace pb = giia::catalog::v1;
using giia::testing::AuthServer;
using giia::testing::CatalogServer;
using giia::testing::Eventually;
using giia::testing::HttpReply;
using giia::testing::kPassword;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Rpc {
  grpc::ClientContext ctx;
  explicit Rpc(const std::string& token) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ctx.AddMetadata("authorization", "Bearer " + token);
  }
};

// Every message published on `subject`, as received.
class NatsCollector {
 public:
  NatsCollector(const std::string& url, const std::string& subject) {
    REQUIRE(natsConnection_ConnectTo(&nc_, url.c_str()) == NATS_OK);
    REQUIRE(natsConnection_Subscribe(
                &sub_, nc_, subject.c_str(),
                [](natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
                  auto* me = static_cast<NatsCollector*>(self);
                  {
                    std::lock_guard lock(me->mu_);
                    me->messages_.emplace_back(
                        natsMsg_GetSubject(msg),
                        std::string(natsMsg_GetData(msg),
                                    static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
                  }
                  me->count_.Bump();
                  natsMsg_Destroy(msg);
                },
                this) == NATS_OK);
    REQUIRE(natsConnection_Flush(nc_) == NATS_OK);
  }
  ~NatsCollector() {
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }
  bool WaitFor(int n) { return count_.WaitFor(n, 20s); }
  std::vector<std::pair<std::string, std::string>> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  giia::testing::EventCounter count_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_;
};

json MustCreate(CatalogServer& c, const std::string& path, const json& body,
                const std::string& token, const char* key) {
  HttpReply r = c.Post(path, body, token);
  INFO(path << " " << r.raw);
  REQUIRE(r.status == 201);
  return r.body[key];
}

}  // namespace

TEST_CASE("The cross-service journey: register in auth, build a catalog, calculate buffer zones",
          "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  NatsCollector events(auth.env().at("NATS_URL"), "catalog.>");
  json admin = auth.RegisterAdmin("ann@acme.example", "Acme");
  const std::string token = admin["access_token"];
  const std::string org = admin["user"]["organization_id"];
  auto stub = catalog.Stub();

  pb::CreateSupplierRequest sreq;
  sreq.set_code("ACME-STEEL");
  sreq.set_name("Acme Steel");
  sreq.set_default_lead_time_days(12);
  pb::CreateSupplierResponse sres;
  {
    Rpc rpc(token);
    grpc::Status st = stub->CreateSupplier(&rpc.ctx, sreq, &sres);
    INFO(st.error_message());
    REQUIRE(st.ok());
  }
  CHECK(sres.supplier().organization_id() == org);
  CHECK(sres.supplier().version() == 1);

  pb::CreateProductRequest preq;
  preq.set_sku("WID-001");
  preq.set_name("Widget");
  preq.set_category("parts");
  preq.set_standard_cost(2.5);
  pb::CreateProductResponse pres;
  {
    Rpc rpc(token);
    REQUIRE(stub->CreateProduct(&rpc.ctx, preq, &pres).ok());
  }
  const std::string product = pres.product().id();

  pb::AddProductSupplierRequest lreq;
  lreq.set_product_id(product);
  lreq.set_supplier_id(sres.supplier().id());
  lreq.set_lead_time_days(9);
  lreq.set_is_primary(true);
  pb::AddProductSupplierResponse lres;
  {
    Rpc rpc(token);
    REQUIRE(stub->AddProductSupplier(&rpc.ctx, lreq, &lres).ok());
  }
  CHECK(lres.product_supplier().supplier_code() == "ACME-STEEL");
  CHECK(lres.product_supplier().lead_time_days() == 9);

  pb::CreateBufferProfileRequest breq;
  breq.set_name("Purchased, medium lead time, medium variability");
  breq.set_adu_method("average");
  breq.set_lead_time_factor(0.5);
  breq.set_variability_factor(0.5);
  pb::CreateBufferProfileResponse bres;
  {
    Rpc rpc(token);
    REQUIRE(stub->CreateBufferProfile(&rpc.ctx, breq, &bres).ok());
  }

  pb::AssignBufferProfileRequest areq;
  areq.set_product_id(product);
  areq.set_buffer_profile_id(bres.buffer_profile().id());
  areq.set_version(pres.product().version());
  pb::AssignBufferProfileResponse ares;
  {
    Rpc rpc(token);
    REQUIRE(stub->AssignBufferProfile(&rpc.ctx, areq, &ares).ok());
  }
  CHECK(ares.product().buffer_profile_id() == bres.buffer_profile().id());
  CHECK(ares.product().version() == 2);

  // ADU 10, DLT 20, MOQ 50, order cycle 7, LTF 0.5, VF 0.5: yellow 200, red
  // base 100, red safety 50, red 150, green max(70, 100, 50) = 100.
  pb::CalculateBufferZonesRequest zreq;
  zreq.set_product_id(product);
  zreq.set_adu(10);
  zreq.set_dlt_days(20);
  zreq.set_moq(50);
  zreq.set_order_cycle_days(7);
  pb::CalculateBufferZonesResponse zres;
  {
    Rpc rpc(token);
    REQUIRE(stub->CalculateBufferZones(&rpc.ctx, zreq, &zres).ok());
  }
  CHECK(zres.zones().red() == Approx(150));
  CHECK(zres.zones().yellow() == Approx(200));
  CHECK(zres.zones().green() == Approx(100));
  CHECK(zres.zones().top_of_green() == Approx(450));
  // The same use case over REST.
  HttpReply zones =
      catalog.Post("/api/v1/products/" + product + "/buffer-zones",
                   {{"adu", 10}, {"dlt_days", 20}, {"moq", 50}, {"order_cycle_days", 7}}, token);
  INFO(zones.raw);
  REQUIRE(zones.status == 200);
  CHECK(zones.body["zones"]["top_of_yellow"].get<double>() == Approx(350));

  HttpReply listed = catalog.Get("/api/v1/products/" + product + "/suppliers", token);
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body["items"].size() == 1);
  CHECK(listed.body["items"][0]["is_primary"] == true);

  // supplier.created, product.created, buffer_profile.created,
  // product.buffer_profile_assigned: each a valid CloudEvent of the org.
  REQUIRE(events.WaitFor(4));
  std::multiset<std::string> types;
  std::set<std::string> ids;
  for (const auto& [subject, data] : events.messages()) {
    auto event = giia::codec::DecodeCloudEvent(data);
    INFO(data);
    REQUIRE(event);
    CHECK(giia::events::Validate(*event));
    CHECK(subject == "catalog." + event->type);
    CHECK(event->organization_id == org);
    CHECK_FALSE(event->request_id.empty());
    types.insert(event->type);
    ids.insert(event->id);
  }
  CHECK(types == std::multiset<std::string>{"supplier.created", "product.created",
                                            "buffer_profile.created",
                                            "product.buffer_profile_assigned"});
  CHECK(ids.size() == 4);
}

TEST_CASE("Each seeded role against each catalog method, and a revoked role within the TTL",
          "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  json admin = auth.RegisterAdmin("root@roles.example", "Roles Co");
  const std::string admin_token = admin["access_token"];
  std::map<std::string, std::string> tokens = {{"Admin", admin_token}};
  for (const char* role : {"Manager", "Analyst", "Viewer"}) {
    std::string email = std::string(role) + "@roles.example";
    std::transform(email.begin(), email.end(), email.begin(), ::tolower);
    tokens[role] = auth.CreateAndLogin(admin_token, email, role)["access_token"];
  }
  // The seed's mapping, for the catalog's resources.
  const std::map<std::string, std::set<std::string>> grants = {
      {"Admin",
       {"catalog:read", "catalog:write", "catalog:delete", "buffers:read", "buffers:write",
        "buffers:delete"}},
      {"Manager", {"catalog:read", "catalog:write", "buffers:read", "buffers:write"}},
      {"Analyst", {"catalog:read", "buffers:read"}},
      {"Viewer", {"catalog:read", "buffers:read"}},
  };

  grpc::GenericStub stub(
      grpc::CreateChannel(catalog.grpc_address(), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& method, const std::string& token) {
    return giia::testing::CallWithEmptyRequest(stub, method, token);
  };
  const auto* service =
      pb::GetProductRequest::descriptor()->file()->FindServiceByName("CatalogService");
  REQUIRE(service != nullptr);
  REQUIRE(service->method_count() == 21);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = "/" + service->full_name() + "/" + service->method(i)->name();
    const giia::authz::Requirement* need = giia::catalog::Access().For(service->method(i)->name());
    INFO(method);
    REQUIRE(need != nullptr);
    REQUIRE(need->kind == giia::authz::Requirement::Kind::kPermission);
    CHECK(call(method, "") == grpc::StatusCode::UNAUTHENTICATED);
    for (const auto& [role, token] : tokens) {
      INFO(role);
      const bool allowed =
          std::all_of(need->permissions.begin(), need->permissions.end(),
                      [&](const std::string& p) { return grants.at(role).count(p); });
      const auto code = call(method, token);
      if (allowed) {
        CHECK(code != grpc::StatusCode::PERMISSION_DENIED);
        CHECK(code != grpc::StatusCode::UNAUTHENTICATED);
        CHECK(code != grpc::StatusCode::INTERNAL);
        CHECK(code != grpc::StatusCode::UNIMPLEMENTED);
      } else {
        CHECK(code == grpc::StatusCode::PERMISSION_DENIED);
      }
    }
  }

  // Over REST: a Viewer reads but cannot write; an Analyst cannot delete; a
  // Manager writes but cannot delete; an Admin deletes.
  CHECK(catalog.Get("/api/v1/products", tokens["Viewer"]).status == 200);
  CHECK(
      catalog.Post("/api/v1/products", {{"sku", "V-1"}, {"name", "v"}}, tokens["Viewer"]).status ==
      403);
  json made = MustCreate(catalog, "/api/v1/products", {{"sku", "M-1"}, {"name", "m"}},
                         tokens["Manager"], "product");
  const std::string path = "/api/v1/products/" + made["id"].get<std::string>();
  CHECK(catalog.Delete(path, tokens["Analyst"], "1").status == 403);
  CHECK(catalog.Delete(path, tokens["Manager"], "1").status == 403);
  CHECK(catalog.Delete(path, admin_token, "1").status == 204);

  // The Manager loses the role in auth: denied in catalog within the TTL (2 s).
  HttpReply me = auth.Get("/api/v1/users/me", tokens["Manager"]);
  const std::string manager_id = me.body["user"]["id"];
  REQUIRE(auth.Delete("/api/v1/users/" + manager_id + "/roles/Manager", admin_token).status == 200);
  const auto revoked_at = std::chrono::steady_clock::now();
  int n = 0;
  CHECK(Eventually(
      [&] {
        return catalog
                   .Post("/api/v1/products",
                         {{"sku", "M-" + std::to_string(++n + 1)}, {"name", "m"}},
                         tokens["Manager"])
                   .status == 403;
      },
      10s));
  CHECK(std::chrono::steady_clock::now() - revoked_at < 2s + 2s);
}

TEST_CASE("A role revoked in auth is denied in the catalog at once, long before the TTL",
          "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth, {.permission_cache_ttl = "10m"});
  json admin = auth.RegisterAdmin("root@events.example", "Events Co");
  const std::string admin_token = admin["access_token"];
  const std::string manager =
      auth.CreateAndLogin(admin_token, "manager@events.example", "Manager")["access_token"];
  // Allowed, and the decision is kept for ten minutes.
  MustCreate(catalog, "/api/v1/products", {{"sku", "E-1"}, {"name", "e"}}, manager, "product");
  const std::string manager_id = auth.Get("/api/v1/users/me", manager).body["user"]["id"];
  REQUIRE(auth.Delete("/api/v1/users/" + manager_id + "/roles/Manager", admin_token).status == 200);
  // auth's role.revoked event drops it.
  int n = 1;
  CHECK(Eventually(
      [&] {
        return catalog
                   .Post("/api/v1/products", {{"sku", "E-" + std::to_string(++n)}, {"name", "e"}},
                         manager)
                   .status == 403;
      },
      20s));
}

TEST_CASE("Tenant isolation: no read, list, search, update, delete or assign crosses over",
          "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  json a = auth.RegisterAdmin("ann@a.example", "Org A");
  json b = auth.RegisterAdmin("bob@b.example", "Org B");
  const std::string ta = a["access_token"], tb = b["access_token"];
  const std::string org_a = a["user"]["organization_id"];

  json product = MustCreate(catalog, "/api/v1/products", {{"sku", "SECRET-1"}, {"name", "Secret"}},
                            ta, "product");
  json supplier = MustCreate(catalog, "/api/v1/suppliers", {{"code", "SUP-A"}, {"name", "A's"}}, ta,
                             "supplier");
  json profile = MustCreate(catalog, "/api/v1/buffer-profiles",
                            {{"name", "A"}, {"lead_time_factor", 0.5}, {"variability_factor", 0.5}},
                            ta, "buffer_profile");
  json mine =
      MustCreate(catalog, "/api/v1/products", {{"sku", "MINE-1"}, {"name", "Mine"}}, tb, "product");
  const std::string p = "/api/v1/products/" + product["id"].get<std::string>();
  const std::string s = "/api/v1/suppliers/" + supplier["id"].get<std::string>();
  const std::string bp = "/api/v1/buffer-profiles/" + profile["id"].get<std::string>();

  for (const std::string& path : {p, s, bp, p + "/suppliers"}) {
    INFO(path);
    HttpReply r = catalog.Get(path, tb);
    CHECK(r.status == 404);
    CHECK(r.raw.find("Secret") == std::string::npos);
  }
  CHECK(catalog.Put(p, {{"name", "Stolen"}}, tb, "1").status == 404);
  CHECK(catalog.Put(s, {{"name", "Stolen"}}, tb, "1").status == 404);
  CHECK(catalog.Put(bp, {{"name", "Stolen"}}, tb, "1").status == 404);
  CHECK(catalog.Delete(p, tb, "1").status == 404);
  CHECK(catalog.Delete(s, tb, "1").status == 404);
  CHECK(catalog.Delete(bp, tb, "1").status == 404);
  CHECK(catalog.Post(p + "/buffer-zones", {{"adu", 1}, {"dlt_days", 1}}, tb).status == 404);
  CHECK(catalog.Post(p + "/suppliers", {{"supplier_id", supplier["id"]}, {"lead_time_days", 1}}, tb)
            .status == 404);
  // B's product with A's profile or A's supplier: A's rows do not exist for B.
  const std::string bmine = "/api/v1/products/" + mine["id"].get<std::string>();
  CHECK(catalog.Put(bmine + "/buffer-profile", {{"buffer_profile_id", profile["id"]}}, tb, "1")
            .status == 404);
  CHECK(
      catalog
          .Post(bmine + "/suppliers", {{"supplier_id", supplier["id"]}, {"lead_time_days", 1}}, tb)
          .status == 404);
  CHECK(catalog.Delete(bmine + "/suppliers/" + supplier["id"].get<std::string>(), tb).status ==
        404);
  for (const char* list : {"/api/v1/products", "/api/v1/products?q=SECRET", "/api/v1/suppliers",
                           "/api/v1/buffer-profiles"}) {
    INFO(list);
    HttpReply r = catalog.Get(list, tb);
    REQUIRE(r.status == 200);
    for (const auto& item : r.body["items"]) CHECK(item["organization_id"] != org_a);
  }
  // Naming another organization is refused outright.
  CHECK(catalog.Get("/api/v1/products?organization_id=" + org_a, tb).status == 403);
  CHECK(
      catalog
          .Post("/api/v1/products", {{"organization_id", org_a}, {"sku", "X-1"}, {"name", "x"}}, tb)
          .status == 403);
  auto stub = catalog.Stub();
  pb::ListProductsRequest lreq;
  lreq.set_organization_id(org_a);
  pb::ListProductsResponse lres;
  Rpc rpc(tb);
  CHECK(stub->ListProducts(&rpc.ctx, lreq, &lres).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  // A still sees all of its own, unchanged.
  HttpReply still = catalog.Get(p, ta);
  REQUIRE(still.status == 200);
  CHECK(still.body["product"]["name"] == "Secret");
  CHECK(still.body["product"]["version"] == 1);
}

TEST_CASE("Versions, duplicate sku, soft delete and reuse, paging bounds and search", "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  json admin = auth.RegisterAdmin("vera@v.example", "Versions");
  const std::string t = admin["access_token"];

  json p = MustCreate(catalog, "/api/v1/products",
                      {{"sku", "BOLT-M8"}, {"name", "Hex bolt M8"}, {"category", "fasteners"}}, t,
                      "product");
  const std::string path = "/api/v1/products/" + p["id"].get<std::string>();

  SECTION("a stale version is ABORTED (409) and changes nothing") {
    HttpReply ok = catalog.Put(path, {{"name", "Hex bolt M8x20"}}, t, "\"1\"");
    REQUIRE(ok.status == 200);
    CHECK(ok.body["product"]["version"] == 2);
    HttpReply stale = catalog.Put(path, {{"name", "Lost update"}}, t, "\"1\"");
    CHECK(stale.status == 409);
    CHECK(stale.body["error"]["code"] == "ABORTED");
    CHECK(catalog.Delete(path, t, "1").status == 409);
    CHECK(catalog.Get(path, t).body["product"]["name"] == "Hex bolt M8x20");
    // The version may come in the body instead of If-Match.
    CHECK(catalog.Put(path, {{"name", "Body version"}, {"version", 2}}, t).status == 200);
    HttpReply missing = catalog.Put(path, {{"name", "No version"}}, t);
    CHECK(missing.status == 400);
    CHECK(missing.body["error"]["field"] == "version");
  }
  SECTION("bad input names the field and changes nothing") {
    for (const auto& [body, field] :
         std::vector<std::pair<json, std::string>>{{{{"standard_cost", -1}}, "standard_cost"},
                                                   {{{"status", "retired"}}, "status"},
                                                   {{{"sku", "has space"}}, "sku"},
                                                   {{{"name", 42}}, "name"}}) {
      HttpReply r = catalog.Put(path, body, t, "1");
      INFO(r.raw);
      CHECK(r.status == 400);
      CHECK(r.body["error"]["field"] == field);
    }
    CHECK(catalog.Get(path, t).body["product"]["version"] == 1);
  }
  SECTION("a value of the wrong type is refused naming the field, on every route with a body") {
    json s = MustCreate(catalog, "/api/v1/suppliers", {{"code", "ACME"}, {"name", "Acme"}}, t,
                        "supplier");
    json b = MustCreate(catalog, "/api/v1/buffer-profiles",
                        {{"name", "Fast"}, {"lead_time_factor", 0.5}, {"variability_factor", 0.5}},
                        t, "buffer_profile");
    const std::string supplier = "/api/v1/suppliers/" + s["id"].get<std::string>();
    const std::string profile = "/api/v1/buffer-profiles/" + b["id"].get<std::string>();
    struct WrongType {
      std::string method, path;
      json body;
      std::string field;
    };
    for (const auto& [method, route, body, field] : std::vector<WrongType>{
             {"POST", "/api/v1/products", {{"sku", 1}, {"name", "X"}}, "sku"},
             {"POST", "/api/v1/products", {{"sku", "X-1"}, {"name", 0}}, "name"},
             {"POST",
              "/api/v1/products",
              {{"sku", "X-1"}, {"name", "X"}, {"standard_cost", "9"}},
              "standard_cost"},
             {"POST",
              "/api/v1/products",
              {{"sku", "X-1"}, {"name", "X"}, {"organization_id", 7}},
              "organization_id"},
             {"PUT", path, {{"description", false}, {"version", 1}}, "description"},
             {"PUT", path, {{"category", json::array({"fasteners"})}, {"version", 1}}, "category"},
             {"PUT", path, {{"unit_of_measure", 3}, {"version", 1}}, "unit_of_measure"},
             {"PUT",
              path,
              {{"status", json::object({{"is", "active"}})}, {"version", 1}},
              "status"},
             {"PUT", path, {{"standard_cost", true}, {"version", 1}}, "standard_cost"},
             {"PUT", path, {{"name", "Y"}, {"version", "1"}}, "version"},
             {"PUT", path, {{"name", "Y"}, {"version", 1.5}}, "version"},
             {"POST", "/api/v1/suppliers", {{"code", 5}, {"name", "S"}}, "code"},
             {"POST",
              "/api/v1/suppliers",
              {{"code", "S2"}, {"name", "S"}, {"default_lead_time_days", "7"}},
              "default_lead_time_days"},
             {"POST",
              "/api/v1/suppliers",
              {{"code", "S2"}, {"name", "S"}, {"default_lead_time_days", 7.5}},
              "default_lead_time_days"},
             {"PUT", supplier, {{"contact_email", 1}, {"version", 1}}, "contact_email"},
             {"PUT", supplier, {{"contact_name", json::array()}, {"version", 1}}, "contact_name"},
             {"PUT", supplier, {{"contact_phone", 5550100}, {"version", 1}}, "contact_phone"},
             {"POST", "/api/v1/buffer-profiles", {{"name", 1}}, "name"},
             {"POST",
              "/api/v1/buffer-profiles",
              {{"name", "P"}, {"lead_time_factor", "0.5"}},
              "lead_time_factor"},
             {"PUT", profile, {{"adu_method", 1}, {"version", 1}}, "adu_method"},
             {"PUT",
              profile,
              {{"variability_factor", json::array({0.5})}, {"version", 1}},
              "variability_factor"},
             {"PUT",
              path + "/buffer-profile",
              {{"buffer_profile_id", 5}, {"version", 1}},
              "buffer_profile_id"},
             {"POST", path + "/buffer-zones", {{"adu", "10"}}, "adu"},
             {"POST", path + "/buffer-zones", {{"adu", 10}, {"moq", json::object()}}, "moq"},
             {"POST", path + "/suppliers", {{"supplier_id", 5}}, "supplier_id"},
             {"POST",
              path + "/suppliers",
              {{"supplier_id", s["id"]}, {"lead_time_days", "3"}},
              "lead_time_days"},
             {"POST",
              path + "/suppliers",
              {{"supplier_id", s["id"]}, {"is_primary", "true"}},
              "is_primary"},
         }) {
      HttpReply r = method == "POST" ? catalog.Post(route, body, t) : catalog.Put(route, body, t);
      INFO(method << " " << route << " " << body.dump() << " -> " << r.raw);
      CHECK(r.status == 400);
      CHECK(r.body["error"]["code"] == "INVALID_ARGUMENT");
      CHECK(r.body["error"]["field"] == field);
    }
    CHECK(catalog.Get(path, t).body["product"]["version"] == 1);
    CHECK(catalog.Get(supplier, t).body["supplier"]["version"] == 1);
    CHECK(catalog.Get(profile, t).body["buffer_profile"]["version"] == 1);
    CHECK(catalog.Get("/api/v1/products", t).body["total"] == 1);
    CHECK(catalog.Get("/api/v1/suppliers", t).body["total"] == 1);
    CHECK(catalog.Get(path + "/suppliers", t).body["items"].empty());
  }
  SECTION("a duplicate sku is ALREADY_EXISTS; after a soft delete the sku is free again") {
    HttpReply dup = catalog.Post("/api/v1/products", {{"sku", "BOLT-M8"}, {"name", "Again"}}, t);
    CHECK(dup.status == 409);
    CHECK(dup.body["error"]["code"] == "ALREADY_EXISTS");
    CHECK(dup.body["error"]["field"] == "sku");
    REQUIRE(catalog.Delete(path, t, "1").status == 204);
    CHECK(catalog.Get(path, t).status == 404);
    CHECK(catalog.Delete(path, t, "2").status == 404);
    json again = MustCreate(catalog, "/api/v1/products", {{"sku", "BOLT-M8"}, {"name", "Again"}}, t,
                            "product");
    CHECK(again["id"] != p["id"]);
    // The deleted row is still there, soft-deleted.
    CHECK(giia::testing::Scalar(auth.db().sql(),
                                "SELECT count(*) FROM catalog.products WHERE sku = 'BOLT-M8'") ==
          "2");
  }
  SECTION("buffer zones need a profile, and a profile in use cannot be deleted") {
    HttpReply none =
        catalog.Post(path + "/buffer-zones", {{"adu", 5}, {"dlt_days", 10}, {"moq", 1}}, t);
    CHECK(none.status == 400);
    CHECK(none.body["error"]["code"] == "FAILED_PRECONDITION");
    HttpReply negative = catalog.Post(path + "/buffer-zones", {{"adu", -5}, {"dlt_days", 10}}, t);
    CHECK(negative.body["error"]["code"] == "INVALID_ARGUMENT");
    CHECK(negative.body["error"]["field"] == "adu");
    json profile =
        MustCreate(catalog, "/api/v1/buffer-profiles",
                   {{"name", "In use"}, {"lead_time_factor", 0.4}, {"variability_factor", 0.6}}, t,
                   "buffer_profile");
    const std::string profile_path = "/api/v1/buffer-profiles/" + profile["id"].get<std::string>();
    REQUIRE(catalog.Put(path + "/buffer-profile", {{"buffer_profile_id", profile["id"]}}, t, "1")
                .status == 200);
    HttpReply in_use = catalog.Delete(profile_path, t, "1");
    CHECK(in_use.status == 400);
    CHECK(in_use.body["error"]["code"] == "FAILED_PRECONDITION");
    CHECK(catalog.Get(profile_path, t).status == 200);
    // Cleared from the product, the profile can go.
    REQUIRE(
        catalog.Put(path + "/buffer-profile", {{"buffer_profile_id", nullptr}}, t, "2").status ==
        200);
    CHECK(catalog.Delete(profile_path, t, "1").status == 204);
  }
  SECTION("pages: 0 is the default, 101 is refused, past the end is empty with the total") {
    for (int i = 0; i < 24; ++i) {
      MustCreate(catalog, "/api/v1/products",
                 {{"sku", "NUT-" + std::to_string(100 + i)},
                  {"name", i % 2 ? "Wing nut" : "Lock nut"},
                  {"category", "fasteners"}},
                 t, "product");
    }
    HttpReply first = catalog.Get("/api/v1/products?page=0&page_size=0", t);
    REQUIRE(first.status == 200);
    CHECK(first.body["items"].size() == 20);
    CHECK(first.body["total"] == 25);
    CHECK(first.body["page"] == 1);
    HttpReply second = catalog.Get("/api/v1/products?page=2&page_size=20", t);
    CHECK(second.body["items"].size() == 5);
    HttpReply past = catalog.Get("/api/v1/products?page=9&page_size=20", t);
    CHECK(past.body["items"].empty());
    CHECK(past.body["total"] == 25);
    HttpReply big = catalog.Get("/api/v1/products?page_size=101", t);
    CHECK(big.status == 400);
    CHECK(big.body["error"]["field"] == "page_size");
    CHECK(catalog.Get("/api/v1/products?page=-1", t).body["error"]["field"] == "page");

    // Search: case-insensitive substring of sku or name, with filters.
    HttpReply wing = catalog.Get("/api/v1/products?q=WING", t);
    CHECK(wing.body["total"] == 12);
    HttpReply sku = catalog.Get("/api/v1/products?q=nut-10&page_size=100", t);
    CHECK(sku.body["total"] == 10);  // NUT-100 .. NUT-109
    HttpReply bolt = catalog.Get("/api/v1/products?q=m8&category=fasteners", t);
    REQUIRE(bolt.body["items"].size() == 1);
    CHECK(bolt.body["items"][0]["sku"] == "BOLT-M8");
    CHECK(catalog.Get("/api/v1/products?q=m8&category=tools", t).body["total"] == 0);
    CHECK(catalog.Get("/api/v1/products?q=%25", t).body["total"] == 0);  // '%' is literal
    auto stub = catalog.Stub();
    pb::SearchProductsRequest sreq;
    sreq.set_query("lock nut");
    sreq.set_page_size(5);
    pb::SearchProductsResponse sres;
    Rpc rpc(t);
    REQUIRE(stub->SearchProducts(&rpc.ctx, sreq, &sres).ok());
    CHECK(sres.total() == 12);
    CHECK(sres.items_size() == 5);
  }
}

TEST_CASE("Auth away: cached decisions serve until they expire, then UNAVAILABLE, then recovery",
          "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth, {.permission_cache_ttl = "3s"});
  json admin = auth.RegisterAdmin("ops@down.example", "Down Co");
  const std::string t = admin["access_token"];
  REQUIRE(catalog.Get("/api/v1/products", t).status == 200);  // catalog:read is cached now

  catalog.auth_proxy().Cut();
  const auto cut_at = std::chrono::steady_clock::now();
  CHECK(catalog.Get("/api/v1/products", t).status == 200);  // from the cache
  HttpReply uncached = catalog.Get("/api/v1/buffer-profiles", t);
  CHECK(uncached.status == 503);
  CHECK(uncached.body["error"]["code"] == "UNAVAILABLE");
  // Fail closed once the decision expires: never open.
  CHECK(Eventually([&] { return catalog.Get("/api/v1/products", t).status == 503; }, 10s));
  CHECK(std::chrono::steady_clock::now() - cut_at >= 2s);
  // Readiness stays 200: auth is not critical to the catalog.
  CHECK(catalog.Get("/health/ready", "").status == 200);

  catalog.auth_proxy().Restore();
  CHECK(Eventually([&] { return catalog.Get("/api/v1/products", t).status == 200; }, 15s));
  CHECK(catalog.Get("/api/v1/buffer-profiles", t).status == 200);
}

TEST_CASE("NATS away: catalog writes succeed and every event arrives once NATS is back",
          "[catalog]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  json admin = auth.RegisterAdmin("nat@s.example", "Stream Co");
  const std::string t = admin["access_token"];
  // The stream exists once the catalog is ready (it ensured it at start).
  auth.nats().Stop();
  for (int i = 0; i < 5; ++i) {
    MustCreate(catalog, "/api/v1/products",
               {{"sku", "OFF-" + std::to_string(i)}, {"name", "Offline"}}, t, "product");
  }
  CHECK(giia::testing::Scalar(auth.db().sql(),
                              "SELECT count(*) FROM catalog.outbox WHERE published_at IS NULL") ==
        "5");
  auth.nats().Start();
  // Every row is published exactly once into CATALOG_EVENTS.
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, auth.env().at("NATS_URL").c_str()) == NATS_OK);
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  std::uint64_t stored = 0;
  CHECK(Eventually(
      [&] {
        jsStreamInfo* info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        if (js_GetStreamInfo(&info, js, "CATALOG_EVENTS", nullptr, &code) != NATS_OK) return false;
        stored = info->State.Msgs;
        jsStreamInfo_Destroy(info);
        return stored >= 5;
      },
      30s));
  CHECK(stored == 5);
  // The relay marks its batch published once JetStream acknowledged all of
  // it: the stream may hold the events a moment before the rows say so.
  CHECK(Eventually([&] {
    return giia::testing::Scalar(
               auth.db().sql(), "SELECT count(*) FROM catalog.outbox WHERE published_at IS NULL") ==
           "0";
  }));
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

TEST_CASE("serve all runs both services in one process and buf curl drives the catalog",
          "[catalog]") {
  const std::string buf = std::string(GIIA_SOURCE_DIR) + "/node_modules/.bin/buf";
  if (::access(buf.c_str(), X_OK) != 0) FAIL("buf is not installed: run scripts/test.sh");
  // The database, NATS and mail folder of an AuthServer, and one more
  // process that serves both services on ports of its own.
  AuthServer base;
  giia::testing::ProcessEnv env = base.env();
  const int auth_http = giia::testing::FreePort(), auth_grpc = giia::testing::FreePort();
  const int catalog_http = giia::testing::FreePort(), catalog_grpc = giia::testing::FreePort();
  env.erase("HTTP_PORT");
  env.erase("GRPC_PORT");
  env["AUTH_HTTP_PORT"] = std::to_string(auth_http);
  env["AUTH_GRPC_PORT"] = std::to_string(auth_grpc);
  env["CATALOG_HTTP_PORT"] = std::to_string(catalog_http);
  env["CATALOG_GRPC_PORT"] = std::to_string(catalog_grpc);
  env["AUTH_GRPC_ADDR"] = "127.0.0.1:" + std::to_string(auth_grpc);
  REQUIRE(giia::testing::RunGiia({"migrate", "up", "--service", "catalog"}, env).exit_code == 0);
  giia::testing::Process all({"serve", "all"}, env);
  httplib::Client auth_http_client("127.0.0.1", auth_http);
  httplib::Client catalog_http_client("127.0.0.1", catalog_http);
  REQUIRE(Eventually(
      [&] {
        auto a = auth_http_client.Get("/health/ready");
        auto c = catalog_http_client.Get("/health/ready");
        return a && a->status == 200 && c && c->status == 200;
      },
      60s));

  // Log in through the process's own auth side (the user is verified
  // through the base server, which shares the database).
  json admin = base.RegisterAdmin("all@one.example", "One Process");
  auto login = auth_http_client.Post(
      "/api/v1/auth/login",
      json({{"email", "all@one.example"}, {"password", giia::testing::kPassword}}).dump(),
      "application/json");
  REQUIRE(login);
  REQUIRE(login->status == 200);
  const std::string token = json::parse(login->body)["access_token"];

  auto curl = [&](const std::string& method, const json& body) {
    return giia::testing::Process(buf,
                                  {"curl", "--protocol", "grpc", "--http2-prior-knowledge", "-H",
                                   "authorization: Bearer " + token, "-d", body.dump(),
                                   "http://127.0.0.1:" + std::to_string(catalog_grpc) +
                                       "/giia.catalog.v1.CatalogService/" + method},
                                  {{"HOME", "/tmp"}}, "")
        .Wait(std::chrono::seconds(60));
  };
  giia::testing::ProcessResult created =
      curl("CreateProduct", {{"sku", "ONE-1"}, {"name", "One"}, {"standardCost", 3}});
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  CHECK(json::parse(created.out)["product"]["sku"] == "ONE-1");
  giia::testing::ProcessResult bad = curl("CreateProduct", {{"sku", "bad sku"}, {"name", "x"}});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("invalid_argument") != std::string::npos);
  CHECK(bad.err.find("sku") != std::string::npos);

  giia::testing::ProcessResult stopped = all.Stop(15);
  INFO(stopped.err);
  CHECK(stopped.exit_code == 0);
}

TEST_CASE("Whatever revokes at auth is refused at every catalog replica within a second",
          "[catalog]") {
  AuthServer auth;
  // Decisions are kept for ten minutes: only revocation can end them.
  CatalogServer one(auth, {.permission_cache_ttl = "10m"});
  CatalogServer two(auth, {.permission_cache_ttl = "10m"});
  json admin = auth.RegisterAdmin("root@revoke.example", "Revoke Co");
  const std::string admin_token = admin["access_token"];
  auto login = [&](const std::string& email) {
    HttpReply r = auth.Post("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
    INFO(r.raw);
    REQUIRE(r.status == 200);
    return r.body;
  };
  // The token works at both replicas (and their caches hold its decisions).
  auto cached = [&](const std::string& token) {
    for (CatalogServer* c : {&one, &two}) REQUIRE(c->Get("/api/v1/products", token).status == 200);
  };
  // Both replicas refuse `token` within a second of `since`.
  auto refused_within_a_second = [&](const std::string& token,
                                     std::chrono::steady_clock::time_point since) {
    for (CatalogServer* c : {&one, &two}) {
      CHECK(Eventually([&] { return c->Get("/api/v1/products", token).status == 401; },
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           1s - (std::chrono::steady_clock::now() - since)),
                       10ms));
    }
    CHECK(std::chrono::steady_clock::now() - since < 1s);
  };

  SECTION("logout of every session") {
    const std::string token =
        auth.CreateAndLogin(admin_token, "lou@revoke.example", "Viewer")["access_token"];
    cached(token);
    REQUIRE(auth.Post("/api/v1/auth/logout", json::object(), token).status == 204);
    refused_within_a_second(token, std::chrono::steady_clock::now());
  }
  SECTION("a password change, and a new login does not bring the old token back") {
    const std::string old_token =
        auth.CreateAndLogin(admin_token, "pat@revoke.example", "Viewer")["access_token"];
    cached(old_token);
    REQUIRE(auth.Post("/api/v1/auth/change-password",
                      {{"current_password", kPassword}, {"new_password", "a brand new secret"}},
                      old_token)
                .status == 204);
    refused_within_a_second(old_token, std::chrono::steady_clock::now());
    HttpReply r = auth.Post("/api/v1/auth/login",
                            {{"email", "pat@revoke.example"}, {"password", "a brand new secret"}});
    REQUIRE(r.status == 200);
    const std::string fresh = r.body["access_token"];
    cached(fresh);  // fills the replicas' caches again, for the new token's version
    for (CatalogServer* c : {&one, &two})
      CHECK(c->Get("/api/v1/products", old_token).status == 401);
  }
  SECTION("refresh token reuse ends the access tokens minted from the stolen chain") {
    auth.CreateAndLogin(admin_token, "rex@revoke.example", "Viewer");
    json first = login("rex@revoke.example");
    HttpReply rotated =
        auth.Post("/api/v1/auth/refresh", {{"refresh_token", first["refresh_token"]}});
    REQUIRE(rotated.status == 200);
    HttpReply again =
        auth.Post("/api/v1/auth/refresh", {{"refresh_token", rotated.body["refresh_token"]}});
    REQUIRE(again.status == 200);
    const std::string thief = again.body["access_token"];
    cached(thief);
    // The first token, long rotated, comes back: reuse.
    REQUIRE(auth.Post("/api/v1/auth/refresh", {{"refresh_token", first["refresh_token"]}}).status ==
            401);
    refused_within_a_second(thief, std::chrono::steady_clock::now());
  }
  SECTION("a lock after too many failed logins") {
    const std::string token =
        auth.CreateAndLogin(admin_token, "lee@revoke.example", "Viewer")["access_token"];
    cached(token);
    for (int i = 0; i < 5; ++i) {
      auth.Post("/api/v1/auth/login", {{"email", "lee@revoke.example"}, {"password", "not it!!"}});
    }
    refused_within_a_second(token, std::chrono::steady_clock::now());
    CHECK(auth.Get("/api/v1/users/me", token).status == 401);
  }
}
