"""A lever schedule built in Python: what a TOML file cannot say compactly.

A TOML scenario can give a lever a schedule of a few years (``{ 2019 = 0.5, 2023 = 0.9 }``).
Here Python computes the schedule instead: the US-China conflict escalating along a logistic
curve centred on 2022, next to a sudden escalation to full conflict by 2022 (the
``replace(us_china_conflict={2019: 0.5, 2022: 1.0})`` of the docs). Each scenario runs with
the seeds 0, 1, 2 in one ensemble (``connsim.run_ensemble``); the table shows end-of-run means.

    python scenarios/custom_schedule.py
"""

import numpy as np
import pandas as pd

import connsim
from connsim import load_scenario

base = load_scenario("baseline")

# a schedule is a plain dict {year: value}; values between the years are interpolated linearly
logistic = {year: round(0.5 + 0.45 / (1 + np.exp(-1.5 * (year - 2022))), 3) for year in range(2019, 2031)}
variants = [
    base,
    base.replace(name="sudden_2022", us_china_conflict={2019: 0.5, 2022: 1.0}),
    base.replace(name="logistic_escalation", us_china_conflict=logistic, description="logistic escalation centred on 2022"),
]

OUTCOMES = {
    "us_allies_restricting": "US allies restricting",
    "eu_restricting": "EU states restricting",
    "hr_core_share_third": "high-risk core, third countries",
    "vendor_quality_huawei": "Huawei quality",
}

if __name__ == "__main__":
    print("logistic conflict schedule:", ", ".join(f"{y}: {v:.2f}" for y, v in logistic.items()))
    ends = connsim.run_ensemble(variants, seeds=range(3), outcomes=list(OUTCOMES)).ends().rename(columns=OUTCOMES)
    table = ends.groupby("scenario", sort=False)[list(OUTCOMES.values())].mean()
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160, "display.max_columns", None):
        print(f"\nEnd of {base.end_year}, mean over seeds 0..2:\n{table}")
