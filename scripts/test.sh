#!/usr/bin/env bash
# Every giia test, from a fresh Debian bookworm machine:
#   installs what is missing, builds with AddressSanitizer + UBSan and warnings
#   as errors, checks layering and formatting, runs clang-tidy on src/core,
#   starts its own PostgreSQL, Redis and NATS on free loopback ports, runs the
#   unit, integration and e2e tests, and stops the servers it started (by PID)
#   whatever happened. The whole suite also runs each fuzz harness for 10 s
#   (scripts/fuzz.sh).
# Exits with the tests' result. Extra arguments go to ctest (e.g. -L unit).
#
# GIIA_COVERAGE=1: the same tests on a build with gcc's coverage instrumentation
# instead of the sanitizers (build/coverage), no fuzz smoke, then
# scripts/coverage.sh: line coverage of src/core and src, which fails the run
# below its floors. Not part of the default run: ccache keys a coverage object
# by its build folder (the object names its .gcda file), so every fresh clone
# would compile the whole tree once more.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

COVERAGE=${GIIA_COVERAGE:-0}
BUILD="$GIIA_ROOT/build/test"
if [[ $COVERAGE == 1 ]]; then
  BUILD="$GIIA_ROOT/build/coverage"
  export GIIA_FUZZ_SMOKE_SECONDS=0
  # The fixtures end their servers with SIGTERM, not SIGKILL, so that each
  # one writes its counts (tests/support/process.hpp, Process::End).
  export GIIA_TEST_STOP_GRACEFULLY=1
fi
SERVERS=""

cleanup() {
  local rc=$?
  [[ -z $SERVERS ]] || servers_stop "$SERVERS"
  exit $rc
}
trap cleanup EXIT INT TERM

install_packages

log "checking layering and formatting"
"$GIIA_ROOT/scripts/check_layering.sh"
"$GIIA_ROOT/scripts/check_format.sh"

log "linting protos with buf (pinned in package-lock.json)"
if ! command -v npm >/dev/null; then
  # Machines of this kind ship Node.js with npm; elsewhere take Debian's.
  [[ $(id -u) == 0 ]] || die "npm is missing: run as root or install nodejs and npm"
  log "installing nodejs npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# npm's own node_modules/.package-lock.json never equals package-lock.json
# (it leaves out the root and other platforms' packages), so `npm ci` leaves a
# copy of the lock it installed, and is skipped while that copy is current.
NPM_STAMP="$GIIA_ROOT/node_modules/.giia-package-lock.json"
if ! [[ -x $GIIA_ROOT/node_modules/.bin/buf ]] || ! cmp -s "$GIIA_ROOT/package-lock.json" "$NPM_STAMP"; then
  (cd "$GIIA_ROOT" && npm ci --no-audit --no-fund)
  cp "$GIIA_ROOT/package-lock.json" "$NPM_STAMP"
fi
(cd "$GIIA_ROOT" && node_modules/.bin/buf lint)

if [[ $COVERAGE == 1 ]]; then
  log "building (coverage, -Werror) in build/coverage"
  build "$BUILD" Debug -DGIIA_WARNINGS_AS_ERRORS=ON -DGIIA_COVERAGE=ON
else
  log "building (ASan + UBSan, -Werror) in build/test"
  build "$BUILD" Debug -DGIIA_WARNINGS_AS_ERRORS=ON -DGIIA_SANITIZE=address,undefined \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
fi

log "clang-tidy on src/core (scripts/check_tidy.sh)"
"$GIIA_ROOT/scripts/check_tidy.sh" "$BUILD"

log "checking the documentation against the code (scripts/check_docs.sh)"
GIIA_BINARY="$BUILD/src/giia" "$GIIA_ROOT/scripts/check_docs.sh"

log "checking the deployment files (scripts/check_deploy.sh)"
GIIA_BINARY="$BUILD/src/giia" "$GIIA_ROOT/scripts/check_deploy.sh"

# The fuzz smoke: every libFuzzer harness for a few seconds on its seed
# corpus, after a clang-14 build of the libraries it needs in build/fuzz.
# Runs when no ctest arguments are given (the whole suite) or when
# GIIA_FUZZ_SMOKE_SECONDS is set; GIIA_FUZZ_SMOKE_SECONDS=0 skips it.
if [[ ${GIIA_FUZZ_SMOKE_SECONDS:-} != 0 ]] && { (($# == 0)) || [[ -n ${GIIA_FUZZ_SMOKE_SECONDS:-} ]]; }; then
  log "fuzz smoke: each harness for ${GIIA_FUZZ_SMOKE_SECONDS:-10} s (scripts/fuzz.sh)"
  "$GIIA_ROOT/scripts/fuzz.sh" "${GIIA_FUZZ_SMOKE_SECONDS:-10}"
fi

log "starting PostgreSQL, Redis and NATS on free ports"
mkdir -p "$GIIA_ROOT/build"
SERVERS=$(mktemp -d "$GIIA_ROOT/build/servers.XXXXXX")
chmod 755 "$SERVERS"
PGPASS=$(random_secret)
PG_PORT=$(free_port)
# Test-only speed: durability is not what these tests are about.
pg_start "$SERVERS/pg" "$PG_PORT" "$PGPASS" fsync=off synchronous_commit=off full_page_writes=off
REDIS_PORT=$(free_port)
redis_start "$SERVERS/redis" "$REDIS_PORT"
NATS_PORT=$(free_port)
NATS_MONITOR=$(free_port)
nats_start "$SERVERS/nats" "$NATS_PORT" "$NATS_MONITOR"

export GIIA_TEST_DATABASE_URL="postgresql://postgres:$PGPASS@127.0.0.1:$PG_PORT/postgres"
export GIIA_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export GIIA_TEST_NATS_URL="nats://127.0.0.1:$NATS_PORT"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

log "running the tests"
cd "$BUILD"
if [[ $COVERAGE == 0 ]]; then
  ctest --output-on-failure -j "${GIIA_JOBS:-2}" --timeout 300 "$@"
  exit 0
fi
find "$BUILD" -name '*.gcda' -delete  # this run's counts only
rc=0
ctest --output-on-failure -j "${GIIA_JOBS:-2}" --timeout 300 "$@" || rc=$?
"$GIIA_ROOT/scripts/coverage.sh" "$BUILD" || { ((rc)) || rc=1; }
exit "$rc"
