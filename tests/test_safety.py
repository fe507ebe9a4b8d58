"""Safe by default (issue 9): the command never deletes what it did not write, never reports
success without a result, and refuses every bad input with a one-line message (exit status 2).

Each test is a reproduction from the issue, through the real command (``python -m connsim`` in
a fresh process) or the public API. Refusals that need only a fresh process run concurrently in
one module fixture, each in its own folder, so that "nothing was written" is checked exactly.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import connsim
from connsim import cli
from connsim.scenario import (
    MAX_EXTENDS_DEPTH,
    MAX_FILE_BYTES,
    MAX_PROBLEMS_SHOWN,
    MAX_SYNTHETIC,
    SCENARIOS_DIR,
    Scenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
    validate_scenario,
)
from connsim.seeds import SEEDS_DIR, SeedError, load_seeds

PY = sys.executable
POSIX = sys.platform != "win32"


def connsim_cmd(*args, cwd, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "connsim", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def event(year, kind, iso3, value) -> str:
    value = json.dumps(value) if isinstance(value, str) else str(value).lower()
    return f'[[events]]\nyear = {year}\nkind = "{kind}"\niso3 = "{iso3}"\nvalue = {value}\n'


def _chain(folder: Path, n: int) -> None:
    """s.toml extends c1.toml extends ... c{n}.toml: n links of extends."""
    (folder / "s.toml").write_text('extends = "c1.toml"\n')
    for i in range(1, n):
        (folder / f"c{i}.toml").write_text(f'extends = "c{i + 1}.toml"\n')
    (folder / f"c{n}.toml").write_text("us_pressure = 0.6\n")


def _sparse(folder: Path) -> None:
    (folder / "s.toml").write_text('extends = "big.toml"\n')
    with open(folder / "big.toml", "wb") as f:
        f.truncate(100 * 2**20)  # 100 MiB, sparse: nothing is stored (the 20 GB is refused the same way,
        # by its size, before any byte is read; 100 MiB keeps this test harmless should that ever regress)


def _symlink(folder: Path) -> None:
    (folder / "real").mkdir()
    (folder / "real" / "thesis.txt").write_text("mine")
    (folder / "res").symlink_to(folder / "real")


def _home(folder: Path) -> None:
    (folder / "home").mkdir()
    (folder / "home" / ".bashrc").write_text("# mine\n")


MANY_KEYS = 100_000
RUN = ["run", "baseline", "--until", 2020]

# case: (files or a setup function, arguments ({dir} is the case's folder), texts expected on stderr,
#        folder to run in (relative), extra environment)
CASES = {
    # 1. --overwrite replaces only an earlier connsim result
    "overwrite_cwd": (
        {"thesis.txt": "chapter 1"},
        [*RUN, "--out", ".", "--overwrite"],
        ["--out . is the current folder"],
        ".",
        {},
    ),
    "overwrite_parent": (
        {"thesis.txt": "chapter 1", "sub/notes.txt": "x"},
        [*RUN, "--out", "..", "--overwrite"],
        ["--out .. is a parent of the current folder"],
        "sub",
        {},
    ),
    "overwrite_home": (_home, [*RUN, "--out", "{dir}/home", "--overwrite"], ["is your home folder"], ".", {"HOME": "{dir}/home"}),
    "overwrite_not_connsim": (
        {"res/thesis.txt": "chapter 1"},
        [*RUN, "--out", "res", "--overwrite"],
        [
            "--out res cannot be replaced: it holds no run.json written by connsim",
            "--overwrite replaces only a folder holding an earlier connsim result",
        ],
        ".",
        {},
    ),
    "overwrite_forged_run_json": (
        {"res/run.json": '{"files": ["thesis.txt"]}', "res/thesis.txt": "x"},
        [*RUN, "--out", "res", "--overwrite"],
        ['does not say it was written by connsim ("written_by": "connsim")'],
        ".",
        {},
    ),
    "overwrite_symlink": (
        _symlink,
        [*RUN, "--out", "res", "--overwrite"],
        ["cannot be replaced: it is a symbolic link"],
        ".",
        {},
    ),
    # 3. an unwritable destination is refused before the run
    "unwritable": (
        {},
        [*RUN, "--out", "/proc/connsim-test/res"],
        ["--out /proc/connsim-test/res: cannot write in /proc"],
        ".",
        {},
    ),
    # 5. a deep chain of extends
    "extends_1000_deep": (
        lambda d: _chain(d, 1000),
        ["validate", "s.toml"],
        [f"extends: a chain of more than {MAX_EXTENDS_DEPTH} links (s.toml -> c1.toml -> ... -> c33.toml)"],
        ".",
        {},
    ),
    # 6. what a scenario may ask for (validate: should the limits regress, these must not run)
    "synthetic_million": (
        {"s.toml": "synthetic_third_countries = 1000000\n"},
        ["validate", "s.toml"],
        [f"synthetic_third_countries: got 1000000; allowed a whole number in 0..{MAX_SYNTHETIC:,}"],
        ".",
        {},
    ),
    "synthetic_long_horizon": (
        {"s.toml": "synthetic_third_countries = 20000\nend_year = 2200\nsteps_per_year = 12\n"},
        ["validate", "s.toml"],
        ["synthetic_third_countries: 20,193 states over 2,185 recorded steps", "allowed at most 2,500,000"],
        ".",
        {},
    ),
    "extends_sparse_file": (
        _sparse,
        ["validate", "s.toml"],
        ["big.toml: 1 problem", "the file is 104,857,600 bytes; allowed a scenario file of at most"],
        ".",
        {},
    ),
    "file_over_1MiB": (
        {"s.toml": "# " + "x" * MAX_FILE_BYTES + "\n"},
        ["validate", "s.toml"],
        ["the file is 1,048,579 bytes; allowed a scenario file of at most 1,048,576 bytes"],
        ".",
        {},
    ),
    "many_unknown_keys": (
        {"s.toml": "".join(f"k{i}=1\n" for i in range(MANY_KEYS))},
        ["validate", "s.toml"],
        [f"s.toml: {MANY_KEYS} problems", f"  ... and {MANY_KEYS - MAX_PROBLEMS_SHOWN} more"],
        ".",
        {},
    ),
    # 8. events that cannot apply
    "event_after_last_step": (
        {"s.toml": 'extends = "baseline"\n' + event(2030.9, "vendor_policy", "KEN", "banned")},
        ["run", "s.toml"],
        ["events.0.year: 2030.9 is after the start of the last step, so it would never apply; allowed 2019 to 2030.75"],
        ".",
        {},
    ),
    "event_on_powers": (
        {
            "s.toml": event(2021, "vendor_policy", "USA", "open")
            + event(2021, "regime", "CHN", "open")
            + event(2021, "vendor_policy", "JPN", "open")
        },
        ["run", "s.toml"],
        [
            "events.0.iso3: USA is a power",
            "allowed for a vendor_policy event a member state or a third country",
            "events.1.iso3: CHN is a power",
            "allowed for a regime event a third country",
            "events.2.iso3: JPN is a power",
        ],
        ".",
        {},
    ),
    "regime_on_member_state": (
        {"s.toml": event(2021, "regime", "DEU", "open") + event(2021, "adequacy", "FRA", True)},
        ["validate", "s.toml"],
        [
            "events.0.iso3: DEU is an EU member state: its data-flow regime is the EU's; allowed for a regime event a third country",
            "events.1.iso3: FRA is an EU member state",
        ],
        ".",
        {},
    ),
    # 11. a schedule giving one year three times
    "duplicate_years": (
        {"s.toml": 'us_china_conflict = { 2019 = 0.5, 02019 = 0.9, " 2019" = 0.1 }\n'},
        ["validate", "s.toml"],
        ["us_china_conflict: year 2019 is given 3 times ('2019', '02019', ' 2019'); allowed each year once"],
        ".",
        {},
    ),
    # 14. messages
    "hold_years_message": (
        {"s.toml": event(2021, "vendor_policy", "KEN", "banned") + 'hold_years = "x"\n'},
        ["validate", "s.toml"],
        ["events.0.hold_years: got 'x'; allowed a number of years above 0"],
        ".",
        {},
    ),
    # 15. extends names only .toml files, which are not read otherwise
    "extends_passwd": (
        {"s.toml": 'extends = "/etc/passwd"\n'},
        ["validate", "s.toml"],
        ["extends: /etc/passwd is not a .toml file; allowed the path of a .toml file or a library name"],
        ".",
        {},
    ),
    "extends_bashrc": ({"s.toml": 'extends = "~/.bashrc"\n'}, ["validate", "s.toml"], ["/.bashrc is not a .toml file"], ".", {}),
    "extends_environ": (
        {"s.toml": 'extends = "/proc/self/environ"\n'},
        ["validate", "s.toml"],
        ["/proc/self/environ is not a .toml file"],
        ".",
        {},
    ),
    "run_passwd": ({}, ["run", "/etc/passwd"], ["/etc/passwd is not a .toml or .json file"], ".", {}),
}


#: cases run through a fresh process too (the others run the command's main() in this process)
THROUGH_PROCESS = ("overwrite_cwd", "overwrite_home", "unwritable", "extends_1000_deep", "many_unknown_keys", "run_passwd")


def _prepare(case: str, folder: Path) -> tuple[list[str], dict]:
    files, args, _, _, env = CASES[case]
    if callable(files):
        files(folder)
    else:
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    args = [str(a).replace("{dir}", str(folder)) for a in args]
    return args, {k: v.replace("{dir}", str(folder)) for k, v in env.items()}


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    folders = {case: tmp_path_factory.mktemp(case) for case in THROUGH_PROCESS}

    def one(case):
        folder = folders[case]
        args, env = _prepare(case, folder)
        before = listing(folder)
        proc = connsim_cmd(*args, cwd=folder / CASES[case][3], env={**os.environ, **env})
        return case, (proc.returncode, proc.stdout, proc.stderr, before, listing(folder))

    with ThreadPoolExecutor(max_workers=min(6, os.cpu_count() or 2)) as pool:
        return dict(pool.map(one, THROUGH_PROCESS))


def _in_process(case: str, folder: Path, monkeypatch, capsys):
    args, env = _prepare(case, folder)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(folder / CASES[case][3])
    before = listing(folder)
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = cli.main(args)
        except SystemExit as e:
            status = e.code
    out = capsys.readouterr()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    return status, out.out, out.err, before, listing(folder)


@pytest.mark.parametrize("case", list(CASES))
def test_refused_with_one_message_exit_2_nothing_written(refusals, case, tmp_path, monkeypatch, capsys):
    runs = [_in_process(case, tmp_path, monkeypatch, capsys)]
    if case in THROUGH_PROCESS:
        runs.append(refusals[case])
    for status, out, err, before, after in runs:
        assert status == 2, err[-3000:]
        assert "Traceback" not in err and "Warning" not in err
        for text in CASES[case][2]:
            assert text in err, f"{text!r} not in:\n{err[:3000]}"
        assert after == before, "a refused command writes and deletes nothing"
        assert out == ""
        if "--out" in CASES[case][1]:
            assert len(err.splitlines()) == 1, "an argument error is one line"


def test_many_unknown_keys_list_the_allowed_keys_once(refusals):
    err = refusals["many_unknown_keys"][2]
    assert len(err.splitlines()) <= MAX_PROBLEMS_SHOWN + 3, "the first 20 problems, then a count"
    assert err.count("allowed keys of a scenario: name, description") == 1
    assert err.count("allowed keys of a scenario: as listed above") == MAX_PROBLEMS_SHOWN - 1


def test_scenario_error_shows_the_first_problems_and_counts_the_rest():
    e = ScenarioError("x.toml", [f"k{i}: unknown key" for i in range(25)])
    assert len(e.problems) == MAX_PROBLEMS_SHOWN and e.more == 5
    assert str(e).splitlines()[0] == "x.toml: 25 problems" and str(e).splitlines()[-1] == "  ... and 5 more"
    import pickle

    assert str(pickle.loads(pickle.dumps(e))) == str(e)


# --- 1. --overwrite ------------------------------------------------------------------------------


def _result(tmp_path: Path, name: str = "res", *extra) -> Path:
    out = tmp_path / name
    assert cli.main([*map(str, RUN), "--out", str(out), *extra]) == 0
    return out


def test_overwrite_replaces_an_earlier_result_and_nothing_else(tmp_path, capsys):
    out = _result(tmp_path)
    meta = json.loads((out / "run.json").read_text())
    assert meta["written_by"] == "connsim" and meta["kind"] == "run" and set(meta["files"]) == {p.name for p in out.iterdir()}
    assert cli.main([*map(str, RUN), "--out", str(out), "--overwrite", "--seed", "4"]) == 0
    assert '"seed": 4' in (out / "run.json").read_text()
    (out / "notes.txt").write_text("my notes")
    capsys.readouterr()
    assert cli.main([*map(str, RUN), "--out", str(out), "--overwrite"]) == 2
    assert "holds files connsim did not write there (notes.txt)" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "my notes" and '"seed": 4' in (out / "run.json").read_text()
    cmp_out = tmp_path / "cmp"
    assert cli.main(["compare", "baseline", "dfft_bridge", "--seeds", "1", "--until", "2020", "--out", str(cmp_out)]) == 0
    assert json.loads((cmp_out / "run.json").read_text())["kind"] == "compare"
    assert (
        cli.main(["compare", "baseline", "dfft_bridge", "--seeds", "1", "--until", "2020", "--out", str(cmp_out), "--overwrite"])
        == 0
    )
    assert cli.main([*map(str, RUN), "--out", str(cmp_out), "--overwrite"]) == 0, "a compare result may be replaced by a run"


@pytest.fixture
def library_copy(tmp_path, monkeypatch):
    """The scenario library copied, and connsim pointed at the copy (the real one is never at risk)."""
    import connsim.scenario

    lib = tmp_path / "library"
    shutil.copytree(SCENARIOS_DIR, lib)
    monkeypatch.setattr(connsim.scenario, "SCENARIOS_DIR", lib)
    return lib


def test_out_never_in_or_over_the_scenario_library(library_copy, capsys):
    before = listing(library_copy)
    (library_copy / "run.json").write_text(json.dumps({"written_by": "connsim", "kind": "run", "files": sorted(before)}))
    before = listing(library_copy)
    for out in (library_copy, library_copy / "results"):
        assert cli.main([*map(str, RUN), "--out", str(out), "--overwrite"]) == 2
        assert "is inside the scenario library" in capsys.readouterr().err
    assert listing(library_copy) == before


def test_out_never_the_project_folder_or_a_checkout(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "connsim"\n')
    # even with a run.json that lists every file, as if connsim had written it
    (project / "run.json").write_text(json.dumps({"written_by": "connsim", "kind": "run", "files": ["pyproject.toml"]}))
    monkeypatch.setattr(cli, "PROJECT_ROOT", project)
    assert cli.main([*map(str, RUN), "--out", str(project), "--overwrite"]) == 2
    assert "is connsim's project folder" in capsys.readouterr().err
    assert cli.main([*map(str, RUN), "--out", str(tmp_path), "--overwrite"]) == 2
    assert "is a parent of connsim's project folder" in capsys.readouterr().err
    monkeypatch.setattr(cli, "PROJECT_ROOT", cli.PACKAGE_DIR.parent)
    assert cli.main([*map(str, RUN), "--out", str(project), "--overwrite"]) == 2
    assert "holds a checkout of connsim" in capsys.readouterr().err
    assert listing(project) == {"pyproject.toml", "run.json"}


# --- 2. a closed standard output -----------------------------------------------------------------


def _with_closed_stdout(args, cwd) -> tuple[int, str]:
    proc = subprocess.Popen(
        [PY, "-m", "connsim", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.close()  # `connsim ... | true`
    err = proc.stderr.read()
    return proc.wait(timeout=120), err


def test_closed_pipe_still_writes_the_results_and_exits_0(tmp_path):
    status, err = _with_closed_stdout([*RUN, "--out", "bp"], tmp_path)
    assert status == 0, err
    assert "Traceback" not in err
    assert {p.name for p in (tmp_path / "bp").iterdir()} == {
        "model_vars.csv",
        "agent_vars.csv",
        "trajectories.png",
        "summary.txt",
        "scenario.json",
        "run.json",
    }


def test_closed_pipe_never_turns_a_failure_into_success(tmp_path):
    status, err = _with_closed_stdout([*RUN, "--out", "/proc/connsim-test/bp"], tmp_path)
    assert status == 2 and "cannot write in /proc" in err
    (tmp_path / "bad.toml").write_text("us_pressure = 7\n")
    status, err = _with_closed_stdout(["validate", "baseline", "bad.toml"], tmp_path)
    assert status == 2 and "us_pressure: got 7" in err, "validate checks every file, whatever happens to stdout"
    assert listing(tmp_path) == {"bad.toml"}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_standard_output_on_a_full_device_is_an_error_not_a_traceback(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [PY, "-m", "connsim", *map(str, RUN), "--out", "r"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith(
        f"cannot write to standard output (no space left on the device); the results in {tmp_path / 'r'} are complete"
    )
    assert (tmp_path / "r" / "run.json").is_file()


# --- 3. write errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), PermissionError(13, "Permission denied")], ids=["ENOSPC", "EACCES"]
)
def test_write_error_is_the_refusal_message_and_leaves_nothing(tmp_path, monkeypatch, capsys, error):
    def fail(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    out = tmp_path / "a" / "res"
    assert cli.main([*map(str, RUN), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write --out {out}" in err and "nothing was written" in err
    assert ("no space left on the device" if error.errno == 28 else "Permission denied") in err
    assert listing(tmp_path) == set()


@pytest.mark.skipif(not POSIX or os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_folder_is_refused_before_the_run(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        proc = connsim_cmd(*RUN, "--out", ro / "res", cwd=tmp_path)
    finally:
        ro.chmod(0o755)
    assert proc.returncode == 2 and "cannot write in" in proc.stderr and proc.stdout == ""


# --- 5. and 15. extends ---------------------------------------------------------------------------


def test_extends_chain_of_32_links_loads_33_is_refused(tmp_path):
    _chain(tmp_path, MAX_EXTENDS_DEPTH)
    assert load_scenario(tmp_path / "s.toml").us_pressure == 0.6
    (tmp_path / f"c{MAX_EXTENDS_DEPTH}.toml").write_text(f'extends = "c{MAX_EXTENDS_DEPTH + 1}.toml"\n')
    (tmp_path / f"c{MAX_EXTENDS_DEPTH + 1}.toml").write_text("")
    with pytest.raises(ScenarioError, match="a chain of more than 32 links"):
        load_scenario(tmp_path / "s.toml")


def test_extends_of_a_non_toml_file_says_the_same_whether_it_exists_or_not(tmp_path):
    (tmp_path / "exists.txt").write_text("us_pressure = 0.7\n")
    messages = []
    for name in ("exists.txt", "missing.txt"):
        (tmp_path / "s.toml").write_text(f'extends = "{name}"\n')
        with pytest.raises(ScenarioError) as info:
            load_scenario(tmp_path / "s.toml")
        messages.append(info.value.problems[0].replace(name, "NAME"))
    assert messages[0] == messages[1] and "is not a .toml file" in messages[0]
    with pytest.raises(ScenarioError, match="is not a .toml file"):
        load_scenario({"extends": str(tmp_path / "exists.txt")})


# --- 7. interruptions -----------------------------------------------------------------------------

SLOW_WRITE = """
import sys, time
from pathlib import Path
import connsim.plots
real = connsim.plots.plot_trajectories
def slow(mv, path, title=""):
    fig = real(mv, path, title)  # the frames and the plot are in the staging folder
    Path("ready").write_text("x")
    time.sleep(120)
    return fig
connsim.plots.plot_trajectories = slow
from connsim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _start_slow_write(folder: Path, out: str = "res") -> subprocess.Popen:
    (folder / "slow.py").write_text(SLOW_WRITE)
    proc = subprocess.Popen(
        [PY, "slow.py", *map(str, RUN), "--out", out], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (folder / "ready").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc


@pytest.mark.skipif(not POSIX, reason="SIGTERM")
def test_sigterm_while_writing_removes_the_staging_folder(tmp_path):
    proc = _start_slow_write(tmp_path)
    assert any(".res.partial-" in p for p in listing(tmp_path)), "the run was caught while writing"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "terminated by SIGTERM; nothing was written" in err and "Traceback" not in err
    assert listing(tmp_path) == {"slow.py", "ready"}


@pytest.mark.skipif(not POSIX, reason="SIGKILL")
def test_staging_folder_of_a_killed_run_is_swept_by_the_next_run(tmp_path):
    proc = _start_slow_write(tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".res.partial-")]
    assert len(left) == 1 and (left[0] / cli.STAGING_MARKER).is_file() and (left[0] / "model_vars.csv").is_file()
    # someone else's folder that looks the same, and one of a live process, stay
    (tmp_path / ".x.partial-1-abcdefgh").mkdir()
    live = tmp_path / f".y.partial-{os.getpid()}-abcdefgh"
    live.mkdir()
    (live / cli.STAGING_MARKER).write_text(
        json.dumps(
            {"written_by": "connsim", "pid": os.getppid(), "host": __import__("socket").gethostname(), "created": time.time()}
        )
    )
    proc = connsim_cmd(*RUN, "--out", "other", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not left[0].exists()
    assert (tmp_path / ".x.partial-1-abcdefgh").is_dir() and live.is_dir()
    assert {p.name for p in tmp_path.iterdir()} == {"slow.py", "ready", "other", ".x.partial-1-abcdefgh", live.name}


HOOK = """
import os, sys
class _Interrupt:  # Ctrl-C arriving while the module named by INTERRUPT_AT is imported
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("INTERRUPT_AT"):
            raise KeyboardInterrupt
sys.meta_path.insert(0, _Interrupt())
"""


@pytest.mark.parametrize("module", ["numpy", "mesa", "connsim.cli"])
def test_ctrl_c_during_imports_exits_quietly_with_130(tmp_path, module):
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(HOOK)
    env = {**os.environ, "INTERRUPT_AT": module, "PYTHONPATH": str(tmp_path / "hook")}
    script = Path(PY).parent / "connsim"  # the console script, when installed here
    commands = [[PY, "-m", "connsim", *map(str, RUN), "--out", "o"]]
    if script.is_file():
        commands.append([PY, str(script), *map(str, RUN), "--out", "o"])
    for command in commands:
        proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 130, (command, proc.stderr)
        assert "interrupted" in proc.stderr and "Traceback" not in proc.stderr
        assert listing(tmp_path) == {"hook", "hook/sitecustomize.py"}


@pytest.mark.skipif(not POSIX, reason="SIGINT")
@pytest.mark.parametrize("delay", [0.25, 0.6])
def test_real_early_ctrl_c_exits_quietly_with_130(tmp_path, delay):
    proc = subprocess.Popen(
        [PY, "-m", "connsim", "run", "baseline", "--out", "o"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert listing(tmp_path) == set()


def test_sweep_removes_only_marked_folders_of_dead_processes(tmp_path):
    dead = subprocess.run([PY, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    host = __import__("socket").gethostname()
    folders = {}
    for name, pid, marked in (("dead", int(dead), True), ("alive", os.getppid(), True), ("unmarked", int(dead), False)):
        f = tmp_path / f".{name}.partial-{pid}-abcd1234"
        (f / "sub").mkdir(parents=True)
        (f / "model_vars.csv").write_text("x")
        if marked:
            (f / cli.STAGING_MARKER).write_text(
                json.dumps({"written_by": "connsim", "pid": pid, "host": host, "created": time.time()})
            )
        folders[name] = f
    (tmp_path / "dead.partial-1-abcd1234").mkdir()  # not hidden: not a staging folder's name
    assert cli.sweep_stale(tmp_path) == [folders["dead"]]
    assert not folders["dead"].exists() and folders["alive"].exists() and folders["unmarked"].exists()


# --- 8. events that cannot apply are refused; the others apply -----------------------------------


def test_events_that_can_apply_are_accepted_and_until_drops_the_rest(tmp_path):
    text = (
        'extends = "baseline"\n'
        + event(2030.75, "vendor_policy", "KEN", "banned")
        + event(2021, "vendor_policy", "DEU", "banned")
        + event(2021, "regime", "KEN", "open")
        + event(2021, "adequacy", "USA", True)
        + event(2022.9, "conflict_shock", "KEN", 0.1)
    )
    path = tmp_path / "s.toml"
    path.write_text(text.replace('iso3 = "KEN"\nvalue = 0.1', "value = 0.1"))
    s = load_scenario(path)
    assert len(s.events) == 5
    r = connsim.run(s, seed=0, until=2023)  # the 2022.9 shock falls in the last quarter of 2022: dropped
    assert [e.year for e in r.scenario.events] == [2021, 2021, 2021]
    assert cli.main(["run", str(path), "--until", "2023", "--out", str(tmp_path / "o")]) == 0


# --- 9. every way of making a Scenario validates -----------------------------------------------


def test_direct_construction_runs_the_world_checks():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="events.0.iso3: unknown state 'XXX'"):
        Scenario(events=[{"year": 2021, "kind": "regime", "iso3": "XXX", "value": "open"}])
    with pytest.raises(ValidationError, match="end_year: 2020 is before start_year 2025"):
        Scenario(start_year=2025, end_year=2020)
    with pytest.raises(ValidationError, match="is after the start of the last step"):
        Scenario.model_validate({"events": [{"year": 2030.9, "kind": "conflict_shock", "value": 0.1}]})
    assert Scenario(events=[{"year": 2021, "kind": "regime", "iso3": "KEN", "value": "open"}]).events[0].iso3 == "KEN"


def test_model_copy_and_model_construct_cannot_make_an_invalid_scenario():
    s = load_scenario("baseline")
    with pytest.raises(ScenarioError, match="beta_policy: got nan; allowed a number in 0..100"):
        s.model_copy(update={"beta_policy": float("nan")})
    with pytest.raises(ScenarioError, match="weights.w_peer"):
        s.model_copy(update={"weights": s.weights.model_copy(update={"w_peer": float("inf")})})
    assert s.model_copy(update={"beta_policy": 2.0}).beta_policy == 2.0 and s.model_copy() == s
    bad = Scenario.model_construct(**{**dict(s), "beta_regime": float("nan")})
    with pytest.raises(ScenarioError, match="beta_regime: got nan"):
        connsim.run(bad, seed=0)
    with pytest.raises(ScenarioError, match="beta_regime: got nan"):
        validate_scenario(bad)
    assert validate_scenario(s) is s and load_scenario(s) is s


# --- 12. scenario.json: the resolved scenario, which runs again to the same numbers -------------


def test_scenario_json_is_resolved_and_reruns_to_identical_numbers(tmp_path):
    (tmp_path / "story").mkdir()
    (tmp_path / "story" / "parent.toml").write_text(
        'extends = "hardening_conflict"\n' + event(2021, "vendor_policy", "KEN", "banned")
    )
    (tmp_path / "story" / "child.toml").write_text(
        'extends = "parent.toml"\nus_pressure = 0.9\n' + event(2022.5, "regime", "NGA", "trust")
    )
    first = connsim_cmd("run", "story/child.toml", "--until", 2024, "--seed", 7, "--out", "a", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    written = json.loads((tmp_path / "a" / "scenario.json").read_text())
    assert "extends" not in written and len(written["events"]) == 2
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()  # a relative path in the file would resolve differently here
    again = connsim_cmd("run", "../a/scenario.json", "--seed", 7, "--out", "b", cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    for name in ("model_vars.csv", "agent_vars.csv"):
        assert (elsewhere / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes(), name
    assert connsim_cmd("validate", "a/scenario.json", cwd=tmp_path).returncode == 0


def test_json_scenario_files_are_checked_like_toml(tmp_path):
    for text, problem in (
        ('{"us_pressure": 0.5, "us_pressure": 0.7}', "key 'us_pressure' given twice"),
        ("[1, 2]", "got a JSON list"),
        ('{"us_pressure": 3}', "us_pressure: got 3"),
        ("{", "JSON syntax error"),
    ):
        (tmp_path / "s.json").write_text(text)
        with pytest.raises(ScenarioError, match=problem):
            load_scenario(tmp_path / "s.json")


# --- 13. seed tables ------------------------------------------------------------------------------


def _seed_copy(tmp_path: Path) -> Path:
    d = tmp_path / "seeds"
    d.mkdir()
    for p in SEEDS_DIR.glob("*.csv"):
        shutil.copy(p, d / p.name)
    return d


def _set(d: Path, name: str, key: str, value: str, column: str, **where) -> None:
    df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
    mask = np.ones(len(df), bool)
    for col, v in where.items():
        mask &= (df[col] == v).to_numpy()
    df.loc[mask, column] = value
    df.to_csv(d / name, index=False, lineterminator="\n")


@pytest.fixture
def seeds_copy(tmp_path, monkeypatch):
    import connsim.seeds

    d = _seed_copy(tmp_path)
    monkeypatch.setattr(connsim.seeds, "SEEDS_DIR", d)
    yield d
    connsim.seeds._load_cached.cache_clear()


def test_validate_fails_on_corrupt_seeds(seeds_copy, capsys):
    _set(seeds_copy, "countries.csv", "iso3", "1.7", "align_us", iso3="FRA")
    assert cli.main(["validate", "baseline"]) == 2
    err = capsys.readouterr().err
    assert "(seeds) seeds/countries.csv" in err and "column 'align_us': value 1.7 is out of range" in err


@pytest.mark.parametrize(
    "change, problem",
    [
        (("vendors.csv", "0", "high_risk", {}), "no vendor is high-risk"),
        (("vendors.csv", "1", "high_risk", {}), "every vendor is high-risk"),
        (
            ("countries.csv", "1e308", "gdp_usd", {"iso3": "KEN"}),
            "column 'gdp_usd': value 1e308 is out of range; allowed 1..1000000000000000",
        ),
    ],
)
def test_seed_values_that_break_the_rules_are_refused(seeds_copy, capsys, change, problem):
    name, value, column, where = change
    _set(seeds_copy, name, "", value, column, **where)
    with pytest.raises(SeedError, match=problem):
        load_seeds(seeds_copy)
    for command in (["validate", "baseline"], [*map(str, RUN), "--out", str(seeds_copy.parent / "o")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert problem in err and "Traceback" not in err
    assert not (seeds_copy.parent / "o").exists()


def test_seed_values_at_their_bounds_give_finite_outcomes(seeds_copy):
    _set(seeds_copy, "countries.csv", "", "1000000000000000", "gdp_usd", iso3="KEN")
    _set(seeds_copy, "countries.csv", "", "10000000000", "population", iso3="KEN")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        mv = connsim.run("baseline", seed=0, until=2021).model_vars
    assert np.isfinite(mv.select_dtypes("number").to_numpy()).all()


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda line: line + ",extra",
            "seeds/vendors.csv, row 3 (Ericsson), field 10 (after column 'source'): extra field; "
            "the row has 10 fields and the header 9",
        ),
        (
            lambda line: ",".join(line.split(",")[:4]),
            "seeds/vendors.csv, row 3 (Ericsson), column 'core_share_2019': missing field; the row has 4 fields and the header 9",
        ),
    ],
)
def test_ragged_seed_row_is_named_by_its_row_and_column(tmp_path, edit, message):
    d = _seed_copy(tmp_path)
    lines = (d / "vendors.csv").read_text().splitlines()
    assert lines[3].startswith("Ericsson,")
    lines[3] = edit(lines[3])
    (d / "vendors.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SeedError) as info:
        load_seeds(d)
    assert str(info.value) == message + "; allowed one field per column"


# --- 14. messages ---------------------------------------------------------------------------------


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    (tmp_path / "bom.toml").write_bytes(b'\xef\xbb\xbfextends = "baseline"\nus_pressure = 0.7\n')
    assert load_scenario(tmp_path / "bom.toml").us_pressure == 0.7


def test_list_shows_only_scenario_files(library_copy, capsys):
    (library_copy / "evil.toml").mkdir()
    assert "evil" not in list_scenarios()
    assert cli.main(["list"]) == 0
    assert "evil" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "text",
    [
        "beta_policy = 0\nbeta_regime = 0\nbeta_oda = 0\n",
        "beta_policy = 100\nbeta_regime = 100\nbeta_oda = 100\n",
        # offers far below the outside option: exp(-beta * (U - u_outside)) beyond any float
        "beta_oda = 100\n[weights]\nu_outside = 10\n",
    ],
    ids=["beta0", "beta100", "beta100_outside10"],
)
def test_no_runtime_warning_for_extreme_betas(tmp_path, capsys, text):
    (tmp_path / "s.toml").write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a RuntimeWarning would be an exception here
        assert cli.main(["run", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o")]) == 0
    assert "Warning" not in capsys.readouterr().err


def test_logit_is_defined_for_any_beta():
    from connsim.choice import logit_probabilities

    u = np.array([[0.0, 1.0, -np.inf], [2.0, 2.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (underflow to 0 is exact enough)
        for beta in (0.0, 1e6, 1e300, 1e308, math.inf):
            p = logit_probabilities(u, beta)
            assert np.isfinite(p).all() and np.allclose(p.sum(axis=1), 1)
        assert logit_probabilities(u, 0.0).tolist() == [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]]
        assert logit_probabilities(u, 1e308).tolist() == [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]
