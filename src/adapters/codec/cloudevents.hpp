#pragma once
// CloudEvents 1.0 structured JSON for giia's events:
//   {"specversion":"1.0","id":..,"source":"/giia/<service>","type":"<event type>",
//    "subject":"<aggregate type>/<aggregate id>","time":..,"datacontenttype":"application/json",
//    "organizationid":..,"data":{...}}
// (CloudEvents extension names are lower-case letters and digits only.)

#include <string>
#include <string_view>

#include "core/events/event.hpp"

namespace giia::codec {

std::string EncodeCloudEvent(const events::Event& event);

// Errors: kInvalidArgument naming the attribute when the text is not JSON,
// not CloudEvents 1.0, or the data is not a flat object.
[[nodiscard]] Result<events::Event> DecodeCloudEvent(std::string_view json);

// The data object alone, pretty-printed (for `giia dlq inspect`).
std::string PrettyJson(std::string_view json);

}  // namespace giia::codec
