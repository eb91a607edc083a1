#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz, built with clang-14 in build/fuzz
# (every library they link compiled with -fsanitize=fuzzer-no-link,address,
# undefined) and run one after another, each on a copy of its seed corpus
# (tests/fuzz/corpus/<name>, copied to build/fuzz/corpus/<name>, which keeps
# what the runs add; the repository is not written).
#
#   scripts/fuzz.sh [SECONDS] [NAME...]   each harness for SECONDS (default 60)
#   GIIA_FUZZ_RUNS=N scripts/fuzz.sh      each harness for N inputs instead
#   GIIA_FUZZ_BUILD_ONLY=1                build, run nothing
#
# Prints per harness the executions, coverage (libFuzzer's cov: edges and ft:
# features at the end) and crashes; a crashing input is kept in
# build/fuzz/crashes/<name>/. Exits non-zero when any harness crashed (a
# sanitizer report, a failed property, a timeout, running out of memory).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

EACH=${1:-60}
shift $(($# > 0 ? 1 : 0))
BUILD="$GIIA_ROOT/build/fuzz"
ALL=(jwt rest_body cloudevents config migration dlq)
NAMES=("$@")
((${#NAMES[@]})) || NAMES=("${ALL[@]}")

install_packages

log "building the fuzz harnesses (clang-14, ASan + UBSan + libFuzzer) in build/fuzz"
start=$SECONDS
if [[ ! -f $BUILD/build.ninja ]]; then
  cmake -S "$GIIA_ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DGIIA_BUILD_TESTS=OFF -DGIIA_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD" --target giia_fuzzers -j "${GIIA_JOBS:-2}"
log "built in $((SECONDS - start)) s"
[[ -z ${GIIA_FUZZ_BUILD_ONLY:-} ]] || exit 0

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [[ -n ${GIIA_FUZZ_RUNS:-} ]]; then
  limit=(-runs="$GIIA_FUZZ_RUNS")
else
  limit=(-max_total_time="$EACH")
fi

failed=0
summary=()
for name in "${NAMES[@]}"; do
  bin="$BUILD/tests/fuzz/${name}_fuzz"
  [[ -x $bin ]] || die "no harness $name (one of: ${ALL[*]})"
  corpus="$BUILD/corpus/$name"
  crashes="$BUILD/crashes/$name"
  mkdir -p "$corpus" "$crashes"
  cp -n "$GIIA_ROOT/tests/fuzz/corpus/$name/"* "$corpus/"
  out="$BUILD/$name.log"
  log "fuzzing $name (${limit[*]})"
  started=$SECONDS
  rc=0
  "$bin" "${limit[@]}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" "$corpus" >"$out" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$out" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  found=0
  if ((rc != 0)); then
    found=1
    failed=1
    grep -E 'ERROR|runtime error|property failed|Test unit written' "$out" >&2 || tail -30 "$out" >&2
  fi
  line="$name: ${execs:-?} executions in $((SECONDS - started)) s, cov ${cov:-?}, ft ${ft:-?}, $found crashes"
  echo "$line"
  summary+=("$line")
done
log "fuzzing summary"
printf '  %s\n' "${summary[@]}"
exit $failed
