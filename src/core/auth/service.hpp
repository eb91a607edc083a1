#pragma once
// The auth use cases: one implementation behind gRPC, REST and the CLI.
// Transports run the permission matrix (core/auth/access.cpp) through this
// service's Verify and Admit (authz::Guard); the use cases enforce tenancy themselves: the
// organization is always the caller's, and another organization's user is NOT_FOUND.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/accounts.hpp"
#include "core/auth/audit.hpp"
#include "core/auth/permissions.hpp"
#include "core/auth/rate_limit.hpp"
#include "core/authz/access_token.hpp"
#include "core/authz/authorizer.hpp"

namespace giia::auth {

struct AuthSettings {
  std::string issuer = "giia-auth";
  std::string audience = "giia";
  std::chrono::seconds access_ttl{15 * 60};
  std::chrono::seconds refresh_ttl{7 * 24 * 3600};
  std::chrono::seconds refresh_grace{30};  // the immediate predecessor only
  int max_failed_logins = 5;
  std::chrono::seconds lockout{15 * 60};
  std::chrono::seconds verification_ttl{24 * 3600};
  int login_rate_per_minute = 0;     // per client address, also change-password; 0: off
  int register_rate_per_minute = 0;  // per client address; 0: off
  // A registration not verified within this frees its e-mail and slug.
  std::chrono::seconds pending_registration_ttl{24 * 3600};
  // A refresh family (a login's session) ends this long after the login,
  // however often it is rotated.
  std::chrono::seconds refresh_max_lifetime{30 * 24 * 3600};
  bool audit_enabled = true;
  // Share of allowed permission checks written to the audit log (denied ones
  // always are, when auditing is on).
  double audit_allowed_sample = 0.0;
  std::size_t max_batch_checks = 50;
};

using authz::AccessClaims;
using authz::AccessTokenCodec;
using authz::Caller;
using authz::Decision;
using authz::RequestInfo;

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  Timestamp access_expires_at;
  Timestamp refresh_expires_at;
};

struct RegisterInput {
  std::string email;
  std::string password;
  std::string first_name;
  std::string last_name;
  std::string organization_name;
  std::string organization_slug;  // derived from the name when empty
};

struct Registration {
  UserRecord user;
  Organization organization;
};

struct LoginResult {
  TokenPair tokens;
  UserRecord user;
};

struct TokenValidation {
  bool valid = false;
  std::string error;  // why not, when !valid
  Caller caller;
  UserRecord user;
  Organization organization;
};

struct CreateUserInput {
  std::string email;
  std::string password;
  std::string first_name;
  std::string last_name;
  std::vector<std::string> roles;
};

struct AuthDeps {
  AccountStore& store;
  PasswordHasher& hasher;  // a BoundedHasher in services
  const AccessTokenCodec& tokens;
  Secrets& secrets;
  PermissionResolver& permissions;
  AuditLog& audit;
  RateLimiter* limiter = nullptr;  // may be null
  std::function<Timestamp()> now = [] { return std::chrono::system_clock::now(); };
};

struct AttemptDecision;

class AuthService final : public authz::RequestAuthorizer {
 public:
  AuthService(AuthDeps deps, AuthSettings settings);

  // --- public (no access token)
  [[nodiscard]] Result<Registration> Register(const RegisterInput& in, const RequestInfo& req);
  [[nodiscard]] Result<UserRecord> VerifyEmail(const std::string& token, const RequestInfo& req);
  [[nodiscard]] Result<LoginResult> Login(const std::string& email, const std::string& password,
                                          const RequestInfo& req);
  // Rotates the session of `refresh_token`: a new pair, the presented token
  // marked rotated (see DecideRefresh), in one transaction that starts from
  // the server's thread (AccountStore::RotateSession). A reused token or a
  // user no longer active ends the session in a transaction that may wait
  // (the rest of the Attempt). Errors: kInvalidArgument (refresh_token) for
  // none; kUnauthenticated saying why it is refused; kUnavailable.
  [[nodiscard]] Attempt<Result<TokenPair>> Refresh(const std::string& refresh_token,
                                                   const RequestInfo& req);
  // A bad token is an answer (valid=false), not an error: its signature and
  // claims, then the user's token version and status (no I/O when the user
  // is in memory; see Attempt). Errors: kUnavailable when the user's state
  // cannot be read.
  [[nodiscard]] Attempt<Result<TokenValidation>> ValidateToken(std::string_view token);

  // --- the caller's request (authz::RequestAuthorizer)
  // The token's signature and claims. Errors: kUnauthenticated saying why.
  [[nodiscard]] Result<Caller> Verify(std::string_view token) override;
  // The user's token version and status, then each permission (audited as
  // permission.check). No I/O when the user is in memory.
  [[nodiscard]] Attempt<Result<Decision>> Admit(const Caller& caller,
                                                const std::vector<std::string>& permissions,
                                                const RequestInfo& req) override;

  // Ends the session of `refresh_token` (a family of the caller's), or every
  // session and access token of the caller when it is empty.
  [[nodiscard]] Status Logout(const Caller& caller, const std::string& refresh_token,
                              const RequestInfo& req);
  [[nodiscard]] Status ChangePassword(const Caller& caller, const std::string& current_password,
                                      const std::string& new_password, const RequestInfo& req);
  // `user_id` empty: the caller. Checks another user only with users:read.
  // No I/O when the users asked about are in memory (see Attempt).
  [[nodiscard]] Attempt<Result<Decision>> CheckPermission(const Caller& caller,
                                                          const std::string& permission,
                                                          const std::string& user_id,
                                                          const RequestInfo& req);
  [[nodiscard]] Attempt<Result<std::vector<Decision>>> BatchCheckPermissions(
      const Caller& caller, const std::vector<std::string>& permissions, const std::string& user_id,
      const RequestInfo& req);
  [[nodiscard]] Attempt<Result<ResolvedPermissions>> GetUserPermissions(const Caller& caller,
                                                                        const std::string& user_id);
  [[nodiscard]] Result<UserRecord> GetUser(const Caller& caller, const std::string& user_id);
  [[nodiscard]] Result<std::vector<UserRecord>> GetUsersByIds(
      const Caller& caller, const std::vector<std::string>& user_ids);
  [[nodiscard]] Result<UserRecord> GetUserByEmail(const Caller& caller, const std::string& email);
  [[nodiscard]] Result<bool> CheckUserExists(const Caller& caller, const std::string& user_id);
  // page 0 means 1; page_size 0 means 20; otherwise 1..100.
  [[nodiscard]] Result<UserPage> ListUsers(const Caller& caller, int page, int page_size,
                                           std::optional<UserStatus> status);
  [[nodiscard]] Result<UserRecord> CreateUser(const Caller& caller, const CreateUserInput& in,
                                              const RequestInfo& req);
  [[nodiscard]] Result<UserRecord> AssignRole(const Caller& caller, const std::string& user_id,
                                              const std::string& role, const RequestInfo& req);
  [[nodiscard]] Result<UserRecord> RevokeRole(const Caller& caller, const std::string& user_id,
                                              const std::string& role, const RequestInfo& req);
  // Clears a lockout and the failed-login count.
  [[nodiscard]] Status UnlockUser(const Caller& caller, const std::string& user_id,
                                  const RequestInfo& req);

 private:
  // A new token pair. Its refresh token starts a family (`rotates` null) or
  // succeeds `rotates`, which is marked rotated.
  Result<TokenPair> IssueTokens(AccountTx& tx, const UserRecord& user, std::int64_t token_version,
                                const RefreshRecord* rotates, const RequestInfo& req);
  // The pair IssueTokens stores, and the row of its refresh token, made in
  // memory (no I/O).
  struct Minted {
    TokenPair pair;
    NewRefresh row;
  };
  Result<Minted> MintTokens(const UserRecord& user, std::int64_t token_version,
                            const RefreshRecord* rotates, const RequestInfo& req, Timestamp now);
  // Refresh as one transaction on this thread, every verdict handled in it.
  Result<TokenPair> RefreshWaiting(const std::string& refresh_token, const RequestInfo& req);
  using Resolved = PermissionResolver::Resolved;
  Result<TokenValidation> Validate(const Caller& caller, const Result<Resolved>& resolved) const;
  Result<Decision> AdmitAs(const Caller& caller, const std::vector<std::string>& permissions,
                           const Result<Resolved>& resolved, const RequestInfo& req);
  Result<std::vector<Decision>> DecideAll(const Caller& caller, const UserId& subject,
                                          const std::vector<std::string>& permissions,
                                          const Result<Resolved>& resolved, const RequestInfo& req);
  // Counts one `what` ("login") from the request's client against
  // `per_minute`. Errors: kResourceExhausted when over it (audited).
  Status Throttle(const std::string& what, int per_minute, const RequestInfo& req,
                  const std::string& email);
  // What the last allowed failed attempt does (a login or a password
  // change): user.locked, and the account's sessions and tokens end.
  Status LockOut(const Credentials& creds, const AttemptDecision& attempt, const RequestInfo& req);
  // The same argon2id work as a real check, for answers that must not be
  // told apart by their timing.
  void VerifyDummy(std::string_view password);
  Result<UserRecord> ChangeRole(const Caller& caller, const std::string& user_id,
                                const std::string& role, bool assign, const RequestInfo& req);
  // CheckRank for the caller, `role` and (when set) `subject`, as stored;
  // returns the role's level. Errors: kNotFound naming `field` for no such
  // role; kPermissionDenied naming `field` (the role) or user_id (the subject).
  Result<int> CheckRankIn(AccountTx& tx, const Caller& caller, const std::string& role,
                          const std::string& field, const UserId* subject);
  // Appends user.sessions_revoked: the user's access tokens older than
  // `version` are void, at auth and at every service that verifies them.
  Status AnnounceRevocation(AccountTx& tx, const UserId& user, const OrganizationId& org,
                            std::int64_t version, const std::string& reason,
                            const RequestInfo& req);
  Result<UserRecord> LoadUser(const OrganizationId& org, const std::string& user_id,
                              const std::string& field);
  Decision Decide(const ResolvedPermissions* resolved, const std::string& permission) const;
  void Audit(AuditEntry entry, const RequestInfo& req);
  void AuditCheck(const Caller& caller, const std::string& subject, const Decision& d,
                  const RequestInfo& req);
  // The user a permission question is about: the caller (`user_id` empty or
  // its own), or another user of its organization, which needs users:read
  // (audited). Errors: kPermissionDenied saying `refusal`; kInvalidArgument.
  Attempt<Result<UserId>> SubjectOf(const Caller& caller, const std::string& user_id,
                                    const RequestInfo& req, const char* refusal);
  events::Event NewEvent(const std::string& type, const std::string& user_id,
                         const std::string& organization_id, const RequestInfo& req);

  AuthDeps deps_;
  AuthSettings settings_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // verified against for unknown e-mails
};

// Pure rules, exposed for unit tests.

// A login attempt, decided under the user's row lock before the password is
// checked: the attempt is counted first, so that however many guesses race,
// at most max_failed_logins passwords are checked before the lock holds.
struct AttemptDecision {
  bool refused = false;                   // locked: the password is not even checked
  int attempt = 0;                        // this attempt's number (1-based) within the window
  std::optional<Timestamp> locked_until;  // to store now (set on the last allowed attempt)
};
AttemptDecision DecideAttempt(int failed_attempts, std::optional<Timestamp> locked_until,
                              Timestamp now, int max_failed, std::chrono::seconds lockout);

// Role levels: 1 ranks highest (Admin). A caller whose rank (its highest
// role's level; nullopt: it holds none) is `caller` may grant, revoke or
// create a user with a role of level `role` only at or below its own rank,
// and never change the roles of a subject who ranks above it (`subject`,
// nullopt: it holds none). Errors: kPermissionDenied, field `role_field`
// for the role and user_id for the subject.
Status CheckRank(std::optional<int> caller, const std::string& role_name, int role,
                 std::optional<int> subject, const std::string& role_field);

enum class RefreshVerdict { kRotate, kGraceRotate, kReuse, kRevoked, kExpired };
// `latest` is the family's newest generation.
RefreshVerdict DecideRefresh(const RefreshRecord& presented, const RefreshRecord& latest,
                             Timestamp now, std::chrono::seconds grace);

// "Acme Corp." -> "acme-corp"; empty when nothing usable is left.
std::string SlugFrom(std::string_view name);

}  // namespace giia::auth
