#include "adapters/nats/stream_setup.hpp"

#include <algorithm>

namespace giia::nats {

StreamSetup::StreamSetup(JetStream& js, int replicas, Then then, Warn warn)
    : js_(js), replicas_(replicas), then_(std::move(then)), warn_(std::move(warn)), thread_([this] {
        Run();
      }) {}

void StreamSetup::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void StreamSetup::Run() {
  using std::chrono::milliseconds;
  auto delay = milliseconds(200);
  while (!stop_.load()) {
    if (!js_.WaitUntilConnected(milliseconds(200))) continue;
    const auto streams = DefaultStreams(replicas_);
    Status ok = js_.EnsureStreams(streams);
    if (ok) ok = then_();
    if (ok) return;
    warn_(ok.error().message);
    for (auto waited = milliseconds(0); waited < delay && !stop_.load();
         waited += milliseconds(50)) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    delay = std::min(delay * 2, milliseconds(5000));
  }
}

}  // namespace giia::nats
