#pragma once
// The registry of top-level commands: one line each in commands.cpp.

#include <string>

namespace CLI {
class App;
}

namespace giia::cli {

struct CommandEnv;

void RegisterCommands(CLI::App& app, CommandEnv& env);

// The exit codes and one real example, for the end of a command's --help.
std::string HelpFooter(const std::string& example);

// One per file, in the same folder.
void RegisterBench(CLI::App& app, CommandEnv& env);
void RegisterConfig(CLI::App& app, CommandEnv& env);
void RegisterDlq(CLI::App& app, CommandEnv& env);
void RegisterHealth(CLI::App& app, CommandEnv& env);
void RegisterMigrate(CLI::App& app, CommandEnv& env);
void RegisterSeedRoles(CLI::App& app, CommandEnv& env);
void RegisterServe(CLI::App& app, CommandEnv& env);
void RegisterVersion(CLI::App& app, CommandEnv& env);

}  // namespace giia::cli
