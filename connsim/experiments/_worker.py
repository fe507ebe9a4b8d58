"""The one place where the experiments machinery calls the core, and the task a worker runs.

:func:`simulate` is the only function here (and in ``connsim/experiments``) that runs the
model: a leaner path through the core can replace its body without touching the rest.
:func:`run_chunk` is what an executor runs: several runs in one task (fewer round trips), each
run guarded so that one failure does not take the others with it. It returns Arrow tables
(compact to send back), never models.
"""

from __future__ import annotations

import time
import traceback
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["simulate", "run_chunk", "outcome_names"]


def simulate(spec, seed: int, *, record_agents: bool = False, outcomes=None, years=None, reporters=None) -> dict:
    """One run of ``spec`` (a Scenario or its JSON) with ``seed``: its frames, not its model.

    Returns ``{"model_vars": DataFrame (steps + 1, 2 + outcomes), "agent_vars": DataFrame or
    None, "reports": {name: value}}``. ``outcomes``: keep only these outcome columns (with
    ``step`` and ``year``); ``years``: keep only the rows of these years; ``reporters``:
    ``{name: f(result)}`` evaluated on the run's result (end-of-run measures that are not
    outcomes).
    """
    import connsim

    if isinstance(spec, str):
        spec = _scenario(spec)
    result = connsim.run(spec, seed=seed, record_agents=record_agents, keep_model=bool(reporters))
    mv = result.model_vars
    if outcomes is not None:
        mv = mv[["step", "year", *outcomes]]
    if years is not None:
        mv = mv[mv["year"].isin(list(years))]
    out = {"model_vars": mv, "agent_vars": result.agent_vars if record_agents else None, "reports": {}}
    if reporters:
        out["reports"] = {name: _plain(f(result)) for name, f in reporters.items()}
    if result.model is not None:
        from connsim.runner import release

        release(result.model)
    return out


def outcome_names() -> list[str]:
    """The outcome columns of ``model_vars`` (a one-year probe run, computed once per process)."""
    return list(_outcome_names())


@lru_cache(maxsize=1)
def _outcome_names() -> tuple[str, ...]:
    import connsim

    spec = connsim.load_scenario("baseline").replace(end_year=2019, events=[])
    cols = simulate(spec, 0)["model_vars"].columns
    return tuple(c for c in cols if c not in ("step", "year"))


@lru_cache(maxsize=64)
def _scenario(text: str):
    from connsim.scenario import Scenario

    return Scenario.model_validate_json(text)


_POINTS: dict = {}


def _point(base_text: str, changes_key: str, changes: dict):
    """The scenario of a design point, cached (a worker sees each point once per replication)."""
    key = (base_text, changes_key)
    hit = _POINTS.get(key)
    if hit is None:
        base = _scenario(base_text)
        hit = base.replace(**changes) if changes else base
        if len(_POINTS) > 256:
            _POINTS.clear()
        _POINTS[key] = hit
    return hit


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _error_text(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".strip().replace("\n", " ")
    return text if len(text) <= 500 else text[:497] + "..."


def run_chunk(bases: dict, items: list, record_agents: bool = False, outcomes=None, reporters=None) -> dict:
    """Run ``items`` = ``[(run_id, base key, changes, seed), ...]``; ``bases``: key -> scenario JSON.

    Returns ``{"model_vars": pyarrow.Table or None (run_id first), "agent_vars": ..., "status":
    [(run_id, error or None, seconds)], "reports": [(run_id, {name: value})]}``. A run that
    raises is reported with its error; the others go on.
    """
    import json

    mvs, avs, status, reports = [], [], [], []
    for run_id, base, changes, seed in items:
        t0 = time.perf_counter()
        try:
            spec = _point(bases[base], json.dumps(changes, sort_keys=True), changes)
            res = simulate(spec, seed, record_agents=record_agents, outcomes=outcomes, reporters=reporters)
        except Exception as e:  # one failing run must not take the others with it
            status.append((run_id, _error_text(e), time.perf_counter() - t0))
            continue
        mv = res["model_vars"]
        mvs.append((run_id, mv))
        if record_agents:
            avs.append((run_id, res["agent_vars"]))
        if reporters:
            reports.append((run_id, res["reports"]))
        status.append((run_id, None, time.perf_counter() - t0))
    return {"model_vars": _table(mvs), "agent_vars": _table(avs) if record_agents else None, "status": status, "reports": reports}


def _table(frames):
    """One Arrow table of several runs' frames, with a leading ``run_id`` column."""
    import pyarrow as pa

    if not frames:
        return None
    ids = np.concatenate([np.full(len(f), r, dtype=np.int64) for r, f in frames])
    df = pd.concat([f for _, f in frames], ignore_index=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    return table.add_column(0, "run_id", pa.array(ids))


def describe_failure(e: BaseException) -> str:
    """A chunk that failed as a whole (a worker died, the task could not be sent)."""
    return _error_text(e) or "".join(traceback.format_exception_only(type(e), e)).strip()
