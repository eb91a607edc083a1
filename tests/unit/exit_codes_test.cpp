#include "cli/exit_codes.hpp"

#include <catch2/catch.hpp>

using giia::ErrorCode;
using giia::cli::ExitCode;
using giia::cli::ExitCodeFor;

TEST_CASE("Every error code maps to the exit code PRODUCT.md gives", "[unit][exit]") {
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
