// giia seed-roles: the built-in roles and permissions, and optionally a first
// Admin. Idempotent. The admin password never comes from a flag: it is read
// from GIIA_ADMIN_PASSWORD or standard input.
#include "core/auth/seed_roles.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "adapters/crypto/argon2id_hasher.hpp"
#include "adapters/postgres/auth_store.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "cli/secret_input.hpp"

namespace giia::cli {
namespace {

using nlohmann::json;

struct SeedRolesOptions {
  std::string database_url;
  std::string admin_email;
  bool dry_run = false;
  std::string output = "text";
};

void RunSeedRoles(const SeedRolesOptions& o, CommandEnv& env) {
  Env flags;
  Env flag_names;
  if (!o.database_url.empty()) {
    flags["DATABASE_URL"] = o.database_url;
    flag_names["DATABASE_URL"] = "--database-url";
    env.redactor.Add(o.database_url);
  }
  const std::vector<std::string> required = {"DATABASE_URL"};
  auto loaded = env.Load("auth", flags, flag_names, required);
  if (!loaded) return;

  std::string password;
  if (!o.admin_email.empty() && !o.dry_run) {
    auto read = ReadSecret(env, "GIIA_ADMIN_PASSWORD", "Admin password");
    if (!read || read->empty()) {
      env.Fail(InvalidArgument("GIIA_ADMIN_PASSWORD",
                               "--admin-email needs a password: set GIIA_ADMIN_PASSWORD or "
                               "write it on standard input")
                   .value(),
               true);
      return;
    }
    password = std::move(*read);
  }

  auto pool = OpenCommandPool(*loaded, "giia-seed-roles");
  if (!pool) {
    env.Fail(pool.error(), true);
    return;
  }
  auto fail = [&](Error e) {
    if (e.code == ErrorCode::kUnavailable) {
      e.message += "; check " + loaded->Value("DATABASE_URL").Describe();
    }
    env.Fail(e, e.code == ErrorCode::kInvalidArgument);
  };
  pg::PgAuthStore store(**pool);
  auth::SeedRoles seed(store, auth::BuiltInRbac());
  auto report = seed.Run(o.dry_run);
  if (!report) return fail(report.error());

  std::optional<auth::BootstrapReport> admin;
  if (!o.admin_email.empty()) {
    crypto::Argon2idHasher hasher;
    auth::BootstrapAdmin bootstrap(store, hasher);
    auto made = bootstrap.Run(o.admin_email, password, o.dry_run);
    if (!made) return fail(made.error());
    admin = *made;
  }

  const auth::SeedCounts& added = report->added;
  if (added.roles + added.permissions + added.grants > 0) {
    loaded->log->info("seed-roles added {} roles, {} permissions, {} grants", added.roles,
                      added.permissions, added.grants);
  }
  if (admin && admin->created && !o.dry_run) {
    loaded->log->info("seed-roles created the admin user {}", admin->email);
  }
  const auth::SeedPlan& plan = report->plan;
  if (o.output == "json") {
    json out = {{"dry_run", o.dry_run}, {"roles", json::array()}};
    out["missing"] = {{"roles", plan.roles.size()},
                      {"permissions", plan.permissions.size()},
                      {"grants", plan.grants.size()}};
    out["added"] = {{"roles", report->added.roles},
                    {"permissions", report->added.permissions},
                    {"grants", report->added.grants}};
    for (const auth::RoleSummary& r : report->summary) {
      out["roles"].push_back(
          {{"role", r.name}, {"level", r.level}, {"permissions", r.permission_count}});
    }
    if (admin) {
      out["admin"] = {{"email", admin->email},
                      {o.dry_run ? "would_create" : "created", admin->created}};
    }
    env.output.Line(out.dump(2));
    return;
  }
  if (o.dry_run) {
    env.output.Line("dry run: would add " + std::to_string(plan.roles.size()) + " roles, " +
                    std::to_string(plan.permissions.size()) + " permissions, " +
                    std::to_string(plan.grants.size()) + " grants; nothing was changed");
  } else {
    env.output.Line("added " + std::to_string(report->added.roles) + " roles, " +
                    std::to_string(report->added.permissions) + " permissions, " +
                    std::to_string(report->added.grants) + " grants");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auth::RoleSummary& r : report->summary) {
    rows.push_back({r.name, std::to_string(r.level), std::to_string(r.permission_count)});
  }
  std::ostringstream table;
  PrintTable(table, {"ROLE", "LEVEL", "PERMISSIONS"}, rows);
  env.output.out << table.str();
  if (admin) {
    const char* what =
        admin->created ? (o.dry_run ? "would be created" : "created") : "already exists; unchanged";
    env.output.Line("admin " + admin->email + ": " + what);
  }
}

}  // namespace

void RegisterSeedRoles(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<SeedRolesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "seed-roles",
      "Create the built-in roles (Admin, Manager, Analyst, Viewer) and their 18 permissions; "
      "idempotent");
  cmd->add_option("--database-url", o->database_url,
                  "PostgreSQL URL (default: AUTH_DATABASE_URL, then DATABASE_URL)")
      ->type_name("URL");
  cmd->add_option("--admin-email", o->admin_email,
                  "Also create, once, a default organization and an active Admin with this "
                  "e-mail; the password is read from GIIA_ADMIN_PASSWORD or standard input")
      ->type_name("EMAIL");
  cmd->add_flag("--dry-run", o->dry_run, "Report what would be added; change nothing");
  cmd->add_option("--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(HelpFooter("GIIA_ADMIN_PASSWORD=... giia seed-roles --admin-email ops@example.com"));
  cmd->callback([o, &env] { RunSeedRoles(*o, env); });
}

}  // namespace giia::cli
