#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded
# time, starting from the corpus kept in tests/fuzz/corpus (copied, so CI leaves the
# repository unchanged). Usage: scripts/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DHPO_FUZZ=ON -DHPO_WITH_TORCH=OFF \
  -DHPO_BUILD_EXAMPLES=OFF -DHPO_BUILD_BENCH=OFF -DHPO_BUILD_TESTS=ON >/dev/null
targets=$(ls tests/fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/\.cpp$//')
cmake --build build-fuzz -j"$(nproc)" --target $targets

for target in $targets; do
  corpus=tests/fuzz/corpus/${target#fuzz_}
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/
  echo "fuzz: $target for ${seconds}s"
  status=0
  build-fuzz/bin/"$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work" >"$work.log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "$work.log" || true
  if [ "$status" -ne 0 ]; then
    grep -A20 "ERROR" "$work.log" | head -40
    for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
      [ -e "$crash" ] && { echo "input that failed ($crash):"; head -c 2000 "$crash" | od -c | head -20; }
    done
  fi
  rm -rf "$work" "$work.log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target found a failure (exit $status)"
    exit 1
  fi
done
