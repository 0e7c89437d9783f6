"""The Optuna side of bench/hybrid_search: TPE (Debian's Optuna 3.1) on the same task.

Each trial's parameters go to `hybrid_search --serve`, which trains the model exactly as
the C++ studies do (same data split, same training code and seeds) and answers with the
validation loss. Prints one JSON line per seed: {"seed": s, "curve": [[seconds, value], ...]}.
"""
import argparse
import json
import math
import subprocess
import time

import optuna

parser = argparse.ArgumentParser()
parser.add_argument("--server", required=True)
parser.add_argument("--seeds", type=int, default=5)
parser.add_argument("--trials", type=int, default=100)
parser.add_argument("--features", type=int, default=64)
parser.add_argument("--epochs", type=int, default=20)
args = parser.parse_args()
optuna.logging.set_verbosity(optuna.logging.WARNING)

for seed in range(args.seeds):
    server = subprocess.Popen(
        [args.server, "--serve", "--seed", str(seed), "--epochs", str(args.epochs)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def objective(trial):
        params = {"l2": trial.suggest_float("l2", 1e-5, 1.0, log=True)}
        for i in range(args.features):
            name = f"feature_l2[{i}]"
            params[name] = trial.suggest_float(name, 1e-5, 1.0, log=True)
        server.stdin.write(json.dumps(params) + "\n")
        server.stdin.flush()
        value = float(server.stdout.readline())
        return value if math.isfinite(value) else float("inf")

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    start = time.monotonic()
    curve = []
    study.optimize(objective, n_trials=args.trials,
                   callbacks=[lambda s, t: curve.append([time.monotonic() - start, t.value])])
    server.stdin.close()
    server.wait()
    print(json.dumps({"seed": seed, "curve": curve}), flush=True)
