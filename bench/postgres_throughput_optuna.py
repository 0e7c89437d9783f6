"""Optuna's side of bench/postgres_throughput: the same objective, run by Debian's Optuna
3.1 (psycopg2) in `processes` processes on one new study of the server at `url`. Prints
trials per second. Usage: <url> <study_name> <processes> <total_trials>"""
import multiprocessing
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


def storage(url):
    # A database that hpo created at v3.2.0.a opens in Optuna 3.1 this way (the schemas
    # differ only by an index).
    return optuna.storages.RDBStorage(url, skip_compatibility_check=True)


def work(url, name, n):
    study = optuna.load_study(study_name=name, storage=storage(url), sampler=optuna.samplers.RandomSampler())
    study.optimize(objective, n_trials=n)


if __name__ == "__main__":
    url, name, processes, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    optuna.create_study(study_name=name, storage=storage(url))
    each = total // processes
    start = time.perf_counter()
    workers = [multiprocessing.Process(target=work, args=(url, name, each)) for _ in range(processes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    assert all(w.exitcode == 0 for w in workers)
    assert len(optuna.load_study(study_name=name, storage=storage(url)).trials) == each * processes
    print(f"{each * processes / elapsed:.3f}")
