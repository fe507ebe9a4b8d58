"""Readable summaries of a run: the outcomes that answer the paper's questions, start vs end.

Labels and units come from the outcome registry (:mod:`connsim.outcomes`).
"""

from __future__ import annotations

import pandas as pd

from connsim.names import POWERS, REGIMES
from connsim.outcomes import label

__all__ = ["SUMMARY", "SCORECARD", "summary_table", "scorecard_table", "format_summary", "format_powers"]

#: The outcomes a summary shows, in this order (their labels are the registry's).
SUMMARY = (
    ["law_share"]
    + [f"regime_share_{r}" for r in REGIMES]
    + [f"regime_gdp_share_{r}" for r in REGIMES]
    + [
        "convergence_index",
        "free_flow_gdp_pair_share",
        "largest_compatible_component",
        "adequacy_decisions",
        "hr_core_share_world",
        "hr_ran_share_world",
        "hr_core_share_eu",
        "hr_ran_share_eu",
        "hr_core_share_third",
        "us_allies_restricting",
        "eu_restricting",
        "viable_trusted_vendors_mean",
        "vendor_quality_huawei",
        "anchored_eu_jpn",
        "anchored_china",
        "anchored_eu_jpn_ring",
    ]
)
#: The measures of a power's strategic-autonomy scorecard (columns ``scorecard_<measure>_<power>``).
SCORECARD = ("security", "cost_usd_bn", "data_access", "norm_reach", "norm_reach_gdp", "oda_partners")


def _when(year: float, start: bool) -> str:
    """'start 2019' / 'end 2030' for whole years (the state after the last quarter of 2030 is
    recorded at 2031.0), else the fractional year."""
    if year == int(year):
        return f"start {int(year)}" if start else f"end {int(year) - 1}"
    return f"{year:.2f}"


def summary_table(model_vars: pd.DataFrame, keys=SUMMARY) -> pd.DataFrame:
    """Key outcomes at the first and last recorded step, with the change (one row per outcome, by label)."""
    first, last = model_vars.iloc[0], model_vars.iloc[-1]
    rows = [(label(key), first[key], last[key]) for key in keys if key in model_vars]
    columns = ["outcome", _when(first["year"], True), _when(last["year"], False)]
    df = pd.DataFrame(rows, columns=columns).set_index("outcome")
    df["change"] = df.iloc[:, 1] - df.iloc[:, 0]
    return df


def scorecard_table(model_vars: pd.DataFrame, row: int = -1) -> pd.DataFrame:
    """Each power's strategic-autonomy scorecard at one step (default: the last): measures x powers."""
    r = model_vars.iloc[row]
    return pd.DataFrame({p: {k: r[f"scorecard_{k}_{p}"] for k in SCORECARD} for p in POWERS})


def format_summary(model_vars: pd.DataFrame, title: str = "") -> str:
    """Plain-text summary: outcomes at start and end, and the scorecards at both ends."""
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        parts = [title] if title else []
        parts += ["Outcomes", summary_table(model_vars).to_string()]
        parts += [
            "",
            f"Strategic-autonomy scorecard, {_when(model_vars['year'].iloc[0], True)}",
            scorecard_table(model_vars, 0).to_string(),
        ]
        parts += [
            "",
            f"Strategic-autonomy scorecard, {_when(model_vars['year'].iloc[-1], False)}",
            scorecard_table(model_vars, -1).to_string(),
        ]
    return "\n".join(parts)


def format_powers(power_vars: pd.DataFrame) -> str:
    """Plain-text account of the powers' decisions: for each power its strategy and each of its
    levers at the start and at the end (with its range over the run), and China's retaliation acts."""
    from connsim.decisions.powers import POWER_LEVERS

    lines = ["Powers (their levers at the start and the end; min..max over the run)"]
    for power in POWERS:
        rows = power_vars[power_vars["power"] == power]
        lines.append(f"  {power} ({rows['strategy'].iloc[-1]})")
        for lever in POWER_LEVERS[power]:
            values = rows[lever]
            if not pd.api.types.is_numeric_dtype(values):
                span = f"{values.iloc[0]} -> {values.iloc[-1]}"
            else:
                span = f"{values.iloc[0]:.3g} -> {values.iloc[-1]:.3g} ({values.min():.3g}..{values.max():.3g})"
            lines.append(f"    {lever:<28} {span}")
        observed = [c for c in rows.columns if c.startswith("observed:") and rows[c].notna().any()]
        if observed:
            lines.append("    why (what it observed, first decision -> last):")
            for column in observed:
                seen = rows[column].dropna()
                lines.append(f"      {column[9:]:<26} {seen.iloc[0]:.3g} -> {seen.iloc[-1]:.3g}")
        if power == "CHN" and "retaliation_targets" in rows:
            acts = rows[rows["retaliation_targets"].fillna("") != ""]
            listed = "; ".join(f"{int(y)}: {t}" for y, t in zip(acts["year"], acts["retaliation_targets"]))
            lines.append(f"    retaliation acts             {len(acts)} ({listed or 'none'})")
    return "\n".join(lines)
