// giia version: what this binary is and what it was built with.
#include <curl/curlver.h>
#include <libpq-fe.h>
#include <nats/nats.h>
#include <sodium.h>
#include <spdlog/version.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_env.hpp"
#include "cli/commands.hpp"
#include "giia_version.hpp"

namespace giia::cli {

void RegisterVersion(CLI::App& app, CommandEnv& env) {
  auto output = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand("version", "Print the version, commit, build and libraries");
  cmd->add_option("--output", *output, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(HelpFooter("giia version --output json"));
  cmd->callback([output, &env] {
    const int pq = PQlibVersion();
    const nlohmann::json libraries = {
        {"libpq", std::to_string(pq / 10000) + "." + std::to_string(pq % 100)},
        {"libsodium", sodium_version_string()},
        {"spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                       std::to_string(SPDLOG_VER_PATCH)},
        {"CLI11", CLI11_VERSION},
        {"nats.c", nats_GetVersion()},
        {"libcurl", LIBCURL_VERSION},
        {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                              std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                              std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
    };
    if (*output == "json") {
      const nlohmann::json out = {{"version", build::kVersion},
                                  {"commit", build::kGitCommit},
                                  {"build_type", build::kBuildType},
                                  {"sanitizers", build::kSanitizers},
                                  {"libraries", libraries}};
      env.output.Line(out.dump(2));
      return;
    }
    std::string line = std::string("giia ") + build::kVersion + " (commit " + build::kGitCommit +
                       ", " + build::kBuildType;
    if (*build::kSanitizers != '\0') line += ", sanitizers " + std::string(build::kSanitizers);
    env.output.Line(line + ")");
    std::string libs;
    for (const auto& [name, version] : libraries.items()) {
      libs += (libs.empty() ? "" : ", ") + name + " " + version.get<std::string>();
    }
    env.output.Line("libraries: " + libs);
  });
}

}  // namespace giia::cli
