#pragma once
// The standard process_* metrics of Prometheus client libraries, read from
// /proc at scrape time: CPU seconds, resident and virtual memory, open and
// maximum file descriptors, start time.

#include "server/metrics/registry.hpp"

namespace giia::server::metrics {

void RegisterProcessMetrics(Registry& registry);

}  // namespace giia::server::metrics
