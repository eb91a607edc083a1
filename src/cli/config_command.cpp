// giia config print: every effective value with where it came from.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_env.hpp"
#include "cli/commands.hpp"

namespace giia::cli {
namespace {

struct ConfigPrintOptions {
  std::string service = "auth";
  std::string output = "text";
};

void RunConfigPrint(const ConfigPrintOptions& options, CommandEnv& env) {
  auto layers = env.MakeLayers({}, {});
  if (!layers) {
    env.Fail(layers.error().front(), true);
    return;
  }
  const std::vector<ResolvedValue> values = Resolve(*layers, options.service);
  // Validation runs on the same values, so what is printed is what is checked.
  auto parsed = Parse(values, options.service);
  if (options.output == "json") {
    nlohmann::json out = {{"service", options.service}, {"values", nlohmann::json::array()}};
    for (const ResolvedValue& v : values) {
      out["values"].push_back(
          {{"key", v.key},
           {"value", v.set ? nlohmann::json(v.Display()) : nlohmann::json()},
           {"source", SourceName(v.source)},
           {"origin", v.source == Source::kEnvFile ? v.origin + " in " + v.env_file : v.origin},
           {"secret", v.secret}});
    }
    out["problems"] = nlohmann::json::array();
    if (!parsed) {
      for (const Error& e : parsed.error()) {
        out["problems"].push_back({{"key", e.field}, {"message", e.message}});
      }
    }
    env.output.Line(out.dump(2));
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const ResolvedValue& v : values) {
      std::string origin = v.source == Source::kDefault ? "" : v.origin;
      if (v.source == Source::kEnvFile) origin += " in " + v.env_file;
      rows.push_back({v.key, v.set ? v.Display() : "(unset)", SourceName(v.source), origin});
    }
    std::ostringstream table;
    PrintTable(table, {"KEY", "VALUE", "SOURCE", "FROM"}, rows);
    env.output.out << env.redactor.Apply(table.str());
  }
  if (!parsed) {
    for (const Error& e : parsed.error()) env.output.Error(e.message);
    env.exit_code = ExitCode::kUsage;
  }
}

}  // namespace

void RegisterConfig(CLI::App& app, CommandEnv& env) {
  CLI::App* config = app.add_subcommand("config", "Inspect the configuration");
  config->require_subcommand(1);
  config->footer(HelpFooter("giia config print --output json"));
  auto options = std::make_shared<ConfigPrintOptions>();
  CLI::App* print = config->add_subcommand(
      "print",
      "Print every effective setting with its source (flag, env, env-file or default); secrets "
      "are redacted. Exits 1 when a value does not validate.");
  print->add_option("--service", options->service, "auth or catalog (default auth)")
      ->check(CLI::IsMember({"auth", "catalog"}));
  print->add_option("--output", options->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  print->footer(
      HelpFooter("giia --env-file deploy/environments/.env.dev config print --service catalog"));
  print->callback([options, &env] { RunConfigPrint(*options, env); });
}

}  // namespace giia::cli
