#pragma once
// An AccountStore whose only working query is Resolve (a Viewer's
// permissions, for any user): for the permission resolver's unit tests and
// micro-benchmarks. Every other repository method aborts.

#include <cstdlib>
#include <functional>
#include <optional>
#include <vector>

#include "core/auth/accounts.hpp"

namespace giia::testing {

class ResolveOnlyTx final : public giia::auth::AccountTx, giia::auth::AccountRepository {
 public:
  giia::auth::AccountRepository& accounts() override { return *this; }
  giia::events::OutboxWriter& outbox() override { std::abort(); }
  giia::Result<std::optional<giia::auth::ResolvedPermissions>> Resolve(
      const giia::OrganizationId&, const giia::UserId&) override {
    giia::auth::ResolvedPermissions p;
    p.roles = {"Viewer"};
    p.permissions = {"buffers:read", "catalog:read", "reports:read"};
    p.active = true;
    return std::optional<giia::auth::ResolvedPermissions>(p);
  }
#define GIIA_UNUSED(sig) \
  sig override { std::abort(); }
  GIIA_UNUSED(giia::Result<giia::auth::Organization> CreateOrganization(const std::string&,
                                                                        const std::string&))
  GIIA_UNUSED(giia::Result<std::optional<giia::auth::Organization>> GetOrganization(
      const giia::OrganizationId&))
  GIIA_UNUSED(giia::Result<int> PurgeExpiredRegistrations(const std::string&, const std::string&,
                                                          giia::auth::Timestamp))
  GIIA_UNUSED(giia::Result<giia::UserId> InsertUser(const giia::auth::NewUser&))
  GIIA_UNUSED(giia::Result<std::optional<giia::auth::UserRecord>> GetUser(
      const giia::OrganizationId&, const giia::UserId&))
  GIIA_UNUSED(giia::Result<std::vector<giia::auth::UserRecord>> GetUsers(
      const giia::OrganizationId&, const std::vector<giia::UserId>&))
  GIIA_UNUSED(giia::Result<std::optional<giia::auth::UserRecord>> GetUserByEmail(
      const giia::OrganizationId&, const std::string&))
  GIIA_UNUSED(giia::Result<giia::auth::UserPage> ListUsers(const giia::OrganizationId&,
                                                           std::optional<giia::auth::UserStatus>,
                                                           int, int))
  GIIA_UNUSED(giia::Result<std::optional<giia::auth::Credentials>> LockCredentialsByEmail(
      const std::string&))
  GIIA_UNUSED(
      giia::Result<std::optional<giia::auth::Credentials>> LockCredentials(const giia::UserId&))
  GIIA_UNUSED(giia::Status SaveFailedAttempts(const giia::UserId&, int,
                                              std::optional<giia::auth::Timestamp>))
  GIIA_UNUSED(giia::Status RecordLogin(const giia::UserId&, giia::auth::Timestamp))
  GIIA_UNUSED(giia::Result<std::int64_t> SetPassword(const giia::UserId&, const std::string&))
  GIIA_UNUSED(giia::Result<std::int64_t> BumpTokenVersion(const giia::UserId&))
  GIIA_UNUSED(giia::Status Activate(const giia::UserId&, giia::auth::Timestamp))
  GIIA_UNUSED(giia::Result<bool> AssignRole(const giia::OrganizationId&, const giia::UserId&,
                                            const std::string&, const std::optional<giia::UserId>&))
  GIIA_UNUSED(giia::Result<std::optional<int>> RoleLevel(const giia::OrganizationId&,
                                                         const std::string&))
  GIIA_UNUSED(giia::Result<std::optional<int>> HighestLevel(const giia::OrganizationId&,
                                                            const giia::UserId&))
  GIIA_UNUSED(
      giia::Result<std::vector<giia::UserId>> LockTopRankHolders(const giia::OrganizationId&))
  GIIA_UNUSED(giia::Result<bool> RevokeRole(const giia::OrganizationId&, const giia::UserId&,
                                            const std::string&))
  GIIA_UNUSED(giia::Result<std::string> InsertRefresh(const giia::auth::NewRefresh&))
  GIIA_UNUSED(giia::Result<std::optional<giia::auth::RefreshSession>> LockRefreshSession(
      const std::string&))
  GIIA_UNUSED(giia::Status RotateRefresh(const std::string&, giia::auth::Timestamp,
                                         const giia::auth::NewRefresh&))
  GIIA_UNUSED(giia::Status RevokeFamily(const std::string&, const std::string&))
  GIIA_UNUSED(giia::Status RevokeAllRefresh(const giia::UserId&, const std::string&))
  GIIA_UNUSED(giia::Status InsertVerification(const giia::UserId&, const std::string&,
                                              giia::auth::Timestamp))
  GIIA_UNUSED(giia::Result<std::optional<giia::UserId>> ConsumeVerification(const std::string&,
                                                                            giia::auth::Timestamp))
#undef GIIA_UNUSED
};

class ResolveOnlyStore final : public giia::auth::AccountStore {
 public:
  using Found = giia::Result<std::optional<giia::auth::ResolvedPermissions>>;
  int reads = 0;                    // Read() calls: the times the resolver went to the store
  std::function<void()> on_read;    // when set, runs inside each Read()
  std::optional<giia::Error> fail;  // when set, every Read() answers it
  // When true, FindPermissions answers asynchronously: each call leaves its
  // deliver in `pending`, for the test to call with an answer.
  bool asynchronous = false;
  std::vector<giia::Attempt<Found>::Deliver> pending;

  giia::Attempt<Found> FindPermissions(const giia::OrganizationId& org,
                                       const giia::UserId& user) override {
    if (!asynchronous) return AccountStore::FindPermissions(org, user);
    return giia::Attempt<Found>::Async(
        [this](giia::Attempt<Found>::Deliver deliver) { pending.push_back(std::move(deliver)); });
  }
  giia::Status Run(const std::function<giia::Status(giia::auth::AccountTx&)>& work) override {
    ResolveOnlyTx tx;
    return work(tx);
  }
  giia::Status Read(
      const std::function<giia::Status(giia::auth::AccountRepository&)>& work) override {
    ++reads;
    if (on_read) on_read();
    if (fail) return tl::unexpected(*fail);
    ResolveOnlyTx tx;
    return work(tx.accounts());
  }
};

}  // namespace giia::testing
