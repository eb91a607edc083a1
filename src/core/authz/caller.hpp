#pragma once
// Who is calling and from where: what the edges (gRPC, REST) know of a
// request once its access token is verified, shared by every service.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/ids.hpp"

namespace giia::authz {

using Timestamp = std::chrono::system_clock::time_point;

// Who is calling, as the verified access token says.
struct Caller {
  UserId user{""};
  OrganizationId organization{""};
  std::string email;
  std::string token_id;
  std::int64_t token_version = 0;  // the token's `ver`: the user's version when it was issued
  Timestamp expires_at;
  // The access token itself, set by authorizers that call other services on
  // the caller's behalf (catalog -> auth). Never logged.
  std::string access_token;
};

// Where a request came from, for the audit log and rate limits.
struct RequestInfo {
  std::string request_id;
  std::string ip_address;
  std::string user_agent;
};

// Bounds of RequestInfo's fields in bytes (those of the audit log's columns).
inline constexpr std::size_t kRequestIdBytes = 100;
inline constexpr std::size_t kIpAddressBytes = 45;
inline constexpr std::size_t kUserAgentBytes = 500;

// `info` made valid UTF-8 without NUL and cut, on a character boundary, to
// the bounds above. The edges apply it to what they take from a request,
// before any use case sees it.
RequestInfo StorableRequestInfo(RequestInfo info);

// Whether a caller holds a permission, and why (or why not).
struct Decision {
  std::string permission;
  bool allowed = false;
  std::string reason;
};

}  // namespace giia::authz
