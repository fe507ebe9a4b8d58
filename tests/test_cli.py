"""The connsim command, through the real command (``python -m connsim``) where it matters.

Error cases run concurrently in one module fixture (each is a fresh interpreter, ~1 s to start),
each in its own folder, so that the check "nothing was written" is exact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from connsim import cli
from connsim.scenario import SCENARIOS_DIR, list_scenarios

LIBRARY = list(list_scenarios())
SCRIPTS = sorted(p for p in SCENARIOS_DIR.glob("*.py") if not p.name.startswith("_"))  # not __init__.py


def connsim(*args, cwd, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connsim", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- error cases: (files to write, arguments, texts expected on stderr) ---------------------------

BAD = 'extends = "baseline"\nus_china_conflct = 0.7\nus_pressure = { 2019 = 0.5, 2023 = 1.4 }\nadequacy_openness = "high"\n'
EVENT = 'extends = "baseline"\n[[events]]\nyear = {year}\nkind = "vendor_policy"\niso3 = "{iso3}"\nvalue = "banned"\n'
ERRORS = {
    "unknown_key": (
        {"s.toml": 'extends = "baseline"\nus_china_conflct = 0.7\n'},
        ["run", "s.toml", "--until", 2021],
        ["s.toml: 1 problem", "us_china_conflct: unknown key; did you mean 'us_china_conflict'?"],
    ),
    "out_of_range": (
        {"s.toml": "us_pressure = { 2019 = 0.5, 2023 = 1.4 }\n"},
        ["run", "s.toml"],
        ["s.toml", "us_pressure.2023: got 1.4; allowed a number in 0..1"],
    ),
    "wrong_type": (
        {"s.toml": 'adequacy_openness = "high"\n'},
        ["run", "s.toml"],
        ["s.toml", "adequacy_openness: got 'high'; allowed a number in 0..1"],
    ),
    "unknown_iso3": (
        {"s.toml": EVENT.format(year=2021, iso3="XXX")},
        ["run", "s.toml"],
        ["s.toml", "events.0.iso3: unknown state 'XXX'", "allowed an ISO3 code"],
    ),
    "event_outside_horizon": (
        {"s.toml": EVENT.format(year=2040, iso3="KEN")},
        ["run", "s.toml"],
        ["s.toml", "events.0.year: 2040 is outside the horizon; allowed 2019"],
    ),
    "extends_cycle": (
        {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'},
        ["run", "a.toml"],
        ["a.toml", "extends: cycle a.toml -> b.toml -> a.toml"],
    ),
    "toml_syntax": (
        {"s.toml": "us_china_conflict = = 0.5\n"},
        ["run", "s.toml"],
        ["s.toml", "TOML syntax error: Invalid value (at line 1, column 21)"],
    ),
    "unknown_scenario": ({}, ["run", "hardening_conflit"], ["hardening_conflit", "did you mean 'hardening_conflict'?"]),
    "bad_seed": ({}, ["run", "baseline", "--seed", "-1"], ["argument --seed: -1 is not a seed; allowed a whole number from 0"]),
    "bad_until": (
        {},
        ["run", "baseline", "--until", 2050],
        ["--until 2050 is outside the horizon of 'baseline'", "allowed a year in 2020..2031"],
    ),
    "several_errors": (
        {"s.toml": BAD},
        ["compare", "baseline", "s.toml", "--seeds", 2],
        ["s.toml: 3 problems", "us_china_conflct: unknown key", "us_pressure.2023: got 1.4", "adequacy_openness: got 'high'"],
    ),
    "validate_bad": (
        {"s.toml": BAD, "ok.toml": 'extends = "baseline"\n'},
        ["validate", "ok.toml", "s.toml"],
        ["invalid", "s.toml: 3 problems", "1 of 2 scenarios invalid"],
    ),
}
INPROC = {
    "no_command": ({}, [], ["the following arguments are required: COMMAND"]),
    "show_bad": ({"s.toml": BAD}, ["show", "s.toml"], ["s.toml: 3 problems"]),
    "compare_bad_seeds": (
        {},
        ["compare", "baseline", "dfft_bridge", "--seeds", 0],
        ["argument --seeds: 0 is not a number of seeds"],
    ),
    "compare_one": ({}, ["compare", "baseline"], ["compare needs two or more scenarios"]),
    "bad_format": ({}, ["run", "baseline", "--format", "xlsx"], ["argument --format: invalid choice: 'xlsx'"]),
    "bad_until_text": ({}, ["run", "baseline", "--until", "soon"], ["argument --until: 'soon' is not a year"]),
    "bad_seed_text": ({}, ["run", "baseline", "--seed", "x"], ["argument --seed: 'x' is not a seed"]),
    "missing_file": ({}, ["run", "nowhere.toml"], ["nowhere.toml", "no scenario file"]),
}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory):
    # folders first, in this thread: tmp_path_factory is not thread-safe (its first call
    # creates the base folder, and two threads racing there fail)
    folders = {case: tmp_path_factory.mktemp(case) for case in ERRORS}

    def one(case):
        files, args, _ = ERRORS[case]
        folder = folders[case]
        for name, text in files.items():
            (folder / name).write_text(text)
        before = listing(folder)
        args = [*args, "--out", "out/result"] if args and args[0] in ("run", "compare") else args
        proc = connsim(*args, cwd=folder)
        return case, (proc, before, listing(folder))

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        return dict(pool.map(one, ERRORS))


@pytest.mark.parametrize("case", list(ERRORS))
def test_user_error_is_one_message_exit_2_nothing_written(error_runs, case):
    proc, before, after = error_runs[case]
    expected = ERRORS[case][2]
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for text in expected:
        assert text in proc.stderr, f"{text!r} not in:\n{proc.stderr}"
    assert after == before, "nothing is written by a refused command"
    if case not in ("validate_bad",):
        assert proc.stdout == ""


@pytest.mark.parametrize("case", list(INPROC))
def test_user_error_in_process(tmp_path, monkeypatch, capsys, case):
    files, args, expected = INPROC[case]
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    before = listing(tmp_path)
    try:
        status = cli.main([str(a) for a in args])
    except SystemExit as e:  # argparse's own errors
        status = e.code
    err = capsys.readouterr().err
    assert status == 2
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    assert listing(tmp_path) == before


# --- the commands working -----------------------------------------------------------------------


def test_help_reads_well(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for word in ("list", "validate", "show", "run", "compare", "examples:", "exit status"):
        assert word in out
    run_help = cli.build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    assert "--until YEAR" in run_help and "--format {csv,parquet}" in run_help and "--overwrite" in run_help


def test_list_and_validate_the_library(tmp_path, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in LIBRARY:
        assert name in out
    for script in SCRIPTS:
        assert script.name in out
    proc = connsim("validate", *sorted(SCENARIOS_DIR.glob("*.toml")), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok ") == len(LIBRARY)


def test_run_writes_frames_plots_and_summary(tmp_path):
    proc = connsim("run", "hardening_conflict", "--until", 2021, "--seed", 3, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "US allies restricting high-risk vendors" in proc.stdout and "Strategic-autonomy scorecard" in proc.stdout
    out = tmp_path / "out" / "hardening_conflict"
    assert listing(tmp_path) == {
        "out",
        "out/hardening_conflict",
        *(
            f"out/hardening_conflict/{f}"
            for f in ("model_vars.csv", "agent_vars.csv", "trajectories.png", "summary.txt", "scenario.json", "run.json")
        ),
    }
    mv = pd.read_csv(out / "model_vars.csv")
    assert mv["year"].iloc[-1] == 2021 and len(mv) == 9
    av = pd.read_csv(out / "agent_vars.csv")
    assert len(av) == len(mv) * av["iso3"].nunique() and av["iso3"].nunique() > 150
    assert (out / "trajectories.png").read_bytes()[:4] == b"\x89PNG"
    assert '"seed": 3' in (out / "run.json").read_text()


def test_until_drops_later_events(tmp_path, capsys):
    (tmp_path / "k.toml").write_text(
        'extends = "baseline"\n[[events]]\nyear = 2022.5\nkind = "vendor_policy"\niso3 = "KEN"\nvalue = "banned"\n'
    )
    assert cli.main(["run", str(tmp_path / "k.toml"), "--until", "2021", "--out", str(tmp_path / "o")]) == 0
    assert '"end_year": 2020' in (tmp_path / "o" / "scenario.json").read_text()
    assert cli.main(["run", str(tmp_path / "k.toml"), "--until", "2023", "--out", str(tmp_path / "p")]) == 0
    assert '"KEN"' in (tmp_path / "p" / "scenario.json").read_text()


def test_run_parquet_out_and_overwrite(tmp_path, capsys):
    out = tmp_path / "deep" / "res"
    assert cli.main(["run", "baseline", "--until", "2020", "--out", str(out), "--format", "parquet", "--no-progress"]) == 0
    assert {p.name for p in out.iterdir()} >= {"model_vars.parquet", "agent_vars.parquet", "trajectories.png"}
    assert len(pd.read_parquet(out / "agent_vars.parquet")) > 0
    capsys.readouterr()
    assert cli.main(["run", "baseline", "--until", "2020", "--out", str(out)]) == 2
    assert "exists already" in capsys.readouterr().err and not (out / "model_vars.csv").exists()
    assert cli.main(["run", "baseline", "--until", "2020", "--out", str(out), "--overwrite"]) == 0
    assert {p.name for p in out.iterdir()} == {
        "model_vars.csv",
        "agent_vars.csv",
        "trajectories.png",
        "summary.txt",
        "scenario.json",
        "run.json",
    }
    assert [p.name for p in out.parent.iterdir()] == ["res"], "no temporary folder is left beside the result"


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_interrupted_or_failed_write_leaves_nothing(tmp_path, monkeypatch, capsys, failure):
    import connsim.plots

    def broken(*args, **kwargs):
        raise failure("stop")

    monkeypatch.setattr(connsim.plots, "plot_trajectories", broken)
    out = tmp_path / "a" / "b" / "res"
    if failure is KeyboardInterrupt:
        assert cli.main(["run", "baseline", "--until", "2020", "--out", str(out)]) == 130
        assert "interrupted; nothing was written" in capsys.readouterr().err
    else:
        with pytest.raises(RuntimeError):  # an unexpected exception may traceback, but writes nothing
            cli.main(["run", "baseline", "--until", "2020", "--out", str(out)])
    assert list(tmp_path.iterdir()) == [], "no partial result and no folder made for it"


def test_interrupted_overwrite_keeps_the_old_result(tmp_path, monkeypatch, capsys):
    import connsim.plots

    out = tmp_path / "res"
    assert cli.main(["run", "baseline", "--until", "2020", "--out", str(out), "--seed", "1"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(connsim.plots, "plot_trajectories", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert cli.main(["run", "baseline", "--until", "2020", "--out", str(out), "--overwrite"]) == 130
    assert [p.name for p in tmp_path.iterdir()] == ["res"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_show_resolves_extends(tmp_path, capsys):
    assert cli.main(["show", "hardening_conflict", "--changed"]) == 0
    text = capsys.readouterr().out
    assert "*us_china_conflict" in text and "{2019 = 0.5, 2023 = 0.9}" in text and "0..1 or {year = value}" in text
    assert "beta_policy" not in text and "differs from 'baseline'" in text
    assert cli.main(["show", "baseline"]) == 0
    text = capsys.readouterr().out
    for word in (
        "us_china_conflict",
        "eu_japan_cooperation",
        "none | bilateral | beyond_bilateral",
        "Weights of the decision rules",
        "w_peer",
    ):
        assert word in text
    assert cli.main(["show", "baseline", "--json"]) == 0
    assert '"us_china_conflict"' in capsys.readouterr().out
    assert cli.main(["show", "eu_oda_staffed"]) == 0
    text = capsys.readouterr().out
    assert "*oda_staffing" in text and "{EUU = 0.8}" in text


def test_compare_same_seeds_table_and_plot(tmp_path):
    proc = connsim("compare", "baseline", "hardening_conflict", "--seeds", 3, "--until", 2025, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "hardening_conflict - baseline" in proc.stdout and "±" in proc.stdout
    out = tmp_path / "out" / "compare-baseline-hardening_conflict"
    assert {p.name for p in out.iterdir()} == {
        "comparison.csv",
        "outcomes.csv",
        "trajectories.csv",
        "comparison.png",
        "summary.txt",
        "run.json",
    }
    table = pd.read_csv(out / "comparison.csv", index_col="outcome")
    # the paper's expectation: a harder conflict, more US allies restricting high-risk vendors
    assert table.loc["us_allies_restricting", "hardening_conflict - baseline mean"] > 0
    ends = pd.read_csv(out / "outcomes.csv")
    assert sorted(ends.groupby("scenario")["seed"].apply(list).tolist()) == [[0, 1, 2], [0, 1, 2]]


def test_compare_table_pairs_differences_by_seed():
    ends = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "seed": [0, 1, 2] * 2, "x": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0]})
    t = cli.compare_table(ends, ["a", "b"], ["x"])
    assert t.loc["x", "a mean"] == 2 and t.loc["x", "b - a mean"] == 1 and t.loc["x", "b - a std"] == 0


# --- slow: every library scenario and script, full compare, a real Ctrl-C ---------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", LIBRARY)
def test_every_library_scenario_runs_from_the_command_line(tmp_path, name):
    proc = connsim("run", name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / name / "model_vars.csv").exists()


@pytest.mark.slow
def test_compare_hardening_conflict_full_horizon(tmp_path):
    proc = connsim("compare", "baseline", "hardening_conflict", "--out", "cmp", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    t = pd.read_csv(tmp_path / "cmp" / "comparison.csv", index_col="outcome")
    diff, spread = t.loc["us_allies_restricting", ["hardening_conflict - baseline mean", "hardening_conflict - baseline std"]]
    assert diff > 0 and diff > 2 * spread / 5**0.5


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scenario_script_runs_quickly(tmp_path, script):
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) >= 4
    assert time.monotonic() - start < 30


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_leaves_nothing(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "connsim", "compare", "baseline", "hardening_conflict", "--seeds", "400", "--out", "o/r"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert listing(tmp_path) == set()
