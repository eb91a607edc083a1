#!/usr/bin/env bash
# clang-tidy-14 with the checked-in .clang-tidy over giia's own sources, using
# a build's compile_commands.json (any build folder configured by CMake):
#   scripts/check_tidy.sh BUILD          src/core (scripts/test.sh runs this)
#   scripts/check_tidy.sh BUILD --all    all of src
# Prints every finding and fails when there is one; the whole output is kept
# in BUILD/clang-tidy.log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

BUILD=${1:?usage: scripts/check_tidy.sh BUILD [--all]}
SCOPE=src/core
[[ ${2:-} == --all ]] && SCOPE=src
[[ -f $BUILD/compile_commands.json ]] || die "no $BUILD/compile_commands.json: configure $BUILD first"
RUN=$(command -v run-clang-tidy-14) || die "run-clang-tidy-14 is missing (apt-get install clang-tidy-14)"
LOG="$BUILD/clang-tidy.log"

# The pattern is matched against the compilation database's file names: the
# generated sources under BUILD never match it.
rc=0
"$RUN" -clang-tidy-binary clang-tidy-14 -p "$BUILD" -j "${GIIA_JOBS:-2}" -quiet \
  "^$GIIA_ROOT/$SCOPE/" >"$LOG" 2>&1 || rc=$?
findings=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -E '^/.*: (warning|error): ' | sort -u || true)
if ((rc)) || [[ -n $findings ]]; then
  printf 'clang-tidy: findings in %s (the whole output: %s):\n%s\n' "$SCOPE" "$LOG" "$findings" >&2
  exit 1
fi
echo "clang-tidy: ok ($(grep -c "\"file\": \"$GIIA_ROOT/$SCOPE/" "$BUILD/compile_commands.json") files of $SCOPE)"
