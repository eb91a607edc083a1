#include "adapters/codec/cloudevents.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace giia::codec {
namespace {

using nlohmann::json;

json ToJson(const events::Value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return nullptr;
        } else {
          return x;
        }
      },
      v);
}

}  // namespace

std::string EncodeCloudEvent(const events::Event& event) {
  json data = json::object();
  for (const events::Field& f : event.data) data[f.name] = ToJson(f.value);
  json ce = {{"specversion", "1.0"},
             {"id", event.id},
             {"source", "/giia/" + event.service},
             {"type", event.type},
             {"subject", event.aggregate_type + "/" + event.aggregate_id},
             {"time", event.time},
             {"datacontenttype", "application/json"},
             {"data", std::move(data)}};
  if (!event.organization_id.empty()) ce["organizationid"] = event.organization_id;
  if (!event.request_id.empty()) ce["requestid"] = event.request_id;
  return ce.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<events::Event> DecodeCloudEvent(std::string_view text) {
  json ce = json::parse(text, nullptr, false);
  if (ce.is_discarded() || !ce.is_object()) {
    return InvalidArgument("payload", "the message is not a JSON object");
  }
  auto str = [&](const char* key) -> Result<std::string> {
    auto it = ce.find(key);
    if (it == ce.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return InvalidArgument(key, std::string("the CloudEvent has no \"") + key + "\" string");
    }
    return it->get<std::string>();
  };
  if (auto v = str("specversion"); !v || *v != "1.0") {
    return InvalidArgument("specversion", "the message is not a CloudEvents 1.0 event");
  }
  events::Event e;
  for (auto [key, out] :
       {std::pair<const char*, std::string*>{"id", &e.id}, {"type", &e.type}, {"time", &e.time}}) {
    auto v = str(key);
    if (!v) return tl::unexpected(v.error());
    *out = std::move(*v);
  }
  auto source = str("source");
  if (!source) return tl::unexpected(source.error());
  if (source->rfind("/giia/", 0) != 0) {
    return InvalidArgument("source", "source \"" + *source + "\" is not a giia service");
  }
  e.service = source->substr(6);
  auto subject = str("subject");
  if (!subject) return tl::unexpected(subject.error());
  const std::size_t slash = subject->find('/');
  if (slash == std::string::npos) {
    return InvalidArgument("subject", "subject must read <aggregate type>/<aggregate id>");
  }
  e.aggregate_type = subject->substr(0, slash);
  e.aggregate_id = subject->substr(slash + 1);
  if (auto org = ce.find("organizationid"); org != ce.end() && org->is_string()) {
    e.organization_id = org->get<std::string>();
  }
  if (auto rid = ce.find("requestid"); rid != ce.end() && rid->is_string()) {
    e.request_id = rid->get<std::string>();
  }
  auto data = ce.find("data");
  if (data == ce.end() || !data->is_object()) {
    return InvalidArgument("data", "the CloudEvent has no data object");
  }
  for (auto& [name, v] : data->items()) {
    events::Value value;
    if (v.is_null()) {
      value = nullptr;
    } else if (v.is_boolean()) {
      value = v.get<bool>();
    } else if (v.is_number_unsigned() &&
               v.get<std::uint64_t>() >
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      // Read as int64 it would turn negative (18446744073709551615 is -1).
      return InvalidArgument("data." + name,
                             "data field \"" + name + "\" is a whole number beyond int64");
    } else if (v.is_number_integer()) {
      value = v.get<std::int64_t>();
    } else if (v.is_number()) {
      value = v.get<double>();
    } else if (v.is_string()) {
      value = v.get<std::string>();
    } else {
      return InvalidArgument("data." + name, "data field \"" + name + "\" is not a plain value");
    }
    e.data.push_back({name, std::move(value)});
  }
  return e;
}

std::size_t JsonDepth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string PrettyJson(std::string_view text) {
  if (JsonDepth(text) <= kMaxPrettyDepth) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_discarded()) return j.dump(2, ' ', false, json::error_handler_t::replace);
  }
  return json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace giia::codec
