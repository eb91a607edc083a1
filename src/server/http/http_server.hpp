#pragma once
// The HTTP side of a service (Boost.Beast on Asio behind this header): routes
// with one middleware chain for all of them: a request id (X-Request-Id taken
// from the request when sane, else made, and echoed on every response), an
// access log line, http_requests_total and http_request_duration_seconds,
// JSON errors as PRODUCT.md gives them, and an exception barrier that answers
// 500 instead of crashing.
//
// Event-driven: one or two I/O threads accept, read headers and bodies and
// write answers for every connection; only a request read whole goes to the
// `threads` workers that run the handlers (which block on the database and
// argon2). An idle or slow client costs a socket and a few KiB, never a
// worker: it is closed when its header does not arrive within
// header_timeout, or when it sends nothing for idle_timeout between
// requests. Bounds, refused before anything is buffered beyond them: the
// header (431), the body whatever its framing, Content-Length or chunked
// (413, without reading it when Content-Length says so).

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
  int port = 0;                             // 0: any free port (tests)
  std::size_t max_body_bytes = 1 << 20;     // 413 above
  std::size_t max_header_bytes = 16 << 10;  // request line and fields; 431 above
  int threads = 8;                          // handler workers
  // A new connection's first header, or a later one from its first byte, must
  // arrive whole within header_timeout (TLS handshake included).
  std::chrono::milliseconds header_timeout{10'000};
  // A keep-alive connection waits this long for its next request.
  std::chrono::milliseconds idle_timeout{75'000};
  std::chrono::seconds read_timeout{10};  // to read a body, and to write an answer
  std::string tls_cert_file;              // HTTPS when set (with tls_key_file)
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
  // Stops accepting, closes idle connections, lets requests in flight finish
  // (their answers are written, then their connections close), returns.
  // Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace giia::server
