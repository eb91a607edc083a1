#pragma once
// Loopback sockets for tests: a listener on a port the OS picks (which can
// stay silent or answer one HTTP request), and ports where nothing listens.

#include <chrono>
#include <string>

namespace giia::testing {

class TcpListener {
 public:
  TcpListener();  // bound to 127.0.0.1 on a free port, listening, never accepting by itself
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  int port() const { return port_; }
  // Accepts one connection, reads one HTTP request (head and body), answers
  // `status` with `body`, and returns the request as received.
  std::string AnswerHttp(const std::string& status, const std::string& body = "");

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on (bound, then closed).
int ClosedPort();

// A port nothing listens on now (the OS picked it).
int FreePort();

// Sends `request` as it is (any bytes) to 127.0.0.1:`port` and returns
// everything the server answers until it closes the connection or `wait`
// passes without a byte. Send "Connection: close" to get one whole answer.
std::string RawHttp(int port, const std::string& request,
                    std::chrono::milliseconds wait = std::chrono::seconds(20));

// The status of a raw HTTP answer (0 when there is none) and its body.
struct RawReply {
  int status = 0;
  std::string body;
};
RawReply ParseRawReply(const std::string& answer);

}  // namespace giia::testing
