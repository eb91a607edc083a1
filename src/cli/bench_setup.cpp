#include "cli/bench_setup.hpp"

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/crypto/secrets.hpp"
#include "adapters/postgres/account_store.hpp"

namespace giia::cli {
namespace {

// 12 hex digits of a random UUID: names the organization and its admin.
std::string RandomSuffix(crypto::SodiumSecrets& secrets) {
  std::string hex;
  for (char c : secrets.NewUuid()) {
    if (c != '-' && hex.size() < 12) hex += c;
  }
  return hex;
}

Status InsertAccount(auth::AccountTx& tx, BenchAccount& account, const std::string& hash) {
  auto org = tx.accounts().CreateOrganization("giia bench " + account.slug, account.slug);
  if (!org) return tl::unexpected(org.error());
  account.organization_id = org->id.value();
  auth::NewUser user;
  user.organization = org->id;
  user.email = account.email;
  user.password_hash = hash;
  user.first_name = "Bench";
  user.last_name = "Admin";
  user.status = auth::UserStatus::kActive;
  user.email_verified = true;
  auto id = tx.accounts().InsertUser(user);
  if (!id) return tl::unexpected(id.error());
  auto assigned = tx.accounts().AssignRole(org->id, *id, "Admin", std::nullopt);
  if (!assigned && assigned.error().code == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the Admin role does not exist in this database; run giia seed-roles first");
  }
  if (!assigned) return tl::unexpected(assigned.error());
  return Ok();
}

}  // namespace

Result<BenchAccount> CreateBenchAccount(pg::Pool& pool, const Config& config, Redactor& redactor) {
  crypto::SodiumSecrets secrets;
  BenchAccount account;
  const std::string suffix = RandomSuffix(secrets);
  account.slug = pg::kBenchSlugPrefix + suffix;
  account.email = "giia-bench-" + suffix + "@bench.example.com";
  account.password = secrets.NewToken();
  redactor.Add(account.password);
  // Hashed as `serve auth` would, with its configured cost.
  crypto::Argon2idHasher hasher(
      crypto::Argon2idParams{static_cast<std::uint64_t>(config.password_hash_iterations),
                             static_cast<std::size_t>(config.password_hash_memory_kib) * 1024});
  auto hash = hasher.Hash(account.password);
  if (!hash) return tl::unexpected(hash.error());
  account.password_hash = *hash;
  pg::PgAccountStore store(pool);
  Status made = store.Run([&](auth::AccountTx& tx) { return InsertAccount(tx, account, *hash); });
  if (!made) return tl::unexpected(made.error());
  return account;
}

Status CreateBenchUsers(pg::Pool& pool, BenchAccount& account, int count) {
  // giia-bench-<suffix>-user-<n>@bench.example.com
  const std::string prefix =
      "giia-bench-" + account.slug.substr(std::string(pg::kBenchSlugPrefix).size()) + "-user-";
  auto users = pg::InsertBenchUsers(pool, account.organization_id, prefix, account.password_hash,
                                    count, "Viewer");
  if (!users) return tl::unexpected(users.error());
  account.user_ids.clear();
  account.user_emails.clear();
  for (pg::BenchUser& u : *users) {
    account.user_ids.push_back(std::move(u.id));
    account.user_emails.push_back(std::move(u.email));
  }
  return Ok();
}

}  // namespace giia::cli
