#pragma once
// ErrorCode at the edges, in one table: the HTTP status and the JSON error
// body of PRODUCT.md. (The gRPC side joins this table with the gRPC server.)

#include <string>

#include "core/common/result.hpp"

namespace giia::server {

int HttpStatusFor(ErrorCode code);

// {"error": {"code": "INVALID_ARGUMENT", "message": ..., "field": ..., "request_id": ...}}
std::string ErrorBody(const Error& error, const std::string& request_id);

}  // namespace giia::server
