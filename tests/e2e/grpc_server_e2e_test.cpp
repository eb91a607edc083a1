// The gRPC runtime in-process: `giia health --grpc` against it with
// grpc_health_probe's exit codes, and grpc.health.v1 Watch. The port clash:
// tests/integration/grpc_server_test.cpp.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/grpc/grpc_server.hpp"
#include "support/net.hpp"
#include "support/process.hpp"

using namespace giia;
using giia::testing::ClosedPort;
using giia::testing::RunGiia;

namespace {}  // namespace

TEST_CASE("giia health --grpc: serving 0, not serving 4, unknown service 3, unreachable 2",
          "[grpc]") {
  server::GrpcServerOptions options;
  options.host = "127.0.0.1";
  server::GrpcServer grpc(options);
  const int port = grpc.Start().value();
  grpc.SetServing("giia.auth.v1.AuthService", true);
  const std::string addr = "127.0.0.1:" + std::to_string(port);

  auto serving = RunGiia({"health", "--grpc", addr});
  INFO(serving.out << serving.err);
  CHECK(serving.exit_code == 0);
  CHECK_THAT(serving.out, Catch::Contains("SERVING"));
  CHECK(RunGiia({"health", "--grpc", addr, "--service", "giia.auth.v1.AuthService"}).exit_code ==
        0);

  grpc.SetServing("giia.auth.v1.AuthService", false);
  auto not_serving = RunGiia(
      {"health", "--addr", addr, "--service", "giia.auth.v1.AuthService", "--output", "json"});
  CHECK(not_serving.exit_code == 4);
  CHECK(nlohmann::json::parse(not_serving.out)["status"] == "NOT_SERVING");

  CHECK(RunGiia({"health", "--grpc", addr, "--service", "no.such.Service"}).exit_code == 3);

  const auto start = std::chrono::steady_clock::now();
  auto down = RunGiia({"health", "--grpc", "127.0.0.1:" + std::to_string(ClosedPort()),
                       "--connect-timeout", "500ms"});
  CHECK(down.exit_code == 2);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(RunGiia({"health", "--grpc", "no-port"}).exit_code == 1);

  grpc.Shutdown(std::chrono::milliseconds(100));
  CHECK(RunGiia({"health", "--grpc", addr, "--connect-timeout", "300ms"}).exit_code == 2);
}

TEST_CASE(
    "A grpc.health.v1 Watch sees each change, gets NOT_SERVING and its end when the server "
    "shuts down, and does not hold the shutdown for its grace",
    "[grpc]") {
  namespace hv1 = grpc::health::v1;
  server::GrpcServerOptions options;
  options.host = "127.0.0.1";
  server::GrpcServer grpc(options);
  const int port = grpc.Start().value();
  grpc.SetServing("giia.auth.v1.AuthService", true);
  auto stub = hv1::Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  hv1::HealthCheckRequest request;
  request.set_service("giia.auth.v1.AuthService");
  auto watch = stub->Watch(&ctx, request);
  hv1::HealthCheckResponse seen;
  REQUIRE(watch->Read(&seen));
  CHECK(seen.status() == hv1::HealthCheckResponse::SERVING);
  grpc.SetServing("giia.auth.v1.AuthService", false);
  REQUIRE(watch->Read(&seen));
  CHECK(seen.status() == hv1::HealthCheckResponse::NOT_SERVING);
  grpc.SetServing("giia.auth.v1.AuthService", true);
  REQUIRE(watch->Read(&seen));
  CHECK(seen.status() == hv1::HealthCheckResponse::SERVING);

  // A second watcher of a service nobody named yet.
  grpc::ClientContext unknown_ctx;
  unknown_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  hv1::HealthCheckRequest unknown;
  unknown.set_service("no.such.Service");
  auto unknown_watch = stub->Watch(&unknown_ctx, unknown);
  REQUIRE(unknown_watch->Read(&seen));
  CHECK(seen.status() == hv1::HealthCheckResponse::SERVICE_UNKNOWN);

  // A grace of a minute: shutting down must not wait for the watchers.
  auto shutdown = std::async(std::launch::async, [&] { grpc.Shutdown(std::chrono::seconds(60)); });
  REQUIRE(watch->Read(&seen));
  CHECK(seen.status() == hv1::HealthCheckResponse::NOT_SERVING);
  CHECK_FALSE(watch->Read(&seen));
  CHECK(watch->Finish().ok());
  REQUIRE(unknown_watch->Read(&seen));
  CHECK(seen.status() == hv1::HealthCheckResponse::NOT_SERVING);
  CHECK_FALSE(unknown_watch->Read(&seen));
  CHECK(shutdown.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
}
