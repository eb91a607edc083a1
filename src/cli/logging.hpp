#pragma once
// The process logger: spdlog to stderr, one JSON object a line or text.

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace giia::cli {

// REQUIRES: level is trace|debug|info|warn|error|off, format json|text
// (Config validation guarantees both).
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& level,
                                           const std::string& format);

}  // namespace giia::cli
