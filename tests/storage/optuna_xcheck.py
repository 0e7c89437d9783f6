"""Cross-checks between hpo's SqliteStorage and Debian's Python Optuna 3.1.

Run by ctest under /usr/bin/python3:  optuna_xcheck.py <check> <storage_tool> <workdir>
  optuna-reads-cpp   C++ writes v3.0.0.d (schema identical to Optuna's own), Optuna reads
                     the same trials, runs more, C++ reads them back.
  cpp-reads-optuna   Optuna writes, C++ reads and continues, `optuna trials/best-trial` work.
  v320-in-optuna31   a v3.2.0.a file opens in Optuna 3.1 with skip_compatibility_check.
Both sides print studies in one canonical JSON form (see storage_tool.cpp `dump`).
"""
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import warnings

warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning etc.
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)

CHOICES = ["sgd", "adam", None, 3, 2.5, True]
DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
V32_INDEX = ("index", "ix_trials_study_id", "trials", "CREATE INDEX ix_trials_study_id ON trials (study_id)")


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def micros(dt):
    if dt is None:
        return None
    return int(time.mktime(dt.timetuple())) * 1_000_000 + dt.microsecond


def suggest_all(trial):
    """The same search space as storage_tool.cpp's suggest_all."""
    lr = trial.suggest_float("lr", 1e-5, 0.1, log=True)
    frac = trial.suggest_float("frac", 0.0, 1.0, step=0.1)
    units = trial.suggest_int("units", 0, 100, step=5)
    batch = trial.suggest_int("batch", 1, 1024, log=True)
    trial.suggest_categorical("opt", CHOICES)
    return lr * 100 + frac + (units + batch) / 1000


def python_dump(storage):
    studies = []
    for s in sorted(storage.get_all_studies(), key=lambda s: s._study_id):
        if hasattr(storage, "read_trials_from_remote_storage"):
            storage.read_trials_from_remote_storage(s._study_id)  # Optuna's cache reads on request
        trials = []
        for t in storage.get_all_trials(s._study_id):
            trials.append({
                "number": t.number,
                "state": t.state.name,
                "values": t.values,
                "datetime_start": micros(t.datetime_start),
                "datetime_complete": micros(t.datetime_complete),
                "params": t.params,
                "distributions": {n: json.loads(optuna.distributions.distribution_to_json(d))
                                  for n, d in t.distributions.items()},
                "intermediate_values": {str(k): v for k, v in t.intermediate_values.items()},
                "user_attrs": t.user_attrs,
                "system_attrs": t.system_attrs,
            })
        studies.append({"name": s.study_name, "directions": [d.name for d in s.directions],
                        "user_attrs": s.user_attrs, "system_attrs": s.system_attrs,
                        "trials": trials})
    return studies


def cpp_dump(tool, db):
    out = subprocess.run([tool, "dump", db], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def same(a, b, path="$"):
    """Deep equality that treats NaN as equal to NaN and tells bool, int and float apart."""
    if type(a) is not type(b):
        return f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"
    if isinstance(a, float):
        return None if (a == b or (math.isnan(a) and math.isnan(b))) else f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        if set(a) != set(b):
            return f"{path}: keys {sorted(a)} vs {sorted(b)}"
        return next((d for k in a for d in [same(a[k], b[k], f"{path}.{k}")] if d), None)
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) for d in [same(x, y, f"{path}[{i}]")] if d), None)
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def expect_same_view(tool, db, storage, what):
    difference = same(python_dump(storage), cpp_dump(tool, db))
    check(difference is None, f"{what}: Python (left) and C++ (right) differ at {difference}")


def master_rows(db):
    with sqlite3.connect(db) as c:
        return list(c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def reference_rows(workdir):
    ref = os.path.join(workdir, "optuna_ref.db")
    optuna.create_study(storage="sqlite:///" + ref)
    return master_rows(ref), ref


def check_raw_encodings(db):
    with sqlite3.connect(db) as c:
        for (text,) in c.execute("SELECT datetime_start FROM trials WHERE datetime_start IS NOT NULL "
                                 "UNION ALL SELECT datetime_complete FROM trials "
                                 "WHERE datetime_complete IS NOT NULL"):
            check(DATETIME.match(text), f"datetime {text!r} is not YYYY-MM-DD HH:MM:SS.ffffff")
        types = dict(c.execute("SELECT value_type, count(*) FROM trial_values WHERE value IS NULL GROUP BY 1"))
        check(set(types) == {"INF_POS", "INF_NEG"}, f"NULL trial_values have types {types}")
        nan = c.execute("SELECT count(*) FROM trial_intermediate_values "
                        "WHERE intermediate_value IS NULL AND intermediate_value_type = 'NAN'").fetchone()[0]
        check(nan > 0, "no NULL+NAN intermediate value rows")
        states = {s for (s,) in c.execute("SELECT DISTINCT state FROM trials")}
        check(states == {"COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"}, f"states {states}")


def optuna_reads_cpp(tool, workdir):
    db = os.path.join(workdir, "cpp.db")
    url = "sqlite:///" + db
    subprocess.run([tool, "write", db, "v3.0.0.d"], check=True)

    ref, _ = reference_rows(workdir)
    rows = master_rows(db)
    check(rows == ref, "schema differs from Optuna 3.1's:\n" +
          "\n".join(f"  C++ {r}\n  ref {q}" for r, q in zip(rows, ref) if r != q) +
          f"\n  ({len(rows)} vs {len(ref)} entries)")
    with sqlite3.connect(db) as c:
        check(c.execute("SELECT * FROM alembic_version").fetchall() == [("v3.0.0.d",)], "alembic_version")
        check(c.execute("SELECT version_info_id, schema_version FROM version_info").fetchall() == [(1, 12)],
              "version_info")
    check_raw_encodings(db)

    storage = optuna.storages.get_storage(url)  # no skip: v3.0.0.d is Optuna 3.1's own head
    expect_same_view(tool, db, storage, "C++-written study")

    study = optuna.load_study(study_name="xcheck", storage=storage)
    trials = study.get_trials()
    by_state = {s: [t for t in trials if t.state.name == s] for s in
                ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")}
    check(all(by_state.values()), f"every state present: { {k: len(v) for k, v in by_state.items()} }")
    check(by_state["PRUNED"][0].value == 2.0 and by_state["PRUNED"][1].values is None,
          "a PRUNED value is the last step's intermediate value, none when that is NaN")
    values = [t.value for t in by_state["COMPLETE"]]
    check(math.inf in values and -math.inf in values, f"±inf values: {values}")
    seen = [t.params["opt"] for t in by_state["COMPLETE"]]
    for choice in CHOICES:
        check(any(type(x) is type(choice) and x == choice for x in seen), f"choice {choice!r} in {seen}")
    check(by_state["WAITING"][0].system_attrs["fixed_params"] == {"lr": 0.01, "opt": "adam"}, "fixed_params")
    check(study.user_attrs["unicode"] == "naïve ✓ 日本語" and math.isnan(study.user_attrs["nan"]),
          f"study attrs {study.user_attrs}")
    mo = optuna.load_study(study_name="xcheck-mo", storage=storage)
    check([d.name for d in mo.directions] == ["MINIMIZE", "MAXIMIZE"], "multi-objective directions")
    check(mo.trials[2].values[1] == math.inf, "multi-objective inf value")

    # Optuna continues: it takes the enqueued trial first (one of its 5), and finishes
    # C++'s RUNNING one.
    study.tell(by_state["RUNNING"][0].number, 0.125)
    study.optimize(suggest_all, n_trials=5)
    after = study.get_trials()
    check(len(after) == len(trials) + 4, f"{len(after)} trials after 5 more into {len(trials)}")
    check(after[len(trials) - 1].state.name == "COMPLETE" and
          after[len(trials) - 1].params["opt"] == "adam", "the enqueued trial ran with its fixed params")
    expect_same_view(tool, db, storage, "after Optuna continued")


def cpp_reads_optuna(tool, workdir):
    db = os.path.join(workdir, "py.db")
    url = "sqlite:///" + db
    study = optuna.create_study(study_name="pystudy", storage=url,
                                sampler=optuna.samplers.RandomSampler(seed=1))
    study.set_user_attr("nan", float("nan"))
    study.set_user_attr("unicode", "ß ∑ 漢字")

    def objective(trial):
        value = suggest_all(trial)
        trial.set_user_attr("inf", float("inf"))
        for step in range(3):
            trial.report(value + step if step != 1 else float("nan"), step)
        if trial.number % 4 == 1:
            raise optuna.TrialPruned()
        if trial.number % 4 == 2:
            return float("nan")  # Optuna fails this trial
        return value

    study.optimize(objective, n_trials=8)
    study.enqueue_trial({"lr": 0.001, "opt": None})
    mo = optuna.create_study(study_name="pymo", storage=url, directions=["maximize", "minimize"])
    mo.optimize(lambda t: (t.suggest_int("k", 0, 3), float("-inf")), n_trials=2)

    storage = optuna.storages.get_storage(url)
    expect_same_view(tool, db, storage, "Optuna-written study")

    n_before = len(study.trials)
    subprocess.run([tool, "optimize", db, "pystudy", "5"], check=True)
    trials = optuna.load_study(study_name="pystudy", storage=url).trials
    # The enqueued trial is the first of C++'s 5.
    check(len(trials) == n_before + 4, f"{len(trials)} trials after C++ ran 5 more into {n_before}")
    check([t.number for t in trials] == list(range(len(trials))), "numbers continue without gaps")
    check(trials[n_before - 1].state.name == "COMPLETE" and trials[n_before - 1].params["opt"] is None,
          "C++ ran the enqueued trial with its fixed params")
    check(all(t.state.name == "COMPLETE" for t in trials[n_before:]), "C++ trials complete")
    expect_same_view(tool, db, storage, "after C++ continued")
    check(V32_INDEX not in master_rows(db), "an existing v3.0.0.d file keeps its revision")

    cli = ["/usr/bin/optuna", "--storage", url]
    listed = json.loads(subprocess.run(cli + ["trials", "--study-name", "pystudy", "-f", "json"],
                                       check=True, capture_output=True, text=True).stdout)
    check(len(listed) == len(trials), f"`optuna trials` lists {len(listed)} of {len(trials)}")
    best = json.loads(subprocess.run(cli + ["best-trial", "--study-name", "pystudy", "-f", "json"],
                                     check=True, capture_output=True, text=True).stdout)
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    check(best["value"] == min(t.value for t in complete), f"`optuna best-trial` says {best}")


def v320_in_optuna31(tool, workdir):
    db = os.path.join(workdir, "v320.db")
    url = "sqlite:///" + db
    subprocess.run([tool, "write", db, "v3.2.0.a"], check=True)
    ref, _ = reference_rows(workdir)
    trials_at = next(i for i, r in enumerate(ref) if r[1] == "trials")
    expected = ref[:trials_at + 1] + [V32_INDEX] + ref[trials_at + 1:]
    check(master_rows(db) == expected, "v3.2.0.a schema is Optuna 3.1's plus ix_trials_study_id")
    with sqlite3.connect(db) as c:
        check(c.execute("SELECT * FROM alembic_version").fetchall() == [("v3.2.0.a",)], "alembic_version")
    before = open(db, "rb").read()
    try:
        optuna.load_study(study_name="xcheck", storage=url)
        fail("Optuna 3.1 opened a v3.2.0.a file without skip_compatibility_check")
    except RuntimeError as e:
        check("compatible" in str(e), f"unexpected refusal message: {e}")
    check(open(db, "rb").read() == before, "Optuna's refusal left the file alone")

    storage = optuna.storages.RDBStorage(url, skip_compatibility_check=True)
    expect_same_view(tool, db, storage, "v3.2.0.a file in Optuna 3.1")
    study = optuna.load_study(study_name="xcheck", storage=storage)
    study.optimize(suggest_all, n_trials=2)
    expect_same_view(tool, db, storage, "after Optuna 3.1 wrote into the v3.2.0.a file")


CHECKS = {"optuna-reads-cpp": optuna_reads_cpp, "cpp-reads-optuna": cpp_reads_optuna,
          "v320-in-optuna31": v320_in_optuna31}

if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in CHECKS:
        fail(f"usage: optuna_xcheck.py {{{','.join(CHECKS)}}} <storage_tool> <workdir>")
    name, tool, workdir = sys.argv[1:]
    workdir = os.path.join(workdir, name)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    CHECKS[name](os.path.abspath(tool), workdir)
    print(f"OK: {name}")
