#pragma once
// The registry of top-level commands: one line each in commands.cpp.

namespace CLI {
class App;
}

namespace giia::cli {

struct CommandEnv;

void RegisterCommands(CLI::App& app, CommandEnv& env);

// One per file, in the same folder.
void RegisterConfig(CLI::App& app, CommandEnv& env);
void RegisterMigrate(CLI::App& app, CommandEnv& env);
void RegisterSeedRoles(CLI::App& app, CommandEnv& env);
void RegisterVersion(CLI::App& app, CommandEnv& env);

}  // namespace giia::cli
