#include "cli/exit_codes.hpp"

#include <catch2/catch.hpp>
#include <tuple>
#include <vector>

#include "server/status_mapping.hpp"

using giia::ErrorCode;
using giia::cli::ExitCode;
using giia::cli::ExitCodeFor;

TEST_CASE("Every error code maps to the exit code PRODUCT.md gives", "[cli]") {
  CHECK(ExitCodeFor(ErrorCode::kInvalidArgument, true) == ExitCode::kUsage);
  CHECK(ExitCodeFor(ErrorCode::kInvalidArgument, false) == ExitCode::kFailed);
  CHECK(ExitCodeFor(ErrorCode::kUnavailable, false) == ExitCode::kUnavailable);
  CHECK(ExitCodeFor(ErrorCode::kDeadlineExceeded, false) == ExitCode::kUnavailable);
  for (ErrorCode code :
       {ErrorCode::kUnauthenticated, ErrorCode::kPermissionDenied, ErrorCode::kNotFound,
        ErrorCode::kAlreadyExists, ErrorCode::kFailedPrecondition, ErrorCode::kAborted,
        ErrorCode::kResourceExhausted, ErrorCode::kInternal}) {
    CHECK(ExitCodeFor(code, false) == ExitCode::kFailed);
    CHECK(ExitCodeFor(code, true) == ExitCode::kFailed);
  }
  CHECK(std::string(giia::ErrorCodeName(ErrorCode::kAborted)) == "ABORTED");
}

TEST_CASE("Every error code maps to its gRPC code and HTTP status", "[cli]") {
  using giia::server::GrpcCodeFor;
  using giia::server::HttpStatusFor;
  // (code, gRPC number, HTTP status): PRODUCT.md and ARCHITECTURE.md B3.
  const std::vector<std::tuple<ErrorCode, int, int>> table = {
      {ErrorCode::kInvalidArgument, 3, 400},  {ErrorCode::kUnauthenticated, 16, 401},
      {ErrorCode::kPermissionDenied, 7, 403}, {ErrorCode::kNotFound, 5, 404},
      {ErrorCode::kAlreadyExists, 6, 409},    {ErrorCode::kFailedPrecondition, 9, 400},
      {ErrorCode::kAborted, 10, 409},         {ErrorCode::kResourceExhausted, 8, 429},
      {ErrorCode::kUnavailable, 14, 503},     {ErrorCode::kDeadlineExceeded, 4, 504},
      {ErrorCode::kInternal, 13, 500},
  };
  for (const auto& [code, grpc, http] : table) {
    INFO(giia::ErrorCodeName(code));
    CHECK(GrpcCodeFor(code) == grpc);
    CHECK(HttpStatusFor(code) == http);
  }
  const std::string body = giia::server::ErrorBody(
      giia::Error{ErrorCode::kInvalidArgument, "sku is taken", "sku"}, "req-1");
  CHECK(body == R"({"error":{"code":"INVALID_ARGUMENT","field":"sku","message":"sku is taken",)"
                R"("request_id":"req-1"}})");
}
