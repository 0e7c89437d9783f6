#!/usr/bin/env bash
# Configures and builds hpo into build/ (binaries in build/bin), one line per phase (see
# scripts/phase.sh). Arguments starting with -D go to the configure step, the others name
# the targets to build (default: all), e.g. scripts/build.sh -DHPO_BUILD_TESTS=OFF hpo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh

options=() targets=()
for arg in "$@"; do
  if [[ $arg == -D* ]]; then options+=("$arg"); else targets+=(--target "$arg"); fi
done
# Ninja for a new build folder (faster to start, and it counts steps); a folder configured
# before keeps its generator.
generator=()
[ -f build/CMakeCache.txt ] || generator=(-G Ninja)

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths relative to the checkout, so that another clone (CI's) hits the same cache entries.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
phase "configuring" configure cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${options[@]}"
phase "building" build cmake --build build -j"$(nproc)" "${targets[@]}"
