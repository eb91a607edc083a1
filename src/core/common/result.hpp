#pragma once
// The one error vocabulary of giia. Core and adapter APIs return Result<T>;
// each edge (gRPC, HTTP, process exit code) maps ErrorCode once, in one table.

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace giia {

// The gRPC canonical codes giia uses. Pick the most specific one that applies.
enum class ErrorCode {
  kInvalidArgument,     // the input itself is wrong; `field` names it
  kUnauthenticated,     // no or bad credentials
  kPermissionDenied,    // authenticated, but not allowed
  kNotFound,            // includes "exists, but in another organization"
  kAlreadyExists,       // a unique key is taken
  kFailedPrecondition,  // valid input, wrong state; retrying as-is won't help
  kAborted,             // version or serialization conflict; retry the whole change
  kResourceExhausted,   // rate limit, lockout
  kUnavailable,         // a dependency is down or unreachable; safe to retry
  kDeadlineExceeded,    // a timeout expired before the work finished
  kInternal,            // a bug or a broken invariant, never a user mistake
};

// The canonical upper-case name ("INVALID_ARGUMENT"), as gRPC and the REST
// error body spell it.
const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // one sentence a caller can act on; never a secret
  std::string field;    // the offending field for kInvalidArgument, else empty
  // The store's integrity rule that refused a write (a unique key, a check or
  // a foreign key), by the name the store gives it; else empty. Adapters
  // that know it set it, so nobody reads it out of `message`.
  std::string constraint;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message,
                                       std::string field = {}) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(field)});
}

inline tl::unexpected<Error> InvalidArgument(std::string field, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

inline Status Ok() { return {}; }

}  // namespace giia
