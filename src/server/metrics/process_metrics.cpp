#include "server/metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace giia::server::metrics {
namespace {

// Fields of /proc/self/stat after the command name; index 0 is field 3 (state).
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> fields;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

double Field(std::size_t stat_index) {  // 1-based index as in proc(5)
  const auto f = StatFields();
  const std::size_t i = stat_index - 3;
  return i < f.size() ? std::stod(f[i]) : 0;
}

double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    std::string skip;
    std::getline(in, skip);
  }
  return 0;
}

}  // namespace

void RegisterProcessMetrics(Registry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double start = BootTime() + Field(22) / ticks;
  registry.AddCallback("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                       "counter", {}, [ticks] { return (Field(14) + Field(15)) / ticks; });
  registry.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
                       {}, [page] { return Field(24) * page; });
  registry.AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", {},
                       [] { return Field(23); });
  registry.AddCallback("process_start_time_seconds",
                       "Start time of the process since the Unix epoch in seconds.", "gauge", {},
                       [start] { return start; });
  registry.AddCallback("process_open_fds", "Number of open file descriptors.", "gauge", {}, [] {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  });
  registry.AddCallback("process_max_fds", "Maximum number of open file descriptors.", "gauge", {},
                       [] {
                         rlimit limit{};
                         getrlimit(RLIMIT_NOFILE, &limit);
                         return static_cast<double>(limit.rlim_cur);
                       });
}

}  // namespace giia::server::metrics
