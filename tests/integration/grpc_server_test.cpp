// The gRPC runtime in-process: a port clash. `giia health --grpc` and the
// grpc.health.v1 Watch: tests/e2e/grpc_server_e2e_test.cpp.
#include "server/grpc/grpc_server.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace giia;

TEST_CASE("A second gRPC server on a taken port fails instead of sharing it", "[grpc]") {
  server::GrpcServerOptions options;
  options.host = "127.0.0.1";
  server::GrpcServer first(options);
  options.port = first.Start().value();
  server::GrpcServer second(options);
  auto started = second.Start();
  REQUIRE_FALSE(started);
  CHECK(started.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(started.error().message, Catch::Contains(std::to_string(options.port)));
}
