"""The Optuna side of bench/hybrid_search: TPE (Debian's Optuna 3.1) on one problem.

`hybrid_search --serve` first prints the problem's search space (name -> Optuna
distribution JSON), then answers each parameter set it is sent with the validation loss of
the model trained exactly as the C++ studies train it (same data, code and seeds). Prints
one JSON line per seed: {"seed": s, "curve": [[seconds of training, value, params], ...]}.
"""
import argparse
import json
import math
import subprocess
import time

import optuna
from optuna.distributions import json_to_distribution

parser = argparse.ArgumentParser()
parser.add_argument("--server", required=True)
parser.add_argument("--problem", required=True)
parser.add_argument("--seeds", type=int, default=5)
parser.add_argument("--trials", type=int, default=100)
args = parser.parse_args()
optuna.logging.set_verbosity(optuna.logging.WARNING)

for seed in range(args.seeds):
    server = subprocess.Popen(
        [args.server, "--serve", "--problem", args.problem, "--seed", str(seed)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    space = {name: json_to_distribution(text) for name, text in json.loads(server.stdout.readline()).items()}
    training = [0.0]

    def objective(trial):
        params = {name: trial._suggest(name, distribution) for name, distribution in space.items()}
        start = time.monotonic()
        server.stdin.write(json.dumps(params) + "\n")
        server.stdin.flush()
        value = float(server.stdout.readline())
        training[0] += time.monotonic() - start
        return value if math.isfinite(value) else float("inf")

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    curve = []
    study.optimize(objective, n_trials=args.trials,
                   callbacks=[lambda s, t: curve.append([training[0], t.value, t.params])])
    server.stdin.close()
    server.wait()
    print(json.dumps({"seed": seed, "curve": curve}), flush=True)
