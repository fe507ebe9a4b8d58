"""The command line under random argument combinations and random files (issue 9).

Whatever the arguments and files, ``connsim`` exits with 0 or 2 (or argparse's 0 for --help),
never with a traceback or a RuntimeWarning; a refused command writes nothing; no command deletes
or changes a file it did not write, and none leaves a staging folder behind. Most examples run
the command's ``main()`` in this process (fast); a few run ``python -m connsim`` itself.

``--out`` is drawn only from folders inside the example's own temporary folder (and ``.``,
``..``), so that a bug could never reach anything else.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connsim import cli
from connsim.scenario import list_scenarios

LIBRARY = sorted(list_scenarios())

SNIPPETS = [
    'extends = "baseline"\n',
    "us_pressure = 0.7\n",
    'extends = "baseline"\nus_china_conflict = { 2019 = 0.5, 2023 = 0.9 }\n',
    "us_pressure = 1.5\n",
    'extends = "f1.toml"\n',
    'extends = "f0.toml"\n',
    'extends = "/etc/passwd"\n',
    'extends = "nowhere.toml"\n',
    "end_year = 2021\n",
    "start_year = 2025\nend_year = 2020\n",
    "synthetic_third_countries = 60000\nend_year = 2019\n",
    "synthetic_third_countries = 20\nend_year = 2020\n",
    'us_china_conflict = { 2019 = 0.5, "02019" = 0.9 }\n',
    "beta_policy = 0\nbeta_oda = 0\n",
    '[[events]]\nyear = 2021\nkind = "vendor_policy"\niso3 = "KEN"\nvalue = "banned"\n',
    '[[events]]\nyear = 2030.9\nkind = "vendor_policy"\niso3 = "KEN"\nvalue = "banned"\n',
    '[[events]]\nyear = 2021\nkind = "regime"\niso3 = "USA"\nvalue = "open"\n',
    '[[events]]\nyear = 2020\nkind = "conflict_shock"\nvalue = 0.3\nhold_years = -1\n',
    "[weights]\nw_us = 0.4\n",
    "[weights]\nw_uss = 1\n",
    "x = = 1\n",
    "\ufeffus_pressure = 0.6\n",
    "name = 3\n",
]
file_st = st.one_of(
    st.lists(st.sampled_from(SNIPPETS), max_size=3).map(lambda parts: "".join(parts).encode()),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace")),
    st.just(json.dumps({"us_pressure": 0.6, "name": "j"}).encode()),
)
OUTS = ["o", "o/deep/er", ".", "..", "f0.toml", "mine", "earlier"]
ref_st = st.one_of(
    st.sampled_from(
        [*LIBRARY, "f0.toml", "f1.toml", "f2.json", "missing.toml", "../f0.toml", "mine", "baselin", "f0", "mine/thesis.txt"]
    ),
    st.text(max_size=12),
)
value_st = st.one_of(st.sampled_from(["0", "1", "2", "2020", "2021", "2031", "2035", "-1", "x", ""]), st.text(max_size=6))
option_st = st.one_of(
    st.tuples(st.sampled_from(["--seed", "--seeds", "--until"]), value_st),
    st.tuples(st.just("--out"), st.sampled_from(OUTS)),
    st.tuples(st.just("--format"), st.sampled_from(["csv", "parquet", "xlsx"])),
    st.sampled_from(["--overwrite", "--changed", "--json", "--no-progress", "--bogus", "-h"]).map(lambda o: (o,)),
)
noise_st = st.builds(  # anything at all
    lambda command, refs, options: [*command, *refs, *(x for o in options for x in o)],
    st.sampled_from([["list"], ["validate"], ["show"], ["run"], ["compare"], [], ["runn"], ["--version"]]),
    st.lists(ref_st, max_size=3),
    st.lists(option_st, max_size=4),
)
good_ref_st = st.sampled_from([*LIBRARY[:4], "baseline", "baseline", "f0.toml", "f1.toml", "f2.json"])
maybe = lambda strategy: st.one_of(st.just(()), strategy)  # noqa: E731
run_st = st.builds(  # mostly well-formed runs, so that writing and --overwrite are exercised
    lambda ref, seed, until, out, overwrite, fmt: ["run", ref, *seed, *until, *out, *overwrite, *fmt],
    good_ref_st,
    maybe(st.tuples(st.just("--seed"), st.sampled_from(["0", "3", "7", "-1"]))),
    st.tuples(st.just("--until"), st.sampled_from(["2020", "2020", "2021", "2019"])),
    maybe(st.tuples(st.just("--out"), st.sampled_from(OUTS))),
    maybe(st.just(("--overwrite",))),
    maybe(st.just(("--format", "parquet"))),
)
compare_st = st.builds(
    lambda refs, out, overwrite: ["compare", *refs, "--seeds", "1", "--until", "2020", *out, *overwrite],
    st.lists(good_ref_st, min_size=1, max_size=3),
    maybe(st.tuples(st.just("--out"), st.sampled_from(OUTS))),
    maybe(st.just(("--overwrite",))),
)
check_st = st.builds(
    lambda command, refs, flags: [command, *refs, *flags],
    st.sampled_from(["validate", "show"]),
    st.lists(good_ref_st, min_size=1, max_size=2),
    st.lists(st.sampled_from(["--json", "--changed"]), max_size=1),
)
argv_st = st.one_of(noise_st, run_st, run_st, compare_st, check_st)


def _setup(folder: Path, files: list[bytes]) -> None:
    for i, raw in enumerate(files):
        (folder / (f"f{i}.toml" if i < 2 else f"f{i}.json")).write_bytes(raw)
    (folder / "mine").mkdir()
    (folder / "mine" / "thesis.txt").write_text("chapter 1")
    earlier = folder / "earlier"
    earlier.mkdir()
    (earlier / "summary.txt").write_text("old")
    (earlier / "run.json").write_text(json.dumps({"written_by": "connsim", "kind": "run", "files": ["summary.txt", "run.json"]}))


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


def _check(argv: list[str], status, err: str, out: str, before: dict, after: dict) -> None:
    assert status in (0, 2), (argv, status, err)
    assert "Traceback" not in err and "Warning" not in err, (argv, err)
    assert not any(".partial-" in name or ".old-" in name for name in after), (argv, sorted(after))
    mine = {k: v for k, v in before.items() if not k.startswith("earlier") and not k.startswith("o")}
    assert {k: after.get(k) for k in mine} == mine, (argv, "a file connsim did not write was changed or deleted")
    if status == 2:
        assert err.strip(), argv
        assert after == before, (argv, "a refused command writes nothing")
        if argv and argv[0] in ("run", "compare", "show"):
            assert out == "", argv
    written = {k.split("/")[0] for k in after} - {k.split("/")[0] for k in before}
    for top in written:  # every new folder is a complete connsim result
        result = next((k for k in after if k.endswith("run.json") and k.startswith(top)), None)
        assert result is not None and json.loads(after[result])["written_by"] == "connsim", (argv, sorted(after))


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(argv_st, st.lists(file_st, min_size=3, max_size=3))
def test_fuzz_command_line_in_process(argv, files):
    with tempfile.TemporaryDirectory() as base:
        folder = Path(base) / "work"
        folder.mkdir()
        _setup(folder, files)
        before = _snapshot(folder)
        out, err = io.StringIO(), io.StringIO()
        with (
            contextlib.chdir(folder),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("error", RuntimeWarning)
            try:
                status = cli.main(argv)
            except SystemExit as e:  # argparse: --help, --version, usage errors
                status = e.code
        assert os.listdir(base) == ["work"], "nothing is written beside the example's folder"
        _check(argv, status, err.getvalue(), out.getvalue(), before, _snapshot(folder))


def _process(argv: list[str], files: list[bytes]):
    with tempfile.TemporaryDirectory() as base:
        folder = Path(base) / "work"
        folder.mkdir()
        _setup(folder, files)
        before = _snapshot(folder)
        proc = subprocess.run([sys.executable, "-m", "connsim", *argv], cwd=folder, capture_output=True, text=True, timeout=300)
        return argv, proc.returncode, proc.stderr, proc.stdout, before, _snapshot(folder)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(argv_st, min_size=4, max_size=4), st.lists(file_st, min_size=3, max_size=3))
def test_fuzz_command_line_through_the_process(argvs, files):
    with ThreadPoolExecutor(max_workers=4) as pool:
        for argv, status, err, out, before, after in pool.map(lambda a: _process(a, files), argvs):
            _check(argv, status, err, out, before, after)
