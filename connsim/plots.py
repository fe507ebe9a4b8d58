"""Plots of a run's trajectories and of ensembles (frames in, matplotlib figures out).

The module leaves matplotlib's backend alone (a notebook keeps its inline plots); the command
line chooses the non-interactive ``Agg`` backend itself.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from connsim.names import POWERS, REGIMES

__all__ = ["plot_trajectories", "fan_chart"]


def plot_trajectories(model_vars: pd.DataFrame, path: str | Path | None = None, title: str = "") -> plt.Figure:
    """Four panels: regime shares, norm convergence and free flows, high-risk vendor shares, and
    each power's norm reach. Saved as PNG when ``path`` is given."""
    mv = model_vars
    year = mv["year"]
    fig, ax = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    for r in REGIMES:
        ax[0, 0].plot(year, mv[f"regime_share_{r}"], label=r)
    ax[0, 0].set(title="Data-flow regimes (share of states)", ylim=(0, 1))
    ax[0, 0].legend(loc="best", fontsize=8)
    for key, label in (
        ("convergence_index", "convergence index"),
        ("free_flow_gdp_pair_share", "GDP pairs with free flows"),
        ("largest_compatible_component", "largest free-flow group"),
    ):
        ax[0, 1].plot(year, mv[key], label=label)
    ax[0, 1].set(title="Norm convergence", ylim=(0, 1))
    ax[0, 1].legend(loc="best", fontsize=8)
    for key, label in (
        ("hr_core_share_world", "world core"),
        ("hr_ran_share_world", "world radio"),
        ("hr_core_share_eu", "EU core"),
        ("hr_ran_share_eu", "EU radio"),
        ("hr_core_share_third", "third-country core"),
        ("us_allies_restricting", "US allies restricting"),
    ):
        ax[1, 0].plot(year, mv[key], label=label)
    ax[1, 0].set(title="High-risk vendors (Huawei, ZTE)", ylim=(0, 1), xlabel="year")
    ax[1, 0].legend(loc="best", fontsize=8)
    for p in POWERS:
        ax[1, 1].plot(year, mv[f"scorecard_norm_reach_gdp_{p}"], label=f"{p} norm reach (GDP)")
    ax[1, 1].set(title="Norm reach of each power", ylim=(0, 1), xlabel="year")
    ax[1, 1].legend(loc="best", fontsize=8)
    for a in ax.flat:
        a.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def fan_chart(
    model_vars: pd.DataFrame,
    outcomes,
    *,
    by: str = "scenario",
    x: str = "year",
    bands=((0.05, 0.95), (0.25, 0.75)),
    labels: dict | None = None,
    ncols: int = 3,
    path: str | Path | None = None,
    title: str = "",
) -> plt.Figure:
    """Fan charts of an ensemble: per group (``by``, default each scenario), the median of each
    outcome over runs and shaded quantile bands (default 5-95% and 25-75%), one panel per outcome.

    Parameters
    ----------
    model_vars : DataFrame with columns ``by``, ``x`` and the outcomes, one row per run and step
        (``EnsembleResult.model_vars``).
    outcomes : outcome column names (one panel each).
    bands : (lo, hi) quantile pairs, widest first; drawn lighter the wider.
    labels : outcome -> panel title.
    path : save the figure here as well.

    Returns
    -------
    matplotlib Figure. Cost: one groupby-quantile over the rows.
    """
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    missing = [o for o in outcomes if o not in model_vars.columns]
    if missing:
        raise KeyError(f"fan_chart: no outcome column {missing[0]!r} in model_vars")
    n = max(1, len(outcomes))
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.8 * ncols, 3.4 * nrows), squeeze=False, sharex=True)
    groups = list(dict.fromkeys(model_vars[by])) if by in model_vars else [None]
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    qs = sorted({q for b in bands for q in b} | {0.5})
    for k, (ax, key) in enumerate(zip(axes.flat, outcomes)):
        for j, g in enumerate(groups):
            part = model_vars if g is None else model_vars[model_vars[by] == g]
            q = part.groupby(x)[key].quantile(qs).unstack()
            color = colors[j % len(colors)]
            for width, (lo, hi) in enumerate(bands):
                ax.fill_between(q.index, q[lo], q[hi], color=color, alpha=0.12 + 0.12 * width, linewidth=0)
            ax.plot(q.index, q[0.5], color=color, label=str(g) if g is not None else "median")
        ax.set_title((labels or {}).get(key, key), fontsize=10)
        ax.grid(alpha=0.3)
        if x == "year":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if k >= n - ncols:
            ax.set_xlabel(x)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    band_text = ", ".join(f"{int(lo * 100)}-{int(hi * 100)}%" for lo, hi in bands)
    axes.flat[0].legend(loc="best", fontsize=8, title=f"median; bands {band_text}", title_fontsize=7)
    if not title and "run_id" in model_vars:
        per = model_vars.groupby(by)["run_id"].nunique() if by in model_vars else model_vars["run_id"].agg(["nunique"])
        runs = f"{per.min()}" if per.min() == per.max() else f"{per.min()}-{per.max()}"
        title = f"median and quantile bands over {runs} runs" + (f" per {by}" if by in model_vars and len(per) > 1 else "")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
