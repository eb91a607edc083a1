#pragma once
// The scenarios of `giia bench`: what each one calls, on which service, and
// what it needs prepared (a token, a password, products, a pool of users). And --mix: a
// weighted blend of scenarios, interleaved deterministically.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace giia::bench {

enum class Service { kAuth, kCatalog };

struct ScenarioInfo {
  std::string_view name;
  Service service = Service::kAuth;
  std::string_view rpc;  // "giia.auth.v1.AuthService/ValidateToken"
  bool needs_token = false;
  bool needs_password = false;  // logs in (login), or once per worker (refresh)
  bool needs_products = false;  // ids of existing products (get-product)
  bool writes = false;          // creates rows (create-product)
  bool needs_users = false;     // a pool of users to ask about (check-permission-cold)
};

// Every scenario, "mix" last.
std::span<const ScenarioInfo> Scenarios();
// Null when there is none of that name.
const ScenarioInfo* FindScenario(std::string_view name);
// "health, validate-token, ..." for messages.
std::string ScenarioList();

inline constexpr const char* kDefaultMix = "check-permission=70,validate-token=20,get-product=10";

struct MixPart {
  const ScenarioInfo* scenario = nullptr;
  int weight = 0;
};

// "NAME=WEIGHT,..." with positive integer weights, each scenario once, not
// "mix". Errors: kInvalidArgument (field "--mix") naming the part.
[[nodiscard]] Result<std::vector<MixPart>> ParseMix(std::string_view text);

// What a mix (or one scenario) needs: the union of its parts.
ScenarioInfo Requirements(std::span<const MixPart> parts);

// Which part serves call `ticket`: smooth weighted round-robin, so every run
// of sum(weights) consecutive tickets holds each part exactly `weight` times,
// spread out rather than in blocks.
class MixPicker {
 public:
  explicit MixPicker(std::span<const MixPart> parts);
  std::size_t Pick(std::uint64_t ticket) const { return order_[ticket % order_.size()]; }

 private:
  std::vector<std::size_t> order_;
};

}  // namespace giia::bench
