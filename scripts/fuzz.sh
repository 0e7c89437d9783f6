#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs them side by side, each
# for a bounded time, starting from the corpus kept in tests/fuzz/corpus (copied, so CI
# leaves the repository unchanged). Usage: scripts/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh
seconds="${1:-60}"

generator=()
[ -f build-fuzz/CMakeCache.txt ] || generator=(-G Ninja)
phase "configuring the fuzzers" fuzz-configure env CC=clang CXX=clang++ cmake -S . -B build-fuzz \
  "${generator[@]}" -DHPO_FUZZ=ON -DHPO_WITH_TORCH=OFF -DHPO_BUILD_EXAMPLES=OFF \
  -DHPO_BUILD_BENCH=OFF -DHPO_BUILD_TESTS=ON
targets=$(ls tests/fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//')
phase "building the fuzzers" fuzz-build cmake --build build-fuzz -j"$(nproc)" --target $targets

# One fuzzer: a scratch copy of its corpus, its output in $HPO_LOG_DIR/<target>.log; on a
# failure the log ends with the input that failed.
fuzz_one() {
  local target=$1 work status=0
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/${target#fuzz_}"/. "$work"/
  build-fuzz/bin/"$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
      [ -e "$crash" ] && { echo "input that failed ($crash):"; head -c 2000 "$crash" | od -c | head -20; }
    done
  fi
  rm -rf "$work"
  return "$status"
}

# The fuzzers are single-threaded: they run at the same time, one per core.
fuzz_all() {
  local pids=() target status=0
  for target in $targets; do
    fuzz_one "$target" >"$HPO_LOG_DIR/$target.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  for target in $targets; do
    echo "== $target ($HPO_LOG_DIR/$target.log)"
    grep -aE "stat::number_of_executed_units|ERROR|SUMMARY|input that failed" "$HPO_LOG_DIR/$target.log" || true
  done
  return "$status"
}
phase "fuzzing $(echo $targets | wc -w) targets for ${seconds} s" fuzz fuzz_all
