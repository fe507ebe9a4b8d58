"""A loop over variants: US-China conflict levels 0.2..1.0, three seeds each, into one DataFrame.

Each variant is ``baseline`` with the conflict held at one level from 2019 (``replace``); the
runs skip the per-state records (``record_agents=False``) for speed. The result is a tidy
DataFrame (one row per run), summarised as means by conflict level.

    python scenarios/conflict_sweep.py
"""

import numpy as np
import pandas as pd

from connsim import load_scenario, run

OUTCOMES = ["us_allies_restricting", "eu_restricting", "hr_core_share_world", "hr_core_share_third", "convergence_index"]


def sweep(levels=np.round(np.arange(0.2, 1.01, 0.2), 1), seeds=range(3)) -> pd.DataFrame:
    base = load_scenario("baseline")
    rows = []
    for level in levels:
        variant = base.replace(name=f"conflict_{level:.1f}", us_china_conflict=float(level))
        for seed in seeds:
            end = run(variant, seed=seed, record_agents=False).model_vars.iloc[-1]
            rows.append({"conflict": float(level), "seed": seed, **end[OUTCOMES].to_dict()})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    runs = sweep()
    summary = runs.groupby("conflict")[OUTCOMES].agg(["mean", "std"])
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160, "display.max_columns", None):
        print(f"{len(runs)} runs (5 conflict levels x 3 seeds), end-of-run outcomes:\n")
        print(runs.groupby("conflict")[OUTCOMES].mean())
        print("\nstd over seeds:")
        print(runs.groupby("conflict")[OUTCOMES].std())
