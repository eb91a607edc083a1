#pragma once
// Durations as operators write them: "30s", "15m", "24h", "500ms", "1h30m".

#include <chrono>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace giia {

// Parses a sequence of <non-negative integer><unit> pairs, units ms, s, m, h, d.
// "0" alone is accepted; any other number needs a unit. The result must fit in
// 100 years.
// Errors: kInvalidArgument (field empty; the caller names the key) with a
// message saying what is wrong.
[[nodiscard]] Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The shortest text ParseDuration reads back as `d`: "1h30m", "250ms", "0s".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace giia
