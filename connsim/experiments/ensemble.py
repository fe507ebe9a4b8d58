"""Ensembles: many runs of one or more scenarios, on any executor, kept on disk as they finish.

>>> import connsim
>>> ens = connsim.run_ensemble(["baseline", "hardening_conflict"], replications=20, until=2026,
...                            workers=2, out="out/hardening")          # doctest: +SKIP
>>> ens.model_vars        # every run's outcomes per step, with run_id, scenario, seed columns
>>> ens.experiments       # one row per run: scenario, levers that differ, replication, seed, status
>>> ens.plot(["us_allies_restricting"])   # fan chart: median and 50% / 90% bands over seeds

Calling it again with the same arguments and ``out`` resumes: finished runs are read back, not
run again (``runs_executed`` counts the runs this call ran).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from connsim.experiments import _worker
from connsim.experiments.design import (
    DesignError,
    Plan,
    plan_scenarios,
    resolve_scenarios,
    spawn_seeds,
    stop_at,
)
from connsim.experiments.executors import check_executor, execute
from connsim.experiments.store import Store

__all__ = ["run_ensemble", "EnsembleResult", "RunsFailedWarning"]

#: Outcomes an ensemble summarises by default (end of run): the paper's headline questions.
KEY_OUTCOMES = (
    "trusted_regimes_share_third",
    "convergence_index",
    "free_flow_gdp_pair_share",
    "us_allies_restricting",
    "eu_restricting",
    "hr_core_share_third",
    "anchored_eu_jpn",
    "anchored_china",
)
BATCH_RUNS = 512  # runs per Parquet file (at most)
BATCH_SECONDS = 30.0  # ... or the runs finished in this many seconds, whichever comes first


class RunsFailedWarning(UserWarning):
    """Some runs of an ensemble failed; the others finished (see ``result.failures``)."""


# --- argument checks ----------------------------------------------------------------------------------


def _whole(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DesignError(f"{name}: got {value!r}; allowed a whole number from {minimum}")
    return int(value)


def _seeds(replications, seed, seeds) -> tuple[list[int], int | None]:
    if seeds is not None:
        if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray, range)) or len(seeds) == 0:
            raise DesignError(f"seeds: got {seeds!r}; allowed a list of whole numbers from 0 (one per replication)")
        seeds = [_whole(s, "seeds", 0) for s in seeds]
        if replications not in (1, len(seeds)):
            raise DesignError(f"replications: {replications} does not match the {len(seeds)} seeds given; give one of them")
        return seeds, None
    replications = _whole(replications, "replications", 1)
    return spawn_seeds(_whole(seed, "seed", 0), replications), int(seed)


def check_outcomes(outcomes, what: str = "outcomes") -> list[str] | None:
    """``outcomes`` as a list of known outcome names (None: all)."""
    if outcomes is None:
        return None
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    known = _worker.outcome_names()
    out = []
    for o in outcomes:
        if o not in known:
            import difflib

            hint = difflib.get_close_matches(str(o), known, n=1, cutoff=0.6)
            did = f"did you mean {hint[0]!r}? " if hint else ""
            raise DesignError(
                f"{what}: unknown outcome {o!r}; {did}allowed a column of model_vars such as "
                "trusted_regimes_share_third, convergence_index, us_allies_restricting"
            )
        if o not in out:
            out.append(o)
    return out


def _reporters(reporters, reserved) -> tuple[dict | None, dict | None]:
    if reporters is None:
        return None, None
    if not isinstance(reporters, Mapping) or not all(isinstance(k, str) and callable(f) for k, f in reporters.items()):
        raise DesignError("reporters: allowed a mapping {name: function(result) -> number}")
    for k in reporters:
        if k in reserved:
            raise DesignError(f"reporters: {k!r} is already a column of experiments; choose another name")
    names = {k: f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}" for k, f in reporters.items()}
    return dict(reporters), names


# --- running a plan -------------------------------------------------------------------------------------


class _Collector:
    """Receives chunk results: keeps them in memory, or appends them to the store in batches."""

    def __init__(self, store: Store | None, batch_runs: int, batch_seconds: float):
        self.store = store
        self.batch_runs, self.batch_seconds = batch_runs, batch_seconds
        self.tables = {"model_vars": [], "agent_vars": []}
        self.status: list = []
        self.reports: list = []
        self.buffer_runs = 0
        self.last_flush = time.monotonic()
        self.executed = 0

    def __call__(self, res: dict) -> None:
        for kind in ("model_vars", "agent_vars"):
            if res.get(kind) is not None:
                self.tables[kind].append(res[kind])
        self.status += res["status"]
        self.reports += res["reports"]
        self.executed += len(res["status"])
        self.buffer_runs += len(res["status"])
        if self.store is not None and (
            self.buffer_runs >= self.batch_runs or time.monotonic() - self.last_flush >= self.batch_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if self.store is None or not self.status:
            return
        import pyarrow as pa

        mv = pa.concat_tables(self.tables["model_vars"]) if self.tables["model_vars"] else None
        av = pa.concat_tables(self.tables["agent_vars"]) if self.tables["agent_vars"] else None
        self.store.append(mv, av, self.status, self.reports)
        self.tables = {"model_vars": [], "agent_vars": []}
        self.status, self.reports = [], []
        self.buffer_runs = 0
        self.last_flush = time.monotonic()


def execute_plan(
    plan: Plan,
    *,
    executor=None,
    workers=None,
    out=None,
    progress=False,
    label="ensemble",
    batch_size=None,
    kind="ensemble",
    chunk=None,
) -> EnsembleResult:
    """Run ``plan`` (skipping the runs ``out`` already holds) and return its result."""
    plan.options["kind"] = kind
    check_executor(executor, workers)
    if batch_size is not None:
        batch_size = _whole(batch_size, "batch_size", 1)
    experiments = plan.experiments()
    store = None
    if out is not None:
        if not isinstance(out, (str, Path)):
            raise DesignError(f"out: got {out!r}; allowed the path of a folder")
        store = Store.open(out, plan, experiments, label="out")
    try:
        done = store.done() if store is not None else set()
        pending = [i for i in range(plan.n_runs) if i not in done]
        collector = _Collector(store, batch_size or BATCH_RUNS, BATCH_SECONDS)
        try:
            execute(
                plan,
                pending,
                collector,
                executor=executor,
                workers=workers,
                progress=progress,
                label=label,
                chunk=chunk,
                max_chunk=collector.batch_runs if store is not None else None,
            )
        finally:  # what finished is kept, even on Ctrl-C
            collector.flush()
        if store is not None:
            result = EnsembleResult._from_store(store, experiments, runs_executed=collector.executed, kind=kind)
        else:
            result = EnsembleResult._from_memory(experiments, collector, kind=kind)
    finally:
        if store is not None:
            store.close()
    if result.n_failed:
        first = result.failures.iloc[0]
        warnings.warn(
            f"{result.n_failed} of {result.n_runs} runs failed; the others finished. First: run "
            f"{first['run_id']} ({first['scenario']}, seed {first['seed']}): {first['error']}",
            RunsFailedWarning,
            stacklevel=3,
        )
    return result


def run_ensemble(
    scenarios,
    replications: int = 1,
    seed: int = 0,
    *,
    seeds: Sequence[int] | None = None,
    until: int | None = None,
    executor=None,
    workers: int | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    record_agents: bool = False,
    outcomes: Sequence[str] | None = None,
    reporters: Mapping[str, Callable] | None = None,
    batch_size: int | None = None,
) -> EnsembleResult:
    """Run each scenario ``replications`` times, on any executor, optionally kept on disk.

    Parameters
    ----------
    scenarios : a scenario (library name, TOML path, dict or :class:`~connsim.Scenario`), a list of
        them, or a mapping ``{label: scenario}``. Labels default to the scenarios' names.
    replications : runs of each scenario. Replication ``r`` of every scenario uses the same seed
        (common random numbers: differences between scenarios are paired by seed).
    seed : root seed; run seeds are ``spawn_seeds(seed, replications)`` (``SeedSequence.spawn``),
        recorded in ``experiments.seed`` so that ``connsim.run(scenario, seed)`` reproduces a run.
    seeds : the run seeds themselves, one per replication, instead of spawning them
        (``seeds=range(5)`` reproduces runs with seeds 0..4).
    until : stop every scenario at the start of this year (e.g. 2026 for 2019-2025).
    executor : ``None`` (serial, in this process), any ``concurrent.futures.Executor``, or a
        ``dask.distributed.Client`` (used through ``get_executor(pure=False)``).
    workers : a local pool of this many processes (instead of ``executor``).
    out : folder to keep the results in as they finish (Parquet in batches, a manifest); calling
        again with the same arguments and ``out`` resumes. A folder of another ensemble is refused.
    progress : a progress bar with the time remaining.
    record_agents : keep agent-level frames too (``agent_vars``; large: use with ``out``).
    outcomes : keep only these outcome columns (default all).
    reporters : ``{name: f(result)}`` end-of-run measures computed in the worker from the run's
        result (for what is not an outcome); one column each in ``experiments``. Must be
        importable functions when runs go to other processes.
    batch_size : runs per Parquet file at most (default 512; a batch is also written every 30 s).

    Returns
    -------
    EnsembleResult
        ``.model_vars`` (runs x steps rows), ``.experiments`` (one row per run, ``status``
        ``done`` or ``failed`` with its ``error``), ``.agent_vars``, ``.runs_executed``.

    Notes
    -----
    A run that raises is recorded as failed and the others finish (a :class:`RunsFailedWarning`
    says so); running again with the same ``out`` retries the failed runs. Results are identical
    whatever the executor, the number of workers or the order of completion. Cost: the runs
    themselves, plus about a millisecond per run for frames, transfer and Parquet.
    """
    named = resolve_scenarios(scenarios)
    if until is not None:
        named = [(label, stop_at(spec, until)) for label, spec in named]
    seed_list, root = _seeds(replications, seed, seeds)
    outcomes = check_outcomes(outcomes)
    options = {"record_agents": bool(record_agents), "outcomes": outcomes}
    plan = plan_scenarios(named, seed_list, root, options)
    reps, names = _reporters(reporters, {"run_id", "scenario", "replication", "seed", "status", "error", *plan.columns})
    plan.reporters = reps
    if names:
        plan.options["reporters"] = names
    return execute_plan(
        plan, executor=executor, workers=workers, out=out, progress=progress, label="ensemble", batch_size=batch_size
    )


# --- the result ---------------------------------------------------------------------------------------------


def _sorted_frame(table, experiments: pd.DataFrame) -> pd.DataFrame:
    """An Arrow table of runs as a frame ordered by run id (each run's rows in their own order),
    with ``scenario`` and ``seed`` after ``run_id``."""
    import pyarrow.compute as pc

    if table is None:
        return pd.DataFrame(columns=["run_id", "scenario", "seed"])
    order = pc.sort_indices(table, sort_keys=[("run_id", "ascending")])  # stable
    df = table.take(order).to_pandas()
    ids = df["run_id"].to_numpy()
    df.insert(1, "scenario", experiments["scenario"].to_numpy()[ids])
    df.insert(2, "seed", experiments["seed"].to_numpy()[ids])
    return df


class EnsembleResult:
    """The runs of an ensemble: their outcomes, the design, and what failed.

    Attributes
    ----------
    experiments : DataFrame, one row per run: ``run_id``, ``scenario``, one column per lever that
        differs between runs, ``replication``, ``seed``, ``status`` (``done`` / ``failed`` /
        ``pending``), ``error``, and any reporters.
    model_vars : DataFrame, one row per run and step: ``run_id``, ``scenario``, ``seed``,
        ``step``, ``year``, the outcomes. Read from the store on first use when there is one.
    agent_vars : DataFrame of agent-level frames (only with ``record_agents=True``), loaded from
        disk on demand.
    runs_executed : int, the runs this call ran (the others were read back from ``out``).
    out : Path or None, the store folder.
    """

    def __init__(
        self,
        experiments: pd.DataFrame,
        *,
        tables=None,
        store: Store | None = None,
        runs_executed: int = 0,
        kind: str = "ensemble",
    ):
        self.experiments = experiments
        self._tables = tables or {}
        self._store = store
        self.runs_executed = int(runs_executed)
        self.kind = kind
        self.out = store.path if store is not None else None

    # --- construction ----------------------------------------------------------------------------
    @classmethod
    def _from_memory(cls, experiments, collector: _Collector, kind="ensemble"):
        import pyarrow as pa

        status = {int(r): err for r, err, _ in collector.status}
        reports = {int(r): v for r, v in collector.reports}
        exp = _with_status(experiments, status, reports)
        tables = {k: pa.concat_tables(v) if v else None for k, v in collector.tables.items()}
        return cls(exp, tables=tables, runs_executed=collector.executed, kind=kind)

    @classmethod
    def _from_store(cls, store: Store, experiments, runs_executed=0, kind="ensemble"):
        done, failed = store.done(), store.failed()
        status = {i: None for i in done}
        status.update(failed)
        exp = _with_status(experiments, status, store.reports())
        return cls(exp, store=Store(store.path, store.manifest), runs_executed=runs_executed, kind=kind)

    @classmethod
    def load(cls, path) -> EnsembleResult:
        """The ensemble kept in the store folder ``path`` (complete or not), without running anything."""
        manifest = Store.load_manifest(path)
        store = Store(Path(path), manifest)
        experiments = pd.read_parquet(Path(path) / "experiments.parquet")
        kind = manifest.get("header", {}).get("options", {}).get("kind", "ensemble")
        return cls._from_store(store, experiments, runs_executed=0, kind=kind)

    # --- frames ----------------------------------------------------------------------------------
    @cached_property
    def model_vars(self) -> pd.DataFrame:
        table = self._store.read("model_vars") if self._store is not None else self._tables.get("model_vars")
        return _sorted_frame(table, self.experiments)

    @cached_property
    def agent_vars(self) -> pd.DataFrame:
        if self._store is not None:
            if not self._store.manifest.get("record_agents"):
                raise ValueError("this ensemble did not record agents (record_agents=False)")
            return _sorted_frame(self._store.read("agent_vars"), self.experiments)
        if self._tables.get("agent_vars") is None:
            raise ValueError("this ensemble did not record agents (record_agents=False)")
        return _sorted_frame(self._tables["agent_vars"], self.experiments)

    @property
    def n_runs(self) -> int:
        return len(self.experiments)

    @property
    def n_failed(self) -> int:
        return int((self.experiments["status"] == "failed").sum())

    @property
    def n_done(self) -> int:
        return int((self.experiments["status"] == "done").sum())

    @property
    def failures(self) -> pd.DataFrame:
        """The failed runs: their experiments rows, with the error."""
        return self.experiments[self.experiments["status"] == "failed"].reset_index(drop=True)

    @property
    def levers(self) -> list[str]:
        """The lever columns of ``experiments`` (those that differ between runs)."""
        fixed = {"run_id", "scenario", "replication", "seed", "status", "error"}
        reporters = set(self._reporter_names())
        return [c for c in self.experiments.columns if c not in fixed and c not in reporters]

    def _reporter_names(self) -> list[str]:
        return list(self.experiments.attrs.get("reporters", []))

    def _rows_at(self, year: float | None) -> pd.DataFrame:
        """The model_vars row of each finished run at ``year`` (default: its last step)."""
        mv = self.model_vars
        if mv.empty:
            return mv
        if year is None:
            return mv.groupby("run_id", sort=False).tail(1)
        rows = mv[np.isclose(mv["year"].to_numpy(float), float(year))]
        if rows.empty:
            years = np.unique(mv["year"])
            step = f" in steps of {years[1] - years[0]:g}" if len(years) > 1 else ""
            raise DesignError(f"year: {year} is not a recorded step year; allowed {years[0]:g}..{years[-1]:g}{step}")
        return rows

    def outcome_at(self, outcome: str, year: float | None = None) -> pd.Series:
        """One outcome of every finished run at ``year`` (default: the end), indexed by run_id."""
        rows = self._rows_at(year)
        if outcome not in rows.columns:
            raise DesignError(f"outcome: {outcome!r} is not among this ensemble's outcomes")
        return rows.set_index("run_id")[outcome]

    def ends(self, year: float | None = None, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per finished run: its experiments row and its outcomes at ``year`` (default:
        the last recorded step, the end of the run). An outcome named like a lever column of
        ``experiments`` (``us_china_conflict`` is both) is called ``<name>_outcome`` here."""
        rows = self._rows_at(year)
        if rows.empty:
            return self.experiments.iloc[:0]
        cols = [c for c in rows.columns if c not in ("scenario", "seed")]
        if outcomes is not None:
            cols = ["run_id", "step", "year", *outcomes]
        rows = rows[cols].rename(columns={c: f"{c}_outcome" for c in cols if c != "run_id" and c in self.experiments.columns})
        return self.experiments.merge(rows, on="run_id", how="inner")

    # --- reading it ------------------------------------------------------------------------------
    def summary(self, outcomes: Sequence[str] | None = None, year: float | None = None) -> pd.DataFrame:
        """End-of-run (or ``year``) outcomes per scenario: median and 5%, 95% quantiles over runs."""
        ends = self.ends(year)
        if ends.empty:
            return pd.DataFrame()
        keys = [k for k in (outcomes or KEY_OUTCOMES) if k in ends.columns]
        g = ends.groupby("scenario", sort=False)[keys]
        parts = {"median": g.median(), "q05": g.quantile(0.05), "q95": g.quantile(0.95)}
        table = pd.concat(parts, axis=1).swaplevel(0, 1, axis=1)
        table = table.reindex(columns=pd.MultiIndex.from_product([keys, ["median", "q05", "q95"]]))
        return table.T.rename_axis(["outcome", "stat"])

    def _header(self) -> list[str]:
        n_sc = self.experiments["scenario"].nunique()
        reps = int(self.experiments["replication"].max()) + 1 if self.n_runs else 0
        lines = [
            f"{type(self).__name__} ({self.kind}): {self.n_runs} runs = {self.n_runs // max(reps, 1)} design point"
            f"{'s' if self.n_runs // max(reps, 1) != 1 else ''} x {reps} replication{'s' if reps != 1 else ''}"
            f" ({n_sc} scenario{'s' if n_sc != 1 else ''})"
        ]
        pending = self.n_runs - self.n_done - self.n_failed
        lines.append(
            f"  {self.n_done} done, {self.n_failed} failed"
            + (f", {pending} pending" if pending else "")
            + f"; {self.runs_executed} run by this call"
            + (f"; store: {self.out}" if self.out else "")
        )
        if self.levers:
            lines.append(f"  levers: {', '.join(self.levers)}")
        for _, row in self.failures.head(5).iterrows():
            lines.append(f"  FAILED run {row['run_id']} ({row['scenario']}, seed {row['seed']}): {row['error']}")
        if self.n_failed > 5:
            lines.append(f"  ... and {self.n_failed - 5} more failed runs (see .failures)")
        return lines

    def __repr__(self) -> str:
        lines = self._header()
        table = self.summary() if self.n_done else pd.DataFrame()
        if not table.empty:
            with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160, "display.max_columns", 12):
                lines += ["", "End of run, median and 5%-95% over runs:", table.to_string()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: scenarios, replications, runs done and failed, key outcomes (median, 5-95%)."""
        from connsim._html import ensemble_html

        return ensemble_html(self)

    def plot(self, outcomes: Sequence[str] | None = None, **kwargs):
        """Fan chart of ``outcomes`` (default a few key ones) per scenario: median and 50% and
        90% bands over runs. Returns a matplotlib Figure (see :func:`connsim.plots.fan_chart`)."""
        from connsim.plots import fan_chart

        return fan_chart(self.model_vars, list(outcomes or KEY_OUTCOMES[:6]), **kwargs)


def _with_status(experiments: pd.DataFrame, status: dict, reports: dict) -> pd.DataFrame:
    exp = experiments.copy()
    ids = exp["run_id"].to_numpy()
    exp["status"] = ["done" if i in status and status[i] is None else "failed" if i in status else "pending" for i in ids]
    exp["error"] = [status.get(i) for i in ids]
    exp["error"] = exp["error"].astype(object)
    names = list(dict.fromkeys(k for v in reports.values() for k in v))
    for k in names:
        exp[k] = [reports.get(i, {}).get(k, np.nan) for i in ids]
        exp[k] = exp[k].infer_objects()
    exp.attrs["reporters"] = names
    return exp
