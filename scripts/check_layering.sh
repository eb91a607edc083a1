#!/usr/bin/env bash
# scripts/check_layering.sh [ROOT]: fails when an include crosses giia's dependency rule (ARCHITECTURE.md B1):
#   src/core     includes nothing from gRPC, HTTP, libpq, hiredis, nats.c,
#                libsodium, CLI11, spdlog or JSON, nor from the other layers;
#                a service's core (core/auth, core/catalog) includes no
#                other service's; what they share is core/authz (callers,
#                tokens, the guard), core/events and core/common, which
#                include no service's core;
#   src/server   does not include src/adapters or src/cli;
#   src/adapters do not include src/server or src/cli;
#   examples/    include nothing of giia's src/ (only the generated stubs).
set -euo pipefail
cd "${1:-$(dirname "${BASH_SOURCE[0]}")/..}"

fail=0
check() {  # check DIR REGEX WHY
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$1" 2>/dev/null || true)
  if [[ -n $hits ]]; then
    printf 'layering: %s\n%s\n' "$3" "$hits" >&2
    fail=1
  fi
}

check src/core 'grpc|grpcpp/|google/protobuf|httplib|libpq|postgresql/|hiredis|nats|sodium|CLI/|spdlog|fmt/|nlohmann|adapters/|server/|cli/' \
  "src/core must not include infrastructure or outer layers"
check src/core/auth 'core/catalog/' "core/auth must not include another service's core (share through core/authz)"
check src/core/catalog 'core/auth/' "core/catalog must not include another service's core (share through core/authz)"
for shared in authz events common; do
  check "src/core/$shared" 'core/(auth|catalog)/' "core/$shared is shared by the services and includes none of them"
done
[[ -d src/server ]] && check src/server 'adapters/|cli/' "src/server must not include src/adapters or src/cli"
check src/adapters 'server/|cli/' "src/adapters must not include src/server or src/cli"
[[ -d examples ]] && check examples 'core/|adapters/|server/|cli/' \
  "examples use only the generated stubs and public libraries, never giia's src/"

if ((fail)); then exit 1; fi
echo "layering: ok"
