#pragma once
// A nats-server with JetStream of the test's own, on a free loopback port with
// its own store directory; it can be stopped and started again on the same
// port and store (to test outages). Stopped when destroyed.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace giia::testing {

// The nats-server binary's path; fails the test when it is not installed.
std::string FindNatsServer();

class NatsServer {
 public:
  NatsServer();  // starts it
  ~NatsServer();
  const std::string& url() const { return url_; }
  void Stop();
  void Start();  // again, same port and store

 private:
  std::string dir_;
  int port_ = -1;  // -1 until the first start picked one
  std::string url_;
  std::unique_ptr<Process> process_;
};

}  // namespace giia::testing

namespace giia::testing {

// A message as stored in a stream, read without consuming it.
struct StoredMessage {
  std::uint64_t sequence = 0;
  std::string subject;
  std::string data;
  std::map<std::string, std::string> headers;
};

// Every message of `stream` on the server at `url` (or a comma-separated
// list of a cluster's members), in stream order. Fails the test when the
// stream does not answer.
std::vector<StoredMessage> ReadStream(const std::string& url, const std::string& stream);
// The same, or nullopt when the stream does not answer (a cluster electing
// a leader).
std::optional<std::vector<StoredMessage>> TryReadStream(const std::string& url,
                                                        const std::string& stream);

// The stream's configured MaxAge in seconds; -1 when it does not exist.
std::int64_t StreamMaxAgeSeconds(const std::string& url, const std::string& stream);

}  // namespace giia::testing
