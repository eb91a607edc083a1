// Migration file parsing (core/migrate/migration.cpp): each input line is a
// file path under sql/ ("auth/0001_identity.up.sql"), its text the line
// itself. Whatever the names, LoadMigrations answers (never throws); what it
// loads is numbered and named as the pattern says, and the plans built on it
// hold what they promise.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/migrate/migration.hpp"
#include "fuzz_check.hpp"

using giia::migrate::FileState;
using giia::migrate::HistoryRecord;
using giia::migrate::Migration;
using giia::migrate::RecordState;
using giia::migrate::SqlFile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<SqlFile> files;
  for (std::size_t start = 0; start <= in.size();) {
    std::size_t end = in.find('\n', start);
    if (end == std::string_view::npos) end = in.size();
    const std::string line(in.substr(start, end - start));
    if (!line.empty()) files.push_back({line, "-- " + line, "sum:" + line});
    start = end + 1;
  }
  auto loaded = giia::migrate::LoadMigrations(files);
  if (!loaded) {
    GIIA_FUZZ_CHECK(loaded.error().field == "sql");
    return 0;
  }
  std::set<std::pair<std::string, int>> seen;
  for (const Migration& m : *loaded) {
    GIIA_FUZZ_CHECK(m.version > 0);
    GIIA_FUZZ_CHECK(!m.service.empty() && !m.name.empty());
    GIIA_FUZZ_CHECK(std::all_of(m.name.begin(), m.name.end(), [](char c) {
      return std::islower(static_cast<unsigned char>(c)) ||
             std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    }));
    GIIA_FUZZ_CHECK(seen.insert({m.service, m.version}).second);
  }
  // A history in which every other migration is applied, some with another
  // checksum, the last one failed, plus one this "binary" does not ship.
  std::vector<HistoryRecord> history;
  for (std::size_t i = 0; i < loaded->size(); i += 2) {
    const Migration& m = (*loaded)[i];
    HistoryRecord r{m.service, m.version, m.name, m.checksum};
    if (i % 4 == 2) r.checksum += "x";
    if (i + 1 == loaded->size()) r.state = RecordState::kFailed;
    history.push_back(r);
  }
  if (!loaded->empty()) history.push_back({loaded->front().service, 1 << 30, "later", "s"});
  const auto status = giia::migrate::ComputeStatus(*loaded, history);
  GIIA_FUZZ_CHECK(status.size() >= loaded->size());
  for (const Migration& m : *loaded) {
    (void)giia::migrate::CheckSchemaCurrent(status, m.service);
    (void)giia::migrate::PlanUp(*loaded, status, m.version);
  }
  if (auto up = giia::migrate::PlanUp(*loaded, status, std::nullopt)) {
    for (const Migration& m : *up) {
      const auto s = std::find_if(status.begin(), status.end(), [&](const auto& f) {
        return f.service == m.service && f.version == m.version;
      });
      GIIA_FUZZ_CHECK(s != status.end() && s->state == FileState::kPending);
    }
  }
  if (auto down = giia::migrate::PlanDown(*loaded, status, 2)) {
    GIIA_FUZZ_CHECK(down->size() <= 2);
    for (const Migration& m : *down) GIIA_FUZZ_CHECK(!m.down_sql.empty());
  }
  return 0;
}
