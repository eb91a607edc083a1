#include "core/auth/seed_roles.hpp"

#include <catch2/catch.hpp>

#include "core/auth/credentials.hpp"
#include "support/contract.hpp"
#include "support/fakes.hpp"

using namespace giia::auth;
using giia::ErrorCode;
using giia::testing::FakeAuthStore;
using giia::testing::FakeHasher;

TEST_CASE("The fake auth store keeps the AuthTransactionRunner contract", "[auth]") {
  FakeAuthStore store;
  giia::testing::CheckAuthStoreContract(store);
}

TEST_CASE("SeedRoles adds everything once, then nothing", "[auth]") {
  FakeAuthStore store;
  SeedRoles seed(store, BuiltInRbac());
  auto first = seed.Run(false).value();
  CHECK(first.added.roles == 4);
  CHECK(first.added.permissions == 18);
  CHECK(first.added.grants == 35);
  REQUIRE(first.summary.size() == 4);
  CHECK(first.summary[0].permission_count == 18);
  auto second = seed.Run(false).value();
  CHECK(second.plan.empty());
  CHECK(second.added.roles == 0);
  CHECK(second.summary.size() == 4);
}

TEST_CASE("SeedRoles --dry-run reports the outcome and changes nothing", "[auth]") {
  FakeAuthStore store;
  SeedRoles seed(store, BuiltInRbac());
  auto report = seed.Run(true).value();
  CHECK(report.plan.roles.size() == 4);
  CHECK(report.added.roles == 0);
  CHECK(report.summary.size() == 4);  // projected
  CHECK(store.state.rbac.roles.empty());
}

TEST_CASE("BootstrapAdmin creates the admin once, hashed, with the Admin role", "[auth]") {
  FakeAuthStore store;
  FakeHasher hasher;
  REQUIRE(SeedRoles(store, BuiltInRbac()).Run(false).has_value());
  BootstrapAdmin bootstrap(store, hasher);
  auto made = bootstrap.Run(" Ops@Example.com ", "correct horse", false).value();
  CHECK(made.created);
  CHECK(made.email == "ops@example.com");
  REQUIRE(store.state.users.size() == 1);
  const auto& user = store.state.users[0];
  CHECK(user.data.password_hash != "correct horse");
  CHECK(user.data.status == UserStatus::kActive);
  CHECK(user.data.email_verified);
  CHECK(user.roles == std::set<std::string>{"Admin"});
  CHECK(store.state.organizations.count("default") == 1);

  auto again = bootstrap.Run("ops@example.com", "another password", false).value();
  CHECK_FALSE(again.created);
  CHECK(store.state.users.size() == 1);
}

TEST_CASE("BootstrapAdmin refuses bad input and changes nothing", "[auth]") {
  FakeAuthStore store;
  FakeHasher hasher;
  BootstrapAdmin bootstrap(store, hasher);
  auto bad_email = bootstrap.Run("not-an-email", "long enough", false);
  REQUIRE_FALSE(bad_email);
  CHECK(bad_email.error().field == "--admin-email");
  auto short_pw = bootstrap.Run("ops@example.com", "short", false);
  REQUIRE_FALSE(short_pw);
  CHECK(short_pw.error().field == "password");
  CHECK(short_pw.error().message.find("short") == std::string::npos);  // never echo it
  CHECK(hasher.calls == 0);
  // Without the Admin role the whole transaction rolls back: no org, no user.
  auto no_role = bootstrap.Run("ops@example.com", "long enough", false);
  REQUIRE_FALSE(no_role);
  CHECK(no_role.error().code == ErrorCode::kFailedPrecondition);
  CHECK(store.state.users.empty());
  CHECK(store.state.organizations.empty());
}

TEST_CASE("E-mail and password rules", "[auth]") {
  CHECK(NormalizeEmail("A@B.io").value() == "a@b.io");
  for (const char* bad : {"", "a", "a@b", "@b.io", "a@@b.io", "a b@c.io", "a@b.io."}) {
    INFO(bad);
    CHECK_FALSE(NormalizeEmail(bad));
  }
  CHECK(CheckPasswordPolicy("12345678").has_value());
  CHECK_FALSE(CheckPasswordPolicy("1234567"));
  CHECK_FALSE(CheckPasswordPolicy(std::string(1025, 'x')));
}
