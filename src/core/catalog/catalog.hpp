#pragma once
// The catalog's entities (products, suppliers, DDMRP buffer profiles and who
// supplies what) and the ports its use cases (core/catalog/service.hpp) work
// through. Every repository call is scoped to one organization: the tenant
// from the caller's token, never from the request.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/common/attempt.hpp"
#include "core/common/ids.hpp"
#include "core/common/result.hpp"
#include "core/events/event.hpp"

namespace giia::catalog {

using Timestamp = std::chrono::system_clock::time_point;

// Every entity carries `version`: 1 when created, +1 on every change. An
// update or delete names the version it read; a stale one changes nothing.
struct Product {
  std::string id;
  OrganizationId organization{""};
  std::string sku;
  std::string name;
  std::string description;
  std::string category;
  std::string unit_of_measure = "unit";
  double standard_cost = 0;
  std::string status = "active";  // active | inactive | discontinued
  std::optional<std::string> buffer_profile_id;
  std::int64_t version = 1;
  Timestamp created_at;
  Timestamp updated_at;
};

struct Supplier {
  std::string id;
  OrganizationId organization{""};
  std::string code;
  std::string name;
  std::string contact_name;
  std::string contact_email;
  std::string contact_phone;
  int default_lead_time_days = 0;
  std::string status = "active";  // active | inactive
  std::int64_t version = 1;
  Timestamp created_at;
  Timestamp updated_at;
};

struct BufferProfile {
  std::string id;
  OrganizationId organization{""};
  std::string name;
  std::string description;
  std::string adu_method = "average";  // average | exponential | weighted
  double lead_time_factor = 0.5;       // (0, 1]
  double variability_factor = 0.5;     // [0, 1]
  std::string status = "active";       // active | inactive
  std::int64_t version = 1;
  Timestamp created_at;
  Timestamp updated_at;
};

// A supplier of a product, with the lead time it quotes for that product.
struct ProductSupplier {
  std::string product_id;
  std::string supplier_id;
  std::string supplier_code;  // read only
  std::string supplier_name;  // read only
  int lead_time_days = 0;
  bool is_primary = false;
  Timestamp created_at;
};

// Page 1.., page_size 1..100; filters apply when not empty.
struct ListQuery {
  int page = 1;
  int page_size = 20;
  std::string status;
  std::string category;  // products only
  std::string query;     // products only: sku or name, case-insensitive substring
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;  // rows matching the filters, over all pages
  int page = 1;            // the page and page size used (defaults applied)
  int page_size = 20;
};

// One organization's catalog, inside a transaction (writes) or on one
// connection (reads). Get*/Lock* see live rows only (not soft-deleted).
// Inserts and updates return the row as stored (ids, version, times).
// Errors: kAlreadyExists when a live row holds the sku/code/name;
// kUnavailable when the database cannot be reached.
class CatalogRepository {
 public:
  virtual ~CatalogRepository() = default;

  [[nodiscard]] virtual Result<std::optional<Product>> GetProduct(const OrganizationId& org,
                                                                  const std::string& id) = 0;
  // As GetProduct, holding a row lock until the transaction ends.
  [[nodiscard]] virtual Result<std::optional<Product>> LockProduct(const OrganizationId& org,
                                                                   const std::string& id) = 0;
  [[nodiscard]] virtual Result<Page<Product>> ListProducts(const OrganizationId& org,
                                                           const ListQuery& q) = 0;
  [[nodiscard]] virtual Result<Product> InsertProduct(const Product& p) = 0;
  // Writes every field of `p` (found by organization and id), version + 1.
  [[nodiscard]] virtual Result<Product> UpdateProduct(const Product& p) = 0;
  [[nodiscard]] virtual Status SoftDeleteProduct(const OrganizationId& org,
                                                 const std::string& id) = 0;
  // Live products that use the buffer profile.
  [[nodiscard]] virtual Result<std::int64_t> CountProductsWithProfile(
      const OrganizationId& org, const std::string& profile_id) = 0;

  [[nodiscard]] virtual Result<std::optional<Supplier>> GetSupplier(const OrganizationId& org,
                                                                    const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::optional<Supplier>> LockSupplier(const OrganizationId& org,
                                                                     const std::string& id) = 0;
  [[nodiscard]] virtual Result<Page<Supplier>> ListSuppliers(const OrganizationId& org,
                                                             const ListQuery& q) = 0;
  [[nodiscard]] virtual Result<Supplier> InsertSupplier(const Supplier& s) = 0;
  [[nodiscard]] virtual Result<Supplier> UpdateSupplier(const Supplier& s) = 0;
  [[nodiscard]] virtual Status SoftDeleteSupplier(const OrganizationId& org,
                                                  const std::string& id) = 0;

  [[nodiscard]] virtual Result<std::optional<BufferProfile>> GetBufferProfile(
      const OrganizationId& org, const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::optional<BufferProfile>> LockBufferProfile(
      const OrganizationId& org, const std::string& id) = 0;
  [[nodiscard]] virtual Result<Page<BufferProfile>> ListBufferProfiles(const OrganizationId& org,
                                                                       const ListQuery& q) = 0;
  [[nodiscard]] virtual Result<BufferProfile> InsertBufferProfile(const BufferProfile& b) = 0;
  [[nodiscard]] virtual Result<BufferProfile> UpdateBufferProfile(const BufferProfile& b) = 0;
  [[nodiscard]] virtual Status SoftDeleteBufferProfile(const OrganizationId& org,
                                                       const std::string& id) = 0;

  // Inserts the link, or updates its lead time and primary flag. When
  // is_primary is set, the product's other links lose theirs.
  [[nodiscard]] virtual Result<ProductSupplier> UpsertProductSupplier(const OrganizationId& org,
                                                                      const ProductSupplier& l) = 0;
  // The product's links to live suppliers, primary first, then by code.
  [[nodiscard]] virtual Result<std::vector<ProductSupplier>> ListProductSuppliers(
      const OrganizationId& org, const std::string& product_id) = 0;
  // False when there was no such link.
  [[nodiscard]] virtual Result<bool> RemoveProductSupplier(const OrganizationId& org,
                                                           const std::string& product_id,
                                                           const std::string& supplier_id) = 0;
};

class CatalogTx {
 public:
  virtual ~CatalogTx() = default;
  virtual CatalogRepository& catalog() = 0;
  virtual events::OutboxWriter& outbox() = 0;
};

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;
  // One transaction, committed when `work` succeeds and rolled back when it
  // fails; run again (at most 3 times in all) after a serialization conflict.
  [[nodiscard]] virtual Status Write(const std::function<Status(CatalogTx& tx)>& work) = 0;
  // Reads on one connection, without a transaction (a single round trip per
  // statement).
  [[nodiscard]] virtual Status Read(const std::function<Status(CatalogRepository& repo)>& work) = 0;
  // The live product `id` of `org`, as CatalogRepository::GetProduct, for a
  // server thread that must not wait: a store with asynchronous I/O answers
  // through Attempt::Async; this default is the rest of a Read().
  [[nodiscard]] virtual Attempt<Result<std::optional<Product>>> FindProduct(
      const OrganizationId& org, const std::string& id) {
    return ReadLater<std::optional<Product>>(
        [org, id](CatalogRepository& repo) { return repo.GetProduct(org, id); });
  }

  // A page of `org`'s products, as CatalogRepository::ListProducts, for a
  // server thread that must not wait (as FindProduct).
  [[nodiscard]] virtual Attempt<Result<Page<Product>>> FindProducts(const OrganizationId& org,
                                                                    const ListQuery& q) {
    return ReadLater<Page<Product>>(
        [org, q](CatalogRepository& repo) { return repo.ListProducts(org, q); });
  }

  // Makes a product's event from the row as stored.
  using ProductEvent = std::function<events::Event(const Product& stored)>;
  // Stores the new product `p` and the event `event` makes of it, in one
  // transaction (CatalogRepository::InsertProduct, then the outbox), for a
  // server thread that must not wait (as FindProduct). `event` may run on
  // any thread. Errors: as InsertProduct and OutboxWriter::Append; nothing
  // is stored on any. This default is the rest of a Write().
  [[nodiscard]] virtual Attempt<Result<Product>> AddProduct(const Product& p, ProductEvent event) {
    return Attempt<Result<Product>>::Later([this, p, event]() -> Result<Product> {
      Product out;
      auto ok = Write([&](CatalogTx& tx) -> Status {
        auto stored = tx.catalog().InsertProduct(p);
        if (!stored) return tl::unexpected(stored.error());
        out = std::move(*stored);
        return tx.outbox().Append(event(out));
      });
      if (!ok) return tl::unexpected(ok.error());
      return out;
    });
  }

 protected:
  // What `read` answers inside a Read(), as the rest of an Attempt.
  template <typename T, typename F>
  Attempt<Result<T>> ReadLater(F read) {
    return Attempt<Result<T>>::Later([this, read = std::move(read)]() -> Result<T> {
      std::optional<T> out;
      auto ok = Read([&](CatalogRepository& repo) -> Status {
        auto r = read(repo);
        if (!r) return tl::unexpected(r.error());
        out = std::move(*r);
        return Ok();
      });
      if (!ok) return tl::unexpected(ok.error());
      return std::move(*out);
    });
  }
};

}  // namespace giia::catalog
