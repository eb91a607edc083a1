#!/usr/bin/env bash
# Checks that the documentation says what the code does. Every check runs
# (one failing does not hide the others); the script prints what failed and
# exits 1 when anything did.
#
#   GIIA_BINARY=build/test/src/giia scripts/check_docs.sh
#
# Checks:
#   openapi-lint     redocly lint of docs/api/openapi/{auth,catalog}.yaml (redocly.yaml)
#   openapi-matrix   tools/docs/check-openapi.mjs: each REST operation against the
#                    permission matrix and the protos (RPC, public or token, 401/403,
#                    permissions, If-Match, X-Request-Id, the error body)
#   api-md           tools/docs/check-api-md.mjs: docs/API.md has every route and RPC,
#                    each with an example
#   proto-md         docs/proto.md is what tools/docs/proto-doc.mjs writes from the
#                    protos now (regenerated into a temporary file and diffed)
#   configuration    tools/docs/check-config.mjs: docs/CONFIGURATION.md against
#                    `$GIIA_BINARY config print --service auth|catalog --output json`
#   commands         tools/docs/check-commands.mjs: every `giia ...` line in the shell
#                    blocks of the runbooks and docs parses with $GIIA_BINARY
#   dashboard        tools/docs/check-dashboard.mjs: docs/grafana/giia.json uses only,
#                    and all of, the metrics the services register; PromQL parses
#   mermaid          tools/docs/check-mermaid.mjs: the sequence diagrams are well formed
#   links            tools/docs/check-links.mjs: relative links and anchors resolve
#   paths            tools/docs/check-paths.mjs: the repository paths named in backticks
#                    (DEVELOPMENT.md's "where things go", layouts) exist
# The REST route set (servers against the OpenAPI paths) is a ctest test:
# tests/integration/routes_test.cpp, tag [docs].
#
# Needs node, `npm ci` (buf and redocly in node_modules/, pinned in
# package-lock.json) and promtool (Debian package prometheus). Sends nothing
# anywhere (redocly telemetry off).
set -uo pipefail

fail_setup() {
  echo "check_docs: $*" >&2
  exit 1
}
[[ -n ${GIIA_BINARY:-} ]] || fail_setup "GIIA_BINARY is not set: the giia binary to check the docs against (e.g. build/test/src/giia)"
[[ -f $GIIA_BINARY && -x $GIIA_BINARY ]] || fail_setup "GIIA_BINARY=$GIIA_BINARY is not an executable file"
GIIA_BINARY="$(cd "$(dirname "$GIIA_BINARY")" && pwd)/$(basename "$GIIA_BINARY")"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
command -v node >/dev/null || fail_setup "node is missing (Debian: apt-get install nodejs npm)"
for tool in redocly buf; do
  [[ -x node_modules/.bin/$tool ]] || fail_setup "node_modules/.bin/$tool is missing: run npm ci"
done
command -v promtool >/dev/null || fail_setup "promtool is missing (Debian: apt-get install prometheus)"

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

FAILED=()
# run NAME COMMAND...: runs the check, shows its output only when it fails.
run() {
  local name=$1
  shift
  if "$@" >"$TMP/$name.log" 2>&1; then
    echo "check_docs: $name: ok ($(grep -v '^[[:space:]]*$' "$TMP/$name.log" | tail -n 1 | cut -c1-140))"
  else
    echo "check_docs: $name: FAILED" >&2
    sed 's/^/    /' "$TMP/$name.log" >&2
    FAILED+=("$name")
  fi
}

SPECS=(docs/api/openapi/auth.yaml docs/api/openapi/catalog.yaml)
# The Markdown this script owns the checks of (docs/BENCHMARKS.md has its own).
mapfile -t DOCS < <(find docs -name '*.md' ! -path docs/BENCHMARKS.md | sort)
mapfile -t RUNBOOKS < <(find docs/runbooks -name '*.md' | sort)
[[ ${#RUNBOOKS[@]} -gt 0 ]] || fail_setup "no runbooks in docs/runbooks"

# --- OpenAPI

lint() {
  # Without redocly's boxed banner (a Node.js version notice) in the output.
  node_modules/.bin/redocly lint --config redocly.yaml --format stylish "${SPECS[@]}" 2>&1 |
    grep -v '[╔║╚]'
  return "${PIPESTATUS[0]}"
}
run openapi-lint lint

bundle() {
  local spec
  for spec in "${SPECS[@]}"; do
    node_modules/.bin/redocly bundle --config redocly.yaml --dereferenced --ext json \
      --output "$TMP/$(basename "$spec" .yaml).json" "$spec" || return 1
  done
}
if bundle >"$TMP/bundle.log" 2>&1; then
  matrix() {
    node tools/docs/check-openapi.mjs "$ROOT" auth "$TMP/auth.json" &&
      node tools/docs/check-openapi.mjs "$ROOT" catalog "$TMP/catalog.json"
  }
  run openapi-matrix matrix
  run api-md node tools/docs/check-api-md.mjs "$ROOT" docs/API.md "$TMP/auth.json" "$TMP/catalog.json"
else
  echo "check_docs: openapi-bundle: FAILED (needed by openapi-matrix and api-md)" >&2
  sed 's/^/    /' "$TMP/bundle.log" >&2
  FAILED+=(openapi-bundle)
fi

# --- proto reference

proto_md() {
  node_modules/.bin/buf build --exclude-imports --as-file-descriptor-set --path proto/giia \
    -o "$TMP/descriptors.json#format=json" || return 1
  node tools/docs/proto-doc.mjs <"$TMP/descriptors.json" >"$TMP/proto.md" || return 1
  if ! diff -u docs/proto.md "$TMP/proto.md"; then
    echo "docs/proto.md is stale. Regenerate it:"
    echo "  node_modules/.bin/buf build --exclude-imports --as-file-descriptor-set --path proto/giia -o '-#format=json' | node tools/docs/proto-doc.mjs > docs/proto.md"
    return 1
  fi
  echo "docs/proto.md matches the protos"
}
run proto-md proto_md

# --- configuration

configuration() {
  local service
  for service in auth catalog; do
    # An empty environment, and no --env-file: every value is the built-in default.
    if ! (cd "$TMP" && env -i PATH="$PATH" "$GIIA_BINARY" config print --service "$service" \
      --output json >"$TMP/config-$service.json"); then
      echo "$GIIA_BINARY config print --service $service --output json failed:"
      cat "$TMP/config-$service.json"
      return 1
    fi
  done
  node tools/docs/check-config.mjs docs/CONFIGURATION.md "$TMP/config-auth.json" "$TMP/config-catalog.json"
}
run configuration configuration

# --- command lines, dashboard, diagrams, links

run commands node tools/docs/check-commands.mjs "$GIIA_BINARY" "${DOCS[@]}"
run dashboard node tools/docs/check-dashboard.mjs "$ROOT" docs/grafana/giia.json
run mermaid node tools/docs/check-mermaid.mjs "${DOCS[@]}"
run links node tools/docs/check-links.mjs "${DOCS[@]}"
run paths node tools/docs/check-paths.mjs "$ROOT" "${DOCS[@]}" README.md

if [[ ${#FAILED[@]} -gt 0 ]]; then
  echo "check_docs: ${#FAILED[@]} check(s) failed: ${FAILED[*]}" >&2
  exit 1
fi
echo "check_docs: every documentation check passed"
