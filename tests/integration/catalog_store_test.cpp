// The PostgreSQL catalog store against a real database of each test's own,
// with the catalog schema migrated: round trips, tenancy, unique keys, lists,
// search (and its plan), product-supplier links and the outbox.
#include "adapters/postgres/catalog_store.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "adapters/postgres/async_pool.hpp"
#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "support/test_database.hpp"

using namespace giia;
using catalog::BufferProfile;
using catalog::CatalogRepository;
using catalog::CatalogTx;
using catalog::ListQuery;
using catalog::Page;
using catalog::Product;
using catalog::ProductSupplier;
using catalog::Supplier;
using giia::testing::Scalar;
using giia::testing::TestDatabase;

namespace {

const OrganizationId kOrgA("11111111-1111-4111-8111-111111111111");
const OrganizationId kOrgB("22222222-2222-4222-8222-222222222222");

// A fresh database with the catalog schema, and a store over it.
struct World {
  TestDatabase db;
  std::unique_ptr<pg::Pool> pool = db.MakePool(4);
  pg::PgCatalogStore store{*pool};

  World() {
    pg::PgMigrationStore migrations(*pool);
    auto up = migrate::Migrator(migrations,
                                migrate::ForService(pg::EmbeddedMigrations().value(), "catalog"))
                  .Up(std::nullopt, false);
    REQUIRE(up);
    REQUIRE_FALSE(up->error);
  }

  std::string Count(const std::string& sql) { return Scalar(db.sql(), sql); }
};

// Runs `f` on the repository inside Write() and returns what it returned
// (or Write's own error).
template <typename F>
auto Written(World& w, F&& f) -> std::invoke_result_t<F, CatalogRepository&> {
  using R = std::invoke_result_t<F, CatalogRepository&>;
  std::optional<R> out;
  Status st = w.store.Write([&](CatalogTx& tx) -> Status {
    out.emplace(f(tx.catalog()));
    if (!*out) return tl::unexpected(out->error());
    return Ok();
  });
  if (!st) return tl::unexpected(st.error());
  return std::move(*out);
}

// As Written, inside Read().
template <typename F>
auto Reading(World& w, F&& f) -> std::invoke_result_t<F, CatalogRepository&> {
  using R = std::invoke_result_t<F, CatalogRepository&>;
  std::optional<R> out;
  Status st = w.store.Read([&](CatalogRepository& repo) -> Status {
    out.emplace(f(repo));
    if (!*out) return tl::unexpected(out->error());
    return Ok();
  });
  if (!st) return tl::unexpected(st.error());
  return std::move(*out);
}

Product NewProduct(const OrganizationId& org, const std::string& sku, const std::string& name,
                   const std::string& category = "", const std::string& status = "active") {
  Product p;
  p.organization = org;
  p.sku = sku;
  p.name = name;
  p.category = category;
  p.status = status;
  return p;
}

Supplier NewSupplier(const OrganizationId& org, const std::string& code, const std::string& name,
                     const std::string& status = "active") {
  Supplier s;
  s.organization = org;
  s.code = code;
  s.name = name;
  s.status = status;
  return s;
}

BufferProfile NewProfile(const OrganizationId& org, const std::string& name,
                         const std::string& status = "active") {
  BufferProfile b;
  b.organization = org;
  b.name = name;
  b.status = status;
  return b;
}

Product Insert(World& w, const Product& p) {
  auto r = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(p); });
  REQUIRE(r);
  return *r;
}
Supplier Insert(World& w, const Supplier& s) {
  auto r = Written(w, [&](CatalogRepository& repo) { return repo.InsertSupplier(s); });
  REQUIRE(r);
  return *r;
}
BufferProfile Insert(World& w, const BufferProfile& b) {
  auto r = Written(w, [&](CatalogRepository& repo) { return repo.InsertBufferProfile(b); });
  REQUIRE(r);
  return *r;
}

std::optional<Product> Get(World& w, const OrganizationId& org, const std::string& id) {
  auto r = Reading(w, [&](CatalogRepository& repo) { return repo.GetProduct(org, id); });
  REQUIRE(r);
  return *r;
}

Page<Product> List(World& w, const OrganizationId& org, const ListQuery& q) {
  auto r = Reading(w, [&](CatalogRepository& repo) { return repo.ListProducts(org, q); });
  REQUIRE(r);
  return *r;
}

ListQuery Query(int page, int page_size, std::string status = "", std::string category = "",
                std::string query = "") {
  ListQuery q;
  q.page = page;
  q.page_size = page_size;
  q.status = std::move(status);
  q.category = std::move(category);
  q.query = std::move(query);
  return q;
}

std::vector<std::string> Skus(const Page<Product>& page) {
  std::vector<std::string> out;
  for (const auto& p : page.items) out.push_back(p.sku);
  return out;
}

std::vector<std::string> Search(World& w, const std::string& query) {
  return Skus(List(w, kOrgA, Query(1, 100, "", "", query)));
}

// EXPLAIN of exactly the statement ListProducts runs for `q`, as one text.
std::string Plan(World& w, const ListQuery& q) {
  const pg::CatalogStatement st = pg::ListProductsStatementForTests(kOrgA, q);
  auto rows = w.db.sql().Exec("EXPLAIN " + st.sql, st.params);
  REQUIRE(rows);
  std::string plan;
  for (std::size_t i = 0; i < rows->size(); ++i) plan += rows->Text(i, 0) + "\n";
  return plan;
}

events::Event ProductCreated(const Product& p, const std::string& event_id) {
  events::Event e;
  e.id = event_id;
  e.service = "catalog";
  e.type = "product.created";
  e.aggregate_type = "product";
  e.aggregate_id = p.id;
  e.organization_id = p.organization.value();
  e.time = "2026-11-22T10:00:00Z";
  e.data = {{"product_id", p.id},
            {"sku", p.sku},
            {"name", p.name},
            {"organization_id", p.organization.value()}};
  return e;
}

}  // namespace

TEST_CASE("A product goes through insert, get, update and soft delete, one version per change",
          "[catalog][pg]") {
  World w;
  Product p = NewProduct(kOrgA, "ABC-1", "Hex bolt", "fasteners");
  p.description = "M8 x 40";
  p.unit_of_measure = "box";
  p.standard_cost = 12.3456;
  const Product created = Insert(w, p);
  CHECK(created.id.size() == 36);
  CHECK(created.organization == kOrgA);
  CHECK(created.sku == "ABC-1");
  CHECK(created.name == "Hex bolt");
  CHECK(created.description == "M8 x 40");
  CHECK(created.category == "fasteners");
  CHECK(created.unit_of_measure == "box");
  CHECK(created.standard_cost == 12.3456);
  CHECK(created.status == "active");
  CHECK_FALSE(created.buffer_profile_id);
  CHECK(created.version == 1);
  CHECK(created.created_at.time_since_epoch().count() > 0);
  CHECK(created.updated_at == created.created_at);

  auto got = Get(w, kOrgA, created.id);
  REQUIRE(got);
  CHECK(got->sku == "ABC-1");
  CHECK(got->standard_cost == 12.3456);
  CHECK(got->version == 1);
  CHECK(got->created_at == created.created_at);

  Product change = *got;
  change.name = "Hex bolt, zinc";
  change.description = "";
  change.standard_cost = 99999999999999.5;  // numeric(18, 4) keeps it exactly
  change.status = "discontinued";
  auto updated = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(change); });
  REQUIRE(updated);
  CHECK(updated->version == 2);
  CHECK(updated->name == "Hex bolt, zinc");
  CHECK(updated->description.empty());
  CHECK(updated->standard_cost == 99999999999999.5);
  CHECK(updated->status == "discontinued");
  CHECK(updated->created_at == created.created_at);
  CHECK(updated->updated_at > created.updated_at);

  // Lock sees the same row, inside the transaction.
  auto locked = Written(w, [&](CatalogRepository& repo) { return repo.LockProduct(kOrgA, p.id); });
  REQUIRE(locked);
  CHECK_FALSE(*locked);  // p.id is empty: no such product
  locked = Written(w, [&](CatalogRepository& repo) { return repo.LockProduct(kOrgA, created.id); });
  REQUIRE(locked);
  REQUIRE(*locked);
  CHECK((*locked)->version == 2);

  // A buffer profile of the organization can be assigned and counted.
  const BufferProfile profile = Insert(w, NewProfile(kOrgA, "Fast movers"));
  change = **locked;
  change.buffer_profile_id = profile.id;
  updated = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(change); });
  REQUIRE(updated);
  CHECK(updated->buffer_profile_id == profile.id);
  CHECK(updated->version == 3);
  auto count = Reading(
      w, [&](CatalogRepository& repo) { return repo.CountProductsWithProfile(kOrgA, profile.id); });
  REQUIRE(count);
  CHECK(*count == 1);
  count = Reading(
      w, [&](CatalogRepository& repo) { return repo.CountProductsWithProfile(kOrgB, profile.id); });
  REQUIRE(count);
  CHECK(*count == 0);

  auto deleted = Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, created.id); });
  REQUIRE(deleted);
  CHECK_FALSE(Get(w, kOrgA, created.id));
  CHECK(w.Count("SELECT version FROM catalog.products WHERE deleted_at IS NOT NULL") == "4");
  count = Reading(
      w, [&](CatalogRepository& repo) { return repo.CountProductsWithProfile(kOrgA, profile.id); });
  REQUIRE(count);
  CHECK(*count == 0);  // live products only

  auto again = Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, created.id); });
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::kNotFound);
  auto stale = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(change); });
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == ErrorCode::kNotFound);
}

TEST_CASE("A product takes only a live buffer profile of its own organization", "[catalog][pg]") {
  World w;
  const BufferProfile mine = Insert(w, NewProfile(kOrgA, "Mine"));
  const BufferProfile theirs = Insert(w, NewProfile(kOrgB, "Theirs"));

  Product p = NewProduct(kOrgA, "P-1", "Pump");
  p.buffer_profile_id = theirs.id;
  auto refused = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(p); });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kNotFound);
  CHECK(refused.error().field == "buffer_profile_id");

  p.buffer_profile_id = mine.id;
  Product stored = Insert(w, p);
  CHECK(stored.buffer_profile_id == mine.id);

  stored.buffer_profile_id = theirs.id;
  auto moved = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(stored); });
  REQUIRE_FALSE(moved);
  CHECK(moved.error().code == ErrorCode::kNotFound);
  CHECK(moved.error().field == "buffer_profile_id");

  // A profile the product already holds does not stand in the way of other changes.
  REQUIRE(w.db.sql().Exec("UPDATE catalog.buffer_profiles SET deleted_at = now() WHERE id = $1",
                          {mine.id}));
  stored.buffer_profile_id = mine.id;
  stored.name = "Pump, renamed";
  auto renamed = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(stored); });
  REQUIRE(renamed);
  CHECK(renamed->name == "Pump, renamed");

  stored.buffer_profile_id.reset();
  auto cleared = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(stored); });
  REQUIRE(cleared);
  CHECK_FALSE(cleared->buffer_profile_id);
  CHECK(cleared->version == 3);
}

TEST_CASE("Suppliers and buffer profiles keep every field and count their versions",
          "[catalog][pg]") {
  World w;
  Supplier s = NewSupplier(kOrgA, "SUP-1", "Acme");
  s.contact_name = "Ana";
  s.contact_email = "ana@acme.test";
  s.contact_phone = "+1 555 0100";
  s.default_lead_time_days = 12;
  const Supplier supplier = Insert(w, s);
  CHECK(supplier.id.size() == 36);
  CHECK(supplier.code == "SUP-1");
  CHECK(supplier.contact_name == "Ana");
  CHECK(supplier.contact_email == "ana@acme.test");
  CHECK(supplier.contact_phone == "+1 555 0100");
  CHECK(supplier.default_lead_time_days == 12);
  CHECK(supplier.status == "active");
  CHECK(supplier.version == 1);

  Supplier change = supplier;
  change.name = "Acme Corp";
  change.status = "inactive";
  change.default_lead_time_days = 3;
  auto updated = Written(w, [&](CatalogRepository& repo) { return repo.UpdateSupplier(change); });
  REQUIRE(updated);
  CHECK(updated->name == "Acme Corp");
  CHECK(updated->status == "inactive");
  CHECK(updated->default_lead_time_days == 3);
  CHECK(updated->version == 2);
  auto got =
      Reading(w, [&](CatalogRepository& repo) { return repo.GetSupplier(kOrgA, supplier.id); });
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->version == 2);
  REQUIRE(Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteSupplier(kOrgA, supplier.id); }));
  got = Reading(w, [&](CatalogRepository& repo) { return repo.GetSupplier(kOrgA, supplier.id); });
  REQUIRE(got);
  CHECK_FALSE(*got);
  CHECK(w.Count("SELECT version FROM catalog.suppliers") == "3");

  BufferProfile b = NewProfile(kOrgA, "Slow movers");
  b.description = "long lead times";
  b.adu_method = "exponential";
  b.lead_time_factor = 0.25;
  b.variability_factor = 0.7;
  const BufferProfile profile = Insert(w, b);
  CHECK(profile.adu_method == "exponential");
  CHECK(profile.lead_time_factor == 0.25);
  CHECK(profile.variability_factor == 0.7);
  CHECK(profile.description == "long lead times");
  CHECK(profile.version == 1);
  BufferProfile pchange = profile;
  pchange.lead_time_factor = 1;
  pchange.variability_factor = 0;
  pchange.adu_method = "weighted";
  auto pupdated =
      Written(w, [&](CatalogRepository& repo) { return repo.UpdateBufferProfile(pchange); });
  REQUIRE(pupdated);
  CHECK(pupdated->lead_time_factor == 1);
  CHECK(pupdated->variability_factor == 0);
  CHECK(pupdated->adu_method == "weighted");
  CHECK(pupdated->version == 2);
  auto locked = Written(
      w, [&](CatalogRepository& repo) { return repo.LockBufferProfile(kOrgA, profile.id); });
  REQUIRE(locked);
  REQUIRE(*locked);
  CHECK((*locked)->version == 2);
  REQUIRE(Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteBufferProfile(kOrgA, profile.id); }));
  auto gone =
      Reading(w, [&](CatalogRepository& repo) { return repo.GetBufferProfile(kOrgA, profile.id); });
  REQUIRE(gone);
  CHECK_FALSE(*gone);
  CHECK(w.Count("SELECT version FROM catalog.buffer_profiles") == "3");
}

TEST_CASE("Another organization can neither see nor change a row", "[catalog][pg]") {
  World w;
  const Product product = Insert(w, NewProduct(kOrgA, "ABC-1", "Bolt"));
  const Supplier supplier = Insert(w, NewSupplier(kOrgA, "SUP-1", "Acme"));
  const BufferProfile profile = Insert(w, NewProfile(kOrgA, "Default"));
  REQUIRE(Written(w, [&](CatalogRepository& repo) {
    ProductSupplier l;
    l.product_id = product.id;
    l.supplier_id = supplier.id;
    l.lead_time_days = 4;
    return repo.UpsertProductSupplier(kOrgA, l);
  }));

  // Get and Lock find nothing.
  CHECK_FALSE(Get(w, kOrgB, product.id));
  auto s =
      Reading(w, [&](CatalogRepository& repo) { return repo.GetSupplier(kOrgB, supplier.id); });
  REQUIRE(s);
  CHECK_FALSE(*s);
  auto b =
      Reading(w, [&](CatalogRepository& repo) { return repo.GetBufferProfile(kOrgB, profile.id); });
  REQUIRE(b);
  CHECK_FALSE(*b);
  auto lp =
      Written(w, [&](CatalogRepository& repo) { return repo.LockProduct(kOrgB, product.id); });
  REQUIRE(lp);
  CHECK_FALSE(*lp);
  auto ls =
      Written(w, [&](CatalogRepository& repo) { return repo.LockSupplier(kOrgB, supplier.id); });
  REQUIRE(ls);
  CHECK_FALSE(*ls);
  auto lb = Written(
      w, [&](CatalogRepository& repo) { return repo.LockBufferProfile(kOrgB, profile.id); });
  REQUIRE(lb);
  CHECK_FALSE(*lb);

  // Lists are empty.
  CHECK(List(w, kOrgB, Query(1, 20)).total == 0);
  CHECK(List(w, kOrgB, Query(1, 20, "", "", "ABC")).items.empty());
  auto sl =
      Reading(w, [&](CatalogRepository& repo) { return repo.ListSuppliers(kOrgB, Query(1, 20)); });
  REQUIRE(sl);
  CHECK(sl->total == 0);
  CHECK(sl->items.empty());
  auto bl = Reading(
      w, [&](CatalogRepository& repo) { return repo.ListBufferProfiles(kOrgB, Query(1, 20)); });
  REQUIRE(bl);
  CHECK(bl->total == 0);
  auto links = Reading(
      w, [&](CatalogRepository& repo) { return repo.ListProductSuppliers(kOrgB, product.id); });
  REQUIRE(links);
  CHECK(links->empty());

  // Updates (found by organization and id) find nothing and change nothing.
  Product p = product;
  p.organization = kOrgB;
  p.name = "Stolen";
  auto up = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(p); });
  REQUIRE_FALSE(up);
  CHECK(up.error().code == ErrorCode::kNotFound);
  Supplier sc = supplier;
  sc.organization = kOrgB;
  sc.name = "Stolen";
  auto us = Written(w, [&](CatalogRepository& repo) { return repo.UpdateSupplier(sc); });
  REQUIRE_FALSE(us);
  CHECK(us.error().code == ErrorCode::kNotFound);
  BufferProfile bc = profile;
  bc.organization = kOrgB;
  bc.name = "Stolen";
  auto ub = Written(w, [&](CatalogRepository& repo) { return repo.UpdateBufferProfile(bc); });
  REQUIRE_FALSE(ub);
  CHECK(ub.error().code == ErrorCode::kNotFound);

  // Deletes find nothing either.
  auto dp = Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgB, product.id); });
  REQUIRE_FALSE(dp);
  CHECK(dp.error().code == ErrorCode::kNotFound);
  auto ds = Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteSupplier(kOrgB, supplier.id); });
  REQUIRE_FALSE(ds);
  CHECK(ds.error().code == ErrorCode::kNotFound);
  auto db = Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteBufferProfile(kOrgB, profile.id); });
  REQUIRE_FALSE(db);
  CHECK(db.error().code == ErrorCode::kNotFound);

  // Links: no upsert into, no removal of, another organization's rows.
  auto link = Written(w, [&](CatalogRepository& repo) {
    ProductSupplier l;
    l.product_id = product.id;
    l.supplier_id = supplier.id;
    l.lead_time_days = 99;
    l.is_primary = true;
    return repo.UpsertProductSupplier(kOrgB, l);
  });
  REQUIRE_FALSE(link);
  CHECK(link.error().code == ErrorCode::kNotFound);
  auto removed = Written(w, [&](CatalogRepository& repo) {
    return repo.RemoveProductSupplier(kOrgB, product.id, supplier.id);
  });
  REQUIRE(removed);
  CHECK_FALSE(*removed);

  // Everything of organization A is as it was.
  CHECK(w.Count("SELECT string_agg(name || ':' || version, ',') FROM catalog.products "
                "WHERE deleted_at IS NULL") == "Bolt:1");
  CHECK(w.Count("SELECT string_agg(name || ':' || version, ',') FROM catalog.suppliers "
                "WHERE deleted_at IS NULL") == "Acme:1");
  CHECK(w.Count("SELECT string_agg(name || ':' || version, ',') FROM catalog.buffer_profiles "
                "WHERE deleted_at IS NULL") == "Default:1");
  CHECK(w.Count("SELECT lead_time_days || ':' || is_primary FROM catalog.product_suppliers") ==
        "4:false");
}

TEST_CASE("A live sku, code or name is taken, naming the field, and soft delete frees it",
          "[catalog][pg]") {
  World w;
  const Product first = Insert(w, NewProduct(kOrgA, "ABC-1", "Bolt"));
  auto dup = Written(w, [&](CatalogRepository& repo) {
    return repo.InsertProduct(NewProduct(kOrgA, "ABC-1", "x"));
  });
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  CHECK(dup.error().field == "sku");
  CHECK(dup.error().message ==
        "sku \"ABC-1\" is already used by another product of this organization");
  // Another organization has its own skus.
  Insert(w, NewProduct(kOrgB, "ABC-1", "Their bolt"));
  // An update onto a taken sku is refused the same way.
  Product second = Insert(w, NewProduct(kOrgA, "ABC-2", "Nut"));
  second.sku = "ABC-1";
  auto moved = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(second); });
  REQUIRE_FALSE(moved);
  CHECK(moved.error().code == ErrorCode::kAlreadyExists);
  CHECK(moved.error().field == "sku");
  // Soft delete frees the sku.
  REQUIRE(
      Written(w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, first.id); }));
  const Product reused = Insert(w, NewProduct(kOrgA, "ABC-1", "New bolt"));
  CHECK(reused.id != first.id);

  const Supplier supplier = Insert(w, NewSupplier(kOrgA, "SUP-1", "Acme"));
  auto dup_code = Written(w, [&](CatalogRepository& repo) {
    return repo.InsertSupplier(NewSupplier(kOrgA, "SUP-1", "Other"));
  });
  REQUIRE_FALSE(dup_code);
  CHECK(dup_code.error().code == ErrorCode::kAlreadyExists);
  CHECK(dup_code.error().field == "code");
  CHECK(dup_code.error().message ==
        "code \"SUP-1\" is already used by another supplier of this organization");
  Supplier other = Insert(w, NewSupplier(kOrgA, "SUP-2", "Other"));
  other.code = "SUP-1";
  auto moved_code = Written(w, [&](CatalogRepository& repo) { return repo.UpdateSupplier(other); });
  REQUIRE_FALSE(moved_code);
  CHECK(moved_code.error().field == "code");
  REQUIRE(Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteSupplier(kOrgA, supplier.id); }));
  Insert(w, NewSupplier(kOrgA, "SUP-1", "Acme again"));

  const BufferProfile profile = Insert(w, NewProfile(kOrgA, "Default"));
  auto dup_name = Written(w, [&](CatalogRepository& repo) {
    return repo.InsertBufferProfile(NewProfile(kOrgA, "Default"));
  });
  REQUIRE_FALSE(dup_name);
  CHECK(dup_name.error().code == ErrorCode::kAlreadyExists);
  CHECK(dup_name.error().field == "name");
  CHECK(dup_name.error().message ==
        "name \"Default\" is already used by another buffer profile of this organization");
  BufferProfile renamed = Insert(w, NewProfile(kOrgA, "Other"));
  renamed.name = "Default";
  auto moved_name =
      Written(w, [&](CatalogRepository& repo) { return repo.UpdateBufferProfile(renamed); });
  REQUIRE_FALSE(moved_name);
  CHECK(moved_name.error().field == "name");
  REQUIRE(Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteBufferProfile(kOrgA, profile.id); }));
  Insert(w, NewProfile(kOrgA, "Default"));
  Insert(w, NewProfile(kOrgB, "Default"));
}

TEST_CASE("Lists filter by status and category, page in creation order and count every page",
          "[catalog][pg]") {
  World w;
  // Separate transactions: created_at increases with each.
  const std::vector<std::tuple<std::string, std::string, std::string>> rows = {
      {"P-1", "tools", "active"},      {"P-2", "parts", "active"},   {"P-3", "tools", "inactive"},
      {"P-4", "tools", "active"},      {"P-5", "parts", "inactive"}, {"P-6", "parts", "active"},
      {"P-7", "tools", "discontinued"}};
  for (const auto& [sku, category, status] : rows) {
    Insert(w, NewProduct(kOrgA, sku, "Name " + sku, category, status));
  }
  const Product gone = Insert(w, NewProduct(kOrgA, "P-8", "Gone", "tools"));
  REQUIRE(
      Written(w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, gone.id); }));
  Insert(w, NewProduct(kOrgB, "B-1", "Theirs", "tools"));

  auto all = List(w, kOrgA, Query(1, 20));
  CHECK(all.total == 7);
  CHECK(Skus(all) == std::vector<std::string>{"P-1", "P-2", "P-3", "P-4", "P-5", "P-6", "P-7"});

  auto page1 = List(w, kOrgA, Query(1, 3));
  CHECK(page1.total == 7);
  CHECK(Skus(page1) == std::vector<std::string>{"P-1", "P-2", "P-3"});
  auto page3 = List(w, kOrgA, Query(3, 3));
  CHECK(page3.total == 7);
  CHECK(Skus(page3) == std::vector<std::string>{"P-7"});
  auto past = List(w, kOrgA, Query(4, 3));
  CHECK(past.items.empty());
  CHECK(past.total == 7);
  auto far = List(w, kOrgA, Query(1000000, 100));
  CHECK(far.items.empty());
  CHECK(far.total == 7);

  auto active = List(w, kOrgA, Query(1, 20, "active"));
  CHECK(active.total == 4);
  CHECK(Skus(active) == std::vector<std::string>{"P-1", "P-2", "P-4", "P-6"});
  auto tools = List(w, kOrgA, Query(1, 20, "", "tools"));
  CHECK(tools.total == 4);
  CHECK(Skus(tools) == std::vector<std::string>{"P-1", "P-3", "P-4", "P-7"});
  auto active_tools = List(w, kOrgA, Query(1, 1, "active", "tools"));
  CHECK(active_tools.total == 2);
  CHECK(Skus(active_tools) == std::vector<std::string>{"P-1"});
  auto active_tools_2 = List(w, kOrgA, Query(2, 1, "active", "tools"));
  CHECK(Skus(active_tools_2) == std::vector<std::string>{"P-4"});
  auto past_filtered = List(w, kOrgA, Query(3, 1, "active", "tools"));
  CHECK(past_filtered.items.empty());
  CHECK(past_filtered.total == 2);
  auto none = List(w, kOrgA, Query(1, 20, "active", "nothing"));
  CHECK(none.items.empty());
  CHECK(none.total == 0);

  // Suppliers and buffer profiles filter by status.
  Insert(w, NewSupplier(kOrgA, "S-1", "One"));
  Insert(w, NewSupplier(kOrgA, "S-2", "Two", "inactive"));
  Insert(w, NewSupplier(kOrgA, "S-3", "Three"));
  auto suppliers = Reading(
      w, [&](CatalogRepository& repo) { return repo.ListSuppliers(kOrgA, Query(1, 1, "active")); });
  REQUIRE(suppliers);
  CHECK(suppliers->total == 2);
  REQUIRE(suppliers->items.size() == 1);
  CHECK(suppliers->items[0].code == "S-1");
  auto suppliers_past =
      Reading(w, [&](CatalogRepository& repo) { return repo.ListSuppliers(kOrgA, Query(5, 2)); });
  REQUIRE(suppliers_past);
  CHECK(suppliers_past->total == 3);
  CHECK(suppliers_past->items.empty());
  Insert(w, NewProfile(kOrgA, "A"));
  Insert(w, NewProfile(kOrgA, "B", "inactive"));
  auto profiles = Reading(w, [&](CatalogRepository& repo) {
    return repo.ListBufferProfiles(kOrgA, Query(1, 20, "inactive"));
  });
  REQUIRE(profiles);
  CHECK(profiles->total == 1);
  REQUIRE(profiles->items.size() == 1);
  CHECK(profiles->items[0].name == "B");
}

TEST_CASE("A page holds 1 to 100 rows", "[catalog][pg]") {
  World w;
  REQUIRE(
      w.db.sql().Exec("INSERT INTO catalog.products (organization_id, sku, name) SELECT $1::uuid,"
                      " 'S-' || lpad(i::text, 3, '0'), 'N' || i FROM generate_series(1, 105) i",
                      {kOrgA.value()}));
  auto full = List(w, kOrgA, Query(1, 100));
  CHECK(full.total == 105);
  CHECK(full.items.size() == 100);
  auto rest = List(w, kOrgA, Query(2, 100));
  CHECK(rest.total == 105);
  CHECK(rest.items.size() == 5);
  auto one = List(w, kOrgA, Query(105, 1));
  CHECK(one.total == 105);
  CHECK(one.items.size() == 1);
  // Out-of-range sizes (the caller's to refuse) are held to the bounds.
  CHECK(List(w, kOrgA, Query(1, 1000)).items.size() == 100);
  CHECK(List(w, kOrgA, Query(1, 0)).items.size() == 1);
}

TEST_CASE("Search matches sku or name case-insensitively and takes % _ and backslash literally",
          "[catalog][pg]") {
  World w;
  Insert(w, NewProduct(kOrgA, "BOLT-M8", "Hex Bolt M8", "fasteners"));
  Insert(w, NewProduct(kOrgA, "NUT-M8", "Hex nut", "fasteners", "inactive"));
  Insert(w, NewProduct(kOrgA, "WASH_10", "Washer 10% off", "washers"));
  Insert(w, NewProduct(kOrgA, "WASHX10", "Washer plain", "washers"));
  Insert(w, NewProduct(kOrgA, "A\\B", "Back\\slash", "misc"));
  const Product gone = Insert(w, NewProduct(kOrgA, "BOLT-OLD", "Old bolt"));
  REQUIRE(
      Written(w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, gone.id); }));
  Insert(w, NewProduct(kOrgB, "BOLT-B", "Their bolt"));

  CHECK(Search(w, "bolt") == std::vector<std::string>{"BOLT-M8"});
  CHECK(Search(w, "BoLt-m") == std::vector<std::string>{"BOLT-M8"});
  CHECK(Search(w, "hex") == std::vector<std::string>{"BOLT-M8", "NUT-M8"});  // name
  CHECK(Search(w, "m8") == std::vector<std::string>{"BOLT-M8", "NUT-M8"});   // sku and name
  CHECK(Search(w, "washer") == std::vector<std::string>{"WASH_10", "WASHX10"});
  CHECK(Search(w, "_") == std::vector<std::string>{"WASH_10"});
  CHECK(Search(w, "h_1") == std::vector<std::string>{"WASH_10"});
  CHECK(Search(w, "10%") == std::vector<std::string>{"WASH_10"});
  CHECK(Search(w, "%").size() == 1);
  CHECK(Search(w, "\\") == std::vector<std::string>{"A\\B"});
  CHECK(Search(w, "a\\b") == std::vector<std::string>{"A\\B"});
  CHECK(Search(w, "zzz").empty());

  // With the other filters, and totals.
  auto active = List(w, kOrgA, Query(1, 20, "active", "", "hex"));
  CHECK(Skus(active) == std::vector<std::string>{"BOLT-M8"});
  CHECK(active.total == 1);
  auto washers = List(w, kOrgA, Query(1, 1, "", "washers", "wash"));
  CHECK(washers.total == 2);
  CHECK(Skus(washers) == std::vector<std::string>{"WASH_10"});
  auto past = List(w, kOrgA, Query(3, 1, "", "washers", "wash"));
  CHECK(past.total == 2);
  CHECK(past.items.empty());
}

TEST_CASE("Searching 100000 products uses a trigram index and finds the right rows",
          "[catalog][pg]") {
  World w;
  REQUIRE(w.db.sql().Exec(
      "INSERT INTO catalog.products (organization_id, sku, name, category)"
      " SELECT $1::uuid, 'SKU-' || lpad(i::text, 6, '0'), 'Gadget #' || i,"
      " CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END FROM generate_series(1, 100000) i",
      {kOrgA.value()}));
  REQUIRE(w.db.sql().Exec("ANALYZE catalog.products"));
  REQUIRE(w.Count("SELECT count(*) FROM catalog.products") == "100000");

  const ListQuery by_sku = Query(1, 20, "", "", "sku-04217");
  const std::string plan = Plan(w, by_sku);
  INFO(plan);
  CHECK((plan.find("products_sku_trgm_idx") != std::string::npos ||
         plan.find("products_name_trgm_idx") != std::string::npos));
  CHECK(plan.find("Seq Scan") == std::string::npos);
  auto found = List(w, kOrgA, by_sku);
  CHECK(found.total == 10);
  // One INSERT: one created_at, so the page is in id order.
  REQUIRE(found.items.size() == 10);
  CHECK(std::is_sorted(found.items.begin(), found.items.end(),
                       [](const Product& x, const Product& y) { return x.id < y.id; }));
  std::vector<std::string> skus = Skus(found);
  std::sort(skus.begin(), skus.end());
  CHECK(skus == std::vector<std::string>{"SKU-042170", "SKU-042171", "SKU-042172", "SKU-042173",
                                         "SKU-042174", "SKU-042175", "SKU-042176", "SKU-042177",
                                         "SKU-042178", "SKU-042179"});

  const ListQuery by_name = Query(1, 20, "", "", "GADGET #9999");
  const std::string name_plan = Plan(w, by_name);
  INFO(name_plan);
  CHECK(name_plan.find("products_name_trgm_idx") != std::string::npos);
  CHECK(name_plan.find("Seq Scan") == std::string::npos);
  auto named = List(w, kOrgA, by_name);
  CHECK(named.total == 11);  // #9999 and #99990..#99999
  REQUIRE(named.items.size() == 11);
  for (const auto& p : named.items) CHECK(p.name.rfind("Gadget #9999", 0) == 0);

  // A filter on top narrows the same search; a page past the end keeps the total.
  auto even = List(w, kOrgA, Query(1, 20, "", "even", "sku-04217"));
  CHECK(even.total == 5);
  auto past = List(w, kOrgA, Query(2, 20, "", "", "sku-04217"));
  CHECK(past.items.empty());
  CHECK(past.total == 10);
}

TEST_CASE("Product-supplier links upsert, move the primary flag, hide deleted suppliers, remove",
          "[catalog][pg]") {
  World w;
  const Product product = Insert(w, NewProduct(kOrgA, "P-1", "Pump"));
  const Product other = Insert(w, NewProduct(kOrgA, "P-2", "Valve"));
  const Supplier b = Insert(w, NewSupplier(kOrgA, "B-SUP", "Bravo"));
  const Supplier a = Insert(w, NewSupplier(kOrgA, "A-SUP", "Alpha"));
  const Supplier c = Insert(w, NewSupplier(kOrgA, "C-SUP", "Charlie"));
  auto upsert = [&](const Product& p, const Supplier& s, int lead, bool primary) {
    ProductSupplier l;
    l.product_id = p.id;
    l.supplier_id = s.id;
    l.lead_time_days = lead;
    l.is_primary = primary;
    return Written(w,
                   [&](CatalogRepository& repo) { return repo.UpsertProductSupplier(kOrgA, l); });
  };
  auto list = [&](const Product& p) {
    auto r =
        Reading(w, [&](CatalogRepository& repo) { return repo.ListProductSuppliers(kOrgA, p.id); });
    REQUIRE(r);
    std::vector<std::string> out;
    for (const auto& l : *r) {
      out.push_back(l.supplier_code + ":" + std::to_string(l.lead_time_days) +
                    (l.is_primary ? ":primary" : ""));
    }
    return out;
  };

  auto first = upsert(product, b, 5, true);
  REQUIRE(first);
  CHECK(first->product_id == product.id);
  CHECK(first->supplier_id == b.id);
  CHECK(first->supplier_code == "B-SUP");
  CHECK(first->supplier_name == "Bravo");
  CHECK(first->lead_time_days == 5);
  CHECK(first->is_primary);
  CHECK(first->created_at.time_since_epoch().count() > 0);
  REQUIRE(upsert(product, a, 7, false));
  REQUIRE(upsert(other, a, 2, true));  // another product's primary is its own
  CHECK(list(product) == std::vector<std::string>{"B-SUP:5:primary", "A-SUP:7"});

  // Updating the lead time keeps the link (and when it was made).
  auto again = upsert(product, b, 6, true);
  REQUIRE(again);
  CHECK(again->lead_time_days == 6);
  CHECK(again->created_at == first->created_at);
  CHECK(list(product) == std::vector<std::string>{"B-SUP:6:primary", "A-SUP:7"});

  // The primary flag moves.
  auto moved = upsert(product, a, 9, true);
  REQUIRE(moved);
  CHECK(moved->is_primary);
  CHECK(moved->supplier_name == "Alpha");
  REQUIRE(upsert(product, c, 1, false));
  CHECK(list(product) == std::vector<std::string>{"A-SUP:9:primary", "B-SUP:6", "C-SUP:1"});
  CHECK(list(other) == std::vector<std::string>{"A-SUP:2:primary"});
  CHECK(w.Count("SELECT count(*) FROM catalog.product_suppliers WHERE is_primary") == "2");

  // A soft-deleted supplier drops out of the list, and cannot be linked.
  REQUIRE(
      Written(w, [&](CatalogRepository& repo) { return repo.SoftDeleteSupplier(kOrgA, b.id); }));
  CHECK(list(product) == std::vector<std::string>{"A-SUP:9:primary", "C-SUP:1"});
  auto dead = upsert(product, b, 3, false);
  REQUIRE_FALSE(dead);
  CHECK(dead.error().code == ErrorCode::kNotFound);

  // A negative lead time names its field.
  auto negative = upsert(product, c, -1, false);
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == ErrorCode::kInvalidArgument);
  CHECK(negative.error().field == "lead_time_days");

  auto removed = Written(w, [&](CatalogRepository& repo) {
    return repo.RemoveProductSupplier(kOrgA, product.id, c.id);
  });
  REQUIRE(removed);
  CHECK(*removed);
  removed = Written(w, [&](CatalogRepository& repo) {
    return repo.RemoveProductSupplier(kOrgA, product.id, c.id);
  });
  REQUIRE(removed);
  CHECK_FALSE(*removed);
  CHECK(list(product) == std::vector<std::string>{"A-SUP:9:primary"});
}

TEST_CASE("Write commits the outbox row with its change and a failed Write leaves neither",
          "[catalog][pg]") {
  World w;
  Product kept;
  auto ok = w.store.Write([&](CatalogTx& tx) -> Status {
    auto p = tx.catalog().InsertProduct(NewProduct(kOrgA, "KEPT-1", "Kept"));
    if (!p) return tl::unexpected(p.error());
    kept = *p;
    return tx.outbox().Append(ProductCreated(*p, "00000000-0000-4000-8000-000000000001"));
  });
  REQUIRE(ok);
  CHECK(w.Count("SELECT count(*) FROM catalog.products") == "1");
  CHECK(w.Count("SELECT aggregate_id || ' ' || event_type || ' ' || subject FROM catalog.outbox") ==
        kept.id + " product.created catalog.product.created");
  CHECK(w.Count("SELECT organization_id FROM catalog.outbox") == kOrgA.value());

  // The work fails after appending: nothing of it stays.
  auto failed = w.store.Write([&](CatalogTx& tx) -> Status {
    auto p = tx.catalog().InsertProduct(NewProduct(kOrgA, "LOST-1", "Lost"));
    if (!p) return tl::unexpected(p.error());
    if (auto e = tx.outbox().Append(ProductCreated(*p, "00000000-0000-4000-8000-000000000002"));
        !e) {
      return e;
    }
    return MakeError(ErrorCode::kFailedPrecondition, "changed my mind");
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::kFailedPrecondition);

  // A store error after appending rolls the event back too.
  auto clash = w.store.Write([&](CatalogTx& tx) -> Status {
    auto p = tx.catalog().InsertProduct(NewProduct(kOrgA, "LOST-2", "Lost"));
    if (!p) return tl::unexpected(p.error());
    if (auto e = tx.outbox().Append(ProductCreated(*p, "00000000-0000-4000-8000-000000000003"));
        !e) {
      return e;
    }
    auto dup = tx.catalog().InsertProduct(NewProduct(kOrgA, "KEPT-1", "Clash"));
    if (!dup) return tl::unexpected(dup.error());
    return Ok();
  });
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == ErrorCode::kAlreadyExists);
  CHECK(clash.error().field == "sku");

  CHECK(w.Count("SELECT string_agg(sku, ',') FROM catalog.products") == "KEPT-1");
  CHECK(w.Count("SELECT count(*) FROM catalog.outbox") == "1");
}

TEST_CASE("Reads refuse changes and bad input is an error, never a crash", "[catalog][pg]") {
  World w;
  const Product product = Insert(w, NewProduct(kOrgA, "P-1", "Pump"));

  auto in_read = Reading(w, [&](CatalogRepository& repo) {
    return repo.InsertProduct(NewProduct(kOrgA, "P-2", "Valve"));
  });
  REQUIRE_FALSE(in_read);
  CHECK(in_read.error().code == ErrorCode::kInternal);
  auto delete_in_read = Reading(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, product.id); });
  REQUIRE_FALSE(delete_in_read);
  CHECK(delete_in_read.error().code == ErrorCode::kInternal);
  CHECK(Get(w, kOrgA, product.id));

  // Malformed ids find nothing.
  CHECK_FALSE(Get(w, kOrgA, "not-a-uuid"));
  CHECK_FALSE(Get(w, kOrgA, "'; DROP TABLE catalog.products; --"));
  CHECK_FALSE(Get(w, OrganizationId("nope"), product.id));
  CHECK(List(w, OrganizationId(""), Query(1, 20)).total == 0);
  auto links =
      Reading(w, [&](CatalogRepository& repo) { return repo.ListProductSuppliers(kOrgA, "x"); });
  REQUIRE(links);
  CHECK(links->empty());
  Product bad = product;
  bad.id = "x";
  auto update = Written(w, [&](CatalogRepository& repo) { return repo.UpdateProduct(bad); });
  REQUIRE_FALSE(update);
  CHECK(update.error().code == ErrorCode::kNotFound);
  auto del =
      Written(w, [&](CatalogRepository& repo) { return repo.SoftDeleteSupplier(kOrgA, ""); });
  REQUIRE_FALSE(del);
  CHECK(del.error().code == ErrorCode::kNotFound);

  // Bad values are kInvalidArgument naming the field, with no SQL in the message.
  Product profiled = NewProduct(kOrgA, "P-3", "Fan");
  profiled.buffer_profile_id = "not-a-uuid";
  auto r = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(profiled); });
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK(r.error().field == "buffer_profile_id");
  Product nan = NewProduct(kOrgA, "P-4", "Fan");
  nan.standard_cost = std::numeric_limits<double>::quiet_NaN();
  r = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(nan); });
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "standard_cost");
  Product negative = NewProduct(kOrgA, "P-5", "Fan");
  negative.standard_cost = -1;
  r = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(negative); });
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK(r.error().field == "standard_cost");
  Product status = NewProduct(kOrgA, "P-6", "Fan", "", "bogus");
  r = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(status); });
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "status");
  CHECK(r.error().message.find("constraint") == std::string::npos);
  BufferProfile factor = NewProfile(kOrgA, "Bad");
  factor.lead_time_factor = 0;
  auto bp = Written(w, [&](CatalogRepository& repo) { return repo.InsertBufferProfile(factor); });
  REQUIRE_FALSE(bp);
  CHECK(bp.error().field == "lead_time_factor");
  factor.lead_time_factor = 0.5;
  factor.variability_factor = 250;  // beyond numeric(6, 4)
  bp = Written(w, [&](CatalogRepository& repo) { return repo.InsertBufferProfile(factor); });
  REQUIRE_FALSE(bp);
  CHECK(bp.error().code == ErrorCode::kInvalidArgument);
  CHECK(bp.error().field == "variability_factor");
  Product huge = NewProduct(kOrgA, "P-7", "Fan");
  huge.standard_cost = 1e14;  // beyond numeric(18, 4)
  r = Written(w, [&](CatalogRepository& repo) { return repo.InsertProduct(huge); });
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "standard_cost");

  CHECK(w.Count("SELECT count(*) FROM catalog.products") == "1");
}

TEST_CASE("A refusal of the work (a stale version) is not retried, a database deadlock is",
          "[catalog][pg]") {
  World w;
  int runs = 0;
  Status stale = w.store.Write([&](CatalogTx&) -> Status {
    ++runs;
    return MakeError(ErrorCode::kAborted, "stale version", "version");
  });
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == ErrorCode::kAborted);
  CHECK(runs == 1);
}

namespace {}  // namespace

TEST_CASE("FindProduct on the asynchronous pool reads what GetProduct reads, scoped alike",
          "[catalog][pg]") {
  World w;
  const Product stored = Insert(w, NewProduct(kOrgA, "ASYNC-1", "Async", "tools"));
  auto async = w.db.MakeAsyncPool();
  pg::PgCatalogStore store(*w.pool, nullptr, async.get());

  auto found = store.FindProduct(kOrgA, stored.id);
  CHECK(found.asynchronous());
  auto product = std::move(found).Finish();
  REQUIRE(product);
  REQUIRE(product->has_value());
  CHECK((*product)->sku == "ASYNC-1");
  CHECK((*product)->category == "tools");
  CHECK((*product)->version == stored.version);
  CHECK((*product)->created_at == stored.created_at);

  auto other = store.FindProduct(kOrgB, stored.id).Finish();  // another tenant's row
  REQUIRE(other);
  CHECK_FALSE(other->has_value());
  auto malformed = store.FindProduct(kOrgA, "not-a-uuid");  // answered without a statement
  CHECK(malformed.answered());
  REQUIRE(std::move(malformed).Finish());
  REQUIRE(Written(
      w, [&](CatalogRepository& repo) { return repo.SoftDeleteProduct(kOrgA, stored.id); }));
  auto gone = store.FindProduct(kOrgA, stored.id).Finish();
  REQUIRE(gone);
  CHECK_FALSE(gone->has_value());
}

namespace {

// Counts the store's wake-ups of the relay.
struct CountingSignal final : events::OutboxSignal {
  void Wait(std::chrono::milliseconds) override {}
  void Notify() override { ++notified; }
  void Interrupt() override {}
  std::atomic<int> notified{0};
};

// Event ids, distinct within a test.
std::string NewUuidForTests() {
  static std::atomic<int> next{100};
  std::string n = std::to_string(next++);
  return "00000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
}

// AddProduct's rules, which hold alike for the default (a Write on a thread
// that may wait) and the asynchronous transaction.
void CheckAddProduct(World& w, catalog::CatalogStore& store, CountingSignal& signal,
                     bool asynchronous) {
  auto event = [](const Product& p) { return ProductCreated(p, NewUuidForTests()); };
  auto added = store.AddProduct(NewProduct(kOrgA, "ADD-1", "Added", "tools"), event);
  CHECK(added.asynchronous() == asynchronous);
  auto product = std::move(added).Finish();
  REQUIRE(product);
  CHECK(product->sku == "ADD-1");
  CHECK(product->version == 1);
  CHECK(w.Count("SELECT count(*) FROM catalog.products") == "1");
  CHECK(w.Count("SELECT aggregate_id || ' ' || event_type FROM catalog.outbox") ==
        product->id + " product.created");
  CHECK(signal.notified == 1);

  // Refused by the database: nothing stored, no wake-up.
  auto dup = store.AddProduct(NewProduct(kOrgA, "ADD-1", "Again"), event).Finish();
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::kAlreadyExists);
  CHECK(dup.error().field == "sku");
  Product unusable = NewProduct(kOrgA, "ADD-2", "No profile");
  unusable.buffer_profile_id = "00000000-0000-4000-8000-00000000abcd";
  auto missing = store.AddProduct(unusable, event).Finish();
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().field == "buffer_profile_id");
  // An event the outbox refuses, after the row was inserted: rolled back.
  auto no_event = store
                      .AddProduct(NewProduct(kOrgA, "ADD-3", "No event"),
                                  [](const Product& p) {
                                    events::Event e = ProductCreated(p, NewUuidForTests());
                                    e.type.clear();
                                    return e;
                                  })
                      .Finish();
  REQUIRE_FALSE(no_event);
  CHECK(no_event.error().code == ErrorCode::kInvalidArgument);
  CHECK(w.Count("SELECT count(*) FROM catalog.products") == "1");
  CHECK(w.Count("SELECT count(*) FROM catalog.outbox") == "1");
  CHECK(signal.notified == 1);
}

}  // namespace

TEST_CASE("AddProduct stores the row and its event in one transaction, or neither",
          "[catalog][pg]") {
  World w;
  CountingSignal signal;
  pg::PgCatalogStore store(*w.pool, &signal);
  CheckAddProduct(w, store, signal, /*asynchronous=*/false);
}

TEST_CASE("AddProduct on the asynchronous pool keeps the same rules, without a waiting thread",
          "[catalog][pg]") {
  World w;
  CountingSignal signal;
  auto async = w.db.MakeAsyncPool();
  pg::PgCatalogStore store(*w.pool, &signal, async.get());
  CheckAddProduct(w, store, signal, /*asynchronous=*/true);
  CHECK(async->Stats().discarded_total == 0);
}

TEST_CASE("FindProducts on the asynchronous pool pages, filters and scopes as ListProducts",
          "[catalog][pg]") {
  World w;
  Insert(w, NewProduct(kOrgA, "LIST-1", "One", "tools"));
  Insert(w, NewProduct(kOrgA, "LIST-2", "Two", "parts"));
  Insert(w, NewProduct(kOrgA, "LIST-3", "Three", "tools"));
  Insert(w, NewProduct(kOrgB, "LIST-4", "Theirs", "tools"));
  auto async = w.db.MakeAsyncPool();
  pg::PgCatalogStore store(*w.pool, nullptr, async.get());
  for (const catalog::ListQuery& q :
       {catalog::ListQuery{1, 2, "", "", ""}, catalog::ListQuery{2, 2, "", "", ""},
        catalog::ListQuery{1, 20, "", "tools", ""}, catalog::ListQuery{1, 20, "", "", "thr"},
        catalog::ListQuery{9, 20, "", "", ""}}) {
    auto found = store.FindProducts(kOrgA, q);
    CHECK(found.asynchronous());
    auto page = std::move(found).Finish();
    auto expected =
        Reading(w, [&](CatalogRepository& repo) { return repo.ListProducts(kOrgA, q); });
    REQUIRE(page);
    REQUIRE(expected);
    CHECK(page->total == expected->total);
    std::vector<std::string> got, want;
    for (const Product& p : page->items) got.push_back(p.sku);
    for (const Product& p : expected->items) want.push_back(p.sku);
    CHECK(got == want);
  }
  auto first = store.FindProducts(kOrgA, {1, 2, "", "", ""}).Finish();
  REQUIRE(first);
  CHECK(first->total == 3);
  CHECK(first->items.size() == 2);
  auto malformed = store.FindProducts(OrganizationId("not-a-uuid"), {1, 20, "", "", ""});
  CHECK(malformed.answered());
}
