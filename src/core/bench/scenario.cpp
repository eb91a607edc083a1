#include "core/bench/scenario.hpp"

#include <algorithm>
#include <charconv>

namespace giia::bench {
namespace {

constexpr ScenarioInfo kScenarios[] = {
    {"health", Service::kAuth, "grpc.health.v1.Health/Check"},
    {"validate-token", Service::kAuth, "giia.auth.v1.AuthService/ValidateToken", true},
    {"check-permission", Service::kAuth, "giia.auth.v1.AuthService/CheckPermission", true},
    // The caller (an Admin, who holds users:read) asks about another user of
    // its organization, a different one each call: the first question about
    // each user misses both permission caches and reaches the database.
    {"check-permission-cold", Service::kAuth, "giia.auth.v1.AuthService/CheckPermission", true,
     false, false, false, true},
    {"batch-check", Service::kAuth, "giia.auth.v1.AuthService/BatchCheckPermissions", true},
    {"login", Service::kAuth, "giia.auth.v1.AuthService/Login", false, true},
    {"refresh", Service::kAuth, "giia.auth.v1.AuthService/RefreshToken", false, true},
    {"get-product", Service::kCatalog, "giia.catalog.v1.CatalogService/GetProduct", true, false,
     true},
    {"list-products", Service::kCatalog, "giia.catalog.v1.CatalogService/ListProducts", true},
    {"search-products", Service::kCatalog, "giia.catalog.v1.CatalogService/SearchProducts", true},
    {"create-product", Service::kCatalog, "giia.catalog.v1.CatalogService/CreateProduct", true,
     false, false, true},
    {"mix", Service::kAuth, "(weighted by --mix)"},
};

tl::unexpected<Error> BadMix(std::string_view part, const std::string& why) {
  return InvalidArgument("--mix", "--mix \"" + std::string(part) + "\": " + why);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Result<MixPart> ParsePart(std::string_view part) {
  const std::size_t eq = part.find('=');
  if (eq == std::string_view::npos)
    return BadMix(part, "write NAME=WEIGHT, such as get-product=10");
  const std::string_view name = Trim(part.substr(0, eq));
  const std::string_view weight = Trim(part.substr(eq + 1));
  const ScenarioInfo* scenario = FindScenario(name);
  if (scenario == nullptr || scenario->name == "mix") {
    return BadMix(part,
                  "unknown scenario \"" + std::string(name) + "\"; use one of " + ScenarioList());
  }
  int w = 0;
  const auto [end, ec] = std::from_chars(weight.data(), weight.data() + weight.size(), w);
  if (ec != std::errc() || end != weight.data() + weight.size() || w < 1 || w > 1000) {
    return BadMix(part, "the weight must be a whole number from 1 to 1000");
  }
  return MixPart{scenario, w};
}

}  // namespace

std::span<const ScenarioInfo> Scenarios() { return kScenarios; }

const ScenarioInfo* FindScenario(std::string_view name) {
  for (const ScenarioInfo& s : kScenarios) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ScenarioList() {
  std::string out;
  for (const ScenarioInfo& s : kScenarios) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

Result<std::vector<MixPart>> ParseMix(std::string_view text) {
  std::vector<MixPart> parts;
  for (;;) {
    const std::size_t comma = text.find(',');
    auto part = ParsePart(Trim(text.substr(0, comma)));
    if (!part) return tl::unexpected(part.error());
    for (const MixPart& p : parts) {
      if (p.scenario == part->scenario) {
        return BadMix(text.substr(0, comma), "names " + std::string(p.scenario->name) + " twice");
      }
    }
    parts.push_back(*part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

ScenarioInfo Requirements(std::span<const MixPart> parts) {
  ScenarioInfo need{"mix", Service::kAuth, "(weighted by --mix)"};
  for (const MixPart& p : parts) {
    need.needs_token |= p.scenario->needs_token;
    need.needs_password |= p.scenario->needs_password;
    need.needs_products |= p.scenario->needs_products;
    need.writes |= p.scenario->writes;
    need.needs_users |= p.scenario->needs_users;
  }
  return need;
}

MixPicker::MixPicker(std::span<const MixPart> parts) {
  // nginx's smooth weighted round-robin: each turn every part gains its
  // weight, the richest is picked and pays the total.
  int total = 0;
  for (const MixPart& p : parts) total += p.weight;
  std::vector<int> current(parts.size(), 0);
  for (int turn = 0; turn < total; ++turn) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      current[i] += parts[i].weight;
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    order_.push_back(best);
  }
  if (order_.empty()) order_.push_back(0);
}

}  // namespace giia::bench
