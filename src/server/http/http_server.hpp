#pragma once
// The HTTP side of a service (cpp-httplib behind this header): routes with
// one middleware chain for all of them: a request id (X-Request-Id taken
// from the request when sane, else made, and echoed on every response), an
// access log line, http_requests_total and http_request_duration_seconds,
// a body size limit, JSON errors as PRODUCT.md gives them, and an exception
// barrier that answers 500 instead of crashing.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "server/metrics/registry.hpp"

namespace spdlog {
class logger;
}

namespace giia::server {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;  // as received
  std::map<std::string, std::string> query;    // ?page=2
  std::vector<std::string> matches;            // regex groups of the route pattern
  std::string request_id;
  std::string remote_addr;  // the peer's IP address
  std::string Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// A failed use case as an HTTP response (status + JSON error body).
HttpResponse ErrorResponse(const Error& error, const std::string& request_id);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;  // 0: any free port (tests)
  std::size_t max_body_bytes = 1 << 20;
  int threads = 8;
  std::chrono::seconds read_timeout{10};
  std::string tls_cert_file;  // HTTPS when set (with tls_key_file)
  std::string tls_key_file;
  std::string tls_client_ca_file;  // client certificates required when set
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, metrics::Registry& registry, spdlog::logger& log);
  ~HttpServer();  // stops

  // `pattern` is a regex over the path ("/api/v1/users/([0-9a-f-]+)"); it
  // also labels the metrics. Register before Start().
  void Route(const std::string& method, const std::string& pattern, HttpHandler handler);

  // Every (method, pattern) registered so far, in the order of Route() calls,
  // as given (the pattern is the regex). For the check that the OpenAPI
  // documents name exactly the routes the servers serve.
  std::vector<std::pair<std::string, std::string>> routes() const;

  // Binds and serves on a thread of its own. Returns the bound port.
  // Errors: kUnavailable naming host:port when the port cannot be bound
  // (taken, or not allowed).
  [[nodiscard]] Result<int> Start();
  // Stops accepting, lets requests in flight finish, returns. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace giia::server
