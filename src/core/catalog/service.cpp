#include "core/catalog/service.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "core/common/time.hpp"

namespace giia::catalog {
namespace {

using Names = std::initializer_list<std::string_view>;
const Names kProductStatuses = {"active", "inactive", "discontinued"};
const Names kStatuses = {"active", "inactive"};
const Names kAduMethods = {"average", "exponential", "weighted"};
constexpr int kMaxLeadTimeDays = 3650;
constexpr double kMaxCost = 1e14;  // numeric(18, 4)

bool OneOf(const std::string& v, Names allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

std::string Joined(Names allowed) {
  std::string out;
  for (std::string_view a : allowed) {
    if (!out.empty()) out += ", ";
    out += a;
  }
  return out;
}

Status CheckEnum(const std::string& v, const char* field, Names allowed) {
  if (OneOf(v, allowed)) return Ok();
  return InvalidArgument(field, std::string(field) + " must be one of " + Joined(allowed));
}

// sku and supplier code: a letter or digit, then letters, digits, '.', '_',
// '-' or '/', 64 characters at most.
Status CheckCode(const std::string& v, const char* field) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  const bool ok =
      !v.empty() && v.size() <= 64 && alnum(v[0]) && std::all_of(v.begin(), v.end(), [&](char c) {
        return alnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
      });
  if (ok) return Ok();
  return InvalidArgument(field, std::string(field) +
                                    " must be 1 to 64 letters, digits, '.', '_', '-' or '/', "
                                    "starting with a letter or digit");
}

Status CheckText(const std::string& v, const char* field, std::size_t max, bool required) {
  const bool blank = std::all_of(v.begin(), v.end(), [](char c) { return c == ' '; });
  if (required && blank) return InvalidArgument(field, std::string(field) + " is required");
  if (v.size() > max) {
    return InvalidArgument(
        field, std::string(field) + " must be at most " + std::to_string(max) + " bytes");
  }
  return Ok();
}

Status CheckLeadTime(int days, const char* field) {
  if (days < 0 || days > kMaxLeadTimeDays) {
    return InvalidArgument(field, std::string(field) + " must be between 0 and " +
                                      std::to_string(kMaxLeadTimeDays) + " days");
  }
  return Ok();
}

// The first failure of `checks`, in order.
Status First(std::initializer_list<Status> checks) {
  for (const Status& s : checks) {
    if (!s) return s;
  }
  return Ok();
}

Status CheckOrganization(const Caller& c, const std::string& requested) {
  if (requested.empty() || requested == c.organization.value()) return Ok();
  return MakeError(ErrorCode::kPermissionDenied,
                   "organization_id names another organization than the caller's",
                   "organization_id");
}

Status CheckId(const std::string& id, const char* field) {
  if (id.empty()) return InvalidArgument(field, std::string(field) + " is required");
  if (!IsUuid(id)) return InvalidArgument(field, std::string(field) + " must be a uuid");
  return Ok();
}

Status CheckTarget(const Caller& c, const Target& t, bool needs_version) {
  if (auto ok = CheckOrganization(c, t.organization_id); !ok) return ok;
  if (auto ok = CheckId(t.id, "id"); !ok) return ok;
  if (needs_version && t.version <= 0) {
    return InvalidArgument("version",
                           "version is required: the version of the row you read (If-Match)");
  }
  return Ok();
}

tl::unexpected<Error> NotFound(const char* what, const std::string& id) {
  return MakeError(ErrorCode::kNotFound, std::string(what) + " " + id + " not found");
}

Status CheckVersion(const char* what, std::int64_t current, std::int64_t read) {
  if (current == read) return Ok();
  return MakeError(ErrorCode::kAborted,
                   std::string(what) + " is at version " + std::to_string(current) + ", not " +
                       std::to_string(read) + ": read it again and reapply your change",
                   "version");
}

template <typename T>
void Set(T& into, const std::optional<T>& from) {
  if (from) into = *from;
}

void Apply(Product& p, const ProductFields& f) {
  Set(p.sku, f.sku);
  Set(p.name, f.name);
  Set(p.description, f.description);
  Set(p.category, f.category);
  Set(p.unit_of_measure, f.unit_of_measure);
  Set(p.standard_cost, f.standard_cost);
  Set(p.status, f.status);
}

void Apply(Supplier& s, const SupplierFields& f) {
  Set(s.code, f.code);
  Set(s.name, f.name);
  Set(s.contact_name, f.contact_name);
  Set(s.contact_email, f.contact_email);
  Set(s.contact_phone, f.contact_phone);
  Set(s.default_lead_time_days, f.default_lead_time_days);
  Set(s.status, f.status);
}

void Apply(BufferProfile& b, const BufferProfileFields& f) {
  Set(b.name, f.name);
  Set(b.description, f.description);
  Set(b.adu_method, f.adu_method);
  Set(b.lead_time_factor, f.lead_time_factor);
  Set(b.variability_factor, f.variability_factor);
  Set(b.status, f.status);
}

void Describe(events::Event& e, const Product& p) {
  e.data = {{"product_id", p.id},     {"organization_id", p.organization.value()},
            {"sku", p.sku},           {"name", p.name},
            {"category", p.category}, {"status", p.status},
            {"version", p.version}};
}

void Describe(events::Event& e, const Supplier& s) {
  e.data = {{"supplier_id", s.id}, {"organization_id", s.organization.value()},
            {"code", s.code},      {"name", s.name},
            {"status", s.status},  {"version", s.version}};
}

void Describe(events::Event& e, const BufferProfile& b) {
  e.data = {{"buffer_profile_id", b.id},
            {"organization_id", b.organization.value()},
            {"name", b.name},
            {"adu_method", b.adu_method},
            {"lead_time_factor", b.lead_time_factor},
            {"variability_factor", b.variability_factor},
            {"version", b.version}};
}

// Drops the data fields `e`'s schema does not name (a deleted event carries
// the id, organization, key and version only).
void KeepSchemaFields(events::Event& e) {
  for (const events::Schema& schema : events::BuiltInSchemas()) {
    if (schema.type != e.type) continue;
    std::erase_if(e.data, [&](const events::Field& f) {
      auto named = [&](const std::vector<std::string>& names) {
        return std::find(names.begin(), names.end(), f.name) != names.end();
      };
      return !named(schema.required) && !named(schema.optional);
    });
  }
}

// What the generic use cases below need to know of each entity.
template <typename T>
struct Kind;

template <>
struct Kind<Product> {
  static constexpr const char* kWhat = "product";
  static constexpr const char* kEvent = "product";
  // Reads and creates go through CatalogStore's asynchronous paths.
  static constexpr auto kLock = &CatalogRepository::LockProduct;
  static constexpr auto kUpdate = &CatalogRepository::UpdateProduct;
  static constexpr auto kSoftDelete = &CatalogRepository::SoftDeleteProduct;
  static const Names& Statuses() { return kProductStatuses; }
  static Status Validate(const Product& p) { return ValidateProduct(p); }
};

template <>
struct Kind<Supplier> {
  static constexpr const char* kWhat = "supplier";
  static constexpr const char* kEvent = "supplier";
  static constexpr auto kGet = &CatalogRepository::GetSupplier;
  static constexpr auto kLock = &CatalogRepository::LockSupplier;
  static constexpr auto kList = &CatalogRepository::ListSuppliers;
  static constexpr auto kInsert = &CatalogRepository::InsertSupplier;
  static constexpr auto kUpdate = &CatalogRepository::UpdateSupplier;
  static constexpr auto kSoftDelete = &CatalogRepository::SoftDeleteSupplier;
  static const Names& Statuses() { return kStatuses; }
  static Status Validate(const Supplier& s) { return ValidateSupplier(s); }
};

template <>
struct Kind<BufferProfile> {
  static constexpr const char* kWhat = "buffer profile";
  static constexpr const char* kEvent = "buffer_profile";
  static constexpr auto kGet = &CatalogRepository::GetBufferProfile;
  static constexpr auto kLock = &CatalogRepository::LockBufferProfile;
  static constexpr auto kList = &CatalogRepository::ListBufferProfiles;
  static constexpr auto kInsert = &CatalogRepository::InsertBufferProfile;
  static constexpr auto kUpdate = &CatalogRepository::UpdateBufferProfile;
  static constexpr auto kSoftDelete = &CatalogRepository::SoftDeleteBufferProfile;
  static const Names& Statuses() { return kStatuses; }
  static Status Validate(const BufferProfile& b) { return ValidateBufferProfile(b); }
};

// "product.updated" for (product, "updated"), with the aggregate's id.
using EventMaker = std::function<events::Event(const std::string& type, const std::string& id)>;

template <typename T>
std::string EventType(const char* what) {
  return std::string(Kind<T>::kEvent) + "." + what;
}

}  // namespace

Status ValidateProduct(const Product& p) {
  if (!std::isfinite(p.standard_cost) || p.standard_cost < 0 || p.standard_cost >= kMaxCost) {
    return InvalidArgument("standard_cost", "standard_cost must be a number >= 0 and < 1e14");
  }
  return First({CheckCode(p.sku, "sku"), CheckText(p.name, "name", 200, true),
                CheckText(p.description, "description", 2000, false),
                CheckText(p.category, "category", 100, false),
                CheckText(p.unit_of_measure, "unit_of_measure", 20, true),
                CheckEnum(p.status, "status", kProductStatuses)});
}

Status ValidateSupplier(const Supplier& s) {
  if (!s.contact_email.empty() && s.contact_email.find('@') == std::string::npos) {
    return InvalidArgument("contact_email", "contact_email must be an e-mail address");
  }
  return First({CheckCode(s.code, "code"), CheckText(s.name, "name", 200, true),
                CheckText(s.contact_name, "contact_name", 200, false),
                CheckText(s.contact_email, "contact_email", 254, false),
                CheckText(s.contact_phone, "contact_phone", 50, false),
                CheckLeadTime(s.default_lead_time_days, "default_lead_time_days"),
                CheckEnum(s.status, "status", kStatuses)});
}

Status ValidateBufferProfile(const BufferProfile& b) {
  // DDMRP: the lead time factor is a share of the lead time (short lead
  // times 0.61-1, long ones 0.2-0.4); the variability factor a share of the
  // red base (low 0-0.4, high 0.61-1).
  const double ltf = b.lead_time_factor;
  const double vf = b.variability_factor;
  if (!std::isfinite(ltf) || ltf <= 0 || ltf > 1) {
    return InvalidArgument("lead_time_factor", "lead_time_factor must be in (0, 1]");
  }
  if (!std::isfinite(vf) || vf < 0 || vf > 1) {
    return InvalidArgument("variability_factor", "variability_factor must be in [0, 1]");
  }
  return First({CheckText(b.name, "name", 200, true),
                CheckText(b.description, "description", 2000, false),
                CheckEnum(b.adu_method, "adu_method", kAduMethods),
                CheckEnum(b.status, "status", kStatuses)});
}

Result<ListQuery> NormalizeQuery(ListQuery q) {
  if (q.page == 0) q.page = 1;
  if (q.page_size == 0) q.page_size = 20;
  if (q.page < 1 || q.page > 10'000'000) {
    return InvalidArgument("page", "page must be between 1 and 10000000");
  }
  if (q.page_size < 1 || q.page_size > 100) {
    return InvalidArgument("page_size", "page_size must be between 1 and 100");
  }
  if (q.query.size() > 200) return InvalidArgument("query", "query must be at most 200 bytes");
  if (q.category.size() > 100) {
    return InvalidArgument("category", "category must be at most 100 bytes");
  }
  return q;
}

namespace {

template <typename T>
Result<T> GetOne(CatalogStore& store, const Caller& c, const Target& t) {
  if (auto ok = CheckTarget(c, t, false); !ok) return tl::unexpected(ok.error());
  std::optional<T> found;
  auto ok = store.Read([&](CatalogRepository& repo) -> Status {
    auto r = (repo.*Kind<T>::kGet)(c.organization, t.id);
    if (!r) return tl::unexpected(r.error());
    found = std::move(*r);
    return Ok();
  });
  if (!ok) return tl::unexpected(ok.error());
  if (!found) return NotFound(Kind<T>::kWhat, t.id);
  return std::move(*found);
}

template <typename T>
Result<ListQuery> CheckList(const Caller& c, const std::string& org, const ListQuery& query) {
  if (auto ok = CheckOrganization(c, org); !ok) return tl::unexpected(ok.error());
  auto q = NormalizeQuery(query);
  if (!q) return tl::unexpected(q.error());
  if (!q->status.empty()) {
    if (auto ok = CheckEnum(q->status, "status", Kind<T>::Statuses()); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  return q;
}

template <typename T>
Result<Page<T>> ListPage(CatalogStore& store, const Caller& c, const std::string& org,
                         const ListQuery& query) {
  auto q = CheckList<T>(c, org, query);
  if (!q) return tl::unexpected(q.error());
  Page<T> page;
  auto ok = store.Read([&](CatalogRepository& repo) -> Status {
    auto r = (repo.*Kind<T>::kList)(c.organization, *q);
    if (!r) return tl::unexpected(r.error());
    page = std::move(*r);
    page.page = q->page;
    page.page_size = q->page_size;
    return Ok();
  });
  if (!ok) return tl::unexpected(ok.error());
  return page;
}

// `entity` holds the caller's organization and the fields of the request.
template <typename T>
Result<T> CreateOne(CatalogStore& store, const T& entity, const EventMaker& make) {
  if (auto ok = Kind<T>::Validate(entity); !ok) return tl::unexpected(ok.error());
  T out;
  auto ok = store.Write([&](CatalogTx& tx) -> Status {
    auto stored = (tx.catalog().*Kind<T>::kInsert)(entity);
    if (!stored) return tl::unexpected(stored.error());
    events::Event e = make(EventType<T>("created"), stored->id);
    Describe(e, *stored);
    out = std::move(*stored);
    return tx.outbox().Append(e);
  });
  if (!ok) return tl::unexpected(ok.error());
  return out;
}

// Locks the row, checks the version read, applies the fields that are set,
// validates the result, writes it with its event.
template <typename T, typename Fields>
Result<T> UpdateOne(CatalogStore& store, const Caller& c, const Target& t, const Fields& f,
                    const EventMaker& make) {
  if (auto ok = CheckTarget(c, t, true); !ok) return tl::unexpected(ok.error());
  T out;
  auto ok = store.Write([&](CatalogTx& tx) -> Status {
    auto current = (tx.catalog().*Kind<T>::kLock)(c.organization, t.id);
    if (!current) return tl::unexpected(current.error());
    if (!*current) return NotFound(Kind<T>::kWhat, t.id);
    if (auto v = CheckVersion(Kind<T>::kWhat, (*current)->version, t.version); !v) return v;
    T changed = std::move(**current);
    Apply(changed, f);
    if (auto valid = Kind<T>::Validate(changed); !valid) return valid;
    auto stored = (tx.catalog().*Kind<T>::kUpdate)(changed);
    if (!stored) return tl::unexpected(stored.error());
    events::Event e = make(EventType<T>("updated"), stored->id);
    Describe(e, *stored);
    out = std::move(*stored);
    return tx.outbox().Append(e);
  });
  if (!ok) return tl::unexpected(ok.error());
  return out;
}

// `precondition` runs on the locked row before it is deleted.
template <typename T>
Status DeleteOne(CatalogStore& store, const Caller& c, const Target& t, const EventMaker& make,
                 const std::function<Status(CatalogTx&)>& precondition = nullptr) {
  if (auto ok = CheckTarget(c, t, true); !ok) return ok;
  return store.Write([&](CatalogTx& tx) -> Status {
    auto current = (tx.catalog().*Kind<T>::kLock)(c.organization, t.id);
    if (!current) return tl::unexpected(current.error());
    if (!*current) return NotFound(Kind<T>::kWhat, t.id);
    if (auto v = CheckVersion(Kind<T>::kWhat, (*current)->version, t.version); !v) return v;
    if (precondition) {
      if (auto ok = precondition(tx); !ok) return ok;
    }
    if (auto gone = (tx.catalog().*Kind<T>::kSoftDelete)(c.organization, t.id); !gone) return gone;
    events::Event e = make(EventType<T>("deleted"), t.id);
    Describe(e, **current);
    KeepSchemaFields(e);
    return tx.outbox().Append(e);
  });
}

}  // namespace

CatalogService::CatalogService(CatalogDeps deps) : deps_(std::move(deps)) {}

events::Event CatalogService::NewEvent(const std::string& type, const std::string& aggregate_id,
                                       const Caller& c, const RequestInfo& req) {
  events::Event e;
  e.id = deps_.new_uuid();
  e.service = "catalog";
  e.type = type;
  e.aggregate_type = type.substr(0, type.find('.'));
  e.aggregate_id = aggregate_id;
  e.organization_id = c.organization.value();
  e.request_id = req.request_id;
  e.time = Rfc3339(deps_.now());
  return e;
}

EventMaker CatalogService::Events(const Caller& c, const RequestInfo& req) {
  return [this, &c, &req](const std::string& type, const std::string& id) {
    return NewEvent(type, id, c, req);
  };
}

// --- products

Result<Product> CatalogService::GetProduct(const Caller& c, const Target& t) {
  return FindProduct(c, t).Finish();
}

Attempt<Result<Product>> CatalogService::FindProduct(const Caller& c, const Target& t) {
  if (auto ok = CheckTarget(c, t, false); !ok) return Result<Product>(tl::unexpected(ok.error()));
  return deps_.store.FindProduct(c.organization, t.id)
      .Then([id = t.id](Result<std::optional<Product>> found) -> Result<Product> {
        if (!found) return tl::unexpected(found.error());
        if (!*found) return NotFound(Kind<Product>::kWhat, id);
        return std::move(**found);
      });
}

Result<Page<Product>> CatalogService::ListProducts(const Caller& c, const std::string& org,
                                                   const ListQuery& q) {
  return FindProducts(c, org, q).Finish();
}

Attempt<Result<Page<Product>>> CatalogService::FindProducts(const Caller& c, const std::string& org,
                                                            const ListQuery& query) {
  using Found = Result<Page<Product>>;
  auto q = CheckList<Product>(c, org, query);
  if (!q) return Found(tl::unexpected(q.error()));
  return deps_.store.FindProducts(c.organization, *q)
      .Then([page = q->page, page_size = q->page_size](Found found) -> Found {
        if (found) {
          found->page = page;
          found->page_size = page_size;
        }
        return found;
      });
}

Result<Page<Product>> CatalogService::SearchProducts(const Caller& c, const std::string& org,
                                                     const ListQuery& q) {
  const bool blank = std::all_of(q.query.begin(), q.query.end(), [](char ch) { return ch == ' '; });
  if (blank) return InvalidArgument("query", "query is required: part of a sku or name");
  return ListProducts(c, org, q);
}

Result<Product> CatalogService::CreateProduct(const Caller& c, const std::string& org,
                                              const ProductFields& f, const RequestInfo& req) {
  return AddProduct(c, org, f, req).Finish();
}

Attempt<Result<Product>> CatalogService::AddProduct(const Caller& c, const std::string& org,
                                                    const ProductFields& f,
                                                    const RequestInfo& req) {
  using Added = Result<Product>;
  if (auto ok = CheckOrganization(c, org); !ok) return Added(tl::unexpected(ok.error()));
  if (!f.sku) return Added(InvalidArgument("sku", "sku is required"));
  if (!f.name) return Added(InvalidArgument("name", "name is required"));
  Product p;
  p.organization = c.organization;
  Apply(p, f);
  if (auto ok = ValidateProduct(p); !ok) return Added(tl::unexpected(ok.error()));
  return deps_.store.AddProduct(p, [this, c, req](const Product& stored) {
    events::Event e = NewEvent(EventType<Product>("created"), stored.id, c, req);
    Describe(e, stored);
    return e;
  });
}

Result<Product> CatalogService::UpdateProduct(const Caller& c, const Target& t,
                                              const ProductFields& f, const RequestInfo& req) {
  return UpdateOne<Product>(deps_.store, c, t, f, Events(c, req));
}

Status CatalogService::DeleteProduct(const Caller& c, const Target& t, const RequestInfo& req) {
  return DeleteOne<Product>(deps_.store, c, t, Events(c, req));
}

Result<Product> CatalogService::AssignBufferProfile(const Caller& c, const Target& t,
                                                    const std::string& profile_id,
                                                    const RequestInfo& req) {
  if (auto ok = CheckTarget(c, t, true); !ok) return tl::unexpected(ok.error());
  if (!profile_id.empty() && !IsUuid(profile_id)) {
    return InvalidArgument("buffer_profile_id", "buffer_profile_id must be a uuid");
  }
  Product out;
  auto ok = deps_.store.Write([&](CatalogTx& tx) -> Status {
    auto current = tx.catalog().LockProduct(c.organization, t.id);
    if (!current) return tl::unexpected(current.error());
    if (!*current) return NotFound("product", t.id);
    if (auto v = CheckVersion("product", (*current)->version, t.version); !v) return v;
    if (!profile_id.empty()) {
      // Locked, so that a concurrent delete of the profile waits for us.
      auto profile = tx.catalog().LockBufferProfile(c.organization, profile_id);
      if (!profile) return tl::unexpected(profile.error());
      if (!*profile) return NotFound("buffer profile", profile_id);
      if ((*profile)->status != "active") {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "buffer profile " + profile_id + " is inactive", "buffer_profile_id");
      }
    }
    Product p = std::move(**current);
    p.buffer_profile_id =
        profile_id.empty() ? std::nullopt : std::optional<std::string>(profile_id);
    auto stored = tx.catalog().UpdateProduct(p);
    if (!stored) return tl::unexpected(stored.error());
    out = std::move(*stored);
    events::Event e;
    if (profile_id.empty()) {  // cleared: an update of the product
      e = NewEvent("product.updated", out.id, c, req);
      Describe(e, out);
    } else {
      e = NewEvent("product.buffer_profile_assigned", out.id, c, req);
      e.data = {{"product_id", out.id},
                {"buffer_profile_id", profile_id},
                {"organization_id", out.organization.value()},
                {"version", out.version}};
    }
    return tx.outbox().Append(e);
  });
  if (!ok) return tl::unexpected(ok.error());
  return out;
}

Result<ZonesResult> CatalogService::CalculateBufferZones(const Caller& c, const Target& t,
                                                         const ZoneInputs& in) {
  if (auto ok = CheckTarget(c, t, false); !ok) return tl::unexpected(ok.error());
  // Bad input is refused before any read.
  if (auto ok = ValidateZoneInputs(in); !ok) return tl::unexpected(ok.error());
  ZonesResult out;
  auto ok = deps_.store.Read([&](CatalogRepository& repo) -> Status {
    auto product = repo.GetProduct(c.organization, t.id);
    if (!product) return tl::unexpected(product.error());
    if (!*product) return NotFound("product", t.id);
    out.product = std::move(**product);
    if (!out.product.buffer_profile_id) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "product " + t.id + " has no buffer profile: assign one first");
    }
    auto profile = repo.GetBufferProfile(c.organization, *out.product.buffer_profile_id);
    if (!profile) return tl::unexpected(profile.error());
    if (!*profile) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the buffer profile of product " + t.id + " no longer exists");
    }
    out.profile = std::move(**profile);
    return Ok();
  });
  if (!ok) return tl::unexpected(ok.error());
  auto zones = CalculateZones(in, out.profile.lead_time_factor, out.profile.variability_factor);
  if (!zones) return tl::unexpected(zones.error());
  out.inputs = in;
  out.zones = *zones;
  return out;
}

// --- product <-> supplier

Result<ProductSupplier> CatalogService::AddProductSupplier(const Caller& c, const std::string& org,
                                                           const ProductSupplier& link) {
  if (auto ok = First({CheckOrganization(c, org), CheckId(link.product_id, "product_id"),
                       CheckId(link.supplier_id, "supplier_id"),
                       CheckLeadTime(link.lead_time_days, "lead_time_days")});
      !ok) {
    return tl::unexpected(ok.error());
  }
  ProductSupplier out;
  auto ok = deps_.store.Write([&](CatalogTx& tx) -> Status {
    auto product = tx.catalog().LockProduct(c.organization, link.product_id);
    if (!product) return tl::unexpected(product.error());
    if (!*product) return NotFound("product", link.product_id);
    auto supplier = tx.catalog().GetSupplier(c.organization, link.supplier_id);
    if (!supplier) return tl::unexpected(supplier.error());
    if (!*supplier) return NotFound("supplier", link.supplier_id);
    auto stored = tx.catalog().UpsertProductSupplier(c.organization, link);
    if (!stored) return tl::unexpected(stored.error());
    out = std::move(*stored);
    return Ok();
  });
  if (!ok) return tl::unexpected(ok.error());
  return out;
}

Result<std::vector<ProductSupplier>> CatalogService::ListProductSuppliers(
    const Caller& c, const std::string& org, const std::string& product_id) {
  if (auto ok = First({CheckOrganization(c, org), CheckId(product_id, "product_id")}); !ok) {
    return tl::unexpected(ok.error());
  }
  std::vector<ProductSupplier> out;
  auto ok = deps_.store.Read([&](CatalogRepository& repo) -> Status {
    auto product = repo.GetProduct(c.organization, product_id);
    if (!product) return tl::unexpected(product.error());
    if (!*product) return NotFound("product", product_id);
    auto links = repo.ListProductSuppliers(c.organization, product_id);
    if (!links) return tl::unexpected(links.error());
    out = std::move(*links);
    return Ok();
  });
  if (!ok) return tl::unexpected(ok.error());
  return out;
}

Status CatalogService::RemoveProductSupplier(const Caller& c, const std::string& org,
                                             const std::string& product_id,
                                             const std::string& supplier_id) {
  if (auto ok = First({CheckOrganization(c, org), CheckId(product_id, "product_id"),
                       CheckId(supplier_id, "supplier_id")});
      !ok) {
    return ok;
  }
  return deps_.store.Write([&](CatalogTx& tx) -> Status {
    auto removed = tx.catalog().RemoveProductSupplier(c.organization, product_id, supplier_id);
    if (!removed) return tl::unexpected(removed.error());
    if (!*removed) {
      return MakeError(ErrorCode::kNotFound,
                       "supplier " + supplier_id + " does not supply product " + product_id);
    }
    return Ok();
  });
}

// --- suppliers

Result<Supplier> CatalogService::GetSupplier(const Caller& c, const Target& t) {
  return GetOne<Supplier>(deps_.store, c, t);
}

Result<Page<Supplier>> CatalogService::ListSuppliers(const Caller& c, const std::string& org,
                                                     const ListQuery& q) {
  return ListPage<Supplier>(deps_.store, c, org, q);
}

Result<Supplier> CatalogService::CreateSupplier(const Caller& c, const std::string& org,
                                                const SupplierFields& f, const RequestInfo& req) {
  if (auto ok = CheckOrganization(c, org); !ok) return tl::unexpected(ok.error());
  if (!f.code) return InvalidArgument("code", "code is required");
  if (!f.name) return InvalidArgument("name", "name is required");
  Supplier s;
  s.organization = c.organization;
  Apply(s, f);
  return CreateOne(deps_.store, s, Events(c, req));
}

Result<Supplier> CatalogService::UpdateSupplier(const Caller& c, const Target& t,
                                                const SupplierFields& f, const RequestInfo& req) {
  return UpdateOne<Supplier>(deps_.store, c, t, f, Events(c, req));
}

Status CatalogService::DeleteSupplier(const Caller& c, const Target& t, const RequestInfo& req) {
  return DeleteOne<Supplier>(deps_.store, c, t, Events(c, req));
}

// --- buffer profiles

Result<BufferProfile> CatalogService::GetBufferProfile(const Caller& c, const Target& t) {
  return GetOne<BufferProfile>(deps_.store, c, t);
}

Result<Page<BufferProfile>> CatalogService::ListBufferProfiles(const Caller& c,
                                                               const std::string& org,
                                                               const ListQuery& q) {
  return ListPage<BufferProfile>(deps_.store, c, org, q);
}

Result<BufferProfile> CatalogService::CreateBufferProfile(const Caller& c, const std::string& org,
                                                          const BufferProfileFields& f,
                                                          const RequestInfo& req) {
  if (auto ok = CheckOrganization(c, org); !ok) return tl::unexpected(ok.error());
  if (!f.name) return InvalidArgument("name", "name is required");
  if (!f.lead_time_factor) {
    return InvalidArgument("lead_time_factor", "lead_time_factor is required");
  }
  if (!f.variability_factor) {
    return InvalidArgument("variability_factor", "variability_factor is required");
  }
  BufferProfile b;
  b.organization = c.organization;
  Apply(b, f);
  return CreateOne(deps_.store, b, Events(c, req));
}

Result<BufferProfile> CatalogService::UpdateBufferProfile(const Caller& c, const Target& t,
                                                          const BufferProfileFields& f,
                                                          const RequestInfo& req) {
  return UpdateOne<BufferProfile>(deps_.store, c, t, f, Events(c, req));
}

Status CatalogService::DeleteBufferProfile(const Caller& c, const Target& t,
                                           const RequestInfo& req) {
  auto unused = [&](CatalogTx& tx) -> Status {
    auto users = tx.catalog().CountProductsWithProfile(c.organization, t.id);
    if (!users) return tl::unexpected(users.error());
    if (*users == 0) return Ok();
    return MakeError(ErrorCode::kFailedPrecondition,
                     "buffer profile " + t.id + " is assigned to " + std::to_string(*users) +
                         " product(s): assign them another profile first");
  };
  return DeleteOne<BufferProfile>(deps_.store, c, t, Events(c, req), unused);
}

}  // namespace giia::catalog
