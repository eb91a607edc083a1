#pragma once
// Domain events: the envelope (CloudEvents 1.0 attributes), the schema each
// event type must match, and the outbox port use cases write them through.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/common/result.hpp"

namespace giia::events {

// A data field's value. Event data is flat: ids, names, counts, times.
using Value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string>;

struct Field {
  std::string name;
  Value value;
};

struct Event {
  std::string id;               // unique (uuid); also the JetStream Nats-Msg-Id
  std::string service;          // "auth" or "catalog": the CloudEvents source and subject prefix
  std::string type;             // "user.registered"
  std::string aggregate_type;   // "user"
  std::string aggregate_id;     // the CloudEvents subject; events of one aggregate stay in order
  std::string organization_id;  // the tenant; empty for none
  // The request that caused the event (CloudEvents extension "requestid"), so
  // a consumer's work can be traced to it; empty when none did (a job, a CLI).
  std::string request_id;
  std::string time;  // RFC 3339, UTC
  std::vector<Field> data;

  // "auth.user.registered": where the event is published.
  std::string Subject() const { return service + "." + type; }
  const Value* Find(std::string_view name) const;
};

// What an event type's data must hold.
struct Schema {
  std::string service;  // which service emits it
  std::string type;
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

// Every event type of PRODUCT.md: the seeds' list (T009) plus role.assigned,
// role.revoked, user.locked and the catalog's updated/deleted/assigned events.
std::span<const Schema> BuiltInSchemas();

// Errors: kInvalidArgument naming the field ("type", "id", "data.email", ...)
// when the type is unknown, an attribute is missing, a required data field is
// missing or null, or a data field is not in the schema.
[[nodiscard]] Status Validate(const Event& event);

// Appends events to the outbox of the transaction it belongs to: they commit
// or roll back with the change they describe. Every event is validated first,
// whatever the implementation (non-virtual interface).
class OutboxWriter {
 public:
  virtual ~OutboxWriter() = default;
  // Errors: kInvalidArgument from Validate (nothing stored); storage errors.
  [[nodiscard]] Status Append(const Event& event) {
    if (auto ok = Validate(event); !ok) return ok;
    return Store(event);
  }

 protected:
  [[nodiscard]] virtual Status Store(const Event& event) = 0;
};

}  // namespace giia::events
