// The CloudEvents decoder (adapters/codec/cloudevents.cpp) and schema
// validation (core/events/event.cpp), on message payloads as any publisher to
// the streams could send them. Decoding never crashes; what decodes encodes
// back to an event that decodes to the same thing; validation answers; the
// `dlq inspect` pretty-printer answers.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <variant>

#include "adapters/codec/cloudevents.hpp"
#include "core/events/event.hpp"
#include "fuzz_check.hpp"

namespace {

bool Same(const giia::events::Event& a, const giia::events::Event& b) {
  if (a.id != b.id || a.service != b.service || a.type != b.type ||
      a.aggregate_type != b.aggregate_type || a.aggregate_id != b.aggregate_id ||
      a.organization_id != b.organization_id || a.request_id != b.request_id || a.time != b.time ||
      a.data.size() != b.data.size()) {
    return false;
  }
  // Encoding writes data as a JSON object: its members come back sorted by
  // name, and a repeated name once.
  for (const auto& f : b.data) {
    const giia::events::Value* v = a.Find(f.name);
    if (v == nullptr || *v != f.value) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)giia::codec::PrettyJson(in);
  auto event = giia::codec::DecodeCloudEvent(in);
  if (!event) {
    GIIA_FUZZ_CHECK(!event.error().field.empty());
    return 0;
  }
  GIIA_FUZZ_CHECK(event->time.size() > 0 && event->id.size() > 0);
  // Every data value is the one the JSON says: a whole number as int64 only
  // when it fits one.
  const auto dom = nlohmann::json::parse(in);
  for (const auto& f : event->data) {
    const auto& v = dom.at("data").at(f.name);
    if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
      GIIA_FUZZ_CHECK(v.is_number_integer());
      GIIA_FUZZ_CHECK(v.is_number_unsigned()
                          ? v.get<std::uint64_t>() == static_cast<std::uint64_t>(*i) && *i >= 0
                          : v.get<std::int64_t>() == *i);
    }
  }
  if (auto ok = giia::events::Validate(*event); !ok) {
    GIIA_FUZZ_CHECK(!ok.error().field.empty());
  }
  const std::string encoded = giia::codec::EncodeCloudEvent(*event);
  auto again = giia::codec::DecodeCloudEvent(encoded);
  GIIA_FUZZ_CHECK(again.has_value());
  GIIA_FUZZ_CHECK(Same(*event, *again));
  return 0;
}
