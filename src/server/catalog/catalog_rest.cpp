#include "server/catalog/catalog_rest.hpp"

#include <cctype>
#include <string_view>
#include <type_traits>

#include "core/catalog/access.hpp"
#include "core/common/time.hpp"
#include "server/catalog/catalog_bodies.hpp"
#include "server/http/rest.hpp"

namespace giia::server {
namespace {

using rest::BodyReader;
using rest::Ctx;
using rest::IntParam;
using rest::Json;
using rest::json;
using rest::Param;
using rest::Route;
using rest::RouteEnv;
constexpr const char* kId = "([^/]+)";  // a path segment

// --- entities as JSON: the proto's field names, times in RFC 3339

json ToJson(const catalog::Product& p) {
  return {{"id", p.id},
          {"organization_id", p.organization.value()},
          {"sku", p.sku},
          {"name", p.name},
          {"description", p.description},
          {"category", p.category},
          {"unit_of_measure", p.unit_of_measure},
          {"standard_cost", p.standard_cost},
          {"status", p.status},
          {"buffer_profile_id", p.buffer_profile_id ? json(*p.buffer_profile_id) : json(nullptr)},
          {"version", p.version},
          {"created_at", Rfc3339(p.created_at)},
          {"updated_at", Rfc3339(p.updated_at)}};
}

json ToJson(const catalog::Supplier& s) {
  return {{"id", s.id},
          {"organization_id", s.organization.value()},
          {"code", s.code},
          {"name", s.name},
          {"contact_name", s.contact_name},
          {"contact_email", s.contact_email},
          {"contact_phone", s.contact_phone},
          {"default_lead_time_days", s.default_lead_time_days},
          {"status", s.status},
          {"version", s.version},
          {"created_at", Rfc3339(s.created_at)},
          {"updated_at", Rfc3339(s.updated_at)}};
}

json ToJson(const catalog::BufferProfile& b) {
  return {{"id", b.id},
          {"organization_id", b.organization.value()},
          {"name", b.name},
          {"description", b.description},
          {"adu_method", b.adu_method},
          {"lead_time_factor", b.lead_time_factor},
          {"variability_factor", b.variability_factor},
          {"status", b.status},
          {"version", b.version},
          {"created_at", Rfc3339(b.created_at)},
          {"updated_at", Rfc3339(b.updated_at)}};
}

json ToJson(const catalog::ProductSupplier& l) {
  return {{"product_id", l.product_id},         {"supplier_id", l.supplier_id},
          {"supplier_code", l.supplier_code},   {"supplier_name", l.supplier_name},
          {"lead_time_days", l.lead_time_days}, {"is_primary", l.is_primary},
          {"created_at", Rfc3339(l.created_at)}};
}

json ToJson(const catalog::BufferZones& z) {
  return {{"red_base", z.red_base},
          {"red_safety", z.red_safety},
          {"red", z.red},
          {"yellow", z.yellow},
          {"green", z.green},
          {"top_of_red", z.top_of_red},
          {"top_of_yellow", z.top_of_yellow},
          {"top_of_green", z.top_of_green}};
}

template <typename T>
json PageJson(const catalog::Page<T>& page) {
  json items = json::array();
  for (const T& item : page.items) items.push_back(ToJson(item));
  return {
      {"items", items}, {"total", page.total}, {"page", page.page}, {"page_size", page.page_size}};
}

// --- request parts

// The organization the request names: `organization_id` in the body or the
// query ("" when neither: the caller's). The use case refuses another one.
Result<std::string> OrganizationOf(const HttpRequest& req, const Ctx& c) {
  GIIA_TRY_STR(in_body, c.body, "organization_id");
  const std::string in_query = Param(req, "organization_id");
  if (!in_body.empty() && !in_query.empty() && in_body != in_query) {
    return InvalidArgument("organization_id",
                           "organization_id differs between the body and the query");
  }
  return in_body.empty() ? in_query : in_body;
}

// Digits only, as a positive int64; nullopt otherwise.
std::optional<std::int64_t> Digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

// An If-Match value: 3, "3" or W/"3".
std::optional<std::int64_t> EtagVersion(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return Digits(v);
}

enum class VersionFrom { kBody, kQuery };

// The version an update or delete read: the If-Match header, or the body's
// `version` (PUT) or the `version` query parameter (DELETE). Errors:
// kInvalidArgument naming "version" when missing, malformed, < 1, or when
// the header and the other disagree.
Result<std::int64_t> VersionOf(const HttpRequest& req, const Ctx& c, VersionFrom from) {
  std::optional<std::int64_t> header;
  if (const std::string h = req.Header("If-Match"); !h.empty()) {
    header = EtagVersion(h);
    if (!header) {
      return InvalidArgument("version", "If-Match must be the version read: 3, \"3\" or W/\"3\"");
    }
  }
  std::optional<std::int64_t> other;
  if (from == VersionFrom::kBody) {
    auto v = rest::OptInt64(c.body, "version");
    if (!v) return tl::unexpected(v.error());
    other = *v;
  } else if (const std::string p = Param(req, "version"); !p.empty()) {
    other = Digits(p);
    if (!other) return InvalidArgument("version", "version must be a whole number");
  }
  if (header && other && *header != *other) {
    return InvalidArgument("version", "the If-Match header and version name different versions");
  }
  const std::optional<std::int64_t> v = header ? header : other;
  if (!v) {
    return InvalidArgument("version", from == VersionFrom::kBody
                                          ? "version is required: an If-Match header or a "
                                            "version field with the version read"
                                          : "version is required: an If-Match header or "
                                            "?version= with the version read");
  }
  if (*v < 1) return InvalidArgument("version", "version must be 1 or more");
  return *v;
}

Result<catalog::ListQuery> ListQueryOf(const HttpRequest& req) {
  catalog::ListQuery q;
  Error bad;
  q.page = IntParam(req, "page", &bad);
  q.page_size = IntParam(req, "page_size", &bad);
  if (!bad.field.empty()) return tl::unexpected(bad);
  q.status = Param(req, "status");
  q.category = Param(req, "category");
  q.query = Param(req, "q");
  return q;
}

// --- the five routes of an entity (list, create, get, update, delete)

template <typename Entity, typename Fields>
struct Resource {
  std::string path;  // "/api/v1/products"
  std::string rpc;   // "Product": GetProduct, ListProducts, ...
  const char* key;   // "product": the member a single entity answers in
  Result<Entity> (catalog::CatalogService::*get)(const authz::Caller&, const catalog::Target&);
  Result<catalog::Page<Entity>> (catalog::CatalogService::*list)(const authz::Caller&,
                                                                 const std::string&,
                                                                 const catalog::ListQuery&);
  Result<Entity> (catalog::CatalogService::*create)(const authz::Caller&, const std::string&,
                                                    const Fields&, const authz::RequestInfo&);
  Result<Entity> (catalog::CatalogService::*update)(const authz::Caller&, const catalog::Target&,
                                                    const Fields&, const authz::RequestInfo&);
  Status (catalog::CatalogService::*remove)(const authz::Caller&, const catalog::Target&,
                                            const authz::RequestInfo&);
};

// GET <path>: one page of a list use case (ListProducts, SearchProducts, ...).
// category and q are products' filters only.
template <typename Entity>
HttpHandler ListRoute(catalog::CatalogService& svc, const RouteEnv& env, const std::string& rpc,
                      Result<catalog::Page<Entity>> (catalog::CatalogService::*list)(
                          const authz::Caller&, const std::string&, const catalog::ListQuery&)) {
  return Route(env, rpc, false,
               [&svc, list](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                 GIIA_TRY_READ(org, OrganizationOf(req, c));
                 GIIA_TRY_READ(parsed, ListQueryOf(req));
                 catalog::ListQuery q = parsed;
                 if constexpr (!std::is_same_v<Entity, catalog::Product>) {
                   q.category.clear();
                   q.query.clear();
                 }
                 auto r = (svc.*list)(c.who(), org, q);
                 if (!r) return tl::unexpected(r.error());
                 return Json(200, PageJson(*r));
               });
}

template <typename Entity, typename Fields>
void AddResource(HttpServer& server, catalog::CatalogService& svc, const RouteEnv& env,
                 const Resource<Entity, Fields>& res, bool add_list) {
  const std::string one = res.path + "/" + kId;
  const std::string key = res.key;
  if (add_list) {
    server.Route("GET", res.path, ListRoute(svc, env, "List" + res.rpc + "s", res.list));
  }

  server.Route("POST", res.path,
               Route(env, "Create" + res.rpc, true,
                     [&svc, res, key](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       Fields f;
                       if (auto ok = ReadFields(c.body, f); !ok) return tl::unexpected(ok.error());
                       auto r = (svc.*res.create)(c.who(), org, f, c.info);
                       if (!r) return tl::unexpected(r.error());
                       return Json(201, {{key, ToJson(*r)}});
                     }));

  server.Route("GET", one,
               Route(env, "Get" + res.rpc, false,
                     [&svc, res, key](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       auto r = (svc.*res.get)(c.who(), {org, req.matches.at(0), 0});
                       if (!r) return tl::unexpected(r.error());
                       return Json(200, {{key, ToJson(*r)}});
                     }));

  server.Route(
      "PUT", one,
      Route(env, "Update" + res.rpc, true,
            [&svc, res, key](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
              GIIA_TRY_READ(org, OrganizationOf(req, c));
              GIIA_TRY_READ(version, VersionOf(req, c, VersionFrom::kBody));
              Fields f;
              if (auto ok = ReadFields(c.body, f); !ok) return tl::unexpected(ok.error());
              auto r = (svc.*res.update)(c.who(), {org, req.matches.at(0), version}, f, c.info);
              if (!r) return tl::unexpected(r.error());
              return Json(200, {{key, ToJson(*r)}});
            }));

  server.Route(
      "DELETE", one,
      Route(env, "Delete" + res.rpc, false,
            [&svc, res](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
              GIIA_TRY_READ(org, OrganizationOf(req, c));
              GIIA_TRY_READ(version, VersionOf(req, c, VersionFrom::kQuery));
              auto r = (svc.*res.remove)(c.who(), {org, req.matches.at(0), version}, c.info);
              if (!r) return tl::unexpected(r.error());
              return rest::NoContent();
            }));
}

}  // namespace

void AddCatalogRoutes(HttpServer& server, catalog::CatalogService& svc,
                      authz::RequestAuthorizer& authorizer, const TrustedProxies& trusted_proxies) {
  const RouteEnv env{catalog::Access(), authorizer, trusted_proxies};
  using catalog::CatalogService;
  const std::string products = "/api/v1/products";
  const std::string product = products + "/" + kId;

  // GET /api/v1/products: ListProducts, or SearchProducts when q is given.
  HttpHandler list = ListRoute(svc, env, "ListProducts", &CatalogService::ListProducts);
  HttpHandler search = ListRoute(svc, env, "SearchProducts", &CatalogService::SearchProducts);
  server.Route("GET", products, [list, search](const HttpRequest& req) {
    return Param(req, "q").empty() ? list(req) : search(req);
  });
  AddResource(server, svc, env,
              Resource<catalog::Product, catalog::ProductFields>{
                  products, "Product", "product", &CatalogService::GetProduct,
                  &CatalogService::ListProducts, &CatalogService::CreateProduct,
                  &CatalogService::UpdateProduct, &CatalogService::DeleteProduct},
              false);
  AddResource(server, svc, env,
              Resource<catalog::Supplier, catalog::SupplierFields>{
                  "/api/v1/suppliers", "Supplier", "supplier", &CatalogService::GetSupplier,
                  &CatalogService::ListSuppliers, &CatalogService::CreateSupplier,
                  &CatalogService::UpdateSupplier, &CatalogService::DeleteSupplier},
              true);
  AddResource(server, svc, env,
              Resource<catalog::BufferProfile, catalog::BufferProfileFields>{
                  "/api/v1/buffer-profiles", "BufferProfile", "buffer_profile",
                  &CatalogService::GetBufferProfile, &CatalogService::ListBufferProfiles,
                  &CatalogService::CreateBufferProfile, &CatalogService::UpdateBufferProfile,
                  &CatalogService::DeleteBufferProfile},
              true);

  // {"buffer_profile_id": "<id>" | "" | null (clears), "version": <the product's>}
  server.Route("PUT", product + "/buffer-profile",
               Route(env, "AssignBufferProfile", true,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       GIIA_TRY_READ(version, VersionOf(req, c, VersionFrom::kBody));
                       if (!c.body.contains("buffer_profile_id")) {
                         return InvalidArgument(
                             "buffer_profile_id",
                             "buffer_profile_id is required (null or \"\" clears it)");
                       }
                       GIIA_TRY_STR(profile_id, c.body, "buffer_profile_id");
                       auto r = svc.AssignBufferProfile(c.who(), {org, req.matches.at(0), version},
                                                        profile_id, c.info);
                       if (!r) return tl::unexpected(r.error());
                       return Json(200, {{"product", ToJson(*r)}});
                     }));

  // {"adu", "dlt_days", "moq", "order_cycle_days"}: numbers, 0 when absent.
  server.Route("POST", product + "/buffer-zones",
               Route(env, "CalculateBufferZones", true,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       std::optional<double> adu, dlt, moq, cycle;
                       auto ok = BodyReader(c.body)
                                     .Read("adu", adu)
                                     .Read("dlt_days", dlt)
                                     .Read("moq", moq)
                                     .Read("order_cycle_days", cycle)
                                     .status();
                       if (!ok) return tl::unexpected(ok.error());
                       catalog::ZoneInputs in{adu.value_or(0), dlt.value_or(0), moq.value_or(0),
                                              cycle.value_or(0)};
                       auto r = svc.CalculateBufferZones(c.who(), {org, req.matches.at(0), 0}, in);
                       if (!r) return tl::unexpected(r.error());
                       return Json(200, {{"product_id", r->product.id},
                                         {"buffer_profile_id", r->profile.id},
                                         {"lead_time_factor", r->profile.lead_time_factor},
                                         {"variability_factor", r->profile.variability_factor},
                                         {"zones", ToJson(r->zones)}});
                     }));

  server.Route("GET", product + "/suppliers",
               Route(env, "ListProductSuppliers", false,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       auto r = svc.ListProductSuppliers(c.who(), org, req.matches.at(0));
                       if (!r) return tl::unexpected(r.error());
                       json items = json::array();
                       for (const auto& l : *r) items.push_back(ToJson(l));
                       return Json(200, {{"items", items}});
                     }));

  // {"supplier_id", "lead_time_days" (whole number), "is_primary" (bool)}
  server.Route("POST", product + "/suppliers",
               Route(env, "AddProductSupplier", true,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       GIIA_TRY_STR(supplier_id, c.body, "supplier_id");
                       std::optional<int> lead_time;
                       std::optional<bool> primary;
                       auto ok = BodyReader(c.body)
                                     .Read("lead_time_days", lead_time)
                                     .Read("is_primary", primary)
                                     .status();
                       if (!ok) return tl::unexpected(ok.error());
                       catalog::ProductSupplier link;
                       link.product_id = req.matches.at(0);
                       link.supplier_id = supplier_id;
                       link.lead_time_days = lead_time.value_or(0);
                       link.is_primary = primary.value_or(false);
                       auto r = svc.AddProductSupplier(c.who(), org, link);
                       if (!r) return tl::unexpected(r.error());
                       return Json(201, {{"product_supplier", ToJson(*r)}});
                     }));

  server.Route("DELETE", product + "/suppliers/" + kId,
               Route(env, "RemoveProductSupplier", false,
                     [&svc](const HttpRequest& req, Ctx& c) -> Result<HttpResponse> {
                       GIIA_TRY_READ(org, OrganizationOf(req, c));
                       auto r = svc.RemoveProductSupplier(c.who(), org, req.matches.at(0),
                                                          req.matches.at(1));
                       if (!r) return tl::unexpected(r.error());
                       return rest::NoContent();
                     }));
}

}  // namespace giia::server
