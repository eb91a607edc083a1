#pragma once
// A small blocking HTTP client (libcurl) for probes and alerts.

#include <chrono>
#include <string>

#include "core/common/result.hpp"

namespace giia::http {

// Initializes libcurl once per process, before any thread uses it.
void InitHttpClient();

struct Response {
  long status = 0;
  std::string body;
};

// Errors: kInvalidArgument (field "url") for a malformed or non-HTTP URL;
// kUnavailable when the server cannot be reached or does not answer within
// `timeout`. Any HTTP status is a response, not an error.
// For https: the CA file that verifies the server (empty: the system's),
// and a client certificate and key (mutual TLS) when both are set.
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

[[nodiscard]] Result<Response> Get(const std::string& url, std::chrono::milliseconds timeout,
                                   const TlsFiles& tls = {});
[[nodiscard]] Result<Response> PostJson(const std::string& url, const std::string& json,
                                        std::chrono::milliseconds timeout);

}  // namespace giia::http
