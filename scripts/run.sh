#!/usr/bin/env bash
# The README's run command: installs dependencies, builds the hpo program, and runs the
# main job. Extra arguments go to hpo optimize (e.g. --n-trials 50).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/phase.sh

phase "installing packages" setup scripts/setup.sh
# Configured like scripts/test.sh, so that the test command afterwards reuses the build;
# only the hpo program (and hpo-optimize, which it runs) is built.
scripts/build.sh hpo
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
echo "hpo: running build/bin/hpo optimize ${args[*]} $*"
build/bin/hpo optimize "${args[@]}" "$@"
