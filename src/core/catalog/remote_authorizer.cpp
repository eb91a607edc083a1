#include "core/catalog/remote_authorizer.hpp"

#include <algorithm>
#include <mutex>
#include <variant>

namespace giia::catalog {

RemoteAuthorizer::RemoteAuthorizer(const authz::AccessTokenCodec& tokens, PermissionOracle& oracle,
                                   RemoteAuthorizerOptions options, Clock now)
    : tokens_(tokens), oracle_(oracle), options_(options), now_(std::move(now)) {}

Result<authz::Caller> RemoteAuthorizer::Verify(std::string_view token) {
  if (token.empty()) return MakeError(ErrorCode::kUnauthenticated, "missing bearer token");
  const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto claims = tokens_.Verify(token, unix_now);
  if (!claims) return tl::unexpected(claims.error());
  authz::Caller caller;
  caller.user = UserId(claims->subject);
  caller.organization = OrganizationId(claims->organization);
  caller.email = claims->email;
  caller.token_id = claims->token_id;
  caller.token_version = claims->token_version;
  caller.expires_at = authz::Timestamp(std::chrono::seconds(claims->expires_at));
  {
    std::shared_lock lock(mu_);
    if (!floors_.empty()) {
      auto it = floors_.find(UserKey(caller.organization, caller.user));
      if (it != floors_.end() && caller.token_version < it->second.version &&
          it->second.until > now_()) {
        return MakeError(ErrorCode::kUnauthenticated, "token revoked");
      }
    }
  }
  caller.access_token = std::string(token);
  return caller;
}

std::string RemoteAuthorizer::UserKey(const OrganizationId& org, const UserId& user) {
  std::string key;
  key.reserve(org.value().size() + user.value().size() + 2);
  key += org.value();
  key += '\x1f';
  key += user.value();
  key += '\x1f';
  return key;
}

// organization, user, token version, permission: a decision for one token
// version never answers a token of another.
std::string RemoteAuthorizer::Key(const authz::Caller& caller, const std::string& permission) {
  std::string key = UserKey(caller.organization, caller.user);
  key += std::to_string(caller.token_version);
  key += '\x1f';
  key += permission;
  return key;
}

authz::Decision RemoteAuthorizer::Verdict(const std::vector<authz::Decision>& known) {
  for (const authz::Decision& d : known) {
    if (!d.allowed) return d;
  }
  return known.empty() ? authz::Decision{"", true, "the token holds"} : known.back();
}

Attempt<Result<authz::Decision>> RemoteAuthorizer::Admit(
    const authz::Caller& caller, const std::vector<std::string>& permissions,
    const authz::RequestInfo& req) {
  const auto now = now_();
  std::vector<authz::Decision> known(permissions.size());
  std::vector<std::string> missing;
  std::uint64_t forgets = 0;
  {
    std::shared_lock lock(mu_);
    forgets = forgets_;
    for (std::size_t i = 0; i < permissions.size(); ++i) {
      auto it = cache_.find(Key(caller, permissions[i]));
      if (it != cache_.end() && it->second.expires > now) {
        known[i] = {permissions[i], it->second.allowed, it->second.reason};
      } else {
        missing.push_back(permissions[i]);
      }
    }
  }
  if (missing.empty()) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return Result<authz::Decision>(Verdict(known));
  }
  return Attempt<Result<authz::Decision>>::Later(
      [this, caller, permissions, known = std::move(known), missing = std::move(missing), forgets,
       now, req]() mutable {
        return Ask(caller, permissions, std::move(known), missing, forgets, now, req);
      });
}

Result<authz::Decision> RemoteAuthorizer::Ask(const authz::Caller& caller,
                                              const std::vector<std::string>& permissions,
                                              std::vector<authz::Decision> known,
                                              const std::vector<std::string>& missing,
                                              std::uint64_t forgets,
                                              std::chrono::steady_clock::time_point asked_at,
                                              const authz::RequestInfo& req) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto asked = oracle_.Check(caller, missing, req);
  if (!asked) {
    if (asked.error().code == ErrorCode::kUnavailable ||
        asked.error().code == ErrorCode::kDeadlineExceeded) {
      unavailable_.fetch_add(1, std::memory_order_relaxed);
      return MakeError(
          ErrorCode::kUnavailable,
          "the auth service cannot be asked for permissions: " + asked.error().message);
    }
    return tl::unexpected(asked.error());
  }
  if (asked->size() != missing.size()) {
    return MakeError(ErrorCode::kInternal, "the auth service answered another number of checks");
  }
  std::unique_lock lock(mu_);
  // A Forget() while auth was asked: the answer may predate what changed.
  const bool keep = forgets == forgets_;
  if (keep && cache_.size() + missing.size() > options_.max_entries) cache_.clear();
  const auto expires = asked_at + options_.ttl;
  for (const authz::Decision& d : *asked) {
    if (keep) cache_[Key(caller, d.permission)] = Entry{d.allowed, d.reason, expires};
    for (std::size_t i = 0; i < permissions.size(); ++i) {
      if (permissions[i] == d.permission) known[i] = d;
    }
  }
  return Verdict(known);
}

void RemoteAuthorizer::Forget(const OrganizationId& org, const UserId& user) {
  const std::string prefix = UserKey(org, user);
  std::unique_lock lock(mu_);
  ++forgets_;
  std::erase_if(cache_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
}

void RemoteAuthorizer::RevokeBelow(const OrganizationId& org, const UserId& user,
                                   std::int64_t version) {
  const auto now = now_();
  std::unique_lock lock(mu_);
  if (floors_.size() >= options_.max_entries) {
    std::erase_if(floors_, [&](const auto& f) { return f.second.until <= now; });
    if (floors_.size() >= options_.max_entries) {
      // Full of live floors: they are dropped, and the cached decisions with
      // them, so every request asks auth again (which refuses what is
      // revoked) until the floors are learnt anew.
      floors_.clear();
      cache_.clear();
    }
  }
  Floor& f = floors_[UserKey(org, user)];
  f.version = std::max(f.version, version);
  f.until = now + options_.revocation_memory;
}

void RemoteAuthorizer::OnAuthEvent(const events::Event& event) {
  if (event.service != "auth" || event.organization_id.empty() || event.aggregate_id.empty()) {
    return;
  }
  const OrganizationId org(event.organization_id);
  const UserId user(event.aggregate_id);
  if (event.type == "user.sessions_revoked") {
    if (const events::Value* v = event.Find("token_version")) {
      if (const auto* version = std::get_if<std::int64_t>(v)) RevokeBelow(org, user, *version);
    }
  }
  Forget(org, user);
}

RemoteAuthorizer::Stats RemoteAuthorizer::stats() const {
  return {hits_.load(), misses_.load(), unavailable_.load()};
}

}  // namespace giia::catalog
