"""Plots of a run's trajectories (matplotlib). Frames in, figures out.

The module leaves matplotlib's backend alone (a notebook keeps its inline plots); the command
line chooses the non-interactive ``Agg`` backend itself.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from connsim.names import POWERS, REGIMES

__all__ = ["plot_trajectories"]


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
    for key, label in (("convergence_index", "convergence index"), ("free_flow_gdp_pair_share", "GDP pairs with free flows"),
                       ("largest_compatible_component", "largest free-flow group")):
        ax[0, 1].plot(year, mv[key], label=label)
    ax[0, 1].set(title="Norm convergence", ylim=(0, 1))
    ax[0, 1].legend(loc="best", fontsize=8)
    for key, label in (("hr_core_share_world", "world core"), ("hr_ran_share_world", "world radio"), ("hr_core_share_eu", "EU core"),
                       ("hr_ran_share_eu", "EU radio"), ("hr_core_share_third", "third-country core"), ("us_allies_restricting", "US allies restricting")):
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
