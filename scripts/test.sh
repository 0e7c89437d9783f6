#!/usr/bin/env bash
# The README's test command: installs dependencies, builds everything, runs the whole
# test suite (unit, integration, cross-checks with Python Optuna, examples as smoke
# tests), then the sanitizer run and the fuzzers. One line per phase; logs in build/logs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh

phase "installing packages" setup scripts/setup.sh
scripts/build.sh -DHPO_BUILD_TESTS=ON -DHPO_BUILD_EXAMPLES=ON -DHPO_BUILD_BENCH=ON
phase "running the tests" test ctest --test-dir build --output-on-failure -j"$(nproc)"
scripts/sanitize.sh  # ASan+UBSan run of the LibTorch-free tests
scripts/fuzz.sh 60   # each fuzzer 60 s
