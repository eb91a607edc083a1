#pragma once
// grpc.health.v1 (Check and Watch), ours instead of gRPC's default service:
// that one keeps a Watch stream open through Server::Shutdown, so every
// client that watches (the catalog's auth client does) held a SIGTERM for
// the whole SHUTDOWN_TIMEOUT. Here Shutdown() sends every watcher
// NOT_SERVING and ends its stream.
//
// "" (the whole server) is SERVING from the start, as in gRPC's default
// service; other services are unknown until SetServing names them: Check
// answers NOT_FOUND for them, Watch SERVICE_UNKNOWN. Thread-safe.

#include <grpcpp/grpcpp.h>

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace giia::server {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  class Watcher;

  HealthService();
  // Watch streams still open must be ended by Shutdown() and the server's
  // shutdown before this is destroyed.
  ~HealthService() override = default;

  void SetServing(const std::string& service, bool serving);
  // Every service NOT_SERVING from now on (SetServing is ignored after);
  // each open Watch stream gets NOT_SERVING, then ends with OK.
  void Shutdown();

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  friend class Watcher;
  Status StatusOf(const std::string& service) const;  // mu_ held
  void Remove(Watcher* watcher);

  // Recursive: a watcher's OnDone (which removes it) may run inside a call
  // this service makes on it while holding the lock.
  mutable std::recursive_mutex mu_;
  std::map<std::string, bool> serving_;  // guarded by mu_
  bool shut_down_ = false;               // guarded by mu_
  std::set<Watcher*> watchers_;          // guarded by mu_
};

}  // namespace giia::server
