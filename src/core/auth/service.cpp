#include "core/auth/service.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>

#include "core/auth/credentials.hpp"
#include "core/common/text.hpp"
#include "core/common/time.hpp"

namespace giia::auth {
namespace {

constexpr const char* kUsersRead = "users:read";
constexpr std::size_t kMaxNameLength = 100;

using giia::Rfc3339;

std::int64_t UnixSeconds(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Status CheckUuid(const std::string& value, const std::string& field) {
  if (value.empty()) return InvalidArgument(field, field + " is required");
  if (!IsUuid(value)) return InvalidArgument(field, field + " must be a UUID");
  return Ok();
}

Status CheckName(const std::string& value, const std::string& field) {
  if (value.size() > kMaxNameLength) {
    return InvalidArgument(field, field + " must be at most 100 characters");
  }
  return Ok();
}

bool ValidSlug(const std::string& slug) {
  if (slug.empty() || slug.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(slug[0]))) return false;
  return std::all_of(slug.begin(), slug.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// "resource:action", lower-case letters and underscores.
Status CheckPermissionName(const std::string& permission, const std::string& field) {
  const auto colon = permission.find(':');
  auto word = [](std::string_view w) {
    return !w.empty() && w.size() <= 50 && std::all_of(w.begin(), w.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || c == '_';
    });
  };
  if (colon == std::string::npos || !word(std::string_view(permission).substr(0, colon)) ||
      !word(std::string_view(permission).substr(colon + 1))) {
    return InvalidArgument(field, field + " must look like resource:action (catalog:read)");
  }
  return Ok();
}

tl::unexpected<Error> Unauthenticated(std::string message) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(message));
}

}  // namespace

std::string SlugFrom(std::string_view name) {
  std::string slug;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      slug += static_cast<char>(std::tolower(u));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 63) slug.resize(63);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

AttemptDecision DecideAttempt(int failed_attempts, std::optional<Timestamp> locked_until,
                              Timestamp now, int max_failed, std::chrono::seconds lockout) {
  AttemptDecision d;
  if (locked_until && *locked_until > now) {
    d.refused = true;
    d.attempt = failed_attempts;
    d.locked_until = locked_until;
    return d;
  }
  const int before = locked_until ? 0 : failed_attempts;  // an expired lock starts afresh
  d.attempt = before + 1;
  // The last allowed guess locks in advance: a guess racing it finds the lock
  // and is refused unchecked. A correct password clears it again.
  if (d.attempt >= max_failed) d.locked_until = now + lockout;
  return d;
}

RefreshVerdict DecideRefresh(const RefreshRecord& presented, const RefreshRecord& latest,
                             Timestamp now, std::chrono::seconds grace) {
  if (presented.revoked_at || latest.revoked_at) return RefreshVerdict::kRevoked;
  if (presented.expires_at <= now) return RefreshVerdict::kExpired;
  if (presented.family_expires_at && *presented.family_expires_at <= now) {
    return RefreshVerdict::kExpired;
  }
  if (!presented.rotated_at) {
    return presented.generation == latest.generation ? RefreshVerdict::kRotate
                                                     : RefreshVerdict::kReuse;
  }
  // A client retrying after a lost response presents the token it just
  // rotated: tolerated once, for the immediate predecessor, within the grace.
  if (presented.generation + 1 == latest.generation && !latest.rotated_at &&
      now - *presented.rotated_at <= grace) {
    return RefreshVerdict::kGraceRotate;
  }
  return RefreshVerdict::kReuse;
}

Status CheckRank(std::optional<int> caller, const std::string& role_name, int role,
                 std::optional<int> subject, const std::string& role_field) {
  if (!caller) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "you hold no role in this organization, so you cannot give or take roles",
                     role_field);
  }
  if (role < *caller) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "role " + role_name + " (level " + std::to_string(role) +
                         ") ranks above your highest role (level " + std::to_string(*caller) + ")",
                     role_field);
  }
  if (subject && *subject < *caller) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "the user ranks above you (level " + std::to_string(*subject) +
                         " against your " + std::to_string(*caller) + ")",
                     "user_id");
  }
  return Ok();
}

AuthService::AuthService(AuthDeps deps, AuthSettings settings)
    : deps_(std::move(deps)), settings_(std::move(settings)) {}

events::Event AuthService::NewEvent(const std::string& type, const std::string& user_id,
                                    const std::string& organization_id, const RequestInfo& req) {
  events::Event e;
  e.id = deps_.secrets.NewUuid();
  e.service = "auth";
  e.type = type;
  e.aggregate_type = type.substr(0, type.find('.'));
  e.aggregate_id = user_id;
  e.organization_id = organization_id;
  e.request_id = req.request_id;
  e.time = Rfc3339(deps_.now());
  return e;
}

void AuthService::Audit(AuditEntry entry, const RequestInfo& req) {
  if (!settings_.audit_enabled) return;
  entry.ip_address = req.ip_address;
  entry.user_agent = req.user_agent;
  entry.request_id = req.request_id;
  entry.at = deps_.now();
  deps_.audit.Record(std::move(entry));
}

Status AuthService::AnnounceRevocation(AccountTx& tx, const UserId& user, const OrganizationId& org,
                                       std::int64_t version, const std::string& reason,
                                       const RequestInfo& req) {
  events::Event e = NewEvent("user.sessions_revoked", user.value(), org.value(), req);
  e.data = {{"user_id", user.value()},
            {"organization_id", org.value()},
            {"token_version", version},
            {"reason", reason},
            {"revoked_at", e.time}};
  return tx.outbox().Append(e);
}

Result<int> AuthService::CheckRankIn(AccountTx& tx, const Caller& caller, const std::string& role,
                                     const std::string& field, const UserId* subject) {
  auto level = tx.accounts().RoleLevel(caller.organization, role);
  if (!level) return tl::unexpected(level.error());
  if (!*level) return MakeError(ErrorCode::kNotFound, "no role named " + role, field);
  auto mine = tx.accounts().HighestLevel(caller.organization, caller.user);
  if (!mine) return tl::unexpected(mine.error());
  std::optional<int> theirs;
  if (subject != nullptr) {
    auto r = tx.accounts().HighestLevel(caller.organization, *subject);
    if (!r) return tl::unexpected(r.error());
    theirs = *r;
  }
  if (auto ok = CheckRank(*mine, role, **level, theirs, field); !ok) {
    return tl::unexpected(ok.error());
  }
  return **level;
}

// --- tokens

Result<AuthService::Minted> AuthService::MintTokens(const UserRecord& user,
                                                    std::int64_t token_version,
                                                    const RefreshRecord* rotates,
                                                    const RequestInfo& req, Timestamp now) {
  Minted out;
  TokenPair& pair = out.pair;
  AccessClaims claims;
  claims.issuer = settings_.issuer;
  claims.audience = settings_.audience;
  claims.subject = user.id.value();
  claims.organization = user.organization.value();
  claims.email = user.email;
  claims.token_id = deps_.secrets.NewUuid();
  claims.issued_at = UnixSeconds(now);
  claims.not_before = claims.issued_at;
  claims.expires_at = claims.issued_at + settings_.access_ttl.count();
  claims.token_version = token_version;
  auto access = deps_.tokens.Sign(claims);
  if (!access) return tl::unexpected(access.error());
  pair.access_token = std::move(*access);
  pair.access_expires_at = now + settings_.access_ttl;

  pair.refresh_token = deps_.secrets.NewToken();
  // However often it is rotated, a session ends refresh_max_lifetime after its login.
  const std::optional<Timestamp> family_end =
      rotates != nullptr ? rotates->family_expires_at
                         : std::optional<Timestamp>(now + settings_.refresh_max_lifetime);
  pair.refresh_expires_at = now + settings_.refresh_ttl;
  if (family_end && *family_end < pair.refresh_expires_at) pair.refresh_expires_at = *family_end;
  NewRefresh& row = out.row;
  row.user = user.id;
  row.organization = user.organization;
  row.token_hash = deps_.secrets.Digest(pair.refresh_token);
  row.family = rotates != nullptr ? rotates->family : "";
  row.generation = rotates != nullptr ? rotates->generation + 1 : 0;
  row.expires_at = pair.refresh_expires_at;
  row.family_expires_at = family_end;
  row.user_agent = ValidUtf8(req.user_agent, kAuditUserAgentBytes);
  row.ip_address = req.ip_address;
  return out;
}

Result<TokenPair> AuthService::IssueTokens(AccountTx& tx, const UserRecord& user,
                                           std::int64_t token_version, const RefreshRecord* rotates,
                                           const RequestInfo& req) {
  const Timestamp now = deps_.now();
  auto minted = MintTokens(user, token_version, rotates, req, now);
  if (!minted) return tl::unexpected(minted.error());
  if (rotates != nullptr) {
    if (auto ok = tx.accounts().RotateRefresh(rotates->id, now, minted->row); !ok) {
      return tl::unexpected(ok.error());
    }
    return std::move(minted->pair);
  }
  auto stored = tx.accounts().InsertRefresh(minted->row);
  if (!stored) return tl::unexpected(stored.error());
  return std::move(minted->pair);
}

Status AuthService::Throttle(const std::string& what, int per_minute, const RequestInfo& req,
                             const std::string& email) {
  if (deps_.limiter == nullptr || per_minute <= 0 || req.ip_address.empty()) return Ok();
  auto allowed = deps_.limiter->Allow(what + ":" + req.ip_address, per_minute);
  // An unreachable limiter does not stop the request; the lockout still holds.
  if (!allowed || *allowed) return Ok();
  AuditEntry entry{.action = what + ".rate_limited", .resource = "session", .result = "denied"};
  if (!email.empty()) entry.metadata = {{"email", email}};
  Audit(std::move(entry), req);
  return MakeError(ErrorCode::kResourceExhausted,
                   "too many attempts from this address; retry in a minute");
}

void AuthService::VerifyDummy(std::string_view password) {
  std::call_once(dummy_once_, [&] {
    auto h = deps_.hasher.Hash(deps_.secrets.NewToken());
    if (h) dummy_hash_ = *h;
  });
  if (!dummy_hash_.empty()) (void)deps_.hasher.Verify(dummy_hash_, password);
}

Status AuthService::LockOut(const Credentials& creds, const AttemptDecision& attempt,
                            const RequestInfo& req) {
  const UserRecord& user = creds.user;
  Status locked = deps_.store.Run([&](AccountTx& tx) -> Status {
    events::Event e = NewEvent("user.locked", user.id.value(), user.organization.value(), req);
    e.data = {{"user_id", user.id.value()},
              {"organization_id", user.organization.value()},
              {"locked_until", Rfc3339(*attempt.locked_until)},
              {"failed_attempts", static_cast<std::int64_t>(attempt.attempt)}};
    if (auto ok = tx.outbox().Append(e); !ok) return ok;
    // A lock ends the account's sessions and access tokens too
    // (PRODUCT.md): whoever guessed may already hold one.
    auto version = tx.accounts().BumpTokenVersion(user.id);
    if (!version) return tl::unexpected(version.error());
    if (auto ok = tx.accounts().RevokeAllRefresh(user.id, "locked"); !ok) return ok;
    return AnnounceRevocation(tx, user.id, user.organization, *version, "locked", req);
  });
  if (!locked) return locked;
  deps_.permissions.Invalidate(user.organization, user.id);
  Audit({.organization_id = user.organization.value(),
         .user_id = user.id.value(),
         .action = "user.locked",
         .resource = "user",
         .resource_id = user.id.value(),
         .result = "success",
         .metadata = {{"failed_attempts", std::to_string(attempt.attempt)},
                      {"locked_until", Rfc3339(*attempt.locked_until)}}},
        req);
  return Ok();
}

Result<Registration> AuthService::Register(const RegisterInput& in, const RequestInfo& req) {
  auto email = NormalizeEmail(in.email);
  if (!email) return tl::unexpected(email.error());
  if (auto ok = CheckPasswordPolicy(in.password); !ok) return tl::unexpected(ok.error());
  if (auto ok = CheckName(in.first_name, "first_name"); !ok) return tl::unexpected(ok.error());
  if (auto ok = CheckName(in.last_name, "last_name"); !ok) return tl::unexpected(ok.error());
  if (in.organization_name.empty()) {
    return InvalidArgument("organization_name", "organization_name is required");
  }
  if (in.organization_name.size() > 200) {
    return InvalidArgument("organization_name", "organization_name must be at most 200 characters");
  }
  std::string slug =
      in.organization_slug.empty() ? SlugFrom(in.organization_name) : in.organization_slug;
  if (!ValidSlug(slug)) {
    return InvalidArgument("organization_slug",
                           "organization_slug must be 1-63 lower-case letters, digits or dashes, "
                           "starting with a letter or digit");
  }
  if (auto ok = Throttle("register", settings_.register_rate_per_minute, req, *email); !ok) {
    return tl::unexpected(ok.error());
  }
  auto hash = deps_.hasher.Hash(in.password);
  if (!hash) return tl::unexpected(hash.error());

  const Timestamp cutoff = deps_.now() - settings_.pending_registration_ttl;
  Registration out;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    // A registration never verified does not hold its e-mail or slug forever.
    auto purged = tx.accounts().PurgeExpiredRegistrations(*email, slug, cutoff);
    if (!purged) return tl::unexpected(purged.error());
    auto org = tx.accounts().CreateOrganization(in.organization_name, slug);
    if (!org) return tl::unexpected(org.error());
    NewUser user;
    user.organization = org->id;
    user.email = *email;
    user.password_hash = *hash;
    user.first_name = in.first_name;
    user.last_name = in.last_name;
    user.status = UserStatus::kPending;
    auto id = tx.accounts().InsertUser(user);
    if (!id) return tl::unexpected(id.error());
    auto assigned = tx.accounts().AssignRole(org->id, *id, "Admin", std::nullopt);
    if (!assigned) {
      if (assigned.error().code == ErrorCode::kNotFound) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "the built-in roles are missing; run `giia seed-roles`");
      }
      return tl::unexpected(assigned.error());
    }
    auto record = tx.accounts().GetUser(org->id, *id);
    if (!record) return tl::unexpected(record.error());
    if (!*record) return MakeError(ErrorCode::kInternal, "registered user vanished");
    events::Event e = NewEvent("user.registered", id->value(), org->id.value(), req);
    e.data = {{"user_id", id->value()},
              {"email", *email},
              {"organization_id", org->id.value()},
              {"status", std::string("pending")},
              {"name", (in.first_name + " " + in.last_name)},
              {"registered_at", e.time}};
    if (auto ok = tx.outbox().Append(e); !ok) return ok;
    out.organization = std::move(*org);
    out.user = std::move(**record);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  Audit({.organization_id = out.organization.id.value(),
         .user_id = out.user.id.value(),
         .action = "user.register",
         .resource = "user",
         .resource_id = out.user.id.value(),
         .result = "success"},
        req);
  return out;
}

Result<UserRecord> AuthService::VerifyEmail(const std::string& token, const RequestInfo& req) {
  if (token.empty()) return InvalidArgument("token", "token is required");
  if (token.size() > 200) return InvalidArgument("token", "token is invalid or expired");
  const Timestamp now = deps_.now();
  UserRecord user;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto id = tx.accounts().ConsumeVerification(deps_.secrets.Digest(token), now);
    if (!id) return tl::unexpected(id.error());
    if (!*id) return InvalidArgument("token", "token is invalid or expired");
    auto creds = tx.accounts().LockCredentials(**id);
    if (!creds) return tl::unexpected(creds.error());
    if (!*creds) return InvalidArgument("token", "token is invalid or expired");
    const bool first = !(*creds)->user.email_verified;
    if ((*creds)->user.status == UserStatus::kPending || first) {
      if (auto ok = tx.accounts().Activate(**id, now); !ok) return ok;
    }
    user = (*creds)->user;
    if (user.status == UserStatus::kPending) user.status = UserStatus::kActive;
    user.email_verified = true;
    if (first) {
      events::Event e = NewEvent("user.verified", user.id.value(), user.organization.value(), req);
      e.data = {{"user_id", user.id.value()},
                {"email", user.email},
                {"verified_at", Rfc3339(now)},
                {"organization_id", user.organization.value()}};
      if (auto ok = tx.outbox().Append(e); !ok) return ok;
    }
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  deps_.permissions.Invalidate(user.organization, user.id);
  Audit({.organization_id = user.organization.value(),
         .user_id = user.id.value(),
         .action = "user.verify_email",
         .resource = "user",
         .resource_id = user.id.value(),
         .result = "success"},
        req);
  return user;
}

Result<LoginResult> AuthService::Login(const std::string& email_in, const std::string& password,
                                       const RequestInfo& req) {
  if (email_in.empty()) return InvalidArgument("email", "email is required");
  if (password.empty()) return InvalidArgument("password", "password is required");
  if (password.size() > kMaxPasswordLength) {
    return InvalidArgument("password", "password must be at most 1024 characters");
  }
  auto email = NormalizeEmail(email_in);
  if (!email) return tl::unexpected(email.error());
  if (auto ok = Throttle("login", settings_.login_rate_per_minute, req, *email); !ok) {
    return tl::unexpected(ok.error());
  }

  const Timestamp now = deps_.now();
  std::optional<Credentials> creds;
  AttemptDecision attempt;
  Status counted = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto found = tx.accounts().LockCredentialsByEmail(*email);
    if (!found) return tl::unexpected(found.error());
    creds = std::move(*found);
    if (!creds) return Ok();
    attempt = DecideAttempt(creds->failed_attempts, creds->locked_until, now,
                            settings_.max_failed_logins, settings_.lockout);
    if (attempt.refused) return Ok();
    return tx.accounts().SaveFailedAttempts(creds->user.id, attempt.attempt, attempt.locked_until);
  });
  if (!counted) return tl::unexpected(counted.error());

  auto failed = [&](const std::string& reason) -> tl::unexpected<Error> {
    Audit({.organization_id = creds ? creds->user.organization.value() : "",
           .user_id = creds ? creds->user.id.value() : "",
           .action = "login.failed",
           .resource = "session",
           .result = reason == "locked" ? "denied" : "failure",
           .metadata = {{"email", *email}, {"reason", reason}}},
          req);
    return Unauthenticated("wrong e-mail or password");
  };

  if (!creds) {
    // Same work as for a known user, so timing does not tell which e-mails exist.
    VerifyDummy(password);
    return failed("unknown e-mail");
  }
  if (attempt.refused) {
    // Told apart from a wrong password neither by the answer nor by its
    // timing: the lock is for the audit log, the metrics and the user's
    // e-mail, not for whoever is guessing.
    VerifyDummy(password);
    return failed("locked");
  }

  auto ok = deps_.hasher.Verify(creds->password_hash, password);
  if (!ok) return tl::unexpected(ok.error());
  if (!*ok) {
    // The last guess allowed: the lock it took in advance stays.
    if (attempt.locked_until) {
      if (auto locked = LockOut(*creds, attempt, req); !locked) {
        return tl::unexpected(locked.error());
      }
    }
    return failed("wrong password");
  }

  const UserRecord& user = creds->user;
  if (user.status != UserStatus::kActive) {
    Status reset = deps_.store.Run([&](AccountTx& tx) -> Status {
      return tx.accounts().SaveFailedAttempts(user.id, 0, std::nullopt);
    });
    if (!reset) return tl::unexpected(reset.error());
    if (user.status == UserStatus::kPending) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the e-mail address is not verified yet; follow the link we sent");
    }
    return MakeError(ErrorCode::kFailedPrecondition, "the account is not active");
  }

  LoginResult out;
  Status issued = deps_.store.Run([&](AccountTx& tx) -> Status {
    if (auto r = tx.accounts().RecordLogin(user.id, now); !r) return r;
    auto pair = IssueTokens(tx, user, creds->token_version, nullptr, req);
    if (!pair) return tl::unexpected(pair.error());
    out.tokens = std::move(*pair);
    return Ok();
  });
  if (!issued) return tl::unexpected(issued.error());
  out.user = user;
  out.user.last_login_at = now;
  Audit({.organization_id = user.organization.value(),
         .user_id = user.id.value(),
         .action = "login",
         .resource = "session",
         .result = "success"},
        req);
  return out;
}

Attempt<Result<TokenPair>> AuthService::Refresh(const std::string& refresh_token,
                                                const RequestInfo& req) {
  using Answer = Result<TokenPair>;
  if (refresh_token.empty()) {
    return Answer(InvalidArgument("refresh_token", "refresh_token is required"));
  }
  if (refresh_token.size() > 200) return Answer(Unauthenticated("refresh token not recognized"));
  const Timestamp now = deps_.now();
  // What `decide` saw, for the answer; written where the store runs it.
  struct Seen {
    bool found = false;
    RefreshVerdict verdict = RefreshVerdict::kRevoked;
    bool writes = false;  // the verdict ends the session: a transaction that may wait
    TokenPair pair;
  };
  auto seen = std::make_shared<Seen>();
  auto decide = [this, seen, now, req](const std::optional<RefreshSession>& session)
      -> Result<std::optional<AccountStore::Rotation>> {
    *seen = Seen{};
    if (!session) return std::nullopt;
    const RefreshSession& s = *session;
    seen->found = true;
    seen->verdict = DecideRefresh(s.presented, s.latest, now, settings_.refresh_grace);
    switch (seen->verdict) {
      case RefreshVerdict::kRevoked:
      case RefreshVerdict::kExpired: return std::nullopt;
      case RefreshVerdict::kReuse: seen->writes = true; return std::nullopt;
      case RefreshVerdict::kRotate:
      case RefreshVerdict::kGraceRotate: break;
    }
    if (!s.user || s.user->user.status != UserStatus::kActive) {
      seen->writes = true;
      return std::nullopt;
    }
    const RefreshRecord& rotate = seen->verdict == RefreshVerdict::kRotate ? s.presented : s.latest;
    auto minted = MintTokens(s.user->user, s.user->token_version, &rotate, req, now);
    if (!minted) return tl::unexpected(minted.error());
    seen->pair = std::move(minted->pair);
    return AccountStore::Rotation{rotate.id, now, std::move(minted->row)};
  };
  return deps_.store.RotateSession(deps_.secrets.Digest(refresh_token), std::move(decide))
      .Then([this, seen, refresh_token, req](Result<bool> rotated) -> Attempt<Answer> {
        if (!rotated) return Answer(tl::unexpected(rotated.error()));
        if (*rotated) return Answer(std::move(seen->pair));
        if (!seen->found) return Answer(Unauthenticated("refresh token not recognized"));
        if (seen->writes) {
          return Attempt<Answer>::Later(
              [this, refresh_token, req] { return RefreshWaiting(refresh_token, req); });
        }
        return Answer(Unauthenticated(seen->verdict == RefreshVerdict::kExpired
                                          ? "refresh token expired"
                                          : "refresh token revoked"));
      });
}

Result<TokenPair> AuthService::RefreshWaiting(const std::string& refresh_token,
                                              const RequestInfo& req) {
  const Timestamp now = deps_.now();
  TokenPair out;
  std::optional<RefreshVerdict> verdict;
  std::optional<RefreshRecord> presented;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    verdict.reset();
    presented.reset();
    auto session = tx.accounts().LockRefreshSession(deps_.secrets.Digest(refresh_token));
    if (!session) return tl::unexpected(session.error());
    if (!*session) return Ok();
    const RefreshSession& s = **session;
    presented = s.presented;
    verdict = DecideRefresh(s.presented, s.latest, now, settings_.refresh_grace);
    switch (*verdict) {
      case RefreshVerdict::kRevoked:
      case RefreshVerdict::kExpired: return Ok();
      case RefreshVerdict::kReuse: {
        // Someone holds a token that was already rotated: end the whole
        // session, and every access token minted from it (the user's version).
        if (auto ok = tx.accounts().RevokeFamily(s.presented.family, "reuse"); !ok) return ok;
        if (!s.user) return Ok();
        auto version = tx.accounts().BumpTokenVersion(s.presented.user);
        if (!version) return tl::unexpected(version.error());
        return AnnounceRevocation(tx, s.presented.user, s.presented.organization, *version,
                                  "refresh token reuse", req);
      }
      case RefreshVerdict::kRotate:
      case RefreshVerdict::kGraceRotate: break;
    }
    if (!s.user || s.user->user.status != UserStatus::kActive) {
      verdict = RefreshVerdict::kRevoked;
      return tx.accounts().RevokeFamily(s.presented.family, "user inactive");
    }
    const RefreshRecord& rotate = *verdict == RefreshVerdict::kRotate ? s.presented : s.latest;
    auto pair = IssueTokens(tx, s.user->user, s.user->token_version, &rotate, req);
    if (!pair) return tl::unexpected(pair.error());
    out = std::move(*pair);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  if (!presented) return Unauthenticated("refresh token not recognized");
  switch (*verdict) {
    case RefreshVerdict::kRevoked: return Unauthenticated("refresh token revoked");
    case RefreshVerdict::kExpired: return Unauthenticated("refresh token expired");
    case RefreshVerdict::kReuse:
      deps_.permissions.Invalidate(presented->organization, presented->user);
      Audit({.organization_id = presented->organization.value(),
             .user_id = presented->user.value(),
             .action = "token.reuse",
             .resource = "session",
             .resource_id = presented->family,
             .result = "denied",
             .metadata = {{"generation", std::to_string(presented->generation)}}},
            req);
      return Unauthenticated("refresh token was already used; the session is revoked");
    case RefreshVerdict::kRotate:
    case RefreshVerdict::kGraceRotate: break;
  }
  return out;
}

Result<Caller> AuthService::Verify(std::string_view token) {
  if (token.empty()) return Unauthenticated("missing bearer token");
  auto claims = deps_.tokens.Verify(token, UnixSeconds(deps_.now()));
  if (!claims) return tl::unexpected(claims.error());
  Caller caller;
  caller.user = UserId(std::move(claims->subject));
  caller.organization = OrganizationId(std::move(claims->organization));
  caller.email = std::move(claims->email);
  caller.token_id = std::move(claims->token_id);
  caller.token_version = claims->token_version;
  caller.expires_at = Timestamp(std::chrono::seconds(claims->expires_at));
  return caller;
}

namespace {

// Whether the caller's token still holds for its user as resolved (null: no
// live user of the organization).
Status TokenHolds(const Caller& caller, const ResolvedPermissions* resolved) {
  if (resolved == nullptr) return Unauthenticated("the token's user no longer exists");
  if (resolved->token_version != caller.token_version) return Unauthenticated("token revoked");
  if (!resolved->active) return Unauthenticated("the token's user is not active");
  return Ok();
}

}  // namespace

Result<Decision> AuthService::AdmitAs(const Caller& caller,
                                      const std::vector<std::string>& permissions,
                                      const Result<Resolved>& resolved, const RequestInfo& req) {
  if (!resolved) return tl::unexpected(resolved.error());
  if (auto ok = TokenHolds(caller, resolved->get()); !ok) return tl::unexpected(ok.error());
  Decision d{"", true, "the token holds"};
  for (const std::string& p : permissions) {
    d = Decide(resolved->get(), p);
    AuditCheck(caller, caller.user.value(), d, req);
    if (!d.allowed) break;
  }
  return d;
}

// Each Attempt-returning use case below answers at once when what it needs
// is in memory, passing its arguments by reference; only a miss copies them
// into the rest that waits.
Attempt<Result<Decision>> AuthService::Admit(const Caller& caller,
                                             const std::vector<std::string>& permissions,
                                             const RequestInfo& req) {
  auto found = deps_.permissions.Find(caller.organization, caller.user);
  if (found.answered()) return AdmitAs(caller, permissions, std::move(found).Finish(), req);
  return std::move(found).Then([this, caller, permissions, req](const Result<Resolved>& r) {
    return AdmitAs(caller, permissions, r, req);
  });
}

Result<TokenValidation> AuthService::Validate(const Caller& caller,
                                              const Result<Resolved>& resolved) const {
  if (!resolved) return tl::unexpected(resolved.error());
  TokenValidation out;
  if (auto ok = TokenHolds(caller, resolved->get()); !ok) {
    out.error = ok.error().message;
    return out;
  }
  out.valid = true;
  out.caller = caller;
  out.user.id = caller.user;
  out.user.organization = caller.organization;
  out.user.email = caller.email;
  out.user.status = UserStatus::kActive;
  out.user.email_verified = true;
  out.user.roles = (*resolved)->roles;
  out.organization.id = caller.organization;
  return out;
}

Attempt<Result<TokenValidation>> AuthService::ValidateToken(std::string_view token) {
  if (token.empty()) return InvalidArgument("token", "token is required");
  auto caller = Verify(token);
  if (!caller) {
    if (caller.error().code != ErrorCode::kUnauthenticated) return tl::unexpected(caller.error());
    TokenValidation out;
    out.error = caller.error().message;
    return out;
  }
  auto found = deps_.permissions.Find(caller->organization, caller->user);
  if (found.answered()) return Validate(*caller, std::move(found).Finish());
  return std::move(found).Then([this, caller = std::move(*caller)](const Result<Resolved>& r) {
    return Validate(caller, r);
  });
}

// --- permissions

Decision AuthService::Decide(const ResolvedPermissions* resolved,
                             const std::string& permission) const {
  Decision d;
  d.permission = permission;
  if (resolved == nullptr) {
    d.reason = "user not found";
  } else if (!resolved->active) {
    d.reason = "user is not active";
  } else if (Holds(*resolved, permission)) {
    d.allowed = true;
    d.reason = "granted by the user's roles";
  } else {
    d.reason = "no role of the user grants " + permission;
  }
  return d;
}

void AuthService::AuditCheck(const Caller& caller, const std::string& subject, const Decision& d,
                             const RequestInfo& req) {
  if (!settings_.audit_enabled) return;
  if (d.allowed) {
    if (settings_.audit_allowed_sample <= 0.0) return;
    thread_local std::minstd_rand rng{std::random_device{}()};
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) >= settings_.audit_allowed_sample) {
      return;
    }
  }
  AuditEntry entry{.organization_id = caller.organization.value(),
                   .user_id = caller.user.value(),
                   .action = "permission.check",
                   .resource = d.permission,
                   .resource_id = subject,
                   .result = d.allowed ? "allowed" : "denied",
                   .metadata = {{"reason", d.reason}}};
  Audit(std::move(entry), req);
}

Attempt<Result<UserId>> AuthService::SubjectOf(const Caller& caller, const std::string& user_id,
                                               const RequestInfo& req, const char* refusal) {
  if (user_id.empty() || user_id == caller.user.value()) return Result<UserId>(caller.user);
  if (auto ok = CheckUuid(user_id, "user_id"); !ok) return tl::unexpected(ok.error());
  auto may = [this, refusal](const Caller& who, const std::string& other, const RequestInfo& from,
                             const Result<Resolved>& mine) -> Result<UserId> {
    if (!mine) return tl::unexpected(mine.error());
    Decision d = Decide(mine->get(), kUsersRead);
    AuditCheck(who, who.user.value(), d, from);
    if (!d.allowed) return MakeError(ErrorCode::kPermissionDenied, refusal);
    return UserId(other);
  };
  auto found = deps_.permissions.Find(caller.organization, caller.user);
  if (found.answered()) return may(caller, user_id, req, std::move(found).Finish());
  return std::move(found).Then([may, caller, user_id, req](const Result<Resolved>& mine) {
    return may(caller, user_id, req, mine);
  });
}

Result<std::vector<Decision>> AuthService::DecideAll(const Caller& caller, const UserId& subject,
                                                     const std::vector<std::string>& permissions,
                                                     const Result<Resolved>& resolved,
                                                     const RequestInfo& req) {
  if (!resolved) return tl::unexpected(resolved.error());
  if (!*resolved) return MakeError(ErrorCode::kNotFound, "user not found", "user_id");
  std::vector<Decision> out;
  out.reserve(permissions.size());
  for (const std::string& p : permissions) {
    out.push_back(Decide(resolved->get(), p));
    AuditCheck(caller, subject.value(), out.back(), req);
  }
  return out;
}

Attempt<Result<Decision>> AuthService::CheckPermission(const Caller& caller,
                                                       const std::string& permission,
                                                       const std::string& user_id,
                                                       const RequestInfo& req) {
  return BatchCheckPermissions(caller, {permission}, user_id, req)
      .Then([](Result<std::vector<Decision>> decisions) -> Result<Decision> {
        if (!decisions) {
          Error e = std::move(decisions.error());
          if (e.field == "permissions[0]") e.field = "permission";
          return tl::unexpected(std::move(e));
        }
        return std::move(decisions->front());
      });
}

Attempt<Result<std::vector<Decision>>> AuthService::BatchCheckPermissions(
    const Caller& caller, const std::vector<std::string>& permissions, const std::string& user_id,
    const RequestInfo& req) {
  if (permissions.empty()) return InvalidArgument("permissions", "permissions is empty");
  if (permissions.size() > settings_.max_batch_checks) {
    return InvalidArgument("permissions", "at most " + std::to_string(settings_.max_batch_checks) +
                                              " permissions per call");
  }
  for (std::size_t i = 0; i < permissions.size(); ++i) {
    const std::string field = "permissions[" + std::to_string(i) + "]";
    if (auto ok = CheckPermissionName(permissions[i], field); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  auto subject =
      SubjectOf(caller, user_id, req, "checking another user's permissions needs users:read");
  if (subject.answered()) {
    Result<UserId> id = std::move(subject).Finish();
    if (!id) return tl::unexpected(id.error());
    auto found = deps_.permissions.Find(caller.organization, *id);
    if (found.answered())
      return DecideAll(caller, *id, permissions, std::move(found).Finish(), req);
    return std::move(found).Then(
        [this, caller, id = std::move(*id), permissions, req](const Result<Resolved>& r) {
          return DecideAll(caller, id, permissions, r, req);
        });
  }
  // The subject's permissions are found where the caller's were (which may
  // be the store's I/O thread, where nothing may wait).
  return std::move(subject).Then(
      [this, caller, permissions,
       req](const Result<UserId>& id) -> Attempt<Result<std::vector<Decision>>> {
        if (!id) return tl::unexpected(id.error());
        return deps_.permissions.Find(caller.organization, *id)
            .Then([this, caller, subject = *id, permissions, req](const Result<Resolved>& r) {
              return DecideAll(caller, subject, permissions, r, req);
            });
      });
}

Attempt<Result<ResolvedPermissions>> AuthService::GetUserPermissions(const Caller& caller,
                                                                     const std::string& user_id) {
  auto copy = [](const Result<Resolved>& r) -> Result<ResolvedPermissions> {
    if (!r) return tl::unexpected(r.error());
    if (!*r) return MakeError(ErrorCode::kNotFound, "user not found", "user_id");
    return **r;
  };
  return SubjectOf(caller, user_id, RequestInfo{},
                   "reading another user's permissions needs users:read")
      .Then([this, organization = caller.organization,
             copy](const Result<UserId>& id) -> Attempt<Result<ResolvedPermissions>> {
        if (!id) return tl::unexpected(id.error());
        return deps_.permissions.Find(organization, *id).Then(copy);
      });
}

// --- sessions and passwords

Status AuthService::Logout(const Caller& caller, const std::string& refresh_token,
                           const RequestInfo& req) {
  bool everything = refresh_token.empty();
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    if (everything) {
      // The version first: it locks the user's row, so a refresh in flight
      // (which holds it FOR SHARE) commits before the revocation reads the
      // sessions, and the session it made is revoked too.
      auto version = tx.accounts().BumpTokenVersion(caller.user);
      if (!version) return tl::unexpected(version.error());
      if (auto ok = tx.accounts().RevokeAllRefresh(caller.user, "logout"); !ok) return ok;
      return AnnounceRevocation(tx, caller.user, caller.organization, *version, "logout", req);
    }
    auto found = tx.accounts().LockRefreshSession(deps_.secrets.Digest(refresh_token));
    if (!found) return tl::unexpected(found.error());
    if (!*found || (*found)->presented.user != caller.user) {
      return MakeError(ErrorCode::kNotFound, "no such session", "refresh_token");
    }
    return tx.accounts().RevokeFamily((*found)->presented.family, "logout");
  });
  if (!status) return status;
  if (everything) deps_.permissions.Invalidate(caller.organization, caller.user);
  Audit({.organization_id = caller.organization.value(),
         .user_id = caller.user.value(),
         .action = "logout",
         .resource = "session",
         .result = "success",
         .metadata = {{"scope", everything ? "all" : "session"}}},
        req);
  return Ok();
}

Status AuthService::ChangePassword(const Caller& caller, const std::string& current_password,
                                   const std::string& new_password, const RequestInfo& req) {
  if (current_password.empty()) {
    return InvalidArgument("current_password", "current_password is required");
  }
  if (auto ok = CheckPasswordPolicy(new_password, "new_password"); !ok) return ok;
  if (new_password == current_password) {
    return InvalidArgument("new_password", "new_password must differ from the current one");
  }
  if (auto ok = Throttle("password.change", settings_.login_rate_per_minute, req, ""); !ok) {
    return ok;
  }
  // Guesses at the current password count like failed logins (a stolen
  // access token must not be a way to guess it without limit).
  const Timestamp started = deps_.now();
  std::optional<Credentials> creds;
  AttemptDecision attempt;
  Status read = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto found = tx.accounts().LockCredentials(caller.user);
    if (!found) return tl::unexpected(found.error());
    creds = std::move(*found);
    if (!creds || creds->user.organization != caller.organization) return Ok();
    attempt = DecideAttempt(creds->failed_attempts, creds->locked_until, started,
                            settings_.max_failed_logins, settings_.lockout);
    if (attempt.refused) return Ok();
    return tx.accounts().SaveFailedAttempts(creds->user.id, attempt.attempt, attempt.locked_until);
  });
  if (!read) return read;
  if (!creds || creds->user.organization != caller.organization) {
    return Unauthenticated("the token's user no longer exists");
  }
  auto wrong = [&](const char* reason) -> Status {
    Audit({.organization_id = caller.organization.value(),
           .user_id = caller.user.value(),
           .action = "password.change",
           .resource = "user",
           .resource_id = caller.user.value(),
           .result = "failure",
           .metadata = {{"reason", reason}}},
          req);
    return InvalidArgument("current_password", "current_password is wrong");
  };
  if (attempt.refused) {
    VerifyDummy(current_password);
    return wrong("locked");
  }
  auto matches = deps_.hasher.Verify(creds->password_hash, current_password);
  if (!matches) return tl::unexpected(matches.error());
  if (!*matches) {
    if (attempt.locked_until) {
      if (auto locked = LockOut(*creds, attempt, req); !locked) return locked;
    }
    return wrong("wrong password");
  }
  auto hash = deps_.hasher.Hash(new_password);
  if (!hash) return tl::unexpected(hash.error());
  const Timestamp now = deps_.now();
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto version = tx.accounts().SetPassword(caller.user, *hash);
    if (!version) return tl::unexpected(version.error());
    if (auto ok = tx.accounts().SaveFailedAttempts(caller.user, 0, std::nullopt); !ok) return ok;
    if (auto ok = tx.accounts().RevokeAllRefresh(caller.user, "password changed"); !ok) return ok;
    if (auto ok = AnnounceRevocation(tx, caller.user, caller.organization, *version,
                                     "password changed", req);
        !ok) {
      return ok;
    }
    events::Event e =
        NewEvent("user.password_changed", caller.user.value(), caller.organization.value(), req);
    e.data = {{"user_id", caller.user.value()},
              {"changed_at", Rfc3339(now)},
              {"organization_id", caller.organization.value()}};
    return tx.outbox().Append(e);
  });
  if (!status) return status;
  deps_.permissions.Invalidate(caller.organization, caller.user);
  Audit({.organization_id = caller.organization.value(),
         .user_id = caller.user.value(),
         .action = "password.change",
         .resource = "user",
         .resource_id = caller.user.value(),
         .result = "success"},
        req);
  return Ok();
}

// --- users

Result<UserRecord> AuthService::LoadUser(const OrganizationId& org, const std::string& user_id,
                                         const std::string& field) {
  if (auto ok = CheckUuid(user_id, field); !ok) return tl::unexpected(ok.error());
  std::optional<UserRecord> user;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto found = tx.accounts().GetUser(org, UserId(user_id));
    if (!found) return tl::unexpected(found.error());
    user = std::move(*found);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  if (!user) return MakeError(ErrorCode::kNotFound, "user not found", field);
  return std::move(*user);
}

Result<UserRecord> AuthService::GetUser(const Caller& caller, const std::string& user_id) {
  return LoadUser(caller.organization, user_id.empty() ? caller.user.value() : user_id, "user_id");
}

Result<std::vector<UserRecord>> AuthService::GetUsersByIds(const Caller& caller,
                                                           const std::vector<std::string>& ids) {
  if (ids.empty()) return InvalidArgument("user_ids", "user_ids is empty");
  if (ids.size() > 100) return InvalidArgument("user_ids", "at most 100 user_ids per call");
  std::vector<UserId> typed;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto ok = CheckUuid(ids[i], "user_ids[" + std::to_string(i) + "]"); !ok) {
      return tl::unexpected(ok.error());
    }
    typed.emplace_back(ids[i]);
  }
  std::vector<UserRecord> users;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto found = tx.accounts().GetUsers(caller.organization, typed);
    if (!found) return tl::unexpected(found.error());
    users = std::move(*found);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  return users;
}

Result<UserRecord> AuthService::GetUserByEmail(const Caller& caller, const std::string& email_in) {
  auto email = NormalizeEmail(email_in);
  if (!email) return tl::unexpected(email.error());
  std::optional<UserRecord> user;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto found = tx.accounts().GetUserByEmail(caller.organization, *email);
    if (!found) return tl::unexpected(found.error());
    user = std::move(*found);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  if (!user) return MakeError(ErrorCode::kNotFound, "user not found", "email");
  return std::move(*user);
}

Result<bool> AuthService::CheckUserExists(const Caller& caller, const std::string& user_id) {
  auto user = LoadUser(caller.organization, user_id, "user_id");
  if (user) return true;
  if (user.error().code == ErrorCode::kNotFound) return false;
  return tl::unexpected(user.error());
}

Result<UserPage> AuthService::ListUsers(const Caller& caller, int page, int page_size,
                                        std::optional<UserStatus> status_filter) {
  if (page < 0) return InvalidArgument("page", "page must be 1 or more");
  if (page_size < 0 || page_size > 100) {
    return InvalidArgument("page_size", "page_size must be between 1 and 100");
  }
  if (page == 0) page = 1;
  if (page_size == 0) page_size = 20;
  UserPage out;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto found = tx.accounts().ListUsers(caller.organization, status_filter, page, page_size);
    if (!found) return tl::unexpected(found.error());
    out = std::move(*found);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  return out;
}

Result<UserRecord> AuthService::CreateUser(const Caller& caller, const CreateUserInput& in,
                                           const RequestInfo& req) {
  auto email = NormalizeEmail(in.email);
  if (!email) return tl::unexpected(email.error());
  if (auto ok = CheckPasswordPolicy(in.password); !ok) return tl::unexpected(ok.error());
  if (auto ok = CheckName(in.first_name, "first_name"); !ok) return tl::unexpected(ok.error());
  if (auto ok = CheckName(in.last_name, "last_name"); !ok) return tl::unexpected(ok.error());
  std::vector<std::string> roles = in.roles.empty() ? std::vector<std::string>{"Viewer"} : in.roles;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (roles[i].empty() || roles[i].size() > 100) {
      return InvalidArgument("roles[" + std::to_string(i) + "]",
                             "a role name is 1 to 100 characters");
    }
  }
  auto hash = deps_.hasher.Hash(in.password);
  if (!hash) return tl::unexpected(hash.error());
  UserRecord out;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    for (std::size_t i = 0; i < roles.size(); ++i) {
      auto level = CheckRankIn(tx, caller, roles[i], "roles[" + std::to_string(i) + "]", nullptr);
      if (!level) return tl::unexpected(level.error());
    }
    NewUser user;
    user.organization = caller.organization;
    user.email = *email;
    user.password_hash = *hash;
    user.first_name = in.first_name;
    user.last_name = in.last_name;
    // An admin vouches for the people they add: active at once.
    user.status = UserStatus::kActive;
    auto id = tx.accounts().InsertUser(user);
    if (!id) return tl::unexpected(id.error());
    for (std::size_t i = 0; i < roles.size(); ++i) {
      auto added = tx.accounts().AssignRole(caller.organization, *id, roles[i], caller.user);
      if (!added) {
        Error e = added.error();
        if (e.field == "role") e.field = "roles[" + std::to_string(i) + "]";
        return tl::unexpected(std::move(e));
      }
      events::Event ev = NewEvent("role.assigned", id->value(), caller.organization.value(), req);
      ev.data = {{"user_id", id->value()},
                 {"role", roles[i]},
                 {"organization_id", caller.organization.value()},
                 {"assigned_by", caller.user.value()}};
      if (auto ok = tx.outbox().Append(ev); !ok) return ok;
    }
    auto record = tx.accounts().GetUser(caller.organization, *id);
    if (!record) return tl::unexpected(record.error());
    if (!*record) return MakeError(ErrorCode::kInternal, "created user vanished");
    out = std::move(**record);
    return Ok();
  });
  if (!status) {
    if (status.error().code == ErrorCode::kPermissionDenied) {
      Audit({.organization_id = caller.organization.value(),
             .user_id = caller.user.value(),
             .action = "user.create",
             .resource = "user",
             .result = "denied",
             .metadata = {{"email", *email}, {"reason", status.error().message}}},
            req);
    }
    return tl::unexpected(status.error());
  }
  Audit({.organization_id = caller.organization.value(),
         .user_id = caller.user.value(),
         .action = "user.create",
         .resource = "user",
         .resource_id = out.id.value(),
         .result = "success"},
        req);
  return out;
}

Result<UserRecord> AuthService::AssignRole(const Caller& caller, const std::string& user_id,
                                           const std::string& role, const RequestInfo& req) {
  return ChangeRole(caller, user_id, role, true, req);
}

Result<UserRecord> AuthService::RevokeRole(const Caller& caller, const std::string& user_id,
                                           const std::string& role, const RequestInfo& req) {
  return ChangeRole(caller, user_id, role, false, req);
}

Result<UserRecord> AuthService::ChangeRole(const Caller& caller, const std::string& user_id,
                                           const std::string& role, bool assign,
                                           const RequestInfo& req) {
  if (auto ok = CheckUuid(user_id, "user_id"); !ok) return tl::unexpected(ok.error());
  if (role.empty() || role.size() > 100) {
    return InvalidArgument("role", "role must be 1 to 100 characters");
  }
  const UserId subject(user_id);
  UserRecord out;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto user = tx.accounts().GetUser(caller.organization, subject);
    if (!user) return tl::unexpected(user.error());
    if (!*user) return MakeError(ErrorCode::kNotFound, "user not found", "user_id");
    const auto& held = (*user)->roles;
    if (!assign && std::find(held.begin(), held.end(), role) == held.end()) {
      return MakeError(ErrorCode::kNotFound, "the user does not have this role", "role");
    }
    auto level = CheckRankIn(tx, caller, role, "role", &subject);
    if (!level) return tl::unexpected(level.error());
    if (!assign && *level == 1) {  // the organization keeps someone of the highest rank
      auto holders = tx.accounts().LockTopRankHolders(caller.organization);
      if (!holders) return tl::unexpected(holders.error());
      const bool another = std::any_of(holders->begin(), holders->end(),
                                       [&](const UserId& u) { return u != subject; });
      if (!another) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "the last " + role + " of an organization cannot lose it", "role");
      }
    }
    auto changed = assign
                       ? tx.accounts().AssignRole(caller.organization, subject, role, caller.user)
                       : tx.accounts().RevokeRole(caller.organization, subject, role);
    if (!changed) return tl::unexpected(changed.error());
    if (!*changed && !assign) {
      return MakeError(ErrorCode::kNotFound, "the user does not have this role", "role");
    }
    if (*changed) {  // assigning a role the user has is a no-op, without an event
      events::Event e = NewEvent(assign ? "role.assigned" : "role.revoked", user_id,
                                 caller.organization.value(), req);
      e.data = {{"user_id", user_id},
                {"role", role},
                {"organization_id", caller.organization.value()},
                {assign ? "assigned_by" : "revoked_by", caller.user.value()}};
      if (auto ok = tx.outbox().Append(e); !ok) return ok;
    }
    auto after = tx.accounts().GetUser(caller.organization, subject);
    if (!after) return tl::unexpected(after.error());
    out = std::move(**after);
    return Ok();
  });
  if (!status) {
    const ErrorCode code = status.error().code;
    if (code == ErrorCode::kPermissionDenied || code == ErrorCode::kFailedPrecondition) {
      Audit({.organization_id = caller.organization.value(),
             .user_id = caller.user.value(),
             .action = assign ? "role.assign" : "role.revoke",
             .resource = "role",
             .resource_id = user_id,
             .result = "denied",
             .metadata = {{"role", role}, {"reason", status.error().message}}},
            req);
    }
    return tl::unexpected(status.error());
  }
  deps_.permissions.Invalidate(caller.organization, subject);
  Audit({.organization_id = caller.organization.value(),
         .user_id = caller.user.value(),
         .action = assign ? "role.assign" : "role.revoke",
         .resource = "role",
         .resource_id = user_id,
         .result = "success",
         .metadata = {{"role", role}}},
        req);
  return out;
}

Status AuthService::UnlockUser(const Caller& caller, const std::string& user_id,
                               const RequestInfo& req) {
  if (auto ok = CheckUuid(user_id, "user_id"); !ok) return ok;
  Status status = deps_.store.Run([&](AccountTx& tx) -> Status {
    auto user = tx.accounts().GetUser(caller.organization, UserId(user_id));
    if (!user) return tl::unexpected(user.error());
    if (!*user) return MakeError(ErrorCode::kNotFound, "user not found", "user_id");
    return tx.accounts().SaveFailedAttempts(UserId(user_id), 0, std::nullopt);
  });
  if (!status) return status;
  Audit({.organization_id = caller.organization.value(),
         .user_id = caller.user.value(),
         .action = "user.unlock",
         .resource = "user",
         .resource_id = user_id,
         .result = "success"},
        req);
  return Ok();
}

}  // namespace giia::auth
