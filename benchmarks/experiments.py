"""The experiments machinery's speed and memory: ``python benchmarks/experiments.py``.

Prints a table and writes it to ``benchmarks/experiments.md`` (``--no-write``: print only).
Parts (``--part``, default all):

``overhead``  what the machinery adds to a run: a plain loop of ``connsim.run(...).model_vars``
              against ``run_ensemble`` serially in memory and serially into a Parquet store, on
              the same 2019-2025 baseline runs (interleaved, best of ``--repeat``). Also what a
              run costs inside the core: construction, steps and its outcome frame.
``scaling``   throughput of ``workers=2`` against one worker (serial, in this process) on a
              200-run ensemble of the whole baseline (2019-2030), the pool's start-up included;
              and, interleaved with it, a control: two independent plain-loop processes at once
              against one, which is what the (possibly shared) machine gives in parallel.
``sobol``     a Sobol analysis of 10 levers at N=1024 (22,528 runs) of the 2019-2025 baseline
              with ``workers=2`` and a store, in a fresh process: wall time, peak memory of the
              main process and of a worker, and where the time goes (the runs' own time,
              summed in the workers, against the wall time x workers).

The machine may be shared: the table states the load average before and after each part.
``--quick`` shrinks every part (for trying the script, not for figures).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import connsim  # noqa: E402

#: the 10 levers of the Sobol benchmark and their ranges (within the schema's)
SOBOL_LEVERS = {
    "us_china_conflict": (0.2, 1.0),
    "us_pressure": (0.2, 1.0),
    "eu_toolbox_strength": (0.0, 1.0),
    "japan_vendor_push": (0.0, 1.0),
    "digital_silk_road_intensity": (0.5, 2.0),
    "adequacy_openness": (0.0, 0.1),
    "dfft_multilateral_push": (0.0, 1.0),
    "eu_jp_oda_coordination": (0.0, 1.0),
    "open_connected_ring": (0.0, 1.0),
    "beta_regime": (1.0, 8.0),
}


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# --- overhead ---------------------------------------------------------------------------------------


def overhead(runs: int, repeat: int) -> dict:
    from connsim.model import WorldModel

    spec = connsim.load_scenario("baseline").replace(end_year=2025)
    seeds = connsim.experiments.spawn_seeds(0, runs)
    _ = connsim.run(spec, seed=0, record_agents=False).model_vars  # warm the caches of this process
    tmp = Path(tempfile.mkdtemp(prefix="connsim-bench-"))

    def loop():
        for s in seeds:
            _ = connsim.run(spec, seed=s, record_agents=False).model_vars

    def memory():
        connsim.run_ensemble(spec, replications=runs)

    def store():
        out = tmp / f"s{time.perf_counter_ns()}"
        connsim.run_ensemble(spec, replications=runs, out=out)
        shutil.rmtree(out)

    times = {"loop": float("inf"), "memory": float("inf"), "store": float("inf")}
    for _ in range(repeat):  # interleaved, so that a busy machine slows each alike
        for name, fn in (("loop", loop), ("memory", memory), ("store", store)):
            times[name] = min(times[name], _best(fn, 1))
    shutil.rmtree(tmp, ignore_errors=True)
    # inside the core: construction, steps, the outcome frame
    parts = {"construction": 0.0, "steps": 0.0, "frame": 0.0}
    for s in seeds[: min(runs, 60)]:
        t0 = time.perf_counter()
        m = WorldModel(spec, rng=s, record_agents=False)
        t1 = time.perf_counter()
        for _ in range(m.n_steps):
            m.step()
        t2 = time.perf_counter()
        m.recorder.model_frame()
        t3 = time.perf_counter()
        parts["construction"] += t1 - t0
        parts["steps"] += t2 - t1
        parts["frame"] += t3 - t2
    n = min(runs, 60)
    return {
        "runs": runs,
        "ms_per_run": {k: 1e3 * v / runs for k, v in times.items()},
        "core_ms": {k: 1e3 * v / n for k, v in parts.items()},
        "steps": spec.n_steps,
    }


# --- scaling ----------------------------------------------------------------------------------------


CONTROL = """
import sys, time
sys.path.insert(0, {root!r})
import connsim
spec = connsim.load_scenario("baseline")
connsim.run(spec, seed=0, record_agents=False).model_vars
print("ready", flush=True)
sys.stdin.readline()
t = time.perf_counter()
for s in range({runs}):
    connsim.run(spec, seed=s, record_agents=False).model_vars
print(time.perf_counter() - t, flush=True)
"""


def _control(runs: int, n: int) -> float:
    """Seconds for ``n`` independent plain-loop processes to do ``runs`` runs each at once (the
    slowest): what the machine gives this work in parallel right now, without connsim's machinery."""
    code = CONTROL.format(root=str(ROOT), runs=runs)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(n)
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    times = [float(p.stdout.readline()) for p in procs]
    for p in procs:
        p.wait()
    return max(times)


def scaling(runs: int, repeat: int) -> dict:
    spec = connsim.load_scenario("baseline")
    _ = connsim.run(spec, seed=0, record_agents=False).model_vars
    one = two = c1 = c2 = float("inf")
    for _ in range(repeat):  # interleaved with the control, so that each sees the same machine
        one = min(one, _best(lambda: connsim.run_ensemble(spec, replications=runs), 1))
        two = min(two, _best(lambda: connsim.run_ensemble(spec, replications=runs, workers=2), 1))
        c1 = min(c1, _control(runs // 2, 1))
        c2 = min(c2, _control(runs // 2, 2))
    return {
        "runs": runs,
        "one_s": one,
        "two_s": two,
        "speedup": one / two,
        "steps": spec.n_steps,
        "control_one_s": c1,
        "control_two_s": c2,
        "machine_parallelism": 2 * c1 / c2,
    }


# --- sobol ------------------------------------------------------------------------------------------


def sobol_child(n: int, out: str) -> dict:
    """In a fresh process: the Sobol analysis, its time, memory and where the time went."""
    spec = connsim.load_scenario("baseline")
    t0 = time.perf_counter()
    sa = connsim.sensitivity(
        spec, levers=SOBOL_LEVERS, outcome="trusted_regimes_share_third", method="sobol", n=n, until=2026, workers=2, out=out
    )
    wall = time.perf_counter() - t0
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    run_seconds = sum(b.get("seconds", 0.0) for b in manifest["batches"])
    files = len(list((Path(out) / "model_vars").glob("part-*.parquet")))
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    top = sa.indices[sa.indices["index"] == "ST"].sort_values("value", ascending=False).head(3)
    return {
        "n": n,
        "levers": len(SOBOL_LEVERS),
        "runs": sa.ensemble.n_runs,
        "wall_s": wall,
        "run_s_in_workers": run_seconds,
        "files": files,
        "store_mib": size / 2**20,
        "rss_main_mib": me,
        "rss_worker_mib": kids,
        "top_ST": [(r.lever, round(r.value, 3)) for r in top.itertuples()],
    }


def sobol(n: int) -> dict:
    out = tempfile.mkdtemp(prefix="connsim-sobol-")
    shutil.rmtree(out)
    try:
        proc = subprocess.run([sys.executable, __file__, "--child-sobol", str(n), out], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-3000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(out, ignore_errors=True)


# --- report -----------------------------------------------------------------------------------------


def report(res: dict) -> str:
    import mesa

    lines = [
        f"## {platform.python_implementation()} {platform.python_version()}, Mesa {mesa.__version__}, "
        f"{_dt.date.today().isoformat()}",
        "",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}); load average "
        "(1 / 5 / 15 min) before and after each part is given, since the machine may be shared.",
        "",
    ]
    if "overhead" in res:
        o = res["overhead"]
        ms = o["ms_per_run"]
        lines += [
            f"### Overhead of the ensemble machinery ({o['runs']} runs of the 2019-2025 baseline, {o['steps']} steps, "
            f"serial, best of interleaved repeats; load {o['load']})",
            "",
            "| per run | ms | against the plain loop |",
            "|---|---:|---:|",
            f"| plain loop: `connsim.run(...).model_vars` | {ms['loop']:.2f} | 1.00x |",
            f"| `run_ensemble`, in memory | {ms['memory']:.2f} | {ms['memory'] / ms['loop']:.3f}x |",
            f"| `run_ensemble`, Parquet store (`out=`) | {ms['store']:.2f} | {ms['store'] / ms['loop']:.3f}x |",
            "",
            f"Inside the core, per run: construction {o['core_ms']['construction']:.2f} ms, steps "
            f"{o['core_ms']['steps']:.2f} ms, outcome frame {o['core_ms']['frame']:.2f} ms.",
            "",
        ]
    if "scaling" in res:
        s = res["scaling"]
        lines += [
            f"### Two workers against one ({s['runs']} runs of the whole baseline, {s['steps']} steps; load {s['load']})",
            "",
            "| | wall s | runs/s |",
            "|---|---:|---:|",
            f"| one worker (serial, in the main process) | {s['one_s']:.2f} | {s['runs'] / s['one_s']:.1f} |",
            f"| `workers=2` (pool start-up included) | {s['two_s']:.2f} | {s['runs'] / s['two_s']:.1f} |",
            f"| **throughput ratio** | | **{s['speedup']:.2f}x** |",
            "",
            f"Control, measured interleaved with it: two independent processes each running a plain loop of "
            f"{s['runs'] // 2} runs at once (no ensemble machinery) took {s['control_two_s']:.2f} s, one alone "
            f"{s['control_one_s']:.2f} s: the machine gave this work **{s['machine_parallelism']:.2f}x** in parallel "
            f"then, so `workers=2` reached {s['speedup'] / s['machine_parallelism']:.0%} of what two processes could.",
            "",
        ]
    if "sobol" in res:
        b = res["sobol"]
        eff = b["run_s_in_workers"] / (2 * b["wall_s"])
        lines += [
            f"### Sobol: {b['levers']} levers, N={b['n']}, {b['runs']:,} runs of the 2019-2025 baseline, `workers=2`, "
            f"Parquet store (load {b['load']})",
            "",
            "| | |",
            "|---|---:|",
            f"| wall time | **{b['wall_s']:.0f} s ({b['wall_s'] / 60:.2f} min)** |",
            f"| runs' own time, summed over the workers | {b['run_s_in_workers']:.0f} s "
            f"({1e3 * b['run_s_in_workers'] / b['runs']:.2f} ms per run) |",
            f"| share of 2 x wall spent in runs | {eff:.1%} |",
            f"| peak resident memory, main process | {b['rss_main_mib']:.0f} MiB |",
            f"| peak resident memory, largest worker | {b['rss_worker_mib']:.0f} MiB |",
            f"| store on disk | {b['files']} Parquet files, {b['store_mib']:.1f} MiB |",
            f"| largest total-order indices | {', '.join(f'{k} {v}' for k, v in b['top_ST'])} |",
            "",
            f"Under 2 minutes on 2 workers needs {120 * 2 * 1e3 / b['runs']:.1f} ms per run in all.",
            "",
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("overhead", "scaling", "sobol", "all"), default="all")
    ap.add_argument("--quick", action="store_true", help="small sizes, to try the script (not for figures)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--child-sobol", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_sobol:
        print(json.dumps(sobol_child(int(args.child_sobol[0]), args.child_sobol[1])))
        return 0
    parts = ("overhead", "scaling", "sobol") if args.part == "all" else (args.part,)
    res = {}
    for part in parts:
        before = _load()
        if part == "overhead":
            res[part] = overhead(40 if args.quick else 200, 2 if args.quick else 3)
        elif part == "scaling":
            res[part] = scaling(40 if args.quick else 200, 1 if args.quick else 3)
        else:
            res[part] = sobol(16 if args.quick else 1024)
        res[part]["load"] = f"{before} -> {_load()}"
        print(f"{part}: {res[part]}", flush=True)
    text = report(res)
    print("\n" + text)
    if not args.no_write and not args.quick:
        path = HERE / "experiments.md"
        head = (
            "# Experiments benchmarks\n\nWritten by `python benchmarks/experiments.py` (see its docstring). "
            "Each run appends its section; older sections are kept for comparison.\n\n"
        )
        old = path.read_text().split("\n", 3)[-1] if path.exists() else ""
        old = old[old.find("## ") :] if "## " in old else ""
        path.write_text(head + text + "\n" + (old and "\n" + old))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
