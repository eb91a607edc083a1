#include "server/http/http_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <random>
#include <thread>

#include "server/status_mapping.hpp"

namespace giia::server {
namespace {

// A request id from outside is kept only when it is short and plain.
bool SaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

HttpResponse ErrorResponse(const Error& error, const std::string& request_id) {
  return {HttpStatusFor(error.code), ErrorBody(error, request_id), "application/json"};
}

struct HttpServer::Impl {
  HttpServerOptions options;
  metrics::Registry& registry;
  spdlog::logger& log;
  std::unique_ptr<httplib::Server> server;  // an SSLServer when TLS is configured
  int listen_fd = -1;                       // the listening socket, seen in the socket-options hook
  std::thread thread;
  std::vector<std::pair<std::string, std::string>> routes;  // (method, pattern), as registered

  Impl(HttpServerOptions o, metrics::Registry& r, spdlog::logger& l)
      : options(std::move(o)), registry(r), log(l) {}

  // Metrics and the access log for one finished request.
  void Record(const httplib::Request& req, int status, const std::string& route,
              std::chrono::steady_clock::time_point start, const std::string& request_id) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    registry
        .GetCounter("http_requests_total", "HTTP requests by method, route and status code.",
                    {{"method", req.method}, {"path", route}, {"code", std::to_string(status)}})
        .Inc();
    registry
        .GetHistogram("http_request_duration_seconds", "HTTP request latency by method and route.",
                      metrics::DefaultLatencyBuckets(), {{"method", req.method}, {"path", route}})
        .Observe(seconds);
    log.info("http {} {} {} {:.3f}ms request_id={}", req.method, req.path, status, seconds * 1000,
             request_id);
  }

  static std::string RequestIdOf(const httplib::Request& req) {
    const std::string given = req.get_header_value("X-Request-Id");
    return SaneRequestId(given) ? given : NewRequestId();
  }

  void Reply(httplib::Response& res, const HttpResponse& out, const std::string& request_id) {
    res.status = out.status;
    res.set_content(out.body, out.content_type.c_str());
    res.set_header("X-Request-Id", request_id);
  }
};

HttpServer::HttpServer(HttpServerOptions options, metrics::Registry& registry, spdlog::logger& log)
    : impl_(std::make_unique<Impl>(std::move(options), registry, log)) {
  Impl& impl = *impl_;
  if (impl.options.tls_cert_file.empty()) {
    impl.server = std::make_unique<httplib::Server>();
  } else {
    impl.server = std::make_unique<httplib::SSLServer>(
        impl.options.tls_cert_file.c_str(), impl.options.tls_key_file.c_str(),
        impl.options.tls_client_ca_file.empty() ? nullptr
                                                : impl.options.tls_client_ca_file.c_str());
  }
  const int threads = impl.options.threads;
  impl.server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl.server->set_payload_max_length(impl.options.max_body_bytes);
  impl.server->set_read_timeout(impl.options.read_timeout.count(), 0);
  // A request with neither Content-Length nor Transfer-Encoding has no body
  // (RFC 9112, 6.3), but httplib 0.11 reads a POST, PUT, PATCH or DELETE
  // without them until the connection closes: `curl -X POST` without -d
  // waited out the read timeout, then got 400. Its length is said to be 0
  // before httplib reads it (the pre-routing handler runs first; httplib's
  // request object is its own and not const, only the view it hands out).
  impl.server->set_pre_routing_handler(
      [](const httplib::Request& req, httplib::Response&) -> httplib::Server::HandlerResponse {
        if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
          const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  // Requests that match no route, or that httplib refuses (413 too large),
  // still get the JSON error body and a request id.
  // httplib turns SO_REUSEPORT on, which lets a second server bind a taken
  // port and silently share it: a clash must fail loudly instead.
  impl.server->set_socket_options([&impl](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    impl.listen_fd = sock;
  });
  const httplib::Server::HandlerWithResponse on_error =
      [&impl](const httplib::Request& req,
              httplib::Response& res) -> httplib::Server::HandlerResponse {
    // httplib calls this for every status >= 400; routed answers are ours already.
    if (res.has_header("X-Request-Id")) return httplib::Server::HandlerResponse::Unhandled;
    const auto start = std::chrono::steady_clock::now();
    const std::string id = Impl::RequestIdOf(req);
    ErrorCode code = ErrorCode::kNotFound;
    std::string message = "no route for " + req.method + " " + req.path;
    if (res.status == 413) {
      code = ErrorCode::kInvalidArgument;
      message = "the request body is larger than " + std::to_string(impl.options.max_body_bytes) +
                " bytes";
    } else if (res.status != 404) {
      code = ErrorCode::kInvalidArgument;
      message = "the request could not be read";
    }
    const int status = res.status;
    impl.Reply(res, ErrorResponse(Error{code, message, ""}, id), id);
    res.status = status;
    impl.Record(req, status, "unmatched", start, id);
    return httplib::Server::HandlerResponse::Handled;
  };
  impl.server->set_error_handler(on_error);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& method, const std::string& pattern, HttpHandler handler) {
  Impl& impl = *impl_;
  auto wrapped = [&impl, pattern, handler = std::move(handler)](const httplib::Request& req,
                                                                httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    HttpRequest in;
    in.method = req.method;
    in.path = req.path;
    in.body = req.body;
    in.request_id = Impl::RequestIdOf(req);
    in.remote_addr = req.remote_addr;
    for (const auto& [k, v] : req.headers) in.headers.emplace(k, v);
    for (const auto& [k, v] : req.params) in.query.emplace(k, v);
    for (std::size_t i = 1; i < req.matches.size(); ++i) in.matches.push_back(req.matches[i]);
    HttpResponse out;
    try {
      out = handler(in);
    } catch (const std::exception& e) {
      // The exception barrier: a bug answers 500, logged, and the server lives on.
      impl.log.error("http {} {}: unhandled exception: {} request_id={}", req.method, req.path,
                     e.what(), in.request_id);
      out = ErrorResponse(Error{ErrorCode::kInternal, "internal error", ""}, in.request_id);
    }
    impl.Reply(res, out, in.request_id);
    impl.Record(req, out.status, pattern, start, in.request_id);
  };
  if (method == "GET") {
    impl.server->Get(pattern, wrapped);
  } else if (method == "POST") {
    impl.server->Post(pattern, wrapped);
  } else if (method == "PUT") {
    impl.server->Put(pattern, wrapped);
  } else if (method == "DELETE") {
    impl.server->Delete(pattern, wrapped);
  } else if (method == "PATCH") {
    impl.server->Patch(pattern, wrapped);
  } else {
    return;  // not a method this server routes: not recorded either
  }
  impl.routes.emplace_back(method, pattern);
}

std::vector<std::pair<std::string, std::string>> HttpServer::routes() const {
  return impl_->routes;
}

Result<int> HttpServer::Start() {
  Impl& impl = *impl_;
  if (!impl.server->is_valid()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "TLS_CERT_FILE, TLS_KEY_FILE or TLS_CLIENT_CA_FILE cannot be used "
                     "(unreadable, not PEM, or the key does not match the certificate)",
                     "TLS_CERT_FILE");
  }
  int port = impl.options.port;
  if (port == 0) {
    port = impl.server->bind_to_any_port(impl.options.host);
    if (port <= 0) port = -1;
  } else if (!impl.server->bind_to_port(impl.options.host, port)) {
    port = -1;
  }
  if (port < 0) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + impl.options.host + ":" +
                                                  std::to_string(impl.options.port) +
                                                  " (HTTP_PORT): taken or not allowed");
  }
  // httplib listens with a backlog of 5 (compiled into Debian's library): a
  // burst of connections would overflow it and clients would see resets.
  // Listening again on the bound socket raises the backlog.
  if (impl.listen_fd >= 0) ::listen(impl.listen_fd, SOMAXCONN);
  impl.thread = std::thread([&impl] { impl.server->listen_after_bind(); });
  // Return only once the accept loop runs: a stop() before that would be
  // lost and the loop would never end.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl.server->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return MakeError(ErrorCode::kInternal, "the HTTP server did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return port;
}

void HttpServer::Stop() {
  if (!impl_) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace giia::server
