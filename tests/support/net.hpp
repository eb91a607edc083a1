#pragma once
// Loopback sockets for tests: a listener on a port the OS picks (which can
// stay silent or answer one HTTP request), and a port where nothing listens.

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

}  // namespace giia::testing
