"""The ``connsim`` command: list, validate, show, run and compare scenarios.

Every user error (a bad scenario, an unknown scenario name, a bad seed or year, an output
folder that exists or cannot be written) is one message on stderr and exit status 2, with
nothing written. The guarantees of the results (docs/cli.md):

- Results are written to a hidden staging folder beside ``--out`` (``.NAME.partial-PID-XXXX``,
  marked by a file inside it) and renamed into place only when complete; the summary is printed
  after that. A failed, interrupted (Ctrl-C) or terminated (SIGTERM, SIGHUP) command removes the
  staging folder; one left by a killed process (SIGKILL, power loss) is removed by the next run
  into the same folder once its process is gone.
- ``--overwrite`` replaces only a folder that holds an earlier connsim result and nothing else
  (its ``run.json`` says ``"written_by": "connsim"`` and lists the files), and never the current
  folder, one of its parents, the home folder or a folder of connsim itself; ``--out`` is never
  inside the scenario library, the seed tables or the package.
- The destination is checked before the run; a write error (no permission, a full disk) is the
  refusal message, with nothing left behind.
- A closed standard output (``connsim run ... | head``) does not change the exit status: it
  reflects the command's work (results complete: 0).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import shutil
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command imports the library only when a command runs: --help stays quick
    from connsim.scenario import Scenario

__all__ = ["main", "build_parser", "staged_output", "Terminated"]

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130
#: ``run.json`` of a result: ``written_by`` marks it as connsim's, ``files`` lists what it holds.
RESULT_FILE = "run.json"
WRITTEN_BY = "connsim"
#: The file that marks a staging folder as connsim's own, with the writing process.
STAGING_MARKER = ".connsim-staging.json"
_STAGED_NAME = re.compile(r"^\..*\.(partial|old)-(\d+)-[A-Za-z0-9_]+$")
#: A staging folder whose process is alive is left alone unless older than this (a reused pid).
STALE_AFTER_S = 7 * 24 * 3600
#: Folders of connsim itself (module-level so that tests can point them at copies).
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

#: End-of-run outcomes plotted by ``connsim compare``, in this order (labels from the registry).
COMPARE_PLOT = (
    "us_allies_restricting",
    "eu_restricting",
    "hr_core_share_third",
    "convergence_index",
    "free_flow_gdp_pair_share",
    "anchored_eu_jpn",
)


class UserError(Exception):
    """A mistake of the user: reported as one message, exit status 2, no traceback."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so that a staging folder unwinds like on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


# --- argument parsing ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and a pointer to --help (exit status 2)."""

    def error(self, message):
        message = " ".join(str(message).split())  # one line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


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


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port; allowed a whole number in 0..65535 (0: any free port)")
    return value


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
  connsim sensitivity baseline --lever us_china_conflict=0.2:1 --lever w_peer=0:0.5 --outcome us_allies_restricting
  connsim dashboard --port 8765
  connsim claims --check --claims C10,C14 --seeds 20
  connsim calibrate --out out/calibration --workers 2

exit status: 0 success, 1 a checked claim does not bite (connsim claims --check), 2 a user error (bad
scenario, argument or existing output), 3 some runs of an ensemble failed (the others are kept), 130 interrupted."""


def build_parser() -> argparse.ArgumentParser:
    from connsim import __version__

    parser = _Parser(prog="connsim", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"connsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "list",
        help="the scenario library, one line each",
        description="The scenario library (scenarios/*.toml) with one-line descriptions.",
        formatter_class=raw,
    )
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        formatter_class=raw,
        description="Check scenario files (or library names) without running them: every problem of\n"
        "every file is printed. Exit status 0 if all are valid, 2 otherwise.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario file or library name")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "show",
        help="the fully resolved parameters of a scenario",
        formatter_class=raw,
        description="The fully resolved parameters of a scenario after 'extends': each lever with its value,\n"
        "unit, allowed range and meaning, then the weights of the decision rules and the events.\n"
        "'*' marks a value that differs from the scenario it extends (or from the built-in defaults).",
    )
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--changed", action="store_true", help="only the values that differ from the defaults")
    p.add_argument("--json", action="store_true", help="the resolved scenario as JSON instead")
    p.set_defaults(func=cmd_show)

    out_help = "write results here; must not exist unless --overwrite"
    p = sub.add_parser(
        "run",
        help="run one scenario once: summary, frames and plots",
        formatter_class=raw,
        description="Run one scenario with one seed. Prints the summary of key outcomes and writes to --out:\n"
        "  model_vars.csv|parquet  outcomes per step\n"
        "  agent_vars.csv|parquet  every state's decisions per step\n"
        "  trajectories.png        plots of the trajectories\n"
        "  summary.txt             the summary printed on the terminal\n"
        "  scenario.json, run.json the resolved scenario and how it was run",
    )
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--seed", type=_seed, default=0, help="random seed, a whole number from 0 (default 0)")
    p.add_argument("--until", type=_year, metavar="YEAR", help="stop at the start of YEAR instead of the scenario's end")
    p.add_argument("--out", type=Path, metavar="DIR", help=f"{out_help} (default out/<scenario name>)")
    _output_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="run scenarios under the same seeds and compare outcomes",
        formatter_class=raw,
        description="Run each scenario with the same seeds 0..N-1 and compare end-of-run outcomes: mean and\n"
        "standard deviation over seeds for each scenario, and each scenario's difference from the\n"
        "first (paired by seed) with its spread. Writes to --out:\n"
        "  comparison.csv          the table printed on the terminal\n"
        "  outcomes.csv|parquet    end-of-run outcomes of every run\n"
        "  trajectories.csv|parquet mean and std of each outcome per scenario and step\n"
        "  comparison.png          mean trajectories of key outcomes per scenario\n"
        "  summary.txt, run.json   the table as text, and how it was run",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more scenarios; the first is the reference")
    p.add_argument("--seeds", type=_count, default=5, metavar="N", help="seeds 0..N-1 for every scenario (default 5)")
    p.add_argument("--until", type=_year, metavar="YEAR", help="stop at the start of YEAR instead of the scenarios' end")
    p.add_argument("--out", type=Path, metavar="DIR", help=f"{out_help} (default out/compare-<names>)")
    _output_options(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "claims",
        help="the paper's claims table; --check runs each claim with and without its mechanism",
        formatter_class=raw,
        description="The claims table (seeds/claims.csv): every claim of the paper, the mechanism that carries it,\n"
        "the scenario that explores it and its check, or why it is not modelled. With --check, each modelled\n"
        "claim's effect (treatment minus reference, paired by seed) runs with its mechanism and with its switch\n"
        "(the mechanism off) over the same seeds; a claim bites when the effect is present with it and gone\n"
        "without it (docs/claims.md states the test). Exit status 1 if a checked claim does not bite.",
    )
    p.add_argument("--check", action="store_true", help="run every modelled claim's check")
    p.add_argument("--claims", metavar="IDS", help="only these claims, comma-separated (e.g. C1,C5)")
    p.add_argument(
        "--seeds", type=_whole_number(2, "a number of seeds"), default=30, metavar="N", help="seeds per world (default 30)"
    )
    p.add_argument("--first-seed", type=_seed, default=0, metavar="S", help="the seeds are S..S+N-1 (default 0)")
    p.add_argument("--workers", type=_count, metavar="N", help="run on N processes")
    p.add_argument(
        "--format",
        choices=("text", "csv", "markdown"),
        default="text",
        help="text (default), csv (one row per claim) or markdown",
    )
    p.add_argument("--table", type=Path, metavar="FILE", help="a claims table other than seeds/claims.csv")
    p.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None, help="a progress bar (default: on a terminal)"
    )
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser(
        "calibrate",
        help="fit the behavioural parameters to the 2019-2023 data-flow record (ABC-SMC; needs the calibrate extra)",
        formatter_class=raw,
        description="Fit the behavioural parameters (connsim.calibration.PARAMETERS) to the 2019-2023 data-flow record\n"
        "(seeds/calibration_targets.csv: the yearly count of states with a data-protection law, which states\n"
        "adopted one, the EU's adequacy decisions) by ABC-SMC with pyabc (pip install 'connsim[calibrate]').\n"
        "The 5G side after 2019 is never used. One line per population; the same command again with the same\n"
        "--out continues (a larger --populations goes on from the last population). Writes to --out:\n"
        "  calibration.db     pyabc's history of every population (SQLite)\n"
        "  posterior.csv      the last population: parameter values and weights\n"
        "  intervals.csv      per parameter: prior, first estimate, posterior 5% / median / 95%, identified\n"
        "  fit.csv            per pattern: record, model at the posterior median and at the first estimates\n"
        "  summary.txt        the two tables as text (printed too)\n"
        "  calibration.toml   the posterior medians with their provenance (what connsim/calibration.toml holds)\n"
        "  calibrate.json     the settings, the command and how far it got",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="the calibration's folder (default out/calibration)")
    p.add_argument(
        "--populations",
        type=_whole_number(1, "a number of populations"),
        default=8,
        metavar="N",
        help="ABC-SMC populations in all (default 8)",
    )
    p.add_argument(
        "--population-size",
        type=_whole_number(2, "a population size"),
        default=200,
        metavar="N",
        help="accepted parameter sets per population (default 200)",
    )
    p.add_argument("--seeds", type=_count, default=4, metavar="K", help="model runs per parameter set (default 4)")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0; reproducible with --workers 1)")
    p.add_argument(
        "--max-simulations",
        type=_whole_number(1, "a number of simulations"),
        metavar="N",
        help="budget: start no new population once N parameter sets have been simulated in all (default: no limit)",
    )
    p.add_argument(
        "--check-seeds",
        type=_whole_number(2, "a number of seeds"),
        default=40,
        metavar="N",
        help="seeds of the final fit of the posterior median and of the first estimates (default 40)",
    )
    p.add_argument(
        "--workers", type=_whole_number(1, "a number of processes"), default=1, metavar="N", help="processes (default 1)"
    )
    p.add_argument("--overwrite", action="store_true", help="start again: replace the calibration in --out (only files it wrote)")
    p.add_argument("--quiet", action="store_true", help="no line per population")
    p.set_defaults(func=cmd_calibrate)

    from connsim.experiments.cli import register  # ensemble, sweep, sensitivity, discover

    register(sub)

    p = sub.add_parser(
        "dashboard",
        help="the teaching dashboard in a web browser (needs the viz extra)",
        formatter_class=raw,
        description="Serve the teaching dashboard (Mesa's SolaraViz; docs/dashboard.md) on this machine: lever\n"
        "sliders, play / step / reset, live plots, a world map and each country's choices with their\n"
        "reasons. Open the address it prints; each browser tab runs its own model. Works without\n"
        "internet (every asset comes from the installed packages). Ctrl-C stops it.",
    )
    p.add_argument(
        "scenario", nargs="?", default="baseline", metavar="SCENARIO", help="the scenario to start from (default baseline)"
    )
    p.add_argument("--port", type=_port, default=8765, metavar="N", help="port to listen on (default 8765; 0: any free port)")
    p.add_argument(
        "--host", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    p.add_argument(
        "--classroom",
        action="store_true",
        help="classroom mode: a player takes the EU's or Japan's yearly decisions on the page, against the model's",
    )
    p.set_defaults(func=cmd_dashboard)
    return parser


def _output_options(p: argparse.ArgumentParser) -> None:
    """The options that ``run`` and ``compare`` share for writing their results."""
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="format of the frames (default csv)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only when stderr is a terminal)",
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``connsim`` console script and ``python -m connsim``; returns the exit status.

    Ctrl-C exits quietly with 130 at any moment, SIGTERM and SIGHUP with 128 + the signal,
    removing any staging folder; a closed standard output does not change the exit status."""
    try:
        status = _main(argv)
    except KeyboardInterrupt:  # while parsing the arguments or importing
        _err("connsim: interrupted; nothing was written")
        status = EXIT_INTERRUPTED
    except Terminated as e:
        _err(f"connsim: terminated by {signal.Signals(e.signum).name}; nothing was written")
        status = 128 + e.signum
    if status == EXIT_INTERRUPTED:
        _forget_interrupt()
    from connsim import _as_command

    if _as_command() and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, *_HANDLED):  # the work is done: a late Ctrl-C does not change the exit status
            signal.signal(sig, signal.SIG_IGN)
    return status


def _forget_interrupt() -> None:
    """Let a handled Ctrl-C end with the exit status 130. CPython makes the process kill itself
    with SIGINT at exit if a KeyboardInterrupt ever left an ``exec`` of a string (as it does when
    it strikes inside scipy's imports), even once handled; evaluating a string resets that."""
    exec("None")


def _main(argv: list[str] | None) -> int:
    _written.clear()
    stdout = sys.stdout
    sys.stdout = _PipeSafe(stdout)
    try:
        with _terminate_as_exception():
            status = _run_command(argv)
        try:
            sys.stdout.flush()
        except UserError as e:  # the last of the output could not be written
            _err(f"connsim: error: {e}")
            status = status or EXIT_USAGE
        return status
    finally:
        sys.stdout = stdout


def _run_command(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    prog = f"connsim {args.command}"
    from connsim.scenario import ScenarioError
    from connsim.seeds import SeedError

    try:
        return args.func(args)
    except (UserError, ScenarioError, SeedError) as e:
        _err(f"{prog}: error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err(f"{prog}: interrupted; {_what_was_written()}")
        return EXIT_INTERRUPTED
    except Terminated as e:
        _err(f"{prog}: terminated by {signal.Signals(e.signum).name}; {_what_was_written()}")
        return 128 + e.signum


#: Results renamed into place by this command (for the message of a late interruption).
_written: list[Path] = []


def _what_was_written() -> str:
    return f"the results in {_written[-1]} are complete" if _written else "nothing was written"


def _err(text: str) -> None:
    if sys.stderr is None:  # no stderr at all: the exit status still tells
        return
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed: the exit status still tells
        pass


class _PipeSafe:
    """Standard output that a closed pipe (``connsim show baseline | head``) cannot break: the
    first BrokenPipeError points the stream at /dev/null and the command carries on, so its exit
    status still says whether it did its work. Any other write error (``> /dev/full``) is a
    :class:`UserError`: what was to be shown could not be."""

    def __init__(self, stream):
        self._stream = stream
        self.broken = stream is None  # no standard output at all: like a closed pipe

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except OSError as e:
                self._failed(e)
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except OSError as e:
                self._failed(e)

    def _failed(self, e: OSError) -> None:
        self._break()
        if not isinstance(e, BrokenPipeError):
            done = f"; the results in {_written[-1]} are complete" if _written else ""
            raise UserError(f"cannot write to standard output ({_reason(e)}){done}") from None

    def _break(self) -> None:
        self.broken = True
        try:  # the interpreter flushes stdout again at exit: let that go to /dev/null
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


_HANDLED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _raise_terminated(signum, frame):
    raise Terminated(signum)


@contextmanager
def _terminate_as_exception():
    """SIGTERM and SIGHUP raise :class:`Terminated` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {}
    for sig in _HANDLED:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup: leave an ignored signal ignored
            old[sig] = signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


class _Deferred:
    """Holds Ctrl-C, SIGTERM and SIGHUP while a few file operations complete (renaming a result
    into place, removing a staging folder), then delivers the first one if no exception is
    already on its way (and ``deliver``: not while cleaning up after a failure)."""

    def __init__(self, deliver: bool = True):
        self.deliver = deliver

    def __enter__(self):
        self.caught: list[int] = []
        self.old = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, *_HANDLED):
                if signal.getsignal(sig) is not signal.SIG_IGN:
                    self.old[sig] = signal.signal(sig, lambda signum, frame: self.caught.append(signum))
        return self

    def __exit__(self, exc_type, exc, tb):
        for sig, handler in self.old.items():
            signal.signal(sig, handler)
        if self.caught and exc_type is None and self.deliver:
            signum = self.caught[0]
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise Terminated(signum)
        return False


# --- helpers -------------------------------------------------------------------------------------


def _load(ref: str) -> Scenario:
    from connsim.scenario import load_scenario

    return load_scenario(ref)


def _check_until(spec: Scenario, until: int | None) -> None:
    if until is None:
        return
    lo, hi = spec.start_year + 1, spec.end_year + 1
    if not lo <= until <= hi:
        raise UserError(
            f"--until {until} is outside the horizon of {spec.name!r} ({spec.start_year} through {spec.end_year}); "
            f"allowed a year in {lo}..{hi}"
        )


def _until(spec: Scenario, until: int | None) -> Scenario:
    """The scenario stopped at the start of ``until`` (events after it dropped), or as it is."""
    from connsim.runner import stop_at

    return spec if until is None else stop_at(spec, until)


def _safe_name(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"
    return safe[:80]


def _is_connsim_project(folder: Path) -> bool:
    """Whether ``folder`` holds a checkout of connsim (a pyproject.toml naming the project connsim)."""
    try:
        with open(folder / "pyproject.toml", "rb") as f:
            data = tomllib.loads(f.read(1 << 20).decode("utf-8", "replace"))
    except (OSError, ValueError):
        return False
    project = data.get("project")
    return isinstance(project, dict) and project.get("name") == "connsim"


def _protected(real: Path) -> str | None:
    """Why ``--out`` may not be the folder ``real`` (symlinks resolved), or None.

    Never inside the scenario library, the seed tables or the package; never the current
    folder, the home folder, connsim's project folder or any of their parents; never a folder
    holding a checkout of connsim."""
    from connsim.scenario import SCENARIOS_DIR
    from connsim.seeds import SEEDS_DIR

    for folder, what in (
        (SCENARIOS_DIR, "the scenario library"),
        (SEEDS_DIR, "connsim's seed tables"),
        (PACKAGE_DIR, "the connsim package"),
    ):
        folder = Path(os.path.realpath(folder))
        if real == folder or folder in real.parents:
            return f"is inside {what} ({folder}); choose a folder outside it"
    keep = [(Path(os.path.realpath(os.getcwd())), "the current folder")]
    try:
        keep.append((Path(os.path.realpath(Path.home())), "your home folder"))
    except (RuntimeError, KeyError, OSError):  # no home folder known
        pass
    if _is_connsim_project(PROJECT_ROOT):
        keep.append((Path(os.path.realpath(PROJECT_ROOT)), "connsim's project folder"))
    for folder, what in keep:
        if real == folder:
            return f"is {what}; choose a new folder for the results"
        if real in folder.parents:
            return f"is a parent of {what} ({folder}); choose a new folder for the results"
    if real.is_dir() and _is_connsim_project(real):
        return "holds a checkout of connsim (its pyproject.toml); choose a new folder for the results"
    return None


def _not_replaceable(folder: Path) -> str | None:
    """Why ``--overwrite`` may not replace the existing ``folder``, or None if it holds an
    earlier connsim result and nothing else: a ``run.json`` with ``"written_by": "connsim"``
    and the list of the files connsim wrote there, and no other file."""
    if folder.is_symlink():
        return "is a symbolic link"
    if not folder.is_dir():
        return "is a file, not a folder"
    meta_path = folder / RESULT_FILE
    try:
        info = os.lstat(meta_path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 16 << 20:
            return f"its {RESULT_FILE} is not one connsim wrote"
        meta = json.loads(meta_path.read_bytes())
    except FileNotFoundError:
        return f"holds no {RESULT_FILE} written by connsim"
    except (OSError, ValueError, RecursionError):
        return f"its {RESULT_FILE} is not one connsim wrote"
    files = meta.get("files") if isinstance(meta, dict) else None
    if (
        not isinstance(meta, dict)
        or meta.get("written_by") != WRITTEN_BY
        or meta.get("kind") not in ("run", "compare")
        or not isinstance(files, list)
        or not all(isinstance(f, str) for f in files)
    ):
        return f'its {RESULT_FILE} does not say it was written by connsim ("written_by": "connsim")'
    ours = set(files) | {RESULT_FILE}
    try:
        entries = list(os.scandir(folder))
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    others = sorted(e.name for e in entries if e.name not in ours or not e.is_file(follow_symlinks=False))
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        return f"holds files connsim did not write there ({shown})"
    return None


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any run, an ``--out`` that may not be written or replaced."""
    if not str(out).strip():
        raise UserError("--out is empty; allowed the path of a folder for the results")
    real = Path(os.path.realpath(out))
    why = _protected(real)
    if why:
        raise UserError(f"--out {out} {why}")
    if os.path.lexists(out):
        if not overwrite:
            raise UserError(f"--out {out} exists already; choose another --out or add --overwrite to replace it")
        why = _not_replaceable(Path(out))
        if why:
            raise UserError(
                f"--out {out} cannot be replaced: it {why}; --overwrite replaces only a folder holding "
                "an earlier connsim result and nothing else; choose another --out"
            )
    _check_writable(Path(os.path.abspath(out)))


def _check_writable(target: Path) -> None:
    """Refuse a destination whose nearest existing folder cannot be written (a probe folder
    is made there and removed)."""
    place = target.parent
    while not os.path.lexists(place) and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise UserError(f"--out {target}: {place} is not a folder; allowed a path under a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".connsim-probe-", dir=place))
    except OSError as e:
        raise UserError(f"--out {target}: cannot write in {place} ({_reason(e)}); choose a folder you can write to") from None


def _reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    return e.strerror or str(e)


def _mark_staging(folder: Path) -> None:
    """Mark ``folder`` as a staging folder of this process (for the sweep of a later run)."""
    info = {"written_by": WRITTEN_BY, "pid": os.getpid(), "host": socket.gethostname(), "created": time.time()}
    (folder / STAGING_MARKER).write_text(json.dumps(info) + "\n")


def _remove_staged(folder: Path) -> None:
    """Remove a staging folder, its marker last (so that a folder half removed by a killed
    process is still recognised, and removed, by a later sweep)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if e.name == STAGING_MARKER:
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
        except OSError:
            pass
    try:
        (folder / STAGING_MARKER).unlink(missing_ok=True)
        folder.rmdir()
    except OSError:
        pass


def _stale(folder: Path) -> bool:
    """Whether ``folder`` is a staging folder of connsim's whose process is gone."""
    try:
        info = json.loads((folder / STAGING_MARKER).read_text())
        pid, host, created = int(info["pid"]), str(info["host"]), float(info["created"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no marker: not connsim's (or not ours to judge)
    if pid == os.getpid() and host == socket.gethostname():
        return False
    if time.time() - created > STALE_AFTER_S:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def sweep_stale(parent: Path) -> list[Path]:
    """Remove the staging folders connsim left in ``parent`` (a killed run): those named
    ``.NAME.partial-PID-XXXX`` or ``.NAME.old-PID-XXXX`` holding connsim's marker, whose process
    is gone (or that are older than 7 days). Returns the folders removed."""
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for e in entries:
        if _STAGED_NAME.match(e.name) and e.is_dir(follow_symlinks=False) and _stale(Path(e.path)):
            _remove_staged(Path(e.path))
            removed.append(Path(e.path))
    return removed


@contextmanager
def staged_output(target: Path, overwrite: bool = False):
    """A staging folder beside ``target``, renamed to ``target`` when the block completes.

    On any exception (KeyboardInterrupt and :class:`Terminated` included) the staging folder
    and any parent folder made for it are removed, and ``target`` is left as it was; an OSError
    (no permission, a full disk) becomes a :class:`UserError`. With ``overwrite`` an existing
    ``target`` is replaced only if it holds an earlier connsim result and nothing else (checked
    again at the last moment). Stale staging folders of killed runs in the same parent are
    removed first (:func:`sweep_stale`).
    """
    target = Path(os.path.abspath(target))
    parent = target.parent
    made = []
    p = parent
    while not p.exists() and p != p.parent:
        made.append(p)
        p = p.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create {parent}: {_reason(e)}") from None
    sweep_stale(parent)
    tmp = None
    committed = False
    try:
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:100]}.partial-{os.getpid()}-", dir=parent))
            _mark_staging(tmp)
            yield tmp
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it the usual permissions
            with _Deferred():
                _commit(tmp, target, overwrite)
                committed = True
                _written.append(target)
        except OSError as e:
            where = f" ({e.filename})" if getattr(e, "filename", None) else ""
            raise UserError(f"cannot write --out {target}: {_reason(e)}{where}; nothing was written") from None
    except BaseException:
        if committed:  # a signal held during the rename, delivered after it: the result stays
            raise
        with _Deferred(deliver=False):
            if tmp is not None:
                _remove_staged(tmp)
            for d in made:  # deepest first
                try:
                    d.rmdir()
                except OSError:
                    break
        raise


def _commit(tmp: Path, target: Path, overwrite: bool) -> None:
    """Rename the complete staging folder to ``target``, replacing an earlier result."""
    if os.path.lexists(target):
        if not overwrite:
            raise UserError(f"--out {target} appeared while running; nothing written (add --overwrite to replace it)")
        why = _not_replaceable(target)
        if why:
            raise UserError(f"--out {target} cannot be replaced: it {why} (it changed while running); nothing written")
        old = Path(tempfile.mkdtemp(prefix=f".{target.name[:100]}.old-{os.getpid()}-", dir=target.parent))
        _mark_staging(old)
        os.replace(target, old / "result")  # the old result, in a marked folder: swept if we die now
        (tmp / STAGING_MARKER).unlink()
        os.replace(tmp, target)
        _remove_staged(old)
    else:
        (tmp / STAGING_MARKER).unlink()
        os.replace(tmp, target)


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


def cmd_dashboard(args) -> int:
    from connsim.dashboard import DashboardError, serve  # Solara and Mesa's visualization only from here on

    try:
        serve(args.host, args.port, args.scenario, announce=lambda line: print(line, flush=True), classroom=args.classroom)
    except DashboardError as e:
        raise UserError(str(e)) from None
    except KeyboardInterrupt:
        _err("connsim dashboard: stopped")
    return EXIT_OK


def cmd_list(args) -> int:
    from connsim.scenario import list_scenarios

    library = list_scenarios()
    width = max(map(len, library), default=8) + 2
    print("Library scenarios (scenarios/*.toml); run one with 'connsim run NAME':")
    for name, desc in library.items():
        print(f"  {name:<{width}}{desc}")
    from connsim.scenario import library_dir

    folder = library_dir()  # installed with the package: a wheel ships the scripts too
    scripts = sorted(p.name for p in folder.iterdir() if p.name.endswith(".py") and not p.name.startswith("_"))
    if scripts:
        print(
            f"\nScenario scripts (the Python API for what TOML cannot say; run one with 'python DIR/NAME.py'),\nDIR = {folder}:"
        )
        for s in scripts:
            print(f"  {s}")
    return EXIT_OK


def cmd_claims(args) -> int:
    from connsim.claims import (
        ClaimsError,
        check_claims,
        claims_markdown,
        claims_table_text,
        load_claims,
        results_markdown,
        results_text,
    )

    try:
        table = load_claims(args.table, resolve=args.check)
        if not args.check:
            if args.claims:
                ids = [c.strip() for c in args.claims.split(",") if c.strip()]
                unknown = [c for c in ids if c not in set(table["claim_id"])]
                if unknown:
                    raise ClaimsError(f"--claims: unknown claim {', '.join(unknown)}; allowed ids of the claims table")
                table = table[table["claim_id"].isin(ids)]
            if args.format == "csv":
                sys.stdout.write(table.to_csv(index=False))
            elif args.format == "markdown":
                print(claims_markdown(table))
            else:
                print(claims_table_text(table))
            return EXIT_OK
        results = check_claims(
            args.claims,
            seeds=args.seeds,
            first_seed=args.first_seed,
            workers=args.workers,
            progress=_want_progress(args.progress),
            table=table,
        )
    except ClaimsError as e:
        raise UserError(str(e)) from None
    if args.format == "csv":
        sys.stdout.write(results.to_csv(index=False, float_format="%.6g"))
    elif args.format == "markdown":
        print(results_markdown(results))
    else:
        print(results_text(results))
    return EXIT_OK if results["bites"].all() else 1


def _calibration_folder(out: Path, overwrite: bool) -> None:
    """Refuse an ``--out`` that is not (or cannot become) a calibration folder; with ``overwrite``,
    remove the files an earlier calibration wrote there (and nothing else)."""
    from connsim.calibration import CALIBRATION_FILES

    if not str(out).strip():
        raise UserError("--out is empty; allowed the path of a folder for the calibration")
    why = _protected(Path(os.path.realpath(out)))
    if why:
        raise UserError(f"--out {out} {why}")
    if not os.path.lexists(out):
        _check_writable(Path(os.path.abspath(out)))
        return
    if out.is_symlink() or not out.is_dir():
        raise UserError(f"--out {out} is not a folder; choose a new folder for the calibration")
    meta = out / "calibrate.json"
    try:
        info = json.loads(meta.read_bytes()) if meta.is_file() else None
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict) or info.get("written_by") != WRITTEN_BY or info.get("kind") != "calibrate":
        raise UserError(f"--out {out} exists and holds no calibration written by connsim calibrate; choose another --out")
    ours = set(CALIBRATION_FILES) | {"calibration.db-journal"}
    others = sorted(e.name for e in os.scandir(out) if e.name not in ours or not e.is_file(follow_symlinks=False))
    if others:
        raise UserError(
            f"--out {out} holds files connsim calibrate did not write ({', '.join(others[:5])}); choose another --out"
        )
    if overwrite:
        for name in ours:
            if (out / name).exists():
                (out / name).unlink()


def cmd_calibrate(args) -> int:
    from connsim.calibration import CalibrationError, calibrate, summary_text

    out = args.out if args.out is not None else Path("out") / "calibration"
    _calibration_folder(out, args.overwrite)
    quiet = args.quiet
    try:
        result = calibrate(
            out,
            populations=args.populations,
            population_size=args.population_size,
            seeds=args.seeds,
            seed=args.seed,
            max_simulations=args.max_simulations,
            check_seeds=args.check_seeds,
            workers=args.workers,
            progress=None if quiet else (lambda line: print(line, flush=True)),
            command=["connsim", *args.argv],
        )
    except CalibrationError as e:
        raise UserError(str(e)) from None
    print(summary_text(result))
    print(f"\nwrote {out}/: posterior.csv, intervals.csv, fit.csv, summary.txt, calibration.toml, calibrate.json")
    return EXIT_OK


def cmd_validate(args) -> int:
    from connsim.scenario import ScenarioError

    bad = 0
    for ref in args.files:
        try:
            spec = _load(ref)
        except ScenarioError as e:
            bad += 1
            _err(f"invalid {e}")
            continue
        ext = f", extends {spec.extends}" if spec.extends else ""
        print(
            f"ok      {ref} ({spec.name}{ext}; {spec.start_year}-{spec.end_year}, {len(spec.events)} event{'' if len(spec.events) == 1 else 's'})"
        )
    if bad:
        _err(f"{bad} of {len(args.files)} scenario{'s' if len(args.files) != 1 else ''} invalid")
        return EXIT_USAGE
    return EXIT_OK


def cmd_show(args) -> int:
    from connsim.scenario import load_parent, parameter_table

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
    sections = {
        "time": "Time",
        "levers": "Levers",
        "behaviour": "Behaviour",
        "powers": "Powers (their strategies; a Python strategy: connsim.run(..., strategies={...}))",
        "weights": "Weights of the decision rules (connsim.weights)",
        "events": "Events",
    }
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


def _run_meta(args, kind: str, files: list[str], **extra) -> dict:
    """``run.json``: connsim's marker and the files it wrote (what ``--overwrite`` may replace
    later), the command and the version."""
    from connsim import __version__

    return {
        "written_by": WRITTEN_BY,
        "kind": kind,
        "files": files,
        "command": ["connsim", *args.argv],
        "connsim_version": __version__,
        **extra,
    }


def cmd_run(args) -> int:
    spec = _load(args.scenario)
    _check_until(spec, args.until)
    out = args.out if args.out is not None else Path("out") / _safe_name(spec.name)
    _check_out(out, args.overwrite)

    import matplotlib

    matplotlib.use("Agg")  # files, no display: the command line's choice (the library leaves the backend alone)
    from connsim.plots import plot_trajectories
    from connsim.report import format_powers, format_summary
    from connsim.runner import run

    result = run(_until(spec, args.until), seed=args.seed, progress=_want_progress(args.progress))
    mv, av = result.model_vars, result.agent_vars
    title = f"{spec.name}, seed {args.seed}" + (f", until {args.until}" if args.until else "")
    summary = format_summary(mv, title) + "\n\n" + format_powers(result.power_vars)

    import matplotlib.pyplot as plt

    files = [
        f"model_vars.{args.format}",
        f"agent_vars.{args.format}",
        "trajectories.png",
        "summary.txt",
        "scenario.json",
        RESULT_FILE,
    ]
    with staged_output(out, args.overwrite) as tmp:
        _write_frame(mv, tmp / "model_vars", args.format)
        _write_frame(av, tmp / "agent_vars", args.format)
        fig = plot_trajectories(mv, tmp / "trajectories.png", title)
        plt.close(fig)
        (tmp / "summary.txt").write_text(summary + "\n")
        (tmp / "scenario.json").write_text(json.dumps(resolved_scenario(result.scenario), indent=2) + "\n")
        meta = _run_meta(
            args,
            "run",
            files,
            scenario=spec.name,
            extends=spec.extends,
            seed=args.seed,
            until=args.until,
            steps=int(mv["step"].iloc[-1]),
            calibration=result.calibration,
        )
        (tmp / RESULT_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    # the results are in place: only now the summary (a closed pipe cannot hide a failed write)
    print(summary)
    print(f"\nwrote {out}/: {', '.join(files)}")
    return EXIT_OK


def resolved_scenario(spec: Scenario) -> dict:
    """The scenario as run, fully resolved, for ``scenario.json``: every value, the events of its
    whole ``extends`` chain, and no ``extends`` (``connsim run scenario.json`` runs it again)."""
    data = json.loads(spec.model_dump_json())
    data.pop("extends", None)
    return data


def compare_table(ends, names: list[str], keys) -> pd.DataFrame:  # noqa: F821
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
    head = [
        f"Key outcomes at the end of the run: mean ± std over seeds 0..{n_seeds - 1}"
        + (f" (until {until})" if until else "")
        + f"; differences from {ref!r} paired by seed"
    ]
    columns = [(f"{n} mean", f"{n} std", n) for n in names] + [
        (f"{n} - {ref} mean", f"{n} - {ref} std", f"{n} - {ref}") for n in names[1:]
    ]
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


def plot_comparison(runs, names, path, title=""):
    """Fan charts of the key outcomes per scenario, each over the paired differences from the first
    (:func:`connsim.plots.comparison`), saved at ``path``."""
    from connsim.plots import comparison

    return comparison(runs, COMPARE_PLOT, reference=names[0], path=path, title=title)


def cmd_compare(args) -> int:
    from connsim.scenario import ScenarioError

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
    from connsim.outcomes import label
    from connsim.report import SUMMARY

    seeds = list(range(args.seeds))
    ens = run_ensemble(
        {name: _until(spec, args.until) for name, spec in zip(names, specs)}, seeds=seeds, progress=_want_progress(args.progress)
    )
    if ens.n_failed:
        first = ens.failures.iloc[0]
        _err(
            f"connsim compare: error: {ens.n_failed} of {ens.n_runs} runs failed (first: {first['scenario']} seed "
            f"{first['seed']}: {first['error']}); nothing written"
        )
        return 3
    runs = ens.model_vars.drop(columns="run_id")
    numeric = [c for c in runs.columns if c not in ("scenario", "seed", "step", "year")]
    last = runs.groupby(["scenario", "seed"])["step"].transform("max") == runs["step"]
    ends = runs[last].reset_index(drop=True)
    keys = [k for k in SUMMARY if k in runs.columns]
    labels = {k: label(k) for k in keys}
    table = compare_table(ends, names, keys)
    text = _format_compare(table, names, labels, args.seeds, args.until)

    grouped = runs.groupby(["scenario", "step"], sort=False)[numeric + ["year"]]
    mean = grouped.mean().reset_index()
    std = grouped.std(ddof=1 if args.seeds > 1 else 0).reset_index()
    std["year"] = mean["year"]

    import matplotlib

    matplotlib.use("Agg")  # files, no display (the library leaves the backend alone)
    import matplotlib.pyplot as plt

    files = [
        "comparison.csv",
        f"outcomes.{args.format}",
        f"trajectories.{args.format}",
        "comparison.png",
        "summary.txt",
        RESULT_FILE,
    ]
    with staged_output(out, args.overwrite) as tmp:
        table.rename_axis("outcome").to_csv(tmp / "comparison.csv")
        _write_frame(ends[["scenario", "seed", "step", "year", *numeric]], tmp / "outcomes", args.format)
        traj = pd.concat([mean.assign(stat="mean"), std.assign(stat="std")], ignore_index=True)
        _write_frame(traj, tmp / "trajectories", args.format)
        fig = plot_comparison(ens.model_vars, names, tmp / "comparison.png", f"{' vs '.join(names)} ({args.seeds} seeds)")
        plt.close(fig)
        (tmp / "summary.txt").write_text(text + "\n")
        meta = _run_meta(
            args,
            "compare",
            files,
            scenarios=names,
            seeds=seeds,
            until=args.until,
            extends={n: s.extends for n, s in zip(names, specs)},
            resolved={n: resolved_scenario(s) for n, s in zip(names, specs)},
        )
        (tmp / RESULT_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    print(text)  # after the results are in place
    print(f"\nwrote {out}/: {', '.join(files)}")
    return EXIT_OK
