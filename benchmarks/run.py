"""connsim's speed, measured as ratios in one process: ``python benchmarks/run.py``.

Prints a table and writes it to ``benchmarks/results.md`` (one section per Python and Mesa
version; a run replaces its own section and keeps the others). What it measures:

1. per agent-step cost of an idiomatic per-agent Mesa model (``models.IdiomaticWorld``), of the
   same rules as a pure-NumPy kernel (``models.Kernel``, checked to give connsim's numbers) and
   of a baseline connsim run (193 states, 48 quarterly steps, agents recorded);
2. growth: 1,000 and 10,000 synthetic third countries, three years (``end_year = 2021``);
3. start-up (model construction, scenario loading) and collection (recorder, frames) shares;
4. peak memory (tracemalloc, and the process's maximum resident set) of the baseline run and of
   the 10,000-country run, each in a fresh process.

Options: ``--quick`` (fewer repetitions), ``--no-write`` (print only).
Timings are the best of several repetitions (the least disturbed by other processes); the
three per agent-step timings are interleaved so that a busy machine slows them alike. Each
timing starts after ``gc.collect()``: a model and its agents form reference cycles, and the
garbage of one measurement (freed only by the cycle collector) should not burden the next.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

T0 = time.perf_counter()
from connsim.seeds import load_seeds  # noqa: E402

COLD_SEEDS = None  # set in main: the first load_seeds() of this process


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def machine() -> dict:
    import mesa
    import scipy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": _dt.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


# --- 1. per agent-step --------------------------------------------------------------------------


def per_agent_step(repeat: int) -> dict:
    import connsim
    from benchmarks.models import IdiomaticWorld, Kernel
    from connsim.scenario import load_scenario

    spec = load_scenario("baseline")
    n_states, n_steps = 193, spec.n_steps
    mesa_steps = 12  # a quarter of the run is plenty to time it
    connsim.run(spec, seed=0)  # warm caches (seeds, prepared world)

    def mesa_run():
        m = IdiomaticWorld(spec, rng=0)
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(mesa_steps):
            m.step()
        return time.perf_counter() - t0

    kernels = []

    def kernel_run():
        k = Kernel(spec, seed=0)  # set-up (untimed)
        gc.collect()
        t0 = time.perf_counter()
        k.run(n_steps)
        kernels.append(k)
        return time.perf_counter() - t0

    t_mesa = t_kernel = t_run = t_steps = t_noagents = t_run_mv = float("inf")
    for _ in range(repeat):  # interleaved
        t_mesa = min(t_mesa, mesa_run())
        t_kernel = min(t_kernel, kernel_run())
        gc.collect()
        t0 = time.perf_counter()
        result = connsim.run(spec, seed=0, keep_model=True)  # model_vars is computed on first use
        t_run = min(t_run, time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        _ = connsim.run(spec, seed=0).model_vars  # every outcome of every step too
        t_run_mv = min(t_run_mv, time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        connsim.run(spec, seed=0, record_agents=False)
        t_noagents = min(t_noagents, time.perf_counter() - t0)
        m = connsim.WorldModel(spec, rng=0)
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n_steps):
            m.step()
        t_steps = min(t_steps, time.perf_counter() - t0)

    # the kernel computes connsim's numbers: same states after the same steps
    st, ks = result.model.state, kernels[-1].state
    same = all(
        np.array_equal(getattr(st, f), getattr(ks, f))
        for f in ("policy", "regime", "threat", "core", "ran", "capacity", "strength")
    )
    us = 1e6 / (n_states * n_steps)
    return {
        "mesa_us": t_mesa * 1e6 / (n_states * mesa_steps),
        "kernel_us": t_kernel * us,
        "connsim_us": t_run * us,
        "connsim_steps_us": t_steps * us,
        "connsim_noagents_us": t_noagents * us,
        "connsim_model_vars_us": t_run_mv * us,
        "run_s": t_run,
        "kernel_same_numbers": bool(same),
    }


# --- 2. growth -----------------------------------------------------------------------------------


def growth(repeat: int) -> dict:
    import connsim
    from connsim.scenario import load_scenario

    out = {}
    base = load_scenario("baseline").replace(end_year=2021)
    for n in (1000, 10000):
        spec = base.replace(synthetic_third_countries=n)
        runs = []
        for _ in range(repeat if n == 1000 else max(1, repeat // 2)):
            gc.collect()
            t0 = time.perf_counter()
            r = connsim.run(spec, seed=0, keep_model=True)
            runs.append(time.perf_counter() - t0)
        st = r.model.state
        out[n] = {
            "s": min(runs),
            "states": st.n,
            "trade_edges": int(st.trade.nnz),
            "bloc_memberships": int(st.blocs.nnz),
            "agent_steps": st.n * spec.n_steps,
        }
    out["ratio"] = out[10000]["s"] / out[1000]["s"]
    return out


# --- 3. start-up and collection ------------------------------------------------------------------


def shares(repeat: int) -> dict:
    import connsim
    from connsim.model import WorldModel
    from connsim.recorder import Recorder
    from connsim.scenario import load_scenario

    spec = load_scenario("baseline")
    t_load = _best(lambda: load_scenario("baseline"), repeat * 5)
    t_build = _best(lambda: WorldModel(spec, rng=0), repeat * 3)
    t_run = _best(lambda: connsim.run(spec, seed=0), repeat)

    # time spent in Recorder.collect during the steps (wrapped), against the whole step
    collect_time = [0.0]
    original = Recorder.collect

    def timed(self, *args):
        t0 = time.perf_counter()
        original(self, *args)
        collect_time[0] += time.perf_counter() - t0

    best_collect, best_steps = float("inf"), float("inf")
    Recorder.collect = timed
    try:
        for _ in range(repeat):
            m = WorldModel(spec, rng=0)
            gc.collect()
            collect_time[0] = 0.0
            t0 = time.perf_counter()
            for _ in range(spec.n_steps):
                m.step()
            steps = time.perf_counter() - t0
            if steps < best_steps:
                best_steps, best_collect = steps, collect_time[0]
    finally:
        Recorder.collect = original
    result = connsim.run(spec, seed=0, keep_model=True)

    def frames():
        rec = result.model.recorder
        rec._model_frame = None  # computed once per step count; time a first request
        rec.model_frame()
        rec.agent_record().frame()

    t_frames = _best(frames, repeat)

    # the one cache of a model's set-up (connsim.world._shared_start): what it buys
    from connsim import world

    def cold_build():
        world._shared_start.cache_clear()  # the whole start: build_world, derive_constants
        WorldModel(spec, rng=0)

    t_cold_build = _best(cold_build, repeat * 3)
    WorldModel(spec, rng=0)
    return {
        "load_scenario_ms": t_load * 1e3,
        "construct_ms": t_build * 1e3,
        "construct_uncached_ms": t_cold_build * 1e3,
        "run_ms": t_run * 1e3,
        "startup_share": t_build / t_run,
        "collect_ms": best_collect * 1e3,
        "decisions_ms": (best_steps - best_collect) * 1e3,
        "frames_ms": t_frames * 1e3,
        "collection_share": (best_collect + t_frames) / (t_run + t_frames),
    }


# --- 4. memory (fresh processes) -----------------------------------------------------------------


def _memory_child(n: int) -> None:
    import resource
    import tracemalloc

    import connsim
    from connsim.scenario import load_scenario

    spec = load_scenario("baseline")
    if n:
        spec = spec.replace(synthetic_third_countries=n, end_year=2021)
    load_seeds()
    connsim.run(load_scenario("baseline").replace(end_year=2019), seed=0)  # imports and caches, outside the trace
    rss_before = _vm_rss_mb()
    tracemalloc.start()
    r = connsim.run(spec, seed=0, keep_model=True)
    _ = r.model_vars, r.agent_vars
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = _vm_rss_mb("VmHWM:")  # peak resident set of this process (ru_maxrss may carry the parent's over fork)
    if hwm != hwm:
        hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "tracemalloc_peak_mb": peak / 2**20,
                "max_rss_mb": hwm,
                "rss_before_mb": rss_before,
                "states": r.model.state.n,
                "steps": spec.n_steps,
            }
        )
    )


def _vm_rss_mb(key: str = "VmRSS:") -> float:
    """Resident set of this process now (``VmRSS``) or its peak (``VmHWM``), MB (Linux); nan elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def memory() -> dict:
    out = {}
    for n in (0, 10000):
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(n)],
            capture_output=True,
            text=True,
            check=True,
            cwd=str(ROOT),
        )
        out[n] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# --- report --------------------------------------------------------------------------------------


def report(info: dict, pas: dict, gr: dict, sh: dict, mem: dict, cold: float) -> str:
    mesa_x = pas["mesa_us"] / pas["connsim_us"]
    mesa_mv_x = pas["mesa_us"] / pas["connsim_model_vars_us"]
    kern_x = pas["connsim_us"] / pas["kernel_us"]
    ok = lambda c: "yes" if c else "NO"  # noqa: E731
    lines = [
        f"## Python {info['python']}, Mesa {info['mesa']}",
        "",
        f"{info['date']}; {info['nproc']} cores, {info['cpu']}; numpy {info['numpy']}, scipy {info['scipy']}.",
        "Best of several repetitions; ratios measured in one process.",
        "",
        "### Per agent-step (baseline: 193 states, 48 quarterly steps)",
        "",
        "| model | µs per agent-step |",
        "|---|---:|",
        f"| idiomatic per-agent Mesa model (`benchmarks/models.py`: `IdiomaticWorld`) | {pas['mesa_us']:.1f} |",
        f"| pure-NumPy kernel of the same rules (`Kernel`, no Mesa / WorldModel / recorder) | {pas['kernel_us']:.2f} |",
        f"| connsim, whole run (`connsim.run`: construction, steps, recording every agent) | {pas['connsim_us']:.2f} |",
        f"| connsim, whole run and its `model_vars` (every outcome of every step, computed on first use) | {pas['connsim_model_vars_us']:.2f} |",
        f"| connsim, steps only (with recording) | {pas['connsim_steps_us']:.2f} |",
        f"| connsim, whole run, `record_agents=False` | {pas['connsim_noagents_us']:.2f} |",
        "",
        "| ratio | value | target | met |",
        "|---|---:|---:|:---:|",
        f"| Mesa / connsim (whole run) | {mesa_x:.1f}x | >= 10x | {ok(mesa_x >= 10)} |",
        f"| Mesa / connsim (whole run and `model_vars`; Mesa's DataCollector works during its steps) | {mesa_mv_x:.1f}x | >= 10x | {ok(mesa_mv_x >= 10)} |",
        f"| connsim (whole run) / kernel | {kern_x:.2f}x | <= 3x | {ok(kern_x <= 3)} |",
        f"| kernel gives connsim's numbers (states equal after 48 steps) | {pas['kernel_same_numbers']} | True | {ok(pas['kernel_same_numbers'])} |",
        "",
        "### Growth: synthetic third countries, three years (12 steps, agents recorded)",
        "",
        "| extra countries | states | trade edges | bloc memberships | run (s) | µs per agent-step |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in (1000, 10000):
        g = gr[n]
        lines.append(
            f"| {n:,} | {g['states']:,} | {g['trade_edges']:,} | {g['bloc_memberships']:,} | {g['s']:.3f} | {g['s'] * 1e6 / g['agent_steps']:.2f} |"
        )
    lines += [
        "",
        f"10,000 / 1,000 time ratio: **{gr['ratio']:.1f}x** (target <= 12x: {ok(gr['ratio'] <= 12)}); "
        f"10,000-country three-year run: **{gr[10000]['s']:.2f} s** (target well under 20 s: {ok(gr[10000]['s'] < 20)}).",
        "",
        "### Start-up and collection (baseline)",
        "",
        "| | ms | share |",
        "|---|---:|---:|",
        f"| first `load_seeds()` of a process (read and validate the seed tables; cached) | {cold * 1e3:.1f} | once per process |",
        f'| `load_scenario("baseline")` (TOML + validation) | {sh["load_scenario_ms"]:.2f} | |',
        f"| model construction (`WorldModel(...)`) | {sh['construct_ms']:.2f} | {sh['startup_share']:.0%} of a run |",
        f"| model construction without the set-up cache (vendor calibration redone) | {sh['construct_uncached_ms']:.2f} | the cache buys {sh['construct_uncached_ms'] - sh['construct_ms']:.2f} ms a run |",
        f"| whole run (`connsim.run`) | {sh['run_ms']:.2f} | |",
        f"| decisions during the steps | {sh['decisions_ms']:.2f} | |",
        f"| recording during the steps (`Recorder.collect`) | {sh['collect_ms']:.2f} | {sh['collect_ms'] / sh['decisions_ms']:.2f}x the decisions |",
        f"| building `model_vars` (computing every outcome of every step) + `agent_vars` once at the end | {sh['frames_ms']:.2f} | |",
        f"| all collection (recording + frames) | {sh['collect_ms'] + sh['frames_ms']:.2f} | {sh['collection_share']:.0%} of run + frames |",
        "",
        "### Peak memory (each in a fresh process; run plus both frames)",
        "",
        "| run | states x steps | tracemalloc peak of the run (MB) | process resident set before the run (MB) | process peak resident set (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| baseline | {mem[0]['states']} x {mem[0]['steps']} | {mem[0]['tracemalloc_peak_mb']:.1f} | {mem[0]['rss_before_mb']:.0f} | {mem[0]['max_rss_mb']:.0f} |",
        f"| 10,000 extra countries, 3 years | {mem[10000]['states']:,} x {mem[10000]['steps']} | {mem[10000]['tracemalloc_peak_mb']:.1f} | {mem[10000]['rss_before_mb']:.0f} | {mem[10000]['max_rss_mb']:.0f} |",
        "",
        "The resident set before the run is the interpreter with numpy, scipy, pandas and Mesa imported "
        "and the seeds loaded; tracemalloc counts what the run itself allocates (Python and numpy).",
        "",
    ]
    return "\n".join(lines)


def write_results(section: str, info: dict, path: Path = HERE / "results.md") -> None:
    head = "# connsim benchmark results\n\nWritten by `python benchmarks/run.py` (one section per Python and Mesa version).\n\n"
    sections: dict[str, str] = {}
    if path.exists():
        text = path.read_text()
        for part in text.split("\n## ")[1:]:
            title = part.splitlines()[0]
            sections[title] = "## " + part.rstrip() + "\n"
    sections[section.splitlines()[0][3:]] = section.rstrip() + "\n"
    path.write_text(head + "\n".join(sections[k] for k in sorted(sections)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write results.md")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child is not None:
        _memory_child(args.memory_child)
        return 0
    t0 = time.perf_counter()
    load_seeds()
    cold = time.perf_counter() - t0
    repeat = 3 if args.quick else 7
    info = machine()
    pas = per_agent_step(repeat)
    gr = growth(2 if args.quick else 3)
    sh = shares(repeat)
    mem = memory()
    text = report(info, pas, gr, sh, mem, cold)
    print(text)
    if not args.no_write:
        write_results(text, info)
        print(f"written to {HERE / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
