// The env-file reader and the config parser (cli/env_file.cpp ParseEnvFile,
// cli/config.cpp Resolve and Parse): the input is an --env-file's text. Both
// answer whatever the text; each problem names a key; a secret's value is
// never shown by ResolvedValue::Display nor quoted in an error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/config.hpp"
#include "core/common/redact.hpp"
#include "fuzz_check.hpp"

using giia::cli::Layers;
using giia::cli::ResolvedValue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto env = giia::cli::ParseEnvFile(in, "fuzz.env");
  if (!env) {
    GIIA_FUZZ_CHECK(env.error().field == "--env-file");
    return 0;
  }
  const giia::cli::Env process_env;
  Layers layers;
  layers.env = &process_env;
  layers.env_file = *env;
  layers.env_file_path = "fuzz.env";
  const std::string service = size % 2 == 0 ? "auth" : "catalog";
  const std::vector<ResolvedValue> values = giia::cli::Resolve(layers, service);
  // Each secret set, replaced by a marker no message has otherwise (DEL bytes).
  std::vector<ResolvedValue> marked = values;
  std::vector<std::string> markers;
  for (ResolvedValue& v : marked) {
    if (v.secret && v.set) {
      GIIA_FUZZ_CHECK(v.Display() == giia::kRedacted);
      v.value = std::string(std::max<std::size_t>(v.value.size(), 8), '\x7f');
      markers.push_back(v.value);
    }
  }
  const std::string required[] = {"DATABASE_URL"};
  auto config = giia::cli::Parse(values, service, required);
  if (!config) {
    GIIA_FUZZ_CHECK(!config.error().empty());
    for (const giia::Error& e : config.error()) GIIA_FUZZ_CHECK(!e.field.empty());
  }
  // A marker that some other value holds anyway proves nothing.
  for (const ResolvedValue& v : values) {
    if (v.secret) continue;
    std::erase_if(markers, [&](const std::string& m) { return v.value.find(m) != v.value.npos; });
  }
  if (markers.empty()) return 0;
  auto again = giia::cli::Parse(marked, service, required);
  if (again) return 0;
  for (const giia::Error& e : again.error()) {
    for (const std::string& marker : markers) {
      GIIA_FUZZ_CHECK(e.message.find(marker) == std::string::npos);
    }
  }
  return 0;
}
