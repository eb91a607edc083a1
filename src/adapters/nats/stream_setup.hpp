#pragma once
// The streams a service needs, set up whenever NATS is there: a service
// starts without NATS (events wait in the outbox), so its start-up cannot
// wait for it. A background thread waits for the connection, ensures the
// streams (DefaultStreams) and then runs the service's own step (starting
// its consumer); a failure of either is logged and retried with backoff
// (200 ms doubling to 5 s) until it succeeds or Stop is called.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "adapters/nats/jetstream.hpp"

namespace giia::nats {

class StreamSetup {
 public:
  // What runs once the streams exist; an error is retried with them.
  using Then = std::function<Status()>;
  // How a failed attempt is reported (the message of its error).
  using Warn = std::function<void(const std::string&)>;

  // Starts the thread. `js` must outlive this object.
  StreamSetup(JetStream& js, int replicas, Then then, Warn warn);
  ~StreamSetup() { Stop(); }
  StreamSetup(const StreamSetup&) = delete;
  StreamSetup& operator=(const StreamSetup&) = delete;

  // Ends the thread (within about 200 ms); what `then` started stays.
  void Stop();

 private:
  void Run();

  JetStream& js_;
  const int replicas_;  // NATS_STREAM_REPLICAS
  Then then_;
  Warn warn_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace giia::nats
