"""The optional extras: Dask (``connsim[dask]``) and EMA Workbench (``connsim[ema]``: PRIM
discovery and the EMA model adapter). Each test skips, saying why, where its extra is not
installed; CI installs both on both Python lines (ema-workbench 2.5 on 3.11, 3.x on 3.12).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import connsim
from connsim.experiments import DesignError, spawn_seeds

UNTIL = 2021
BASE = connsim.load_scenario("baseline")


def _has(module: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            __import__(module)
        return True
    except ImportError:
        return False


needs_dask = pytest.mark.skipif(not _has("distributed"), reason="dask.distributed is not installed (pip install 'connsim[dask]')")
needs_ema = pytest.mark.skipif(
    not _has("ema_workbench"),
    reason=f"ema-workbench is not installed on Python "
    f"{sys.version_info.major}.{sys.version_info.minor} (pip install 'connsim[ema]')",
)


# --- Dask ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, Client(c) as client:
        yield client


@needs_dask
def test_a_dask_local_cluster_gives_the_serial_results(cluster):
    args = dict(scenarios=[BASE, BASE.replace(name="hard", us_pressure=0.9)], replications=3, seed=2, until=UNTIL)
    from distributed import get_task_stream

    serial = connsim.run_ensemble(**args)
    with get_task_stream(cluster) as stream:
        on_dask = connsim.run_ensemble(**args, executor=cluster)  # a Client: get_executor(pure=False)
    pd.testing.assert_frame_equal(on_dask.model_vars, serial.model_vars)
    pd.testing.assert_frame_equal(on_dask.experiments, serial.experiments)
    assert len({t["worker"] for t in stream.data}) == 2  # both workers took part


def _stamp(x):
    """An impure task: a different value at each call."""
    import time

    return time.perf_counter_ns() + x


@needs_dask
def test_dask_runs_identical_arguments_as_separate_tasks(cluster):
    """Two design points that are the same scenario with the same seed are still two runs
    (pure=False: Dask does not merge them into one task)."""
    from connsim.experiments.executors import dask_executor

    ex = dask_executor(cluster)
    futs = [ex.submit(_stamp, 0) for _ in range(4)]
    values = [f.result() for f in futs]
    assert len(set(values)) == 4  # with pure=True Dask would have run it once and shared the result
    ens = connsim.run_ensemble([BASE, BASE], seeds=[5], until=UNTIL, executor=ex)
    assert ens.n_done == 2
    a, b = (g.drop(columns=["run_id", "scenario"]).reset_index(drop=True) for _, g in ens.model_vars.groupby("run_id"))
    pd.testing.assert_frame_equal(a, b)


@needs_dask
def test_sweep_on_dask_with_store_resumes(cluster, tmp_path):
    args = dict(levers={"us_china_conflict": (0.2, 1.0)}, design="factorial", n=3, until=UNTIL)
    a = connsim.sweep(BASE, **args, executor=cluster, out=tmp_path / "s")
    b = connsim.sweep(BASE, **args, out=tmp_path / "s")
    assert a.runs_executed == 3 and b.runs_executed == 0
    pd.testing.assert_frame_equal(a.model_vars, connsim.sweep(BASE, **args).model_vars)


# --- PRIM discovery --------------------------------------------------------------------------------


def _conflict_sweep(n: int):
    """A sweep of the conflict and the toolbox to 2020 whose recorded outcome is the conflict lever itself."""
    return connsim.sweep(
        BASE,
        levers={"us_china_conflict": (0.0, 1.0), "eu_toolbox_strength": (0.0, 1.0)},
        design="lhs",
        n=n,
        until=2020,
        outcomes=["us_china_conflict"],
    )


@needs_ema
def test_prim_finds_the_box_of_a_known_answer():
    """The recorded ``us_china_conflict`` outcome is the lever: PRIM must restrict that lever,
    from about 0.6, and leave the other one alone."""
    ens = _conflict_sweep(200)
    found = connsim.discover(ens, "us_china_conflict", above=0.6, threshold=0.98)
    assert list(found.boxes["lever"]) == ["us_china_conflict"]
    row = found.boxes.iloc[0]
    assert row["lo"] == pytest.approx(0.6, abs=0.02) and row["hi"] == pytest.approx(1.0, abs=0.01)
    assert found.coverage > 0.9 and found.density >= 0.98
    assert found.n_cases == int((ens.outcome_at("us_china_conflict") > 0.6).sum())
    # a lower density threshold buys coverage: the box reaches further down, still dense enough
    lenient = connsim.discover(ens, "us_china_conflict", above=0.6, threshold=0.8)
    assert lenient.coverage == 1.0 and 0.8 <= lenient.density < found.density
    assert lenient.boxes.iloc[0]["lo"] < row["lo"]
    below = connsim.discover(ens, "us_china_conflict", below=0.3, threshold=0.98)
    assert below.boxes.iloc[0]["hi"] == pytest.approx(0.3, abs=0.02)
    assert "coverage" in repr(found) and "<table" in found._repr_html_()
    assert found.select(0).mass == 1.0 and len(found.select(0).boxes) == 0


@needs_ema
def test_a_density_threshold_no_box_reaches_is_said_not_passed_over():
    """PRIM over a lever that does not decide the outcome (the toolbox, for a case set by the
    conflict) cannot reach density 0.95: the result says so, in a warning and in its header."""
    ens = _conflict_sweep(100)
    with pytest.warns(UserWarning, match="no box on PRIM's peeling trajectory reaches the density threshold 0.95"):
        found = connsim.discover(ens, "us_china_conflict", above=0.6, threshold=0.95, levers=["eu_toolbox_strength"])
    assert not found.reached and found.density < 0.95 and "not reached" in repr(found)
    assert connsim.discover(ens, "us_china_conflict", above=0.6, threshold=0.95).reached


@needs_ema
def test_discover_over_a_scenario_runs_its_sweep_and_resumes(tmp_path):
    args = dict(levers={"us_china_conflict": (0.0, 1.0), "weights.w_peer": (0.0, 1.0)}, n=80, until=2020, out=tmp_path / "d")
    a = connsim.discover("baseline", "us_china_conflict", above=0.6, threshold=0.98, **args)
    assert list(a.boxes["lever"]) == ["us_china_conflict"] and a.n_runs == 80
    b = connsim.discover("baseline", "us_china_conflict", below=0.2, **args)  # the same sweep, read back
    assert b.boxes.iloc[0]["hi"] == pytest.approx(0.2, abs=0.05)
    assert connsim.experiments.load_ensemble(tmp_path / "d").n_runs == 80
    with pytest.raises(DesignError, match="give the sweep's levers"):
        connsim.discover("baseline", "us_china_conflict", above=0.5)
    ens = connsim.experiments.load_ensemble(tmp_path / "d")
    with pytest.raises(DesignError, match="workers: only for a discovery that runs its sweep"):
        connsim.discover(ens, "us_china_conflict", above=0.5, workers=2)


@needs_ema
def test_prim_with_categorical_levers_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    ens = connsim.sweep(
        BASE,
        levers={"eu_japan_cooperation": ["none", "bilateral", "beyond_bilateral"], "us_china_conflict": (0.0, 1.0)},
        design="lhs",
        n=60,
        until=2020,
    )
    found = connsim.discover(ens, "us_china_conflict", above=0.5, levers=["eu_japan_cooperation", "us_china_conflict"])
    assert "us_china_conflict" in set(found.boxes["lever"])
    fig = found.plot()
    assert len(fig.axes) >= 2


@needs_ema
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(above=0.5, below=0.2), "give exactly one of above= or below="),
        (dict(), "give exactly one of above= or below="),
        (dict(above=5.0), "no run has us_china_conflict above 5"),
        (dict(above=0.5, levers=["w_peer"]), "'w_peer' was not varied in this ensemble"),
        (dict(above=0.5, threshold=1.5), "threshold: got 1.5"),
    ],
)
def test_discover_arguments_are_checked(kwargs, message):
    ens = connsim.sweep(BASE, levers={"us_china_conflict": (0.0, 1.0)}, design="lhs", n=10, until=2020)
    with pytest.raises(DesignError, match=message):
        connsim.discover(ens, "us_china_conflict", **kwargs)
    with pytest.raises(DesignError, match="varies no lever"):
        connsim.discover(connsim.run_ensemble(BASE, until=2020, replications=2), "us_china_conflict", above=0.4)


# --- the EMA Workbench adapter --------------------------------------------------------------------------


@needs_ema
def test_perform_experiments_runs_connsim_and_matches_connsim_run():
    from ema_workbench import perform_experiments

    from connsim.experiments.ema import ema_model

    model = ema_model(
        "baseline",
        until=UNTIL,
        levers={"eu_japan_cooperation": ["none", "beyond_bilateral"], "oda_budget_scale.EUU": (0.5, 2.0)},
        uncertainties={"us_china_conflict": (0.2, 1.0), "w_peer": (0.0, 1.0)},
        outcomes=["us_allies_restricting", "trusted_regimes_share_third"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiments, outcomes = perform_experiments(model, scenarios=3, policies=2)
    assert len(experiments) == 6 and set(outcomes) == {"us_allies_restricting", "trusted_regimes_share_third"}
    seed = spawn_seeds(0, 1)[0]
    for i in (0, 5):
        e = experiments.iloc[i]
        spec = BASE.replace(
            eu_japan_cooperation=str(e["eu_japan_cooperation"]),
            oda_budget_scale={"EUU": float(e["oda_budget_scale_EUU"])},
            us_china_conflict=float(e["us_china_conflict"]),
            weights={"w_peer": float(e["w_peer"])},
        )
        mv = connsim.run(spec, seed=seed, until=UNTIL, record_agents=False).model_vars
        assert outcomes["us_allies_restricting"][i] == mv["us_allies_restricting"].iloc[-1]
        assert outcomes["trusted_regimes_share_third"][i] == mv["trusted_regimes_share_third"].iloc[-1]


@needs_ema
def test_ema_model_defaults_replications_and_time_series():
    from ema_workbench import ReplicatorModel, perform_experiments

    from connsim.experiments.ema import DEFAULT_LEVERS, DEFAULT_UNCERTAINTIES, ema_model

    m = ema_model("baseline", until=UNTIL)
    assert [p.name for p in m.levers] == list(DEFAULT_LEVERS) and [u.name for u in m.uncertainties] == list(DEFAULT_UNCERTAINTIES)
    m = ema_model(
        "baseline",
        until=UNTIL,
        levers={},
        uncertainties={"us_pressure": (0.0, 1.0)},
        replications=2,
        timeseries=True,
        outcomes=["convergence_index"],
    )
    assert isinstance(m, ReplicatorModel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, outcomes = perform_experiments(m, scenarios=2)
    series = outcomes["convergence_index_series"]
    assert series.shape == (2, 2, BASE.replace(end_year=2020).n_steps + 1)  # experiments x replications x steps
    assert not np.array_equal(series[0, 0], series[0, 1])  # two seeds


@needs_ema
def test_ema_model_checks_its_ranges():
    from connsim.experiments.ema import ema_model

    with pytest.raises(DesignError, match="9 is outside the allowed range of w_peer"):
        ema_model(uncertainties={"w_peer": (0, 9)})
    with pytest.raises(DesignError, match="us_pressure is given as both"):
        ema_model(levers={"us_pressure": (0, 1)}, uncertainties={"us_pressure": (0, 1)})
    with pytest.raises(DesignError, match="unknown outcome"):
        ema_model(outcomes=["nope"])


def test_missing_extras_are_named(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ema(name, *a, **kw):
        if name.startswith("ema_workbench"):
            raise ImportError("no ema")
        return real(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_ema)
    from connsim.experiments import discovery, ema

    with pytest.raises(
        ImportError, match=r"pip install 'connsim\[ema\]' \(ema-workbench 2.5 installs on Python 3.11, 3.x on Python 3.12\+\)"
    ):
        discovery.prim_module()
    with pytest.raises(ImportError, match=r"connsim\[ema\]"):
        ema.ema_model()
