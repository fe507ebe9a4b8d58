"""Sweeps: a design over levers and weights of one scenario, run as an ensemble.

>>> ens = connsim.sweep("baseline", levers={"us_china_conflict": (0.2, 1.0), "w_peer": [0.05, 0.15, 0.45]},
...                     design="factorial", n=5, replications=3, until=2026)      # doctest: +SKIP
>>> ens.experiments[["us_china_conflict", "w_peer", "seed"]]                       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connsim.experiments.design import (
    DesignError,
    factorial,
    latin_hypercube,
    parse_levers,
    plan_points,
    stop_at,
)
from connsim.experiments.ensemble import EnsembleResult, _seeds, _whole, check_outcomes, execute_plan
from connsim.scenario import load_scenario

__all__ = ["sweep", "design_points"]


def design_points(levers: Mapping[str, Any], design: str = "factorial", n: int | None = None, seed: int = 0):
    """The checked levers and the design points ``[{lever: value}]`` of a sweep (nothing runs)."""
    specs = parse_levers(levers)
    if design == "factorial":
        if n is not None:
            n = _whole(n, "n", 2)
        points = factorial(specs, n)
    elif design == "lhs":
        if n is None:
            raise DesignError("n: a Latin hypercube needs n, the number of design points (e.g. n=200)")
        points = latin_hypercube(specs, _whole(n, "n", 1), seed=_whole(seed, "seed", 0))
    else:
        raise DesignError(f"design: got {design!r}; allowed 'factorial' or 'lhs'")
    return specs, points


def sweep(
    scenario="baseline",
    levers: Mapping[str, Any] | None = None,
    design: str = "factorial",
    n: int | None = None,
    replications: int = 1,
    seed: int = 0,
    *,
    seeds: Sequence[int] | None = None,
    until: int | None = None,
    executor=None,
    workers: int | None = None,
    out=None,
    progress: bool = False,
    record_agents: bool = False,
    outcomes: Sequence[str] | None = None,
    batch_size: int | None = None,
) -> EnsembleResult:
    """Run ``scenario`` over a design of lever values, ``replications`` times each point.

    Parameters
    ----------
    scenario : the base scenario (library name, path, dict or Scenario).
    levers : ``{name: values or (lo, hi)}``: any scenario lever, behaviour parameter, weight
        (``w_peer`` or ``weights.w_peer``) or ODA table entry (``oda_budget_scale.EUU``). A list gives
        the values; a tuple ``(lo, hi)`` a range of a numeric lever. Values and ranges are
        checked against the scenario schema (out of range: refused, naming the lever and its
        allowed range).
    design : ``"factorial"`` (every combination; a range gives ``n`` evenly spaced levels) or
        ``"lhs"`` (``n`` points of a Latin hypercube; lists sampled over their values).
    n : levels per range (factorial) or number of points (lhs).
    replications, seed, seeds : as in :func:`run_ensemble`; replication ``r`` of every point has
        the same seed (common random numbers); the design's own draws use another stream.
    until, executor, workers, out, progress, record_agents, outcomes, batch_size : as in
        :func:`run_ensemble` (agent-level data off by default).

    Returns
    -------
    EnsembleResult whose ``experiments`` has one column per swept lever (named as in ``levers``,
    a weight by its bare name).

    Notes
    -----
    Cost: (design points x replications) runs; a factorial design grows as the product of the
    level counts, a Latin hypercube as ``n``.
    """
    if levers is None:
        raise DesignError("levers: give the levers to sweep, e.g. levers={'us_china_conflict': (0.2, 1.0)}")
    base = stop_at(load_scenario(scenario), until)
    seed_list, root = _seeds(replications, seed, seeds)
    specs, points = design_points(levers, design, n, seed if root is not None else 0)
    options = {"record_agents": bool(record_agents), "outcomes": check_outcomes(outcomes), "design": design}
    plan = plan_points(base, base.name, specs, points, seed_list, root, options)
    _check_first(plan)
    return execute_plan(
        plan,
        executor=executor,
        workers=workers,
        out=out,
        progress=progress,
        label=f"sweep {base.name}",
        batch_size=batch_size,
        kind="sweep",
    )


def _check_first(plan) -> None:
    """Validate the design's extreme points as whole scenarios before anything runs (a lever
    value valid alone may make the scenario invalid with the others)."""
    from connsim.experiments._worker import _scenario
    from connsim.scenario import ScenarioError

    base = None
    checked = set()
    for _label, key, changes in (plan.points[0], plan.points[-1]):
        text = repr(changes)
        if text in checked:
            continue
        checked.add(text)
        base = base or _scenario(plan.bases[key])
        try:
            base.replace(**changes)
        except ScenarioError as e:
            raise DesignError(f"levers: the design point {changes} is not a valid scenario: {'; '.join(e.problems)}") from None
