#pragma once
// What the auth use cases need from the outside world. Implementations live in
// src/adapters; in-memory fakes for unit tests in tests/support.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/auth/rbac.hpp"
#include "core/common/ids.hpp"
#include "core/common/result.hpp"
#include "core/events/event.hpp"

namespace giia::auth {

// How many rows an insert really added (others may have raced us to it).
struct SeedCounts {
  int roles = 0;
  int permissions = 0;
  int grants = 0;
};

// Global roles, permissions and their grants.
class RbacRepository {
 public:
  virtual ~RbacRepository() = default;
  [[nodiscard]] virtual Result<RbacState> LoadGlobal() = 0;
  // Inserts what `plan` lists; rows that exist by then are left as they are.
  [[nodiscard]] virtual Result<SeedCounts> Insert(const SeedPlan& plan) = 0;
};

class OrganizationRepository {
 public:
  virtual ~OrganizationRepository() = default;
  // The organization with `slug`, created with `name` when there is none.
  [[nodiscard]] virtual Result<OrganizationId> FindOrCreate(const std::string& slug,
                                                            const std::string& name) = 0;
};

enum class UserStatus { kPending, kActive, kInactive, kSuspended };
const char* UserStatusName(UserStatus status);

struct NewUser {
  OrganizationId organization{""};
  std::string email;          // normalized
  std::string password_hash;  // PHC string; never the password
  std::string first_name;
  std::string last_name;
  UserStatus status = UserStatus::kPending;
  bool email_verified = false;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // The live (not deleted) user with this normalized e-mail, if any.
  [[nodiscard]] virtual Result<std::optional<UserId>> FindByEmail(const std::string& email) = 0;
  // Errors: kAlreadyExists (field "email") when a live user has the e-mail.
  [[nodiscard]] virtual Result<UserId> Insert(const NewUser& user) = 0;
  // Gives `user` the global role `role` within `organization`.
  // Errors: kFailedPrecondition when the role does not exist.
  [[nodiscard]] virtual Status AssignGlobalRole(const UserId& user,
                                                const OrganizationId& organization,
                                                const std::string& role) = 0;
};

// The repositories of one transaction: everything done through them commits
// or rolls back together.
class AuthTx {
 public:
  virtual ~AuthTx() = default;
  virtual RbacRepository& rbac() = 0;
  virtual OrganizationRepository& organizations() = 0;
  virtual UserRepository& users() = 0;
  // The auth outbox: events appended here publish only if the transaction commits.
  virtual events::OutboxWriter& outbox() = 0;
};

class AuthTransactionRunner {
 public:
  virtual ~AuthTransactionRunner() = default;
  // Runs `work` in one transaction: commits when it returns success, rolls
  // back otherwise (and returns its error). May run `work` again after a
  // serialization conflict, so `work` must not have effects outside `tx`.
  // Errors: those of `work`; kUnavailable when the database is unreachable.
  [[nodiscard]] virtual Status Run(const std::function<Status(AuthTx& tx)>& work) = 0;
};

class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  // A self-describing hash (argon2id PHC string) of `password`.
  // Errors: kResourceExhausted when memory for the hash cannot be had.
  [[nodiscard]] virtual Result<std::string> Hash(std::string_view password) = 0;
  // True when `password` matches `hash`.
  // Errors: kResourceExhausted when too many verifications are queued.
  [[nodiscard]] virtual Result<bool> Verify(const std::string& hash, std::string_view password) = 0;
};

}  // namespace giia::auth
