#include "core/migrate/migrator.hpp"

#include <algorithm>
#include <functional>

namespace giia::migrate {

Result<std::vector<FileStatus>> Migrator::Status() {
  auto history = store_.History();
  if (!history) return tl::unexpected(history.error());
  return ComputeStatus(migrations_, *history);
}

namespace {

// Runs `plan` one file at a time through `step`, stopping at the first failure.
Result<RunReport> Execute(Result<std::vector<Migration>> plan, bool dry_run,
                          const std::function<Result<StepResult>(const Migration&)>& step) {
  if (!plan) return tl::unexpected(plan.error());
  RunReport report;
  report.planned = std::move(*plan);
  if (dry_run) return report;
  for (const Migration& m : report.planned) {
    auto done = step(m);
    if (!done) {
      report.error = done.error();
      break;
    }
    report.steps.push_back(*done);
  }
  return report;
}

}  // namespace

Result<RunReport> Migrator::Up(std::optional<int> to, bool dry_run) {
  auto status = Status();
  if (!status) return tl::unexpected(status.error());
  return Execute(PlanUp(migrations_, *status, to), dry_run,
                 [this](const Migration& m) { return store_.Up(m); });
}

Result<RunReport> Migrator::Down(std::optional<int> steps, bool dry_run) {
  auto status = Status();
  if (!status) return tl::unexpected(status.error());
  return Execute(PlanDown(migrations_, *status, steps), dry_run,
                 [this](const Migration& m) { return store_.Down(m); });
}

giia::Status Migrator::Force(const std::string& service, int version) {
  if (service == "all") {
    return InvalidArgument("--service", "force needs one service: --service auth or catalog");
  }
  std::vector<Migration> shipped = ForService(migrations_, service);
  const bool known = version == 0 || std::any_of(shipped.begin(), shipped.end(),
                                                 [&](auto& m) { return m.version == version; });
  if (!known) {
    return InvalidArgument("version", "version " + std::to_string(version) + " is not a " +
                                          service + " migration this giia ships (0 means none)");
  }
  return store_.Force(service, version, shipped);
}

}  // namespace giia::migrate
