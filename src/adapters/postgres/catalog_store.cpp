#include "adapters/postgres/catalog_store.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "adapters/postgres/outbox.hpp"
#include "core/common/ids.hpp"

namespace giia::pg {
namespace {

using catalog::BufferProfile;
using catalog::ListQuery;
using catalog::Page;
using catalog::Product;
using catalog::ProductSupplier;
using catalog::Supplier;
using catalog::Timestamp;

// Timestamps cross the wire as Unix microseconds.
#define GIIA_MICROS(col) "(extract(epoch from " col ") * 1000000)::bigint"

Timestamp ReadTs(const Rows& rows, std::size_t r, std::size_t c) {
  if (rows.IsNull(r, c)) return Timestamp();
  return Timestamp(std::chrono::microseconds(rows.Int(r, c)));
}

// numeric columns are read as text and parsed here.
double ReadNumeric(const Rows& rows, std::size_t r, std::size_t c) {
  if (rows.IsNull(r, c)) return 0;
  return std::strtod(rows.Text(r, c).c_str(), nullptr);
}

// The shortest text that reads back as the same double (PostgreSQL parses the
// exponent form too). `limit` is the column's bound (numeric(p, s): below
// 10^(p-s)). Errors: kInvalidArgument naming the field for NaN, infinity or a
// value the column cannot hold, which the server would refuse in SQL words
// (or, for NaN, store).
Result<std::string> NumericParam(double v, const char* field, double limit) {
  if (!std::isfinite(v)) {
    return InvalidArgument(field, std::string(field) + " must be a finite number");
  }
  if (std::fabs(v) >= limit) return InvalidArgument(field, std::string(field) + " is out of range");
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return InvalidArgument(field, std::string(field) + " must be a number");
  return std::string(buf, end);
}

// LIKE's escape character is '\': escaping it, '%' and '_' makes the user's
// text match literally.
std::string EscapeLike(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

std::int64_t Offset(const ListQuery& q, int page_size) {
  return static_cast<std::int64_t>(std::max(q.page, 1) - 1) * page_size;
}
int PageSize(const ListQuery& q) { return std::clamp(q.page_size, 1, 100); }

tl::unexpected<Error> NotFound(const char* what) {
  return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
}

// A constraint's error, in the catalog's words: unique keys name their field
// and value; check constraints name their column. Anything else is returned
// as the connection layer mapped it. `unique_field` nullptr: the table has no
// unique key besides its primary key.
Error Explain(Error e, const char* unique_field, const std::string& value, const char* entity) {
  if (e.code == ErrorCode::kAlreadyExists && unique_field != nullptr) {
    if (e.constraint.ends_with("_pkey")) {
      return {ErrorCode::kAlreadyExists,
              std::string("a ") + entity + " with this id already exists", "id"};
    }
    return {ErrorCode::kAlreadyExists,
            std::string(unique_field) + " \"" + value + "\" is already used by another " + entity +
                " of this organization",
            unique_field};
  }
  // A check constraint (23514) names the column: products_status_check.
  if (e.code == ErrorCode::kInvalidArgument && e.field.empty() && !e.constraint.empty()) {
    std::string name = e.constraint;
    for (const std::string_view table :
         {"product_suppliers_", "products_", "suppliers_", "buffer_profiles_"}) {
      if (name.starts_with(table)) {
        name.erase(0, table.size());
        break;
      }
    }
    if (name.ends_with("_check")) name.resize(name.size() - 6);
    return {ErrorCode::kInvalidArgument, name + " is out of range or not an allowed value", name};
  }
  return e;
}

// --- column lists (each reader takes its first column at `b`)

#define GIIA_PRODUCT_COLUMNS                                                                \
  "id, organization_id, sku, name, description, category, unit_of_measure, "                \
  "standard_cost::text AS standard_cost, status, buffer_profile_id, version, " GIIA_MICROS( \
      "created_at") " AS created_us, " GIIA_MICROS("updated_at") " AS updated_us"

tl::unexpected<Error> ProfileNotFound() {
  return MakeError(ErrorCode::kNotFound, "buffer profile not found", "buffer_profile_id");
}

Product ReadProduct(const Rows& rows, std::size_t r, std::size_t b = 0) {
  Product p;
  p.id = rows.Text(r, b + 0);
  p.organization = OrganizationId(rows.Text(r, b + 1));
  p.sku = rows.Text(r, b + 2);
  p.name = rows.Text(r, b + 3);
  p.description = rows.Text(r, b + 4);
  p.category = rows.Text(r, b + 5);
  p.unit_of_measure = rows.Text(r, b + 6);
  p.standard_cost = ReadNumeric(rows, r, b + 7);
  p.status = rows.Text(r, b + 8);
  if (!rows.IsNull(r, b + 9)) p.buffer_profile_id = rows.Text(r, b + 9);
  p.version = rows.Int(r, b + 10);
  p.created_at = ReadTs(rows, r, b + 11);
  p.updated_at = ReadTs(rows, r, b + 12);
  return p;
}

#define GIIA_SUPPLIER_COLUMNS                                                     \
  "id, organization_id, code, name, contact_name, contact_email, contact_phone, " \
  "default_lead_time_days, status, version, " GIIA_MICROS(                        \
      "created_at") " AS created_us, " GIIA_MICROS("updated_at") " AS updated_us"

Supplier ReadSupplier(const Rows& rows, std::size_t r, std::size_t b = 0) {
  Supplier s;
  s.id = rows.Text(r, b + 0);
  s.organization = OrganizationId(rows.Text(r, b + 1));
  s.code = rows.Text(r, b + 2);
  s.name = rows.Text(r, b + 3);
  s.contact_name = rows.Text(r, b + 4);
  s.contact_email = rows.Text(r, b + 5);
  s.contact_phone = rows.Text(r, b + 6);
  s.default_lead_time_days = static_cast<int>(rows.Int(r, b + 7));
  s.status = rows.Text(r, b + 8);
  s.version = rows.Int(r, b + 9);
  s.created_at = ReadTs(rows, r, b + 10);
  s.updated_at = ReadTs(rows, r, b + 11);
  return s;
}

#define GIIA_PROFILE_COLUMNS                                                       \
  "id, organization_id, name, description, adu_method, "                           \
  "lead_time_factor::text AS lead_time_factor, "                                   \
  "variability_factor::text AS variability_factor, status, version, " GIIA_MICROS( \
      "created_at") " AS created_us, " GIIA_MICROS("updated_at") " AS updated_us"

BufferProfile ReadProfile(const Rows& rows, std::size_t r, std::size_t b = 0) {
  BufferProfile p;
  p.id = rows.Text(r, b + 0);
  p.organization = OrganizationId(rows.Text(r, b + 1));
  p.name = rows.Text(r, b + 2);
  p.description = rows.Text(r, b + 3);
  p.adu_method = rows.Text(r, b + 4);
  p.lead_time_factor = ReadNumeric(rows, r, b + 5);
  p.variability_factor = ReadNumeric(rows, r, b + 6);
  p.status = rows.Text(r, b + 7);
  p.version = rows.Int(r, b + 8);
  p.created_at = ReadTs(rows, r, b + 9);
  p.updated_at = ReadTs(rows, r, b + 10);
  return p;
}

// --- statements

constexpr const char* kGetProduct =
    "SELECT " GIIA_PRODUCT_COLUMNS
    " FROM catalog.products WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL";
constexpr const char* kLockProduct =
    "SELECT " GIIA_PRODUCT_COLUMNS
    " FROM catalog.products WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL FOR UPDATE";

// The buffer profile ($10) must be a live one of the organization; FOR SHARE
// holds it against a concurrent soft delete until this transaction ends (the
// delete locks the profile, then counts the products using it).
#define GIIA_PROFILE_USABLE                                                \
  "EXISTS (SELECT 1 FROM catalog.buffer_profiles b WHERE b.id = $10::uuid" \
  " AND b.organization_id = $2::uuid AND b.deleted_at IS NULL FOR SHARE)"

constexpr const char* kInsertProduct =
    "INSERT INTO catalog.products (id, organization_id, sku, name, description, category,"
    " unit_of_measure, standard_cost, status, buffer_profile_id)"
    " SELECT COALESCE($1::uuid, gen_random_uuid()), $2::uuid, $3::text, $4::text, $5::text,"
    " $6::text, $7::text, $8::numeric, $9::text, $10::uuid"
    " WHERE $10::uuid IS NULL OR " GIIA_PROFILE_USABLE " RETURNING " GIIA_PRODUCT_COLUMNS;

// Found by organization ($2) and id ($1). A profile the row already holds
// stays valid; a new one must be usable.
constexpr const char* kUpdateProduct =
    "UPDATE catalog.products SET sku = $3::text, name = $4::text, description = $5::text,"
    " category = $6::text, unit_of_measure = $7::text, standard_cost = $8::numeric,"
    " status = $9::text, buffer_profile_id = $10::uuid, version = version + 1,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND organization_id = $2::uuid AND deleted_at IS NULL"
    " AND ($10::uuid IS NULL OR $10::uuid IS NOT DISTINCT FROM buffer_profile_id"
    " OR " GIIA_PROFILE_USABLE ") RETURNING " GIIA_PRODUCT_COLUMNS;

#undef GIIA_PROFILE_USABLE

constexpr const char* kSoftDeleteProduct =
    "UPDATE catalog.products SET deleted_at = now(), updated_at = now(), version = version + 1"
    " WHERE organization_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL";

constexpr const char* kCountProductsWithProfile =
    "SELECT count(*) FROM catalog.products WHERE organization_id = $1::uuid"
    " AND buffer_profile_id = $2::uuid AND deleted_at IS NULL";

constexpr const char* kGetSupplier =
    "SELECT " GIIA_SUPPLIER_COLUMNS
    " FROM catalog.suppliers WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL";
constexpr const char* kLockSupplier =
    "SELECT " GIIA_SUPPLIER_COLUMNS
    " FROM catalog.suppliers WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL FOR UPDATE";
constexpr const char* kInsertSupplier =
    "INSERT INTO catalog.suppliers (id, organization_id, code, name, contact_name, contact_email,"
    " contact_phone, default_lead_time_days, status)"
    " VALUES (COALESCE($1::uuid, gen_random_uuid()), $2::uuid, $3, $4, $5, $6, $7, $8::integer,"
    " $9) RETURNING " GIIA_SUPPLIER_COLUMNS;
constexpr const char* kUpdateSupplier =
    "UPDATE catalog.suppliers SET code = $3, name = $4, contact_name = $5, contact_email = $6,"
    " contact_phone = $7, default_lead_time_days = $8::integer, status = $9,"
    " version = version + 1, updated_at = now()"
    " WHERE id = $1::uuid AND organization_id = $2::uuid AND deleted_at IS NULL"
    " RETURNING " GIIA_SUPPLIER_COLUMNS;
constexpr const char* kSoftDeleteSupplier =
    "UPDATE catalog.suppliers SET deleted_at = now(), updated_at = now(), version = version + 1"
    " WHERE organization_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL";

constexpr const char* kGetProfile =
    "SELECT " GIIA_PROFILE_COLUMNS
    " FROM catalog.buffer_profiles WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL";
constexpr const char* kLockProfile =
    "SELECT " GIIA_PROFILE_COLUMNS
    " FROM catalog.buffer_profiles WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL FOR UPDATE";
constexpr const char* kInsertProfile =
    "INSERT INTO catalog.buffer_profiles (id, organization_id, name, description, adu_method,"
    " lead_time_factor, variability_factor, status)"
    " VALUES (COALESCE($1::uuid, gen_random_uuid()), $2::uuid, $3, $4, $5, $6::numeric,"
    " $7::numeric, $8) RETURNING " GIIA_PROFILE_COLUMNS;
constexpr const char* kUpdateProfile =
    "UPDATE catalog.buffer_profiles SET name = $3, description = $4, adu_method = $5,"
    " lead_time_factor = $6::numeric, variability_factor = $7::numeric, status = $8,"
    " version = version + 1, updated_at = now()"
    " WHERE id = $1::uuid AND organization_id = $2::uuid AND deleted_at IS NULL"
    " RETURNING " GIIA_PROFILE_COLUMNS;
constexpr const char* kSoftDeleteProfile =
    "UPDATE catalog.buffer_profiles SET deleted_at = now(), updated_at = now(),"
    " version = version + 1"
    " WHERE organization_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL";

// Both ends live in the organization. The product row is locked (NO KEY
// UPDATE: the links' foreign keys still take their KEY SHARE) so concurrent
// upserts of one product run one after the other and leave one primary; the
// supplier is held against a concurrent soft delete.
constexpr const char* kLinkEnds =
    "SELECT s.code, s.name FROM catalog.products p, catalog.suppliers s"
    " WHERE p.organization_id = $1::uuid AND p.id = $2::uuid AND p.deleted_at IS NULL"
    " AND s.organization_id = $1::uuid AND s.id = $3::uuid AND s.deleted_at IS NULL"
    " FOR NO KEY UPDATE OF p FOR SHARE OF s";
// A statement of its own after kLinkEnds, so its snapshot sees links that
// transactions holding the product lock before us committed. The CTE and the
// INSERT touch different rows.
constexpr const char* kUpsertLink =
    "WITH cleared AS (UPDATE catalog.product_suppliers SET is_primary = false"
    " WHERE $5::boolean AND organization_id = $1::uuid AND product_id = $2::uuid"
    " AND supplier_id <> $3::uuid AND is_primary)"
    " INSERT INTO catalog.product_suppliers (product_id, supplier_id, organization_id,"
    " lead_time_days, is_primary) VALUES ($2::uuid, $3::uuid, $1::uuid, $4::integer, $5::boolean)"
    " ON CONFLICT (product_id, supplier_id) DO UPDATE"
    " SET lead_time_days = EXCLUDED.lead_time_days, is_primary = EXCLUDED.is_primary"
    " RETURNING product_id, supplier_id, lead_time_days, is_primary, " GIIA_MICROS("created_at");
constexpr const char* kListLinks =
    "SELECT ps.product_id, ps.supplier_id, s.code, s.name, ps.lead_time_days, ps.is_primary, "
    GIIA_MICROS("ps.created_at")
    " FROM catalog.product_suppliers ps JOIN catalog.suppliers s ON s.id = ps.supplier_id"
    " WHERE ps.organization_id = $1::uuid AND ps.product_id = $2::uuid"
    " AND s.organization_id = $1::uuid AND s.deleted_at IS NULL"
    " ORDER BY ps.is_primary DESC, s.code, s.id";
constexpr const char* kRemoveLink =
    "DELETE FROM catalog.product_suppliers WHERE organization_id = $1::uuid"
    " AND product_id = $2::uuid AND supplier_id = $3::uuid";

constexpr const char* kProductExists =
    "SELECT 1 FROM catalog.products WHERE organization_id = $1::uuid AND id = $2::uuid"
    " AND deleted_at IS NULL";

// One list statement: the total over all pages (a count that always yields a
// row, so it is right past the last page too) LEFT JOINed to the page itself;
// a page past the end is one row of NULLs after the total. Both halves use
// the same filters, which only appear when set, so each plans for exactly
// the filters given.
CatalogStatement ListStatement(const char* table, const char* columns, const OrganizationId& org,
                               const ListQuery& q, bool products) {
  CatalogStatement st;
  st.params.emplace_back(org.value());
  std::string where = "organization_id = $1::uuid AND deleted_at IS NULL";
  auto next = [&](Param p) {
    st.params.push_back(std::move(p));
    return "$" + std::to_string(st.params.size());
  };
  if (!q.status.empty()) where += " AND status = " + next(q.status);
  if (products && !q.category.empty()) where += " AND category = " + next(q.category);
  if (products && !q.query.empty()) {
    // Served by products_sku_trgm_idx / products_name_trgm_idx (BitmapOr).
    const std::string n = next(EscapeLike(q.query));
    where += " AND (sku ILIKE '%' || " + n + " || '%' OR name ILIKE '%' || " + n + " || '%')";
  }
  const int page_size = PageSize(q);
  const std::string limit = next(page_size);
  const std::string offset = next(Offset(q, page_size));
  st.sql = std::string("SELECT t.total, p.* FROM (SELECT count(*) AS total FROM ") + table +
           " WHERE " + where + ") t LEFT JOIN (SELECT " + columns +
           ", created_at AS sort_at FROM " + table + " WHERE " + where +
           " ORDER BY created_at, id LIMIT " + limit + " OFFSET " + offset +
           ") p ON true ORDER BY p.sort_at, p.id";
  return st;
}

// $1 id (NULL: generate), $2 organization, $3.. fields, $10 buffer profile.
Result<std::vector<Param>> ProductParams(const Product& p) {
  auto cost = NumericParam(p.standard_cost, "standard_cost", 1e14);
  if (!cost) return tl::unexpected(cost.error());
  if (p.buffer_profile_id && !IsUuid(*p.buffer_profile_id)) {
    return InvalidArgument("buffer_profile_id", "buffer_profile_id must be a uuid");
  }
  return std::vector<Param>{
      p.id.empty() ? Param(std::nullopt) : Param(p.id),
      p.organization.value(),
      p.sku,
      p.name,
      p.description,
      p.category,
      p.unit_of_measure,
      *cost,
      p.status,
      p.buffer_profile_id ? Param(*p.buffer_profile_id) : Param(std::nullopt)};
}

// The rows of a ListStatement as a page (its total in column 0).
template <typename T>
Page<T> PageOf(const Rows& rows, T (*read)(const Rows&, std::size_t, std::size_t)) {
  Page<T> page;
  if (rows.empty()) return page;  // cannot happen: the count always yields a row
  page.total = rows.Int(0, 0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows.IsNull(i, 1)) continue;  // past the last page: the total alone
    page.items.push_back(read(rows, i, 1));
  }
  return page;
}

class PgCatalogRepository final : public catalog::CatalogRepository {
 public:
  // `writable`: inside Write()'s transaction; Read() gets a read-only one.
  PgCatalogRepository(Connection& conn, bool writable) : conn_(conn), writable_(writable) {}

  // --- products

  Result<std::optional<Product>> GetProduct(const OrganizationId& org,
                                            const std::string& id) override {
    return One<Product>(kGetProduct, org, id, ReadProductRow);
  }
  Result<std::optional<Product>> LockProduct(const OrganizationId& org,
                                             const std::string& id) override {
    return One<Product>(kLockProduct, org, id, ReadProductRow);
  }

  Result<Page<Product>> ListProducts(const OrganizationId& org, const ListQuery& q) override {
    if (!IsUuid(org.value())) return Page<Product>{};
    return List<Product>(ListStatement("catalog.products", GIIA_PRODUCT_COLUMNS, org, q, true),
                         ReadProduct);
  }

  Result<Product> InsertProduct(const Product& p) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!p.id.empty() && !IsUuid(p.id)) return InvalidArgument("id", "id must be a uuid");
    if (!IsUuid(p.organization.value())) {
      return InvalidArgument("organization_id", "organization_id must be a uuid");
    }
    auto params = ProductParams(p);
    if (!params) return tl::unexpected(params.error());
    auto rows = conn_.Exec(kInsertProduct, *params);
    if (!rows) return tl::unexpected(Explain(rows.error(), "sku", p.sku, "product"));
    if (rows->empty()) return ProfileNotFound();
    return ReadProduct(*rows, 0);
  }

  Result<Product> UpdateProduct(const Product& p) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!IsUuid(p.id) || !IsUuid(p.organization.value())) return NotFound("product");
    auto params = ProductParams(p);
    if (!params) return tl::unexpected(params.error());
    auto rows = conn_.Exec(kUpdateProduct, *params);
    if (!rows) return tl::unexpected(Explain(rows.error(), "sku", p.sku, "product"));
    if (!rows->empty()) return ReadProduct(*rows, 0);
    // Nothing matched: no such live product, or the new profile is unusable.
    auto exists = conn_.Exec(kProductExists, {p.organization.value(), p.id});
    if (!exists) return tl::unexpected(exists.error());
    if (exists->empty()) return NotFound("product");
    return ProfileNotFound();
  }

  Status SoftDeleteProduct(const OrganizationId& org, const std::string& id) override {
    return SoftDelete(kSoftDeleteProduct, org, id, "product");
  }

  Result<std::int64_t> CountProductsWithProfile(const OrganizationId& org,
                                                const std::string& profile_id) override {
    if (!IsUuid(org.value()) || !IsUuid(profile_id)) return std::int64_t{0};
    auto rows = conn_.Exec(kCountProductsWithProfile, {org.value(), profile_id});
    if (!rows) return tl::unexpected(rows.error());
    return rows->Int(0, 0);
  }

  // --- suppliers

  Result<std::optional<Supplier>> GetSupplier(const OrganizationId& org,
                                              const std::string& id) override {
    return One<Supplier>(kGetSupplier, org, id, ReadSupplierRow);
  }
  Result<std::optional<Supplier>> LockSupplier(const OrganizationId& org,
                                               const std::string& id) override {
    return One<Supplier>(kLockSupplier, org, id, ReadSupplierRow);
  }
  Result<Page<Supplier>> ListSuppliers(const OrganizationId& org, const ListQuery& q) override {
    if (!IsUuid(org.value())) return Page<Supplier>{};
    return List<Supplier>(ListStatement("catalog.suppliers", GIIA_SUPPLIER_COLUMNS, org, q, false),
                          ReadSupplier);
  }

  Result<Supplier> InsertSupplier(const Supplier& s) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!s.id.empty() && !IsUuid(s.id)) return InvalidArgument("id", "id must be a uuid");
    if (!IsUuid(s.organization.value())) {
      return InvalidArgument("organization_id", "organization_id must be a uuid");
    }
    auto rows = conn_.Exec(kInsertSupplier, SupplierParams(s));
    if (!rows) return tl::unexpected(Explain(rows.error(), "code", s.code, "supplier"));
    return ReadSupplier(*rows, 0);
  }

  Result<Supplier> UpdateSupplier(const Supplier& s) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!IsUuid(s.id) || !IsUuid(s.organization.value())) return NotFound("supplier");
    auto rows = conn_.Exec(kUpdateSupplier, SupplierParams(s));
    if (!rows) return tl::unexpected(Explain(rows.error(), "code", s.code, "supplier"));
    if (rows->empty()) return NotFound("supplier");
    return ReadSupplier(*rows, 0);
  }

  Status SoftDeleteSupplier(const OrganizationId& org, const std::string& id) override {
    return SoftDelete(kSoftDeleteSupplier, org, id, "supplier");
  }

  // --- buffer profiles

  Result<std::optional<BufferProfile>> GetBufferProfile(const OrganizationId& org,
                                                        const std::string& id) override {
    return One<BufferProfile>(kGetProfile, org, id, ReadProfileRow);
  }
  Result<std::optional<BufferProfile>> LockBufferProfile(const OrganizationId& org,
                                                         const std::string& id) override {
    return One<BufferProfile>(kLockProfile, org, id, ReadProfileRow);
  }
  Result<Page<BufferProfile>> ListBufferProfiles(const OrganizationId& org,
                                                 const ListQuery& q) override {
    if (!IsUuid(org.value())) return Page<BufferProfile>{};
    return List<BufferProfile>(
        ListStatement("catalog.buffer_profiles", GIIA_PROFILE_COLUMNS, org, q, false), ReadProfile);
  }

  Result<BufferProfile> InsertBufferProfile(const BufferProfile& b) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!b.id.empty() && !IsUuid(b.id)) return InvalidArgument("id", "id must be a uuid");
    if (!IsUuid(b.organization.value())) {
      return InvalidArgument("organization_id", "organization_id must be a uuid");
    }
    auto params = ProfileParams(b);
    if (!params) return tl::unexpected(params.error());
    auto rows = conn_.Exec(kInsertProfile, *params);
    if (!rows) return tl::unexpected(Explain(rows.error(), "name", b.name, "buffer profile"));
    return ReadProfile(*rows, 0);
  }

  Result<BufferProfile> UpdateBufferProfile(const BufferProfile& b) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!IsUuid(b.id) || !IsUuid(b.organization.value())) return NotFound("buffer profile");
    auto params = ProfileParams(b);
    if (!params) return tl::unexpected(params.error());
    auto rows = conn_.Exec(kUpdateProfile, *params);
    if (!rows) return tl::unexpected(Explain(rows.error(), "name", b.name, "buffer profile"));
    if (rows->empty()) return NotFound("buffer profile");
    return ReadProfile(*rows, 0);
  }

  Status SoftDeleteBufferProfile(const OrganizationId& org, const std::string& id) override {
    return SoftDelete(kSoftDeleteProfile, org, id, "buffer profile");
  }

  // --- product <-> supplier

  Result<ProductSupplier> UpsertProductSupplier(const OrganizationId& org,
                                                const ProductSupplier& l) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!IsUuid(org.value()) || !IsUuid(l.product_id) || !IsUuid(l.supplier_id)) {
      return NotFound("product or supplier");
    }
    auto ends = conn_.Exec(kLinkEnds, {org.value(), l.product_id, l.supplier_id});
    if (!ends) return tl::unexpected(ends.error());
    if (ends->empty()) return NotFound("product or supplier");
    auto rows = conn_.Exec(
        kUpsertLink, {org.value(), l.product_id, l.supplier_id, l.lead_time_days, l.is_primary});
    if (!rows) return tl::unexpected(Explain(rows.error(), nullptr, "", "product supplier"));
    ProductSupplier out = ReadLink(*rows, 0, false);
    out.supplier_code = ends->Text(0, 0);
    out.supplier_name = ends->Text(0, 1);
    return out;
  }

  Result<std::vector<ProductSupplier>> ListProductSuppliers(
      const OrganizationId& org, const std::string& product_id) override {
    std::vector<ProductSupplier> out;
    if (!IsUuid(org.value()) || !IsUuid(product_id)) return out;
    auto rows = conn_.Exec(kListLinks, {org.value(), product_id});
    if (!rows) return tl::unexpected(rows.error());
    out.reserve(rows->size());
    for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(ReadLink(*rows, i, true));
    return out;
  }

  Result<bool> RemoveProductSupplier(const OrganizationId& org, const std::string& product_id,
                                     const std::string& supplier_id) override {
    if (auto ok = Writable(); !ok) return tl::unexpected(ok.error());
    if (!IsUuid(org.value()) || !IsUuid(product_id) || !IsUuid(supplier_id)) return false;
    auto r = conn_.Exec(kRemoveLink, {org.value(), product_id, supplier_id});
    if (!r) return tl::unexpected(r.error());
    return r->affected > 0;
  }

 private:
  static Product ReadProductRow(const Rows& rows) { return ReadProduct(rows, 0); }
  static Supplier ReadSupplierRow(const Rows& rows) { return ReadSupplier(rows, 0); }
  static BufferProfile ReadProfileRow(const Rows& rows) { return ReadProfile(rows, 0); }

  // Columns: product_id, supplier_id, [code, name,] lead_time_days, is_primary, created_us.
  static ProductSupplier ReadLink(const Rows& rows, std::size_t r, bool with_names) {
    ProductSupplier l;
    std::size_t c = 0;
    l.product_id = rows.Text(r, c++);
    l.supplier_id = rows.Text(r, c++);
    if (with_names) {
      l.supplier_code = rows.Text(r, c++);
      l.supplier_name = rows.Text(r, c++);
    }
    l.lead_time_days = static_cast<int>(rows.Int(r, c++));
    l.is_primary = rows.Bool(r, c++);
    l.created_at = ReadTs(rows, r, c);
    return l;
  }

  Status Writable() const {
    if (writable_) return Ok();
    return MakeError(ErrorCode::kInternal, "catalog changes must run inside CatalogStore::Write");
  }

  template <typename T>
  Result<std::optional<T>> One(const char* sql, const OrganizationId& org, const std::string& id,
                               T (*read)(const Rows&)) {
    if (!IsUuid(org.value()) || !IsUuid(id)) return std::optional<T>();
    auto rows = conn_.Exec(sql, {org.value(), id});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<T>();
    return std::optional<T>(read(*rows));
  }

  template <typename T>
  Result<Page<T>> List(const CatalogStatement& st,
                       T (*read)(const Rows&, std::size_t, std::size_t)) {
    auto rows = conn_.Exec(st.sql, st.params);
    if (!rows) return tl::unexpected(rows.error());
    return PageOf(*rows, read);
  }

  Status SoftDelete(const char* sql, const OrganizationId& org, const std::string& id,
                    const char* what) {
    if (auto ok = Writable(); !ok) return ok;
    if (!IsUuid(org.value()) || !IsUuid(id)) return NotFound(what);
    auto r = conn_.Exec(sql, {org.value(), id});
    if (!r) return tl::unexpected(r.error());
    if (r->affected == 0) return NotFound(what);
    return Ok();
  }

  static std::vector<Param> SupplierParams(const Supplier& s) {
    return {s.id.empty() ? Param(std::nullopt) : Param(s.id),
            s.organization.value(),
            s.code,
            s.name,
            s.contact_name,
            s.contact_email,
            s.contact_phone,
            s.default_lead_time_days,
            s.status};
  }

  static Result<std::vector<Param>> ProfileParams(const BufferProfile& b) {
    auto lead = NumericParam(b.lead_time_factor, "lead_time_factor", 100);
    if (!lead) return tl::unexpected(lead.error());
    auto variability = NumericParam(b.variability_factor, "variability_factor", 100);
    if (!variability) return tl::unexpected(variability.error());
    return std::vector<Param>{b.id.empty() ? Param(std::nullopt) : Param(b.id),
                              b.organization.value(),
                              b.name,
                              b.description,
                              b.adu_method,
                              *lead,
                              *variability,
                              b.status};
  }

  Connection& conn_;
  const bool writable_;
};

class PgCatalogTx final : public catalog::CatalogTx {
 public:
  explicit PgCatalogTx(Connection& conn)
      : repo_(conn, /*writable=*/true), outbox_(conn, OutboxSchema::kCatalog) {}
  catalog::CatalogRepository& catalog() override { return repo_; }
  events::OutboxWriter& outbox() override { return outbox_; }
  std::size_t events() const { return outbox_.stored(); }

 private:
  PgCatalogRepository repo_;
  PgOutboxWriter outbox_;
};

}  // namespace

Status PgCatalogStore::Write(const std::function<Status(catalog::CatalogTx& tx)>& work) {
  std::size_t events = 0;
  Status done = RunRetriedTransaction(pool_, [&](Connection& conn) {
    PgCatalogTx tx(conn);
    Status result = work(tx);
    events = tx.events();
    return result;
  });
  if (done && events > 0 && wake_ != nullptr) wake_->Notify();
  return done;
}

Status PgCatalogStore::Read(const std::function<Status(catalog::CatalogRepository& repo)>& work) {
  auto lease = pool_.Acquire();
  if (!lease) return tl::unexpected(lease.error());
  PgCatalogRepository repo(**lease, /*writable=*/false);
  return work(repo);
}

Attempt<Result<std::optional<Product>>> PgCatalogStore::FindProduct(const OrganizationId& org,
                                                                    const std::string& id) {
  using Found = Result<std::optional<Product>>;
  if (async_ == nullptr) return CatalogStore::FindProduct(org, id);
  if (!IsUuid(org.value()) || !IsUuid(id)) return Found(std::optional<Product>());
  return Attempt<Found>::Async([this, org, id](Attempt<Found>::Deliver deliver) {
    async_->Query(kGetProduct, {org.value(), id}, std::chrono::steady_clock::now() + timeout_,
                  [deliver = std::move(deliver)](Result<Rows> rows) {
                    if (!rows) return deliver(tl::unexpected(rows.error()));
                    if (rows->empty()) return deliver(std::optional<Product>());
                    deliver(std::optional<Product>(ReadProduct(*rows, 0)));
                  });
  });
}

Attempt<Result<Page<Product>>> PgCatalogStore::FindProducts(const OrganizationId& org,
                                                            const catalog::ListQuery& q) {
  using Found = Result<Page<Product>>;
  if (async_ == nullptr) return CatalogStore::FindProducts(org, q);
  if (!IsUuid(org.value())) return Found(Page<Product>{});
  return Attempt<Found>::Async(
      [this, st = ListStatement("catalog.products", GIIA_PRODUCT_COLUMNS, org, q, true)](
          Attempt<Found>::Deliver deliver) {
        async_->Query(st.sql, st.params, std::chrono::steady_clock::now() + timeout_,
                      [deliver = std::move(deliver)](Result<Rows> rows) {
                        if (!rows) return deliver(tl::unexpected(rows.error()));
                        deliver(PageOf(*rows, ReadProduct));
                      });
      });
}

Attempt<Result<Product>> PgCatalogStore::AddProduct(const Product& p, ProductEvent event) {
  using Added = Result<Product>;
  if (async_ == nullptr) return CatalogStore::AddProduct(p, std::move(event));
  if (!p.id.empty() && !IsUuid(p.id)) return Added(InvalidArgument("id", "id must be a uuid"));
  if (!IsUuid(p.organization.value())) {
    return Added(InvalidArgument("organization_id", "organization_id must be a uuid"));
  }
  auto params = ProductParams(p);
  if (!params) return Added(tl::unexpected(params.error()));
  return Attempt<Added>::Async([this, sku = p.sku, params = std::move(*params),
                                event = std::move(event)](const Attempt<Added>::Deliver& deliver) {
    auto fail = [deliver](Error e) { deliver(tl::unexpected(std::move(e))); };
    async_->Transaction(
        std::chrono::steady_clock::now() + timeout_,
        [this, fail, deliver, sku, params, event](Result<AsyncTransaction*> tx) {
          if (!tx) return fail(tx.error());
          (*tx)->Query(kInsertProduct, params,
                       [this, fail, deliver, sku, event](Result<Rows> rows, AsyncTransaction& t) {
                         if (!rows) return fail(Explain(rows.error(), "sku", sku, "product"));
                         if (rows->empty()) return fail(ProfileNotFound().value());
                         Product stored = ReadProduct(*rows, 0);
                         events::Event e = event(stored);
                         if (auto valid = events::Validate(e); !valid) return fail(valid.error());
                         OutboxInsert insert = OutboxInsertOf(OutboxSchema::kCatalog, e);
                         t.Commit(insert.sql, std::move(insert.params),
                                  [this, deliver, stored = std::move(stored)](
                                      Result<Rows> done, AsyncTransaction&) mutable {
                                    if (!done) return deliver(tl::unexpected(done.error()));
                                    if (wake_ != nullptr) wake_->Notify();
                                    deliver(std::move(stored));
                                  });
                       });
        });
  });
}

CatalogStatement ListProductsStatementForTests(const OrganizationId& org,
                                               const catalog::ListQuery& q) {
  return ListStatement("catalog.products", GIIA_PRODUCT_COLUMNS, org, q, true);
}

}  // namespace giia::pg
