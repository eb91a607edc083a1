#include "core/auth/permissions.hpp"

#include <algorithm>
#include <mutex>

namespace giia::auth {

PermissionResolver::PermissionResolver(AccountStore& store, SharedPermissionCache* shared,
                                       std::chrono::seconds ttl)
    : store_(store), shared_(shared), ttl_(ttl) {
  if (shared_ != nullptr) shared_writes_ = std::make_unique<SerialWorker>(kMaxSharedWrites);
}

PermissionResolver::~PermissionResolver() {
  if (shared_writes_ != nullptr) shared_writes_->DropQueued();
}

std::string PermissionResolver::Key(const OrganizationId& org, const UserId& user) {
  return org.value() + '\x1f' + user.value();
}

Attempt<Result<PermissionResolver::Resolved>> PermissionResolver::Find(const OrganizationId& org,
                                                                       const UserId& user) {
  {
    const std::string key = Key(org, user);
    const auto now = std::chrono::steady_clock::now();
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.expires > now) {
      local_hits_.fetch_add(1, std::memory_order_relaxed);
      return Result<Resolved>(it->second.value);
    }
  }
  // A change after this point makes what is read too old to keep.
  const std::uint64_t epoch = epoch_.load();
  misses_.fetch_add(1, std::memory_order_relaxed);
  return store_.FindPermissions(org, user).Then(
      [this, org, user,
       epoch](Result<std::optional<ResolvedPermissions>> read) -> Attempt<Result<Resolved>> {
        if (!read) {
          if (shared_ == nullptr || read.error().code != ErrorCode::kUnavailable) {
            return Result<Resolved>(tl::unexpected(read.error()));
          }
          return Attempt<Result<Resolved>>::Later([this, org, user, epoch, error = read.error()] {
            return FromShared(org, user, epoch, error);
          });
        }
        if (!*read) return Result<Resolved>(Resolved());
        auto value = std::make_shared<const ResolvedPermissions>(std::move(**read));
        Store(Key(org, user), value, epoch);
        PutShared(org, user, value, epoch);
        return Result<Resolved>(std::move(value));
      });
}

Result<std::optional<ResolvedPermissions>> PermissionResolver::Get(const OrganizationId& org,
                                                                   const UserId& user) {
  auto found = Find(org, user).Finish();
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::optional<ResolvedPermissions>();
  return std::optional<ResolvedPermissions>(**found);
}

Result<PermissionResolver::Resolved> PermissionResolver::FromShared(const OrganizationId& org,
                                                                    const UserId& user,
                                                                    std::uint64_t epoch,
                                                                    const Error& unavailable) {
  auto cached = shared_->Get(org, user);
  if (!cached) shared_errors_.fetch_add(1, std::memory_order_relaxed);
  if (!cached || !cached->has_value()) return tl::unexpected(unavailable);
  shared_hits_.fetch_add(1, std::memory_order_relaxed);
  auto value = std::make_shared<const ResolvedPermissions>(std::move(**cached));
  Store(Key(org, user), value, epoch);
  return Resolved(std::move(value));
}

void PermissionResolver::PutShared(const OrganizationId& org, const UserId& user,
                                   const Resolved& value, std::uint64_t epoch) {
  if (shared_ == nullptr) return;
  const bool queued = shared_writes_->Post([this, org, user, value, epoch] {
    if (epoch_.load() != epoch) return;  // changed since it was read
    // A failed Put only leaves the shared copy missing.
    if (!shared_->Put(org, user, *value, ttl_)) {
      shared_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  });
  if (!queued) shared_dropped_.fetch_add(1, std::memory_order_relaxed);
}

void PermissionResolver::Store(const std::string& key, const Resolved& value, std::uint64_t epoch) {
  std::unique_lock lock(mu_);
  if (epoch_.load() != epoch) return;  // invalidated while we were reading
  entries_[key] = Entry{value, std::chrono::steady_clock::now() + ttl_};
}

void PermissionResolver::Invalidate(const OrganizationId& org, const UserId& user) {
  // The shared copy first: a local miss right after must not find the old one there.
  if (shared_ != nullptr && !shared_->Invalidate(org, user)) {
    shared_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  Drop(org, user);
}

void PermissionResolver::Drop(const OrganizationId& org, const UserId& user) {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1);
  entries_.erase(Key(org, user));
}

void PermissionResolver::DropAll() {
  std::unique_lock lock(mu_);
  epoch_.fetch_add(1);
  entries_.clear();
}

PermissionResolver::Stats PermissionResolver::stats() const {
  Stats s;
  s.local_hits = local_hits_.load();
  s.shared_hits = shared_hits_.load();
  s.misses = misses_.load();
  s.shared_errors = shared_errors_.load();
  s.shared_dropped = shared_dropped_.load();
  std::shared_lock lock(mu_);
  s.entries = entries_.size();
  return s;
}

bool Holds(const ResolvedPermissions& permissions, const std::string& permission) {
  return std::binary_search(permissions.permissions.begin(), permissions.permissions.end(),
                            permission);
}

}  // namespace giia::auth
