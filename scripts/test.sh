#!/usr/bin/env bash
# The README's test command: installs dependencies, builds everything, runs the whole
# test suite (unit, integration, cross-checks with Python Optuna, examples as smoke tests).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh -DHPO_BUILD_TESTS=ON -DHPO_BUILD_EXAMPLES=ON -DHPO_BUILD_BENCH=ON
cd build
ctest --output-on-failure -j"$(nproc)"
cd .. && scripts/sanitize.sh && scripts/fuzz.sh 60  # ASan+UBSan run of the torch-free tests; each fuzzer 60 s
