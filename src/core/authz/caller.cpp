#include "core/authz/caller.hpp"

#include "core/common/text.hpp"

namespace giia::authz {

RequestInfo StorableRequestInfo(RequestInfo info) {
  info.request_id = ValidUtf8(info.request_id, kRequestIdBytes);
  info.ip_address = ValidUtf8(info.ip_address, kIpAddressBytes);
  info.user_agent = ValidUtf8(info.user_agent, kUserAgentBytes);
  return info;
}

}  // namespace giia::authz
