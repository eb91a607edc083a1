#include "server/catalog/catalog_grpc.hpp"

#include "core/catalog/access.hpp"
#include "giia/catalog/v1/catalog.grpc.pb.h"
#include "server/grpc/call.hpp"

namespace giia::server {
namespace {

namespace pb = ::giia::catalog::v1;
using grpc::Status;

void ToProto(const catalog::Product& p, pb::Product* out) {
  out->set_id(p.id);
  out->set_organization_id(p.organization.value());
  out->set_sku(p.sku);
  out->set_name(p.name);
  out->set_description(p.description);
  out->set_category(p.category);
  out->set_unit_of_measure(p.unit_of_measure);
  out->set_standard_cost(p.standard_cost);
  out->set_status(p.status);
  out->set_buffer_profile_id(p.buffer_profile_id.value_or(""));
  out->set_version(p.version);
  SetTime(out->mutable_created_at(), p.created_at);
  SetTime(out->mutable_updated_at(), p.updated_at);
}

void ToProto(const catalog::Supplier& s, pb::Supplier* out) {
  out->set_id(s.id);
  out->set_organization_id(s.organization.value());
  out->set_code(s.code);
  out->set_name(s.name);
  out->set_contact_name(s.contact_name);
  out->set_contact_email(s.contact_email);
  out->set_contact_phone(s.contact_phone);
  out->set_default_lead_time_days(s.default_lead_time_days);
  out->set_status(s.status);
  out->set_version(s.version);
  SetTime(out->mutable_created_at(), s.created_at);
  SetTime(out->mutable_updated_at(), s.updated_at);
}

void ToProto(const catalog::BufferProfile& b, pb::BufferProfile* out) {
  out->set_id(b.id);
  out->set_organization_id(b.organization.value());
  out->set_name(b.name);
  out->set_description(b.description);
  out->set_adu_method(b.adu_method);
  out->set_lead_time_factor(b.lead_time_factor);
  out->set_variability_factor(b.variability_factor);
  out->set_status(b.status);
  out->set_version(b.version);
  SetTime(out->mutable_created_at(), b.created_at);
  SetTime(out->mutable_updated_at(), b.updated_at);
}

void ToProto(const catalog::ProductSupplier& l, pb::ProductSupplier* out) {
  out->set_product_id(l.product_id);
  out->set_supplier_id(l.supplier_id);
  out->set_supplier_code(l.supplier_code);
  out->set_supplier_name(l.supplier_name);
  out->set_lead_time_days(l.lead_time_days);
  out->set_is_primary(l.is_primary);
  SetTime(out->mutable_created_at(), l.created_at);
}

void ToProto(const catalog::BufferZones& z, pb::BufferZones* out) {
  out->set_red_base(z.red_base);
  out->set_red_safety(z.red_safety);
  out->set_red(z.red);
  out->set_yellow(z.yellow);
  out->set_green(z.green);
  out->set_top_of_red(z.top_of_red);
  out->set_top_of_yellow(z.top_of_yellow);
  out->set_top_of_green(z.top_of_green);
}

// A create's plain proto3 string: empty is "not given".
std::optional<std::string> Given(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// One page of a list answer.
template <typename T, typename Res>
void FillPage(const catalog::Page<T>& page, Res* res) {
  for (const T& item : page.items) ToProto(item, res->add_items());
  res->set_total(page.total);
  res->set_page(page.page);
  res->set_page_size(page.page_size);
}

class CatalogGrpc final : public pb::CatalogService::CallbackService {
 public:
  CatalogGrpc(catalog::CatalogService& service, authz::RequestAuthorizer& authorizer,
              metrics::Registry& registry, spdlog::logger& log,
              const TrustedProxies& trusted_proxies)
      : svc_(service), env_{catalog::Access(), authorizer, registry, log, pool_, trusted_proxies} {}

#define GIIA_RPC(Name)                                                                           \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx, const pb::Name##Request* req, \
                                 [[maybe_unused]] pb::Name##Response* res) override
#define GIIA_SERVE(Name)                                          \
  ServeAsync(env_, ctx, "/giia.catalog.v1.CatalogService/" #Name, \
        [=, this]([[maybe_unused]] const Call& call) -> Status
#define GIIA_SERVE_ATTEMPT(Name)                                  \
  ServeAsync(env_, ctx, "/giia.catalog.v1.CatalogService/" #Name, \
             [=, this]([[maybe_unused]] const Call& call) -> Attempt<Status>

  // --- products

  // Starts on gRPC's thread and finishes when PostgreSQL answers (the
  // store's asynchronous read): no handler-pool thread waits for it.
  GIIA_RPC(GetProduct) {
    return GIIA_SERVE_ATTEMPT(GetProduct) {
      return Reply(svc_.FindProduct(call.who(), {req->organization_id(), req->id(), 0}),
                   [res](const catalog::Product& p) { ToProto(p, res->mutable_product()); });
    });
  }

  // As GetProduct.
  GIIA_RPC(ListProducts) {
    return GIIA_SERVE_ATTEMPT(ListProducts) {
      catalog::ListQuery q{req->page(), req->page_size(), req->status(), req->category(), ""};
      return Reply(svc_.FindProducts(call.who(), req->organization_id(), q),
                   [res](const catalog::Page<catalog::Product>& page) { FillPage(page, res); });
    });
  }

  GIIA_RPC(SearchProducts) {
    return GIIA_SERVE(SearchProducts) {
      catalog::ListQuery q{req->page(), req->page_size(), req->status(), req->category(),
                           req->query()};
      return Reply(svc_.SearchProducts(call.who(), req->organization_id(), q),
                   [&](const catalog::Page<catalog::Product>& page) { FillPage(page, res); });
    });
  }

  // As GetProduct: one asynchronous transaction (CatalogStore::AddProduct).
  GIIA_RPC(CreateProduct) {
    return GIIA_SERVE_ATTEMPT(CreateProduct) {
      catalog::ProductFields f;
      f.sku = Given(req->sku());
      f.name = Given(req->name());
      f.description = Given(req->description());
      f.category = Given(req->category());
      f.unit_of_measure = Given(req->unit_of_measure());
      if (req->has_standard_cost()) f.standard_cost = req->standard_cost();
      f.status = Given(req->status());
      return Reply(svc_.AddProduct(call.who(), req->organization_id(), f, call.request),
                   [res](const catalog::Product& p) { ToProto(p, res->mutable_product()); });
    });
  }

  GIIA_RPC(UpdateProduct) {
    return GIIA_SERVE(UpdateProduct) {
      catalog::ProductFields f;
      if (req->has_sku()) f.sku = req->sku();
      if (req->has_name()) f.name = req->name();
      if (req->has_description()) f.description = req->description();
      if (req->has_category()) f.category = req->category();
      if (req->has_unit_of_measure()) f.unit_of_measure = req->unit_of_measure();
      if (req->has_standard_cost()) f.standard_cost = req->standard_cost();
      if (req->has_status()) f.status = req->status();
      catalog::Target t{req->organization_id(), req->id(), req->version()};
      return Reply(svc_.UpdateProduct(call.who(), t, f, call.request),
                   [&](const catalog::Product& p) { ToProto(p, res->mutable_product()); });
    });
  }

  GIIA_RPC(DeleteProduct) {
    return GIIA_SERVE(DeleteProduct) {
      catalog::Target t{req->organization_id(), req->id(), req->version()};
      return Reply(svc_.DeleteProduct(call.who(), t, call.request));
    });
  }

  GIIA_RPC(AssignBufferProfile) {
    return GIIA_SERVE(AssignBufferProfile) {
      catalog::Target t{req->organization_id(), req->product_id(), req->version()};
      return Reply(svc_.AssignBufferProfile(call.who(), t, req->buffer_profile_id(), call.request),
                   [&](const catalog::Product& p) { ToProto(p, res->mutable_product()); });
    });
  }

  GIIA_RPC(CalculateBufferZones) {
    return GIIA_SERVE(CalculateBufferZones) {
      catalog::Target t{req->organization_id(), req->product_id(), 0};
      catalog::ZoneInputs in{req->adu(), req->dlt_days(), req->moq(), req->order_cycle_days()};
      return Reply(svc_.CalculateBufferZones(call.who(), t, in),
                   [&](const catalog::ZonesResult& z) {
                     res->set_product_id(z.product.id);
                     res->set_buffer_profile_id(z.profile.id);
                     res->set_lead_time_factor(z.profile.lead_time_factor);
                     res->set_variability_factor(z.profile.variability_factor);
                     ToProto(z.zones, res->mutable_zones());
                   });
    });
  }

  // --- product <-> supplier

  GIIA_RPC(AddProductSupplier) {
    return GIIA_SERVE(AddProductSupplier) {
      catalog::ProductSupplier link;
      link.product_id = req->product_id();
      link.supplier_id = req->supplier_id();
      link.lead_time_days = req->lead_time_days();
      link.is_primary = req->is_primary();
      return Reply(
          svc_.AddProductSupplier(call.who(), req->organization_id(), link),
          [&](const catalog::ProductSupplier& l) { ToProto(l, res->mutable_product_supplier()); });
    });
  }

  GIIA_RPC(ListProductSuppliers) {
    return GIIA_SERVE(ListProductSuppliers) {
      return Reply(svc_.ListProductSuppliers(call.who(), req->organization_id(), req->product_id()),
                   [&](const std::vector<catalog::ProductSupplier>& links) {
                     for (const catalog::ProductSupplier& l : links) ToProto(l, res->add_items());
                   });
    });
  }

  GIIA_RPC(RemoveProductSupplier) {
    return GIIA_SERVE(RemoveProductSupplier) {
      return Reply(svc_.RemoveProductSupplier(call.who(), req->organization_id(), req->product_id(),
                                              req->supplier_id()));
    });
  }

  // --- suppliers

  GIIA_RPC(GetSupplier) {
    return GIIA_SERVE(GetSupplier) {
      return Reply(svc_.GetSupplier(call.who(), {req->organization_id(), req->id(), 0}),
                   [&](const catalog::Supplier& s) { ToProto(s, res->mutable_supplier()); });
    });
  }

  GIIA_RPC(ListSuppliers) {
    return GIIA_SERVE(ListSuppliers) {
      catalog::ListQuery q{req->page(), req->page_size(), req->status(), "", ""};
      return Reply(svc_.ListSuppliers(call.who(), req->organization_id(), q),
                   [&](const catalog::Page<catalog::Supplier>& page) { FillPage(page, res); });
    });
  }

  GIIA_RPC(CreateSupplier) {
    return GIIA_SERVE(CreateSupplier) {
      catalog::SupplierFields f;
      f.code = Given(req->code());
      f.name = Given(req->name());
      f.contact_name = Given(req->contact_name());
      f.contact_email = Given(req->contact_email());
      f.contact_phone = Given(req->contact_phone());
      if (req->has_default_lead_time_days())
        f.default_lead_time_days = req->default_lead_time_days();
      f.status = Given(req->status());
      return Reply(svc_.CreateSupplier(call.who(), req->organization_id(), f, call.request),
                   [&](const catalog::Supplier& s) { ToProto(s, res->mutable_supplier()); });
    });
  }

  GIIA_RPC(UpdateSupplier) {
    return GIIA_SERVE(UpdateSupplier) {
      catalog::SupplierFields f;
      if (req->has_code()) f.code = req->code();
      if (req->has_name()) f.name = req->name();
      if (req->has_contact_name()) f.contact_name = req->contact_name();
      if (req->has_contact_email()) f.contact_email = req->contact_email();
      if (req->has_contact_phone()) f.contact_phone = req->contact_phone();
      if (req->has_default_lead_time_days())
        f.default_lead_time_days = req->default_lead_time_days();
      if (req->has_status()) f.status = req->status();
      catalog::Target t{req->organization_id(), req->id(), req->version()};
      return Reply(svc_.UpdateSupplier(call.who(), t, f, call.request),
                   [&](const catalog::Supplier& s) { ToProto(s, res->mutable_supplier()); });
    });
  }

  GIIA_RPC(DeleteSupplier) {
    return GIIA_SERVE(DeleteSupplier) {
      catalog::Target t{req->organization_id(), req->id(), req->version()};
      return Reply(svc_.DeleteSupplier(call.who(), t, call.request));
    });
  }

  // --- buffer profiles

  GIIA_RPC(GetBufferProfile) {
    return GIIA_SERVE(GetBufferProfile) {
      return Reply(
          svc_.GetBufferProfile(call.who(), {req->organization_id(), req->id(), 0}),
          [&](const catalog::BufferProfile& b) { ToProto(b, res->mutable_buffer_profile()); });
    });
  }

  GIIA_RPC(ListBufferProfiles) {
    return GIIA_SERVE(ListBufferProfiles) {
      catalog::ListQuery q{req->page(), req->page_size(), req->status(), "", ""};
      return Reply(svc_.ListBufferProfiles(call.who(), req->organization_id(), q),
                   [&](const catalog::Page<catalog::BufferProfile>& page) { FillPage(page, res); });
    });
  }

  GIIA_RPC(CreateBufferProfile) {
    return GIIA_SERVE(CreateBufferProfile) {
      catalog::BufferProfileFields f;
      f.name = Given(req->name());
      f.description = Given(req->description());
      f.adu_method = Given(req->adu_method());
      if (req->has_lead_time_factor()) f.lead_time_factor = req->lead_time_factor();
      if (req->has_variability_factor()) f.variability_factor = req->variability_factor();
      f.status = Given(req->status());
      return Reply(
          svc_.CreateBufferProfile(call.who(), req->organization_id(), f, call.request),
          [&](const catalog::BufferProfile& b) { ToProto(b, res->mutable_buffer_profile()); });
    });
  }

  GIIA_RPC(UpdateBufferProfile) {
    return GIIA_SERVE(UpdateBufferProfile) {
      catalog::BufferProfileFields f;
      if (req->has_name()) f.name = req->name();
      if (req->has_description()) f.description = req->description();
      if (req->has_adu_method()) f.adu_method = req->adu_method();
      if (req->has_lead_time_factor()) f.lead_time_factor = req->lead_time_factor();
      if (req->has_variability_factor()) f.variability_factor = req->variability_factor();
      if (req->has_status()) f.status = req->status();
      catalog::Target t{req->organization_id(), req->id(), req->version()};
      return Reply(
          svc_.UpdateBufferProfile(call.who(), t, f, call.request),
          [&](const catalog::BufferProfile& b) { ToProto(b, res->mutable_buffer_profile()); });
    });
  }

  GIIA_RPC(DeleteBufferProfile) {
    return GIIA_SERVE(DeleteBufferProfile) {
      catalog::Target t{req->organization_id(), req->id(), req->version()};
      return Reply(svc_.DeleteBufferProfile(call.who(), t, call.request));
    });
  }

#undef GIIA_SERVE
#undef GIIA_SERVE_ATTEMPT
#undef GIIA_RPC

 private:
  catalog::CatalogService& svc_;
  CallEnv env_;
  // Last: destroyed first, running what is queued while env_ is still there.
  HandlerPool pool_{DefaultHandlerThreads()};
};

}  // namespace

std::unique_ptr<grpc::Service> MakeCatalogGrpcService(catalog::CatalogService& service,
                                                      authz::RequestAuthorizer& authorizer,
                                                      metrics::Registry& registry,
                                                      spdlog::logger& log,
                                                      const TrustedProxies& trusted_proxies) {
  return std::make_unique<CatalogGrpc>(service, authorizer, registry, log, trusted_proxies);
}

}  // namespace giia::server
