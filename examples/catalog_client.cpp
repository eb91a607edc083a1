// An integrator's client of giia's catalog service, written against the
// generated gRPC stubs of proto/ only.
//
//   catalog_client --auth HOST:PORT --catalog HOST:PORT [--ca FILE]
//                  --email E --password P [--prefix P]
//
// Every flag can come from the environment instead: GIIA_AUTH_ADDR,
// GIIA_CATALOG_ADDR, GIIA_CA_FILE, GIIA_EMAIL, GIIA_PASSWORD, GIIA_PREFIX.
// The user needs catalog:read and catalog:write (Admin or Manager).
//
// What it does, printing each step and its answer:
//   1. logs in at auth (gRPC Login) and sends the access token to the catalog;
//   2. creates a product (sku PREFIX-<time>) and gets it back;
//   3. updates it with optimistic locking: an update carries the version it
//      read; ABORTED means someone else changed it first, so it re-reads and
//      applies the change again. It provokes one ABORTED on purpose by
//      sending a stale version, and shows the retry succeeding;
//   4. creates three suppliers and lists the suppliers page by page
//      (page / page_size / total, two per page).
// Exit code 0 when every step behaved as described, 1 on a usage error, 2
// when a service could not be reached, 3 when a step failed otherwise.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include "giia/auth/v1/auth.grpc.pb.h"
#include "giia/catalog/v1/catalog.grpc.pb.h"

namespace auth = giia::auth::v1;
namespace catalog = giia::catalog::v1;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string auth_addr;
  std::string catalog_addr;
  std::string ca_file;
  std::string email;
  std::string password;
  std::string prefix = "EX";
};

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

void Usage() {
  std::cerr << "usage: catalog_client --auth HOST:PORT --catalog HOST:PORT [--ca FILE] --email E "
               "--password P [--prefix P]\n"
               "  (or GIIA_AUTH_ADDR, GIIA_CATALOG_ADDR, GIIA_CA_FILE, GIIA_EMAIL, "
               "GIIA_PASSWORD, GIIA_PREFIX)\n";
}

bool ParseArgs(int argc, char** argv, Options& o) {
  o.auth_addr = Env("GIIA_AUTH_ADDR");
  o.catalog_addr = Env("GIIA_CATALOG_ADDR");
  o.ca_file = Env("GIIA_CA_FILE");
  o.email = Env("GIIA_EMAIL");
  o.password = Env("GIIA_PASSWORD");
  o.prefix = Env("GIIA_PREFIX", o.prefix);
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return false;
    if (i + 1 >= argc) {
      std::cerr << "catalog_client: " << flag << " needs a value\n";
      return false;
    }
    const std::string value = argv[++i];
    if (flag == "--auth") {
      o.auth_addr = value;
    } else if (flag == "--catalog") {
      o.catalog_addr = value;
    } else if (flag == "--ca") {
      o.ca_file = value;
    } else if (flag == "--email") {
      o.email = value;
    } else if (flag == "--password") {
      o.password = value;
    } else if (flag == "--prefix") {
      o.prefix = value;
    } else {
      std::cerr << "catalog_client: unknown flag " << flag << "\n";
      return false;
    }
  }
  if (o.auth_addr.empty() || o.catalog_addr.empty() || o.email.empty() || o.password.empty()) {
    std::cerr << "catalog_client: --auth, --catalog, --email and --password are required\n";
    return false;
  }
  return true;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK: return "OK";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ABORTED: return "ABORTED";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::INTERNAL: return "INTERNAL";
    default: return "code " + std::to_string(static_cast<int>(code));
  }
}

std::string Describe(const grpc::Status& s) {
  if (s.ok()) return "OK";
  return CodeName(s.error_code()) + " (" + s.error_message() + ")";
}

// A catalog call with a token, a deadline and retries where they are safe:
// UNAVAILABLE (a database outage, or auth unreachable with no cached
// decision: nothing was changed) with exponential backoff; everything else
// goes back to the caller.
class Catalog {
 public:
  Catalog(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(catalog::CatalogService::NewStub(std::move(channel))), token_(std::move(token)) {}

  catalog::CatalogService::Stub& stub() { return *stub_; }

  grpc::Status Call(const std::string& what,
                    const std::function<grpc::Status(grpc::ClientContext&)>& call) {
    grpc::Status status;
    auto wait = 100ms;
    for (int attempt = 1; attempt <= 4; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 10s);
      ctx.AddMetadata("authorization", "Bearer " + token_);
      status = call(ctx);
      if (status.error_code() != grpc::UNAVAILABLE || attempt == 4) break;
      std::cout << "  " << what << ": " << Describe(status) << ", retrying in " << wait.count()
                << " ms\n";
      std::this_thread::sleep_for(wait);
      wait *= 2;
    }
    return status;
  }

 private:
  std::unique_ptr<catalog::CatalogService::Stub> stub_;
  std::string token_;
};

std::string Summary(const catalog::Product& p) {
  std::string cost = std::to_string(p.standard_cost());
  cost.erase(cost.find_last_not_of('0') + 1);
  if (cost.back() == '.') cost.pop_back();
  return p.sku() + " \"" + p.name() + "\" cost " + cost + ", version " +
         std::to_string(p.version());
}

// Optimistic locking: `change` is applied to an update carrying
// `known_version`. On ABORTED (someone changed the product since that
// version) the product is read again and the change applied to the fresh
// version, a few times at most.
grpc::Status UpdateProduct(Catalog& c, const std::string& id, std::int64_t known_version,
                           const std::function<void(catalog::UpdateProductRequest&)>& change,
                           catalog::Product& out) {
  grpc::Status s;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    catalog::UpdateProductRequest req;
    req.set_id(id);
    req.set_version(known_version);
    change(req);
    catalog::UpdateProductResponse resp;
    s = c.Call("UpdateProduct",
               [&](grpc::ClientContext& ctx) { return c.stub().UpdateProduct(&ctx, req, &resp); });
    std::cout << "[update] UpdateProduct(version " << known_version << "): " << Describe(s) << "\n";
    if (s.ok()) {
      out = resp.product();
      return s;
    }
    if (s.error_code() != grpc::ABORTED) return s;
    catalog::GetProductRequest get;
    get.set_id(id);
    catalog::GetProductResponse fresh;
    grpc::Status g = c.Call("GetProduct", [&](grpc::ClientContext& ctx) {
      return c.stub().GetProduct(&ctx, get, &fresh);
    });
    if (!g.ok()) return g;
    known_version = fresh.product().version();
    std::cout << "[update]   -> re-read: " << Summary(fresh.product())
              << "; applying the change again\n";
  }
  return s;
}

int Run(const Options& o) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (o.ca_file.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(o.ca_file);
    creds = grpc::SslCredentials(ssl);
  }

  // 1. A token from auth.
  auto auth_stub = auth::AuthService::NewStub(grpc::CreateChannel(o.auth_addr, creds));
  auth::LoginRequest login_req;
  login_req.set_email(o.email);
  login_req.set_password(o.password);
  auth::LoginResponse login;
  grpc::Status s;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    s = auth_stub->Login(&ctx, login_req, &login);
    if (s.error_code() != grpc::UNAVAILABLE) break;
    std::this_thread::sleep_for(attempt * 200ms);  // auth still starting, or restarting
  }
  std::cout << "[login] Login " << o.email << " at " << o.auth_addr << ": " << Describe(s) << "\n";
  if (!s.ok()) return s.error_code() == grpc::UNAVAILABLE ? 2 : 3;

  Catalog c(grpc::CreateChannel(o.catalog_addr, creds), login.tokens().access_token());
  const std::string run = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());

  // 2. Create a product, then get it.
  catalog::CreateProductRequest create;
  create.set_sku(o.prefix + "-" + run);
  create.set_name("Example widget");
  create.set_category("parts");
  create.set_standard_cost(2.5);
  catalog::CreateProductResponse created;
  s = c.Call("CreateProduct", [&](grpc::ClientContext& ctx) {
    return c.stub().CreateProduct(&ctx, create, &created);
  });
  std::cout << "[create] CreateProduct(" << create.sku() << "): " << Describe(s) << "\n";
  if (!s.ok()) return s.error_code() == grpc::UNAVAILABLE ? 2 : 3;
  const std::string id = created.product().id();

  catalog::GetProductRequest get;
  get.set_id(id);
  catalog::GetProductResponse got;
  s = c.Call("GetProduct",
             [&](grpc::ClientContext& ctx) { return c.stub().GetProduct(&ctx, get, &got); });
  if (!s.ok()) {
    std::cout << "[get] GetProduct(" << id << "): " << Describe(s) << "\n";
    return 3;
  }
  std::cout << "[get] GetProduct(" << id << "): " << Summary(got.product()) << "\n";
  const std::int64_t read_version = got.product().version();

  // 3. Optimistic locking. A first update with the version just read.
  catalog::Product updated;
  s = UpdateProduct(
      c, id, read_version, [](catalog::UpdateProductRequest& r) { r.set_name("Widget, large"); },
      updated);
  if (!s.ok()) return 3;
  std::cout << "[update] now " << Summary(updated) << "\n";
  // A second one with the same, now stale, version: as if another client had
  // made the first change. ABORTED, re-read, and the retry goes through.
  std::cout << "[update] updating with the stale version " << read_version << " on purpose\n";
  s = UpdateProduct(
      c, id, read_version, [](catalog::UpdateProductRequest& r) { r.set_standard_cost(3.25); },
      updated);
  if (!s.ok()) return 3;
  std::cout << "[update] now " << Summary(updated) << "\n";

  // 4. Suppliers, and the list page by page.
  for (int i = 1; i <= 3; ++i) {
    catalog::CreateSupplierRequest req;
    req.set_code(o.prefix + "-" + run + "-S" + std::to_string(i));
    req.set_name("Example supplier " + std::to_string(i));
    req.set_default_lead_time_days(7 * i);
    catalog::CreateSupplierResponse resp;
    s = c.Call("CreateSupplier",
               [&](grpc::ClientContext& ctx) { return c.stub().CreateSupplier(&ctx, req, &resp); });
    std::cout << "[suppliers] CreateSupplier(" << req.code() << "): " << Describe(s) << "\n";
    if (!s.ok()) return 3;
  }
  constexpr int kPageSize = 2;
  std::int64_t seen = 0;
  for (int page = 1;; ++page) {
    catalog::ListSuppliersRequest req;
    req.set_page(page);
    req.set_page_size(kPageSize);
    catalog::ListSuppliersResponse resp;
    s = c.Call("ListSuppliers",
               [&](grpc::ClientContext& ctx) { return c.stub().ListSuppliers(&ctx, req, &resp); });
    if (!s.ok()) {
      std::cout << "[suppliers] ListSuppliers(page " << page << "): " << Describe(s) << "\n";
      return 3;
    }
    std::string codes;
    for (const auto& sup : resp.items()) codes += (codes.empty() ? "" : ", ") + sup.code();
    seen += resp.items_size();
    std::cout << "[suppliers] ListSuppliers(page " << resp.page() << ", page_size "
              << resp.page_size() << "): " << resp.items_size() << " of " << resp.total() << ": "
              << codes << "\n";
    // The last page: fewer than asked for, or everything seen.
    if (resp.items_size() < kPageSize || seen >= resp.total()) break;
  }
  std::cout << "[suppliers] " << seen << " suppliers in all\n";
  std::cout << "catalog_client: done\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) {
    Usage();
    return 1;
  }
  try {
    return Run(options);
  } catch (const std::exception& e) {
    std::cerr << "catalog_client: " << e.what() << "\n";
    return 1;
  }
}
