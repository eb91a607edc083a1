#include "core/auth/audit.hpp"

#include "core/common/text.hpp"

namespace giia::auth {

AuditEntry StorableAuditEntry(AuditEntry entry) {
  entry.action = ValidUtf8(entry.action, kAuditActionBytes);
  entry.resource = ValidUtf8(entry.resource, kAuditResourceBytes);
  entry.resource_id = ValidUtf8(entry.resource_id, kAuditResourceIdBytes);
  entry.result = ValidUtf8(entry.result, kAuditResultBytes);
  entry.ip_address = ValidUtf8(entry.ip_address, kAuditIpAddressBytes);
  entry.user_agent = ValidUtf8(entry.user_agent, kAuditUserAgentBytes);
  entry.request_id = ValidUtf8(entry.request_id, kAuditRequestIdBytes);
  for (auto& [key, value] : entry.metadata) {
    key = ValidUtf8(key, kAuditMetadataKeyBytes);
    value = ValidUtf8(value, kAuditMetadataValueBytes);
  }
  return entry;
}

}  // namespace giia::auth
