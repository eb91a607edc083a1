#include "core/auth/permissions.hpp"

#include <algorithm>
#include <mutex>

namespace giia::auth {

PermissionResolver::PermissionResolver(AccountStore& store, SharedPermissionCache* shared,
                                       std::chrono::seconds ttl)
    : store_(store), shared_(shared), ttl_(ttl) {}

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
  return Attempt<Result<Resolved>>::Later([this, org, user] { return Load(org, user); });
}

Result<std::optional<ResolvedPermissions>> PermissionResolver::Get(const OrganizationId& org,
                                                                   const UserId& user) {
  auto found = Find(org, user).Finish();
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::optional<ResolvedPermissions>();
  return std::optional<ResolvedPermissions>(**found);
}

Result<PermissionResolver::Resolved> PermissionResolver::Load(const OrganizationId& org,
                                                              const UserId& user) {
  const std::string key = Key(org, user);
  const std::uint64_t epoch = epoch_.load();
  if (shared_ != nullptr) {
    auto cached = shared_->Get(org, user);
    if (cached && cached->has_value()) {
      shared_hits_.fetch_add(1, std::memory_order_relaxed);
      auto value = std::make_shared<const ResolvedPermissions>(std::move(**cached));
      Store(key, value, epoch);
      return Resolved(std::move(value));
    }
    if (!cached) shared_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  std::optional<ResolvedPermissions> resolved;
  Status status = store_.Read([&](AccountRepository& repo) -> Status {
    auto r = repo.Resolve(org, user);
    if (!r) return tl::unexpected(r.error());
    resolved = std::move(*r);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  if (!resolved) return Resolved();
  if (epoch_.load() == epoch) {
    // A failed Put only costs the next replica a database read.
    if (shared_ != nullptr && !shared_->Put(org, user, *resolved, ttl_)) {
      shared_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  auto value = std::make_shared<const ResolvedPermissions>(std::move(*resolved));
  Store(key, value, epoch);
  return Resolved(std::move(value));
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
  std::shared_lock lock(mu_);
  s.entries = entries_.size();
  return s;
}

bool Holds(const ResolvedPermissions& permissions, const std::string& permission) {
  return std::binary_search(permissions.permissions.begin(), permissions.permissions.end(),
                            permission);
}

}  // namespace giia::auth
