#pragma once
// The one exit-code taxonomy of every giia command (PRODUCT.md).

#include "core/common/result.hpp"

namespace giia::cli {

enum class ExitCode {
  kOk = 0,
  kUsage = 1,        // usage or configuration error: nothing was attempted
  kUnavailable = 2,  // a server or dependency could not be reached in time
  kFailed = 3,       // the operation failed or a check did not pass
  kNotServing = 4,   // reached, but not serving (health)
};

// How a core error ends the process. `from_operator` says the input the error
// names came from flags, environment or config (kInvalidArgument is then a
// usage error, 1) rather than from a remote system (3).
ExitCode ExitCodeFor(ErrorCode code, bool from_operator);

}  // namespace giia::cli
