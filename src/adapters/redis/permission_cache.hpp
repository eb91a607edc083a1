#pragma once
// The shared permission cache in Redis, and the listener every replica runs
// to hear about invalidations.
//
//   key      <prefix>auth:perm:v1:<organization>:<user>
//   value    {"r":[roles...],"p":[permissions...]} (JSON), SET with EX ttl
//   channel  <prefix>auth:perm:invalidate, message "<organization> <user>"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "adapters/redis/client.hpp"
#include "core/auth/permission_cache.hpp"

namespace giia::redis {

// "<key_prefix>auth:perm:invalidate"
std::string InvalidationChannel(const std::string& key_prefix);

// Thread-safe (all state is in Redis and the client). `client` must outlive it.
class RedisPermissionCache final : public auth::SharedPermissionCache {
 public:
  explicit RedisPermissionCache(RedisClient& client) : client_(client) {}

  // A value that does not decode (foreign or corrupt) is a miss; it is
  // deleted so the next Put replaces it. Errors: kUnavailable.
  [[nodiscard]] Result<std::optional<auth::ResolvedPermissions>> Get(
      const OrganizationId& organization, const UserId& user) override;
  // SET key value EX ttl. Errors: kInvalidArgument (field "ttl") when
  // ttl < 1 s; kUnavailable.
  [[nodiscard]] Status Put(const OrganizationId& organization, const UserId& user,
                           const auth::ResolvedPermissions& value,
                           std::chrono::seconds ttl) override;
  // DEL key, then PUBLISH "<organization> <user>" on the channel, in one
  // round trip. Errors: kUnavailable (then neither may have happened).
  [[nodiscard]] Status Invalidate(const OrganizationId& organization, const UserId& user) override;

  // The Redis key of one entry.
  std::string KeyFor(const OrganizationId& organization, const UserId& user) const;

 private:
  RedisClient& client_;
};

// SUBSCRIBEs to the invalidation channel on its own connection and thread,
// and calls `on_invalidate` (on that thread) once per message with the
// (organization, user) to drop, or with nullopt meaning "drop everything".
//
// nullopt is delivered once after every subscription that follows a time of
// not being subscribed (a lost connection, or a first attempt that failed),
// because invalidations published meanwhile were missed. It is not
// delivered after a first attempt that succeeded. A message that does not
// decode is also delivered as nullopt.
//
// While Redis is down it reconnects with the options' backoff (no busy
// loop); a silent connection is detected by a PING every ping_interval.
// Never throws: exceptions from the callback are swallowed.
//
// Start/Stop are called from one thread (the owner's); the destructor stops.
class InvalidationListener {
 public:
  using Invalidation = std::optional<std::pair<OrganizationId, UserId>>;
  using Callback = std::function<void(const Invalidation&)>;

  InvalidationListener(RedisOptions options, Callback on_invalidate,
                       std::chrono::milliseconds ping_interval = std::chrono::seconds(5));
  ~InvalidationListener();
  InvalidationListener(const InvalidationListener&) = delete;
  InvalidationListener& operator=(const InvalidationListener&) = delete;

  // Starts the thread and waits (about connect + command timeout, at most)
  // for the first subscription. Ok when subscribed. Errors: kUnavailable
  // when the first attempt failed (the thread keeps retrying in the
  // background: no need to call Start again); kFailedPrecondition when
  // already started.
  [[nodiscard]] Status Start();
  // Stops and joins the thread; prompt (it wakes the thread), at most about
  // one connect timeout when it is connecting. Idempotent.
  void Stop();

  bool subscribed() const { return subscribed_.load(); }
  // Completed subscriptions since construction (1 after a clean start).
  std::int64_t subscriptions() const { return subscriptions_.load(); }

 private:
  void Run();
  Status Subscribe(RedisConnection& conn);
  Status Listen(RedisConnection& conn);
  // Waits for `timeout` or until Stop; true when stopping.
  bool Pause(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the socket to be readable; false on timeout
  // or stop (then check stopping_).
  Result<bool> WaitReadable(RedisConnection& conn, std::chrono::milliseconds timeout);
  void Deliver(const Invalidation& what);
  void FinishFirstAttempt(const Status& result);

  const RedisOptions options_;
  const std::string channel_;
  const Callback on_invalidate_;
  const std::chrono::milliseconds ping_interval_;
  int wake_read_ = -1;  // a pipe: Stop writes, the thread's poll() wakes
  int wake_write_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<std::int64_t> subscriptions_{0};
  std::mutex mu_;
  std::condition_variable first_attempt_done_;
  std::optional<Status> first_attempt_;  // guarded by mu_
};

}  // namespace giia::redis
