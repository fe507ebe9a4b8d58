"""Scenario discovery with PRIM (EMA Workbench's, the reference implementation).

Which combinations of lever values lead to an outcome of interest? PRIM (Friedman and Fisher
1999, as used for scenario discovery by Bryant and Lempert 2010) peels the space of a sweep
down to a box of lever ranges where most runs show the outcome (high *density*) while keeping
most of the runs that show it (high *coverage*).

>>> ens = connsim.sweep("baseline", levers={...}, design="lhs", n=500, until=2031)   # doctest: +SKIP
>>> found = connsim.discover(ens, outcome="trusted_regimes_share_third", above=0.5)  # doctest: +SKIP
>>> found.boxes      # lever, lo, hi of each restricted lever (and its quasi-p values)

PRIM comes from ``ema-workbench`` (the ``connsim[ema]`` extra: 2.5 on Python 3.11, 3.x on
3.12+), not rewritten here: it is tested, widely used and its choices (peeling, pasting,
quasi-p values) are documented.
"""

from __future__ import annotations

import html
import inspect
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from connsim.experiments.design import DesignError
from connsim.experiments.design import lever as _lever
from connsim.experiments.ensemble import EnsembleResult, check_outcomes

__all__ = ["discover", "DiscoveryResult", "prim_module"]


def lever_name(name: str) -> str:
    """The name of a lever as a sweep's experiments column (``weights.w_peer`` -> ``w_peer``)."""
    return _lever(name).name


def prim_module():
    """EMA Workbench's PRIM module, or an ImportError naming the extra."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed" and the like
            from ema_workbench.analysis import prim
    except ImportError:
        raise ImportError(
            "connsim.discover uses EMA Workbench's PRIM: pip install 'connsim[ema]' "
            "(ema-workbench 2.5 installs on Python 3.11, 3.x on Python 3.12+)"
        ) from None
    return prim


def discover(
    result,
    outcome: str,
    above: float | None = None,
    below: float | None = None,
    levers: Sequence[str] | None = None,
    year: float | None = None,
    *,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    **sweep_args,
) -> DiscoveryResult:
    """Find the box of lever values where ``outcome`` is ``above`` (or ``below``) a value.

    Parameters
    ----------
    result : EnsembleResult of a sweep (or a SensitivityResult: its ensemble); or a scenario,
        in which case ``levers`` is a sweep's ``{name: values or (lo, hi)}`` and the sweep runs
        first, with ``sweep_args`` (``design="lhs"``, ``n=200``, ``replications``, ``seed``,
        ``until``, ``executor``, ``workers``, ``out``, ``progress``...: as in :func:`connsim.sweep`,
        resuming from ``out`` the same way).
    outcome : a ``model_vars`` column; the case of interest is ``outcome > above`` or
        ``outcome < below`` at ``year`` (default: the end of each run). Each run is a case.
    levers : the levers PRIM may restrict (default: every lever of the sweep).
    threshold : the density a box must reach; of the boxes on PRIM's peeling trajectory the
        one chosen has the largest coverage among those at least this dense (else the densest).
    peel_alpha, paste_alpha, mass_min : PRIM's parameters (share peeled per step, pasted per
        step, least share of runs in a box).

    Returns
    -------
    DiscoveryResult : ``.boxes`` (lever, lo, hi...), ``.coverage``, ``.density``, ``.mass``,
    ``.trajectory``, ``.plot()``; ``.select(i)`` another box of the trajectory.

    Notes
    -----
    Cost: PRIM's peeling is about (1 / peel_alpha) * log(1 / mass_min) passes over runs x levers.
    """
    prim = prim_module()
    (outcome,) = check_outcomes([outcome], "outcome")
    if not isinstance(result, EnsembleResult) and isinstance(getattr(result, "ensemble", None), EnsembleResult):
        result = result.ensemble
    elif not isinstance(result, EnsembleResult):  # a scenario: sweep it first
        from connsim.experiments.sweeps import sweep

        if not isinstance(levers, Mapping):
            raise DesignError(
                "levers: to discover over a scenario, give the sweep's levers, e.g. "
                "levers={'dfft_multilateral_push': (0, 1)}; or pass the EnsembleResult of a sweep"
            )
        sweep_args.setdefault("design", "lhs")
        sweep_args.setdefault("n", 200)
        if (above is None) == (below is None):  # refused before anything runs
            raise DesignError("above/below: give exactly one of above= or below= (the outcome's value of interest)")
        result, levers = sweep(result, levers, **sweep_args), list(levers)
        levers = [lever_name(lv) for lv in levers]
    elif sweep_args:
        raise DesignError(f"{next(iter(sweep_args))}: only for a discovery that runs its sweep (result= a scenario)")
    if (above is None) == (below is None):
        raise DesignError("above/below: give exactly one of above= or below= (the outcome's value of interest)")
    value = above if above is not None else below
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
        raise DesignError(f"{'above' if above is not None else 'below'}: got {value!r}; allowed a number")
    swept = result.levers
    if levers is None:
        levers = [c for c in swept if result.experiments[c].nunique() > 1]
    else:
        levers = [levers] if isinstance(levers, str) else list(levers)
        for lv in levers:
            if lv not in swept:
                raise DesignError(f"levers: {lv!r} was not varied in this ensemble; allowed {', '.join(swept) or '(none)'}")
    if not levers:
        raise DesignError("levers: this ensemble varies no lever; discovery needs a sweep (connsim.sweep)")
    for name, v in (("threshold", threshold), ("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha), ("mass_min", mass_min)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise DesignError(f"{name}: got {v!r}; allowed a number between 0 and 1")
    if outcome not in result.model_vars.columns:
        raise DesignError(
            f"outcome: {outcome!r} was not kept by this ensemble; allowed "
            f"{', '.join(c for c in result.model_vars.columns if c not in ('run_id', 'scenario', 'seed', 'step', 'year'))}"
        )
    values = result.outcome_at(outcome, year)
    design = result.experiments.set_index("run_id").loc[values.index]
    x = design[levers].copy()
    for c in levers:  # PRIM peels numbers; anything else is a category
        if not pd.api.types.is_numeric_dtype(x[c]) or pd.api.types.is_bool_dtype(x[c]):
            x[c] = x[c].astype(object).astype("category")
    yv = values.to_numpy(float)
    y = yv > above if above is not None else yv < below
    if y.all() or not y.any():
        rel = f"above {above:g}" if above is not None else f"below {below:g}"
        raise DesignError(
            f"{'above' if above is not None else 'below'}: {'every' if y.all() else 'no'} run has {outcome} {rel} "
            f"(its range over the runs is {yv.min():.3g}..{yv.max():.3g}); allowed a value inside that range"
        )
    kwargs = dict(peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    if "threshold" in inspect.signature(prim.Prim.__init__).parameters:  # ema-workbench 2.x
        kwargs["threshold"] = threshold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(x.reset_index(drop=True), y.astype(int), **kwargs)
        box = p.find_box()
    rel = f"{outcome} > {above:g}" if above is not None else f"{outcome} < {below:g}"
    when = f"in {year:g}" if year is not None else "at the end of the run"
    return DiscoveryResult(box, x, y, levers, rel, when, threshold, n_runs=len(values))


class DiscoveryResult:
    """A PRIM box: the lever ranges where the outcome of interest concentrates.

    Attributes
    ----------
    boxes : DataFrame, one row per restricted lever: ``lever``, ``lo``, ``hi`` (the box's
        limits; for a categorical lever ``values``, the kept values), ``sweep_lo``, ``sweep_hi``
        (the swept range), ``qp_lo``, ``qp_hi`` (quasi-p values of each limit: the chance the
        restriction's gain in density is luck; NaN where a side is not restricted).
    coverage : share of the cases of interest inside the box.
    density : share of the box's runs that are cases of interest.
    mass : share of all runs inside the box.
    trajectory : DataFrame, PRIM's peeling trajectory (coverage, density, mass, res_dim per box).
    box_index : the position of this box on the trajectory.
    """

    def __init__(self, box, x, y, levers, rule, when, threshold, n_runs, index=None):
        self._box, self._x, self._y = box, x, y
        self.levers, self.rule, self.when, self.threshold, self.n_runs = levers, rule, when, threshold, n_runs
        traj = box.peeling_trajectory.reset_index(drop=True)
        self.trajectory = traj[["coverage", "density", "mass", "res_dim"]].astype(float)
        ok = self.trajectory.index[self.trajectory["density"] >= threshold]
        #: whether a box on the trajectory reaches the density threshold (if not, the box is the densest)
        self.reached = bool(len(ok))
        if index is None:
            index = (
                int(self.trajectory.loc[ok, "coverage"].idxmax()) if self.reached else int(self.trajectory["density"].idxmax())
            )
            if not self.reached:
                warnings.warn(
                    f"no box on PRIM's peeling trajectory reaches the density threshold {threshold:g} (the densest reaches "
                    f"{self.trajectory['density'].max():.3g}): the box shown is the densest; a lower threshold finds boxes that reach it",
                    UserWarning,
                    stacklevel=3,
                )
        self.box_index = int(index)
        row = self.trajectory.iloc[self.box_index]
        self.coverage, self.density, self.mass = float(row["coverage"]), float(row["density"]), float(row["mass"])
        self.n_cases = int(np.sum(y))
        self.boxes = self._limits(self.box_index)

    def _limits(self, i: int) -> pd.DataFrame:
        lims = self._box.box_lims[i]
        init = self._box.box_lims[0]
        qps = (self._box.p_values if hasattr(self._box, "p_values") and self._box.p_values else self._box.qp)[i]
        rows = []
        for lv in self.levers:
            col = self._x[lv]
            if isinstance(col.dtype, pd.CategoricalDtype):
                kept, full = set(lims[lv].iloc[0]), set(init[lv].iloc[0])
                if kept == full:
                    continue
                lo = hi = np.nan
                values = sorted(kept, key=str)
                srange = (np.nan, np.nan)
            else:
                lo, hi = float(lims[lv].iloc[0]), float(lims[lv].iloc[1])
                smin, smax = float(col.min()), float(col.max())
                if lo <= smin and hi >= smax:
                    continue
                values = None
                srange = (smin, smax)
            qp = qps.get(lv, [np.nan, np.nan]) if isinstance(qps, dict) else [np.nan, np.nan]
            qlo, qhi = (np.nan if q is None or q < 0 else float(q) for q in qp)
            rows.append(
                {
                    "lever": lv,
                    "lo": lo,
                    "hi": hi,
                    "values": values,
                    "sweep_lo": srange[0],
                    "sweep_hi": srange[1],
                    "qp_lo": qlo,
                    "qp_hi": qhi,
                }
            )
        return pd.DataFrame(rows, columns=["lever", "lo", "hi", "values", "sweep_lo", "sweep_hi", "qp_lo", "qp_hi"])

    def select(self, i: int) -> DiscoveryResult:
        """The box at position ``i`` of the peeling trajectory (0 = every run)."""
        if not 0 <= i < len(self.trajectory):
            raise IndexError(f"box {i}: allowed 0..{len(self.trajectory) - 1} (positions on the peeling trajectory)")
        return DiscoveryResult(
            self._box, self._x, self._y, self.levers, self.rule, self.when, self.threshold, self.n_runs, index=i
        )

    def _header(self) -> str:
        return (
            f"PRIM box for {self.rule} {self.when}: coverage {self.coverage:.2f}, density {self.density:.2f}, "
            f"mass {self.mass:.2f} ({self.n_cases} of {self.n_runs} runs are cases; box {self.box_index} of "
            f"{len(self.trajectory) - 1} on the peeling trajectory, density threshold {self.threshold:g}"
            + ("" if self.reached else ", not reached: the densest box")
            + ")"
        )

    def summary(self) -> pd.DataFrame:
        return self.boxes

    def __repr__(self) -> str:
        with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 160):
            body = self.boxes.to_string(index=False) if len(self.boxes) else "(no lever restricted)"
        return f"{self._header()}\n{body}"

    def _repr_html_(self) -> str:
        return f"<div><p><b>{html.escape(self._header())}</b></p>{self.boxes.to_html(index=False, float_format='{:.3g}'.format)}</div>"

    def plot(self):
        """Left: PRIM's trade-off of coverage against density (colour: levers restricted; the
        chosen box circled). Right: the box's limits within each lever's swept range."""
        import matplotlib.pyplot as plt

        fig, (a, b) = plt.subplots(1, 2, figsize=(11, max(3.2, 0.5 * len(self.boxes) + 2)))
        t = self.trajectory
        sc = a.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
        a.scatter([self.coverage], [self.density], s=120, facecolors="none", edgecolors="red", linewidths=1.5)
        fig.colorbar(sc, ax=a, label="levers restricted")
        a.set(xlabel="coverage", ylabel="density", title="peeling trajectory", xlim=(0, 1.02), ylim=(0, 1.02))
        a.grid(alpha=0.3)
        numeric = self.boxes[self.boxes["values"].isna()] if len(self.boxes) else self.boxes
        for k, (_, r) in enumerate(numeric.iterrows()):
            span = r["sweep_hi"] - r["sweep_lo"] or 1.0
            lo, hi = (r["lo"] - r["sweep_lo"]) / span, (r["hi"] - r["sweep_lo"]) / span
            b.plot([0, 1], [k, k], color="0.8", linewidth=6, solid_capstyle="butt")
            b.plot([lo, hi], [k, k], color="C0", linewidth=6, solid_capstyle="butt")
            b.annotate(f"{r['lo']:.3g}..{r['hi']:.3g}", (hi, k), xytext=(4, -3), textcoords="offset points", fontsize=8)
        b.set_yticks(range(len(numeric)), numeric["lever"])
        b.set_xlim(0, 1.25)
        b.invert_yaxis()
        b.set(xlabel="position within the swept range", title=f"box {self.box_index}: {self.rule}")
        fig.suptitle(f"coverage {self.coverage:.2f}, density {self.density:.2f}", fontsize=10)
        fig.tight_layout()
        return fig
