#pragma once
// In-memory fakes of the core's ports, with real semantics (uniqueness,
// rollback), for hermetic unit tests. The contract tests in contract.hpp keep
// them honest against the PostgreSQL adapters.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/auth/ports.hpp"
#include "core/migrate/migrator.hpp"

namespace giia::testing {

// Applies "migrations" by recording them; a migration whose up_sql is
// "FAIL" fails like a broken SQL file.
class FakeMigrationStore final : public migrate::MigrationStore {
 public:
  std::vector<migrate::HistoryRecord> history;
  std::vector<std::string> ran;  // files whose SQL ran, in order
  bool down = false;             // the database is unreachable

  Result<std::vector<migrate::HistoryRecord>> History() override {
    if (down) return MakeError(ErrorCode::kUnavailable, "database down");
    return history;
  }
  Result<migrate::StepResult> Up(const migrate::Migration& m) override {
    if (down) return MakeError(ErrorCode::kUnavailable, "database down");
    if (Find(m.service, m.version) != history.end()) {
      return migrate::StepResult{migrate::StepOutcome::kAlreadyDone, 0};
    }
    if (m.up_sql == "FAIL") {
      history.push_back({m.service, m.version, m.name, m.checksum, migrate::RecordState::kFailed,
                         "syntax error", "now", 0});
      return MakeError(ErrorCode::kFailedPrecondition, m.File() + " failed");
    }
    ran.push_back(m.File());
    history.push_back(
        {m.service, m.version, m.name, m.checksum, migrate::RecordState::kApplied, "", "now", 1});
    return migrate::StepResult{migrate::StepOutcome::kApplied, 1};
  }
  Result<migrate::StepResult> Down(const migrate::Migration& m) override {
    auto it = Find(m.service, m.version);
    if (it == history.end()) return migrate::StepResult{migrate::StepOutcome::kAlreadyDone, 0};
    ran.push_back(m.File() + " down");
    history.erase(it);
    return migrate::StepResult{migrate::StepOutcome::kApplied, 1};
  }
  Status Force(const std::string& service, int version,
               std::span<const migrate::Migration> shipped) override {
    std::erase_if(history, [&](const migrate::HistoryRecord& r) {
      return r.service == service &&
             (r.version > version || r.state == migrate::RecordState::kFailed);
    });
    for (const migrate::Migration& m : shipped) {
      if (m.version > version) continue;
      std::erase_if(
          history, [&](const auto& r) { return r.service == m.service && r.version == m.version; });
      history.push_back(
          {m.service, m.version, m.name, m.checksum, migrate::RecordState::kApplied, "", "now", 0});
    }
    return Ok();
  }

 private:
  std::vector<migrate::HistoryRecord>::iterator Find(const std::string& service, int version) {
    return std::find_if(history.begin(), history.end(), [&](const migrate::HistoryRecord& r) {
      return r.service == service && r.version == version;
    });
  }
};

// The auth tables in memory. Run() works on a copy and keeps it only when the
// work succeeds: a real rollback.
class FakeAuthStore final : public auth::AuthTransactionRunner {
 public:
  struct User {
    std::string id;
    auth::NewUser data;
    std::set<std::string> roles;
  };
  struct State {
    auth::RbacState rbac;
    std::map<std::string, std::string> organizations;  // slug -> id
    std::vector<User> users;
    std::vector<events::Event> outbox;
    int next_id = 1;
  };
  State state;
  bool down = false;

  Status Run(const std::function<Status(auth::AuthTx& tx)>& work) override {
    if (down) return MakeError(ErrorCode::kUnavailable, "database down");
    Tx tx(state);
    Status result = work(tx);
    if (result) state = tx.copy;
    return result;
  }

 private:
  class Tx final : public auth::AuthTx,
                   auth::RbacRepository,
                   auth::OrganizationRepository,
                   auth::UserRepository {
   public:
    explicit Tx(const State& s) : copy(s), outbox_(copy.outbox) {}
    State copy;

    class Outbox final : public events::OutboxWriter {
     public:
      explicit Outbox(std::vector<events::Event>& events) : events_(events) {}

     protected:
      Status Store(const events::Event& event) override {
        events_.push_back(event);
        return Ok();
      }

     private:
      std::vector<events::Event>& events_;
    };
    Outbox outbox_;
    auth::RbacRepository& rbac() override { return *this; }
    auth::OrganizationRepository& organizations() override { return *this; }
    auth::UserRepository& users() override { return *this; }
    events::OutboxWriter& outbox() override { return outbox_; }

    Result<auth::RbacState> LoadGlobal() override { return copy.rbac; }
    Result<auth::SeedCounts> Insert(const auth::SeedPlan& plan) override {
      auth::SeedCounts added;
      auth::RbacState& s = copy.rbac;
      for (const auto& p : plan.permissions) {
        if (std::find(s.permissions.begin(), s.permissions.end(), p.name) != s.permissions.end()) {
          continue;
        }
        s.permissions.push_back(p.name);
        ++added.permissions;
      }
      for (const auto& r : plan.roles) {
        if (std::any_of(s.roles.begin(), s.roles.end(),
                        [&](auto& x) { return x.name == r.name; })) {
          continue;
        }
        s.roles.push_back({r.name, r.level});
        ++added.roles;
      }
      for (const auto& g : plan.grants) {
        if (std::find(s.grants.begin(), s.grants.end(), g) != s.grants.end()) continue;
        s.grants.push_back(g);
        ++added.grants;
      }
      return added;
    }
    Result<OrganizationId> FindOrCreate(const std::string& slug, const std::string&) override {
      auto [it, inserted] = copy.organizations.emplace(slug, "org-" + std::to_string(copy.next_id));
      if (inserted) ++copy.next_id;
      return OrganizationId(it->second);
    }
    Result<std::optional<UserId>> FindByEmail(const std::string& email) override {
      for (const User& u : copy.users) {
        if (u.data.email == email) return std::optional<UserId>(UserId(u.id));
      }
      return std::optional<UserId>();
    }
    Result<UserId> Insert(const auth::NewUser& user) override {
      for (const User& u : copy.users) {
        if (u.data.email == user.email) {
          return MakeError(ErrorCode::kAlreadyExists, "a user with this e-mail already exists",
                           "email");
        }
      }
      copy.users.push_back({"user-" + std::to_string(copy.next_id++), user, {}});
      return UserId(copy.users.back().id);
    }
    Status AssignGlobalRole(const UserId& user, const OrganizationId&,
                            const std::string& role) override {
      const auto& roles = copy.rbac.roles;
      if (std::none_of(roles.begin(), roles.end(), [&](auto& r) { return r.name == role; })) {
        return MakeError(ErrorCode::kFailedPrecondition, "role " + role + " does not exist");
      }
      for (User& u : copy.users) {
        if (u.id == user.value()) u.roles.insert(role);
      }
      return Ok();
    }
  };
};

// Not a hash: records what it was given, so tests can see it was called.
class FakeHasher final : public auth::PasswordHasher {
 public:
  int calls = 0;
  Result<std::string> Hash(std::string_view password) override {
    ++calls;
    return "fake$" + std::string(password.size(), '*');
  }
  Result<bool> Verify(const std::string& hash, std::string_view password) override {
    return hash == "fake$" + std::string(password.size(), '*');
  }
};

}  // namespace giia::testing
