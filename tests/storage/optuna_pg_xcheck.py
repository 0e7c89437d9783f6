"""Cross-checks between hpo's PostgresStorage and Debian's Python Optuna 3.1 + psycopg2,
on a throwaway PostgreSQL server that this script starts and stops.

Run by ctest under /usr/bin/python3:  optuna_pg_xcheck.py <storage_tool> <workdir>
  schema            pg_dump --schema-only of a database hpo created equals one Optuna
                    created (v3.0.0.d); v3.2.0.a adds only ix_trials_study_id; hpo opens
                    Optuna's database without changing it.
  optuna-reads-cpp  C++ writes every state/distribution/±inf/NaN/unicode/multi-objective,
                    Optuna reads the same trials, continues, C++ reads them back.
  cpp-reads-optuna  Optuna writes, C++ reads and continues, `optuna trials` works.
  mixed-workers     Optuna and hpo processes run one study at once: numbers stay dense.
The study views are compared with optuna_xcheck.py's canonical JSON dumps.
"""
import math
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import optuna_xcheck as x  # noqa: E402  (also silences Optuna's logging and warnings)
import optuna  # noqa: E402
import psycopg2  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "throwaway_postgres.sh")
PG_BIN = "/usr/lib/postgresql/15/bin"
check = x.check


class Server:
    def __init__(self, folder):
        self.folder = folder
        env = dict(os.environ, HPO_PG_SETTINGS="-c fsync=off -c synchronous_commit=off")
        self.url = subprocess.run([SCRIPT, "start", folder], check=True, capture_output=True, text=True,
                                  env=env).stdout.strip()
        self.count = 0

    def new_database(self):
        self.count += 1
        name = f"xcheck_{self.count}"
        c = psycopg2.connect(self.url)
        c.autocommit = True
        c.cursor().execute(f"CREATE DATABASE {name}")
        c.close()
        return self.url.rsplit("/", 1)[0] + "/" + name

    def stop(self):
        subprocess.run([SCRIPT, "stop", self.folder], check=False)


def rows(url, sql):
    with psycopg2.connect(url) as c:
        cur = c.cursor()
        cur.execute(sql)
        result = cur.fetchall()
    c.close()
    return result


def schema_dump(url):
    out = subprocess.run([f"{PG_BIN}/pg_dump", "--schema-only", url], check=True, capture_output=True,
                         text=True).stdout
    # pg_dump 15.14+ fences the dump with a random \restrict key.
    return "\n".join(line for line in out.splitlines() if not re.match(r"^\\(un)?restrict ", line))


def sqlalchemy_url(url):
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def check_schema(server, tool):
    optuna_db = server.new_database()
    optuna.create_study(storage=sqlalchemy_url(optuna_db))
    reference = schema_dump(optuna_db)
    check("CREATE TYPE public.trialstate AS ENUM" in reference, "Optuna's dump has native enum types")

    hpo_db = server.new_database()
    subprocess.run([tool, "write", hpo_db, "v3.0.0.d"], check=True)
    dumped = schema_dump(hpo_db)
    if dumped != reference:
        import difflib
        fail_lines = "\n".join(difflib.unified_diff(reference.splitlines(), dumped.splitlines(), "optuna", "hpo",
                                                    lineterm=""))
        x.fail("pg_dump --schema-only differs from Optuna 3.1's:\n" + fail_lines)
    check(rows(hpo_db, "SELECT * FROM alembic_version") == [("v3.0.0.d",)], "alembic_version v3.0.0.d")
    check(rows(hpo_db, "SELECT version_info_id, schema_version FROM version_info") == [(1, 12)], "version_info")

    v32_db = server.new_database()
    subprocess.run([tool, "write", v32_db, "v3.2.0.a"], check=True)
    v32 = schema_dump(v32_db)
    index = ("--\n-- Name: ix_trials_study_id; Type: INDEX; Schema: public; Owner: hpo\n--\n\n"
             "CREATE INDEX ix_trials_study_id ON public.trials USING btree (study_id);\n\n\n")
    check(index in v32 + "\n", "v3.2.0.a has ix_trials_study_id")
    check((v32 + "\n").replace(index, "") == reference + "\n", "v3.2.0.a differs from v3.0.0.d only by the index")
    check(rows(v32_db, "SELECT * FROM alembic_version") == [("v3.2.0.a",)], "alembic_version v3.2.0.a")

    # hpo opens the Optuna-created database as it is: no schema change.
    subprocess.run([tool, "optimize", optuna_db, "from-hpo", "3"], check=True)
    check(schema_dump(optuna_db) == reference, "opening Optuna's database changed its schema")
    check(rows(optuna_db, "SELECT * FROM alembic_version") == [("v3.0.0.d",)], "revision kept")


def check_raw_encodings(url):
    types = dict(rows(url, "SELECT value_type::text, count(*) FROM trial_values WHERE value IS NULL GROUP BY 1"))
    check(set(types) == {"INF_POS", "INF_NEG"}, f"NULL trial_values have types {types}")
    nan = rows(url, "SELECT count(*) FROM trial_intermediate_values "
                    "WHERE intermediate_value IS NULL AND intermediate_value_type = 'NAN'")[0][0]
    check(nan > 0, "no NULL+NAN intermediate value rows")
    states = {s for (s,) in rows(url, "SELECT DISTINCT state::text FROM trials")}
    check(states == {"COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"}, f"states {states}")
    texts = [t for (t,) in rows(url, "SELECT value_json FROM study_user_attributes")]
    check(any("\\u00ef" in t for t in texts), f"attributes JSON as json.dumps writes it: {texts}")


def optuna_reads_cpp(server, tool):
    url = server.new_database()
    subprocess.run([tool, "write", url, "v3.0.0.d"], check=True)
    check_raw_encodings(url)
    storage = optuna.storages.get_storage(sqlalchemy_url(url))  # v3.0.0.d is Optuna 3.1's head
    x.expect_same_view(tool, url, storage, "C++-written study")

    study = optuna.load_study(study_name="xcheck", storage=storage)
    trials = study.get_trials()
    by_state = {s: [t for t in trials if t.state.name == s] for s in
                ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")}
    check(all(by_state.values()), f"every state present: { {k: len(v) for k, v in by_state.items()} }")
    check(by_state["PRUNED"][0].value == 2.0 and by_state["PRUNED"][1].values is None, "PRUNED values")
    values = [t.value for t in by_state["COMPLETE"]]
    check(math.inf in values and -math.inf in values, f"±inf values: {values}")
    seen = [t.params["opt"] for t in by_state["COMPLETE"]]
    for choice in x.CHOICES:
        check(any(type(v) is type(choice) and v == choice for v in seen), f"choice {choice!r} in {seen}")
    check(study.user_attrs["unicode"] == "naïve ✓ 日本語" and math.isnan(study.user_attrs["nan"]),
          f"study attrs {study.user_attrs}")
    mo = optuna.load_study(study_name="xcheck-mo", storage=storage)
    check([d.name for d in mo.directions] == ["MINIMIZE", "MAXIMIZE"], "multi-objective directions")
    check(mo.trials[2].values[1] == math.inf, "multi-objective inf value")

    study.tell(by_state["RUNNING"][0].number, 0.125)
    study.optimize(x.suggest_all, n_trials=5)
    after = study.get_trials()
    check(len(after) == len(trials) + 4, f"{len(after)} trials after 5 more into {len(trials)}")
    check(after[len(trials) - 1].params["opt"] == "adam", "the enqueued trial ran with its fixed params")
    x.expect_same_view(tool, url, storage, "after Optuna continued")


def cpp_reads_optuna(server, tool):
    url = server.new_database()
    sa_url = sqlalchemy_url(url)
    study = optuna.create_study(study_name="pystudy", storage=sa_url, sampler=optuna.samplers.RandomSampler(seed=1))
    study.set_user_attr("nan", float("nan"))
    study.set_user_attr("unicode", "ß ∑ 漢字")

    def objective(trial):
        value = x.suggest_all(trial)
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
    mo = optuna.create_study(study_name="pymo", storage=sa_url, directions=["maximize", "minimize"])
    mo.optimize(lambda t: (t.suggest_int("k", 0, 3), float("-inf")), n_trials=2)

    storage = optuna.storages.get_storage(sa_url)
    x.expect_same_view(tool, url, storage, "Optuna-written study")
    n_before = len(study.trials)
    subprocess.run([tool, "optimize", sa_url, "pystudy", "5"], check=True)  # SQLAlchemy's URL form
    trials = optuna.load_study(study_name="pystudy", storage=sa_url).trials
    check(len(trials) == n_before + 4, f"{len(trials)} trials after C++ ran 5 more into {n_before}")
    check([t.number for t in trials] == list(range(len(trials))), "numbers continue without gaps")
    check(trials[n_before - 1].params["opt"] is None, "C++ ran the enqueued trial with its fixed params")
    check(all(t.state.name == "COMPLETE" for t in trials[n_before:]), "C++ trials complete")
    x.expect_same_view(tool, url, storage, "after C++ continued")

    listed = subprocess.run(["/usr/bin/optuna", "--storage", sa_url, "trials", "--study-name", "pystudy", "-f",
                             "json"], check=True, capture_output=True, text=True).stdout
    check(len(__import__("json").loads(listed)) == len(trials), "`optuna trials` lists every trial")


PY_WORKER = """
import sys, warnings
warnings.simplefilter("ignore")
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.load_study(study_name="mixed", storage=sys.argv[1], sampler=optuna.samplers.RandomSampler())
study.optimize(lambda t: t.suggest_float("lr", 1e-5, 0.1, log=True), n_trials=int(sys.argv[2]))
"""


def mixed_workers(server, tool):
    url = server.new_database()
    optuna.create_study(study_name="mixed", storage=sqlalchemy_url(url))
    n = 60
    workers = [subprocess.Popen(["/usr/bin/python3", "-c", PY_WORKER, sqlalchemy_url(url), str(n)]) for _ in range(2)]
    workers += [subprocess.Popen([tool, "optimize", url, "mixed", str(n)]) for _ in range(2)]
    codes = [w.wait() for w in workers]
    check(codes == [0, 0, 0, 0], f"worker exit codes {codes}")
    numbers = sorted(n for (n,) in rows(url, "SELECT number FROM trials"))
    check(numbers == list(range(4 * n)), f"numbers of {len(numbers)} trials are not exactly 0..{4 * n - 1}")
    states = rows(url, "SELECT state::text, count(*) FROM trials GROUP BY 1")
    check(states == [("COMPLETE", 4 * n)], f"states {states}")


CHECKS = [("schema", check_schema), ("optuna-reads-cpp", optuna_reads_cpp),
          ("cpp-reads-optuna", cpp_reads_optuna), ("mixed-workers", mixed_workers)]

if __name__ == "__main__":
    if len(sys.argv) != 3:
        x.fail("usage: optuna_pg_xcheck.py <storage_tool> <workdir>")
    tool, workdir = os.path.abspath(sys.argv[1]), os.path.join(sys.argv[2], "pg_xcheck")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    server = Server(os.path.join("/tmp", "hpo-pg-xcheck-%d" % os.getpid()))
    try:
        for name, run in CHECKS:
            run(server, tool)
            print(f"OK: {name}", flush=True)
    finally:
        server.stop()
