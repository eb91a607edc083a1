// `giia serve auth` and `giia serve catalog` as processes, fed what an
// attacker sends: invalid UTF-8, NUL bytes, 100,000-deep JSON, huge numbers,
// duplicate keys, wrong types, 64 KB headers over REST, and malformed
// protobuf over gRPC. No answer is a 5xx but 503, every 4xx carries the error
// object, both processes stay up, and the journey works afterwards.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/support/auth_server.hpp"
#include "e2e/support/catalog_server.hpp"
#include "support/net.hpp"
#include "support/poll.hpp"

using giia::testing::AuthServer;
using giia::testing::CatalogServer;
using giia::testing::HttpReply;
using giia::testing::kPassword;
using nlohmann::json;

namespace {

std::string Request(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body, const std::string& extra_headers = "") {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
  r += extra_headers;
  r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
       "\r\n\r\n" + body;
  return r;
}

// What every hostile request must get: an answer; no 5xx but 503; a 4xx
// with the error object.
void CheckAnswer(int port, const std::string& what, const std::string& request) {
  const giia::testing::RawReply r =
      giia::testing::ParseRawReply(giia::testing::RawHttp(port, request));
  INFO(what << ": " << r.status << " " << r.body.substr(0, 300));
  REQUIRE(r.status != 0);
  CHECK((r.status < 500 || r.status == 503));
  if (r.status >= 400 && r.status < 500) {
    const json body = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(body.is_discarded());
    CHECK(body["error"]["code"].is_string());
    CHECK(body["error"]["message"].is_string());
  }
}

std::vector<std::pair<std::string, std::string>> HostileBodies() {
  const std::string deep_array = std::string(100'000, '[') + std::string(100'000, ']');
  std::string deep_object;
  for (int i = 0; i < 100'000; ++i) deep_object += "{\"a\":";
  deep_object += "1" + std::string(100'000, '}');
  return {
      {"invalid UTF-8 in a string",
       "{\"email\":\"\xff\xfe@x.example\",\"sku\":\"\xc3\",\"name\":"
       "\"\xed\xa0\x80\",\"password\":\"abcdefgh1\"}"},
      {"a raw NUL in a string",
       std::string("{\"email\":\"a") + '\0' + "b@x.example\",\"name\":\"n\"}"},
      {"an escaped NUL",
       "{\"email\":\"a\\u0000b@x.example\",\"name\":\"x\\u0000y\",\"sku\":"
       "\"\\u0000\",\"code\":\"\\u0000\",\"password\":\"abc\\u0000defgh\"}"},
      {"a lone surrogate escape", "{\"name\":\"\\ud800\",\"sku\":\"\\udfff\"}"},
      {"100,000-deep array", deep_array},
      {"100,000-deep object", deep_object},
      {"huge numbers",
       "{\"standard_cost\":1e400,\"adu\":-1e999,\"lead_time_days\":"
       "99999999999999999999999999,\"page\":1e308,\"version\":-0,\"sku\":\"H\","
       "\"name\":\"n\",\"lead_time_factor\":1e-400}"},
      {"duplicate keys",
       "{\"sku\":\"A\",\"sku\":\"B\",\"name\":\"n\",\"name\":7,\"email\":"
       "\"a@x.example\",\"email\":\"b@x.example\"}"},
      {"wrong types",
       "{\"email\":0,\"password\":[],\"name\":{},\"sku\":true,\"roles\":\"Admin\","
       "\"role\":[\"Admin\"],\"standard_cost\":\"1\",\"refresh_token\":1}"},
      {"not an object", "[1,2,3]"},
      {"a bare string", "\"hello\""},
      {"not JSON", "hello, world"},
      {"truncated", "{\"email\":\"a@x.example\",\"pass"},
      {"a long string", "{\"name\":\"" + std::string(200'000, 'x') + "\",\"email\":\"" +
                            std::string(100'000, 'e') + "@x.example\"}"},
  };
}

// Bytes that are no protobuf message: a bad tag, a field longer than the
// message, a varint that never ends, a group end with no start.
std::vector<std::string> MalformedProtobuf() {
  return {std::string("\xff\xff\xff\xff\xff", 5),
          std::string("\x0a\x64"
                      "abc",
                      5),
          std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12),
          std::string("\x0c", 1), std::string(1 << 16, '\xff')};
}

}  // namespace

TEST_CASE("Hostile REST and gRPC input: no 5xx but 503, the error object, both services alive",
          "[security]") {
  AuthServer auth;
  CatalogServer catalog(auth);
  json admin = auth.RegisterAdmin("root@hostile.example", "Hostile Co");
  const std::string token = admin["access_token"];
  const std::string user = admin["user"]["id"];

  const std::vector<std::pair<std::string, std::string>> auth_routes = {
      {"POST", "/api/v1/auth/register"},
      {"POST", "/api/v1/auth/login"},
      {"POST", "/api/v1/auth/refresh"},
      {"POST", "/api/v1/auth/verify-email"},
      {"POST", "/api/v1/auth/change-password"},
      {"POST", "/api/v1/auth/logout"},
      {"POST", "/api/v1/users"},
      {"POST", "/api/v1/users/" + user + "/roles"}};
  const std::vector<std::pair<std::string, std::string>> catalog_routes = {
      {"POST", "/api/v1/products"},
      {"POST", "/api/v1/suppliers"},
      {"POST", "/api/v1/buffer-profiles"}};
  for (const auto& [what, body] : HostileBodies()) {
    for (const auto& [method, path] : auth_routes) {
      // Logout would end the admin's session: it is sent without the token.
      const bool keep = path == "/api/v1/auth/logout";
      CheckAnswer(auth.http_port(), what + " to " + path,
                  Request(method, path, keep ? "" : token, body));
    }
    for (const auto& [method, path] : catalog_routes) {
      CheckAnswer(catalog.http_port(), what + " to " + path, Request(method, path, token, body));
    }
  }

  // Headers and paths.
  const std::string login =
      json{{"email", "root@hostile.example"}, {"password", "wrong!!!"}}.dump();
  for (const auto& [what, headers] : std::vector<std::pair<std::string, std::string>>{
           {"a 64 KB header", "X-Junk: " + std::string(64 * 1024, 'j') + "\r\n"},
           {"a User-Agent of 0xFF", "User-Agent: \xff\xfe\r\n"},
           {"a NUL in a header", std::string("X-Nul: a") + '\0' + "b\r\n"},
           {"an X-Request-Id of 10,000 bytes",
            "X-Request-Id: " + std::string(10'000, 'r') + "\r\n"},
           {"an Authorization of 0xFF", "Authorization: Bearer \xff\xff\r\n"}}) {
    CheckAnswer(auth.http_port(), what, Request("POST", "/api/v1/auth/login", "", login, headers));
  }
  for (const std::string& path :
       {std::string("/api/v1/users/%00"), std::string("/api/v1/users/%ff%fe"),
        "/api/v1/users/" + std::string(10'000, 'u'), std::string("/api/v1/users/..%2f..%2fetc")}) {
    CheckAnswer(auth.http_port(), "GET " + path.substr(0, 40), Request("GET", path, token, ""));
  }
  for (const std::string& path :
       {std::string("/api/v1/products/%00"), std::string("/api/v1/products/\xff"),
        std::string("/api/v1/products?page=99999999999999999999&page_size=-1"),
        std::string("/api/v1/products/search?q=%ff%00")}) {
    CheckAnswer(catalog.http_port(), "GET " + path.substr(0, 40), Request("GET", path, token, ""));
  }

  // gRPC: bytes that are no message, to methods of both services, with and
  // without a token. The status is a client error, never UNKNOWN.
  grpc::GenericStub auth_stub(
      grpc::CreateChannel(auth.grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::GenericStub catalog_stub(
      grpc::CreateChannel(catalog.grpc_address(), grpc::InsecureChannelCredentials()));
  for (const std::string& payload : MalformedProtobuf()) {
    for (const char* method :
         {"/giia.auth.v1.AuthService/Login", "/giia.auth.v1.AuthService/CreateUser",
          "/giia.auth.v1.AuthService/BatchCheckPermissions"}) {
      for (const std::string& t : {std::string(), token}) {
        const grpc::StatusCode code = giia::testing::CallWithPayload(auth_stub, method, t, payload);
        INFO(method << " " << code);
        CHECK(code != grpc::StatusCode::UNKNOWN);
        CHECK(code != grpc::StatusCode::UNAVAILABLE);
        CHECK(code != grpc::StatusCode::OK);
      }
    }
    for (const char* method : {"/giia.catalog.v1.CatalogService/CreateProduct",
                               "/giia.catalog.v1.CatalogService/CalculateBufferZones"}) {
      const grpc::StatusCode code =
          giia::testing::CallWithPayload(catalog_stub, method, token, payload);
      INFO(method << " " << code);
      CHECK(code != grpc::StatusCode::UNKNOWN);
      CHECK(code != grpc::StatusCode::UNAVAILABLE);
      CHECK(code != grpc::StatusCode::OK);
    }
  }

  // Both are alive, and the journey works.
  CHECK(auth.Get("/health/live").status == 200);
  CHECK(catalog.Get("/health/live", "").status == 200);
  HttpReply again =
      auth.Post("/api/v1/auth/login", {{"email", "root@hostile.example"}, {"password", kPassword}});
  REQUIRE(again.status == 200);
  HttpReply product = catalog.Post("/api/v1/products", {{"sku", "OK-1"}, {"name", "still works"}},
                                   again.body["access_token"]);
  INFO(product.raw);
  CHECK(product.status == 201);
}
