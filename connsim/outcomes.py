"""The outcome registry: every column of ``model_vars``, its label, unit and kind, and how it is computed.

:data:`OUTCOMES` is the single list that the recorder, ``connsim.report``, ``connsim.plots``,
the command line and the docs read. A name may hold a placeholder (``{regime}``, ``{policy}``,
``{vendor}``, ``{donor}``, ``{power}``, ``{layer}``, ``{where}``) that :func:`columns` expands; the
order of the expanded names is the order of the columns. Names read measure first, then what
it is measured over: ``regime_share_protect``, ``hr_core_share_eu``, ``scorecard_security_EUU``.

:func:`compute` turns the recorded arrays of a run (:class:`Recorded`, one row per step) into
every outcome at once, with the functions of :mod:`connsim.metrics`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from connsim import metrics
from connsim.names import DONORS, NO_LAW, POLICIES, POSITIONS, POWER_REGIME, POWERS, REGIMES

__all__ = ["Outcome", "OUTCOMES", "Recorded", "columns", "outcome", "label", "compute", "frame", "markdown", "KINDS"]

#: What an outcome is: a share (0..1), a count, US$ (bn), an index (0..1), a level, or the clock.
KINDS = ("share", "count", "usd", "index", "level", "time")


@dataclass(frozen=True)
class Outcome:
    """One column (or a family of columns, when ``name`` holds a placeholder) of ``model_vars``."""

    name: str
    label: str
    unit: str
    kind: str
    description: str = ""


_WHERE = {"world": "world", "eu": "EU", "jpn": "Japan's", "third": "third-country"}
_LAYER = {"core": "core", "ran": "radio"}

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("step", "step", "steps from the start", "time"),
    Outcome("year", "year", "year (2019.25 = 2019Q2)", "time"),
    Outcome("us_china_conflict", "US-China conflict intensity", "0..1", "level", "the lever during the step that ended here"),
    Outcome("eu_toolbox_strength", "EU 5G toolbox strength", "0..1", "level", "the lever during the step that ended here"),
    Outcome(
        "law_count",
        "states with a data-protection law",
        "states",
        "count",
        "states with a comprehensive data-protection law in force (UNCTAD's and Greenleaf's count)",
    ),
    Outcome("law_share", "share of states with a data-protection law", "share of states", "share"),
    Outcome(
        "regime_share_{regime}",
        "states with {a_regime} law",
        "share of states",
        "share",
        "states whose data-protection law is oriented {regime} (with law_share's complement, states without a law, they sum to 1)",
    ),
    Outcome("regime_gdp_share_{regime}", "world GDP under {a_regime} law", "share of world GDP", "share"),
    Outcome("regime_pop_share_{regime}", "world population under {a_regime} law", "share of world population", "share"),
    Outcome(
        "convergence_index",
        "convergence index (1 - entropy)",
        "index, 0..1",
        "index",
        "1 - normalised entropy of the orientations of the states with a law: 1 when all share one",
    ),
    Outcome("convergence_index_gdp", "convergence index, GDP-weighted", "index, 0..1", "index"),
    Outcome(
        "largest_bloc_share",
        "largest regime bloc",
        "share of states",
        "share",
        "the share of all states under the most common orientation",
    ),
    Outcome("trusted_regimes_share_third", "third countries with a protect or trust law", "share of third countries", "share"),
    Outcome(
        "free_flow_gdp_pair_share",
        "GDP pairs with free data flows",
        "share of world GDP pairs",
        "share",
        "pairs of states weighted by GDP x GDP and by how freely their positions exchange data (1 where an adequacy decision links them)",
    ),
    Outcome(
        "largest_compatible_component",
        "largest free-flow group",
        "share of states",
        "share",
        "the largest group of states linked by free flow at least half-way (or by adequacy)",
    ),
    Outcome("adequacy_decisions", "EU adequacy decisions", "states holding one", "count"),
    Outcome(
        "hr_{layer}_share_{where}",
        "high-risk share, {where} {layer}",
        "share of the network (GDP-weighted)",
        "share",
        "Huawei's and ZTE's share of the installed network",
    ),
    Outcome(
        "hr_vendor_share_world",
        "high-risk share, world network",
        "share of the network (GDP-weighted)",
        "share",
        "the mean of the world's core and radio high-risk shares",
    ),
    Outcome("vendor_hhi_core", "vendor concentration, core", "Herfindahl index, 0..1", "index"),
    Outcome("vendor_hhi_ran", "vendor concentration, radio", "Herfindahl index, 0..1", "index"),
    Outcome("vendor_share_core_{vendor}", "{vendor}'s share of the world core", "share of the world core network", "share"),
    Outcome(
        "vendor_share_ran_{vendor}", "{vendor}'s share of the world radio network", "share of the world radio network", "share"
    ),
    Outcome("vendor_quality_{vendor}", "{vendor}'s quality", "index, 1 = the 2019 frontier", "level"),
    Outcome("viable_trusted_vendors_mean", "viable trusted vendors per state", "vendors (mean over states)", "count"),
    Outcome("viable_trusted_vendors_min", "viable trusted vendors, fewest of any state", "vendors", "count"),
    Outcome("policy_share_{policy}", "states with 5G policy {policy}", "share of states", "share"),
    Outcome(
        "us_allies_restricting",
        "US allies restricting high-risk vendors",
        "share of US allies",
        "share",
        "members of NATO, the US treaty allies, the Five Eyes and the Major Non-NATO Allies with a policy above open",
    ),
    Outcome("eu_restricting", "EU member states restricting", "share of member states", "share"),
    Outcome("oda_partnerships_{donor}", "active ODA partnerships of {donor}", "partner states", "count"),
    Outcome(
        "anchored_eu_jpn",
        "third countries anchored to EU/Japan ODA",
        "third countries",
        "count",
        "third countries whose strongest ODA partner is the EU, a member state or Japan",
    ),
    Outcome("anchored_china", "third countries anchored to Chinese ODA", "third countries", "count"),
    Outcome(
        "anchored_eu_jpn_ring",
        "ring-around-Europe states anchored to EU/Japan",
        "third countries",
        "count",
        "third countries of the Open and Connected Ring around Europe anchored to EU/Japan ODA",
    ),
    Outcome(
        "scorecard_security_{power}",
        "{power}: trusted share of its sphere's networks",
        "share (GDP-weighted)",
        "share",
        "the trusted-vendor share of the networks of the power's own market and its ODA partners "
        "(for the US also its allies; China counts its own champions as trusted)",
    ),
    Outcome(
        "scorecard_cost_usd_bn_{power}",
        "{power}: cost of autonomy paid",
        "US$ bn, cumulative",
        "usd",
        "rip-and-replace and trusted-vendor premium paid in the power's own market",
    ),
    Outcome(
        "scorecard_data_access_{power}",
        "{power}: data-flow access",
        "share of world GDP",
        "share",
        "world GDP that exchanges personal data freely with the power, weighted by how freely",
    ),
    Outcome(
        "scorecard_norm_reach_{power}",
        "{power}: norm reach",
        "share of states",
        "share",
        "states whose law is oriented to the power's regime",
    ),
    Outcome("scorecard_norm_reach_gdp_{power}", "{power}: norm reach (GDP)", "share of world GDP", "share"),
    Outcome("scorecard_oda_partners_{power}", "{power}: ODA partnerships held", "partner states", "count"),
)

_PLACEHOLDERS = {
    "regime": REGIMES,
    "policy": POLICIES,
    "donor": DONORS,
    "power": POWERS,
    "layer": tuple(_LAYER),
    "where": tuple(_WHERE),
}


def _expand(o: Outcome, vendor_names: tuple[str, ...]) -> list[tuple[str, Outcome]]:
    keys = [k for k in (*_PLACEHOLDERS, "vendor") if "{" + k + "}" in o.name]
    combos: list[dict[str, str]] = [{}]
    for k in keys:
        values = vendor_names if k == "vendor" else _PLACEHOLDERS[k]
        combos = [{**c, k: v} for c in combos for v in values]
    out = []
    for c in combos:
        name = o.name.format(**{k: (v.lower() if k == "vendor" else v) for k, v in c.items()})
        shown = {k: (_WHERE.get(v, v) if k == "where" else _LAYER.get(v, v) if k == "layer" else v) for k, v in c.items()}
        if "regime" in c:  # "an open law", "a protect law"
            shown["a_regime"] = ("an " if c["regime"][0] in "aeiou" else "a ") + c["regime"]
        out.append((name, Outcome(name, o.label.format(**shown), o.unit, o.kind, o.description.format(**shown))))
    return out


def columns(vendor_names: tuple[str, ...]) -> list[str]:
    """Every column of ``model_vars``, in order, for a world with these vendors."""
    return list(_columns(tuple(vendor_names)))


@functools.lru_cache(maxsize=8)
def _columns(vendor_names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for o in OUTCOMES for name, _ in _expand(o, vendor_names))


def outcome(name: str, vendor_names: tuple[str, ...] = ()) -> Outcome:
    """The registry entry of one column (its label and unit filled in). Raises KeyError."""
    for o in OUTCOMES:
        for n, filled in _expand(o, vendor_names or _vendors_of(name)):
            if n == name:
                return filled
    raise KeyError(f"{name!r} is not an outcome of model_vars; see connsim.outcomes.OUTCOMES")


def _vendors_of(name: str) -> tuple[str, ...]:
    """The vendor a per-vendor column names, spelt as ``seeds/vendors.csv`` spells it (``huawei`` ->
    ``Huawei``, ``zte`` -> ``ZTE``; the column's own spelling for a vendor the table lacks)."""
    for prefix in ("vendor_share_core_", "vendor_share_ran_", "vendor_quality_"):
        if name.startswith(prefix):
            key = name[len(prefix) :]
            return (_vendor_spelling().get(key, key),)
    return ()


@functools.lru_cache(maxsize=1)
def _vendor_spelling() -> dict[str, str]:
    """Lower-case vendor name -> the seed table's spelling (one small read of seeds/vendors.csv)."""
    import csv

    from connsim.seeds import seeds_dir

    try:
        with (seeds_dir() / "vendors.csv").open(encoding="utf-8") as f:
            return {row["vendor"].lower(): row["vendor"] for row in csv.DictReader(f)}
    except (OSError, KeyError):
        return {}


def label(name: str) -> str:
    """The label of a column, for tables and plots (the name itself if it is not an outcome)."""
    try:
        return outcome(name).label
    except KeyError:
        return name


def markdown() -> str:
    """The registry as a Markdown page (``docs/outcomes.md`` is this, written by ``python -m connsim.outcomes``)."""
    lines = [
        "# What a run reports: the columns of `model_vars`",
        "",
        "Written from the outcome registry (`connsim/outcomes.py`) by `python -m connsim.outcomes`; a test checks that",
        "it is current. One row per step (step 0 is the start). A name with a placeholder stands for one column per",
        f"value: `{{regime}}` one of {', '.join(REGIMES)}; `{{policy}}` one of {', '.join(POLICIES)};",
        f"`{{donor}}` one of {', '.join(DONORS)}; `{{power}}` one of {', '.join(POWERS)}; `{{layer}}` core or ran (radio);",
        "`{where}` world, eu, jpn or third; `{vendor}` each vendor of `seeds/vendors.csv`, lower case.",
        "",
        "| column | label | unit | kind | meaning |",
        "|---|---|---|---|---|",
    ]
    for o in OUTCOMES:
        lines.append(f"| `{o.name}` | {o.label} | {o.unit} | {o.kind} | {o.description} |")
    return "\n".join(lines) + "\n"


@dataclass
class Recorded:
    """The arrays a run recorded, one row per step (T steps, n states, v vendors, d donors),
    and what the outcomes need of the world (fixed for the run)."""

    step: np.ndarray  # (T,)
    year: np.ndarray
    us_china_conflict: np.ndarray
    eu_toolbox_strength: np.ndarray
    position: np.ndarray  # (T, n) a law's orientation, or NO_LAW
    policy: np.ndarray
    adequacy: np.ndarray
    hr_core: np.ndarray
    hr_ran: np.ndarray
    premium_paid: np.ndarray  # cumulative US$
    rip_paid: np.ndarray
    net_trusted: np.ndarray  # (T, n) share of each state's network (half core, half radio) from trusted vendors
    net_high_risk: np.ndarray
    strongest: np.ndarray  # (T, n) strongest ODA partner, -1 none
    active: np.ndarray  # (T, n, d) active partnerships
    world: np.ndarray  # (T, 2, v) world vendor shares of the core and radio networks
    quality: np.ndarray  # (T, v)
    reach: np.ndarray
    flow: np.ndarray  # (T, 5, 5) how freely positions exchange data, 0..1
    # the world
    gdp: np.ndarray  # (n,)
    population: np.ndarray
    member: np.ndarray
    gdpr_area: np.ndarray  # member states and the EEA
    third: np.ndarray
    allies: np.ndarray  # (n,) US allies (names.US_ALLY_BLOCS), the US itself not
    ring: np.ndarray  # (n,) third countries of the Open and Connected Ring
    own: dict  # power -> (n,) booleans: its own market (the EU: the member states)
    high_risk: np.ndarray  # (v,)
    origin_index: np.ndarray  # (v,)
    vendor_names: tuple[str, ...]
    weights: object


_ANCHOR = np.array([0] + [1 if d in ("EUU", "MS", "JPN") else 2 if d == "CHN" else 0 for d in DONORS], np.int8)


def compute(r: Recorded) -> dict[str, np.ndarray]:
    """Every outcome of every recorded step: column name -> (T,) array (see :data:`OUTCOMES`).

    Notes
    -----
    O(T x (n x (v + d) + 16)): each family of columns is one or two calls of :mod:`connsim.metrics`
    on the (T, n) arrays.
    """
    gdp, n = r.gdp, r.gdp.shape[0]
    out: dict[str, np.ndarray] = {
        "step": r.step,
        "year": r.year,
        "us_china_conflict": r.us_china_conflict,
        "eu_toolbox_strength": r.eu_toolbox_strength,
    }
    k = len(POSITIONS)
    count_sh = metrics.regime_shares(r.position, None, k)  # (T, 5): the four orientations, then no law
    gdp_sh = metrics.regime_shares(r.position, gdp, k)
    pop_sh = metrics.regime_shares(r.position, r.population, k)
    with_law = r.position != NO_LAW
    out["law_count"] = np.count_nonzero(with_law, axis=1).astype(float)
    out["law_share"] = out["law_count"] / n
    for prefix, sh in (("regime_share", count_sh), ("regime_gdp_share", gdp_sh), ("regime_pop_share", pop_sh)):
        for j, reg in enumerate(REGIMES):
            out[f"{prefix}_{reg}"] = sh[:, j]
    out["convergence_index"] = metrics.convergence_index(_among_laws(count_sh))
    out["convergence_index_gdp"] = metrics.convergence_index(_among_laws(gdp_sh))
    out["largest_bloc_share"] = count_sh[:, :NO_LAW].max(axis=1)
    out["trusted_regimes_share_third"] = np.count_nonzero((r.position < 2) & r.third, axis=1) / max(int(r.third.sum()), 1)
    out["free_flow_gdp_pair_share"] = metrics.free_flow_gdp_pair_share(
        r.position, gdp, flow=r.flow, adequacy=r.adequacy, gdpr_area=r.gdpr_area
    )
    out["largest_compatible_component"] = (
        metrics.largest_compatible_component(r.position, r.flow >= 0.5, adequacy=r.adequacy, gdpr_area=r.gdpr_area) / n
    )
    out["adequacy_decisions"] = np.count_nonzero(r.adequacy, axis=1).astype(float)
    # vendors
    where = {"world": None, "eu": r.member, "jpn": r.own["JPN"], "third": r.third}
    hr = {}
    for layer, arr in (("core", r.hr_core), ("ran", r.hr_ran)):
        for key, mask in where.items():
            out[f"hr_{layer}_share_{key}"] = metrics.weighted_share(arr, weights=gdp, mask=mask)
        hr[layer] = out[f"hr_{layer}_share_world"]
    out["hr_vendor_share_world"] = 0.5 * (hr["core"] + hr["ran"])
    out["vendor_hhi_core"] = metrics.hhi(r.world[:, 0])
    out["vendor_hhi_ran"] = metrics.hhi(r.world[:, 1])
    for k, name in enumerate(r.vendor_names):
        key = name.lower()
        out[f"vendor_share_core_{key}"] = r.world[:, 0, k]
        out[f"vendor_share_ran_{key}"] = r.world[:, 1, k]
        out[f"vendor_quality_{key}"] = r.quality[:, k]
    out["viable_trusted_vendors_mean"], out["viable_trusted_vendors_min"] = metrics.viable_trusted_vendors(
        r.high_risk, r.quality, reach=r.reach, origin_index=r.origin_index, n_states=n, w=r.weights
    )
    pol_sh = metrics.per_option(r.policy, len(POLICIES)) / n
    for j, p in enumerate(POLICIES):
        out[f"policy_share_{p}"] = pol_sh[:, j]
    restricting = r.policy > 0
    n_allies, n_eu = int(r.allies.sum()), int(r.member.sum())
    out["us_allies_restricting"] = (
        np.count_nonzero(restricting & r.allies, axis=1) / n_allies if n_allies else np.full(len(r.step), np.nan)
    )
    out["eu_restricting"] = np.count_nonzero(restricting & r.member, axis=1) / n_eu if n_eu else np.full(len(r.step), np.nan)
    # ODA
    per_donor = np.add.reduce(r.active, axis=1, dtype=float)  # (T, d)
    for j, d in enumerate(DONORS):
        out[f"oda_partnerships_{d}"] = per_donor[:, j]
    anchor = _ANCHOR[r.strongest + 1]
    out["anchored_eu_jpn"] = np.count_nonzero((anchor == 1) & r.third, axis=1).astype(float)
    out["anchored_china"] = np.count_nonzero((anchor == 2) & r.third, axis=1).astype(float)
    out["anchored_eu_jpn_ring"] = np.count_nonzero((anchor == 1) & r.ring, axis=1).astype(float)
    out.update(_scorecards(r, per_donor, count_sh))
    return out


def frame(r: Recorded):
    """``model_vars``: every outcome of every recorded step as a DataFrame, the columns in registry order."""
    import pandas as pd

    values = compute(r)
    names = columns(r.vendor_names)
    floats = [name for name in names if name != "step"]
    # one float block, then the integer step: a DataFrame of ~100 separate columns costs ~1.5 ms more
    df = pd.DataFrame(np.column_stack([np.asarray(values[name], dtype=float) for name in floats]), columns=floats)
    df.insert(names.index("step"), "step", np.asarray(values["step"]))
    return df


def _among_laws(shares: np.ndarray) -> np.ndarray:
    """Orientation shares among the states with a law: (T, 4) from (T, 5) position shares."""
    laws = shares[:, :NO_LAW]
    total = laws.sum(axis=1, keepdims=True)
    return np.divide(laws, total, out=np.zeros_like(laws), where=total > 0)


def _scorecards(r: Recorded, per_donor: np.ndarray, count_sh: np.ndarray) -> dict[str, np.ndarray]:
    """Each power's strategic-autonomy scorecard at every step (see :data:`OUTCOMES`)."""
    gdp, out = r.gdp, {}
    world_gdp = gdp.sum()
    for p in POWERS:
        own, reg = r.own[p], REGIMES.index(POWER_REGIME[p])
        if p == "EUU":
            partners = r.active[:, :, DONORS.index("EUU")] | r.active[:, :, DONORS.index("MS")]
            oda = np.count_nonzero(partners, axis=1).astype(float)
        else:
            partners = r.active[:, :, DONORS.index(p)]
            if p == "USA":
                partners = partners | r.allies
            oda = per_donor[:, DONORS.index(p)]
        scope = own | partners
        secure = r.net_high_risk if p == "CHN" else r.net_trusted  # China trusts its own champions
        # its own market always counts fully, every other state as freely as its position exchanges
        # data with the power's; adequacy links the EU with its holders, and Japan (which holds one)
        # with the GDPR area
        free_with = np.maximum(np.take_along_axis(r.flow[:, reg, :], r.position.astype(np.intp), axis=1), own)
        if p == "EUU":
            free_with = np.maximum(free_with, r.adequacy)
        elif p == "JPN":
            free_with = np.maximum(free_with, r.gdpr_area)
        out[f"scorecard_security_{p}"] = metrics.weighted_share(secure, weights=gdp, mask=scope)
        out[f"scorecard_cost_usd_bn_{p}"] = (r.premium_paid[:, own] + r.rip_paid[:, own]).sum(axis=1) / 1e9
        out[f"scorecard_data_access_{p}"] = (free_with * gdp).sum(axis=1) / world_gdp
        out[f"scorecard_norm_reach_{p}"] = count_sh[:, reg]
        out[f"scorecard_norm_reach_gdp_{p}"] = ((r.position == reg) * gdp).sum(axis=1) / world_gdp
        out[f"scorecard_oda_partners_{p}"] = oda
    return out


if __name__ == "__main__":  # python -m connsim.outcomes: write docs/outcomes.md
    from pathlib import Path

    target = Path(__file__).resolve().parents[1] / "docs" / "outcomes.md"
    target.write_text(markdown())
    print(f"wrote {target}")
