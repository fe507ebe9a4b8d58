"""The ``connsim`` command: list, validate, show, run and compare scenarios.

Every user error (a bad scenario, an unknown scenario name, a bad seed or year, an existing
output folder) is one message on stderr and exit status 2, with nothing written. Results are
written to a temporary folder beside the target and renamed into place only when complete, so
an interrupted or failed command leaves no half-written result.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from connsim.scenario import Scenario, ScenarioError, list_scenarios, load_parent, load_scenario, parameter_table
from connsim.seeds import SeedError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130

#: End-of-run outcomes shown by ``connsim compare`` (key, label), in this order.
COMPARE_PLOT = (
    ("us_allies_restricting", "US allies restricting high-risk vendors"),
    ("eu_restricting", "EU member states restricting"),
    ("hr_core_share_third", "high-risk share, third-country core"),
    ("convergence_index", "norm convergence index"),
    ("free_flow_gdp_pair_share", "GDP pairs with free data flows"),
    ("anchored_eu_jpn", "third countries anchored to EU/Japan ODA"),
)


class UserError(Exception):
    """A mistake of the user: reported as one message, exit status 2, no traceback."""


# --- argument parsing ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and a pointer to --help (exit status 2)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nRun '{self.prog} --help' for usage.\n")


def _whole_number(minimum: int, what: str):
    """An argparse type: a whole number of at least ``minimum``, else a message naming ``what``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            shown = repr(text) if value is None else value
            raise argparse.ArgumentTypeError(f"{shown} is not {what}; allowed a whole number from {minimum}")
        return value

    return parse


_seed = _whole_number(0, "a seed")
_count = _whole_number(1, "a number of seeds")


def _year(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year; allowed a whole year such as 2025") from None


DESCRIPTION = """\
connsim: an agent-based model of digital geopolitics (5G vendors, data-flow regimes, digital ODA)
after the Elcano Royal Institute's analysis of EU-Japan digital connectivity.

A SCENARIO is a library name (see 'connsim list') or the path of a TOML file."""

EPILOG = """\
examples:
  connsim list
  connsim show hardening_conflict
  connsim validate scenarios/*.toml my_scenario.toml
  connsim run hardening_conflict --seed 1 --until 2025
  connsim compare baseline hardening_conflict --seeds 5
  connsim ensemble baseline hardening_conflict -r 20 --until 2026 --workers 2
  connsim sensitivity baseline --lever us_china_conflict=0.2:1 --lever w_us=0:1 --outcome us_allies_restricting

exit status: 0 success, 2 a user error (bad scenario, argument or existing output), 3 some runs of an
ensemble failed (the others are kept), 130 interrupted."""


def build_parser() -> argparse.ArgumentParser:
    from connsim import __version__

    parser = _Parser(prog="connsim", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"connsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("list", help="the scenario library, one line each", description="The scenario library (scenarios/*.toml) with one-line descriptions.", formatter_class=raw)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("validate", help="check scenario files without running them", formatter_class=raw,
                       description="Check scenario files (or library names) without running them: every problem of\n"
                                   "every file is printed. Exit status 0 if all are valid, 2 otherwise.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario file or library name")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("show", help="the fully resolved parameters of a scenario", formatter_class=raw,
                       description="The fully resolved parameters of a scenario after 'extends': each lever with its value,\n"
                                   "unit, allowed range and meaning, then the weights of the decision rules and the events.\n"
                                   "'*' marks a value that differs from the scenario it extends (or from the built-in defaults).")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--changed", action="store_true", help="only the values that differ from the defaults")
    p.add_argument("--json", action="store_true", help="the resolved scenario as JSON instead")
    p.set_defaults(func=cmd_show)

    out_help = "write results here; must not exist unless --overwrite"
    p = sub.add_parser("run", help="run one scenario once: summary, frames and plots", formatter_class=raw,
                       description="Run one scenario with one seed. Prints the summary of key outcomes and writes to --out:\n"
                                   "  model_vars.csv|parquet  outcomes per step\n"
                                   "  agent_vars.csv|parquet  every state's decisions per step\n"
                                   "  trajectories.png        plots of the trajectories\n"
                                   "  summary.txt             the summary printed on the terminal\n"
                                   "  scenario.json, run.json the resolved scenario and how it was run")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--seed", type=_seed, default=0, help="random seed, a whole number from 0 (default 0)")
    p.add_argument("--until", type=_year, metavar="YEAR", help="stop at the start of YEAR instead of the scenario's end")
    p.add_argument("--out", type=Path, metavar="DIR", help=f"{out_help} (default out/<scenario name>)")
    _output_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run scenarios under the same seeds and compare outcomes", formatter_class=raw,
                       description="Run each scenario with the same seeds 0..N-1 and compare end-of-run outcomes: mean and\n"
                                   "standard deviation over seeds for each scenario, and each scenario's difference from the\n"
                                   "first (paired by seed) with its spread. Writes to --out:\n"
                                   "  comparison.csv          the table printed on the terminal\n"
                                   "  outcomes.csv|parquet    end-of-run outcomes of every run\n"
                                   "  trajectories.csv|parquet mean and std of each outcome per scenario and step\n"
                                   "  comparison.png          mean trajectories of key outcomes per scenario\n"
                                   "  summary.txt, run.json   the table as text, and how it was run")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more scenarios; the first is the reference")
    p.add_argument("--seeds", type=_count, default=5, metavar="N", help="seeds 0..N-1 for every scenario (default 5)")
    p.add_argument("--until", type=_year, metavar="YEAR", help="stop at the start of YEAR instead of the scenarios' end")
    p.add_argument("--out", type=Path, metavar="DIR", help=f"{out_help} (default out/compare-<names>)")
    _output_options(p)
    p.set_defaults(func=cmd_compare)

    from connsim.experiments.cli import register  # ensemble, sweep, sensitivity, discover

    register(sub)
    return parser


def _output_options(p: argparse.ArgumentParser) -> None:
    """The options that ``run`` and ``compare`` share for writing their results."""
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="format of the frames (default csv)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar (default: only when stderr is a terminal)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``connsim`` console script and ``python -m connsim``; returns the exit status."""
    if "matplotlib" in sys.modules:  # the command line only writes files: no display backend
        import matplotlib

        matplotlib.use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    prog = f"connsim {args.command}"
    try:
        return args.func(args)
    except (UserError, ScenarioError, SeedError) as e:
        _err(f"{prog}: error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err(f"{prog}: interrupted; nothing was written")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. connsim show baseline | head
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- helpers -------------------------------------------------------------------------------------


def _load(ref: str) -> Scenario:
    return load_scenario(ref)


def _check_until(spec: Scenario, until: int | None) -> None:
    if until is None:
        return
    lo, hi = spec.start_year + 1, spec.end_year + 1
    if not lo <= until <= hi:
        raise UserError(f"--until {until} is outside the horizon of {spec.name!r} ({spec.start_year} through {spec.end_year}); "
                        f"allowed a year in {lo}..{hi}")


def _until(spec: Scenario, until: int | None) -> Scenario:
    """The scenario stopped at the start of ``until`` (events after it dropped), or as it is."""
    from connsim.run import stop_at

    return spec if until is None else stop_at(spec, until)


def _safe_name(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
    return safe[:80]


def _check_out(out: Path, overwrite: bool) -> None:
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise UserError(f"--out {out} exists already; choose another --out or add --overwrite to replace it")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder; choose another --out")


@contextmanager
def staged_output(target: Path, overwrite: bool = False):
    """A temporary folder beside ``target``, renamed to ``target`` when the block completes.

    On any exception (KeyboardInterrupt included) the temporary folder and any parent folder
    made for it are removed, and ``target`` is left as it was.
    """
    target = Path(os.path.abspath(target))
    parent = target.parent
    made = []
    p = parent
    while not p.exists():
        made.append(p)
        p = p.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create {parent}: {e.strerror or e}") from None
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=parent))
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it the usual permissions
        if target.exists() or target.is_symlink():
            if not overwrite:
                raise UserError(f"--out {target} appeared while running; nothing written (add --overwrite to replace it)")
            old = parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(tmp, target)
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in made:  # deepest first
            try:
                d.rmdir()
            except OSError:
                break
        raise


def _want_progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def _write_frame(df, path_stem: Path, fmt: str) -> Path:
    path = path_stem.with_suffix(f".{fmt}")
    if fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)
    return path


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{" + ", ".join(f"{k} = {_fmt_value(x)}" for k, x in v.items()) + "}"
    return str(v)


# --- commands ------------------------------------------------------------------------------------


def cmd_list(args) -> int:
    library = list_scenarios()
    width = max(map(len, library), default=8) + 2
    print("Library scenarios (scenarios/*.toml); run one with 'connsim run NAME':")
    for name, desc in library.items():
        print(f"  {name:<{width}}{desc}")
    from connsim.scenario import SCENARIOS_DIR

    scripts = sorted(p.name for p in SCENARIOS_DIR.glob("*.py"))
    if scripts:
        print("\nScenario scripts (the Python API for what TOML cannot say; run with 'python scenarios/NAME.py'):")
        for s in scripts:
            print(f"  {s}")
    return EXIT_OK


def cmd_validate(args) -> int:
    bad = 0
    for ref in args.files:
        try:
            spec = _load(ref)
        except ScenarioError as e:
            bad += 1
            _err(f"invalid {e}")
            continue
        ext = f", extends {spec.extends}" if spec.extends else ""
        print(f"ok      {ref} ({spec.name}{ext}; {spec.start_year}-{spec.end_year}, {len(spec.events)} event{'' if len(spec.events) == 1 else 's'})")
    if bad:
        _err(f"{bad} of {len(args.files)} scenario{'s' if len(args.files) != 1 else ''} invalid")
        return EXIT_USAGE
    return EXIT_OK


def cmd_show(args) -> int:
    spec = _load(args.scenario)
    if args.json:
        print(spec.model_dump_json(indent=2))
        return EXIT_OK
    parent = load_parent(args.scenario) if spec.extends else None
    print(f"{spec.name}" + (f"  (extends {spec.extends})" if spec.extends else ""))
    if spec.description:
        print("\n".join("  " + line for line in spec.description.strip().splitlines()))
    against = f"{parent.name!r}, the scenario it extends" if parent is not None else "the built-in defaults"
    print(f"\n'*' marks a value that differs from {against}.")
    rows = parameter_table(spec, parent)
    sections = {"time": "Time", "levers": "Levers", "behaviour": "Behaviour",
                "weights": "Weights of the decision rules (connsim.weights)", "events": "Events"}
    for section, title in sections.items():
        part = [r for r in rows if r["section"] == section and (r["changed"] or not args.changed)]
        if not part:
            continue
        print(f"\n{title}")
        if section == "events":
            for r in part:
                print(f"  {r['key']:<10} {_fmt_value(r['value'])}")
            continue
        kw = max(len(r["key"]) for r in part)
        values = [_fmt_value(r["value"]) for r in part]
        allowed = [r["allowed"] + (f" {r['unit']}" if r["unit"] and r["unit"] not in r["allowed"] else "") for r in part]
        vw = max(5, *map(len, values))
        aw = max(7, *map(len, allowed))
        print(f"  {'key':<{kw}}  {'value':<{vw}}  {'allowed':<{aw}}  meaning")
        for r, v, a in zip(part, values, allowed):
            mark = "*" if r["changed"] else " "
            print(f" {mark}{r['key']:<{kw}}  {v:<{vw}}  {a:<{aw}}  {r['meaning']}")
    if args.changed and not any(r["changed"] for r in rows):
        print("\n(every value is the default)")
    return EXIT_OK


def _run_meta(args, **extra) -> dict:
    from connsim import __version__

    return {"command": ["connsim", *args.argv], "connsim_version": __version__, **extra}


def cmd_run(args) -> int:
    spec = _load(args.scenario)
    _check_until(spec, args.until)
    out = args.out if args.out is not None else Path("out") / _safe_name(spec.name)
    _check_out(out, args.overwrite)

    from connsim.plots import plot_trajectories
    from connsim.report import format_summary
    from connsim.run import run

    result = run(_until(spec, args.until), seed=args.seed, progress=_want_progress(args.progress))
    mv, av = result.model_vars, result.agent_vars
    title = f"{spec.name}, seed {args.seed}" + (f", until {args.until}" if args.until else "")
    summary = format_summary(mv, title)
    print(summary)

    import matplotlib.pyplot as plt

    with staged_output(out, args.overwrite) as tmp:
        _write_frame(mv, tmp / "model_vars", args.format)
        _write_frame(av, tmp / "agent_vars", args.format)
        fig = plot_trajectories(mv, tmp / "trajectories.png", title)
        plt.close(fig)
        (tmp / "summary.txt").write_text(summary + "\n")
        (tmp / "scenario.json").write_text(result.scenario.model_dump_json(indent=2) + "\n")
        meta = _run_meta(args, scenario=spec.name, seed=args.seed, until=args.until, steps=int(mv["step"].iloc[-1]))
        (tmp / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"\nwrote {out}/: model_vars.{args.format}, agent_vars.{args.format}, trajectories.png, summary.txt, scenario.json, run.json")
    return EXIT_OK


def compare_table(ends, names: list[str], keys) -> "pd.DataFrame":  # noqa: F821
    """Mean and std over seeds of each outcome per scenario, and each scenario's difference from
    the first (paired by seed): columns ``<name> mean``, ``<name> std``, ``<name> - <first> mean/std``."""
    import pandas as pd

    ref = names[0]
    base = ends[ends["scenario"] == ref].set_index("seed")
    cols = {}
    for name in names:
        this = ends[ends["scenario"] == name].set_index("seed")
        cols[f"{name} mean"] = this[keys].mean()
        cols[f"{name} std"] = this[keys].std(ddof=1) if len(this) > 1 else this[keys].std(ddof=0)
    for name in names[1:]:
        this = ends[ends["scenario"] == name].set_index("seed")
        diff = this[keys] - base[keys]
        cols[f"{name} - {ref} mean"] = diff.mean()
        cols[f"{name} - {ref} std"] = diff.std(ddof=1) if len(diff) > 1 else diff.std(ddof=0)
    return pd.DataFrame(cols)


def _format_compare(table, names, labels, n_seeds, until) -> str:
    ref = names[0]
    head = [f"Key outcomes at the end of the run: mean ± std over seeds 0..{n_seeds - 1}"
            + (f" (until {until})" if until else "") + f"; differences from {ref!r} paired by seed"]
    columns = [(f"{n} mean", f"{n} std", n) for n in names] + [(f"{n} - {ref} mean", f"{n} - {ref} std", f"{n} - {ref}") for n in names[1:]]
    cells = []
    for key in table.index:
        row = []
        for m, s, _ in columns:
            mean, std = round(table.loc[key, m], 3) + 0.0, table.loc[key, s]
            sign = "+" if " - " in m else ""
            row.append(f"{mean:{sign}.3f} ± {std:.3f}")
        cells.append(row)
    lw = max(len(labels.get(k, k)) for k in table.index)
    widths = [max(len(c[2]), *(len(r[j]) for r in cells)) for j, c in enumerate(columns)]
    lines = head + ["", f"{'outcome':<{lw}}  " + "  ".join(f"{c[2]:>{w}}" for c, w in zip(columns, widths))]
    for key, row in zip(table.index, cells):
        lines.append(f"{labels.get(key, key):<{lw}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(row, widths)))
    return "\n".join(lines)


def plot_comparison(mean, std, names, path, title=""):
    """One panel per key outcome: each scenario's mean trajectory, shaded ± one std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
    for ax, (key, label) in zip(axes.flat, COMPARE_PLOT):
        for name in names:
            m, s = mean[mean["scenario"] == name], std[std["scenario"] == name]
            if key not in m:
                continue
            ax.plot(m["year"], m[key], label=name)
            ax.fill_between(m["year"], m[key] - s[key].fillna(0), m[key] + s[key].fillna(0), alpha=0.15)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("year")
    axes.flat[0].legend(loc="best", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return fig


def cmd_compare(args) -> int:
    specs, problems = [], []
    for ref in args.scenarios:
        try:
            specs.append(_load(ref))
        except ScenarioError as e:
            problems.append(str(e))
    if problems:
        raise UserError("\n".join(problems))
    if len(specs) < 2:
        raise UserError("compare needs two or more scenarios, e.g. connsim compare baseline hardening_conflict")
    for spec in specs:
        _check_until(spec, args.until)
    names, seen = [], {}
    for spec in specs:  # the same name twice (a file and a library scenario): number them
        seen[spec.name] = seen.get(spec.name, 0) + 1
        names.append(spec.name if seen[spec.name] == 1 else f"{spec.name}#{seen[spec.name]}")
    out = args.out if args.out is not None else Path("out") / _safe_name("compare-" + "-".join(names))
    _check_out(out, args.overwrite)

    import pandas as pd

    from connsim.experiments import run_ensemble
    from connsim.report import SUMMARY_ROWS

    seeds = list(range(args.seeds))
    ens = run_ensemble({name: _until(spec, args.until) for name, spec in zip(names, specs)}, seeds=seeds,
                       progress=_want_progress(args.progress))
    if ens.n_failed:
        first = ens.failures.iloc[0]
        _err(f"connsim compare: error: {ens.n_failed} of {ens.n_runs} runs failed (first: {first['scenario']} seed "
             f"{first['seed']}: {first['error']}); nothing written")
        return 3
    runs = ens.model_vars.drop(columns="run_id")
    numeric = [c for c in runs.columns if c not in ("scenario", "seed", "step", "year")]
    last = runs.groupby(["scenario", "seed"])["step"].transform("max") == runs["step"]
    ends = runs[last].reset_index(drop=True)
    labels = dict((k, v) for k, v in SUMMARY_ROWS)
    keys = [k for k, _ in SUMMARY_ROWS if k in runs.columns]
    table = compare_table(ends, names, keys)
    text = _format_compare(table, names, labels, args.seeds, args.until)
    print(text)

    grouped = runs.groupby(["scenario", "step"], sort=False)[numeric + ["year"]]
    mean = grouped.mean().reset_index()
    std = grouped.std(ddof=1 if args.seeds > 1 else 0).reset_index()
    std["year"] = mean["year"]

    import matplotlib.pyplot as plt

    with staged_output(out, args.overwrite) as tmp:
        table.rename_axis("outcome").to_csv(tmp / "comparison.csv")
        _write_frame(ends[["scenario", "seed", "step", "year", *numeric]], tmp / "outcomes", args.format)
        traj = pd.concat([mean.assign(stat="mean"), std.assign(stat="std")], ignore_index=True)
        _write_frame(traj, tmp / "trajectories", args.format)
        fig = plot_comparison(mean, std, names, tmp / "comparison.png", f"{' vs '.join(names)} ({args.seeds} seeds)")
        plt.close(fig)
        (tmp / "summary.txt").write_text(text + "\n")
        meta = _run_meta(args, scenarios=names, seeds=seeds, until=args.until,
                         resolved={n: json.loads(s.model_dump_json()) for n, s in zip(names, specs)})
        (tmp / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"\nwrote {out}/: comparison.csv, outcomes.{args.format}, trajectories.{args.format}, comparison.png, summary.txt, run.json")
    return EXIT_OK
