#include "server/http/rest.hpp"

#include <limits>

namespace giia::server::rest {
namespace {

tl::unexpected<Error> WrongType(const char* field, const char* what) {
  return InvalidArgument(field, std::string(field) + " must be " + what);
}

// The member, or nullptr when absent or null.
const json* Member(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Result<json> ParseBody(const std::string& text) {
  // nlohmann's parser keeps its own stack (no recursion); the callback sees
  // every container's depth and every string, and drops what is too deep or
  // too long without building it, so that a 1 MiB "[[[[..." costs no more
  // than reading it.
  bool too_deep = false;
  std::string too_long;  // the field whose string is over kMaxJsonString
  std::string key;       // the latest member name
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) too_deep = true;
        return !too_deep;
      case json::parse_event_t::key:
        key = parsed.get_ref<const std::string&>();
        if (key.size() > kMaxJsonString) {
          if (too_long.empty()) too_long = "body";
          return false;
        }
        return true;
      case json::parse_event_t::value:
        if (parsed.is_string() && parsed.get_ref<const std::string&>().size() > kMaxJsonString) {
          if (too_long.empty()) too_long = key.empty() ? std::string("body") : key;
          return false;
        }
        return true;
      default: return true;
    }
  };
  json body = json::parse(text, check, false);
  if (too_deep) {
    return InvalidArgument(
        "body", "the body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  if (!too_long.empty()) {
    return InvalidArgument(
        too_long, too_long + " is longer than " + std::to_string(kMaxJsonString) + " bytes");
  }
  if (body.is_discarded() || !body.is_object()) {
    return InvalidArgument("body", "the body must be a JSON object");
  }
  return body;
}

HttpResponse Json(int status, const json& body) {
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json"};
}

HttpResponse NoContent() { return HttpResponse{204, "", "application/json"}; }

Result<Ctx> Begin(const RouteEnv& env, const HttpRequest& req, std::string_view use_case,
                  bool has_body) {
  Ctx c;
  c.info.request_id = req.request_id;
  c.info.ip_address =
      ClientAddress(req.remote_addr, {req.Header("X-Forwarded-For"), req.Header("Forwarded")},
                    env.trusted_proxies);
  c.info.user_agent = req.Header("User-Agent");
  c.info = authz::StorableRequestInfo(std::move(c.info));
  auto caller = authz::Guard(env.access, env.authorizer, use_case,
                             authz::BearerToken(req.Header("Authorization")), c.info)
                    .Finish();
  if (!caller) return tl::unexpected(caller.error());
  c.caller = std::move(*caller);
  if (has_body) {
    if (req.body.empty()) return c;
    auto body = ParseBody(req.body);
    if (!body) return tl::unexpected(body.error());
    c.body = std::move(*body);
  }
  return c;
}

Result<std::string> Str(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(field, std::string(field) + " must be a string");
  return it->get<std::string>();
}

Result<std::optional<std::string>> OptStr(const json& body, const char* field) {
  const json* v = Member(body, field);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(field, "a string");
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::optional<double>> OptNumber(const json& body, const char* field) {
  const json* v = Member(body, field);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) return WrongType(field, "a number");
  return std::optional<double>(v->get<double>());
}

Result<std::optional<std::int64_t>> OptInt64(const json& body, const char* field) {
  const json* v = Member(body, field);
  if (v == nullptr) return std::optional<std::int64_t>();
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return WrongType(field, "a whole number in range");
    }
    return std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  if (!v->is_number_integer()) return WrongType(field, "a whole number");
  return std::optional<std::int64_t>(v->get<std::int64_t>());
}

Result<std::optional<int>> OptInt(const json& body, const char* field) {
  auto v = OptInt64(body, field);
  if (!v) return tl::unexpected(v.error());
  if (!*v) return std::optional<int>();
  if (**v < std::numeric_limits<int>::min() || **v > std::numeric_limits<int>::max()) {
    return WrongType(field, "a whole number in range");
  }
  return std::optional<int>(static_cast<int>(**v));
}

Result<std::optional<bool>> OptBool(const json& body, const char* field) {
  const json* v = Member(body, field);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_boolean()) return WrongType(field, "true or false");
  return std::optional<bool>(v->get<bool>());
}

template <typename T>
BodyReader& BodyReader::Take(Result<std::optional<T>> r, std::optional<T>& out) {
  if (error_) return *this;
  if (!r) {
    error_ = r.error();
  } else if (*r) {
    out = std::move(*r);
  }
  return *this;
}

BodyReader& BodyReader::Read(const char* field, std::optional<std::string>& out) {
  return Take(OptStr(body_, field), out);
}
BodyReader& BodyReader::Read(const char* field, std::optional<double>& out) {
  return Take(OptNumber(body_, field), out);
}
BodyReader& BodyReader::Read(const char* field, std::optional<int>& out) {
  return Take(OptInt(body_, field), out);
}
BodyReader& BodyReader::Read(const char* field, std::optional<std::int64_t>& out) {
  return Take(OptInt64(body_, field), out);
}
BodyReader& BodyReader::Read(const char* field, std::optional<bool>& out) {
  return Take(OptBool(body_, field), out);
}

Status BodyReader::status() const {
  if (error_) return tl::unexpected(*error_);
  return Ok();
}

int IntParam(const HttpRequest& req, const std::string& name, Error* error) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return 0;
  try {
    std::size_t used = 0;
    const int v = std::stoi(it->second, &used);
    if (used == it->second.size()) return v;
  } catch (const std::exception&) {
  }
  *error = Error{ErrorCode::kInvalidArgument, name + " must be a whole number", name};
  return -1;
}

std::string Param(const HttpRequest& req, const std::string& name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

}  // namespace giia::server::rest
