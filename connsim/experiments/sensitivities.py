"""Global sensitivity analysis with SALib: Sobol indices and Morris elementary effects.

>>> sa = connsim.sensitivity("baseline", levers={"us_china_conflict": (0.2, 1.0), "w_peer": (0, 0.5)},
...                          outcome="us_allies_restricting", year=2026, method="sobol", n=256,
...                          until=2026, workers=2)                          # doctest: +SKIP
>>> sa.indices        # tidy: lever, index (S1, ST, S2 / mu_star, mu, sigma), value, conf
>>> sa.plot()

Sobol (Saltelli's scheme): ``n * (2 * levers + 2)`` runs with second-order indices, ``n *
(levers + 2)`` without; ``n`` a power of two. Morris: ``n`` trajectories of ``levers + 1`` runs.
Each design point runs ``replications`` times with common seeds and the analysed value is the
mean over replications; with ``replications=1`` the indices are those of the model at one seed
(common random numbers), so the noise of the model does not enter them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from connsim.experiments.design import DESIGN_STREAM, DesignError, parse_levers, plan_points, stop_at
from connsim.experiments.ensemble import EnsembleResult, _seeds, _whole, check_outcomes, execute_plan
from connsim.scenario import load_scenario

__all__ = ["sensitivity", "SensitivityResult", "check_year"]

DEFAULT_N = {"sobol": 256, "morris": 16}


def check_year(spec, year) -> float | None:
    """``year`` if it is a recorded step of ``spec`` (None: the end of the run), else DesignError."""
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, (int, float, np.number)):
        raise DesignError(f"year: got {year!r}; allowed a year such as {spec.end_year + 1}")
    steps = spec.start_year + np.arange(spec.n_steps + 1) / spec.steps_per_year
    if not np.isclose(steps, float(year)).any():
        raise DesignError(
            f"year: {year} is not a recorded step of {spec.name!r}; allowed {steps[0]:g}..{steps[-1]:g} "
            f"in steps of {1 / spec.steps_per_year:g} ({spec.end_year + 1} is the end of {spec.end_year})"
        )
    return float(year)


def _salib():
    try:
        import SALib  # noqa: F401
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError:  # a core dependency; only a broken install lacks it
        raise ImportError("connsim.sensitivity needs SALib: pip install 'SALib>=1.5'") from None
    return sobol_sample, sobol_analyze, morris_sample, morris_analyze


def sensitivity(
    scenario="baseline",
    levers: Mapping[str, tuple] | None = None,
    outcome: str | None = None,
    year: float | None = None,
    method: str = "sobol",
    n: int | None = None,
    seed: int = 0,
    replications: int = 1,
    *,
    second_order: bool = True,
    levels: int = 4,
    conf_level: float = 0.95,
    seeds: Sequence[int] | None = None,
    until: int | None = None,
    executor=None,
    workers: int | None = None,
    out=None,
    progress: bool = False,
    batch_size: int | None = None,
) -> SensitivityResult:
    """Sobol or Morris sensitivity of ``outcome`` (at ``year``) to the levers' ranges.

    Parameters
    ----------
    scenario : the base scenario.
    levers : ``{name: (lo, hi)}`` numeric levers, behaviour parameters or weights, each range
        within the schema's (checked before anything runs).
    outcome : a ``model_vars`` column, e.g. ``"trusted_regimes_share_third"``.
    year : the step year analysed (default: the end of the run, e.g. 2026.0 after 2025).
    method : ``"sobol"`` (indices S1, ST and, with ``second_order``, S2) or ``"morris"``
        (mu_star, mu, sigma; ``levels`` grid levels).
    n : Sobol base sample size (a power of two; default 256) or Morris trajectories (default 16).
    seed, replications, seeds : as in :func:`run_ensemble`; the samples' scrambling and the
        bootstrap of the confidence intervals draw from the design stream of ``seed``.
    conf_level : confidence level of ``conf`` (bootstrap half-width).
    until, executor, workers, out, progress, batch_size : as in :func:`run_ensemble` (only
        ``outcome`` is kept: no agent data, one column per run and step).

    Returns
    -------
    SensitivityResult : ``.indices`` (tidy), ``.ensemble``, ``.samples``, ``.values``, ``.plot()``.
    """
    sobol_sample, sobol_analyze, morris_sample, morris_analyze = _salib()
    if method not in ("sobol", "morris"):
        raise DesignError(f"method: got {method!r}; allowed 'sobol' or 'morris'")
    if levers is None:
        raise DesignError("levers: give the levers and their ranges, e.g. levers={'us_china_conflict': (0.2, 1.0)}")
    specs = parse_levers(levers, ranges_only=True)
    if len(specs) < 2 and method == "sobol":
        raise DesignError("levers: Sobol indices need at least two levers")
    if outcome is None:
        raise DesignError("outcome: name the outcome to analyse, e.g. outcome='trusted_regimes_share_third'")
    (outcome,) = check_outcomes([outcome], "outcome")
    base = stop_at(load_scenario(scenario), until)
    year = check_year(base, year)
    n = DEFAULT_N[method] if n is None else _whole(n, "n", 2 if method == "sobol" else 1)
    if method == "sobol" and n & (n - 1):
        raise DesignError(
            f"n: {n} is not a power of two; allowed for Sobol 2, 4, ..., 512, 1024, ... "
            f"(Sobol sequences balance only then), e.g. {2 ** round(math.log2(n))}"
        )
    if method == "morris":
        levels = _whole(levels, "levels", 2)
    if not 0 < conf_level < 1:
        raise DesignError(f"conf_level: got {conf_level!r}; allowed a number between 0 and 1")
    seed_list, root = _seeds(replications, seed, seeds)
    design_seed = np.random.SeedSequence([int(seed if root is not None else 0), DESIGN_STREAM, 1])
    sample_seed, analysis_seed = (int(s) for s in design_seed.generate_state(2))
    problem = {"num_vars": len(specs), "names": [lv.name for lv, _ in specs], "bounds": [[s[1], s[2]] for _, s in specs]}
    if method == "sobol":
        X = sobol_sample.sample(problem, n, calc_second_order=second_order, seed=sample_seed)
    else:
        X = morris_sample.sample(problem, n, num_levels=levels, seed=sample_seed)
    points = []
    for row in X:
        p = {}
        for (lv, (_, lo, hi)), v in zip(specs, row):
            v = min(max(float(v), lo), hi)
            p[lv.name] = int(round(v)) if lv.kind == "integer" else v
        points.append(p)
    options = {"record_agents": False, "outcomes": [outcome], "method": method}
    plan = plan_points(base, base.name, specs, points, seed_list, root, options)
    ens = execute_plan(
        plan,
        executor=executor,
        workers=workers,
        out=out,
        progress=progress,
        label=f"{method} {base.name}",
        batch_size=batch_size,
        kind="sensitivity",
    )
    if ens.n_failed:
        first = ens.failures.iloc[0]
        raise RuntimeError(
            f"{ens.n_failed} of {ens.n_runs} runs failed, and the indices need every run (first: run "
            f"{first['run_id']}: {first['error']})"
            + (
                f"; the others are kept in {ens.out}: fix the cause and call again with the same out= to run only the failed ones"
                if ens.out
                else ""
            )
        )
    values = ens.outcome_at(outcome, year)
    R = len(seed_list)
    Y = values.groupby(values.index.to_numpy() // R).mean().to_numpy()  # the mean over each point's replications
    if np.ptp(Y) == 0:  # SALib would divide by a zero variance
        kinds = ["S1", "ST"] if method == "sobol" else ["mu_star", "mu", "sigma"]
        rows = [(lv, ix, np.nan, np.nan) for lv in problem["names"] for ix in kinds]
        indices = pd.DataFrame(rows, columns=["lever", "index", "value", "conf"])
        note = f"{outcome} does not vary over the design (always {Y[0]:g}): no index can be computed"
    else:
        note = ""
        if method == "sobol":
            res = sobol_analyze.analyze(problem, Y, calc_second_order=second_order, conf_level=conf_level, seed=analysis_seed)
            rows = []
            for j, name in enumerate(problem["names"]):
                rows.append((name, "S1", res["S1"][j], res["S1_conf"][j]))
                rows.append((name, "ST", res["ST"][j], res["ST_conf"][j]))
            if second_order:
                for j, a in enumerate(problem["names"]):
                    for k in range(j + 1, len(problem["names"])):
                        rows.append((f"{a}:{problem['names'][k]}", "S2", res["S2"][j, k], res["S2_conf"][j, k]))
        else:
            res = morris_analyze.analyze(problem, X, Y, num_levels=levels, conf_level=conf_level, seed=analysis_seed)
            rows = []
            for j, name in enumerate(problem["names"]):
                rows.append((name, "mu_star", res["mu_star"][j], res["mu_star_conf"][j]))
                rows.append((name, "mu", res["mu"][j], np.nan))
                rows.append((name, "sigma", res["sigma"][j], np.nan))
        indices = pd.DataFrame(rows, columns=["lever", "index", "value", "conf"])
        indices["value"] = indices["value"].astype(float)
        indices["conf"] = indices["conf"].astype(float)
    samples = pd.DataFrame(X, columns=problem["names"])
    return SensitivityResult(
        indices=indices,
        method=method,
        outcome=outcome,
        year=year,
        n=n,
        levers={lv.name: (s[1], s[2]) for lv, s in specs},
        ensemble=ens,
        samples=samples,
        values=pd.Series(Y, name=outcome),
        conf_level=conf_level,
        note=note,
        replications=R,
        second_order=second_order,
    )


class SensitivityResult:
    """Indices of one outcome's sensitivity to the levers.

    Attributes
    ----------
    indices : DataFrame, tidy: ``lever`` (``a:b`` for a second-order pair), ``index`` (S1, ST,
        S2 for Sobol; mu_star, mu, sigma for Morris), ``value``, ``conf`` (half-width of the
        ``conf_level`` bootstrap interval; NaN where SALib gives none).
    ensemble : EnsembleResult of the runs; ``samples``: the design (points x levers);
    ``values``: the analysed value per point (mean over replications).
    """

    def __init__(
        self,
        *,
        indices,
        method,
        outcome,
        year,
        n,
        levers,
        ensemble,
        samples,
        values,
        conf_level,
        note="",
        replications=1,
        second_order=True,
    ):
        self.indices = indices
        self.method, self.outcome, self.year, self.n = method, outcome, year, n
        self.levers = levers
        self.ensemble: EnsembleResult = ensemble
        self.samples, self.values = samples, values
        self.conf_level, self.note = conf_level, note
        self.replications, self.second_order = replications, second_order

    def table(self) -> pd.DataFrame:
        """The first-order indices wide: one row per lever, ``value`` and ``conf`` per index."""
        main = self.indices[self.indices["index"] != "S2"]
        wide = main.pivot(index="lever", columns="index", values=["value", "conf"])
        order = ["S1", "ST"] if self.method == "sobol" else ["mu_star", "mu", "sigma"]
        wide = wide.reindex(columns=pd.MultiIndex.from_product([["value", "conf"], order])).swaplevel(0, 1, axis=1)
        wide = wide.reindex(columns=pd.MultiIndex.from_product([order, ["value", "conf"]]))
        key = (order[1] if self.method == "sobol" else order[0], "value")
        return wide.reindex(list(self.levers)).sort_values(key, ascending=False)

    def summary(self) -> pd.DataFrame:
        return self.table()

    def _header(self) -> str:
        when = f"in {self.year:g}" if self.year is not None else "at the end of the run"
        runs = self.ensemble.n_runs
        return (
            f"{self.method.capitalize()} sensitivity of {self.outcome} {when}: {len(self.levers)} levers, n={self.n}, "
            f"{runs} runs ({self.replications} replication{'s' if self.replications != 1 else ''} per point), "
            f"conf = {self.conf_level:.0%} bootstrap half-width" + (f"\n  NOTE: {self.note}" if self.note else "")
        )

    def __repr__(self) -> str:
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
            text = [
                self._header(),
                "  ranges: " + ", ".join(f"{k} {v[0]:g}..{v[1]:g}" for k, v in self.levers.items()),
                "",
                self.table().to_string(),
            ]
            s2 = self.indices[self.indices["index"] == "S2"]
            if len(s2):
                top = s2.reindex(s2["value"].abs().sort_values(ascending=False).index).head(5)
                text += ["", "largest second-order indices:", top.to_string(index=False)]
        return "\n".join(text)

    def _repr_html_(self) -> str:
        return f"<div><p><b>{html.escape(self._header())}</b></p>{self.table().to_html(float_format='{:.3f}'.format)}</div>"

    def plot(self, ax=None):
        """Sobol: S1 and ST per lever with their intervals. Morris: mu_star against sigma
        (levers far from the origin matter; high sigma: non-linear or interacting). Returns the Figure."""
        import matplotlib.pyplot as plt

        t = self.table()
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 0.45 * len(t) + 1.8))
        else:
            fig = ax.figure
        if self.method == "sobol":
            y = np.arange(len(t))
            for k, (ix, off) in enumerate((("S1", -0.18), ("ST", 0.18))):
                ax.barh(
                    y + off,
                    t[(ix, "value")],
                    height=0.36,
                    xerr=t[(ix, "conf")],
                    label=ix,
                    color=f"C{k}",
                    error_kw={"elinewidth": 0.8, "capsize": 2},
                )
            ax.set_yticks(y, t.index)
            ax.invert_yaxis()
            ax.axvline(0, color="k", linewidth=0.6)
            ax.set_xlabel("Sobol index (share of the outcome's variance)")
            ax.legend(loc="lower right", fontsize=8)
        else:
            ax.scatter(t[("mu_star", "value")], t[("sigma", "value")])
            for name in t.index:
                ax.annotate(
                    name,
                    (t.loc[name, ("mu_star", "value")], t.loc[name, ("sigma", "value")]),
                    fontsize=8,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
            ax.set_xlabel("mu* (mean absolute elementary effect)")
            ax.set_ylabel("sigma (spread of the effects)")
        when = f"{self.year:g}" if self.year is not None else "end of run"
        ax.set_title(f"{self.outcome} ({when}), {self.method}, n={self.n}", fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig
