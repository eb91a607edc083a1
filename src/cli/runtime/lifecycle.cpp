#include "cli/runtime/lifecycle.hpp"

namespace giia::cli {

Lifecycle::Lifecycle(std::vector<std::unique_ptr<Service>> services)
    : services_(std::move(services)) {}

// Nothing runs on a service once it is destroyed; services are destroyed in
// reverse start order, the catalog before the auth it holds channels to.
Lifecycle::~Lifecycle() {
  Stop(std::chrono::seconds(0));
  while (!services_.empty()) services_.pop_back();
}

Status Lifecycle::Start(std::chrono::milliseconds timeout) {
  while (started_ < services_.size()) {
    // Counted before it starts: one that fails half-way is stopped too.
    Service& service = *services_[started_++];
    if (auto ok = service.Start(); !ok) {
      Stop(timeout);
      return ok;
    }
  }
  return Ok();
}

void Lifecycle::Stop(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::size_t n = started_;
  started_ = 0;
  for (std::size_t i = n; i-- > 0;) services_[i]->BeginDrain();
  for (std::size_t i = n; i-- > 0;) services_[i]->StopAccepting(deadline);
  for (std::size_t i = n; i-- > 0;) services_[i]->StopWorkers(deadline);
}

}  // namespace giia::cli
