#pragma once
// `serve auth`'s wiring: identities, sessions, roles and permissions over
// PostgreSQL, Redis (shared permission cache, rate limits, invalidations),
// the audit writer and the verification e-mail consumer.

#include <spdlog/logger.h>

#include <memory>

#include "cli/config.hpp"
#include "cli/runtime/lifecycle.hpp"

namespace giia::cli {

// The auth service built from `cfg` (ports as configured; 0: any free one,
// logged at start), not started yet. Errors: those of the configuration
// (JWT keys, REDIS_URL, EMAIL_FILE_DIR), kInvalidArgument naming the key.
[[nodiscard]] Result<std::unique_ptr<Service>> WireAuth(const Config& cfg, spdlog::logger& log);

}  // namespace giia::cli
