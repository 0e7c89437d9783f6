#!/usr/bin/env bash
# The README's run command: installs dependencies, builds, and runs the main job.
# Extra arguments go to hpo optimize (e.g. --n-trials 50).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh -DHPO_BUILD_TESTS=OFF -DHPO_BUILD_BENCH=OFF
# The hybrid search on the bundled digits table: logistic regression with a global and a
# per-feature L2 penalty (65 continuous hyperparameters), random starts refined by
# conjugate-gradient hypergradients; rerunning resumes the study in hpo.db. An option
# given on the command line replaces the default of the same name.
defaults=(--task logistic --data examples/data/digits.csv.gz --target target --sampler hybrid
          --method cg --n-trials 20 --test-fraction 0.2 --storage sqlite:///hpo.db)
args=()
for ((i = 0; i < ${#defaults[@]}; i += 2)); do
  [[ " $* " == *" ${defaults[i]} "* ]] || args+=("${defaults[i]}" "${defaults[i + 1]}")
done
build/bin/hpo optimize "${args[@]}" "$@"
