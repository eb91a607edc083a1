#pragma once
// CloudEvents 1.0 structured JSON for giia's events:
//   {"specversion":"1.0","id":..,"source":"/giia/<service>","type":"<event type>",
//    "subject":"<aggregate type>/<aggregate id>","time":..,"datacontenttype":"application/json",
//    "organizationid":..,"data":{...}}
// (CloudEvents extension names are lower-case letters and digits only.)

#include <cstddef>
#include <string>
#include <string_view>

#include "core/events/event.hpp"

namespace giia::codec {

std::string EncodeCloudEvent(const events::Event& event);

// Errors: kInvalidArgument naming the attribute when the text is not JSON,
// not CloudEvents 1.0, or the data is not a flat object.
[[nodiscard]] Result<events::Event> DecodeCloudEvent(std::string_view json);

// The deepest nesting of arrays and objects in `json` (0 for a scalar),
// counted over the text without parsing it (nothing recursive): printing
// nests once per level, so a deep document is measured before it is printed.
std::size_t JsonDepth(std::string_view json);

// Pretty-printed nesting bound: deeper documents are shown raw.
inline constexpr std::size_t kMaxPrettyDepth = 128;

// A payload for `giia dlq inspect`: pretty-printed when it is JSON at most
// kMaxPrettyDepth deep; otherwise the raw text as one JSON string literal
// (quoted, control characters escaped, invalid UTF-8 replaced), so that
// neither a deep document nor terminal escapes get through.
std::string PrettyJson(std::string_view json);

}  // namespace giia::codec
