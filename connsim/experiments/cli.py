"""The command line of experiments: ``connsim ensemble | sweep | sensitivity | discover``.

Each keeps its runs in ``--out DIR`` as they finish (the default folder is named after the
command and a digest of its arguments, so the same command finds its own folder): running the
same command again resumes, a different one in the same folder is refused. Every argument is
checked before anything runs; a mistake is one line on stderr and exit status 2.

Exit status: 0 every run finished; 2 a user error (nothing ran); 3 some runs failed (the others
are kept and their results written; the same command retries the failed ones); 130 interrupted
(finished runs are kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import warnings
from pathlib import Path

from connsim import cli as base

__all__ = ["register"]

EXIT_RUNS_FAILED = 3

EPILOG = """\
exit status: 0 every run finished, 2 a user error (nothing ran), 3 some runs failed (the others are
kept and written; run the same command again to retry them), 130 interrupted (finished runs are
kept; run the same command again to resume)."""

LEVER_HELP = (
    "a lever, behaviour parameter or weight and its values: NAME=LO:HI (a range) or NAME=V1,V2,... "
    "(values), e.g. us_china_conflict=0.2:1.0, eu_japan_cooperation=none,beyond_bilateral, w_peer=0:0.5; "
    "repeat for several"
)


def register(sub) -> None:
    """Add the four subcommands to ``connsim``'s subparsers."""
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "ensemble",
        help="many runs of scenarios, kept on disk, resumable",
        formatter_class=raw,
        epilog=EPILOG,
        description="Run each SCENARIO with R replications (seeds spawned from --seed; replication r of every\n"
        "scenario has the same seed). Runs are appended to --out as they finish (Parquet in batches,\n"
        "manifest.json); the same command again resumes. Writes to --out:\n"
        "  manifest.json, experiments.parquet, model_vars/part-*.parquet   the store\n"
        "  ends.csv        end-of-run outcomes of every run, with its scenario, seed and status\n"
        "  summary.txt     median and 5%-95% over runs per scenario (printed too)\n"
        "  fan_chart.png   median and 50% / 90% bands over runs of key outcomes",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    _common(p)
    p.add_argument("--agents", action="store_true", help="record agent-level frames too (agent_vars/, large)")
    p.add_argument("--outcome", action="append", metavar="NAME", help="keep only this outcome (repeat for several; default all)")
    p.set_defaults(func=cmd_ensemble)

    p = sub.add_parser(
        "sweep",
        help="a factorial or Latin-hypercube design over levers",
        formatter_class=raw,
        epilog=EPILOG,
        description="Run SCENARIO over a design of lever values (--lever, repeated), each point R times.\n"
        "Writes the store to --out, with ends.csv (one row per run: its lever values and\n"
        "end-of-run outcomes), summary.txt and fan_chart.png.",
    )
    p.add_argument("scenario", metavar="SCENARIO")
    _levers(p, required=True)
    p.add_argument(
        "--design", choices=("factorial", "lhs"), default="factorial", help="factorial (default) or lhs (Latin hypercube)"
    )
    p.add_argument(
        "--n",
        type=base._whole_number(1, "a number of points"),
        metavar="N",
        help="levels per range (factorial) or design points (lhs)",
    )
    _common(p)
    p.add_argument("--outcome", action="append", metavar="NAME", help="keep only this outcome (repeat; default all)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris sensitivity of an outcome (SALib)",
        formatter_class=raw,
        epilog=EPILOG,
        description="Sobol indices (S1, ST, S2) or Morris elementary effects (mu*, sigma) of --outcome to the\n"
        "ranges of the --lever NAME=LO:HI given. Sobol runs N*(2k+2) scenarios for k levers (N a\n"
        "power of two). Writes indices.csv, summary.txt and sensitivity.png to --out with the store.",
    )
    p.add_argument("scenario", metavar="SCENARIO")
    _levers(p, required=True)
    p.add_argument("--outcome", required=True, metavar="NAME", help="the model_vars column analysed")
    p.add_argument("--year", type=float, metavar="YEAR", help="the step year analysed (default: the end of the run)")
    p.add_argument("--method", choices=("sobol", "morris"), default="sobol", help="sobol (default) or morris")
    p.add_argument(
        "--n",
        type=base._whole_number(1, "a sample size"),
        metavar="N",
        help="Sobol base sample (power of two, default 256) or Morris trajectories (default 16)",
    )
    p.add_argument(
        "--levels",
        type=base._whole_number(2, "a number of levels"),
        default=4,
        metavar="L",
        help="Morris grid levels (default 4)",
    )
    p.add_argument("--no-second-order", action="store_true", help="Sobol without S2 (N*(k+2) runs)")
    _common(p)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser(
        "discover",
        help="PRIM scenario discovery over a sweep (EMA Workbench)",
        formatter_class=raw,
        epilog=EPILOG,
        description="Sweep SCENARIO over the --lever ranges (Latin hypercube by default), then find with PRIM the\n"
        "box of lever values where --outcome is --above (or --below) a value. Needs connsim[ema].\n"
        "Writes boxes.csv, trajectory.csv, ends.csv, summary.txt and discovery.png to --out.",
    )
    p.add_argument("scenario", metavar="SCENARIO")
    _levers(p, required=True)
    p.add_argument("--design", choices=("factorial", "lhs"), default="lhs", help="lhs (default) or factorial")
    p.add_argument(
        "--n",
        type=base._whole_number(1, "a number of points"),
        default=200,
        metavar="N",
        help="design points (lhs, default 200) or levels per range (factorial)",
    )
    p.add_argument("--outcome", required=True, metavar="NAME", help="the model_vars column of interest")
    side = p.add_mutually_exclusive_group(required=True)
    side.add_argument("--above", type=float, metavar="X", help="cases of interest: outcome above X")
    side.add_argument("--below", type=float, metavar="X", help="cases of interest: outcome below X")
    p.add_argument("--year", type=float, metavar="YEAR", help="the step year (default: the end of the run)")
    p.add_argument("--threshold", type=float, default=0.8, metavar="D", help="density the box must reach (default 0.8)")
    _common(p)
    p.set_defaults(func=cmd_discover)


def _common(p) -> None:
    p.add_argument(
        "-r",
        "--replications",
        type=base._whole_number(1, "a number of replications"),
        default=1,
        metavar="R",
        help="runs of each scenario or design point, seeds spawned from --seed (default 1)",
    )
    p.add_argument("--seed", type=base._seed, default=0, help="root seed (default 0)")
    p.add_argument("--until", type=base._year, metavar="YEAR", help="stop at the start of YEAR (e.g. 2026 for 2019-2025)")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=base._whole_number(1, "a number of workers"),
        metavar="N",
        help="local worker processes (default 1: in this process)",
    )
    where.add_argument("--dask", metavar="ADDRESS", help="run on the Dask cluster whose scheduler is at ADDRESS (connsim[dask])")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="the store (default out/<command>-<name>-<digest of the arguments>); the same command with the same DIR resumes",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar with time remaining (default: when stderr is a terminal)",
    )


def _levers(p, required: bool) -> None:
    p.add_argument("--lever", action="append", required=required, metavar="NAME=SPEC", help=LEVER_HELP)


# --- parsing and checks ----------------------------------------------------------------------------


def _parse_levers(items) -> dict:
    """``NAME=LO:HI`` / ``NAME=V1,V2`` into the API's ``{name: (lo, hi) | [values]}``."""
    from connsim.experiments.design import DesignError, lever, parse_levers

    out = {}
    for item in items or []:
        name, eq, spec = item.partition("=")
        name = name.strip()
        if not eq or not name or not spec.strip():
            raise base.UserError(f"--lever {item}: allowed NAME=LO:HI or NAME=V1,V2,... e.g. us_china_conflict=0.2:1.0")
        try:
            lv = lever(name)
        except DesignError as e:
            raise base.UserError(f"--lever {item}: {str(e).removeprefix('levers: ')}") from None
        if name in out or lv.name in out:
            raise base.UserError(f"--lever {item}: {name} is given twice")
        if ":" in spec:
            lo, _, hi = spec.partition(":")
            if not lv.numeric:
                raise base.UserError(f"--lever {item}: {lv.name} is {lv.kind}; give its values as V1,V2; allowed {lv.allowed}")
            out[name] = (_number(lo, item, lv), _number(hi, item, lv))
        else:
            out[name] = [_value(v, item, lv) for v in spec.split(",")]
        try:  # the schema's ranges, before anything runs
            parse_levers({name: out[name]})
        except DesignError as e:
            raise base.UserError(f"--lever {item}: {str(e).split(': ', 1)[-1]}") from None
    return out


def _number(text: str, item: str, lv):
    try:
        v = float(text)
    except ValueError:
        raise base.UserError(f"--lever {item}: {text.strip()!r} is not a number; allowed {lv.allowed}") from None
    return int(v) if lv.kind == "integer" and v.is_integer() else v


def _value(text: str, item: str, lv):
    t = text.strip()
    if lv.kind == "boolean":
        if t.lower() in ("true", "false"):
            return t.lower() == "true"
        raise base.UserError(f"--lever {item}: {t!r} for {lv.name}; allowed true or false")
    if lv.kind == "categorical":
        return t
    return _number(t, item, lv)


def _executor(args):
    """The executor for --dask (connected before anything runs), else None."""
    if not getattr(args, "dask", None):
        return None, None
    try:
        from distributed import Client
    except ImportError:
        raise base.UserError("--dask needs dask.distributed: pip install 'connsim[dask]'") from None
    try:
        client = Client(args.dask, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise base.UserError(
            f"--dask {args.dask}: cannot reach a Dask scheduler there ({type(e).__name__}: {e}); "
            "allowed the address of a running scheduler, e.g. tcp://127.0.0.1:8786"
        ) from None
    from connsim.experiments.executors import dask_executor

    return dask_executor(client), client


def _default_out(args, command: str, names: list[str], analysis=()) -> Path:
    """``out/<command>-<names>-<digest>``: the digest covers the arguments that decide the runs
    (not where they run, nor ``analysis``, the options of an analysis of finished runs)."""
    skip = {"func", "argv", "out", "progress", "workers", "dask", "command", *analysis}
    keys = {k: v for k, v in sorted(vars(args).items()) if k not in skip}
    digest = hashlib.sha256(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return Path("out") / base._safe_name(f"{command}-{'-'.join(names)}-{digest}")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_csv(df, path: Path, **kw) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_csv(tmp, **kw)
    os.replace(tmp, path)


def _save_figure(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def _agg() -> None:
    import matplotlib

    matplotlib.use("Agg")  # the command line only writes files


def _run(args, command: str, call, out: Path):
    """Call the API with the executor; user errors become exit 2, Ctrl-C keeps what finished."""
    from connsim.experiments import DesignError, RunsFailedWarning, StoreError

    executor, client = _executor(args)
    progress = base._want_progress(args.progress)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RunsFailedWarning)  # said on stderr below instead
            return call(executor=executor, workers=args.workers, out=out, progress=progress)
    except (DesignError, StoreError) as e:
        raise base.UserError(cli_message(e)) from None
    except KeyboardInterrupt:
        base._err(f"connsim {command}: interrupted; the finished runs are kept in {out}: run the same command to resume")
        raise _Interrupted() from None
    finally:
        if client is not None:
            client.close()


#: the API's argument names as the command line's options, in messages
_FLAGS = {
    "year": "--year",
    "n": "--n",
    "seed": "--seed",
    "until": "--until",
    "replications": "--replications",
    "outcome": "--outcome",
    "outcomes": "--outcome",
    "levers": "--lever",
    "workers": "--workers",
    "design": "--design",
}


def cli_message(e: Exception) -> str:
    """An API error in the command line's words (``year: ...`` -> ``--year: ...``; ``out`` -> ``--out``)."""
    text = str(e)
    head, sep, rest = text.partition(": ")
    key = head.split("[", 1)[0]
    if sep and key in _FLAGS:
        text = f"{_FLAGS[key]}: {rest}"
    if text.startswith("out "):
        text = "--" + text
    return text.replace("choose another out", "choose another --out")


class _Interrupted(Exception):
    pass


def _failed_line(command: str, res, out: Path) -> int:
    if not res.n_failed:
        return base.EXIT_OK
    first = res.failures.iloc[0]
    base._err(
        f"connsim {command}: warning: {res.n_failed} of {res.n_runs} runs failed (first: run {first['run_id']}, "
        f"{first['scenario']} seed {first['seed']}: {first['error']}); the others are written; errors in "
        f"{out}/manifest.json; run the same command again to retry them"
    )
    return EXIT_RUNS_FAILED


def _guard(fn):
    """Exit 130 on Ctrl-C (finished runs kept), 3 when a sensitivity analysis lacks failed runs."""

    def wrapper(args):
        try:
            return fn(args)
        except _Interrupted:
            return base.EXIT_INTERRUPTED

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _ends_table(res):
    ends = res.ends()
    failed = res.failures
    import pandas as pd

    return pd.concat([ends, failed], ignore_index=True).sort_values("run_id") if len(failed) else ends


def _report_ensemble(args, command: str, res, out: Path, title: str) -> int:

    text = repr(res)
    print(text)
    if res.n_done:
        _agg()
        _write_csv(_ends_table(res), out / "ends.csv", index=False)
        _save_figure(res.plot(), out / "fan_chart.png")
    _write(out / "summary.txt", text + "\n")
    print(f"\nwrote {out}/: the store (manifest.json, experiments.parquet, model_vars/), ends.csv, summary.txt, fan_chart.png")
    return _failed_line(command, res, out)


# --- commands ---------------------------------------------------------------------------------------


def _load_all(refs):
    from connsim.scenario import ScenarioError

    specs, problems = [], []
    for ref in refs:
        try:
            specs.append(base._load(ref))
        except ScenarioError as e:
            problems.append(str(e))
    if problems:
        raise base.UserError("\n".join(problems))
    return specs


def _check_until(specs, until):
    for spec in specs:
        base._check_until(spec, until)


def _check_outcomes(names, what="--outcome"):
    from connsim.experiments import DesignError
    from connsim.experiments.ensemble import check_outcomes

    try:
        return check_outcomes(names, what)
    except DesignError as e:
        raise base.UserError(cli_message(e)) from None


@_guard
def cmd_ensemble(args) -> int:
    from connsim.experiments import run_ensemble

    specs = _load_all(args.scenarios)
    _check_until(specs, args.until)
    outcomes = _check_outcomes(args.outcome)
    names = [s.name for s in specs]
    out = args.out or _default_out(args, "ensemble", names)
    res = _run(
        args,
        "ensemble",
        lambda **kw: run_ensemble(
            specs, args.replications, args.seed, until=args.until, record_agents=args.agents, outcomes=outcomes, **kw
        ),
        out,
    )
    return _report_ensemble(args, "ensemble", res, out, "ensemble")


@_guard
def cmd_sweep(args) -> int:
    from connsim.experiments import sweep

    (spec,) = _load_all([args.scenario])
    _check_until([spec], args.until)
    levers = _parse_levers(args.lever)
    outcomes = _check_outcomes(args.outcome)
    out = args.out or _default_out(args, "sweep", [spec.name])
    res = _run(
        args,
        "sweep",
        lambda **kw: sweep(
            spec, levers, args.design, args.n, args.replications, args.seed, until=args.until, outcomes=outcomes, **kw
        ),
        out,
    )
    return _report_ensemble(args, "sweep", res, out, "sweep")


@_guard
def cmd_sensitivity(args) -> int:
    from connsim.experiments import sensitivity

    (spec,) = _load_all([args.scenario])
    _check_until([spec], args.until)
    levers = _parse_levers(args.lever)
    for k, v in levers.items():
        if not isinstance(v, tuple):
            raise base.UserError(f"--lever {k}={','.join(map(str, v))}: sensitivity needs a range NAME=LO:HI")
    outcome = _check_outcomes([args.outcome])[0]
    out = args.out or _default_out(args, "sensitivity", [spec.name], analysis=("year",))
    try:
        sa = _run(
            args,
            "sensitivity",
            lambda **kw: sensitivity(
                spec,
                levers,
                outcome,
                args.year,
                args.method,
                args.n,
                args.seed,
                args.replications,
                second_order=not args.no_second_order,
                levels=args.levels,
                until=args.until,
                **kw,
            ),
            out,
        )
    except RuntimeError as e:  # runs failed: the indices need every run
        base._err(f"connsim sensitivity: error: {e}")
        return EXIT_RUNS_FAILED
    text = repr(sa)
    print(text)
    _agg()
    _write_csv(sa.indices, out / "indices.csv", index=False)
    _write(out / "summary.txt", text + "\n")
    _save_figure(sa.plot(), out / "sensitivity.png")
    print(f"\nwrote {out}/: the store, indices.csv, summary.txt, sensitivity.png")
    return base.EXIT_OK


@_guard
def cmd_discover(args) -> int:
    from connsim.experiments import DesignError, discover, sweep
    from connsim.experiments.discovery import prim_module

    (spec,) = _load_all([args.scenario])
    _check_until([spec], args.until)
    levers = _parse_levers(args.lever)
    outcome = _check_outcomes([args.outcome])[0]
    try:
        prim_module()
    except ImportError as e:
        raise base.UserError(str(e)) from None
    if not 0 < args.threshold < 1:
        raise base.UserError(f"--threshold {args.threshold:g}: allowed a density between 0 and 1")
    if args.year is not None:
        from connsim.experiments.design import stop_at
        from connsim.experiments.sensitivities import check_year

        try:
            check_year(stop_at(spec, args.until), args.year)
        except DesignError as e:
            raise base.UserError(cli_message(e)) from None
    out = args.out or _default_out(args, "discover", [spec.name], analysis=("outcome", "above", "below", "year", "threshold"))
    res = _run(
        args,
        "discover",
        lambda **kw: sweep(spec, levers, args.design, args.n, args.replications, args.seed, until=args.until, **kw),
        out,
    )
    try:
        found = discover(res, outcome, above=args.above, below=args.below, year=args.year, threshold=args.threshold)
    except DesignError as e:
        raise base.UserError(cli_message(e)) from None
    text = repr(found)
    print(text)
    _agg()
    _write_csv(found.boxes, out / "boxes.csv", index=False)
    _write_csv(found.trajectory, out / "trajectory.csv", index_label="box")
    _write_csv(_ends_table(res), out / "ends.csv", index=False)
    _write(out / "summary.txt", repr(res) + "\n\n" + text + "\n")
    _save_figure(found.plot(), out / "discovery.png")
    print(f"\nwrote {out}/: the store, boxes.csv, trajectory.csv, ends.csv, summary.txt, discovery.png")
    return _failed_line("discover", res, out)
