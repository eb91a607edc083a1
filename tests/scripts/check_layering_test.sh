#!/usr/bin/env bash
# The layering check passes on the real tree and fails on each kind of
# violation, naming the offending file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
check="$root/scripts/check_layering.sh"
"$check" "$root" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect_failure() {  # DIR FILE INCLUDE
  rm -rf "$tmp/src"
  mkdir -p "$tmp/src/core" "$tmp/src/adapters" "$tmp/src/server" "$tmp/$1"
  printf '#pragma once\n#include %s\n' "$3" >"$tmp/$1/$2"
  if out=$("$check" "$tmp" 2>&1); then
    echo "FAIL: $1/$2 including $3 passed the layering check" >&2
    exit 1
  fi
  grep -q "$2" <<<"$out" || { echo "FAIL: the report does not name $2: $out" >&2; exit 1; }
}
expect_failure src/core a.hpp '<libpq-fe.h>'
expect_failure src/core b.hpp '<hiredis/hiredis.h>'
expect_failure src/core c.hpp '<nats/nats.h>'
expect_failure src/core d.hpp '<sodium.h>'
expect_failure src/core e.hpp '<CLI/CLI.hpp>'
expect_failure src/core f.hpp '<spdlog/spdlog.h>'
expect_failure src/core g.hpp '<nlohmann/json.hpp>'
expect_failure src/core h.hpp '<grpcpp/grpcpp.h>'
expect_failure src/core i.hpp '<httplib.h>'
expect_failure src/core j.hpp '"adapters/postgres/pool.hpp"'
expect_failure src/server k.hpp '"adapters/postgres/pool.hpp"'
expect_failure src/adapters l.hpp '"cli/config.hpp"'
expect_failure src/core/catalog n.hpp '"core/auth/service.hpp"'
expect_failure src/core/auth o.hpp '"core/catalog/catalog.hpp"'
expect_failure src/core/authz p.hpp '"core/auth/accounts.hpp"'
expect_failure src/core/events q.hpp '"core/catalog/catalog.hpp"'
expect_failure examples m.cpp '"core/auth/rbac.hpp"'
echo "layering check test: ok"
