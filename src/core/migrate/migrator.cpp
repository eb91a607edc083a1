#include "core/migrate/migrator.hpp"

#include <algorithm>

namespace giia::migrate {

Result<std::vector<FileStatus>> Migrator::Status() {
  auto history = store_.History();
  if (!history) return tl::unexpected(history.error());
  return ComputeStatus(migrations_, *history);
}

Result<RunReport> Migrator::Up(std::optional<int> to, bool dry_run) {
  auto status = Status();
  if (!status) return tl::unexpected(status.error());
  auto plan = PlanUp(migrations_, *status, to);
  if (!plan) return tl::unexpected(plan.error());
  RunReport report;
  report.planned = std::move(*plan);
  if (dry_run) return report;
  for (const Migration& m : report.planned) {
    auto step = store_.Up(m);
    if (!step) {
      report.error = step.error();
      break;
    }
    report.steps.push_back(*step);
  }
  return report;
}

Result<RunReport> Migrator::Down(std::optional<int> steps, bool dry_run) {
  auto status = Status();
  if (!status) return tl::unexpected(status.error());
  auto plan = PlanDown(migrations_, *status, steps);
  if (!plan) return tl::unexpected(plan.error());
  RunReport report;
  report.planned = std::move(*plan);
  if (dry_run) return report;
  for (const Migration& m : report.planned) {
    auto step = store_.Down(m);
    if (!step) {
      report.error = step.error();
      break;
    }
    report.steps.push_back(*step);
  }
  return report;
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
