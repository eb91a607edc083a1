#pragma once
// ErrorCode at the network edges, in one place: the gRPC status code, the
// HTTP status, and the JSON error body of PRODUCT.md.

#include <string>

#include "core/common/result.hpp"

namespace giia::server {

int HttpStatusFor(ErrorCode code);

// The numeric grpc::StatusCode (INVALID_ARGUMENT = 3, ...). ErrorCode is the
// gRPC canonical set, so the mapping is one to one.
int GrpcCodeFor(ErrorCode code);

// {"error": {"code": "INVALID_ARGUMENT", "message": ..., "field": ..., "request_id": ...}}
std::string ErrorBody(const Error& error, const std::string& request_id);

}  // namespace giia::server
