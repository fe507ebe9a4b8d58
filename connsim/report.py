"""Readable summaries of a run: the outcomes that answer the paper's questions, start vs end."""

from __future__ import annotations

import pandas as pd

from connsim.recorder import POWERS_SCORED, SCORECARD
from connsim.seeds import REGIMES

__all__ = ["summary_table", "scorecard_table", "format_summary"]

SUMMARY_ROWS = (
    [(f"regime_share_{r}", f"states in {r}") for r in REGIMES]
    + [(f"regime_gdp_share_{r}", f"world GDP in {r}") for r in REGIMES]
    + [
        ("convergence_index", "convergence index (1 - entropy)"),
        ("free_flow_gdp_pair_share", "GDP pairs with free data flows"),
        ("largest_compatible_component", "largest free-flow group (share of states)"),
        ("adequacy_decisions", "EU adequacy decisions"),
        ("hr_core_share_world", "high-risk share, world core"),
        ("hr_ran_share_world", "high-risk share, world radio"),
        ("hr_core_share_eu", "high-risk share, EU core"),
        ("hr_ran_share_eu", "high-risk share, EU radio"),
        ("hr_core_share_third", "high-risk share, third-country core"),
        ("us_allies_restricting", "US allies restricting high-risk vendors"),
        ("eu_restricting", "EU member states restricting"),
        ("viable_trusted_vendors_mean", "viable trusted vendors per state"),
        ("vendor_quality_huawei", "Huawei quality"),
        ("anchored_eu_jpn", "third countries anchored to EU/Japan ODA"),
        ("anchored_china", "third countries anchored to Chinese ODA"),
        ("anchored_eu_jpn_ring", "ring-around-Europe states anchored to EU/Japan"),
    ]
)


def _when(year: float, start: bool) -> str:
    """'start 2019' / 'end 2030' for whole years (the state after the last quarter of 2030 is
    recorded at 2031.0), else the fractional year."""
    if year == int(year):
        return f"start {int(year)}" if start else f"end {int(year) - 1}"
    return f"{year:.2f}"


def summary_table(model_vars: pd.DataFrame) -> pd.DataFrame:
    """Key outcomes at the first and last recorded step, with the change."""
    first, last = model_vars.iloc[0], model_vars.iloc[-1]
    rows = [(label, first[key], last[key]) for key, label in SUMMARY_ROWS if key in model_vars]
    columns = ["outcome", _when(first["year"], True), _when(last["year"], False)]
    df = pd.DataFrame(rows, columns=columns).set_index("outcome")
    df["change"] = df.iloc[:, 1] - df.iloc[:, 0]
    return df


def scorecard_table(model_vars: pd.DataFrame, row: int = -1) -> pd.DataFrame:
    """Each power's strategic-autonomy scorecard at one step (default: the last)."""
    r = model_vars.iloc[row]
    return pd.DataFrame({p: {k: r[f"{p}_{k}"] for k in SCORECARD} for p in POWERS_SCORED})


def format_summary(model_vars: pd.DataFrame, title: str = "") -> str:
    """Plain-text summary: outcomes at start and end, and the scorecards at both ends."""
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        parts = [title] if title else []
        parts += ["Outcomes", summary_table(model_vars).to_string()]
        parts += ["", f"Strategic-autonomy scorecard, {_when(model_vars['year'].iloc[0], True)}", scorecard_table(model_vars, 0).to_string()]
        parts += ["", f"Strategic-autonomy scorecard, {_when(model_vars['year'].iloc[-1], False)}", scorecard_table(model_vars, -1).to_string()]
    return "\n".join(parts)
