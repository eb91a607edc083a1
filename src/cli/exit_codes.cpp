#include "cli/exit_codes.hpp"

namespace giia::cli {

ExitCode ExitCodeFor(ErrorCode code, bool from_operator) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return from_operator ? ExitCode::kUsage : ExitCode::kFailed;
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded: return ExitCode::kUnavailable;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAborted:
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kInternal: return ExitCode::kFailed;
  }
  return ExitCode::kFailed;
}

}  // namespace giia::cli
