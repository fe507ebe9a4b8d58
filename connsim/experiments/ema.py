"""connsim as an EMA Workbench model, so that EMA users run it with their own tools.

>>> from ema_workbench import perform_experiments
>>> from connsim.experiments.ema import ema_model
>>> model = ema_model("baseline", until=2026)                          # doctest: +SKIP
>>> experiments, outcomes = perform_experiments(model, scenarios=50, policies=4)   # doctest: +SKIP

EMA's vocabulary: *uncertainties* are what the EU and Japan do not control (the US-China
conflict, US pressure, China's Digital Silk Road; any behaviour parameter or weight one wants to
treat as uncertain), *levers* are their policy choices (cooperation, toolbox, vendor push,
DFFT, ODA), *outcomes* are ``model_vars`` columns at one year (``ScalarOutcome``) or over the
run (``TimeSeriesOutcome``). Ranges default to the scenario schema's and are checked against it.
Parameter names are connsim's, except that an ODA table entry's dot becomes an underscore
(``oda_budget_scale_EUU``: EMA 3 wants Python identifiers).
Each experiment runs connsim once with the ``seed`` constant (spawned from ``seed`` as in
:func:`connsim.run_ensemble`); with ``replications`` > 1 the model is a ``ReplicatorModel``.

Needs the ``connsim[ema]`` extra (ema-workbench 2.5 on Python 3.11, 3.x on 3.12+).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from connsim.experiments.design import DesignError, lever, merge_changes, parse_levers, spawn_seeds, stop_at
from connsim.experiments.ensemble import check_outcomes
from connsim.experiments.sensitivities import check_year
from connsim.scenario import load_scenario

__all__ = ["ema_model", "ema_name", "ConnsimFunction", "DEFAULT_LEVERS", "DEFAULT_UNCERTAINTIES", "DEFAULT_OUTCOMES"]

#: the EU's and Japan's policy choices (EMA levers), with the ranges explored by default
DEFAULT_LEVERS: dict[str, Any] = {
    "eu_japan_cooperation": ["none", "bilateral", "beyond_bilateral"],
    "eu_toolbox_strength": (0.0, 1.0),
    "japan_vendor_push": (0.0, 1.0),
    "dfft_multilateral_push": (0.0, 1.0),
    "eu_jp_oda_coordination": (0.0, 1.0),
    "open_connected_ring": (0.0, 1.0),
}
#: what they do not control (EMA uncertainties)
DEFAULT_UNCERTAINTIES: dict[str, Any] = {
    "us_china_conflict": (0.0, 1.0),
    "us_pressure": (0.0, 1.0),
    "digital_silk_road_intensity": (0.0, 2.0),
}
#: suffix of time-series outcomes: EMA keeps one registry of outcome names per process, in
#: which a name is either a scalar or a time series, never both
SERIES = "_series"
DEFAULT_OUTCOMES = (
    "trusted_regimes_share_third",
    "convergence_index",
    "free_flow_gdp_pair_share",
    "us_allies_restricting",
    "hr_core_share_third",
    "anchored_eu_jpn",
    "anchored_china",
)


def _ema():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed" and the like
            import ema_workbench
    except ImportError:
        raise ImportError(
            "connsim.experiments.ema needs EMA Workbench: pip install 'connsim[ema]' "
            "(ema-workbench 2.5 installs on Python 3.11, 3.x on Python 3.12+)"
        ) from None
    return ema_workbench


class ConnsimFunction:
    """The callable an EMA model runs: lever and uncertainty values (and ``seed``) in, outcomes out.

    Picklable (a base scenario as JSON, names, the outcome selection), so that EMA's
    multiprocessing evaluators can send it to their workers.
    """

    def __init__(self, base_json: str, names: Sequence[str], outcomes: Sequence[str], year: float | None, timeseries: bool):
        self.base_json, self.outcomes = base_json, list(outcomes)
        self.names = {ema_name(n): n for n in names}  # EMA's name -> connsim's
        self.year, self.timeseries = year, timeseries

    def __call__(self, seed: int, **values) -> dict:
        from connsim.experiments import _worker

        unknown = set(values) - set(self.names)
        if unknown:
            raise DesignError(f"unknown parameters {sorted(unknown)}; this model has {sorted(self.names)}")
        levers = {self.names[k]: _plain(v) for k, v in values.items()}
        changes = merge_changes(lever(k).change(lever(k).check(v, k)) for k, v in levers.items())
        spec = _worker._scenario(self.base_json)
        spec = spec.replace(**changes) if changes else spec
        mv = _worker.simulate(spec, int(seed), outcomes=self.outcomes)["model_vars"]
        if self.timeseries:
            return {f"{o}{SERIES}": mv[o].to_numpy() for o in self.outcomes}
        row = mv.iloc[-1] if self.year is None else mv[np.isclose(mv["year"].to_numpy(float), self.year)].iloc[0]
        return {o: float(row[o]) for o in self.outcomes}


def ema_name(name: str) -> str:
    """A connsim lever name as an EMA parameter name (a Python identifier, as EMA 3 requires):
    ``oda_budget_scale.EUU`` -> ``oda_budget_scale_EUU``; others are unchanged."""
    return name.replace(".", "_")


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _parameter(ema, lv, spec):
    name = ema_name(lv.name)
    if spec[0] == "range":
        if lv.kind == "integer":
            return ema.IntegerParameter(name, int(spec[1]), int(spec[2]))
        return ema.RealParameter(name, float(spec[1]), float(spec[2]))
    values = list(spec[1])
    if lv.kind == "boolean" and sorted(values) == [False, True]:
        return ema.BooleanParameter(name)
    return ema.CategoricalParameter(name, values)


def ema_model(
    scenario="baseline",
    *,
    levers: Mapping[str, Any] | None = None,
    uncertainties: Mapping[str, Any] | None = None,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    year: float | None = None,
    until: int | None = None,
    seed: int = 0,
    replications: int = 1,
    timeseries: bool = False,
    name: str = "connsim",
):
    """An ``ema_workbench`` model of ``scenario`` (see the module docstring).

    Parameters
    ----------
    levers, uncertainties : ``{name: (lo, hi) or [values]}`` as in :func:`connsim.sweep`
        (default :data:`DEFAULT_LEVERS`, :data:`DEFAULT_UNCERTAINTIES`; ``{}`` for none).
    outcomes : ``model_vars`` columns, each a ``ScalarOutcome`` at ``year`` (default: the end
        of the run), or with ``timeseries=True`` a ``TimeSeriesOutcome`` over every step, named
        ``<outcome>_series`` (EMA allows a name to be a scalar or a series, not both).
    seed, replications : the run seeds are ``spawn_seeds(seed, replications)``.

    Returns
    -------
    ``ema_workbench.Model`` (or ``ReplicatorModel`` when ``replications`` > 1).
    """
    ema = _ema()
    base = stop_at(load_scenario(scenario), until)
    lv_specs = parse_levers(DEFAULT_LEVERS if levers is None else levers) if (levers is None or levers) else []
    un_specs = (
        parse_levers(DEFAULT_UNCERTAINTIES if uncertainties is None else uncertainties)
        if (uncertainties is None or uncertainties)
        else []
    )
    both = {lv.name for lv, _ in lv_specs} & {lv.name for lv, _ in un_specs}
    if both:
        raise DesignError(f"levers/uncertainties: {sorted(both)[0]} is given as both; allowed each name once")
    outcomes = check_outcomes(list(outcomes), "outcomes")
    if not outcomes:
        raise DesignError("outcomes: give at least one outcome")
    year = check_year(base, year)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise DesignError(f"replications: got {replications!r}; allowed a whole number from 1")
    seeds = spawn_seeds(seed, replications)
    names = [lv.name for lv, _ in lv_specs + un_specs]
    fn = ConnsimFunction(base.model_dump_json(), names, outcomes, year, timeseries)
    if replications == 1:
        model = ema.Model(name, function=fn)
        model.constants = [ema.Constant("seed", seeds[0])]
    else:
        model = ema.ReplicatorModel(name, function=fn)
        model.replications = [{"seed": s} for s in seeds]
    model.uncertainties = [_parameter(ema, lv, spec) for lv, spec in un_specs]
    model.levers = [_parameter(ema, lv, spec) for lv, spec in lv_specs]
    if timeseries:
        model.outcomes = [ema.TimeSeriesOutcome(f"{o}{SERIES}") for o in outcomes]
    else:
        model.outcomes = [ema.ScalarOutcome(o) for o in outcomes]
    return model
