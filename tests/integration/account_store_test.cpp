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
  // Another session rotates generation 0 of `family` (its successor has
  // hash kHash1) and holds the locks until it commits.
  std::unique_ptr<pg::Connection> RotateAndHold(const std::string& family);

  std::optional<auth::RefreshSession> Session(const std::string& hash) {
    auto s = TrySession(hash);
    REQUIRE(s);
    return *s;
  }
};

const std::string kHash0(64, 'a');
const std::string kHash1(64, 'b');

std::unique_ptr<pg::Connection> World::RotateAndHold(const std::string& family) {
  auto other = pg::Connection::Open({.url = db.url()}).value();
  REQUIRE(other->Exec("BEGIN"));
  REQUIRE(other->Exec("UPDATE auth.refresh_tokens SET rotated_at = now() WHERE generation = 0"));
  REQUIRE(other->Exec(
      "INSERT INTO auth.refresh_tokens (user_id, organization_id, token_hash, family_id,"
      " generation, expires_at) VALUES ($1, $2, decode($3, 'hex'), $4, 1, now() + interval '1 "
      "day')",
      {user.value(), org.value(), kHash1, family}));
  return other;
}

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
  auto other = w.RotateAndHold(family);
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

namespace {

using Decision = Result<std::optional<auth::AccountStore::Rotation>>;

// RotateSession's rules, alike on the path that may wait (the default, a
// Run()) and on the asynchronous pool.
void CheckRotateSession(World& w, auth::AccountStore& store, bool asynchronous) {
  const std::string family = w.Login(kHash0);
  auto count = [&] { return Scalar(w.db.sql(), "SELECT count(*) FROM auth.refresh_tokens"); };
  auto rotated = [&] {
    return Scalar(w.db.sql(),
                  "SELECT count(*) FROM auth.refresh_tokens WHERE rotated_at IS NOT NULL");
  };

  // decide runs where the store runs it (the reactor thread, for the
  // asynchronous pool): it only records what it saw, for the checks here.
  int calls = 0;
  std::optional<auth::RefreshSession> saw;
  auto record = [&](const std::optional<auth::RefreshSession>& session) -> Decision {
    ++calls;
    saw = session;
    return std::nullopt;
  };

  // No such token: decide hears so, and nothing is written.
  auto unknown = store.RotateSession(std::string(64, 'f'), record);
  CHECK(unknown.asynchronous() == asynchronous);
  auto none = std::move(unknown).Finish();
  REQUIRE(none);
  CHECK_FALSE(*none);
  CHECK(calls == 1);
  CHECK_FALSE(saw);

  // No rotation decided: nothing is written, and the locks are let go (a
  // transaction that takes them again gets them).
  auto kept = store.RotateSession(kHash0, record).Finish();
  REQUIRE(kept);
  CHECK_FALSE(*kept);
  CHECK(calls == 2);
  REQUIRE(saw);
  CHECK(saw->presented.family == family);
  CHECK(saw->latest.id == saw->presented.id);
  REQUIRE(saw->user);
  CHECK(saw->user->user.id == w.user);
  auto relock = std::async(std::launch::async, [&] { return w.TrySession(kHash0); });
  REQUIRE(relock.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  REQUIRE(relock.get());
  CHECK(rotated() == "0");

  // decide's error is the answer, with nothing written.
  auto refused = store
                     .RotateSession(kHash0,
                                    [&](const auto&) -> Decision {
                                      return MakeError(ErrorCode::kPermissionDenied, "not today");
                                    })
                     .Finish();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kPermissionDenied);
  CHECK(count() == "1");

  // A rotation decided is carried out and committed.
  const auth::Timestamp at(std::chrono::seconds(1'800'000'000));
  // Rotates the session of `hash` to a successor of `successor_hash`.
  auto rotate = [&](const std::string& hash, const std::string& successor_hash, int generation) {
    return store
        .RotateSession(hash,
                       [&](const std::optional<auth::RefreshSession>& session) -> Decision {
                         return auth::AccountStore::Rotation{
                             session ? session->presented.id : "", at,
                             w.Token(successor_hash, family, generation)};
                       })
        .Finish();
  };
  auto done = rotate(kHash0, kHash1, 1);
  REQUIRE(done);
  CHECK(*done);
  auto old = w.Session(kHash0);
  REQUIRE(old);
  CHECK(old->presented.rotated_at == at);
  CHECK(old->latest.generation == 1);
  auto next = w.Session(kHash1);
  REQUIRE(next);
  CHECK(next->presented.family == family);
  CHECK_FALSE(next->presented.rotated_at);

  // The successor's row breaks a constraint (its hash is taken): the
  // error, and the token stays as it was.
  auto clash = rotate(kHash1, kHash0, 2);
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == ErrorCode::kAlreadyExists);
  CHECK(count() == "2");
  CHECK(rotated() == "1");
}

}  // namespace

TEST_CASE("RotateSession locks, decides and rotates in one transaction on the waiting path",
          "[pg][auth]") {
  World w;
  CheckRotateSession(w, w.store, /*asynchronous=*/false);
}

TEST_CASE("RotateSession on the asynchronous pool keeps the same rules, without a waiting thread",
          "[pg][auth]") {
  World w;
  auto async = w.db.MakeAsyncPool();
  pg::PgAccountStore store(*w.pool, nullptr, async.get());
  CheckRotateSession(w, store, /*asynchronous=*/true);
}

TEST_CASE("RotateSession on the asynchronous pool sees a rotation that committed while it waited",
          "[pg][auth]") {
  World w;
  auto async = w.db.MakeAsyncPool();
  pg::PgAccountStore store(*w.pool, nullptr, async.get());
  const std::string family = w.Login(kHash0);
  auto other = w.RotateAndHold(family);
  std::promise<std::optional<auth::RefreshSession>> seen;
  auto answer = std::async(std::launch::async, [&] {
    return store
        .RotateSession(kHash0,
                       [&](const std::optional<auth::RefreshSession>& session) -> Decision {
                         seen.set_value(session);
                         return std::nullopt;
                       })
        .Finish();
  });
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Scalar(w.db.sql(), "SELECT count(*) FROM pg_locks WHERE NOT granted") == "0") {
    REQUIRE(Clock::now() < deadline);
    REQUIRE(answer.wait_for(std::chrono::milliseconds(5)) == std::future_status::timeout);
  }
  REQUIRE(other->Exec("COMMIT"));
  auto rotated = answer.get();
  REQUIRE(rotated);
  CHECK_FALSE(*rotated);
  auto session = seen.get_future().get();
  REQUIRE(session);
  CHECK(session->presented.rotated_at);
  CHECK(session->latest.generation == 1);
  CHECK_FALSE(session->latest.rotated_at);
}

TEST_CASE("FindPermissions on the asynchronous pool answers as Resolve does, without a thread",
          "[pg][auth]") {
  World w;
  auto async = w.db.MakeAsyncPool();
  pg::PgAccountStore store(*w.pool, nullptr, async.get());
  REQUIRE(
      w.db.sql().Exec("UPDATE auth.users SET token_version = 7 WHERE id = $1", {w.user.value()}));

  auto found = store.FindPermissions(w.org, w.user);
  CHECK(found.asynchronous());  // answered on the pool's reactor, not on a thread of ours
  auto answer = std::move(found).Finish();
  REQUIRE(answer);
  REQUIRE(answer->has_value());
  CHECK((*answer)->token_version == 7);
  CHECK((*answer)->active);
  CHECK((*answer)->roles.empty());

  std::optional<auth::ResolvedPermissions> resolved;
  REQUIRE(w.store.Read([&](auth::AccountRepository& repo) -> Status {
    auto r = repo.Resolve(w.org, w.user);
    if (!r) return tl::unexpected(r.error());
    resolved = *r;
    return Ok();
  }));
  REQUIRE(resolved);
  CHECK(resolved->token_version == (*answer)->token_version);
  CHECK(resolved->permissions == (*answer)->permissions);

  SECTION("a user that is not the organization's is absent") {
    auto absent =
        store.FindPermissions(w.org, UserId("00000000-0000-0000-0000-000000000001")).Finish();
    REQUIRE(absent);
    CHECK_FALSE(absent->has_value());
  }
  SECTION("a statement the server rejects is its error, and the pool goes on") {
    auto bad = store.FindPermissions(w.org, UserId("not-a-uuid")).Finish();
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::kInvalidArgument);
    auto again = store.FindPermissions(w.org, w.user).Finish();
    REQUIRE(again);
    CHECK(again->has_value());
  }
}
