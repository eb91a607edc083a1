// The PostgreSQL account store's refresh-token statements against a real
// server: one round trip for the session, its locks, and a rotation that
// happens while the statement waits for them.
#include "adapters/postgres/account_store.hpp"

#include <catch2/catch.hpp>
#include <future>

#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "support/test_database.hpp"

using namespace giia;
using giia::testing::Scalar;
using giia::testing::TestDatabase;
using Clock = std::chrono::steady_clock;

namespace {

struct World {
  TestDatabase db;
  std::unique_ptr<pg::Pool> pool = db.MakePool(4);
  pg::PgAccountStore store{*pool};
  UserId user{""};
  OrganizationId org{""};

  World() {
    pg::PgMigrationStore migrations(*pool);
    auto up =
        migrate::Migrator(migrations, migrate::ForService(pg::EmbeddedMigrations().value(), "auth"))
            .Up(std::nullopt, false);
    REQUIRE(up);
    REQUIRE_FALSE(up->error);
    REQUIRE(store.Run([&](auth::AccountTx& tx) -> Status {
      auto o = tx.accounts().CreateOrganization("Acme", "acme");
      if (!o) return tl::unexpected(o.error());
      org = o->id;
      auth::NewUser u;
      u.organization = org;
      u.email = "ada@example.com";
      u.password_hash = "$argon2id$not-a-real-hash";
      u.status = auth::UserStatus::kActive;
      auto id = tx.accounts().InsertUser(u);
      if (!id) return tl::unexpected(id.error());
      user = *id;
      return Ok();
    }));
  }

  auth::NewRefresh Token(const std::string& hash, const std::string& family = "",
                         int generation = 0) const {
    auth::NewRefresh t;
    t.user = user;
    t.organization = org;
    t.token_hash = hash;
    t.family = family;
    t.generation = generation;
    t.expires_at = auth::Timestamp(std::chrono::hours(24 * 365 * 60));
    return t;
  }

  // A new session (a login): its generation-0 token has this hash. Returns the family.
  std::string Login(const std::string& hash) {
    std::string family;
    REQUIRE(store.Run([&](auth::AccountTx& tx) -> Status {
      auto f = tx.accounts().InsertRefresh(Token(hash));
      if (!f) return tl::unexpected(f.error());
      family = *f;
      return Ok();
    }));
    return family;
  }

  // Safe on any thread (no assertions).
  Result<std::optional<auth::RefreshSession>> TrySession(const std::string& hash) {
    std::optional<auth::RefreshSession> out;
    Status ok = store.Run([&](auth::AccountTx& tx) -> Status {
      auto s = tx.accounts().LockRefreshSession(hash);
      if (!s) return tl::unexpected(s.error());
      out = *s;
      return Ok();
    });
    if (!ok) return tl::unexpected(ok.error());
    return out;
  }
  std::optional<auth::RefreshSession> Session(const std::string& hash) {
    auto s = TrySession(hash);
    REQUIRE(s);
    return *s;
  }
};

const std::string kHash0(64, 'a');
const std::string kHash1(64, 'b');

}  // namespace

TEST_CASE("A refresh session is the token, its family's newest generation and its user",
          "[pg][auth]") {
  World w;
  const std::string family = w.Login(kHash0);
  CHECK_FALSE(w.Session(std::string(64, 'f')));  // no such token

  auto first = w.Session(kHash0);
  REQUIRE(first);
  CHECK(first->presented.family == family);
  CHECK(first->presented.generation == 0);
  CHECK(first->latest.id == first->presented.id);
  CHECK_FALSE(first->presented.rotated_at);
  REQUIRE(first->user);
  CHECK(first->user->user.id == w.user);
  CHECK(first->user->user.email == "ada@example.com");
  CHECK(first->user->token_version == 0);

  // Rotation marks the token and stores its successor in one statement.
  const auth::Timestamp at(std::chrono::seconds(1'800'000'000));
  REQUIRE(w.store.Run([&](auth::AccountTx& tx) {
    return tx.accounts().RotateRefresh(first->presented.id, at, w.Token(kHash1, family, 1));
  }));
  auto old = w.Session(kHash0);
  REQUIRE(old);
  CHECK(old->presented.rotated_at == at);
  CHECK(old->latest.generation == 1);
  CHECK(old->latest.family == family);
  CHECK_FALSE(old->latest.rotated_at);

  // A deleted user's session has no user.
  Scalar(w.db.sql(), "UPDATE auth.users SET deleted_at = now()");
  auto orphan = w.Session(kHash1);
  REQUIRE(orphan);
  CHECK_FALSE(orphan->user);
}

TEST_CASE("A session read while another transaction rotates it sees the new generation",
          "[pg][auth]") {
  World w;
  const std::string family = w.Login(kHash0);
  // Another session rotates generation 0 and holds its locks.
  auto other = pg::Connection::Open({.url = w.db.url()}).value();
  REQUIRE(other->Exec("BEGIN"));
  REQUIRE(other->Exec("UPDATE auth.refresh_tokens SET rotated_at = now() WHERE generation = 0"));
  REQUIRE(other->Exec(
      "INSERT INTO auth.refresh_tokens (user_id, organization_id, token_hash, family_id,"
      " generation, expires_at) VALUES ($1, $2, decode($3, 'hex'), $4, 1, now() + interval '1 "
      "day')",
      {w.user.value(), w.org.value(), kHash1, family}));
  auto waiting = std::async(std::launch::async, [&] { return w.TrySession(kHash0); });
  // The read waits for the lock (pg_locks shows it waiting), then the rotation commits.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Scalar(w.db.sql(), "SELECT count(*) FROM pg_locks WHERE NOT granted") == "0") {
    REQUIRE(Clock::now() < deadline);
    REQUIRE(waiting.wait_for(std::chrono::milliseconds(5)) == std::future_status::timeout);
  }
  REQUIRE(other->Exec("COMMIT"));
  auto read = waiting.get();
  REQUIRE(read);
  const std::optional<auth::RefreshSession>& seen = *read;
  REQUIRE(seen);
  CHECK(seen->presented.rotated_at);
  // Not generation 0 as the waiting statement's snapshot had it: generation 1.
  CHECK(seen->latest.generation == 1);
  CHECK_FALSE(seen->latest.rotated_at);
}
