"""Memory of a run per 1,000 synthetic third countries: the basis of ``MAX_STATE_STEPS``.

Each measurement is a fresh process's peak resident memory (``ru_maxrss``) for one run of the
baseline (48 quarterly steps, so 49 recorded steps) with N synthetic third countries added:

* ``agents``: ``connsim.run(..., record_agents=True)`` (the default; the recorder preallocates
  ``(steps + 1, states)`` arrays and the per-state utility terms);
* ``no agents``: ``record_agents=False`` (what ``connsim compare`` does);
* ``cli``: ``connsim run`` itself (the above, then the frames, the plot and the CSV files).

The cost per 1,000 states is the slope between the two largest worlds (the interpreter and
the libraries, about 170 MB, cancel out). Usage: ``python benchmarks/memory.py [N1 N2 ...]``.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

STEPS = 49  # recorded steps of the baseline: 48 quarters and the start

CHILD = """
import resource, sys, connsim
n, agents = int(sys.argv[1]), sys.argv[2] == "1"
r = connsim.run(connsim.load_scenario("baseline").replace(synthetic_third_countries=n), seed=0, record_agents=agents)
r.model_vars
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_mb(command: list[str], cwd: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True).stdout
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if last.isdigit():
        return int(last) / 1024  # ru_maxrss is in KiB on Linux
    return max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def measure(sizes: list[int]) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {"agents": [], "no agents": [], "cli": []}
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            rows["agents"].append(_peak_mb([sys.executable, "-c", CHILD, str(n), "1"], d))
            rows["no agents"].append(_peak_mb([sys.executable, "-c", CHILD, str(n), "0"], d))
            Path(d, f"s{n}.toml").write_text(f'extends = "baseline"\nsynthetic_third_countries = {n}\n')
            # the CLI's peak: the child's own ru_maxrss via a wrapper process
            wrapper = (
                "import resource, subprocess, sys; subprocess.run([sys.executable, '-m', 'connsim', 'run', "
                f"'s{n}.toml', '--out', 'o{n}'], check=True, capture_output=True); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
            )
            rows["cli"].append(_peak_mb([sys.executable, "-c", wrapper], d))
    return rows


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [0, 5000, 20000]
    rows = measure(sizes)
    a, b = sizes[-2], sizes[-1]
    print(f"peak resident memory (MB) of one baseline run ({STEPS} recorded steps) with N synthetic states")
    print(f"{'':>10}" + "".join(f"{n:>10}" for n in sizes) + f"{'MB/1000':>10}{'MB/1000 state-steps':>22}")
    for name, mb in rows.items():
        slope = (mb[-1] - mb[-2]) / (b - a) * 1000
        print(f"{name:>10}" + "".join(f"{m:>10.0f}" for m in mb) + f"{slope:>10.1f}{slope / STEPS:>22.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
