"""Python Optuna opens a hybrid study written by hpo and sees the refined params."""
import json
import math
import sys

import optuna

db, expected_path = sys.argv[1], sys.argv[2]
expected = json.load(open(expected_path))
study = optuna.load_study(study_name="hybrid", storage=f"sqlite:///{db}")
trials = study.get_trials()
assert len(trials) == len(expected), (len(trials), len(expected))
for trial, want in zip(trials, expected):
    assert trial.number == want["number"]
    assert math.isclose(trial.value, want["value"], rel_tol=1e-12), (trial.value, want["value"])
    assert trial.params.keys() == want["params"].keys(), (trial.params.keys(), want["params"].keys())
    for name, value in want["params"].items():
        assert math.isclose(trial.params[name], value, rel_tol=1e-12), (name, trial.params[name], value)
    initial = trial.system_attrs["hypergrad"]["initial_params"]
    assert any(initial[k] != trial.params[k] for k in initial), "params should be the refined values"
print(f"optuna {optuna.__version__} read {len(trials)} hybrid trials with refined params; best {study.best_value:.6g}")
