#!/usr/bin/env bash
# Configures and builds hpo into build/ (binaries in build/bin). Extra arguments go to
# the configure step, e.g. scripts/build.sh -DHPO_BUILD_TESTS=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths relative to the checkout, so that another clone (CI's) hits the same cache entries.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
