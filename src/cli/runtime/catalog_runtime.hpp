#pragma once
// `serve catalog`'s wiring: products, suppliers and buffer profiles over
// PostgreSQL, authorized by the auth service (AUTH_GRPC_ADDR) with decisions
// cached locally and dropped on auth's events.

#include <spdlog/logger.h>

#include <memory>

#include "cli/config.hpp"
#include "cli/runtime/lifecycle.hpp"

namespace giia::cli {

// The catalog service built from `cfg` (ports as configured; 0: any free
// one, logged at start), not started yet. Errors: those of the configuration
// (JWT keys, the auth client's TLS files), kInvalidArgument naming the key.
[[nodiscard]] Result<std::unique_ptr<Service>> WireCatalog(const Config& cfg, spdlog::logger& log);

}  // namespace giia::cli
