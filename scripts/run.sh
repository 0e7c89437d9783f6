#!/usr/bin/env bash
# The README's run command: installs dependencies, builds, and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh -DHPO_BUILD_TESTS=OFF -DHPO_BUILD_BENCH=OFF
build/bin/quickstart
