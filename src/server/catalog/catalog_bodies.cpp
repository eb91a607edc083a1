#include "server/catalog/catalog_bodies.hpp"

namespace giia::server {

Status ReadFields(const rest::json& body, catalog::ProductFields& f) {
  return rest::BodyReader(body)
      .Read("sku", f.sku)
      .Read("name", f.name)
      .Read("description", f.description)
      .Read("category", f.category)
      .Read("unit_of_measure", f.unit_of_measure)
      .Read("standard_cost", f.standard_cost)
      .Read("status", f.status)
      .status();
}

Status ReadFields(const rest::json& body, catalog::SupplierFields& f) {
  return rest::BodyReader(body)
      .Read("code", f.code)
      .Read("name", f.name)
      .Read("contact_name", f.contact_name)
      .Read("contact_email", f.contact_email)
      .Read("contact_phone", f.contact_phone)
      .Read("default_lead_time_days", f.default_lead_time_days)
      .Read("status", f.status)
      .status();
}

Status ReadFields(const rest::json& body, catalog::BufferProfileFields& f) {
  return rest::BodyReader(body)
      .Read("name", f.name)
      .Read("description", f.description)
      .Read("adu_method", f.adu_method)
      .Read("lead_time_factor", f.lead_time_factor)
      .Read("variability_factor", f.variability_factor)
      .Read("status", f.status)
      .status();
}

}  // namespace giia::server
