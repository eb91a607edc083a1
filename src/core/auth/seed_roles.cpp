#include "core/auth/seed_roles.hpp"

#include "core/auth/credentials.hpp"

namespace giia::auth {

const char* UserStatusName(UserStatus status) {
  switch (status) {
    case UserStatus::kPending: return "pending";
    case UserStatus::kActive: return "active";
    case UserStatus::kInactive: return "inactive";
    case UserStatus::kSuspended: return "suspended";
  }
  return "pending";
}

Result<SeedReport> SeedRoles::Run(bool dry_run) {
  SeedReport report;
  Status status = tx_.Run([&](AuthTx& tx) -> Status {
    report = SeedReport{};
    auto state = tx.rbac().LoadGlobal();
    if (!state) return tl::unexpected(state.error());
    report.plan = PlanSeed(manifest_, *state);
    if (dry_run || report.plan.empty()) {
      report.summary = Summarize(Project(*state, report.plan));
      return Ok();
    }
    auto added = tx.rbac().Insert(report.plan);
    if (!added) return tl::unexpected(added.error());
    report.added = *added;
    auto after = tx.rbac().LoadGlobal();
    if (!after) return tl::unexpected(after.error());
    report.summary = Summarize(*after);
    return Ok();
  });
  if (!status) return tl::unexpected(status.error());
  return report;
}

Result<BootstrapReport> BootstrapAdmin::Run(const std::string& email, const std::string& password,
                                            bool dry_run) {
  auto normalized = NormalizeEmail(email, "--admin-email");
  if (!normalized) return tl::unexpected(normalized.error());
  // A dry run may go without a password; one that is given is still checked.
  if (!dry_run || !password.empty()) {
    if (auto ok = CheckPasswordPolicy(password, "password"); !ok) return tl::unexpected(ok.error());
  }

  BootstrapReport report;
  report.email = *normalized;
  // Hash outside the transaction: argon2id is deliberately slow, and a
  // transaction should not hold a connection while it runs.
  std::string hash;
  if (!dry_run) {
    auto hashed = hasher_.Hash(password);
    if (!hashed) return tl::unexpected(hashed.error());
    hash = std::move(*hashed);
  }
  Status status = tx_.Run([&](AuthTx& tx) -> Status {
    report.created = false;
    auto existing = tx.users().FindByEmail(*normalized);
    if (!existing) return tl::unexpected(existing.error());
    if (existing->has_value()) return Ok();
    report.created = true;
    if (dry_run) return Ok();
    auto org = tx.organizations().FindOrCreate(kDefaultOrganizationSlug, kDefaultOrganizationName);
    if (!org) return tl::unexpected(org.error());
    NewUser user;
    user.organization = *org;
    user.email = *normalized;
    user.password_hash = hash;
    user.first_name = "Admin";
    user.status = UserStatus::kActive;
    user.email_verified = true;
    auto id = tx.users().Insert(user);
    if (!id) return tl::unexpected(id.error());
    return tx.users().AssignGlobalRole(*id, *org, "Admin");
  });
  if (!status) return tl::unexpected(status.error());
  return report;
}

}  // namespace giia::auth
