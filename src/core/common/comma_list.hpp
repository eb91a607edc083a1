#pragma once
// A setting that lists several values (NATS_URL's cluster members,
// AUTH_GRPC_ADDR's replicas): entries separated by commas, spaces and tabs
// around each dropped, every entry checked.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace giia {

// The entries of `text`. `problem` says why an entry is not acceptable, or
// "" when it is. Errors: kInvalidArgument for `field` with the first bad
// entry's problem, preceded by "entry N " when `text` is a list.
[[nodiscard]] Result<std::vector<std::string>> ParseCommaList(
    std::string_view text, const std::string& field,
    const std::function<std::string(std::string_view)>& problem);

}  // namespace giia
