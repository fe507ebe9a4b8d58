"""Plots of runs and ensembles: frames (or a model's graphs) in, a matplotlib Figure out.

Every function draws in one style (:data:`STYLE`, the Okabe-Ito colour-blind-safe palette, no red
against green), labels its axes with the registry's labels and units (:mod:`connsim.outcomes`),
chooses each y-range for its quantity (a share from 0, up to 1 only when the data come near it),
keeps labels off the data (constrained layout; direct labels at the line ends, repelled; legends
outside the panels) and says in its legend what a shaded band is.

========================  ===================================================================
``run_overview``          one run: regimes and laws, convergence, restrictions, high-risk
                          shares of core and radio networks, ODA anchoring (``RunResult.plot``)
``regime_shares``         share of states under each law orientation and with a law
``convergence``           the convergence index on its own scale
``restrictions``          shares of states restricting high-risk vendors (US allies, EU, all)
``high_risk_shares``      Huawei's and ZTE's share of core and radio networks, by bloc
``oda_anchoring``         third countries whose strongest ODA partner is EU/Japan or China
``world_map``             orientations, 5G vendor policies and ODA anchoring on a world map
``data_flow_network``     the data-flow compatibility network (``model.data_flow_graph()``)
``oda_network``           the ODA partnership network (``model.oda_graph()``)
``scorecard``             each power's strategic-autonomy scorecard, start against end
``fan_chart``             ensembles: median and quantile bands over runs (``EnsembleResult.plot``)
``paired_difference``     scenario minus reference, paired by seed: dot and whisker
``differences``           the numbers behind it: mean, 95% interval, 5-95% of seeds, per outcome
``comparison``            fan charts and paired differences in one figure (``connsim compare``)
``levers``                a scenario's levers over time, against a reference (``Scenario.plot``)
``tradeoff``              a sweep's design points, one outcome against others, and their frontier
========================  ===================================================================

A frame that lacks a column a plot needs is refused with a ``ValueError`` naming it. The module
leaves matplotlib's backend alone (a notebook keeps its inline plots); the command line chooses
the non-interactive ``Agg`` backend itself. The world map reads its outlines from
``seeds/world_outline_110m.json`` (Natural Earth 1:110m, shipped: nothing is downloaded).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from connsim import outcomes as registry
from connsim.names import DONORS, POSITIONS, POWERS, REGIMES

__all__ = [
    "STYLE",
    "PALETTE",
    "POWER_COLOURS",
    "POSITION_COLOURS",
    "POLICY_COLOURS",
    "run_overview",
    "plot_trajectories",
    "regime_shares",
    "convergence",
    "restrictions",
    "high_risk_shares",
    "oda_anchoring",
    "world_map",
    "data_flow_network",
    "oda_network",
    "scorecard",
    "fan_chart",
    "paired_difference",
    "differences",
    "comparison",
    "levers",
    "tradeoff",
    "save",
]

# --- the style ----------------------------------------------------------------------------------------------

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
GREY, LIGHT_GREY = "#888888", "#D4D4D4"
#: Each power, and the law orientation it stands for (protect = the EU's GDPR, trust = Japan's DFFT, ...).
POWER_COLOURS = {"EUU": PALETTE["blue"], "JPN": PALETTE["green"], "USA": PALETTE["orange"], "CHN": PALETTE["purple"]}
POSITION_COLOURS = {
    "protect": POWER_COLOURS["EUU"],
    "trust": POWER_COLOURS["JPN"],
    "open": POWER_COLOURS["USA"],
    "sovereign": POWER_COLOURS["CHN"],
    "none": LIGHT_GREY,
}
#: 5G vendor policies, lighter the more open (no green here: vermillion is the strictest).
POLICY_COLOURS = {"open": LIGHT_GREY, "core_excluded": PALETTE["orange"], "banned": PALETTE["vermillion"]}
DONOR_COLOURS = {**POWER_COLOURS, "MS": PALETTE["sky_blue"]}
#: Where a share of the network is measured (hr_*_share_<where>).
WHERE_COLOURS = {"world": PALETTE["black"], "eu": PALETTE["blue"], "jpn": PALETTE["green"], "third": PALETTE["orange"]}
#: Scenarios of a comparison, in order: black first (the reference), then the palette.
SCENARIO_COLOURS = ("#000000", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
SCENARIO_STYLES = ("-", "--", "-.", ":")
POWER_NAMES = {"EUU": "EU", "JPN": "Japan", "USA": "US", "CHN": "China"}
WHERE_NAMES = {"world": "world", "eu": "EU member states", "jpn": "Japan", "third": "third countries"}

#: The rc settings every plot is drawn under (and only these are restored after it); the backend is not among them.
STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(SCENARIO_COLOURS)),
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
DPI = 110
YEAR = "year"


def _styled(fn):
    """Draw under :data:`STYLE`, then give back the previous values of its keys and of no other.

    Not ``plt.rc_context``: that restores every setting, and in Jupyter the first figure of a session
    switches matplotlib to the inline backend and makes it interactive; undoing that after the plot
    would leave every later figure of the notebook undisplayed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        old = {k: mpl.rcParams[k] for k in STYLE}
        mpl.rcParams.update(STYLE)
        try:
            return fn(*args, **kwargs)
        finally:
            mpl.rcParams.update(old)

    return wrapper


def _axes(ax):
    """Grid and tick sizes set on the axes (ticks are made lazily, after the rc context is gone)."""
    ax.grid(True, color="#B0B0B0", alpha=0.35, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)
    return ax


def save(fig, path: str | Path) -> Path:
    """Save ``fig`` as PNG (or the format of ``path``'s suffix) at the style's resolution."""
    fig.savefig(path, dpi=DPI)
    return Path(path)


# --- checks and helpers -----------------------------------------------------------------------------------


def _need(frame: pd.DataFrame, columns, who: str, what: str = "model_vars") -> None:
    """Refuse a frame missing a column: ValueError naming the function, the frame and the column."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{who}: {what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{who}: {what} has no column {missing[0]!r}"
            + (f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else "")
            + "; see docs/outcomes.md for the columns of a run"
        )
    if frame.empty:
        raise ValueError(f"{who}: {what} has no rows")


def _unit(name: str) -> str:
    try:
        return registry.outcome(name).unit
    except KeyError:
        return ""


def _kind(name: str) -> str:
    try:
        return registry.outcome(name).kind
    except KeyError:
        return "level"


def _nice_ceiling(x: float) -> float:
    """The smallest 'round' number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k) at or above x."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * e >= x - 1e-12:
            return m * e
    return 10 * e


def _ylim(ax, values, kind: str) -> None:
    """A y-range for the quantity: shares and indices from 0, to 1 only when the data reach past 0.6
    (else to a round ceiling above the data); counts and US$ from 0; other levels around the data."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    if kind in ("share", "index"):
        top = 1.0 if hi > 0.6 else min(1.0, _nice_ceiling(max(hi * 1.12, 0.02)))
        ax.set_ylim(min(0.0, lo), top)
    elif kind in ("count", "usd"):
        ax.set_ylim(min(0.0, lo), _nice_ceiling(max(hi * 1.08, 1e-9)) if hi > 0 else 1.0)
    else:
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 0.05)
        ax.set_ylim(lo - pad, hi + pad)


def _years(ax, x) -> None:
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))
    lo, hi = float(np.min(x)), float(np.max(x))
    ax.set_xlim(lo, hi if hi > lo else lo + 1)


def _direct_labels(ax, items, gap: float = 0.07) -> None:
    """Label lines at their right ends, outside the panel, pushed apart so that none overlap.

    ``items``: (y at the end, text, colour). ``gap``: the least distance between labels, as a fraction
    of the y-range. Labels stay within the y-range."""
    if not items:
        return
    lo, hi = ax.get_ylim()
    step = gap * (hi - lo)
    order = sorted(range(len(items)), key=lambda i: items[i][0])
    ys = [min(max(items[i][0], lo), hi) for i in order]
    placed: list[float] = []
    for y in ys:
        placed.append(max(y, placed[-1] + step) if placed else y)
    over = placed[-1] - hi
    if over > 0:  # pushed past the top: shift down, keeping the gaps
        placed = [p - over for p in placed]
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - step)
    for i, y in zip(order, placed):
        _, text, colour = items[i]
        ax.annotate(
            text,
            xy=(1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            color=colour,
            fontsize=8,
            va="center",
            ha="left",
            annotation_clip=False,
        )


def _lines(ax, x, series, *, ylabel: str, kind: str, title: str, labels: str = "direct") -> list[Line2D]:
    """Draw series (values, text, colour, style) against x; NaN-only series are left out."""
    drawn, ends, values = [], [], []
    for values_of_line, text, colour, style in series:
        y = np.asarray(values_of_line, dtype=float)
        if not np.isfinite(y).any():
            continue
        (line,) = ax.plot(x, y, color=colour, linestyle=style, label=text)
        drawn.append(line)
        finite = np.flatnonzero(np.isfinite(y))
        ends.append((y[finite[-1]], text, colour))
        values.append(y)
    _axes(ax)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    _years(ax, x)
    if values:
        _ylim(ax, np.concatenate(values), kind)
    if labels == "direct":
        _direct_labels(ax, ends)
    elif labels == "legend" and drawn:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return drawn


def _figure(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def _short(name: str) -> str:
    """A power's measure label without the power: 'EUU: norm reach' -> 'norm reach'."""
    text = registry.label(name)
    return text.split(": ", 1)[1] if ": " in text else text


# --- one run: time series -------------------------------------------------------------------------------


@_styled
def regime_shares(model_vars: pd.DataFrame, *, ax=None):
    """The share of states under each orientation of data-protection law, and with a law at all.

    The four orientations and the states without a law sum to 1 (``regime_share_*`` and
    ``1 - law_share``). Returns the Figure (that of ``ax`` when given)."""
    cols = ["year", "law_share", *(f"regime_share_{r}" for r in REGIMES)]
    _need(model_vars, cols, "regime_shares")
    fig, ax = _figure(ax, (6.4, 3.8))
    mv = model_vars
    series = [(mv[f"regime_share_{r}"], r, POSITION_COLOURS[r], "-") for r in REGIMES]
    series.append((mv["law_share"], "any law", PALETTE["black"], "--"))
    _lines(ax, mv["year"].to_numpy(float), series, ylabel="share of states", kind="share", title="Data-protection laws")
    return fig


@_styled
def convergence(model_vars: pd.DataFrame, *, ax=None):
    """The convergence index, 1 - normalised entropy of the orientations of the states with a law
    (:func:`connsim.metrics.convergence_index`): 0 when laws spread evenly over the four
    orientations, 1 when all share one. Drawn from 0 (its floor) to a round ceiling above the data,
    not on a 0..1 share axis, where its moves would be flat."""
    cols = ["year", "convergence_index", "convergence_index_gdp"]
    _need(model_vars, cols, "convergence")
    fig, ax = _figure(ax, (6.4, 3.8))
    mv = model_vars
    series = [
        (mv["convergence_index"], "states", PALETTE["black"], "-"),
        (mv["convergence_index_gdp"], "GDP-weighted", PALETTE["sky_blue"], "--"),
    ]
    _lines(
        ax,
        mv["year"].to_numpy(float),
        series,
        ylabel="index (0 = even spread,\n1 = one orientation)",
        kind="index",
        title="Norm convergence among laws",
    )
    return fig


RESTRICTING = (
    ("us_allies_restricting", "US allies", POWER_COLOURS["USA"], "-"),
    ("eu_restricting", "EU member states", POWER_COLOURS["EUU"], "-"),
)


@_styled
def restrictions(model_vars: pd.DataFrame, *, ax=None):
    """Shares of states restricting high-risk vendors (a 5G policy above ``open``): US allies, EU
    member states, and all states (``1 - policy_share_open``). Shares of states, not of networks."""
    cols = ["year", "policy_share_open", *(k for k, *_ in RESTRICTING)]
    _need(model_vars, cols, "restrictions")
    fig, ax = _figure(ax, (6.4, 3.8))
    mv = model_vars
    series = [(mv[k], text, colour, style) for k, text, colour, style in RESTRICTING]
    series.append((1.0 - mv["policy_share_open"], "all states", PALETTE["black"], "--"))
    _lines(
        ax,
        mv["year"].to_numpy(float),
        series,
        ylabel="share of the group's states",
        kind="share",
        title="States restricting Huawei/ZTE",
    )
    return fig


def _hr_panel(ax, mv, layer: str, top: float | None = None) -> None:
    name = {"core": "core", "ran": "radio"}[layer]
    series = [(mv[f"hr_{layer}_share_{w}"], WHERE_NAMES[w], WHERE_COLOURS[w], "-") for w in WHERE_COLOURS]
    _lines(
        ax,
        mv["year"].to_numpy(float),
        series,
        ylabel="share of the network\n(GDP-weighted)",
        kind="share",
        title=f"High-risk vendors in {name} networks",
    )
    if top is not None:
        ax.set_ylim(0, top)
        for t in list(ax.texts):
            t.remove()
        ends = [(float(s[0].iloc[-1]), s[1], s[2]) for s in series if np.isfinite(s[0]).any()]
        _direct_labels(ax, ends)


@_styled
def high_risk_shares(model_vars: pd.DataFrame, *, axes=None):
    """Huawei's and ZTE's share of the installed core and radio networks (GDP-weighted) in the
    world, the EU, Japan and third countries: two panels on one scale. Network shares only."""
    cols = ["year", *(f"hr_{layer}_share_{w}" for layer in ("core", "ran") for w in WHERE_COLOURS)]
    _need(model_vars, cols, "high_risk_shares")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained", sharey=True)
    fig = axes[0].figure
    top = _share_top(model_vars[cols[1:]].to_numpy(float))
    for ax, layer in zip(axes, ("core", "ran")):
        _hr_panel(ax, model_vars, layer, top)
    return fig


def _share_top(values) -> float:
    v = np.asarray(values, float)
    hi = float(np.nanmax(v)) if np.isfinite(v).any() else 1.0
    return 1.0 if hi > 0.6 else min(1.0, _nice_ceiling(max(hi * 1.12, 0.02)))


@_styled
def oda_anchoring(model_vars: pd.DataFrame, *, ax=None):
    """Third countries whose strongest digital-ODA partner is the EU, a member state or Japan, or
    China (and, of the first, those of the Open and Connected Ring around Europe). Counts of states."""
    keys = (
        ("anchored_eu_jpn", "EU/Japan", POWER_COLOURS["EUU"], "-"),
        ("anchored_eu_jpn_ring", "EU/Japan, ring\naround Europe", POWER_COLOURS["EUU"], ":"),
        ("anchored_china", "China", POWER_COLOURS["CHN"], "-"),
    )
    _need(model_vars, ["year", *(k for k, *_ in keys)], "oda_anchoring")
    fig, ax = _figure(ax, (6.4, 3.8))
    series = [(model_vars[k], text, colour, style) for k, text, colour, style in keys]
    _lines(
        ax,
        model_vars["year"].to_numpy(float),
        series,
        ylabel="third countries",
        kind="count",
        title="Third countries anchored by digital ODA",
    )
    return fig


@_styled
def run_overview(model_vars: pd.DataFrame, title: str = ""):
    """One run on one page: data-protection laws, norm convergence, states restricting high-risk
    vendors, high-risk shares of core and radio networks, and ODA anchoring (``RunResult.plot()``)."""
    fig, ax = plt.subplots(2, 3, figsize=(14, 7.2), layout="constrained")
    regime_shares(model_vars, ax=ax[0, 0])
    convergence(model_vars, ax=ax[0, 1])
    restrictions(model_vars, ax=ax[0, 2])
    high_risk_shares(model_vars, axes=[ax[1, 0], ax[1, 1]])
    oda_anchoring(model_vars, ax=ax[1, 2])
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return fig


def plot_trajectories(model_vars: pd.DataFrame, path: str | Path | None = None, title: str = ""):
    """:func:`run_overview`, saved as PNG when ``path`` is given (``connsim run`` writes trajectories.png)."""
    fig = run_overview(model_vars, title)
    if path is not None:
        save(fig, path)
    return fig


# --- a scenario's levers ------------------------------------------------------------------------------------

#: The levers :func:`levers` draws when no lever differs from the reference.
MAIN_LEVERS = (
    "us_china_conflict",
    "us_pressure",
    "eu_toolbox_strength",
    "eu_japan_cooperation",
    "japan_vendor_push",
    "digital_silk_road_intensity",
)


def _lever_owner(name: str) -> str:
    """Who sets a lever: a power's name, "EU and Japan" for their joint levers, the scenario for the conflict."""
    from connsim.decisions.powers import JOINT, POWER_LEVERS

    if name in JOINT:
        return "EU and Japan"
    for power, names in POWER_LEVERS.items():
        if name in names:
            return POWER_NAMES[power]
    return "the scenario (context)"


def _lever_unit(name: str) -> str:
    from connsim.scenario import Scenario

    info = Scenario.model_fields.get(name.split(".")[0])
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    return str(extra.get("unit", ""))


@_styled
def levers(
    course: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    levers: Sequence[str] | None = None,
    *,
    title: str = "",
    reference_label: str | None = None,
):
    """A scenario's levers over time (``Scenario.course()``), one panel per lever, each in its unit.

    Parameters
    ----------
    course : (steps, ...) frame with ``year`` and one column per lever (``Scenario.course()``).
    reference : the same frame of a reference scenario (the baseline), drawn dashed in grey.
    levers : the columns to draw; default those whose course differs from the reference's
        anywhere, or :data:`MAIN_LEVERS` when none does (or there is no reference).
    title, reference_label : the figure's title and the reference's name in the legend.

    Returns
    -------
    matplotlib Figure; each panel's colour is the power that sets the lever (black: the conflict).
    """
    from connsim.names import COOPERATION_LEVELS

    who = "plots.levers"
    _need(course, ["year"], who, "course")
    candidates = [c for c in course.columns if c not in ("step", "year")]
    if levers is None:
        changed = []
        if reference is not None:
            _need(reference, ["year"], who, "reference")
            for c in candidates:
                if c in reference.columns and len(reference) == len(course):
                    a, b = course[c].to_numpy(float), reference[c].to_numpy(float)
                    if not np.allclose(a, b, equal_nan=True):
                        changed.append(c)
                elif c not in reference.columns:
                    changed.append(c)
        levers = changed or [c for c in MAIN_LEVERS if c in course.columns]
    levers = list(levers)
    if not levers:
        raise ValueError(f"{who}: levers is empty; allowed: {', '.join(candidates)}")
    _need(course, levers, who, "course")
    n = len(levers)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.3 * nrows + 0.7), layout="constrained", squeeze=False)
    x = course["year"].to_numpy(float)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        name = levers[k]
        owner = _lever_owner(name)
        colour = POWER_COLOURS.get(next((p for p, v in POWER_NAMES.items() if v == owner), ""), PALETTE["black"])
        if owner == "EU and Japan":
            colour = PALETTE["sky_blue"]
        y = course[name].to_numpy(float)
        values = [y]
        if reference is not None and name in reference.columns:
            ry = reference[name].to_numpy(float)
            ax.step(reference["year"].to_numpy(float), ry, where="post", color=GREY, linestyle="--", linewidth=1.4)
            values.append(ry)
        ax.step(x, y, where="post", color=colour)
        _axes(ax)
        ax.set_title(f"{name}\n(set by {owner})", fontsize=9)
        _years(ax, x)
        both = np.concatenate(values)
        both = both[np.isfinite(both)]
        top = float(both.max()) if both.size else 1.0
        if name == "eu_japan_cooperation":
            ax.set_ylim(-0.08, 1.08)
            ax.set_yticks([0.0, 0.5, 1.0], COOPERATION_LEVELS)
            ax.set_ylabel("level")
        else:
            unit = _lever_unit(name)
            ax.set_ylabel(
                {"0..1": "lever (0..1)", "x2019": "x its 2019 level", "share": "share of the price"}.get(unit, unit or "value")
            )
            ceiling = 1.0 if unit == "0..1" or top > 0.6 else _nice_ceiling(max(top * 1.15, 1e-3))
            if unit in ("x2019",):
                ceiling = max(_nice_ceiling(top * 1.1), 1.5)
            ax.set_ylim(0.0, max(ceiling, top))
    handles = [Line2D([], [], color=PALETTE["black"], label="this scenario (colour: the power that sets the lever)")]
    if reference is not None:
        handles.append(Line2D([], [], color=GREY, linestyle="--", label=reference_label or "reference"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    return fig


# --- trade-offs across a sweep ------------------------------------------------------------------------------

MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def _frontier(x: np.ndarray, y: np.ndarray, x_low: bool, y_high: bool) -> np.ndarray:
    """Indices of the points no other point beats on both axes (better x and better y), by x."""
    sx = x if x_low else -x
    sy = -y if y_high else y  # both "smaller is better" now
    keep = [i for i in range(len(x)) if not np.any((sx <= sx[i]) & (sy <= sy[i]) & ((sx < sx[i]) | (sy < sy[i])))]
    return np.array(sorted(keep, key=lambda i: x[i]), dtype=int)


@_styled
def tradeoff(
    ends: pd.DataFrame,
    x: str,
    y: str | Sequence[str],
    by: str | Sequence[str],
    *,
    x_better: str = "low",
    y_better: str = "high",
):
    """One outcome against others across the design points of a sweep, and the frontier between them.

    Parameters
    ----------
    ends : one row per run (``EnsembleResult.ends()``): the columns ``by`` say which design point
        a run belongs to, ``x`` and ``y`` are outcomes.
    x : the outcome on the horizontal axis (e.g. a power's cost of autonomy).
    y : the outcome(s) on the vertical axis, one panel each (e.g. its security, its norm reach).
    by : one or two columns naming the design point: the first sets the colour, the second the marker.
    x_better, y_better : ``"low"`` or ``"high"``: which way is better, for the frontier.

    Returns
    -------
    matplotlib Figure. Each design point is the median of its runs with whiskers from 25% to 75%
    of them; the grey line joins the frontier (the points no other beats on both axes, medians).
    """
    who = "plots.tradeoff"
    ys = [y] if isinstance(y, str) else list(y)
    bys = [by] if isinstance(by, str) else list(by)
    if not 1 <= len(bys) <= 2:
        raise ValueError(f"{who}: by names {len(bys)} columns; allowed one or two")
    for name, value in (("x_better", x_better), ("y_better", y_better)):
        if value not in ("low", "high"):
            raise ValueError(f"{who}: {name} is {value!r}; allowed 'low' or 'high'")
    _need(ends, [*bys, x, *ys], who, "ends")
    groups = ends.groupby(bys, sort=True)
    med = groups[[x, *ys]].median()
    q25, q75 = groups[[x, *ys]].quantile(0.25), groups[[x, *ys]].quantile(0.75)
    points = med.index.to_frame(index=False)
    first = list(dict.fromkeys(points[bys[0]]))
    second = list(dict.fromkeys(points[bys[1]])) if len(bys) == 2 else [None]
    colours = [SCENARIO_COLOURS[(k + 1) % len(SCENARIO_COLOURS)] for k in range(len(first))]
    if len(first) > len(SCENARIO_COLOURS) - 1:
        cmap = mpl.colormaps["viridis"]
        colours = [cmap(k / max(len(first) - 1, 1)) for k in range(len(first))]
    fig, axes = plt.subplots(1, len(ys), figsize=(4.6 * len(ys) + 1.2, 3.8), layout="constrained", squeeze=False)
    xv = med[x].to_numpy(float)
    for ax, key in zip(axes.flat, ys):
        yv = med[key].to_numpy(float)
        front = _frontier(xv, yv, x_better == "low", y_better == "high")
        ax.plot(xv[front], yv[front], color=GREY, linewidth=1.2, zorder=1)
        for i, row in points.iterrows():
            c = colours[first.index(row[bys[0]])]
            m = MARKERS[second.index(row[bys[1]]) % len(MARKERS)] if len(bys) == 2 else "o"
            ax.errorbar(
                xv[i],
                yv[i],
                xerr=[[xv[i] - q25[x].iloc[i]], [q75[x].iloc[i] - xv[i]]],
                yerr=[[yv[i] - q25[key].iloc[i]], [q75[key].iloc[i] - yv[i]]],
                fmt=m,
                color=c,
                markersize=6,
                elinewidth=0.8,
                capsize=0,
                zorder=2,
            )
        _axes(ax)
        ax.set_xlabel(f"{registry.label(x)} ({_unit(x)})" if _unit(x) else registry.label(x))
        ax.set_ylabel(f"{registry.label(key)}\n({_unit(key)})" if _unit(key) else registry.label(key))
    handles = [Line2D([], [], color=c, marker="o", linestyle="", label=f"{bys[0]} = {v}") for v, c in zip(first, colours)]
    if len(bys) == 2:
        handles += [
            Line2D([], [], color=GREY, marker=MARKERS[k % len(MARKERS)], linestyle="", label=f"{bys[1]} = {v}")
            for k, v in enumerate(second)
        ]
    n_runs = int(groups.size().min())
    handles.append(Line2D([], [], color=GREY, label="frontier (no point beats it on both axes)"))
    fig.legend(handles=handles, loc="outside right center")
    fig.suptitle(f"{len(points)} design points, median and 25-75% of {n_runs} runs each", fontsize=10, x=0.01, ha="left")
    return fig


# --- the scorecard ------------------------------------------------------------------------------------------

#: The measures of the scorecard (columns ``scorecard_<measure>_<power>``), as in :mod:`connsim.report`.
SCORECARD = ("security", "cost_usd_bn", "data_access", "norm_reach", "norm_reach_gdp", "oda_partners")


@_styled
def scorecard(model_vars: pd.DataFrame, measures: Sequence[str] = SCORECARD, *, start: int = 0, end: int = -1):
    """Each power's strategic-autonomy scorecard at the start (hollow) and the end (filled) of a run:
    one panel per measure, each in its own unit, an arrow from start to end, the end value written."""
    measures = list(measures)
    cols = ["year", *(f"scorecard_{m}_{p}" for m in measures for p in POWERS)]
    _need(model_vars, cols, "scorecard")
    first, last = model_vars.iloc[start], model_vars.iloc[end]
    ncols = min(3, len(measures))
    nrows = math.ceil(len(measures) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.1 * nrows), layout="constrained", squeeze=False)
    x = np.arange(len(POWERS))
    for ax, m in zip(axes.flat, measures):
        keys = [f"scorecard_{m}_{p}" for p in POWERS]
        a, b = first[keys].to_numpy(float), last[keys].to_numpy(float)
        for i, p in enumerate(POWERS):
            c = POWER_COLOURS[p]
            if abs(b[i] - a[i]) > 1e-12:
                ax.annotate(
                    "", xy=(i, b[i]), xytext=(i, a[i]), arrowprops=dict(arrowstyle="-|>", color=c, lw=1.4, shrinkA=4, shrinkB=4)
                )
            ax.plot([i], [a[i]], "o", mfc="white", mec=c, mew=1.6, ms=7)
            ax.plot([i], [b[i]], "o", color=c, ms=7)
            ax.annotate(
                _fmt(b[i], _kind(keys[i])),
                xy=(i, b[i]),
                xytext=(9, 0),
                textcoords="offset points",
                fontsize=8,
                va="center",
                color=c,
            )
        _axes(ax)
        ax.set_xticks(x, [POWER_NAMES[p] for p in POWERS])
        ax.set_xlim(-0.5, len(POWERS) - 0.3)
        ax.set_title(_short(keys[0]))
        ax.set_ylabel(_unit(keys[0]))
        _ylim(ax, np.concatenate([a, b]), _kind(keys[0]))
    for ax in list(axes.flat)[len(measures) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], marker="o", ls="", mfc="white", mec=GREY, mew=1.6, ms=7, label=_year_text(first["year"])),
        Line2D([], [], marker="o", ls="", color=GREY, ms=7, label=_year_text(last["year"], end=True)),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    fig.suptitle("Strategic-autonomy scorecard of each power", fontsize=11, x=0.01, ha="left")
    return fig


def _fmt(v: float, kind: str) -> str:
    if not np.isfinite(v):
        return "n/a"
    if kind == "count":
        return f"{v:.0f}"
    if kind == "usd":
        return f"{v:.1f}"
    return f"{v:.2f}"


def _year_text(year: float, end: bool = False) -> str:
    """2019.0 -> '2019'; the state after the last quarter of 2030, recorded at 2031.0, -> 'end 2030'."""
    year = float(year)
    if year == int(year):
        return f"end {int(year) - 1}" if end else f"start {int(year)}"
    return f"{year:.2f}"


# --- the world map ------------------------------------------------------------------------------------------

#: What a map layer shows: the agent_vars column it needs, its categories (value, label, colour).
MAP_LAYERS = {
    "orientation": (
        "data-protection law and its orientation",
        ("regime", "has_law"),
        [(r, r, POSITION_COLOURS[r]) for r in REGIMES] + [("none", "no law", LIGHT_GREY)],
    ),
    "vendor_policy": (
        "5G policy on high-risk vendors (Huawei, ZTE)",
        ("vendor_policy",),
        [("open", "open", POLICY_COLOURS["open"]), ("core_excluded", "core excluded", POLICY_COLOURS["core_excluded"])]
        + [("banned", "banned", POLICY_COLOURS["banned"])],
    ),
    "oda_anchor": (
        "strongest digital-ODA partner",
        ("oda_main_partner", "kind"),
        [
            ("EU", "EU or a member state", POWER_COLOURS["EUU"]),
            ("JPN", "Japan", POWER_COLOURS["JPN"]),
            ("USA", "US", POWER_COLOURS["USA"]),
            ("CHN", "China", POWER_COLOURS["CHN"]),
            ("none", "no partner", LIGHT_GREY),
            ("donor", "a donor itself", "#5A5A5A"),
        ],
    ),
}
NOT_MODELLED = "#FFFFFF"


@functools.lru_cache(maxsize=2)
def _outlines(path: str) -> list[tuple[str | None, list[np.ndarray]]]:
    doc = json.loads(Path(path).read_text())
    return [(o["iso3"], [np.asarray(r, float).reshape(-1, 2) / 10.0 for r in o["rings"]]) for o in doc["outlines"]]


def _outline_path() -> Path:
    from connsim.seeds import SEEDS_DIR

    return Path(SEEDS_DIR) / "world_outline_110m.json"


def _coordinates() -> pd.DataFrame:
    from connsim.seeds import load_seeds

    return load_seeds().countries.set_index("iso3")[["name", "kind", "lat", "lon", "gdp_usd"]]


def _category(layer: str, rows: pd.DataFrame) -> pd.Series:
    if layer == "orientation":
        return pd.Series(np.where(rows["has_law"].to_numpy(bool), rows["regime"].astype(str), "none"), index=rows.index)
    if layer == "vendor_policy":
        return rows["vendor_policy"].astype(str)
    partner = rows["oda_main_partner"].astype(str).replace({"MS": "EU", "EUU": "EU", "": "none"})
    donor = rows["kind"].astype(str).isin(["Power", "MemberState"])
    return partner.where(~donor, "donor")


def _at_step(agent_vars: pd.DataFrame, step: int | None, who: str) -> pd.DataFrame:
    steps = agent_vars["step"].to_numpy()
    step = int(steps.max()) if step is None else int(step)
    if step not in set(steps.tolist()):
        raise ValueError(f"{who}: step {step} is not in agent_vars; allowed {int(steps.min())}..{int(steps.max())}")
    return agent_vars[steps == step].set_index("iso3")


@_styled
def world_map(agent_vars: pd.DataFrame, step: int | None = None, layers: Sequence[str] = tuple(MAP_LAYERS)):
    """States on a world map, one map per layer: the orientation of their data-protection law
    (``orientation``), their 5G policy on high-risk vendors (``vendor_policy``) and their strongest
    digital-ODA partner (``oda_anchor``), at ``step`` (default: the last) of a run's ``agent_vars``.

    Outlines: Natural Earth 1:110m, shipped (``seeds/world_outline_110m.json``); states too small
    for it (Singapore, Malta, island states) are dots at their centroid (``seeds/countries.csv``).
    White: a territory the model does not hold (Greenland, Western Sahara, Taiwan, ...). The
    legend counts the states in each category; states without coordinates (synthetic third
    countries) are counted there but not drawn. A plain longitude-latitude plane, faint graticule.
    """
    layers = list(layers)
    for layer in layers:
        if layer not in MAP_LAYERS:
            raise ValueError(f"world_map: layer {layer!r} is unknown; allowed {', '.join(MAP_LAYERS)}")
    needed = ["step", "iso3", *dict.fromkeys(c for layer in layers for c in MAP_LAYERS[layer][1])]
    _need(agent_vars, needed, "world_map", "agent_vars")
    rows = _at_step(agent_vars, step, "world_map")
    coords = _coordinates()
    outlines = _outlines(str(_outline_path()))
    in_outline = {iso for iso, _ in outlines if iso is not None}
    fig, axes = plt.subplots(len(layers), 1, figsize=(10, 3.75 * len(layers)), layout="constrained", squeeze=False)
    year = float(rows["year"].iloc[0]) if "year" in rows else None
    for ax, layer in zip(axes[:, 0], layers):
        title, _, cats = MAP_LAYERS[layer]
        colour_of = {v: c for v, _, c in cats}
        cat = _category(layer, rows)
        polys, faces = [], []
        for iso, rings in outlines:
            face = colour_of.get(cat.get(iso), NOT_MODELLED) if iso is not None else NOT_MODELLED
            for ring in rings:
                polys.append(ring)
                faces.append(face)
        ax.add_collection(PolyCollection(polys, facecolors=faces, edgecolors="#6E6E6E", linewidths=0.3, zorder=2))
        dots = [i for i in cat.index if i not in in_outline and i in coords.index]
        ax.scatter(
            coords.loc[dots, "lon"],
            coords.loc[dots, "lat"],
            s=16,
            c=[colour_of.get(cat[i], NOT_MODELLED) for i in dots],
            edgecolors="#333333",
            linewidths=0.5,
            zorder=3,
        )
        ax.set_xlim(-180, 180)
        ax.set_ylim(-58, 84)
        ax.set_aspect("equal")
        ax.set_xticks(range(-180, 181, 60), [_deg(x, "E", "W") for x in range(-180, 181, 60)])
        ax.set_yticks(range(-60, 91, 30), [_deg(y, "N", "S") for y in range(-60, 91, 30)])
        ax.grid(True, color="#9AB", alpha=0.25, linewidth=0.5)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=7, length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_xlabel("longitude", fontsize=8)
        ax.set_ylabel("latitude", fontsize=8)
        when = f", {_year_text(year, end=step is None or int(rows['step'].iloc[0]) > 0)}" if year is not None else ""
        ax.set_title(f"{title[0].upper()}{title[1:]}{when}")
        counts = cat.value_counts()
        handles = [Patch(facecolor=c, edgecolor="#6E6E6E", label=f"{text} ({int(counts.get(v, 0))})") for v, text, c in cats]
        handles.append(Patch(facecolor=NOT_MODELLED, edgecolor="#6E6E6E", label="not a state of the model"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="states", title_fontsize=8)
    return fig


def _deg(v: int, pos: str, neg: str) -> str:
    return "0°" if v == 0 else f"{abs(v)}°{pos if v > 0 else neg}"


# --- networks -------------------------------------------------------------------------------------------------


def _circle(n_groups: list[int], gap: float = 0.06) -> tuple[np.ndarray, list[float]]:
    """Positions of nodes on the unit circle, in groups separated by gaps (a fraction of the turn),
    and the angle of each group's middle."""
    total = sum(n_groups)
    free = 1.0 - gap * sum(1 for k in n_groups if k)
    angles, mids, at = [], [], 0.25  # start at the top, go clockwise
    for k in n_groups:
        if not k:
            mids.append(np.nan)
            continue
        span = free * k / total
        a = at - (np.arange(k) + 0.5) / k * span
        angles.append(a)
        mids.append(at - span / 2)
        at -= span + gap
    theta = 2 * np.pi * np.concatenate(angles) if angles else np.zeros(0)
    return np.column_stack([np.cos(theta), np.sin(theta)]), [2 * np.pi * m for m in mids]


def _donor_angles(mids: list[float]) -> list[float]:
    """Each donor's angle: the middle of its group, or between its neighbours' when it has none."""
    out = list(mids)
    known = [k for k, m in enumerate(mids) if np.isfinite(m)]
    for k, m in enumerate(mids):
        if not np.isfinite(m):
            out[k] = (mids[known[0]] if known else np.pi / 2) - 2 * np.pi * (k + 1) / (len(mids) + 1)
    return out


def _curves(p: np.ndarray, q: np.ndarray, pull: float = 0.35, n: int = 12) -> np.ndarray:
    """Quadratic Bezier curves from p to q (k, 2) bent toward the centre: (k, n, 2)."""
    t = np.linspace(0, 1, n)[None, :, None]
    c = (p + q)[:, None, :] / 2 * pull
    return (1 - t) ** 2 * p[:, None, :] + 2 * (1 - t) * t * c + t**2 * q[:, None, :]


def _sizes(gdp: np.ndarray) -> np.ndarray:
    g = np.nan_to_num(np.asarray(gdp, float), nan=0.0)
    return 6 + 140 * np.sqrt(g / g.max()) if g.max() > 0 else np.full(g.shape, 12.0)


def _ring_labels(ax, xy, names, keep, radius: float = 1.07) -> None:
    for (x, y), name, k in zip(xy, names, keep):
        if not k:
            continue
        ang = math.degrees(math.atan2(y, x))
        flip = 90 < ang % 360 < 270
        ax.text(
            x * radius,
            y * radius,
            name,
            fontsize=7,
            rotation=ang + 180 if flip else ang,
            rotation_mode="anchor",
            ha="right" if flip else "left",
            va="center",
        )


def _via(data: dict, a: str, b: str) -> str:
    """How a data-flow edge is drawn: ``adequacy`` only where it joins two different positions (within a
    position the pair flows already, and the edge would hide the group)."""
    return "adequacy" if data.get("via") == "adequacy" and a != b else "position"


def _spread_ranked(ranked, xy: np.ndarray, at_most: int, min_degrees: float = 5.0) -> set[int]:
    """Nodes to name: taken in the order of ``ranked`` (most important first), skipping any closer than
    ``min_degrees`` around the circle to one already named, up to ``at_most``."""
    angles = np.degrees(np.arctan2(xy[:, 1], xy[:, 0]))
    placed: list[float] = []
    out: set[int] = set()
    for i in ranked:
        if len(out) >= at_most:
            break
        if all(abs((angles[i] - a + 180) % 360 - 180) >= min_degrees for a in placed):
            placed.append(angles[i])
            out.add(int(i))
    return out


def _name(coords: pd.DataFrame, iso3: str, longest: int = 14) -> str:
    """A state's short name, or its ISO3 code when the name is long or unknown."""
    name = str(coords["name"].get(iso3, iso3))
    return name if len(name) <= longest else iso3


def _network_axes(ax) -> None:
    ax.set_aspect("equal")
    ax.set_xlim(-1.65, 1.65)
    ax.set_ylim(-1.6, 1.6)
    ax.axis("off")


@_styled
def data_flow_network(graph, agent_vars: pd.DataFrame, step: int | None = None, label_top: int = 14):
    """The data-flow compatibility network (``model.data_flow_graph()``): states around a circle,
    grouped by their position (a law's orientation, or none), sized by GDP; a curve joins two
    states that exchange personal data freely at least half-way (grey) or through an EU adequacy
    decision (black). ``agent_vars`` gives each state's position at ``step`` (default: the last,
    the step of a model kept after its run); the ``label_top`` largest economies are named.

    Notes
    -----
    Same-position groups are cliques (every pair flows), so a group's curves fill its arc;
    states of a position that flows with no other (``sovereign``) have no curve at all.
    """
    import networkx as nx

    if not isinstance(graph, nx.Graph):
        raise ValueError(f"data_flow_network: graph must be a networkx graph, got {type(graph).__name__}")
    _need(agent_vars, ["step", "iso3", "regime", "has_law"], "data_flow_network", "agent_vars")
    rows = _at_step(agent_vars, step, "data_flow_network")
    unknown = [n for n in graph.nodes if n not in rows.index]
    if unknown:
        raise ValueError(f"data_flow_network: graph node {unknown[0]!r} is not a state of agent_vars at that step")
    position = _category("orientation", rows)
    coords = _coordinates()
    nodes = list(graph.nodes)
    lon = coords["lon"].reindex(nodes).fillna(0.0)
    # within a group, west to east: neighbours sit together and the large economies spread out
    order = {pos: sorted((n for n in nodes if position[n] == pos), key=lambda n: lon[n]) for pos in POSITIONS}
    ordered = [n for pos in POSITIONS for n in order[pos]]
    xy, mids = _circle([len(order[p]) for p in POSITIONS])
    at = {n: xy[k] for k, n in enumerate(ordered)}
    fig, ax = plt.subplots(figsize=(8.6, 7.4), layout="constrained")
    for via, colour, alpha, lw in (("position", GREY, 0.07, 0.5), ("adequacy", PALETTE["black"], 0.55, 0.8)):
        edges = [(a, b) for a, b, d in graph.edges(data=True) if _via(d, position[a], position[b]) == via]
        if edges:
            p = np.array([at[a] for a, _ in edges])
            q = np.array([at[b] for _, b in edges])
            ax.add_collection(LineCollection(_curves(p, q), colors=colour, alpha=alpha, linewidths=lw, zorder=1))
    ordered_gdp = coords["gdp_usd"].reindex(ordered).to_numpy(float)
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=_sizes(ordered_gdp),
        c=[POSITION_COLOURS[position[n]] for n in ordered],
        edgecolors="#333333",
        linewidths=0.4,
        zorder=3,
    )
    by_gdp = np.argsort(-np.nan_to_num(ordered_gdp))[: 2 * label_top]
    shown = _spread_ranked(by_gdp, xy, label_top)
    _ring_labels(ax, xy, [_name(coords, n) for n in ordered], [k in shown for k in range(len(ordered))])
    for pos, mid in zip(POSITIONS, mids):
        if np.isfinite(mid):
            ax.text(
                1.56 * math.cos(mid),
                1.5 * math.sin(mid),
                f"{'no law' if pos == 'none' else pos}\n{len(order[pos])} states",
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
                color=POSITION_COLOURS[pos] if pos != "none" else GREY,
            )
    _network_axes(ax)
    n_adq = sum(1 for a, b, d in graph.edges(data=True) if _via(d, position[a], position[b]) == "adequacy")
    n_pos = graph.number_of_edges() - n_adq
    handles = [
        Line2D([], [], color=GREY, lw=1.2, label=f"positions that flow at least half-way ({n_pos:,} pairs)"),
        Line2D([], [], color=PALETTE["black"], lw=1.2, label=f"an EU adequacy decision across positions ({n_adq:,})"),
        Line2D([], [], marker="o", ls="", color=GREY, ms=4, label="state, sized by GDP"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    year = rows["year"].iloc[0] if "year" in rows else None
    ax.set_title(
        "Who exchanges personal data freely" + (f", {_year_text(year, end=True)}" if year is not None else ""), loc="left"
    )
    return fig


@_styled
def oda_network(graph, label_top: int = 12):
    """The digital-ODA partnership network (``model.oda_graph()``): the five donors inside, their
    partner states around a circle grouped by their strongest partner (by the edge's ``strength``),
    a curve per partnership in the donor's colour, solid where it carries infrastructure finance.
    States without a partnership are left out (the title counts them)."""
    import networkx as nx

    if not isinstance(graph, nx.DiGraph):
        raise ValueError(f"oda_network: graph must be a networkx DiGraph (model.oda_graph()), got {type(graph).__name__}")
    missing = [d for d in DONORS if d not in graph]
    if missing:
        raise ValueError(f"oda_network: the graph has no donor node {missing[0]!r}; donors are {', '.join(DONORS)}")
    strongest: dict[str, tuple[str, float]] = {}
    for d, r, data in graph.edges(data=True):
        s = float(data.get("strength", 0.0))
        if r not in strongest or s > strongest[r][1]:
            strongest[r] = (d, s)
    groups = {d: sorted((r for r, (k, _) in strongest.items() if k == d), key=lambda r: -strongest[r][1]) for d in DONORS}
    ordered = [r for d in DONORS for r in groups[d]]
    fig, ax = plt.subplots(figsize=(8.6, 7.4), layout="constrained")
    xy, mids = _circle([len(groups[d]) for d in DONORS])
    at = {n: xy[k] for k, n in enumerate(ordered)}
    # each donor inside, toward its own group (a donor with none between its neighbours)
    angle = _donor_angles(mids)
    inner = {d: 0.42 * np.array([math.cos(a), math.sin(a)]) for d, a in zip(DONORS, angle)}
    for infra, style, alpha in ((False, (0, (2, 2)), 0.5), (True, "-", 0.8)):
        for d in DONORS:
            edges = [(r, data) for _, r, data in graph.out_edges(d, data=True) if bool(data.get("infrastructure")) == infra]
            if not edges:
                continue
            p = np.repeat(inner[d][None, :], len(edges), axis=0)
            q = np.array([at[r] for r, _ in edges])
            widths = [0.4 + 2.2 * float(data.get("strength", 0.0)) for _, data in edges]
            ax.add_collection(
                LineCollection(
                    _curves(p, q, pull=0.8), colors=DONOR_COLOURS[d], linewidths=widths, linestyles=style, alpha=alpha, zorder=1
                )
            )
    if ordered:
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=22,
            c=[DONOR_COLOURS[strongest[r][0]] for r in ordered],
            edgecolors="#333333",
            linewidths=0.4,
            zorder=3,
        )
    coords = _coordinates()
    degree = {r: graph.in_degree(r) for r in ordered}
    ranked = sorted(range(len(ordered)), key=lambda k: (-degree[ordered[k]], -strongest[ordered[k]][1]))
    shown = _spread_ranked(ranked, xy, label_top) if ordered else set()
    _ring_labels(ax, xy, [_name(coords, r) for r in ordered], [k in shown for k in range(len(ordered))], radius=1.05)
    for d, p in inner.items():
        ax.scatter([p[0]], [p[1]], s=1000, color=DONOR_COLOURS[d], edgecolors="white", linewidths=1.5, zorder=4)
        ax.text(p[0], p[1], "EU MS" if d == "MS" else POWER_NAMES.get(d, d), ha="center", va="center", fontsize=7, color="white",
                fontweight="bold", zorder=5)  # fmt: skip
    for d, mid in zip(DONORS, mids):
        if np.isfinite(mid):
            ax.text(
                1.45 * math.cos(mid),
                1.45 * math.sin(mid),
                f"{len(groups[d])} state{'s' if len(groups[d]) != 1 else ''}\nanchored to\n"
                f"{'EU member states' if d == 'MS' else POWER_NAMES[d]}",
                ha="center",
                va="center",
                fontsize=8,
                color=DONOR_COLOURS[d],
                fontweight="bold",
            )
    _network_axes(ax)
    kind = coords["kind"] if "kind" in coords else pd.Series(dtype=str)
    third = [n for n in graph.nodes if n not in DONORS and kind.get(n, "ThirdCountry") == "ThirdCountry"]
    none = sum(1 for n in third if n not in strongest)
    handles = [
        Line2D([], [], color=GREY, lw=1.5, label="partnership with infrastructure finance"),
        Line2D([], [], color=GREY, lw=1.0, ls=(0, (2, 2)), label="partnership without (width: strength)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2)
    ax.set_title(
        f"Digital-ODA partnerships: {graph.number_of_edges()} with {len(strongest)} states"
        f" ({none} of {len(third)} third countries have none)",
        loc="left",
    )
    return fig


# --- ensembles ------------------------------------------------------------------------------------------------


def _band_text(lo: float, hi: float) -> str:
    return f"{lo * 100:g}-{hi * 100:g}% of runs"


def _fan_panel(ax, model_vars, key, groups, by, x, bands, colours, styles, *, ylabel=None, title=None) -> list:
    """One outcome's fan: per group the median (a line) and quantile bands (shading); returns what
    was drawn per group, for the legend."""
    qs = sorted({q for b in bands for q in b} | {0.5})
    values, drawn = [], []
    for j, g in enumerate(groups):
        part = model_vars if g is None else model_vars[model_vars[by] == g]
        q = part.groupby(x)[key].quantile(qs).unstack()
        colour, style = colours[j % len(colours)], styles[j % len(styles)]
        for width, (lo, hi) in enumerate(bands):
            ax.fill_between(q.index, q[lo], q[hi], color=colour, alpha=0.10 + 0.10 * width, linewidth=0, zorder=1)
        # later groups thinner, on top: a curve that coincides with an earlier one stays visible
        (line,) = ax.plot(q.index, q[0.5], color=colour, ls=style, lw=2.4 - 0.5 * min(j, 3), zorder=3 + j)
        drawn.append(line)
        values.append(q.to_numpy(float).ravel())
    _axes(ax)
    ax.set_title(title if title is not None else registry.label(key))
    ax.set_ylabel(ylabel if ylabel is not None else _unit(key))
    if x == YEAR:
        _years(ax, model_vars[x].to_numpy(float))
    else:
        ax.set_xlabel(x)
    _ylim(ax, np.concatenate(values) if values else [], _kind(key))
    return drawn


@_styled
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
):
    """Fan charts of an ensemble: per group (``by``, default each scenario), the median of each
    outcome over runs and shaded quantile bands (default 5-95% and 25-75%), one panel per outcome.

    Parameters
    ----------
    model_vars : DataFrame with columns ``by``, ``x`` and the outcomes, one row per run and step
        (``EnsembleResult.model_vars``). Without a ``by`` column, all rows are one group.
    outcomes : outcome column names (one panel each).
    bands : (lo, hi) quantile pairs, widest first; drawn lighter the wider.
    labels : outcome -> panel title (default the registry's label; the y-axis shows its unit).
    ncols : panels per row.
    path : save the figure here as well.
    title : the figure's title (default: how many runs the bands are over).

    Returns
    -------
    matplotlib Figure. Groups are told apart by colour and line style; the legend, below the
    panels, says what the line and each band are. Cost: one groupby-quantile over the rows per
    group and outcome.
    """
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    if not outcomes:
        raise ValueError("fan_chart: no outcomes given")
    _need(model_vars, [x, *outcomes], "fan_chart")
    bands = [tuple(b) for b in bands]
    for lo, hi in bands:
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"fan_chart: band {(lo, hi)} must be quantiles 0 <= lo < hi <= 1")
    n = len(outcomes)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.3 * nrows + 0.6), squeeze=False, layout="constrained")
    groups = list(dict.fromkeys(model_vars[by])) if by in model_vars else [None]
    drawn = []
    for ax, key in zip(axes.flat, outcomes):
        drawn = _fan_panel(
            ax, model_vars, key, groups, by, x, bands, SCENARIO_COLOURS, SCENARIO_STYLES, title=(labels or {}).get(key)
        )
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    _fan_legend(fig, groups, drawn, bands)
    if not title and "run_id" in model_vars:
        title = _runs_text(model_vars, by)
    if title:
        fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    if path is not None:
        save(fig, path)
    return fig


def _runs_text(model_vars: pd.DataFrame, by: str) -> str:
    per = model_vars.groupby(by)["run_id"].nunique() if by in model_vars else model_vars["run_id"].agg(["nunique"])
    runs = f"{per.min()}" if per.min() == per.max() else f"{per.min()}-{per.max()}"
    return f"Median and quantile bands over {runs} runs" + (f" per {by}" if by in model_vars and len(per) > 1 else "")


def _fan_legend(fig, groups, drawn, bands) -> None:
    handles = _fan_handles(groups, drawn, bands)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))


def _fan_handles(groups, drawn, bands) -> list:
    handles = []
    for g, line in zip(groups, drawn):
        handles.append(Line2D([], [], color=line.get_color(), ls=line.get_linestyle(), lw=line.get_linewidth(), label=str(g)))
    if groups == [None]:
        handles[0].set_label("median over runs")
    else:
        handles.append(Line2D([], [], color=GREY, lw=1.8, label="line: median over runs"))
    for width, (lo, hi) in enumerate(bands):
        handles.append(Patch(facecolor=GREY, alpha=0.10 + 0.10 * width + 0.1, label=f"band: {_band_text(lo, hi)}"))
    return handles


def _ends(model_vars: pd.DataFrame, year: float | None, who: str) -> pd.DataFrame:
    """Each run's row at ``year`` (default its last step)."""
    key = ["scenario", "seed"]
    if year is None:
        return model_vars.sort_values("step").groupby(key, sort=False).tail(1)
    rows = model_vars[np.isclose(model_vars["year"].to_numpy(float), float(year))]
    if rows.empty:
        years = np.unique(model_vars["year"])
        raise ValueError(f"{who}: year {year} is not a recorded step; allowed {years[0]:g}..{years[-1]:g}")
    return rows


def differences(
    model_vars: pd.DataFrame, outcomes, *, reference: str | None = None, scenarios=None, year: float | None = None
) -> pd.DataFrame:
    """Paired differences (scenario minus reference, by seed) at ``year`` (default: the end of each run).

    Returns one row per (scenario, outcome): ``n`` seeds paired, ``mean``, ``ci_lo``/``ci_hi`` (95%
    confidence interval of the mean, t distribution), ``q05``/``q95`` (of the seed differences) and
    ``values`` (the differences themselves, by seed)."""
    from scipy import stats

    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    _need(model_vars, ["scenario", "seed", "step", "year", *outcomes], "paired_difference")
    names = list(dict.fromkeys(model_vars["scenario"]))
    reference = names[0] if reference is None else reference
    if reference not in names:
        raise ValueError(
            f"paired_difference: reference {reference!r} is not a scenario of model_vars; allowed {', '.join(names)}"
        )
    scenarios = [s for s in names if s != reference] if scenarios is None else list(scenarios)
    for s in scenarios:
        if s not in names:
            raise ValueError(f"paired_difference: scenario {s!r} is not in model_vars; allowed {', '.join(names)}")
    if not scenarios:
        raise ValueError("paired_difference: model_vars holds one scenario; a difference needs two")
    ends = _ends(model_vars, year, "paired_difference")
    base = ends[ends["scenario"] == reference].set_index("seed")[outcomes]
    rows = []
    for s in scenarios:
        this = ends[ends["scenario"] == s].set_index("seed")[outcomes]
        common = this.index.intersection(base.index)
        if common.empty:
            raise ValueError(f"paired_difference: {s!r} and {reference!r} share no seed; run them with common seeds")
        d = this.loc[common] - base.loc[common]
        for k in outcomes:
            v = d[k].to_numpy(float)
            v = v[np.isfinite(v)]
            n, mean = len(v), float(v.mean()) if len(v) else np.nan
            half = float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            rows.append(
                dict(
                    scenario=s,
                    outcome=k,
                    n=n,
                    mean=mean,
                    ci_lo=mean - half,
                    ci_hi=mean + half,
                    q05=float(np.quantile(v, 0.05)) if n else np.nan,
                    q95=float(np.quantile(v, 0.95)) if n else np.nan,
                    values=v,
                )
            )
    out = pd.DataFrame(rows)
    out.attrs.update(reference=reference)
    return out


def _difference_panels(axes_for_unit, table: pd.DataFrame, scenarios: list[str], colours) -> None:
    """Dot and whisker, one panel per unit: each outcome a row, each scenario a dot."""
    rng = np.random.default_rng(0)  # jitter of the per-seed dots only
    n_s = len(scenarios)
    for unit, (ax, keys) in axes_for_unit.items():
        for r, key in enumerate(keys):
            for j, s in enumerate(scenarios):
                row = table[(table["outcome"] == key) & (table["scenario"] == s)].iloc[0]
                y = r + (j - (n_s - 1) / 2) * 0.22
                c = colours[j % len(colours)]
                v = row["values"]
                ax.scatter(v, y + rng.uniform(-0.06, 0.06, len(v)), s=7, color=c, alpha=0.35, lw=0, zorder=2)
                ax.plot([row["q05"], row["q95"]], [y, y], color=c, lw=1.0, zorder=3)
                if np.isfinite(row["ci_lo"]):
                    ax.plot([row["ci_lo"], row["ci_hi"]], [y, y], color=c, lw=3.2, solid_capstyle="butt", zorder=4)
                ax.plot([row["mean"]], [y], "o", color=c, ms=6, mec="white", mew=0.8, zorder=5)
        ax.axvline(0, color="#555555", lw=0.9, zorder=1)
        _axes(ax)
        ax.grid(False, axis="y")
        ax.set_yticks(range(len(keys)), [registry.label(k) for k in keys])
        ax.set_ylim(len(keys) - 0.5, -0.5)
        ax.set_xlabel(f"difference, {unit}")
        lo = np.nanmin([np.nanmin(np.append(v, 0.0)) for v in table[table["outcome"].isin(keys)]["values"]])
        hi = np.nanmax([np.nanmax(np.append(v, 0.0)) for v in table[table["outcome"].isin(keys)]["values"]])
        span = max(abs(lo), abs(hi)) * 1.12 or (1.0 if _kind(keys[0]) == "count" else 0.01)
        ax.set_xlim(-span, span)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, symmetric=True))


def _difference_legend(fig, table, scenarios, colours, reference, loc="outside lower center") -> None:
    fig.legend(handles=_difference_handles(table, scenarios, colours, reference), loc=loc, ncols=3)


def _difference_handles(table, scenarios, colours, reference) -> list:
    n = int(table["n"].min())
    handles = [
        Line2D([], [], marker="o", ls="", color=colours[j % len(colours)], ms=6, label=f"{s} \u2212 {reference}")
        for j, s in enumerate(scenarios)
    ]
    handles += [
        Line2D([], [], marker="o", ls="", color=GREY, ms=5, label="dot: mean difference"),
        Line2D([], [], color=GREY, lw=3.2, label="thick: 95% confidence interval of the mean"),
        Line2D([], [], color=GREY, lw=1.0, label="thin: 5-95% of seeds"),
        Line2D([], [], marker="o", ls="", color=GREY, alpha=0.4, ms=3, label=f"small: one seed ({n} seeds, paired)"),
    ]
    return handles


def _family(name: str) -> str:
    """What a difference is measured in, for grouping panels: shares of states, of networks and of
    GDP apart, indices apart, each count unit apart."""
    unit, kind = _unit(name), _kind(name)
    if kind == "share":
        if "network" in unit:
            return "share of the network (GDP-weighted)"
        if "GDP" in unit:
            return "share of world GDP (or GDP pairs)"
        if "population" in unit:
            return "share of world population"
        return "share of the group's states"
    return unit or "value"


def _by_unit(outcomes) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for k in outcomes:
        groups.setdefault(_family(k), []).append(k)
    return groups


@_styled
def paired_difference(
    model_vars: pd.DataFrame,
    outcomes,
    *,
    reference: str | None = None,
    scenarios: Sequence[str] | None = None,
    year: float | None = None,
    title: str = "",
):
    """The difference each scenario makes against ``reference`` (default: the first scenario),
    paired by seed, at ``year`` (default: the end): dot and whisker per outcome.

    The dot is the mean of the seed-by-seed differences, the thick whisker its 95% confidence
    interval, the thin one the 5-95% range of the seeds' differences, the small dots each seed.
    Outcomes are grouped into one panel per unit (a share and a count never share an axis).
    ``model_vars``: an ensemble's (``scenario``, ``seed``, ``step``, ``year`` and the outcomes),
    with common seeds (``run_ensemble([...], replications=...)`` pairs replication r of each).
    See :func:`differences` for the numbers."""
    table = differences(model_vars, outcomes, reference=reference, scenarios=scenarios, year=year)
    reference = table.attrs["reference"]
    names = list(dict.fromkeys(table["scenario"]))
    groups = _by_unit(list(dict.fromkeys(table["outcome"])))
    heights = [0.55 + 0.42 * len(k) * max(1, len(names) * 0.7) for k in groups.values()]
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(8.5, sum(heights) + 1.3), layout="constrained", squeeze=False, height_ratios=heights
    )
    _difference_panels(dict(zip(groups, zip(axes[:, 0], groups.values()))), table, names, SCENARIO_COLOURS[1:])
    _difference_legend(fig, table, names, SCENARIO_COLOURS[1:], reference)
    when = f"at {year:g}" if year is not None else "at the end of the run"
    fig.suptitle(title or f"Difference from {reference!r}, {when}, paired by seed", fontsize=11, x=0.01, ha="left")
    return fig


@_styled
def comparison(
    model_vars: pd.DataFrame,
    outcomes,
    *,
    reference: str | None = None,
    path: str | Path | None = None,
    title: str = "",
    ncols: int = 3,
):
    """Scenarios side by side (``connsim compare``): per outcome a fan chart (median and 5-95% and
    25-75% bands over seeds, each scenario its colour and line style) and, under it in the same unit,
    each scenario's end-of-run difference from ``reference`` (default: the first), paired by seed
    (dot: mean; thick: its 95% confidence interval; thin: 5-95% of seeds; small dots: each seed)."""
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    table = differences(model_vars, outcomes, reference=reference)
    reference = table.attrs["reference"]
    others = list(dict.fromkeys(table["scenario"]))
    names = [reference, *others]
    n = len(outcomes)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    strip = 0.5 + 0.28 * len(others)
    fig = plt.figure(figsize=(4.7 * ncols, nrows * (3.0 + strip) + 1.0), layout="constrained")
    grid = fig.add_gridspec(2 * nrows, ncols, height_ratios=[3.0, strip] * nrows)
    bands = [(0.05, 0.95), (0.25, 0.75)]
    drawn = []
    for k, key in enumerate(outcomes):
        r, c = divmod(k, ncols)
        ax = fig.add_subplot(grid[2 * r, c])
        drawn = _fan_panel(ax, model_vars, key, names, "scenario", YEAR, bands, SCENARIO_COLOURS, SCENARIO_STYLES)
        dax = fig.add_subplot(grid[2 * r + 1, c])
        _difference_strip(dax, table, key, others, SCENARIO_COLOURS[1:])
    handles = _fan_handles(names, drawn, bands) + _difference_handles(table, [], SCENARIO_COLOURS[1:], reference)
    fig.legend(handles=handles, loc="outside lower center", ncols=4)
    runs = _runs_text(model_vars, "scenario") if "run_id" in model_vars else "Median and quantile bands over seeds"
    head = f"{title}\n" if title else ""
    fig.suptitle(f"{head}{runs}; under each panel, the end-of-run difference from {reference!r} paired by seed",
                 fontsize=10, x=0.01, ha="left")  # fmt: skip
    if path is not None:
        save(fig, path)
    return fig


def _difference_strip(ax, table: pd.DataFrame, key: str, scenarios: list[str], colours) -> None:
    """One outcome's paired differences, one row per scenario, in the outcome's own unit."""
    rng = np.random.default_rng(0)
    vals = []
    for j, s in enumerate(scenarios):
        row = table[(table["outcome"] == key) & (table["scenario"] == s)].iloc[0]
        c, v = colours[j % len(colours)], row["values"]
        vals.append(v)
        ax.scatter(v, j + rng.uniform(-0.12, 0.12, len(v)), s=7, color=c, alpha=0.35, lw=0, zorder=2)
        ax.plot([row["q05"], row["q95"]], [j, j], color=c, lw=1.0, zorder=3)
        if np.isfinite(row["ci_lo"]):
            ax.plot([row["ci_lo"], row["ci_hi"]], [j, j], color=c, lw=3.2, solid_capstyle="butt", zorder=4)
        ax.plot([row["mean"]], [j], "o", color=c, ms=6, mec="white", mew=0.8, zorder=5)
    ax.axvline(0, color="#555555", lw=0.9, zorder=1)
    _axes(ax)
    ax.grid(False, axis="y")
    ax.set_yticks(range(len(scenarios)), ["\u0394 " + s for s in scenarios], fontsize=7)
    ax.set_ylim(len(scenarios) - 0.5, -0.5)
    every = np.concatenate([*vals, [0.0]])
    span = float(np.nanmax(np.abs(every))) * 1.15 or (1.0 if _kind(key) == "count" else 0.01)
    ax.set_xlim(-span, span)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=True))
    ax.set_xlabel(f"difference at the end, {_unit(key)}", fontsize=8)
