#pragma once
// Wall-clock time as giia writes it: RFC 3339, UTC, whole seconds.

#include <chrono>
#include <string>

namespace giia {

// "2026-11-23T01:02:03Z"
std::string Rfc3339(std::chrono::system_clock::time_point t);

}  // namespace giia
