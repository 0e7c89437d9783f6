"""The Optuna side of bench/tpe_vs_optuna: Debian's Optuna 3.1 TPESampler.

Objective values and search spaces come from `tpe_vs_optuna --serve`, the same C++ code
that scores hpo's trials, so both samplers optimize exactly the same functions.

  --quality F1,F2 --seeds S --trials T : one JSON line per (function, seed):
      {"function": f, "seed": s, "best": [best value after each trial]}
  --speed N1,N2 --samples K : one JSON line per N: {"finished": n, "seconds_per_trial": x},
      the time of one ask() (sampling every parameter) with n finished trials.
  --fix-logpdf : Optuna 3.1's truncated-normal log density lacks the −log(scale) term
      (upstream fix 206e719, "Fix logpdf for scaled truncnorm", released in Optuna 3.5);
      this adds it back, which gives the kernels of Optuna 3.5 to 4.x that hpo implements.
"""
import argparse
import json
import subprocess
import time

import optuna

parser = argparse.ArgumentParser()
parser.add_argument("--server", required=True)
parser.add_argument("--quality", default="")
parser.add_argument("--seeds", type=int, default=20)
parser.add_argument("--trials", type=int, default=100)
parser.add_argument("--speed", default="")
parser.add_argument("--samples", type=int, default=5)
parser.add_argument("--speed-function", default="mixed")
parser.add_argument("--fix-logpdf", action="store_true")
args = parser.parse_args()
optuna.logging.set_verbosity(optuna.logging.WARNING)

if args.fix_logpdf:
    import numpy as np
    from optuna.samplers._tpe import _truncnorm

    _unscaled_logpdf = _truncnorm.logpdf

    def _scaled_logpdf(x, a, b, loc=0, scale=1):
        return _unscaled_logpdf(x, a, b, loc=loc, scale=scale) - np.log(scale)

    _truncnorm.logpdf = _scaled_logpdf

server = subprocess.Popen([args.server, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def call(request):
    server.stdin.write(json.dumps(request) + "\n")
    server.stdin.flush()
    return json.loads(server.stdout.readline())


def space_of(function):
    return {name: optuna.distributions.json_to_distribution(json.dumps(d))
            for name, d in call({"space": function}).items()}


def evaluate(function, params):
    return call({"function": function, "params": params})["value"]


for function in filter(None, args.quality.split(",")):
    space = space_of(function)
    for seed in range(args.seeds):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        best, curve = float("inf"), []
        for _ in range(args.trials):
            trial = study.ask(space)
            value = evaluate(function, trial.params)
            study.tell(trial, value)
            best = min(best, value)
            curve.append(best)
        print(json.dumps({"function": function, "seed": seed, "best": curve}), flush=True)

if args.speed:
    space = space_of(args.speed_function)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    done = 0
    for n in sorted(int(x) for x in args.speed.split(",")):
        study.sampler = optuna.samplers.RandomSampler(seed=n)
        for _ in range(n - done):
            trial = study.ask(space)
            study.tell(trial, evaluate(args.speed_function, trial.params))
        study.sampler = optuna.samplers.TPESampler(seed=0)
        elapsed = 0.0
        for _ in range(args.samples):
            start = time.perf_counter()
            trial = study.ask(space)
            elapsed += time.perf_counter() - start
            study.tell(trial, optuna.trial.TrialState.FAIL)  # keeps n finished (FAIL is ignored)
        done = n
        print(json.dumps({"finished": n, "seconds_per_trial": elapsed / args.samples}), flush=True)

server.stdin.close()
server.wait()
