"""A sweep: US-China conflict levels 0.2..1.0, three seeds each, into one tidy DataFrame.

Each design point is ``baseline`` with the conflict held at one level from 2019; every level
runs with the same seeds 0, 1, 2 (common random numbers), so that the differences between
levels are the conflict's doing. ``connsim.sweep`` checks the levels against the lever's range,
runs on any executor (``workers=2`` for two processes) and can keep the runs on disk
(``out=``). The result is one row per run, summarised as means by conflict level.

    python scenarios/conflict_sweep.py
"""

import pandas as pd

import connsim

OUTCOMES = ["us_allies_restricting", "eu_restricting", "hr_core_share_world", "hr_core_share_third", "convergence_index"]


def sweep(levels=(0.2, 0.4, 0.6, 0.8, 1.0), seeds=range(3), **kwargs) -> pd.DataFrame:
    """End-of-run outcomes, one row per run: conflict level, seed and ``OUTCOMES``."""
    ens = connsim.sweep(
        "baseline", levers={"us_china_conflict": [float(x) for x in levels]}, seeds=list(seeds), outcomes=OUTCOMES, **kwargs
    )
    ends = ens.ends()
    return ends.rename(columns={"us_china_conflict": "conflict"})[["conflict", "seed", *OUTCOMES]]


if __name__ == "__main__":
    runs = sweep()
    summary = runs.groupby("conflict")[OUTCOMES].agg(["mean", "std"])
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160, "display.max_columns", None):
        print(f"{len(runs)} runs (5 conflict levels x 3 seeds), end-of-run outcomes:\n")
        print(runs.groupby("conflict")[OUTCOMES].mean())
        print("\nstd over seeds:")
        print(runs.groupby("conflict")[OUTCOMES].std())
