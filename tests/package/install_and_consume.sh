#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, builds examples as an outside CMake
# project against it, and runs them.
# Usage: install_and_consume.sh BUILD_DIR SOURCE_DIR [torch example name]
set -euo pipefail
build_dir=$1 source_dir=$2 torch_example=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$source_dir/tests/package/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DHPO_EXAMPLES_DIR="$source_dir/examples" -DHPO_CONSUMER_TORCH_EXAMPLE="$torch_example" \
  "${launcher[@]}" >/dev/null
cmake --build "$work/build" -j2 >/dev/null
"$work/build/quickstart" 20
if [ -n "$torch_example" ]; then
  "$work/build/$torch_example" --quick
fi
test -x "$work/prefix/bin/hpo"
echo "outside project built and ran against $work/prefix"
