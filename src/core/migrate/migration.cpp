#include "core/migrate/migration.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <tuple>

namespace giia::migrate {
namespace {

std::string FileName(const std::string& service, int version, const std::string& name) {
  std::string number = std::to_string(version);
  if (number.size() < 4) number.insert(0, 4 - number.size(), '0');
  return service + "/" + number + "_" + name + ".up.sql";
}

bool IsNameChar(char c) {
  return std::islower(static_cast<unsigned char>(c)) ||
         std::isdigit(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

std::string Migration::File() const { return FileName(service, version, name); }
std::string FileStatus::File() const { return FileName(service, version, name); }

const char* FileStateName(FileState state) {
  switch (state) {
    case FileState::kApplied: return "applied";
    case FileState::kPending: return "pending";
    case FileState::kFailed: return "failed";
    case FileState::kModified: return "modified";
    case FileState::kUnknown: return "unknown";
  }
  return "unknown";
}

Result<std::vector<Migration>> LoadMigrations(std::span<const SqlFile> files) {
  std::map<std::pair<std::string, int>, Migration> by_key;
  std::map<std::pair<std::string, int>, const SqlFile*> downs;
  for (const SqlFile& file : files) {
    auto bad = [&](const std::string& why) {
      return InvalidArgument("sql", "migration file " + file.path + ": " + why);
    };
    const std::size_t slash = file.path.find('/');
    if (slash == std::string::npos || slash == 0) return bad("expected <service>/<file>");
    const std::string service = file.path.substr(0, slash);
    std::string base = file.path.substr(slash + 1);
    bool is_up = false;
    if (base.ends_with(".up.sql")) {
      is_up = true;
      base.resize(base.size() - 7);
    } else if (base.ends_with(".down.sql")) {
      base.resize(base.size() - 9);
    } else {
      return bad("the name must end in .up.sql or .down.sql");
    }
    const std::size_t underscore = base.find('_');
    if (underscore == std::string::npos || underscore == 0 ||
        !std::all_of(base.begin(), base.begin() + static_cast<long>(underscore),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return bad("the name must start with a number and an underscore, as in 0001_init.up.sql");
    }
    const std::string name = base.substr(underscore + 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameChar)) {
      return bad("the part after the number must be lower-case letters, digits or _");
    }
    int version = 0;
    const char* digits = base.data();
    const auto [end, ec] = std::from_chars(digits, digits + underscore, version);
    if (ec != std::errc() || end != digits + underscore || version <= 0) {
      return bad("the number must be 1 or more and fit an int");
    }
    const auto key = std::make_pair(service, version);
    if (!is_up) {
      if (downs.count(key) != 0) return bad("version repeats");
      downs[key] = &file;
      continue;
    }
    if (by_key.count(key) != 0) return bad("version " + std::to_string(version) + " repeats");
    Migration m;
    m.service = service;
    m.version = version;
    m.name = name;
    m.up_sql = file.text;
    m.checksum = file.checksum;
    by_key.emplace(key, std::move(m));
  }
  for (const auto& [key, down] : downs) {
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      return InvalidArgument("sql", "migration file " + down->path + " has no matching .up.sql");
    }
    it->second.down_sql = down->text;
  }
  std::vector<Migration> out;
  out.reserve(by_key.size());
  for (auto& [key, m] : by_key) out.push_back(std::move(m));
  return out;
}

std::vector<Migration> ForService(std::span<const Migration> all, const std::string& service) {
  std::vector<Migration> out;
  for (const Migration& m : all) {
    if (service == "all" || m.service == service) out.push_back(m);
  }
  return out;
}

std::vector<FileStatus> ComputeStatus(std::span<const Migration> migrations,
                                      std::span<const HistoryRecord> history) {
  std::map<std::pair<std::string, int>, FileStatus> by_key;
  for (const Migration& m : migrations) {
    by_key[{m.service, m.version}] =
        FileStatus{m.service, m.version, m.name, FileState::kPending, std::nullopt};
  }
  for (const HistoryRecord& r : history) {
    // Only the services being looked at: a record of another service is not
    // "unknown", it is simply out of scope.
    const bool in_scope = std::any_of(migrations.begin(), migrations.end(),
                                      [&](const Migration& m) { return m.service == r.service; });
    if (!in_scope) continue;
    auto it = by_key.find({r.service, r.version});
    if (it == by_key.end()) {
      by_key[{r.service, r.version}] =
          FileStatus{r.service, r.version, r.name, FileState::kUnknown, r};
      continue;
    }
    FileStatus& s = it->second;
    s.record = r;
    const auto shipped = std::find_if(
        migrations.begin(), migrations.end(),
        [&](const Migration& m) { return m.service == r.service && m.version == r.version; });
    if (r.state == RecordState::kFailed) {
      s.state = FileState::kFailed;
    } else if (shipped->checksum != r.checksum) {
      s.state = FileState::kModified;
    } else {
      s.state = FileState::kApplied;
    }
  }
  std::vector<FileStatus> out;
  out.reserve(by_key.size());
  for (auto& [key, s] : by_key) out.push_back(std::move(s));
  return out;
}

int AppliedVersion(std::span<const FileStatus> status, const std::string& service) {
  int version = 0;
  for (const FileStatus& s : status) {
    if (s.service == service && s.record && s.record->state == RecordState::kApplied) {
      version = std::max(version, s.version);
    }
  }
  return version;
}

Status CheckSchemaCurrent(std::span<const FileStatus> status, const std::string& service) {
  int latest = 0;  // the newest version this binary ships
  for (const FileStatus& s : status) {
    if (s.service == service && s.state != FileState::kUnknown) {
      latest = std::max(latest, s.version);
    }
  }
  for (const FileStatus& s : status) {
    if (s.service != service) continue;
    if (s.state == FileState::kPending || s.state == FileState::kFailed ||
        s.state == FileState::kModified) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the " + service + " schema is at version " +
                           std::to_string(AppliedVersion(status, service)) + " (" + s.File() +
                           " is " + FileStateName(s.state) + "), this giia expects " +
                           std::to_string(latest) + ": run `giia migrate up --service " + service +
                           "`");
    }
  }
  return Ok();
}

Result<std::vector<Migration>> PlanUp(std::span<const Migration> migrations,
                                      std::span<const FileStatus> status, std::optional<int> to) {
  for (const FileStatus& s : status) {
    if (s.state == FileState::kFailed) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       s.File() + " failed earlier (" + s.record->error +
                           "); fix the cause, then run `giia migrate force " +
                           std::to_string(s.version - 1) + " --service " + s.service +
                           " --yes` to retry it, or `force " + std::to_string(s.version) +
                           "` if you applied it by hand");
    }
    if (s.state == FileState::kModified) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       s.File() +
                           " was changed after it was applied (its sha256 differs from the "
                           "recorded one); restore the file, or accept it with `giia "
                           "migrate force " +
                           std::to_string(s.version) + " --service " + s.service + " --yes`");
    }
  }
  if (to) {
    const bool known = std::any_of(migrations.begin(), migrations.end(),
                                   [&](const Migration& m) { return m.version == *to; });
    if (!known) {
      return InvalidArgument(
          "--to", "--to " + std::to_string(*to) + " names no migration this binary ships");
    }
  }
  std::vector<Migration> plan;
  for (const Migration& m : migrations) {
    if (to && m.version > *to) continue;
    const auto s = std::find_if(status.begin(), status.end(), [&](const FileStatus& f) {
      return f.service == m.service && f.version == m.version;
    });
    if (s != status.end() && s->state == FileState::kPending) plan.push_back(m);
  }
  return plan;
}

Result<std::vector<Migration>> PlanDown(std::span<const Migration> migrations,
                                        std::span<const FileStatus> status,
                                        std::optional<int> steps) {
  std::vector<const FileStatus*> applied;
  for (const FileStatus& s : status) {
    if (s.state == FileState::kFailed) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       s.File() +
                           " is recorded as failed; repair the history with `giia "
                           "migrate force` before rolling back");
    }
    if (s.record && s.record->state == RecordState::kApplied) applied.push_back(&s);
  }
  // Newest first: catalog before auth, then by version, descending.
  std::sort(applied.begin(), applied.end(), [](const FileStatus* a, const FileStatus* b) {
    return std::tie(a->service, a->version) > std::tie(b->service, b->version);
  });
  if (steps && static_cast<std::size_t>(*steps) < applied.size()) {
    applied.resize(static_cast<std::size_t>(*steps));
  }
  std::vector<Migration> plan;
  for (const FileStatus* s : applied) {
    const auto m = std::find_if(migrations.begin(), migrations.end(), [&](const Migration& x) {
      return x.service == s->service && x.version == s->version;
    });
    if (m == migrations.end()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       s->File() +
                           " is applied but this giia does not ship it; roll back with "
                           "the giia version that applied it");
    }
    if (m->down_sql.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition, m->File() + " has no down file");
    }
    plan.push_back(*m);
  }
  return plan;
}

}  // namespace giia::migrate
