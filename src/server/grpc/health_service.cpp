#include "server/grpc/health_service.hpp"

#include <optional>

namespace giia::server {

namespace hv1 = grpc::health::v1;

// One Watch stream: writes the service's status whenever it changes (the
// newest status only, one write at a time), and ends when the service shuts
// down or the client goes. Deleted by OnDone, after every other reaction.
// Each decision is taken under mu_, and StartWrite/Finish are called after
// it is released, as the last thing done with `this`: OnDone may run inside
// them and delete it.
class HealthService::Watcher final : public grpc::ServerWriteReactor<hv1::HealthCheckResponse> {
 public:
  Watcher(HealthService& health, std::string service)
      : health_(health), service_(std::move(service)) {}

  // Called with health_.mu_ held, so OnDone (which takes it) cannot delete
  // this meanwhile on another thread.
  void Update(Status status, bool last) {
    std::unique_lock lock(mu_);
    pending_ = status;
    ending_ = ending_ || last;
    Next(lock);
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock lock(mu_);
    writing_ = false;
    if (!ok) ending_ = true;  // the client is gone
    Next(lock);
  }

  void OnCancel() override {
    std::unique_lock lock(mu_);
    ending_ = true;
    pending_.reset();
    Next(lock);
  }

  void OnDone() override {
    health_.Remove(this);
    delete this;
  }

 private:
  // Starts the next write, or finishes once nothing is left to write and the
  // stream is ending. Releases `lock`.
  void Next(std::unique_lock<std::mutex>& lock) {
    if (writing_ || finished_) return;
    if (pending_ && (!sent_ || *pending_ != *sent_)) {
      sent_ = pending_;
      pending_.reset();
      response_.set_status(*sent_);
      writing_ = true;
      lock.unlock();
      StartWrite(&response_);
      return;
    }
    pending_.reset();
    if (!ending_) return;
    finished_ = true;
    lock.unlock();
    Finish(grpc::Status::OK);
  }

  HealthService& health_;
  const std::string service_;
  std::mutex mu_;
  std::optional<Status> pending_;  // guarded by mu_: to write next
  std::optional<Status> sent_;     // guarded by mu_
  bool writing_ = false;           // guarded by mu_
  bool ending_ = false;            // guarded by mu_
  bool finished_ = false;          // guarded by mu_
  hv1::HealthCheckResponse response_;

  friend class HealthService;
};

HealthService::HealthService() { serving_[""] = true; }

HealthService::Status HealthService::StatusOf(const std::string& service) const {
  if (shut_down_) return hv1::HealthCheckResponse::NOT_SERVING;
  const auto it = serving_.find(service);
  if (it == serving_.end()) return hv1::HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? hv1::HealthCheckResponse::SERVING : hv1::HealthCheckResponse::NOT_SERVING;
}

void HealthService::SetServing(const std::string& service, bool serving) {
  std::lock_guard lock(mu_);
  if (shut_down_) return;
  serving_[service] = serving;
  const std::set<Watcher*> watchers = watchers_;  // OnDone may remove one inside Update
  for (Watcher* w : watchers) {
    if (w->service_ == service) w->Update(StatusOf(service), false);
  }
}

void HealthService::Shutdown() {
  std::lock_guard lock(mu_);
  shut_down_ = true;
  const std::set<Watcher*> watchers = watchers_;
  for (Watcher* w : watchers) w->Update(hv1::HealthCheckResponse::NOT_SERVING, true);
}

void HealthService::Remove(Watcher* watcher) {
  std::lock_guard lock(mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const hv1::HealthCheckRequest* request,
                                               hv1::HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Status status;
  {
    std::lock_guard lock(mu_);
    status = StatusOf(request->service());
  }
  if (status == hv1::HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<hv1::HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*context*/, const hv1::HealthCheckRequest* request) {
  auto* watcher = new Watcher(*this, request->service());
  std::lock_guard lock(mu_);
  watchers_.insert(watcher);
  watcher->Update(StatusOf(request->service()), shut_down_);
  return watcher;
}

}  // namespace giia::server
