"""``connsim ensemble | sweep | sensitivity | discover`` through the real command where it matters.

User errors run concurrently in one fixture (a fresh interpreter each), each in its own folder,
so that "nothing was written" is exact.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from connsim import cli
from connsim.experiments import spawn_seeds

ROOT = Path(__file__).resolve().parents[1]


def connsim(*args, cwd, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connsim", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def _has(module: str) -> bool:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ema_workbench: "ipyparallel not installed"
            __import__(module)
        return True
    except ImportError:
        return False


LEVERS = ["--lever", "us_china_conflict=0.2:1", "--lever", "w_peer=0:1"]
ERRORS = {
    "lever_out_of_range": (
        ["sweep", "baseline", "--lever", "w_peer=0:9", "--n", 3],
        "--lever w_peer=0:9: 9 is outside the allowed range of w_peer; allowed a number in 0..3",
    ),
    "unknown_lever": (
        ["sweep", "baseline", "--lever", "w_peers=0:1", "--n", 3],
        "unknown lever 'w_peers'; did you mean 'w_peer'?",
    ),
    "lever_syntax": (["sweep", "baseline", "--lever", "w_peer"], "--lever w_peer: allowed NAME=LO:HI or NAME=V1,V2"),
    "categorical_range": (["sweep", "baseline", "--lever", "eu_japan_cooperation=0:1"], "eu_japan_cooperation is categorical"),
    "bad_category": (["sweep", "baseline", "--lever", "eu_japan_cooperation=none,bilatral"], "did you mean 'bilateral'?"),
    "not_a_number": (["sweep", "baseline", "--lever", "w_peer=low:1", "--n", 2], "'low' is not a number"),
    "lhs_without_n": (["sweep", "baseline", "--lever", "w_peer=0:1", "--design", "lhs"], "--n: a Latin hypercube needs n"),
    "unknown_outcome": (["sensitivity", "baseline", *LEVERS, "--outcome", "us_allies"], "--outcome: unknown outcome 'us_allies'"),
    "not_power_of_two": (
        ["sensitivity", "baseline", *LEVERS, "--outcome", "us_allies_restricting", "--n", 100],
        "--n: 100 is not a power of two",
    ),
    "year_outside": (
        ["sensitivity", "baseline", *LEVERS, "--outcome", "us_allies_restricting", "--year", 2040],
        "--year: 2040.0 is not a recorded step of 'baseline'",
    ),
    "sensitivity_values": (
        ["sensitivity", "baseline", "--lever", "w_peer=0,1", "--lever", "w_jp=0:1", "--outcome", "eu_restricting"],
        "sensitivity needs a range NAME=LO:HI",
    ),
    "workers_zero": (["ensemble", "baseline", "--workers", 0], "argument --workers: 0 is not a number of workers"),
    "workers_and_dask": (
        ["ensemble", "baseline", "--workers", 2, "--dask", "tcp://127.0.0.1:8786"],
        "argument --dask: not allowed with argument --workers",
    ),
    "until_outside": (["ensemble", "baseline", "--until", 2050], "--until 2050 is outside the horizon of 'baseline'"),
    "unknown_scenario": (["ensemble", "baseline", "hardening_conflit"], "did you mean 'hardening_conflict'?"),
    "above_and_below": (
        ["discover", "baseline", "--lever", "w_peer=0:1", "--outcome", "eu_restricting", "--above", 0.2, "--below", 0.1],
        "argument --below: not allowed with argument --above",
    ),
    "discover_threshold": (
        ["discover", "baseline", "--lever", "w_peer=0:1", "--outcome", "eu_restricting", "--above", 0.2, "--threshold", 2],
        "--threshold 2: allowed a density between 0 and 1",
    ),
    "dask_unreachable": (
        ["ensemble", "baseline", "--until", 2021, "--dask", "tcp://127.0.0.1:9"],
        "--dask tcp://127.0.0.1:9: cannot reach a Dask scheduler there",
    ),
}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors")
    folders = {case: root / case for case in ERRORS}
    for f in folders.values():
        f.mkdir()

    def one(case):
        args, _ = ERRORS[case]
        if case == "dask_unreachable" and not _has("distributed"):
            return case, None
        if case == "discover_threshold" and not _has("ema_workbench"):
            return case, "ema"
        return case, connsim(*args, cwd=folders[case])

    with ThreadPoolExecutor(4) as ex:
        results = dict(ex.map(one, ERRORS))
    return results, folders


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_arguments_exit_2_with_one_line_and_nothing_written(error_runs, case):
    results, folders = error_runs
    res = results[case]
    if res is None:
        pytest.skip("dask.distributed is not installed (pip install 'connsim[dask]')")
    if res == "ema":
        pytest.skip("the EMA Workbench (PRIM) is not installed (pip install 'connsim[ema]')")
    _, expected = ERRORS[case]
    assert res.returncode == 2, res.stderr
    assert expected in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) <= 2 and "Traceback" not in res.stderr  # one line (argparse adds a pointer to --help)
    assert list(folders[case].iterdir()) == []  # nothing written, not even out/


def test_ensemble_writes_its_store_and_resumes(tmp_path):
    out = tmp_path / "ens"
    args = ["ensemble", "baseline", "hardening_conflict", "-r", 2, "--until", 2021, "--out", out, "--workers", 2, "--progress"]
    first = connsim(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 done, 0 failed; 4 run by this call" in first.stdout
    assert "run/s]" in first.stderr or "run]" in first.stderr  # the progress bar, with its time estimate
    assert "<" in first.stderr
    names = {p.name for p in out.iterdir()}
    assert {
        "manifest.json",
        "experiments.parquet",
        "scenarios.json",
        "model_vars",
        "ends.csv",
        "summary.txt",
        "fan_chart.png",
    } <= names
    ends = pd.read_csv(out / "ends.csv")
    assert len(ends) == 4 and list(ends["seed"]) == spawn_seeds(0, 2) * 2
    again = connsim(*args[:-3], "--no-progress", cwd=tmp_path)
    assert again.returncode == 0 and "0 run by this call" in again.stdout
    pd.testing.assert_frame_equal(pd.read_csv(out / "ends.csv"), ends)
    other = connsim("ensemble", "baseline", "-r", 3, "--until", 2021, "--out", out, cwd=tmp_path)
    assert other.returncode == 2 and "--out" in other.stderr and "holds an ensemble" in other.stderr


def test_default_out_is_named_after_the_arguments_so_the_same_command_resumes(tmp_path):
    a = connsim("sweep", "baseline", "--lever", "w_peer=0:1", "--n", 2, "--until", 2021, cwd=tmp_path)
    assert a.returncode == 0, a.stderr
    folders = sorted((tmp_path / "out").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("sweep-baseline-")
    b = connsim("sweep", "baseline", "--lever", "w_peer=0:1", "--n", 2, "--until", 2021, cwd=tmp_path)
    assert "0 run by this call" in b.stdout
    c = connsim("sweep", "baseline", "--lever", "w_peer=0:1", "--n", 3, "--until", 2021, cwd=tmp_path)
    assert c.returncode == 0 and len(list((tmp_path / "out").iterdir())) == 2
    if _has("ema_workbench"):  # discover: another threshold of interest is an analysis of the same runs
        d = [
            "discover",
            "baseline",
            "--lever",
            "us_china_conflict=0:1",
            "--n",
            20,
            "--until",
            2020,
            "--outcome",
            "us_china_conflict",
        ]
        assert connsim(*d, "--above", 0.5, cwd=tmp_path).returncode == 0
        again = connsim(*d, "--below", 0.3, "--threshold", 0.9, cwd=tmp_path)
        found = [p for p in (tmp_path / "out").iterdir() if p.name.startswith("discover-")]
        assert again.returncode == 0 and len(found) == 1
        assert "0 run by this call" in (found[0] / "summary.txt").read_text()


def test_sweep_and_sensitivity_in_process(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (
        cli.main(
            [
                "sweep",
                "baseline",
                "--lever",
                "eu_japan_cooperation=none,beyond_bilateral",
                "--lever",
                "india_trilateral=false,true",
                "--until",
                "2021",
                "--out",
                "sw",
                "--no-progress",
            ]
        )
        == 0
    )
    ends = pd.read_csv(tmp_path / "sw" / "ends.csv")
    assert len(ends) == 4 and set(ends["eu_japan_cooperation"]) == {"none", "beyond_bilateral"}
    assert (
        cli.main(
            [
                "sensitivity",
                "baseline",
                "--lever",
                "us_china_conflict=0:1",
                "--lever",
                "eu_toolbox_strength=0:1",
                "--outcome",
                "us_china_conflict",
                "--n",
                "16",
                "--until",
                "2021",
                "--out",
                "sa",
                "--no-progress",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Sobol sensitivity of us_china_conflict" in text
    idx = pd.read_csv(tmp_path / "sa" / "indices.csv")
    assert list(idx.columns) == ["lever", "index", "value", "conf"]
    s1 = idx.set_index(["lever", "index"])["value"]
    assert s1["us_china_conflict", "S1"] == pytest.approx(1.0, abs=0.15)
    assert (tmp_path / "sa" / "sensitivity.png").stat().st_size > 0
    assert (
        cli.main(
            [
                "sensitivity",
                "baseline",
                "--lever",
                "us_china_conflict=0:1",
                "--lever",
                "w_peer=0:1",
                "--method",
                "morris",
                "--n",
                "4",
                "--outcome",
                "us_allies_restricting",
                "--until",
                "2021",
                "--out",
                "mo",
                "--no-progress",
            ]
        )
        == 0
    )
    assert set(pd.read_csv(tmp_path / "mo" / "indices.csv")["index"]) == {"mu_star", "mu", "sigma"}


@pytest.mark.skipif(not _has("ema_workbench"), reason="ema-workbench is not installed (pip install 'connsim[ema]')")
def test_discover_in_process(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.main(
        [
            "discover",
            "baseline",
            "--lever",
            "us_china_conflict=0:1",
            "--lever",
            "eu_toolbox_strength=0:1",
            "--outcome",
            "us_china_conflict",
            "--above",
            "0.6",
            "--threshold",
            "0.98",
            "--n",
            "100",
            "--until",
            "2020",
            "--out",
            "d",
            "--no-progress",
        ]
    )
    assert code == 0
    boxes = pd.read_csv(tmp_path / "d" / "boxes.csv")
    assert list(boxes["lever"]) == ["us_china_conflict"] and boxes["lo"].iloc[0] == pytest.approx(0.6, abs=0.03)
    assert {"boxes.csv", "trajectory.csv", "ends.csv", "summary.txt", "discovery.png"} <= {
        p.name for p in (tmp_path / "d").iterdir()
    }
    assert "PRIM box for us_china_conflict > 0.6" in capsys.readouterr().out


def test_failed_runs_exit_3_with_a_warning_and_the_others_written(tmp_path, capsys, monkeypatch):
    from connsim.experiments import _worker

    real, bad = _worker.simulate, spawn_seeds(0, 3)[1]

    def flaky(spec, seed, **kw):
        if seed == bad:
            raise RuntimeError("transient failure")
        return real(spec, seed, **kw)

    monkeypatch.setattr(_worker, "simulate", flaky)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["ensemble", "baseline", "-r", "3", "--until", "2021", "--out", "e", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 3
    assert "warning: 1 of 3 runs failed (first: run 1, baseline seed" in err and "RuntimeError: transient failure" in err
    assert len(pd.read_csv(tmp_path / "e" / "ends.csv")) == 3  # two done, one failed with its error
    monkeypatch.setattr(_worker, "simulate", real)
    assert cli.main(["ensemble", "baseline", "-r", "3", "--until", "2021", "--out", "e", "--no-progress"]) == 0
    assert "1 run by this call" in capsys.readouterr().out


def test_ctrl_c_keeps_finished_runs_and_says_how_to_resume(tmp_path, capsys, monkeypatch):
    from connsim.experiments import _worker

    real, calls = _worker.simulate, []

    def interrupted(spec, seed, **kw):
        calls.append(seed)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return real(spec, seed, **kw)

    monkeypatch.setattr(_worker, "simulate", interrupted)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["ensemble", "baseline", "-r", "30", "--until", "2021", "--out", "e", "--no-progress"])
    assert code == 130
    assert "interrupted; the finished runs are kept in e: run the same command to resume" in capsys.readouterr().err
    done = json.loads((tmp_path / "e" / "manifest.json").read_text())["status"]["done"]
    assert done == 16  # the first chunk finished, the second was cut short
    monkeypatch.setattr(_worker, "simulate", real)
    assert cli.main(["ensemble", "baseline", "-r", "30", "--until", "2021", "--out", "e", "--no-progress"]) == 0
    assert "14 run by this call" in capsys.readouterr().out


@pytest.mark.skipif(not _has("distributed"), reason="dask.distributed is not installed (pip install 'connsim[dask]')")
def test_dask_address_runs_on_the_cluster(tmp_path, capsys, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.chdir(tmp_path)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        assert (
            cli.main(
                [
                    "ensemble",
                    "baseline",
                    "-r",
                    "3",
                    "--until",
                    "2021",
                    "--out",
                    "dk",
                    "--dask",
                    cluster.scheduler_address,
                    "--no-progress",
                ]
            )
            == 0
        )
    assert cli.main(["ensemble", "baseline", "-r", "3", "--until", "2021", "--out", "local", "--no-progress"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dk" / "ends.csv"), pd.read_csv(tmp_path / "local" / "ends.csv"))


def test_help_lists_the_experiment_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for cmd in ("ensemble", "sweep", "sensitivity", "discover"):
        assert cmd in text
    with pytest.raises(SystemExit):
        cli.main(["sensitivity", "--help"])
    text = capsys.readouterr().out
    assert "--workers" in text and "--dask" in text and "--out" in text and "exit status: 0 every run finished" in text
