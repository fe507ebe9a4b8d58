"""Ensembles, sweeps, sensitivity and discovery: the specification of connsim.experiments.

Runs are short (2019-2020, ``until=2021``: 8 steps, a few ms each). The store's kill-and-resume
test is in ``test_experiments_store.py``, Dask and EMA Workbench in ``test_experiments_extras.py``.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import connsim
from connsim.experiments import DesignError, RunsFailedWarning, StoreError, spawn_seeds
from connsim.experiments.design import latin_hypercube, lever, parse_levers

UNTIL = 2021
BASE = connsim.load_scenario("baseline")
HARD = BASE.replace(name="hard", us_china_conflict={2019: 0.5, 2021: 0.9}, us_pressure=0.8)


def frames_equal(a: connsim.EnsembleResult, b: connsim.EnsembleResult) -> None:
    pd.testing.assert_frame_equal(a.model_vars, b.model_vars)
    cols = [c for c in a.experiments.columns]
    pd.testing.assert_frame_equal(a.experiments[cols], b.experiments[cols])


# --- seeds ------------------------------------------------------------------------------------------


def test_seeds_are_spawned_plain_ints_stable_under_more_replications():
    s5, s3 = spawn_seeds(7, 5), spawn_seeds(7, 3)
    assert s5[:3] == s3  # asking for more replications keeps the first ones
    assert all(type(s) is int and 0 <= s < 2**63 for s in s5)
    assert len(set(s5)) == 5
    assert spawn_seeds(8, 3) != s3
    child = np.random.SeedSequence(7).spawn(5)[4]
    assert s5[4] == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))  # the documented recipe


def test_a_run_of_an_ensemble_is_reproduced_alone_from_its_recorded_seed():
    ens = connsim.run_ensemble([BASE, HARD], replications=2, seed=3, until=UNTIL)
    row = ens.experiments.iloc[3]
    assert row["scenario"] == "hard" and row["replication"] == 1
    alone = connsim.run(HARD, seed=int(row["seed"]), until=UNTIL, record_agents=False).model_vars
    got = ens.model_vars[ens.model_vars["run_id"] == 3].drop(columns=["run_id", "scenario", "seed"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone)
    # common random numbers: replication r of each scenario has the same seed
    assert list(ens.experiments["seed"]) == spawn_seeds(3, 2) * 2


def test_explicit_seeds_are_used_as_they_are():
    ens = connsim.run_ensemble(BASE, seeds=[0, 1], until=UNTIL)
    assert list(ens.experiments["seed"]) == [0, 1]
    alone = connsim.run(BASE, seed=1, until=UNTIL, record_agents=False).model_vars
    pd.testing.assert_frame_equal(ens.model_vars[ens.model_vars.run_id == 1].iloc[:, 3:].reset_index(drop=True), alone)


# --- the result -------------------------------------------------------------------------------------


def test_ensemble_frames_experiments_and_labels():
    ens = connsim.run_ensemble(["baseline", "baseline", HARD], replications=2, until=UNTIL)
    exp = ens.experiments
    assert list(exp["scenario"]) == ["baseline"] * 2 + ["baseline#2"] * 2 + ["hard"] * 2
    assert list(exp["run_id"]) == list(range(6)) and (exp["status"] == "done").all() and exp["error"].isna().all()
    # the levers that differ between the scenarios, and only those
    assert set(ens.levers) == {"us_china_conflict", "us_pressure"}
    assert exp.loc[0, "us_pressure"] == 0.5 and exp.loc[5, "us_pressure"] == 0.8
    assert json.loads(exp.loc[5, "us_china_conflict"]) == {"2019": 0.5, "2021": 0.9}  # a schedule as JSON text
    mv = ens.model_vars
    assert list(mv.columns[:5]) == ["run_id", "scenario", "seed", "step", "year"]
    assert len(mv) == 6 * (BASE.replace(end_year=2020).n_steps + 1)
    assert ens.runs_executed == 6 and ens.n_failed == 0


def test_summary_repr_html_and_fan_chart():
    import matplotlib

    matplotlib.use("Agg")
    ens = connsim.run_ensemble([BASE, HARD], replications=3, until=UNTIL)
    table = ens.summary()
    assert ("us_allies_restricting", "median") in table.index
    ends = ens.ends()
    hard = ends[ends.scenario == "hard"]["us_allies_restricting"]
    assert table.loc[("us_allies_restricting", "median"), "hard"] == pytest.approx(hard.median())
    text = repr(ens)
    assert "6 runs" in text and "0 failed" in text and "median" in text
    assert "<table" in ens._repr_html_()
    fig = ens.plot(["us_allies_restricting", "eu_restricting"])
    assert len([a for a in fig.axes if a.get_visible()]) == 2
    # the median line of the second scenario is the median over its runs at each year
    line = fig.axes[0].get_lines()[1]
    med = ens.model_vars[ens.model_vars.scenario == "hard"].groupby("year")["us_allies_restricting"].median()
    np.testing.assert_allclose(line.get_ydata(), med.to_numpy())


def test_scenarios_as_a_label_mapping_or_a_scenario_dict():
    ens = connsim.run_ensemble({"name": BASE, "hard one": HARD}, until=UNTIL)  # labels, even one named like a field
    assert list(ens.experiments["scenario"]) == ["name", "hard one"]
    ens = connsim.run_ensemble({"extends": "baseline", "name": "mine", "us_pressure": 0.9}, until=UNTIL)
    assert list(ens.experiments["scenario"]) == ["mine"]


def test_outcomes_option_keeps_only_those_and_names_are_checked():
    ens = connsim.run_ensemble(BASE, until=UNTIL, outcomes=["convergence_index"])
    assert list(ens.model_vars.columns) == ["run_id", "scenario", "seed", "step", "year", "convergence_index"]
    with pytest.raises(DesignError, match="unknown outcome 'convergence_indx'; did you mean 'convergence_index'"):
        connsim.run_ensemble(BASE, until=UNTIL, outcomes=["convergence_indx"])


def test_agent_vars_recorded_on_request_only():
    ens = connsim.run_ensemble(BASE, replications=2, until=UNTIL, record_agents=True)
    av = ens.agent_vars
    alone = connsim.run(BASE, seed=int(ens.experiments.seed[1]), until=UNTIL).agent_vars
    got = av[av.run_id == 1].drop(columns=["run_id", "scenario", "seed"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone)
    with pytest.raises(ValueError, match="did not record agents"):
        _ = connsim.run_ensemble(BASE, until=UNTIL).agent_vars


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(replications=0), "replications: got 0; allowed a whole number from 1"),
        (dict(seed=-1), "seed: got -1"),
        (dict(seeds=[0, -2]), "seeds: got -2"),
        (dict(seeds=[0, 1], replications=3), "replications: 3 does not match the 2 seeds"),
        (dict(until=2040), "until: got 2040; allowed a whole year in 2020..2031"),
        (dict(workers=0), "workers: got 0"),
        (dict(workers=2, executor=cf.ThreadPoolExecutor(1)), "either executor= or workers="),
        (dict(executor="threads"), "executor: got str"),
        (dict(batch_size=0), "batch_size: got 0"),
        (dict(reporters={"seed": len}), "reporters: 'seed' is already a column"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(kwargs, message, tmp_path):
    with pytest.raises(DesignError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        connsim.run_ensemble(BASE, out=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


# --- executors ----------------------------------------------------------------------------------------


class ShuffledExecutor(cf.Executor):
    """Runs each task on its own thread after a random delay: completion order is shuffled."""

    def __init__(self, seed=0):
        self.rng = random.Random(seed)
        self.order: list = []
        self.lock = threading.Lock()

    def submit(self, fn, *args, **kwargs):
        fut = cf.Future()
        delay = self.rng.uniform(0, 0.05)
        first = args[1][0][0]  # the first run id of the chunk

        def work():
            time.sleep(delay)
            try:
                res = fn(*args, **kwargs)
            except BaseException as e:
                fut.set_exception(e)
                return
            with self.lock:
                self.order.append(first)
            fut.set_result(res)

        threading.Thread(target=work, daemon=True).start()
        return fut


def test_results_identical_whatever_the_executor_workers_or_completion_order():
    args = dict(scenarios=[BASE, HARD], replications=4, seed=11, until=UNTIL)
    serial = connsim.run_ensemble(**args)
    two = connsim.run_ensemble(**args, workers=2)
    with cf.ThreadPoolExecutor(3) as ex:
        threads = connsim.run_ensemble(**args, executor=ex)
    shuffled_ex = ShuffledExecutor(seed=5)
    shuffled = connsim.run_ensemble(**args, executor=shuffled_ex)
    assert shuffled_ex.order != sorted(shuffled_ex.order), "the test needs chunks to complete out of order"
    for other in (two, threads, shuffled):
        frames_equal(serial, other)
    assert serial.model_vars["run_id"].nunique() == 8


def test_a_given_process_pool_gives_the_same_results():
    import multiprocessing

    # a pool of the user's own, started safely whatever threads this test session runs
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as ex:
        a = connsim.run_ensemble(BASE, replications=3, until=UNTIL, executor=ex)
    frames_equal(a, connsim.run_ensemble(BASE, replications=3, until=UNTIL))


# --- failures -----------------------------------------------------------------------------------------

BOOM_SEED = spawn_seeds(0, 4)[2]


def boom_on_one_seed(result) -> float:
    """A reporter that fails for one seed (a run that fails)."""
    if result.seed == BOOM_SEED:
        raise ValueError("boom: this run fails on purpose")
    return float(result.model_vars["convergence_index"].iloc[-1])


def die_on_one_seed(result) -> float:
    """A reporter that kills its worker process for one seed."""
    if result.seed == BOOM_SEED:
        os._exit(13)
    return 1.0


@pytest.mark.parametrize("workers", [None, 2])
def test_one_failing_run_does_not_kill_the_ensemble(workers):
    with pytest.warns(RunsFailedWarning, match=r"2 of 8 runs failed; the others finished\. First: run 2 \(baseline, seed"):
        ens = connsim.run_ensemble(
            [BASE, HARD], replications=4, until=UNTIL, workers=workers, reporters={"end_convergence": boom_on_one_seed}
        )
    exp = ens.experiments
    failed = exp[exp.status == "failed"]
    assert list(failed["run_id"]) == [2, 6] and failed["error"].str.contains("ValueError: boom").all()
    assert (exp.loc[exp.status == "done", "error"].isna()).all() and ens.n_done == 6
    assert set(ens.model_vars["run_id"]) == {0, 1, 3, 4, 5, 7}
    ok = exp[exp.status == "done"]
    ends = ens.ends().set_index("run_id")
    np.testing.assert_allclose(ok["end_convergence"], ends.loc[ok["run_id"], "convergence_index"])
    assert "FAILED run 2 (baseline" in repr(ens) and "2 failed" in repr(ens)


def test_a_worker_process_that_dies_fails_its_runs_only():
    with pytest.warns(RunsFailedWarning):
        ens = connsim.run_ensemble(BASE, replications=4, until=UNTIL, workers=2, reporters={"x": die_on_one_seed})
    exp = ens.experiments
    assert exp.loc[2, "status"] == "failed" and "worker process died" in exp.loc[2, "error"]
    # runs in flight on the broken pool may fail with it; the pool is replaced for the rest
    assert ens.n_done >= 1 and ens.n_done + ens.n_failed == 4


# --- the store ----------------------------------------------------------------------------------------


def test_out_keeps_batches_and_resumes_without_rerunning(tmp_path):
    out = tmp_path / "ens"
    first = connsim.run_ensemble([BASE, HARD], replications=10, until=UNTIL, out=out, batch_size=6)
    assert first.runs_executed == 20 and first.out == out
    files = sorted((out / "model_vars").glob("part-*.parquet"))
    assert 4 <= len(files) <= 5  # 20 runs in batches of at most 6: not 20 files
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == {"done": 20, "failed": 0, "pending": 0}
    assert manifest["header"]["root_seed"] == 0
    assert manifest["connsim_version"] == connsim.__version__
    memory = connsim.run_ensemble([BASE, HARD], replications=10, until=UNTIL)
    frames_equal(first, memory)  # the store gives the same frames as memory
    again = connsim.run_ensemble([BASE, HARD], replications=10, until=UNTIL, out=out)
    assert again.runs_executed == 0
    frames_equal(again, memory)
    loaded = connsim.experiments.load_ensemble(out)
    frames_equal(loaded, memory)


def test_a_different_ensemble_in_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "ens"
    connsim.run_ensemble(BASE, replications=2, until=UNTIL, out=out)
    before = sorted(p.name for p in (out / "model_vars").iterdir())
    with pytest.raises(StoreError, match="holds an ensemble of other scenarios"):
        connsim.run_ensemble(HARD, replications=2, until=UNTIL, out=out)
    with pytest.raises(StoreError, match=r"other number of replications \(2 there, 3 here\)"):
        connsim.run_ensemble(BASE, replications=3, until=UNTIL, out=out)
    with pytest.raises(StoreError, match="other root seed"):
        connsim.run_ensemble(BASE, replications=2, seed=1, until=UNTIL, out=out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["connsim_version"] = "0.0.1"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match=f"holds results of connsim 0.0.1, not {connsim.__version__}"):
        connsim.run_ensemble(BASE, replications=2, until=UNTIL, out=out)
    assert sorted(p.name for p in (out / "model_vars").iterdir()) == before  # nothing touched


def test_a_folder_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="exists and is not an ensemble store"):
        connsim.run_ensemble(BASE, until=UNTIL, out=tmp_path / "mine")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        connsim.run_ensemble(BASE, until=UNTIL, out=tmp_path / "file")


def test_corrupt_truncated_or_missing_batches_are_detected_and_redone(tmp_path):
    out = tmp_path / "ens"
    clean = connsim.run_ensemble(BASE, replications=12, until=UNTIL)
    connsim.run_ensemble(BASE, replications=12, until=UNTIL, out=out, batch_size=4)
    manifest = json.loads((out / "manifest.json").read_text())
    batches = manifest["batches"]
    assert len(batches) == 3
    # one truncated, one altered in place (same size), one left alone; an orphan from a killed write
    p0 = out / batches[0]["model_vars"]["file"]
    p0.write_bytes(p0.read_bytes()[:100])
    p1 = out / batches[1]["model_vars"]["file"]
    data = bytearray(p1.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p1.write_bytes(bytes(data))
    (out / "model_vars" / "part-000099.parquet.tmp-1").write_bytes(b"half")
    (out / "model_vars" / "part-000098.parquet").write_bytes(b"not listed")
    res = connsim.run_ensemble(BASE, replications=12, until=UNTIL, out=out)
    assert res.runs_executed == len(batches[0]["runs"]) + len(batches[1]["runs"]) == 8
    frames_equal(res, clean)
    names = sorted(p.name for p in (out / "model_vars").iterdir())
    assert "part-000099.parquet.tmp-1" not in names and "part-000098.parquet" not in names
    (out / batches[2]["model_vars"]["file"]).unlink()  # a missing file
    res = connsim.run_ensemble(BASE, replications=12, until=UNTIL, out=out)
    assert res.runs_executed == 4
    frames_equal(res, clean)


def test_failed_runs_are_recorded_in_the_manifest_and_retried_on_resume(tmp_path, monkeypatch):
    from connsim.experiments import _worker

    out = tmp_path / "ens"
    real = _worker.simulate
    bad = spawn_seeds(0, 3)[1]

    def flaky(spec, seed, **kw):
        if seed == bad:
            raise RuntimeError("transient failure")
        return real(spec, seed, **kw)

    monkeypatch.setattr(_worker, "simulate", flaky)
    with pytest.warns(RunsFailedWarning):
        res = connsim.run_ensemble(BASE, replications=3, until=UNTIL, out=out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["failed"] == {"1": "RuntimeError: transient failure"}
    assert manifest["status"] == {"done": 2, "failed": 1, "pending": 0}
    assert res.n_failed == 1
    monkeypatch.setattr(_worker, "simulate", real)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunsFailedWarning)
        res = connsim.run_ensemble(BASE, replications=3, until=UNTIL, out=out)
    assert res.runs_executed == 1 and res.n_failed == 0
    assert json.loads((out / "manifest.json").read_text())["failed"] == {}
    frames_equal(res, connsim.run_ensemble(BASE, replications=3, until=UNTIL))


def test_a_store_in_use_by_another_process_is_refused(tmp_path):
    import subprocess
    import sys

    from connsim.experiments.design import plan_scenarios
    from connsim.experiments.store import Store

    plan = plan_scenarios([("baseline", BASE)], [1], 0, {"record_agents": False, "outcomes": None, "kind": "ensemble"})
    store = Store.open(tmp_path / "s", plan, plan.experiments())
    try:  # a second writer in this process
        with pytest.raises(StoreError, match="is being written by another ensemble of this process"):
            Store.open(tmp_path / "s", plan, plan.experiments())
    finally:
        store.close()
    # another process holds it
    code = (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.lockf(f.fileno(), fcntl.LOCK_EX); "
        "print('locked', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "s" / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="is being written by another process"):
            Store.open(tmp_path / "s", plan, plan.experiments())
    finally:
        holder.kill()
        holder.wait()
    Store.open(tmp_path / "s", plan, plan.experiments()).close()  # free again once it is gone


def test_interrupting_keeps_the_finished_runs(tmp_path, monkeypatch):
    from connsim.experiments import _worker

    out = tmp_path / "ens"
    real = _worker.simulate
    calls = []

    def interrupted(spec, seed, **kw):
        calls.append(seed)
        if len(calls) == 21:
            raise KeyboardInterrupt
        return real(spec, seed, **kw)

    monkeypatch.setattr(_worker, "simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        connsim.run_ensemble(BASE, replications=40, until=UNTIL, out=out)
    kept = json.loads((out / "manifest.json").read_text())["status"]["done"]
    assert 16 <= kept <= 20  # chunks of 16 in this process: the finished chunk is kept
    monkeypatch.setattr(_worker, "simulate", real)
    res = connsim.run_ensemble(BASE, replications=40, until=UNTIL, out=out)
    assert res.runs_executed == 40 - kept and res.n_done == 40


# --- sweeps -------------------------------------------------------------------------------------------


def test_factorial_sweep_over_levers_weights_and_tables():
    levers = {"us_china_conflict": (0.2, 1.0), "w_peer": [0.1, 0.6], "oda_budget_scale.EUU": [1.0, 3.0]}
    ens = connsim.sweep(BASE, levers=levers, design="factorial", n=3, replications=2, until=UNTIL)
    exp = ens.experiments
    assert len(exp) == 3 * 2 * 2 * 2 and ens.levers == ["us_china_conflict", "w_peer", "oda_budget_scale.EUU"]
    assert sorted(set(exp["us_china_conflict"])) == [0.2, 0.6, 1.0]
    assert exp[["us_china_conflict", "w_peer", "oda_budget_scale.EUU"]].drop_duplicates().shape[0] == 12
    # each run is the base scenario with those values (weights and tables merged key by key)
    row = exp.iloc[13]
    spec = BASE.replace(
        us_china_conflict=row["us_china_conflict"],
        weights={"w_peer": row["w_peer"]},
        oda_budget_scale={"EUU": row["oda_budget_scale.EUU"]},
    )
    alone = connsim.run(spec, seed=int(row["seed"]), until=UNTIL, record_agents=False).model_vars
    got = ens.model_vars[ens.model_vars.run_id == 13].iloc[:, 3:].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone)
    # the lever had its effect: the conflict recorded by the model is the swept value; an
    # outcome named like a lever column is <name>_outcome in ends()
    ends = ens.ends()
    np.testing.assert_allclose(ends["us_china_conflict_outcome"], exp["us_china_conflict"])
    np.testing.assert_allclose(ens.outcome_at("us_china_conflict"), exp["us_china_conflict"])


def test_lhs_sweep_is_a_latin_hypercube_and_reproducible():
    levers = {
        "us_china_conflict": (0.0, 1.0),
        "eu_japan_cooperation": ["none", "bilateral", "beyond_bilateral"],
        "india_trilateral": [False, True],
    }
    a = connsim.sweep(BASE, levers=levers, design="lhs", n=12, until=UNTIL, seed=4)
    b = connsim.sweep(BASE, levers=levers, design="lhs", n=12, until=UNTIL, seed=4)
    frames_equal(a, b)
    x = a.experiments["us_china_conflict"].to_numpy()
    assert sorted(np.floor(x * 12).astype(int)) == list(range(12))  # each of the 12 strata once
    assert a.experiments["eu_japan_cooperation"].value_counts().to_dict() == {"none": 4, "bilateral": 4, "beyond_bilateral": 4}
    assert a.experiments["india_trilateral"].dtype == bool
    c = connsim.sweep(BASE, levers=levers, design="lhs", n=12, until=UNTIL, seed=5)
    assert not np.allclose(c.experiments["us_china_conflict"], x)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), lo=st.floats(0, 0.5), width=st.floats(0.01, 0.5), seed=st.integers(0, 2**32))
def test_latin_hypercube_uses_each_stratum_once(n, lo, width, seed):
    specs = parse_levers({"us_pressure": (lo, lo + width), "w_peer": (0.0, 3.0)})
    points = latin_hypercube(specs, n, seed=seed)
    for name, (a, b) in (("us_pressure", (lo, lo + width)), ("w_peer", (0.0, 3.0))):
        u = (np.array([p[name] for p in points]) - a) / (b - a)
        assert ((u >= 0) & (u <= 1)).all()
        assert sorted(np.minimum(np.floor(u * n), n - 1).astype(int)) == list(range(n))


@pytest.mark.parametrize(
    "levers, message",
    [
        ({"w_peer": (0, 5)}, "levers['w_peer']: 5 is outside the allowed range of w_peer; allowed a number in 0..3"),
        ({"us_china_conflict": [0.5, 1.2]}, "1.2 is outside the allowed range of us_china_conflict; allowed a number in 0..1"),
        ({"w_peers": (0, 1)}, "unknown lever 'w_peers'; did you mean 'w_peer'?"),
        ({"eu_japan_cooperation": (0, 1)}, "eu_japan_cooperation is categorical; give its values as a list"),
        ({"eu_japan_cooperation": ["bilatral"]}, "did you mean 'bilateral'? allowed one of none, bilateral, beyond_bilateral"),
        ({"india_trilateral": [1]}, "got 1 for india_trilateral; allowed true or false"),
        ({"oda_staffing.EUU": (0, 1)}, "0 is outside the allowed range of oda_staffing.EUU; allowed a number in above 0..1"),
        ({"oda_budget_scale.XXX": (0, 1)}, "unknown donor 'XXX'"),
        ({"oda_budget_scale": (0, 1)}, "is a table of donors; allowed one entry such as oda_budget_scale.EUU"),
        ({"start_year": [2019]}, "unknown lever 'start_year'"),
        ({"w_peer": (1, 1)}, "the range (1, 1) is empty"),
        ({"w_peer": (0, 1, 2)}, "a tuple is a range (lo, hi) of two numbers"),
        ({"w_peer": "0..1"}, "allowed a list of values or a range (lo, hi)"),
        ({}, "give at least one lever"),
    ],
)
def test_sweep_ranges_are_checked_against_the_schema(levers, message, tmp_path):
    with pytest.raises(DesignError) as info:
        connsim.sweep(BASE, levers=levers, design="lhs", n=4, until=UNTIL, out=tmp_path / "o")
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "o").exists()


def test_sweep_design_arguments_are_checked():
    with pytest.raises(DesignError, match="needs n"):
        connsim.sweep(BASE, levers={"w_peer": (0, 1)}, design="lhs")
    with pytest.raises(DesignError, match="needs n \\(levels per range\\)"):
        connsim.sweep(BASE, levers={"w_peer": (0, 1)})
    with pytest.raises(DesignError, match="design: got 'sobol'"):
        connsim.sweep(BASE, levers={"w_peer": [0, 1]}, design="sobol")
    assert lever("weights.w_peer") == lever("w_peer")


# --- sensitivity --------------------------------------------------------------------------------------


def test_sobol_indices_recover_a_known_answer():
    """The recorded ``us_china_conflict`` outcome *is* the conflict lever: S1 and ST of the
    conflict are 1 and those of the toolbox 0 (up to sampling error); a mix-up of samples and
    runs would break it."""
    sa = connsim.sensitivity(
        BASE,
        levers={"us_china_conflict": (0.0, 1.0), "dfft_multilateral_push": (0.0, 1.0)},
        outcome="us_china_conflict",
        method="sobol",
        n=64,
        until=UNTIL,
    )
    t = sa.indices.set_index(["lever", "index"])["value"]
    assert t["us_china_conflict", "S1"] == pytest.approx(1.0, abs=0.1)
    assert t["us_china_conflict", "ST"] == pytest.approx(1.0, abs=0.1)
    assert abs(t["dfft_multilateral_push", "S1"]) < 0.05 and abs(t["dfft_multilateral_push", "ST"]) < 0.05
    assert list(sa.indices.columns) == ["lever", "index", "value", "conf"]
    assert set(sa.indices["index"]) == {"S1", "ST", "S2"}
    assert sa.ensemble.n_runs == 64 * (2 * 2 + 2)
    assert list(sa.indices.loc[sa.indices["index"] == "S2", "lever"]) == ["us_china_conflict:dfft_multilateral_push"]
    # the analysed values are the runs' outcome at the end
    np.testing.assert_allclose(sa.values, sa.samples["us_china_conflict"])


def test_morris_known_answer_and_real_outcome():
    sa = connsim.sensitivity(
        BASE,
        levers={"eu_toolbox_strength": (0.0, 1.0), "w_peer": (0.0, 1.0)},
        outcome="eu_toolbox_strength",
        method="morris",
        n=6,
        until=UNTIL,
    )
    t = sa.indices.set_index(["lever", "index"])["value"]
    assert t["eu_toolbox_strength", "mu_star"] == pytest.approx(1.0)  # an identity of the lever
    assert t["w_peer", "mu_star"] == 0 and t["eu_toolbox_strength", "sigma"] == pytest.approx(0.0, abs=1e-12)
    assert sa.ensemble.n_runs == 6 * 3
    assert "mu_star" in repr(sa) and "<table" in sa._repr_html_()


def test_sensitivity_of_a_real_outcome_plots_and_reads_well():
    import matplotlib

    matplotlib.use("Agg")
    sa = connsim.sensitivity(
        BASE,
        levers={"us_china_conflict": (0.2, 1.0), "w_peer": (0.0, 1.0), "adequacy_openness": (0.0, 0.1)},
        outcome="us_allies_restricting",
        year=2021.0,
        n=8,
        until=UNTIL,
        replications=2,
    )
    assert sa.ensemble.n_runs == 8 * 8 * 2
    # the analysed value of a point is the mean of its two replications
    ends = sa.ensemble.ends(2021.0)
    np.testing.assert_allclose(sa.values, ends.groupby(ends.run_id // 2)["us_allies_restricting"].mean())
    text = repr(sa)
    assert "Sobol sensitivity of us_allies_restricting in 2021" in text and "128 runs" in text
    fig = sa.plot()
    assert fig.axes[0].get_title().startswith("us_allies_restricting")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=100), "n: 100 is not a power of two"),
        (dict(method="fast"), "method: got 'fast'"),
        (dict(outcome="nope"), "outcome: unknown outcome 'nope'"),
        (dict(year=2030), "year: 2030 is not a recorded step"),
        (dict(levers={"eu_japan_cooperation": ["none", "bilateral"], "w_peer": (0, 1)}), "give a range (lo, hi) of numbers"),
        (dict(levers={"w_peer": (0, 9), "w_jp": (0, 1)}), "9 is outside the allowed range of w_peer"),
        (dict(levers={"w_peer": (0, 1)}), "Sobol indices need at least two levers"),
    ],
)
def test_sensitivity_arguments_are_checked_before_anything_runs(kwargs, message, tmp_path):
    args = dict(levers={"w_peer": (0, 1), "w_jp": (0, 1)}, outcome="us_allies_restricting", n=8, until=UNTIL, out=tmp_path / "o")
    args.update(kwargs)
    with pytest.raises(DesignError) as info:
        connsim.sensitivity(BASE, **args)
    assert message in str(info.value)
    assert not (tmp_path / "o").exists()


def test_sensitivity_resumes_from_its_store(tmp_path):
    args = dict(levers={"us_china_conflict": (0.2, 1.0), "w_peer": (0.0, 1.0)}, outcome="us_allies_restricting", n=4, until=UNTIL)
    a = connsim.sensitivity(BASE, **args, out=tmp_path / "sa")
    b = connsim.sensitivity(BASE, **args, out=tmp_path / "sa")
    assert a.ensemble.runs_executed == 24 and b.ensemble.runs_executed == 0
    pd.testing.assert_frame_equal(a.indices, b.indices)
    with pytest.raises(StoreError, match="other design points"):
        connsim.sensitivity(BASE, **{**args, "n": 8}, out=tmp_path / "sa")


# --- plots leave the backend alone ---------------------------------------------------------------------


def test_importing_the_library_leaves_the_matplotlib_backend_alone():
    import subprocess
    import sys

    code = (
        "import matplotlib; import connsim, connsim.plots, connsim.experiments; "
        "import connsim.experiments.sensitivities, connsim.experiments.discovery; print(matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "svg"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg"
