#pragma once
// The request id of a call, REST or gRPC alike: the client's X-Request-Id /
// x-request-id when it is short and plain (1-128 of [A-Za-z0-9._-]),
// otherwise a new one (32 hex digits, random per thread).

#include <string>
#include <string_view>

namespace giia::server {

std::string RequestIdOr(std::string_view given);

}  // namespace giia::server
