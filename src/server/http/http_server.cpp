#include "server/http/http_server.hpp"

// Beast's string_view is std::string_view (not boost::string_view) here.
#define BOOST_BEAST_USE_STD_STRING_VIEW
// GCC 12 warns inside libstdc++'s std::regex with -O1 and ASan, wrongly
// (GCC PR 105562): only for this file, which instantiates it for the routes.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <unordered_map>

#include "server/request_id.hpp"
#include "server/status_mapping.hpp"

namespace giia::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// After an answer that ends a connection, what the client still sends is read
// and dropped for this long, so that closing does not reset the connection
// before the client has read the answer (a 413 while it is still sending).
constexpr std::chrono::seconds kLingerTime{1};

// Paths longer than this are not matched against the routes (libstdc++'s
// std::regex recurses once per character): 414.
constexpr std::size_t kMaxPathBytes = 2048;

std::string RequestIdOf(const bhttp::fields& fields) {
  const auto given = fields["X-Request-Id"];
  return RequestIdOr(std::string_view(given.data(), given.size()));
}

// The method as a metrics label: a client cannot make new label values.
std::string MethodLabel(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::post:
    case bhttp::verb::put:
    case bhttp::verb::delete_:
    case bhttp::verb::patch:
    case bhttp::verb::options: return std::string(bhttp::to_string(v));
    default: return "OTHER";
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded (and '+' as a space in query strings), as httplib did.
std::string Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void ParseQuery(std::string_view q, std::map<std::string, std::string>& out) {
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string key = Decode(pair.substr(0, eq), true);
    const std::string value =
        eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1), true);
    out.emplace(key, value);  // the first of repeated keys counts
  }
}

bool ParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
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
  struct RouteEntry {
    std::string method;
    std::string pattern;
    std::regex regex;
    HttpHandler handler;
  };
  // What Stop() needs of a connection, whatever its stream.
  struct Connection {
    virtual ~Connection() = default;
    virtual void CloseIfIdle() = 0;  // from any thread
  };
  template <typename Stream>
  class Session;

  HttpServerOptions options;
  metrics::Registry& registry;
  spdlog::logger& log;
  std::vector<RouteEntry> routes;  // as registered; read-only once started

  // Requests handed to a worker whose answer is not written yet, and the
  // open connections; both for Stop().
  std::mutex mu;
  std::condition_variable idle;
  bool stopping = false;
  int in_flight = 0;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

  // Declared after what sessions use: destroying the io_context destroys them.
  std::optional<asio::ssl::context> tls;
  std::unique_ptr<asio::io_context> io;
  std::optional<tcp::acceptor> acceptor;  // on a strand of its own
  std::optional<asio::steady_timer> accept_retry;
  std::vector<std::thread> io_threads;
  std::unique_ptr<asio::thread_pool> workers;
  bool started = false;
  bool stopped = false;

  Impl(HttpServerOptions o, metrics::Registry& r, spdlog::logger& l)
      : options(std::move(o)), registry(r), log(l) {}

  // Metrics and the access log for one finished request.
  void Record(const std::string& method, std::string_view path, int status,
              const std::string& route, std::chrono::steady_clock::time_point start,
              const std::string& request_id) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    registry
        .GetCounter("http_requests_total", "HTTP requests by method, route and status code.",
                    {{"method", method}, {"path", route}, {"code", std::to_string(status)}})
        .Inc();
    registry
        .GetHistogram("http_request_duration_seconds", "HTTP request latency by method and route.",
                      metrics::DefaultLatencyBuckets(), {{"method", method}, {"path", route}})
        .Observe(seconds);
    log.info("http {} {} {} {:.3f}ms request_id={}", method, path, status, seconds * 1000,
             request_id);
  }

  static Response ToBeast(const HttpResponse& out, const std::string& request_id, unsigned version,
                          bool head) {
    Response res;
    res.version(version);
    res.result(static_cast<unsigned>(out.status));
    res.set(bhttp::field::content_type, out.content_type);
    res.set("X-Request-Id", request_id);
    const bool no_body = out.status == 204 || out.status == 304 || out.status < 200;
    if (!no_body) res.body() = out.body;
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length stays the GET's
    return res;
  }

  // An answer made before any handler ran (an unreadable or too large request).
  Response Refusal(int status, const std::string& message, const Request& header,
                   std::chrono::steady_clock::time_point start) {
    const std::string id = RequestIdOf(header);
    HttpResponse out = ErrorResponse(Error{ErrorCode::kInvalidArgument, message, ""}, id);
    out.status = status;
    const std::string_view target = header.target();
    Record(MethodLabel(header.method()), target.substr(0, target.find('?')), status, "unmatched",
           start, id);
    Response res = ToBeast(out, id, header.version() == 10 ? 10 : 11, false);
    res.keep_alive(false);
    return res;
  }

  // Runs on a worker: routing, the handler behind the exception barrier,
  // metrics and the access log.
  Response Handle(const Request& req, const std::string& remote_addr,
                  std::chrono::steady_clock::time_point start) {
    HttpRequest in;
    in.method = std::string(req.method_string());
    const std::string_view target = req.target();
    const std::size_t question = target.find('?');
    const std::string_view raw_path = target.substr(0, question);
    in.path = Decode(raw_path, false);
    if (question != std::string_view::npos) ParseQuery(target.substr(question + 1), in.query);
    for (const auto& f : req)
      in.headers.emplace(std::string(f.name_string()), std::string(f.value()));
    in.body = req.body();
    in.request_id = RequestIdOf(req);
    in.remote_addr = remote_addr;
    const bool head = req.method() == bhttp::verb::head;
    const std::string method = head ? std::string("GET") : in.method;

    const RouteEntry* route = nullptr;
    std::smatch m;
    const bool too_long = in.path.size() > kMaxPathBytes;
    for (const auto& r : routes) {
      if (!too_long && r.method == method && std::regex_match(in.path, m, r.regex)) {
        route = &r;
        break;
      }
    }
    HttpResponse out;
    if (too_long) {
      out = ErrorResponse(
          Error{ErrorCode::kInvalidArgument,
                "the path is longer than " + std::to_string(kMaxPathBytes) + " bytes", ""},
          in.request_id);
      out.status = 414;
    } else if (route == nullptr) {
      out = ErrorResponse(Error{ErrorCode::kNotFound,
                                "no route for " + in.method + " " + std::string(raw_path), ""},
                          in.request_id);
    } else {
      for (std::size_t i = 1; i < m.size(); ++i) in.matches.push_back(m[i].str());
      try {
        out = route->handler(in);
      } catch (const std::exception& e) {
        // The exception barrier: a bug answers 500, logged, and the server lives on.
        log.error("http {} {}: unhandled exception: {} request_id={}", in.method, raw_path,
                  e.what(), in.request_id);
        out = ErrorResponse(Error{ErrorCode::kInternal, "internal error", ""}, in.request_id);
      } catch (...) {
        log.error("http {} {}: unhandled exception request_id={}", in.method, raw_path,
                  in.request_id);
        out = ErrorResponse(Error{ErrorCode::kInternal, "internal error", ""}, in.request_id);
      }
    }
    Response res = ToBeast(out, in.request_id, req.version(), head);
    Record(MethodLabel(req.method()), raw_path, out.status,
           route == nullptr ? std::string("unmatched") : route->pattern, start, in.request_id);
    return res;
  }

  // False once Stop() began: the request is not taken.
  bool BeginRequest() {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return false;
    ++in_flight;
    return true;
  }
  void EndRequest() {
    std::lock_guard<std::mutex> lock(mu);
    if (--in_flight == 0) idle.notify_all();
  }
  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }

  void Accept();
  void OnAccept(const beast::error_code& ec, tcp::socket socket);
};

template <typename Stream>
class HttpServer::Impl::Session final : public HttpServer::Impl::Connection,
                                        public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <typename... Args>
  Session(Impl& impl, std::string remote_addr, Args&&... args)
      : impl_(impl), stream_(std::forward<Args>(args)...), remote_addr_(std::move(remote_addr)) {}

  ~Session() override {
    std::lock_guard<std::mutex> lock(impl_.mu);
    impl_.connections.erase(this);
  }

  void Run() {
    {
      std::lock_guard<std::mutex> lock(impl_.mu);
      impl_.connections.emplace(this, this->weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(self->impl_.options.header_timeout);
        self->stream_.async_handshake(
            asio::ssl::stream_base::server,
            [self](const beast::error_code& ec) { ec ? self->CloseNow() : self->ReadRequest(); });
      } else {
        self->ReadRequest();
      }
    });
  }

  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->CloseNow();
    });
  }

 private:
  auto& Socket() { return beast::get_lowest_layer(stream_).socket(); }

  void ReadRequest() {
    if (impl_.Stopping()) return CloseNow();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(impl_.options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(impl_.options.max_body_bytes);
    if (first_ || buffer_.size() > 0) return ReadHeader();
    // Between requests: wait for a first byte for up to idle_timeout, then
    // the header gets header_timeout.
    beast::get_lowest_layer(stream_).expires_after(impl_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](
                                                       const beast::error_code& ec, std::size_t n) {
      if (ec) return self->CloseNow();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    if (!first_ || !kTls) {
      // A TLS connection's first header shares the handshake's deadline.
      beast::get_lowest_layer(stream_).expires_after(impl_.options.header_timeout);
    }
    first_ = false;
    start_ = std::chrono::steady_clock::now();
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](
                                 const beast::error_code& ec, std::size_t) { self->OnHeader(ec); });
  }

  // Errors of reading that deserve an answer; false for the others (the
  // client went away or was too slow: the connection just closes).
  bool Refused(const beast::error_code& ec) {
    if (ec == bhttp::error::header_limit) {
      Refuse(431, "the request header is larger than " +
                      std::to_string(impl_.options.max_header_bytes) + " bytes");
    } else if (ec == bhttp::error::body_limit) {
      Refuse(413, "the request body is larger than " +
                      std::to_string(impl_.options.max_body_bytes) + " bytes");
    } else if (ParseError(ec)) {
      Refuse(400, "the request could not be read");
    } else {
      return false;
    }
    return true;
  }

  void OnHeader(const beast::error_code& ec) {
    if (ec) {
      if (!Refused(ec)) CloseNow();
      return;
    }
    if (parser_->is_done()) return Dispatch();
    beast::get_lowest_layer(stream_).expires_after(impl_.options.read_timeout);
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       parser_->get().version());
      bhttp::async_write(
          stream_, *cont,
          [self = this->shared_from_this(), cont](const beast::error_code& e, std::size_t) {
            if (e) return self->CloseNow();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
                        if (ec) {
                          if (!self->Refused(ec)) self->CloseNow();
                          return;
                        }
                        self->Dispatch();
                      });
  }

  void Dispatch() {
    if (!impl_.BeginRequest()) return CloseNow();
    busy_ = true;
    auto req = std::make_shared<Request>(parser_->release());
    keep_alive_ = req->keep_alive();
    asio::post(*impl_.workers, [self = this->shared_from_this(), req] {
      auto res =
          std::make_shared<Response>(self->impl_.Handle(*req, self->remote_addr_, self->start_));
      asio::post(self->stream_.get_executor(), [self, res] { self->Write(res, true); });
    });
  }

  void Refuse(int status, const std::string& message) {
    auto res = std::make_shared<Response>(impl_.Refusal(status, message, parser_->get(), start_));
    keep_alive_ = false;
    Write(res, false);
  }

  void Write(const std::shared_ptr<Response>& res, bool counted) {
    const bool keep = keep_alive_ && !impl_.Stopping();
    res->keep_alive(keep);
    beast::get_lowest_layer(stream_).expires_after(impl_.options.read_timeout);
    bhttp::async_write(stream_, *res,
                       [self = this->shared_from_this(), res, counted, keep](
                           const beast::error_code& ec, std::size_t) {
                         self->busy_ = false;
                         if (counted) self->impl_.EndRequest();
                         if (ec) return self->CloseNow();
                         if (!keep) return self->CloseAfterAnswer();
                         self->ReadRequest();
                       });
  }

  void CloseNow() {
    beast::error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
  }

  // The answer is written: say goodbye, and read what the client still sends
  // for a moment (see kLingerTime).
  void CloseAfterAnswer() {
    beast::get_lowest_layer(stream_).expires_after(kLingerTime);
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](const beast::error_code&) { self->CloseNow(); });
    } else {
      beast::error_code ignored;
      Socket().shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    buffer_.clear();
    stream_.async_read_some(
        buffer_.prepare(64 << 10),
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t) {
          if (ec) return self->CloseNow();
          self->Drain();
        });
  }

  Impl& impl_;
  Stream stream_;
  std::string remote_addr_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::chrono::steady_clock::time_point start_;
  bool first_ = true;
  bool busy_ = false;  // a handler runs, or its answer is being written
  bool keep_alive_ = false;
};

void HttpServer::Impl::Accept() {
  acceptor->async_accept(
      asio::make_strand(*io),
      [this](const beast::error_code& ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::OnAccept(const beast::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;  // stopping
  if (ec) {
    // Out of file descriptors, say: try again shortly rather than spin.
    log.warn("http accept failed: {}", ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(50));
    accept_retry->async_wait([this](const beast::error_code& e) {
      if (!e) Accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  const auto peer = socket.remote_endpoint(ignored);
  std::string remote = ignored ? std::string() : peer.address().to_string();
  if (tls) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(remote),
                                                                    std::move(socket), *tls)
        ->Run();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(*this, std::move(remote), std::move(socket))
        ->Run();
  }
  Accept();
}

HttpServer::HttpServer(HttpServerOptions options, metrics::Registry& registry, spdlog::logger& log)
    : impl_(std::make_unique<Impl>(std::move(options), registry, log)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& method, const std::string& pattern, HttpHandler handler) {
  static const char* const kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  if (std::find_if(std::begin(kMethods), std::end(kMethods),
                   [&](const char* m) { return method == m; }) == std::end(kMethods)) {
    return;  // not a method this server routes: not recorded either
  }
  impl_->routes.push_back({method, pattern, std::regex(pattern), std::move(handler)});
}

std::vector<std::pair<std::string, std::string>> HttpServer::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : impl_->routes) out.emplace_back(r.method, r.pattern);
  return out;
}

Result<int> HttpServer::Start() {
  Impl& impl = *impl_;
  if (impl.started) return MakeError(ErrorCode::kFailedPrecondition, "the HTTP server is started");
  if (!impl.options.tls_cert_file.empty()) {
    try {
      asio::ssl::context ctx(asio::ssl::context::tls_server);
      ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
      ctx.use_certificate_chain_file(impl.options.tls_cert_file);
      ctx.use_private_key_file(impl.options.tls_key_file, asio::ssl::context::pem);
      if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        throw std::runtime_error("the key does not match the certificate");
      }
      if (!impl.options.tls_client_ca_file.empty()) {
        ctx.load_verify_file(impl.options.tls_client_ca_file);
        ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
        // The CAs named to clients in the handshake (the ones they may use).
        STACK_OF(X509_NAME)* names =
            SSL_load_client_CA_file(impl.options.tls_client_ca_file.c_str());
        if (names == nullptr) throw std::runtime_error("no CA in TLS_CLIENT_CA_FILE");
        SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
      }
      impl.tls.emplace(std::move(ctx));
    } catch (const std::exception&) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "TLS_CERT_FILE, TLS_KEY_FILE or TLS_CLIENT_CA_FILE cannot be used "
                       "(unreadable, not PEM, or the key does not match the certificate)",
                       "TLS_CERT_FILE");
    }
  }
  const auto cannot_listen = [&impl](const std::string& why) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + impl.options.host + ":" +
                                                  std::to_string(impl.options.port) +
                                                  " (HTTP_PORT): " + why);
  };
  impl.io = std::make_unique<asio::io_context>();
  beast::error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(impl.options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<std::uint16_t>(impl.options.port));
  } else {
    tcp::resolver resolver(*impl.io);
    auto found = resolver.resolve(impl.options.host, std::to_string(impl.options.port), ec);
    if (ec || found.empty()) return cannot_listen("the host does not resolve");
    endpoint = found.begin()->endpoint();
  }
  // SO_REUSEADDR (restarts do not wait for TIME_WAIT) but not SO_REUSEPORT,
  // which would let a second server share a taken port silently.
  tcp::acceptor acceptor(asio::make_strand(*impl.io));
  if (acceptor.open(endpoint.protocol(), ec) ||
      acceptor.set_option(tcp::acceptor::reuse_address(true), ec) || acceptor.bind(endpoint, ec) ||
      acceptor.listen(SOMAXCONN, ec)) {
    return cannot_listen("taken or not allowed");
  }
  const int port = acceptor.local_endpoint().port();
  impl.acceptor.emplace(std::move(acceptor));
  impl.accept_retry.emplace(impl.acceptor->get_executor());
  impl.workers = std::make_unique<asio::thread_pool>(std::max(1, impl.options.threads));
  impl.Accept();
  const int io_threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 2);
  for (int i = 0; i < io_threads; ++i) {
    impl.io_threads.emplace_back([&impl] {
      auto guard = asio::make_work_guard(*impl.io);
      impl.io->run();
    });
  }
  impl.started = true;
  return port;
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->started || impl_->stopped) return;
  Impl& impl = *impl_;
  impl.stopped = true;
  std::vector<std::shared_ptr<Impl::Connection>> open;
  {
    std::lock_guard<std::mutex> lock(impl.mu);
    impl.stopping = true;
    for (auto& [_, weak] : impl.connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  asio::post(impl.acceptor->get_executor(), [&impl] {
    beast::error_code ignored;
    impl.acceptor->close(ignored);
    impl.accept_retry->cancel();
  });
  for (auto& c : open) c->CloseIfIdle();  // busy ones close after their answer
  open.clear();
  {
    std::unique_lock<std::mutex> lock(impl.mu);
    impl.idle.wait(lock, [&impl] { return impl.in_flight == 0; });
  }
  impl.io->stop();
  for (auto& t : impl.io_threads) t.join();
  impl.workers->join();
  // What is left (connections closing) goes with the io_context.
  impl.accept_retry.reset();
  impl.acceptor.reset();
  impl.io.reset();
}

}  // namespace giia::server
