#include "adapters/http/client.hpp"

#include <curl/curl.h>

#include <memory>

#include "core/common/redact.hpp"

namespace giia::http {
namespace {

// scheme://host[:port] of `url`, for errors: a webhook's path and query are
// often its token, and its userinfo a password.
std::string Origin(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "a URL without a scheme";
  const std::size_t authority = scheme + 3;
  std::size_t end = url.find_first_of("/?#", authority);
  if (end == std::string::npos) end = url.size();
  std::string host = url.substr(authority, end - authority);
  if (const std::size_t at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  return RedactCredentials(url.substr(0, authority) + host);
}

Result<Response> Perform(const std::string& url, const std::string* json,
                         std::chrono::milliseconds timeout, const TlsFiles& tls) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return InvalidArgument("url", Origin(url) + " is not an http(s) URL");
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return MakeError(ErrorCode::kInternal, "cannot start an HTTP request");
  Response response;
  curl_slist* headers = nullptr;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);  // safe in threads
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(
      curl.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  if (!tls.ca_file.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty() && !tls.key_file.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_SSLCERT, tls.cert_file.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  if (json != nullptr) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, json->c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(json->size()));
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
    return InvalidArgument("url", Origin(url) + "... is not a valid URL");
  }
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "HTTP request to " + Origin(url) + " failed: " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace

void InitHttpClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }

Result<Response> Get(const std::string& url, std::chrono::milliseconds timeout,
                     const TlsFiles& tls) {
  return Perform(url, nullptr, timeout, tls);
}

Result<Response> PostJson(const std::string& url, const std::string& json,
                          std::chrono::milliseconds timeout) {
  return Perform(url, &json, timeout, {});
}

}  // namespace giia::http
