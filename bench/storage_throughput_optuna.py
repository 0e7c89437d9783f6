"""Optuna's side of bench/storage_throughput: the same study as the C++ side, run by
Debian's Optuna 3.1. Prints trials per second. Usage: <n_trials> <fresh_db_path>"""
import sys
import time
import warnings

warnings.simplefilter("ignore")
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", 0, 10)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return x * x + y + (1.0 if c == "a" else 0.0)


n_trials, path = int(sys.argv[1]), sys.argv[2]
study = optuna.create_study(storage="sqlite:///" + path, sampler=optuna.samplers.RandomSampler(seed=0))
start = time.perf_counter()
study.optimize(objective, n_trials=n_trials)
elapsed = time.perf_counter() - start
assert len(study.trials) == n_trials
print(f"{n_trials / elapsed:.3f}")
