#pragma once
// How the catalog authorizes a request: the access token is verified locally
// (the same pinned codec auth signs with), and permission decisions come from
// the auth service, asked on the caller's behalf and kept for a short TTL.
// Auth unreachable: decisions still in the cache keep serving until they
// expire; then the request fails UNAVAILABLE. Never open. What auth says
// changed about a user (its events: a role, the password, a lock) drops
// that user's decisions at once, so the TTL bounds only a missed event.
// Revocation: a decision is kept per token version (one cached for a token
// of version 3 never answers a token of version 4), and auth's
// user.sessions_revoked event sets the user's minimum version here, so a
// token older than it is refused before any cache is looked at.

#include <atomic>
#include <chrono>
#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/authz/access_token.hpp"
#include "core/authz/authorizer.hpp"
#include "core/events/event.hpp"

namespace giia::catalog {

// The auth service's answer for the caller's own permissions.
class PermissionOracle {
 public:
  virtual ~PermissionOracle() = default;
  // One decision per permission, in order. `caller.access_token` is presented.
  // Errors: kUnauthenticated when auth refuses the token (revoked, user
  // inactive); kUnavailable when auth cannot be asked.
  [[nodiscard]] virtual Result<std::vector<authz::Decision>> Check(
      const authz::Caller& caller, const std::vector<std::string>& permissions,
      const authz::RequestInfo& req) = 0;
};

struct RemoteAuthorizerOptions {
  std::chrono::milliseconds ttl{30'000};
  std::size_t max_entries = 100'000;  // the cache is emptied when it grows past this
  // How long a minimum token version is remembered: longer than any access
  // token lives (they are refused by their expiry after that).
  std::chrono::milliseconds revocation_memory{24 * 3600 * 1000};
};

class RemoteAuthorizer final : public authz::RequestAuthorizer {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  RemoteAuthorizer(
      const authz::AccessTokenCodec& tokens, PermissionOracle& oracle,
      RemoteAuthorizerOptions options, Clock now = [] { return std::chrono::steady_clock::now(); });

  // Signature and claims, locally; no I/O. Errors: kUnauthenticated, also
  // for a token older than its user's minimum version.
  [[nodiscard]] Result<authz::Caller> Verify(std::string_view token) override;
  // Fresh cached decisions answer at once; the rest asks auth for the others
  // in one call.
  [[nodiscard]] Attempt<Result<authz::Decision>> Admit(const authz::Caller& caller,
                                                       const std::vector<std::string>& permissions,
                                                       const authz::RequestInfo& req) override;

  // Drops every decision kept about this user; the next request asks auth.
  // A decision asked before and answered after is not kept either.
  void Forget(const OrganizationId& org, const UserId& user);
  // Forget() for the user an auth event is about: every auth event names its
  // organization and, as the aggregate, its user. Other events are ignored.
  // user.sessions_revoked also raises the user's minimum token version.
  void OnAuthEvent(const events::Event& event);
  // Tokens of `user` with a version below `version` are refused from now on.
  void RevokeBelow(const OrganizationId& org, const UserId& user, std::int64_t version);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t unavailable = 0;  // refused because auth could not be asked
  };
  Stats stats() const;

 private:
  struct Entry {
    bool allowed = false;
    std::string reason;
    std::chrono::steady_clock::time_point expires;
  };
  struct Floor {
    std::int64_t version = 0;
    std::chrono::steady_clock::time_point until;
  };
  static std::string Key(const authz::Caller& caller, const std::string& permission);
  // The first denial among `known`, or its last (allowed) decision.
  static authz::Decision Verdict(const std::vector<authz::Decision>& known);
  // The part of Admit that waits: asks auth for `missing` and keeps the
  // answers unless a Forget() came in between (`forgets`, read before).
  Result<authz::Decision> Ask(const authz::Caller& caller,
                              const std::vector<std::string>& permissions,
                              std::vector<authz::Decision> known,
                              const std::vector<std::string>& missing, std::uint64_t forgets,
                              std::chrono::steady_clock::time_point asked_at,
                              const authz::RequestInfo& req);
  static std::string UserKey(const OrganizationId& org, const UserId& user);

  const authz::AccessTokenCodec& tokens_;
  PermissionOracle& oracle_;
  RemoteAuthorizerOptions options_;
  Clock now_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> cache_;   // guarded by mu_
  std::uint64_t forgets_ = 0;                      // guarded by mu_: Forget() calls so far
  std::unordered_map<std::string, Floor> floors_;  // guarded by mu_: minimum versions
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, unavailable_{0};
};

}  // namespace giia::catalog
