#include <catch2/catch.hpp>

#include "server/auth/auth_bodies.hpp"
#include "server/catalog/catalog_bodies.hpp"

using giia::server::rest::json;

TEST_CASE("REST body readers take their members and name the first of the wrong type", "[http]") {
  auto reg = giia::server::ParseRegisterBody(
      json::parse(R"({"email":"a@b.c","password":"pw","organization_slug":null})"));
  REQUIRE(reg);
  CHECK(reg->email == "a@b.c");
  CHECK(reg->organization_slug.empty());
  CHECK(giia::server::ParseLoginBody(json::parse(R"({"email":"a","password":0})")).error().field ==
        "password");
  CHECK(giia::server::ParseCreateUserBody(json::parse(R"({"roles":["Viewer",1]})")).error().field ==
        "roles[1]");

  giia::catalog::SupplierFields s;
  CHECK(giia::server::ReadFields(json::parse(R"({"name":0,"code":[]})"), s).error().field ==
        "code");
  giia::catalog::ProductFields p;
  REQUIRE(giia::server::ReadFields(json::parse(R"({"sku":"S","standard_cost":1})"), p));
  CHECK(p.sku == "S");
  CHECK(*p.standard_cost == 1.0);
  CHECK_FALSE(p.name);
}
