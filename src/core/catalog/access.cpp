#include "core/catalog/access.hpp"

namespace giia::catalog {

const authz::AccessMatrix& Access() {
  using Kind = authz::Requirement::Kind;
  static const authz::AccessMatrix matrix{
      {"GetProduct", Kind::kPermission, "catalog:read"},
      {"ListProducts", Kind::kPermission, "catalog:read"},
      {"SearchProducts", Kind::kPermission, "catalog:read"},
      {"CreateProduct", Kind::kPermission, "catalog:write"},
      {"UpdateProduct", Kind::kPermission, "catalog:write"},
      {"DeleteProduct", Kind::kPermission, "catalog:delete"},
      {"AssignBufferProfile", Kind::kPermission, "catalog:write", "buffers:read"},
      {"CalculateBufferZones", Kind::kPermission, "catalog:read", "buffers:read"},
      {"AddProductSupplier", Kind::kPermission, "catalog:write"},
      {"ListProductSuppliers", Kind::kPermission, "catalog:read"},
      {"RemoveProductSupplier", Kind::kPermission, "catalog:write"},
      {"GetSupplier", Kind::kPermission, "catalog:read"},
      {"ListSuppliers", Kind::kPermission, "catalog:read"},
      {"CreateSupplier", Kind::kPermission, "catalog:write"},
      {"UpdateSupplier", Kind::kPermission, "catalog:write"},
      {"DeleteSupplier", Kind::kPermission, "catalog:delete"},
      {"GetBufferProfile", Kind::kPermission, "buffers:read"},
      {"ListBufferProfiles", Kind::kPermission, "buffers:read"},
      {"CreateBufferProfile", Kind::kPermission, "buffers:write"},
      {"UpdateBufferProfile", Kind::kPermission, "buffers:write"},
      {"DeleteBufferProfile", Kind::kPermission, "buffers:delete"},
  };
  return matrix;
}

}  // namespace giia::catalog
