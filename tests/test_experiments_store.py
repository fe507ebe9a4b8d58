"""Nothing lost: a real ensemble process killed with SIGKILL mid-way resumes to the clean result.

The ensemble runs in a subprocess (its own process group: its worker processes die with it),
writing batches of 5 runs; once the manifest lists some batches the whole group is killed.
Resuming in this process must run only what was not kept and give frames equal to a clean
serial ensemble.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import connsim

ROOT = Path(__file__).resolve().parents[1]
RUNS = 150  # 2 scenarios x 75 replications, 2019-2021, about 6 ms each


def _args():
    base = connsim.load_scenario("baseline")
    hard = base.replace(name="hard", us_china_conflict={2019: 0.5, 2021: 0.9})
    return dict(scenarios=[base, hard], replications=RUNS // 2, seed=7, until=2022)


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import connsim
    from tests.test_experiments_store import _args
    connsim.run_ensemble(**_args(), out=sys.argv[1], batch_size=5, workers={workers})
""")


def _batches(out: Path) -> int:
    try:
        return len(json.loads((out / "manifest.json").read_text())["batches"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_mid_ensemble_then_resume_equals_a_clean_run(tmp_path, workers):
    out = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT), workers=workers), str(out)],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while _batches(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the ensemble and its workers, as a crash would
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    kept = manifest["status"]["done"]
    assert 0 < kept < RUNS, "the kill must land mid-way for this test to mean anything"

    resumed = connsim.run_ensemble(**_args(), out=out)
    assert resumed.runs_executed == RUNS - kept
    clean = connsim.run_ensemble(**_args())
    pd.testing.assert_frame_equal(resumed.model_vars, clean.model_vars)
    pd.testing.assert_frame_equal(resumed.experiments, clean.experiments)
    files = sorted((out / "model_vars").iterdir())
    assert all(p.name.startswith("part-") and p.suffix == ".parquet" for p in files)  # no half-written leftovers
    assert len(files) < RUNS / 4  # batches, not a file per run
