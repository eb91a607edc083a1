#pragma once
// The JSON bodies of the catalog's create and update routes as use-case
// fields, apart from the routes so that they can be tested and fuzzed alone.
// A member absent or null leaves its field unset.
// Errors: kInvalidArgument naming the first member of the wrong type.

#include "core/catalog/service.hpp"
#include "server/http/rest.hpp"

namespace giia::server {

// POST/PUT /api/v1/products
[[nodiscard]] Status ReadFields(const rest::json& body, catalog::ProductFields& f);
// POST/PUT /api/v1/suppliers
[[nodiscard]] Status ReadFields(const rest::json& body, catalog::SupplierFields& f);
// POST/PUT /api/v1/buffer-profiles
[[nodiscard]] Status ReadFields(const rest::json& body, catalog::BufferProfileFields& f);

}  // namespace giia::server
