#pragma once
// The ports the account use cases (core/auth/service.hpp) work through: one
// transaction at a time over users, organizations, roles, refresh and
// verification tokens and the outbox, plus the secrets they mint.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/permission_cache.hpp"
#include "core/auth/ports.hpp"
#include "core/common/attempt.hpp"
#include "core/common/ids.hpp"
#include "core/common/result.hpp"
#include "core/events/event.hpp"

namespace giia::auth {

using Timestamp = std::chrono::system_clock::time_point;

struct Organization {
  OrganizationId id{""};
  std::string name;
  std::string slug;
};

struct UserRecord {
  UserId id{""};
  OrganizationId organization{""};
  std::string email;
  std::string first_name;
  std::string last_name;
  UserStatus status = UserStatus::kPending;
  bool email_verified = false;
  std::vector<std::string> roles;  // names, sorted
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> last_login_at;
};

// What a login or a password change needs about a user, read under a row lock.
struct Credentials {
  UserRecord user;
  std::string password_hash;
  int failed_attempts = 0;
  std::optional<Timestamp> locked_until;
  std::int64_t token_version = 0;
};

struct UserPage {
  std::vector<UserRecord> users;
  std::int64_t total = 0;
};

struct RefreshRecord {
  std::string id;
  UserId user{""};
  OrganizationId organization{""};
  std::string family;
  int generation = 0;
  Timestamp expires_at;
  std::optional<Timestamp> rotated_at;
  std::optional<Timestamp> revoked_at;
  std::optional<Timestamp> family_expires_at;  // the session's absolute end; none for old ones
};

struct NewRefresh {
  UserId user{""};
  OrganizationId organization{""};
  std::string token_hash;  // hex SHA-256 of the token; the token itself is never stored
  std::string family;      // empty: a new family (a login)
  int generation = 0;
  Timestamp expires_at;
  std::string user_agent;
  std::string ip_address;
  std::optional<Timestamp> family_expires_at;
};

// A refresh token with what deciding its fate needs: the token and its
// family's newest generation, both locked FOR UPDATE, and its user, locked
// FOR SHARE (a change to the user waits; other sessions of the user do not).
struct RefreshSession {
  RefreshRecord presented;
  RefreshRecord latest;
  std::optional<Credentials> user;  // nullopt: the user is gone
};

class AccountRepository {
 public:
  virtual ~AccountRepository() = default;

  // --- organizations
  // Errors: kAlreadyExists (field organization_slug) when the slug is taken.
  [[nodiscard]] virtual Result<Organization> CreateOrganization(const std::string& name,
                                                                const std::string& slug) = 0;
  [[nodiscard]] virtual Result<std::optional<Organization>> GetOrganization(
      const OrganizationId& id) = 0;
  // Deletes registrations never verified and made before `cutoff` that hold
  // `email` or the organization slug `slug`: the pending users, and their
  // organizations once no user is left in them. Returns how many users went.
  [[nodiscard]] virtual Result<int> PurgeExpiredRegistrations(const std::string& email,
                                                              const std::string& slug,
                                                              Timestamp cutoff) = 0;

  // --- users (every read is scoped to an organization, except by e-mail for login)
  // Errors: kAlreadyExists (field email) when a live user has the e-mail.
  [[nodiscard]] virtual Result<UserId> InsertUser(const NewUser& user) = 0;
  [[nodiscard]] virtual Result<std::optional<UserRecord>> GetUser(const OrganizationId& org,
                                                                  const UserId& id) = 0;
  [[nodiscard]] virtual Result<std::vector<UserRecord>> GetUsers(
      const OrganizationId& org, const std::vector<UserId>& ids) = 0;
  [[nodiscard]] virtual Result<std::optional<UserRecord>> GetUserByEmail(
      const OrganizationId& org, const std::string& email) = 0;
  // Page is 1-based.
  [[nodiscard]] virtual Result<UserPage> ListUsers(const OrganizationId& org,
                                                   std::optional<UserStatus> status, int page,
                                                   int page_size) = 0;
  // The live user with this e-mail, row-locked until the transaction ends.
  [[nodiscard]] virtual Result<std::optional<Credentials>> LockCredentialsByEmail(
      const std::string& email) = 0;
  [[nodiscard]] virtual Result<std::optional<Credentials>> LockCredentials(const UserId& id) = 0;
  [[nodiscard]] virtual Status SaveFailedAttempts(const UserId& id, int failed_attempts,
                                                  std::optional<Timestamp> locked_until) = 0;
  // Clears failed attempts and any lock; sets last_login_at.
  [[nodiscard]] virtual Status RecordLogin(const UserId& id, Timestamp at) = 0;
  // Stores a new hash and bumps the token version (outstanding tokens die).
  // Both return the new token version.
  [[nodiscard]] virtual Result<std::int64_t> SetPassword(const UserId& id,
                                                         const std::string& hash) = 0;
  [[nodiscard]] virtual Result<std::int64_t> BumpTokenVersion(const UserId& id) = 0;
  // Status active, e-mail verified at `at`.
  [[nodiscard]] virtual Status Activate(const UserId& id, Timestamp at) = 0;

  // --- roles and permissions
  // NotFound when the user is not a live user of `org`.
  [[nodiscard]] virtual Result<std::optional<ResolvedPermissions>> Resolve(
      const OrganizationId& org, const UserId& user) = 0;
  // True when the role was newly given. Errors: kNotFound (field role) for a
  // role that is neither global nor the organization's.
  [[nodiscard]] virtual Result<bool> AssignRole(const OrganizationId& org, const UserId& user,
                                                const std::string& role,
                                                const std::optional<UserId>& assigned_by) = 0;
  // The level of the role named `role` for `org` (the organization's own
  // role, else the global one); nullopt when there is none. 1 ranks highest.
  [[nodiscard]] virtual Result<std::optional<int>> RoleLevel(const OrganizationId& org,
                                                             const std::string& role) = 0;
  // The user's rank in `org`: the smallest level among its roles; nullopt
  // when it has none.
  [[nodiscard]] virtual Result<std::optional<int>> HighestLevel(const OrganizationId& org,
                                                                const UserId& user) = 0;
  // The live users of `org` that hold a level-1 role (a user once per such
  // role), their grants locked until the transaction ends, so that two
  // concurrent revocations cannot both see another holder.
  [[nodiscard]] virtual Result<std::vector<UserId>> LockTopRankHolders(
      const OrganizationId& org) = 0;
  // True when the user had the role.
  [[nodiscard]] virtual Result<bool> RevokeRole(const OrganizationId& org, const UserId& user,
                                                const std::string& role) = 0;

  // --- refresh tokens
  [[nodiscard]] virtual Result<std::string> InsertRefresh(const NewRefresh& token) = 0;  // family
  // The session of the token with this hash, locked until the transaction
  // ends (nullopt: no such token).
  [[nodiscard]] virtual Result<std::optional<RefreshSession>> LockRefreshSession(
      const std::string& token_hash) = 0;
  // Marks token `rotated_id` rotated at `at` and stores its successor.
  [[nodiscard]] virtual Status RotateRefresh(const std::string& rotated_id, Timestamp at,
                                             const NewRefresh& successor) = 0;
  [[nodiscard]] virtual Status RevokeFamily(const std::string& family,
                                            const std::string& reason) = 0;
  [[nodiscard]] virtual Status RevokeAllRefresh(const UserId& user, const std::string& reason) = 0;

  // --- e-mail verification tokens
  [[nodiscard]] virtual Status InsertVerification(const UserId& user, const std::string& token_hash,
                                                  Timestamp expires_at) = 0;
  // The user of an unused, unexpired token, which is marked used.
  [[nodiscard]] virtual Result<std::optional<UserId>> ConsumeVerification(
      const std::string& token_hash, Timestamp now) = 0;
};

class AccountTx {
 public:
  virtual ~AccountTx() = default;
  virtual AccountRepository& accounts() = 0;
  virtual events::OutboxWriter& outbox() = 0;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // As AuthTransactionRunner::Run: one transaction, committed when `work`
  // succeeds; may run `work` again after a serialization conflict.
  [[nodiscard]] virtual Status Run(const std::function<Status(AccountTx& tx)>& work) = 0;
  // Runs `work` outside a transaction, for a read of one statement (a
  // statement is a consistent snapshot by itself): no BEGIN and COMMIT.
  [[nodiscard]] virtual Status Read(const std::function<Status(AccountRepository& repo)>& work) = 0;

  // AccountRepository::Resolve, for a server thread that must not wait: a
  // store with asynchronous I/O answers through Attempt::Async, on its I/O
  // thread. Errors: as Resolve. This default is the rest of a Read().
  [[nodiscard]] virtual Attempt<Result<std::optional<ResolvedPermissions>>> FindPermissions(
      const OrganizationId& org, const UserId& user) {
    using Found = Result<std::optional<ResolvedPermissions>>;
    return Attempt<Found>::Later([this, org, user]() -> Found {
      Found found;
      auto ok = Read([&](AccountRepository& repo) -> Status {
        found = repo.Resolve(org, user);
        return Ok();
      });
      if (!ok) return tl::unexpected(ok.error());
      return found;
    });
  }

  // What a refresh does with a locked session: token `rotated_id` is
  // marked rotated at `at` and `successor` stored (RotateRefresh).
  struct Rotation {
    std::string rotated_id;
    Timestamp at;
    NewRefresh successor;
  };
  // Given the session (nullopt: no such token), the rotation to carry out,
  // or none; an error ends the transaction with nothing written.
  using DecideRotation =
      std::function<Result<std::optional<Rotation>>(const std::optional<RefreshSession>& session)>;
  // Locks the session of `token_hash` (as LockRefreshSession), asks
  // `decide`, and carries out the rotation it gives (as RotateRefresh), in
  // one transaction, for a server thread that must not wait: a store with
  // asynchronous I/O answers through Attempt::Async and runs `decide` on
  // its I/O thread, so `decide` must not wait; it may run again when the
  // transaction is retried. True once a rotation committed; false when
  // `decide` gave none (nothing is written). Errors: decide's, and as
  // LockRefreshSession and RotateRefresh; nothing is stored on any. This
  // default is the rest of a Run().
  [[nodiscard]] virtual Attempt<Result<bool>> RotateSession(const std::string& token_hash,
                                                            DecideRotation decide) {
    return Attempt<Result<bool>>::Later([this, token_hash, decide]() -> Result<bool> {
      bool rotated = false;
      auto ok = Run([&](AccountTx& tx) -> Status {
        rotated = false;
        auto session = tx.accounts().LockRefreshSession(token_hash);
        if (!session) return tl::unexpected(session.error());
        auto rotation = decide(*session);
        if (!rotation) return tl::unexpected(rotation.error());
        if (!*rotation) return Ok();
        const Rotation& r = **rotation;
        if (auto done = tx.accounts().RotateRefresh(r.rotated_id, r.at, r.successor); !done) {
          return done;
        }
        rotated = true;
        return Ok();
      });
      if (!ok) return tl::unexpected(ok.error());
      return rotated;
    });
  }
};

// Random tokens and their digests.
class Secrets {
 public:
  virtual ~Secrets() = default;
  // 32 random bytes, base64url: refresh and verification tokens.
  virtual std::string NewToken() = 0;
  // A random UUID (v4): token ids, event ids.
  virtual std::string NewUuid() = 0;
  // Hex SHA-256 of `token`: what is stored and looked up.
  virtual std::string Digest(std::string_view token) = 0;
};

}  // namespace giia::auth
