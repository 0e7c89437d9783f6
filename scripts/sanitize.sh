#!/usr/bin/env bash
# Builds the LibTorch-free part of hpo (core, storage, the hpo program and its data
# loaders, their tests and the reliability tests) with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-asan, and runs those tests. Any report fails the
# run: UBSan is built not to recover, ASan stops at its first error, and LeakSanitizer
# (part of ASan) fails a test that leaks.
# LibTorch is left out (HPO_WITH_TORCH=OFF): each translation unit that includes it takes
# about 25 s to compile, too much to build twice in CI, and Debian's LibTorch itself is
# not instrumented. The hypergradient engine, hybrid sampler and `hpo optimize` are
# therefore not run under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh

# -O1 -g1: half the compile time of -O2 -g (the GoogleTest files dominate), still fast
# enough to run, and line tables are all the sanitizers' reports need. A Debug build, so
# that assert() stays on.
generator=()
[ -f build-asan/CMakeCache.txt ] || generator=(-G Ninja)
phase "configuring the sanitizer build" asan-configure cmake -S . -B build-asan "${generator[@]}" -DHPO_SANITIZE=ON -DHPO_WITH_TORCH=OFF -DHPO_BUILD_TESTS=ON \
  -DHPO_BUILD_EXAMPLES=OFF -DHPO_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1"
phase "building with the sanitizers" asan-build cmake --build build-asan -j"$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The package test builds an outside project against the installed, instrumented
# libraries without the sanitizer flags, which cannot link; it checks packaging, not memory.
phase "running the tests with the sanitizers" asan-test \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E '^package_'
