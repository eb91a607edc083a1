#pragma once
// The catalog use cases: one implementation behind gRPC and REST. Transports
// authenticate the caller and check the method's permissions (the matrix in
// core/catalog/access.cpp); the use cases validate input (naming the
// field), enforce tenancy (the organization is the caller's; naming another
// one is kPermissionDenied, another organization's row is kNotFound), apply
// optimistic locking and write each change's event to the outbox in the
// same transaction.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/authz/caller.hpp"
#include "core/catalog/buffer_zones.hpp"
#include "core/catalog/catalog.hpp"

namespace giia::catalog {

using authz::Caller;
using authz::RequestInfo;

// Fields of a create (all that are set) or an update (only those set change).
struct ProductFields {
  std::optional<std::string> sku;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> category;
  std::optional<std::string> unit_of_measure;
  std::optional<double> standard_cost;
  std::optional<std::string> status;
};

struct SupplierFields {
  std::optional<std::string> code;
  std::optional<std::string> name;
  std::optional<std::string> contact_name;
  std::optional<std::string> contact_email;
  std::optional<std::string> contact_phone;
  std::optional<int> default_lead_time_days;
  std::optional<std::string> status;
};

struct BufferProfileFields {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> adu_method;
  std::optional<double> lead_time_factor;
  std::optional<double> variability_factor;
  std::optional<std::string> status;
};

// What a request names besides its fields: the organization it believes it
// acts on (empty: the caller's) and, for updates and deletes, the version it
// read (0: none given, which is refused).
struct Target {
  std::string organization_id;
  std::string id;
  std::int64_t version = 0;
};

struct ZonesResult {
  Product product;
  BufferProfile profile;
  ZoneInputs inputs;
  BufferZones zones;
};

struct CatalogDeps {
  CatalogStore& store;
  std::function<std::string()> new_uuid;  // event ids
  std::function<Timestamp()> now = [] { return std::chrono::system_clock::now(); };
};

class CatalogService {
 public:
  explicit CatalogService(CatalogDeps deps);

  // --- products
  [[nodiscard]] Result<Product> GetProduct(const Caller& c, const Target& t);
  // GetProduct for a server thread that must not wait: the store's
  // asynchronous read where it has one (CatalogStore::FindProduct).
  [[nodiscard]] Attempt<Result<Product>> FindProduct(const Caller& c, const Target& t);
  // `organization_id` as in Target.
  [[nodiscard]] Result<Page<Product>> ListProducts(const Caller& c,
                                                   const std::string& organization_id,
                                                   const ListQuery& q);
  // ListProducts for a server thread that must not wait (as FindProduct).
  [[nodiscard]] Attempt<Result<Page<Product>>> FindProducts(const Caller& c,
                                                            const std::string& organization_id,
                                                            const ListQuery& q);
  // As ListProducts with q.query required (sku or name, case-insensitive substring).
  [[nodiscard]] Result<Page<Product>> SearchProducts(const Caller& c,
                                                     const std::string& organization_id,
                                                     const ListQuery& q);
  // sku and name are required.
  [[nodiscard]] Result<Product> CreateProduct(const Caller& c, const std::string& organization_id,
                                              const ProductFields& f, const RequestInfo& req);
  // CreateProduct for a server thread that must not wait: the store's
  // asynchronous transaction where it has one (CatalogStore::AddProduct).
  [[nodiscard]] Attempt<Result<Product>> AddProduct(const Caller& c,
                                                    const std::string& organization_id,
                                                    const ProductFields& f, const RequestInfo& req);
  [[nodiscard]] Result<Product> UpdateProduct(const Caller& c, const Target& t,
                                              const ProductFields& f, const RequestInfo& req);
  [[nodiscard]] Status DeleteProduct(const Caller& c, const Target& t, const RequestInfo& req);
  // Sets (or, with an empty profile id, clears) the product's buffer profile.
  // t.version is the product's version.
  [[nodiscard]] Result<Product> AssignBufferProfile(const Caller& c, const Target& t,
                                                    const std::string& buffer_profile_id,
                                                    const RequestInfo& req);
  // Errors: kFailedPrecondition when the product has no buffer profile.
  [[nodiscard]] Result<ZonesResult> CalculateBufferZones(const Caller& c, const Target& t,
                                                         const ZoneInputs& in);

  // --- product <-> supplier
  [[nodiscard]] Result<ProductSupplier> AddProductSupplier(const Caller& c,
                                                           const std::string& organization_id,
                                                           const ProductSupplier& link);
  [[nodiscard]] Result<std::vector<ProductSupplier>> ListProductSuppliers(
      const Caller& c, const std::string& organization_id, const std::string& product_id);
  [[nodiscard]] Status RemoveProductSupplier(const Caller& c, const std::string& organization_id,
                                             const std::string& product_id,
                                             const std::string& supplier_id);

  // --- suppliers (code and name required on create)
  [[nodiscard]] Result<Supplier> GetSupplier(const Caller& c, const Target& t);
  [[nodiscard]] Result<Page<Supplier>> ListSuppliers(const Caller& c,
                                                     const std::string& organization_id,
                                                     const ListQuery& q);
  [[nodiscard]] Result<Supplier> CreateSupplier(const Caller& c, const std::string& organization_id,
                                                const SupplierFields& f, const RequestInfo& req);
  [[nodiscard]] Result<Supplier> UpdateSupplier(const Caller& c, const Target& t,
                                                const SupplierFields& f, const RequestInfo& req);
  [[nodiscard]] Status DeleteSupplier(const Caller& c, const Target& t, const RequestInfo& req);

  // --- buffer profiles (name, lead_time_factor and variability_factor
  // required on create; adu_method defaults to average)
  [[nodiscard]] Result<BufferProfile> GetBufferProfile(const Caller& c, const Target& t);
  [[nodiscard]] Result<Page<BufferProfile>> ListBufferProfiles(const Caller& c,
                                                               const std::string& organization_id,
                                                               const ListQuery& q);
  [[nodiscard]] Result<BufferProfile> CreateBufferProfile(const Caller& c,
                                                          const std::string& organization_id,
                                                          const BufferProfileFields& f,
                                                          const RequestInfo& req);
  [[nodiscard]] Result<BufferProfile> UpdateBufferProfile(const Caller& c, const Target& t,
                                                          const BufferProfileFields& f,
                                                          const RequestInfo& req);
  // Errors: kFailedPrecondition while a live product uses the profile.
  [[nodiscard]] Status DeleteBufferProfile(const Caller& c, const Target& t,
                                           const RequestInfo& req);

 private:
  events::Event NewEvent(const std::string& type, const std::string& aggregate_id, const Caller& c,
                         const RequestInfo& req);
  // NewEvent for this caller and request: (type, aggregate id) -> event.
  std::function<events::Event(const std::string&, const std::string&)> Events(
      const Caller& c, const RequestInfo& req);
  CatalogDeps deps_;
};

// --- pure rules, exposed for unit tests
// Errors: kInvalidArgument naming the field.
[[nodiscard]] Status ValidateProduct(const Product& p);
[[nodiscard]] Status ValidateSupplier(const Supplier& s);
[[nodiscard]] Status ValidateBufferProfile(const BufferProfile& b);
// page 0 -> 1, page_size 0 -> 20; otherwise page >= 1 and page_size 1..100.
[[nodiscard]] Result<ListQuery> NormalizeQuery(ListQuery q);

}  // namespace giia::catalog
