#pragma once
// A user's roles, permissions, token version and status, resolved per
// (organization, user) through three layers: this process's memory, the
// database and the shared cache (Redis, optional). A hit in memory takes a
// shared lock and no I/O; nothing a login does holds that lock.
//
// A miss reads the database (AccountStore::FindPermissions: one prepared
// primary-key read, answered without a thread where the store is
// asynchronous) and keeps the answer here and, written off the call's path
// by a thread of its own, in the shared cache. The shared cache answers
// when the database cannot (kUnavailable): a user seen by any replica in
// the last TTL is still answered while PostgreSQL fails over. A shared GET
// before every database read would cost a round trip to save one that
// costs the same (docs/BENCHMARKS.md, check-permission-cold).
//
// Invalidation: Invalidate() after a change drops the entry here and in the
// shared cache, which tells every replica to Drop() it. A fill that raced an
// invalidation is not stored (an epoch counter guards it).

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/auth/accounts.hpp"
#include "core/common/attempt.hpp"
#include "core/common/serial_worker.hpp"

namespace giia::auth {

class PermissionResolver {
 public:
  // `shared` may be null (no Redis). Both must outlive this object.
  PermissionResolver(AccountStore& store, SharedPermissionCache* shared, std::chrono::seconds ttl);

  // What Find answers with: null when the user is not a live user of the
  // organization. Shared, never changed: an invalidation replaces it.
  using Resolved = std::shared_ptr<const ResolvedPermissions>;
  // From this process's memory at once; otherwise the store's read (which
  // may complete on the store's I/O thread), then, when the database is
  // unavailable, the shared cache on a thread that may wait. Errors:
  // kUnavailable when the database is needed and down and the shared cache
  // has no copy; as AccountStore::FindPermissions.
  [[nodiscard]] Attempt<Result<Resolved>> Find(const OrganizationId& org, const UserId& user);
  // Shared-cache writes not yet started are dropped, so a Redis that has
  // gone away cannot hold shutdown for a queue of them.
  ~PermissionResolver();
  // Find() to the end, as a copy: for callers on a thread that may wait.
  [[nodiscard]] Result<std::optional<ResolvedPermissions>> Get(const OrganizationId& org,
                                                               const UserId& user);
  // After a change to the user's roles, password or status (call after commit).
  void Invalidate(const OrganizationId& org, const UserId& user);
  // From the shared cache's listener: another replica changed this user, or
  // (nullopt) invalidations may have been missed.
  void Drop(const OrganizationId& org, const UserId& user);
  void DropAll();

  struct Stats {
    std::uint64_t local_hits = 0;
    std::uint64_t shared_hits = 0;
    std::uint64_t misses = 0;  // went to the database
    std::uint64_t shared_errors = 0;
    std::uint64_t shared_dropped = 0;  // copies not written: the writer's queue was full
    std::size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::shared_ptr<const ResolvedPermissions> value;
    std::chrono::steady_clock::time_point expires;
  };
  static std::string Key(const OrganizationId& org, const UserId& user);
  // The shared cache's copy, when the database was `unavailable`; waits.
  Result<Resolved> FromShared(const OrganizationId& org, const UserId& user, std::uint64_t epoch,
                              const Error& unavailable);
  // Queues the shared cache's copy of what the database answered.
  void PutShared(const OrganizationId& org, const UserId& user, const Resolved& value,
                 std::uint64_t epoch);
  void Store(const std::string& key, const Resolved& value, std::uint64_t epoch);

  static constexpr std::size_t kMaxSharedWrites = 4096;

  AccountStore& store_;
  SharedPermissionCache* shared_;
  std::chrono::seconds ttl_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::uint64_t> local_hits_{0}, shared_hits_{0}, misses_{0}, shared_errors_{0},
      shared_dropped_{0};
  // Writes to the shared cache (null without one); last, so that it drains
  // its queue and joins before the members its jobs use go.
  std::unique_ptr<SerialWorker> shared_writes_;
};

// True when `permissions` (sorted) holds `permission`.
bool Holds(const ResolvedPermissions& permissions, const std::string& permission);

}  // namespace giia::auth
