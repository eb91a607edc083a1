// giia migrate up | down | status | version | force
//
// Each selected service is migrated against its own DATABASE_URL (the
// service-prefixed key wins), so auth and catalog may share a database or not.
// Configuration for every selected service is loaded before anything runs.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "adapters/postgres/embedded_migrations.hpp"
#include "adapters/postgres/migration_store.hpp"
#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "cli/database.hpp"
#include "core/common/duration.hpp"

namespace giia::cli {
namespace {

using nlohmann::json;

struct MigrateOptions {
  std::string service = "all";
  std::string database_url;
  std::string wait = "0";
  std::string output = "text";
  std::optional<int> to;
  std::optional<int> steps;
  bool all = false;
  bool dry_run = false;
  bool exit_code = false;
  int force_version = -1;
  bool yes = false;
};

enum class Action { kUp, kDown, kStatus, kVersion, kForce };

// One selected service, ready to migrate.
struct Target {
  std::string service;
  LoadedConfig loaded;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<pg::PgMigrationStore> store;
  std::unique_ptr<migrate::Migrator> migrator;
};

json StatusJson(const migrate::FileStatus& s) {
  json j = {{"service", s.service},
            {"version", s.version},
            {"name", s.name},
            {"file", s.File()},
            {"state", migrate::FileStateName(s.state)}};
  j["applied_at"] = s.record ? json(s.record->applied_at) : json();
  j["error"] = (s.record && !s.record->error.empty()) ? json(s.record->error) : json();
  return j;
}

bool IsPending(const migrate::FileStatus& s) {
  return s.state == migrate::FileState::kPending || s.state == migrate::FileState::kFailed ||
         s.state == migrate::FileState::kModified;
}

// Runs `action` on every target; returns false when it stopped on an error.
bool RunTargets(Action action, const MigrateOptions& o, std::vector<Target>& targets,
                CommandEnv& env) {
  const bool json_out = o.output == "json";
  json report = json::object();
  std::vector<std::vector<std::string>> rows;
  bool ok = true;
  bool pending = false;
  for (Target& t : targets) {
    auto fail = [&](const Error& e, bool from_operator = false) {
      Error shown = e;
      if (e.code == ErrorCode::kUnavailable && e.message.find("check ") == std::string::npos) {
        shown.message += "; check " + t.loaded.Value("DATABASE_URL").Describe();
      }
      env.Fail(shown, from_operator);
      ok = false;
    };
    switch (action) {
      case Action::kStatus:
      case Action::kVersion: {
        auto status = t.migrator->Status();
        if (!status) {
          fail(status.error());
          break;
        }
        const int applied = migrate::AppliedVersion(*status, t.service);
        int latest = 0;
        bool failed = false;
        for (const auto& s : *status) {
          if (s.state != migrate::FileState::kUnknown) latest = std::max(latest, s.version);
          failed = failed || s.state == migrate::FileState::kFailed;
          pending = pending || IsPending(s);
          if (action == Action::kStatus) {
            if (json_out) {
              report["migrations"].push_back(StatusJson(s));
            } else {
              rows.push_back({s.service, std::to_string(s.version), s.name,
                              migrate::FileStateName(s.state), s.record ? s.record->applied_at : "",
                              s.record ? s.record->error : ""});
            }
          }
        }
        if (action == Action::kVersion) {
          if (json_out) {
            report[t.service] = {{"version", applied}, {"latest", latest}, {"failed", failed}};
          } else {
            env.output.Line(t.service + " " + std::to_string(applied) + " (latest " +
                            std::to_string(latest) + (failed ? ", a file failed" : "") + ")");
          }
        }
        break;
      }
      case Action::kUp:
      case Action::kDown: {
        auto run = action == Action::kUp
                       ? t.migrator->Up(o.to, o.dry_run)
                       : t.migrator->Down(o.all ? std::nullopt : o.steps, o.dry_run);
        if (!run) {
          fail(run.error(), run.error().field == "--to");
          break;
        }
        const char* verb = action == Action::kUp ? "applied" : "reverted";
        int changed = 0;
        for (std::size_t i = 0; i < run->planned.size(); ++i) {
          const migrate::Migration& m = run->planned[i];
          std::string file = m.File();
          if (action == Action::kDown) file.replace(file.size() - 7, 7, ".down.sql");
          if (o.dry_run) {
            if (json_out) {
              report["planned"].push_back(
                  {{"file", file}, {"sql", action == Action::kUp ? m.up_sql : m.down_sql}});
            } else {
              env.output.Line(std::string("would run ") + file);
            }
            continue;
          }
          if (i >= run->steps.size()) break;
          const migrate::StepResult& step = run->steps[i];
          const bool done_here = step.outcome == migrate::StepOutcome::kApplied;
          if (done_here) {
            ++changed;
            t.loaded.log->debug("{} {} in {} ms", verb, file, step.duration_ms);
          }
          if (json_out) {
            report[done_here ? verb : "already_done"].push_back(
                {{"file", file}, {"duration_ms", step.duration_ms}});
          } else {
            env.output.Line(done_here ? std::string(verb) + " " + file + " (" +
                                            std::to_string(step.duration_ms) + " ms)"
                                      : "skipped " + file + " (done by another process)");
          }
        }
        if (changed > 0) {
          t.loaded.log->info("{} {} migration file(s) of {}", verb, changed, t.service);
        }
        if (run->planned.empty() && !json_out) {
          env.output.Line(t.service + ": nothing to " +
                          (action == Action::kUp ? "apply" : "revert"));
        }
        if (run->error) {
          if (json_out) report["error"] = run->error->message;
          fail(*run->error);
        }
        break;
      }
      case Action::kForce: {
        if (auto forced = t.migrator->Force(t.service, o.force_version); !forced) {
          fail(forced.error(), forced.error().code == ErrorCode::kInvalidArgument);
          break;
        }
        if (json_out) {
          report[t.service] = {{"forced_version", o.force_version}};
        } else {
          env.output.Line(t.service + ": history set to version " +
                          std::to_string(o.force_version) + " (no SQL was run)");
        }
        break;
      }
    }
    if (!ok) break;
  }
  if (action == Action::kStatus && !json_out && ok) {
    std::ostringstream table;
    PrintTable(table, {"SERVICE", "VERSION", "NAME", "STATE", "APPLIED AT", "ERROR"}, rows);
    env.output.out << env.redactor.Apply(table.str());
  }
  if (json_out && (ok || !report.empty())) {
    if (action == Action::kStatus && !report.contains("migrations")) {
      report["migrations"] = json::array();
    }
    if (action == Action::kStatus) report["pending"] = pending;
    if (o.dry_run) report["dry_run"] = true;
    env.output.Line(report.dump(2));
  }
  if (ok && action == Action::kStatus && o.exit_code && pending) {
    env.exit_code = ExitCode::kFailed;
  }
  return ok;
}

void RunMigrate(Action action, const MigrateOptions& o, CommandEnv& env) {
  if (action == Action::kDown && o.all == o.steps.has_value()) {
    env.Fail(InvalidArgument("N", "say how much to revert: `down N` or `down --all`").value(),
             true);
    return;
  }
  if (action == Action::kForce && !o.yes) {
    env.Fail(InvalidArgument("--yes",
                             "force rewrites the migration history without running "
                             "SQL; add --yes to confirm")
                 .value(),
             true);
    return;
  }
  if (action == Action::kForce && o.service == "all") {
    env.Fail(
        InvalidArgument("--service", "force needs one service: --service auth or catalog").value(),
        true);
    return;
  }
  auto wait = ParseDuration(o.wait);
  if (!wait) {
    env.Fail(InvalidArgument("--wait", "--wait " + wait.error().message).value(), true);
    return;
  }
  auto shipped = pg::EmbeddedMigrations();
  if (!shipped) {
    env.Fail(shipped.error());
    return;
  }
  std::vector<std::string> services = {"auth", "catalog"};
  if (o.service != "all") services = {o.service};
  // Revert the later service first, as it was applied last.
  if (action == Action::kDown) std::reverse(services.begin(), services.end());

  Env flags;
  Env flag_names;
  if (!o.database_url.empty()) {
    flags["DATABASE_URL"] = o.database_url;
    flag_names["DATABASE_URL"] = "--database-url";
    env.redactor.Add(o.database_url);  // the whole URL: it may carry a password
  }
  const std::vector<std::string> required = {"DATABASE_URL"};
  std::vector<Target> targets;
  for (const std::string& service : services) {
    auto loaded = env.Load(service, flags, flag_names, required);
    if (!loaded) return;  // problems printed, exit 1, nothing attempted
    targets.push_back(Target{service, std::move(*loaded), nullptr, nullptr, nullptr});
  }
  for (Target& t : targets) {
    // Migrations may run long: no statement timeout on this connection.
    auto pool = OpenCommandPool(t.loaded, "giia-migrate", std::chrono::milliseconds(0));
    if (!pool) {
      env.Fail(pool.error(), true);
      return;
    }
    t.pool = std::move(*pool);
    if (auto ready = WaitForDatabase(*t.pool, t.loaded, *wait); !ready) {
      env.Fail(ready.error());
      return;
    }
    t.store = std::make_unique<pg::PgMigrationStore>(*t.pool);
    t.migrator =
        std::make_unique<migrate::Migrator>(*t.store, migrate::ForService(*shipped, t.service));
  }
  RunTargets(action, o, targets, env);
}

void AddCommon(CLI::App* cmd, MigrateOptions& o) {
  cmd->add_option("--service", o.service, "auth, catalog or all (default all)")
      ->check(CLI::IsMember({"auth", "catalog", "all"}));
  cmd->add_option("--database-url", o.database_url,
                  "PostgreSQL URL (default: <SERVICE>_DATABASE_URL, then DATABASE_URL)")
      ->type_name("URL");
  cmd->add_option("--wait", o.wait, "Wait up to DURATION for the database to answer (e.g. 30s)")
      ->type_name("DURATION");
  cmd->add_option("--output", o.output, "text or json")->check(CLI::IsMember({"text", "json"}));
}

}  // namespace

void RegisterMigrate(CLI::App& app, CommandEnv& env) {
  auto o = std::make_shared<MigrateOptions>();
  CLI::App* migrate = app.add_subcommand(
      "migrate", "Apply, revert and inspect the database schema (SQL embedded in this binary)");
  migrate->require_subcommand(1);
  migrate->footer(
      HelpFooter("giia migrate up --database-url postgresql://giia@127.0.0.1:5432/giia"));

  CLI::App* up = migrate->add_subcommand("up", "Apply pending migrations, in order");
  AddCommon(up, *o);
  up->add_option("--to", o->to, "Stop after version V")->type_name("V");
  up->add_flag("--dry-run", o->dry_run, "Print what would run; change nothing");
  up->footer(HelpFooter("giia migrate up --service auth --wait 30s"));
  up->callback([o, &env] { RunMigrate(Action::kUp, *o, env); });

  CLI::App* down = migrate->add_subcommand("down", "Revert the last N migrations, or --all");
  AddCommon(down, *o);
  down->add_option("N", o->steps, "How many migrations to revert")->check(CLI::PositiveNumber);
  down->add_flag("--all", o->all, "Revert every applied migration");
  down->add_flag("--dry-run", o->dry_run, "Print what would run; change nothing");
  down->footer(HelpFooter("giia migrate down 1 --service catalog --dry-run"));
  down->callback([o, &env] { RunMigrate(Action::kDown, *o, env); });

  CLI::App* status = migrate->add_subcommand("status", "Show every migration and its state");
  AddCommon(status, *o);
  status->add_flag("--exit-code", o->exit_code,
                   "Exit 3 while migrations are pending, failed or modified");
  status->footer(HelpFooter("giia migrate status --exit-code --output json"));
  status->callback([o, &env] { RunMigrate(Action::kStatus, *o, env); });

  CLI::App* version = migrate->add_subcommand("version", "Show the applied version per service");
  AddCommon(version, *o);
  version->footer(HelpFooter("giia migrate version --service auth"));
  version->callback([o, &env] { RunMigrate(Action::kVersion, *o, env); });

  CLI::App* force = migrate->add_subcommand(
      "force",
      "Set the recorded version of one service without running SQL (repairs a failed or "
      "modified record)");
  AddCommon(force, *o);
  force->add_option("V", o->force_version, "The version to record (0: none)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  force->add_flag("--yes", o->yes, "Confirm the rewrite");
  force->footer(HelpFooter("giia migrate force 0 --service catalog --yes"));
  force->callback([o, &env] { RunMigrate(Action::kForce, *o, env); });
}

}  // namespace giia::cli
