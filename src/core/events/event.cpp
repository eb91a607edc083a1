#include "core/events/event.hpp"

#include <algorithm>

namespace giia::events {
namespace {

const std::vector<Schema>& Schemas() {
  static const std::vector<Schema> kSchemas = {
      // auth
      {"auth",
       "user.registered",
       {"user_id", "email", "organization_id", "status"},
       {"name", "registered_at"}},
      {"auth", "user.verified", {"user_id", "email", "verified_at"}, {"organization_id"}},
      {"auth", "user.password_changed", {"user_id", "changed_at"}, {"organization_id"}},
      {"auth", "user.locked", {"user_id", "organization_id", "locked_until"}, {"failed_attempts"}},
      {"auth",
       "user.sessions_revoked",
       {"user_id", "organization_id", "token_version", "reason"},
       {"revoked_at"}},
      {"auth", "role.assigned", {"user_id", "role", "organization_id"}, {"assigned_by"}},
      {"auth", "role.revoked", {"user_id", "role", "organization_id"}, {"revoked_by"}},
      // catalog
      {"catalog",
       "product.created",
       {"product_id", "sku", "name", "organization_id"},
       {"category", "status", "version"}},
      {"catalog",
       "product.updated",
       {"product_id", "organization_id", "version"},
       {"sku", "name", "category", "status"}},
      {"catalog", "product.deleted", {"product_id", "organization_id"}, {"sku", "version"}},
      {"catalog",
       "product.buffer_profile_assigned",
       {"product_id", "buffer_profile_id", "organization_id"},
       {"version"}},
      {"catalog",
       "supplier.created",
       {"supplier_id", "code", "name", "organization_id"},
       {"status", "version"}},
      {"catalog",
       "supplier.updated",
       {"supplier_id", "organization_id", "version"},
       {"code", "name", "status"}},
      {"catalog", "supplier.deleted", {"supplier_id", "organization_id"}, {"code", "version"}},
      {"catalog",
       "buffer_profile.created",
       {"buffer_profile_id", "name", "organization_id"},
       {"adu_method", "lead_time_factor", "variability_factor", "version"}},
      {"catalog",
       "buffer_profile.updated",
       {"buffer_profile_id", "organization_id", "version"},
       {"name", "adu_method", "lead_time_factor", "variability_factor"}},
      {"catalog",
       "buffer_profile.deleted",
       {"buffer_profile_id", "organization_id"},
       {"name", "version"}},
  };
  return kSchemas;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

const Value* Event::Find(std::string_view name) const {
  for (const Field& f : data) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

std::span<const Schema> BuiltInSchemas() { return Schemas(); }

Status Validate(const Event& event) {
  const auto& schemas = Schemas();
  const auto schema = std::find_if(schemas.begin(), schemas.end(),
                                   [&](const Schema& s) { return s.type == event.type; });
  if (schema == schemas.end()) {
    return InvalidArgument("type", "event type \"" + event.type + "\" is not registered");
  }
  if (schema->service != event.service) {
    return InvalidArgument("service", event.type + " is a " + schema->service + " event, not a " +
                                          event.service + " one");
  }
  for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"id", &event.id},
                                     {"time", &event.time},
                                     {"aggregate_type", &event.aggregate_type},
                                     {"aggregate_id", &event.aggregate_id}}) {
    if (value->empty()) return InvalidArgument(field, event.type + " needs its " + field);
  }
  for (const std::string& name : schema->required) {
    const Value* v = event.Find(name);
    if (v == nullptr || std::holds_alternative<std::nullptr_t>(*v)) {
      return InvalidArgument("data." + name, event.type + " needs the data field \"" + name + "\"");
    }
  }
  for (const Field& f : event.data) {
    if (!Contains(schema->required, f.name) && !Contains(schema->optional, f.name)) {
      return InvalidArgument("data." + f.name,
                             event.type + " has no data field \"" + f.name + "\" in its schema");
    }
  }
  return Ok();
}

}  // namespace giia::events
