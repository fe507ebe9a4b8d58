"""The powers decide: the EU, Japan, the US and China choose their levers once a year.

The paper's four powers are not a control panel. At the first step of each year each of them
takes its decisions (:data:`POWER_LEVERS`, by the scenario's lever names) through a **strategy**:

* ``scripted``: it keeps the scenario's levers and schedules, its *course* (the default: the
  baseline stays a forecast from 2019 that scripts nothing after it);
* ``adaptive``: for each of its decisions it weighs a few options against what it observes
  (:func:`observe`) and picks one by logit (:func:`adaptive_decisions`); the terms are recorded so
  that ``explain("CHN", step)`` says why;
* ``replay``: the decisions of a table, year by year (:class:`Replay`; a scenario's
  ``[powers.EUU.decisions.2021]``, as a saved classroom session writes them);
* a person's or a script's: a callable ``f(view) -> {lever: value}`` (or an object with a
  ``decide(view)`` method). ``view`` is a mapping of what the power can see (:func:`view`);
  decisions it leaves out follow the scenario; each is validated against the lever's range.

The rule of an adaptive decision (one per lever, :data:`ADAPTIVE`): for option ``x`` at position
``u`` of the options' span, ``u0`` the position of the power's course (the scenario's value),

    U(x) = response * (signal - signal_0) * u - power_course * (u - u0)**2 + power_status_quo * [x held]

where ``signal`` is what the power observes (:func:`observe`, 0..1) and ``signal_0`` what it
observed at its first decision of the run: a power keeps its course in the world it started in,
and departs from it as the world changes (the optimum is ``u* = u0 + response * (signal -
signal_0) / (2 power_course)``). The US data framework weighs its signal itself, not its change
(``centered=False``): the framework closes a gap that is there from the start. The EU and Japan
both decide their cooperation and ODA coordination; the lower of their two levels is in force
(:data:`JOINT`).

China's **retaliation acts** (:func:`retaliate`): each year, against the states that began
restricting high-risk vendors since the last one, at intensity ``china_retaliation x conflict``;
an act cuts the target's trade with China by ``retaliation_trade_cut`` at full intensity (trade
shares and the trade network follow). States expect retaliation from what China has done:
their expectation moves toward the intensity of its acts (``retaliation_memory``), and it is
what the 5G policy's retaliation term weighs (:func:`connsim.decisions.vendors.policy_utilities`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from connsim.choice import logit_probabilities
from connsim.names import COOPERATION_LEVELS, DONORS, POWERS

__all__ = [
    "POWER_LEVERS",
    "JOINT",
    "ADAPTIVE",
    "STRATEGIES",
    "Adaptive",
    "PowerRecord",
    "lever_range",
    "observe",
    "view",
    "adaptive_decisions",
    "validate_decisions",
    "decision_problem",
    "Replay",
    "resolve_strategies",
    "decide",
    "retaliate",
]

#: The decisions of each power, by the scenario's lever names (``oda_budget_scale.EUU``: the
#: EU's entry of that table).
POWER_LEVERS: Mapping[str, tuple[str, ...]] = {
    "EUU": (
        "eu_toolbox_strength",
        "adequacy_openness",
        "oda_budget_scale.EUU",
        "oda_staffing.EUU",
        "open_connected_ring",
        "eu_jp_oda_coordination",
        "eu_japan_cooperation",
    ),
    "JPN": (
        "dfft_multilateral_push",
        "japan_vendor_push",
        "oda_budget_scale.JPN",
        "oda_staffing.JPN",
        "eu_jp_oda_coordination",
        "eu_japan_cooperation",
    ),
    "USA": ("us_pressure", "us_data_framework", "us_export_controls"),
    "CHN": ("digital_silk_road_intensity", "hr_price_discount", "china_retaliation"),
}
#: Levers the EU and Japan decide together: the lower of the two levels is in force.
JOINT = ("eu_jp_oda_coordination", "eu_japan_cooperation")
#: The strategies by name (``strategies={"CHN": "adaptive"}``, ``[powers.CHN] strategy = "adaptive"``); a
#: scenario may also name ``"replay"``, with a table of the power's decisions by year (:class:`Replay`).
STRATEGIES = ("scripted", "adaptive")


@dataclass(frozen=True)
class Adaptive:
    """One adaptive decision: the options weighed, the observation that drives it and its weights."""

    lever: str
    options: tuple
    signal: str  # a key of :func:`observe`
    response: str  # the weight's name
    centered: bool = True  # weigh the signal's change since the first decision (False: the signal itself)


def _grid(lo: float, hi: float, k: int = 5) -> tuple[float, ...]:
    return tuple(float(x) for x in np.round(np.linspace(lo, hi, k), 6))


#: The model's own adaptive decisions of each power.
ADAPTIVE: Mapping[str, tuple[Adaptive, ...]] = {
    "EUU": (
        Adaptive("eu_toolbox_strength", _grid(0, 1), "eu_divergence", "eu_toolbox_response"),
        Adaptive("adequacy_openness", (0.0, 0.005, 0.02, 0.05, 0.1), "untrusted_share", "eu_adequacy_response"),
        Adaptive("oda_budget_scale.EUU", (0.5, 1.0, 1.5, 2.0, 3.0), "chinese_anchoring", "eu_oda_response"),
        Adaptive("oda_staffing.EUU", (0.3, 0.5, 0.7, 0.9), "chinese_anchoring", "eu_oda_response"),
        Adaptive("open_connected_ring", _grid(0, 1, 3), "chinese_anchoring", "eu_oda_response"),
        Adaptive("eu_jp_oda_coordination", _grid(0, 1), "chinese_anchoring", "eu_cooperation_response"),
        Adaptive("eu_japan_cooperation", COOPERATION_LEVELS, "untrusted_share", "eu_cooperation_response"),
    ),
    "JPN": (
        Adaptive("dfft_multilateral_push", _grid(0, 1), "blocked_flows", "jp_dfft_response"),
        Adaptive("japan_vendor_push", _grid(0, 1), "restricting_gdp", "jp_vendor_response"),
        Adaptive("oda_budget_scale.JPN", (0.5, 1.0, 1.5, 2.0, 3.0), "chinese_anchoring", "jp_oda_response"),
        Adaptive("oda_staffing.JPN", (0.3, 0.5, 0.7, 0.9), "chinese_anchoring", "jp_oda_response"),
        Adaptive("eu_jp_oda_coordination", _grid(0, 1), "chinese_anchoring", "eu_cooperation_response"),
        Adaptive("eu_japan_cooperation", COOPERATION_LEVELS, "untrusted_share", "eu_cooperation_response"),
    ),
    "USA": (
        Adaptive("us_pressure", _grid(0, 1), "allies_lagging", "us_pressure_response"),
        Adaptive("us_data_framework", (0.0, 1.0), "eu_data_gap", "us_framework_response", centered=False),
        Adaptive("us_export_controls", _grid(0, 1), "hr_conflict", "us_controls_response"),
    ),
    "CHN": (
        Adaptive("digital_silk_road_intensity", _grid(0, 2), "vendor_share_lost", "chn_dsr_response"),
        Adaptive("hr_price_discount", _grid(0, 0.5, 6), "vendor_share_lost", "chn_discount_response"),
        Adaptive("china_retaliation", _grid(0, 1), "new_restrictors_gdp", "chn_retaliation_deterrence"),
    ),
}
#: Uniform numbers drawn per yearly decision (one per adaptive decision, in the order of ADAPTIVE).
N_POWER_UNIFORMS = sum(len(v) for v in ADAPTIVE.values())


def lever_range(lever: str) -> tuple[float, float] | tuple[str, ...]:
    """The allowed values of a power's lever: ``(lo, hi)``, or the categories of a categorical one."""
    if lever == "eu_japan_cooperation":
        return COOPERATION_LEVELS
    if lever.startswith("oda_budget_scale."):
        return (0.0, 10.0)
    if lever.startswith("oda_staffing."):
        return (0.0, 1.0)  # above 0
    if lever in ("digital_silk_road_intensity",):
        return (0.0, 2.0)
    if lever == "hr_price_discount":
        return (0.0, 0.5)
    return (0.0, 1.0)


def _number(lever: str, value) -> float:
    """A lever's value as a number (a categorical level as 0, 0.5, 1)."""
    if lever == "eu_japan_cooperation":
        return COOPERATION_LEVELS.index(value) / 2
    return float(value)


@dataclass
class PowerRecord:
    """What the powers did in one yearly decision step.

    ``decisions``: power -> {lever: value} it chose (its course where scripted); ``strategy``:
    power -> its strategy's name; ``terms``: power -> lever -> {term: (options,)} for adaptive
    decisions, with ``options`` and ``probabilities`` alike; ``observations``: what they observed;
    ``retaliation``: China's act of the year (intensity and the ISO3 codes of its targets).
    """

    year: float
    decisions: dict[str, dict[str, Any]]
    strategy: dict[str, str]
    observations: dict[str, float]
    terms: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    options: dict[str, dict[str, tuple]] = field(default_factory=dict)
    probabilities: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    retaliation: dict[str, Any] = field(default_factory=dict)


# --- what the powers see -----------------------------------------------------------------------


def observe(st, lv, c, flow: np.ndarray) -> dict[str, float]:
    """What the powers observe at the start of a year: signals in 0..1 (n = states).

    Parameters
    ----------
    st : the world's state; lv : the levers in force; c : the run's constants.
    flow : (5, 5) free-flow intensity between positions.

    Returns
    -------
    ``eu_divergence`` 4 p (1 - p), p the GDP share of member states restricting high-risk vendors
    (1: half of them, 0: all or none); ``untrusted_share`` third countries without a protect or
    trust law; ``chinese_anchoring`` third countries whose strongest ODA partner is China;
    ``blocked_flows`` 1 - the world's GDP-pair share exchanging data freely; ``restricting_gdp`` world
    GDP share restricting; ``allies_lagging`` US allies not restricting; ``hr_conflict`` high-risk
    vendors' world radio share times the conflict; ``eu_data_gap`` no free flow between the US and
    the EU and no adequacy; ``vendor_share_lost`` high-risk vendors' radio share lost since the start
    (relative); ``new_restrictors_gdp`` world GDP share that began restricting since the last year.

    Notes
    -----
    O(n x (v + d)) once a year.
    """
    from connsim.metrics import free_flow_gdp_pair_share  # floor 2, as this module

    gdp, member, third = st.gdp, st.member, st.third
    restricting = st.policy > 0
    p = float(gdp[member & restricting].sum() / max(gdp[member].sum(), 1e-12))
    position = st.position
    trusted = st.has_law & (st.regime < 2)
    n_third = max(int(third.sum()), 1)
    strongest_cn = (st.strength.argmax(axis=1) == DONORS.index("CHN")) & (st.strength.max(axis=1) > 0)
    allies = st.us_ally
    hr_ran_world = float(st.hr_ran @ c.market)
    usa = int(np.nonzero(st.iso3 == "USA")[0][0])
    new = restricting & (st.policy_at_decision == 0)
    free = free_flow_gdp_pair_share(position, gdp, flow=flow, adequacy=st.adequacy, gdpr_area=st.gdpr_area)
    return {
        "eu_divergence": 4.0 * p * (1.0 - p),
        "untrusted_share": float((third & ~trusted).sum() / n_third),
        "chinese_anchoring": float((third & strongest_cn).sum() / n_third),
        "blocked_flows": float(1.0 - free) if np.isfinite(free) else 0.0,
        "restricting_gdp": float(gdp[restricting].sum() / gdp.sum()),
        "allies_lagging": float((allies & ~restricting).sum() / max(int(allies.sum()), 1)),
        "hr_conflict": hr_ran_world * lv.us_china_conflict,
        "eu_data_gap": float(1.0 - flow[position[usa], 0]),
        "vendor_share_lost": max(0.0, 1.0 - hr_ran_world / max(c.hr_ran_world_start, 1e-12)),
        "new_restrictors_gdp": float(gdp[new].sum() / gdp.sum()),
    }


def view(power: str, year: float, step: int, course: Mapping[str, Any], held: Mapping[str, Any], observations) -> dict:
    """What a person's or a script's strategy receives: a plain mapping (copies, safe to keep).

    ``levers``: the values in force of the power's decisions; ``course``: the scenario's values
    this year (what ``scripted`` would keep); ``observations``: :func:`observe`; ``decisions``: the
    names it may return, with ``allowed`` their ranges."""
    levers = POWER_LEVERS[power]
    return {
        "power": power,
        "year": float(year),
        "step": int(step),
        "decisions": levers,
        "allowed": {k: lever_range(k) for k in levers},
        "levers": {k: held[k] for k in levers},
        "course": {k: course[k] for k in levers},
        "observations": dict(observations),
    }


# --- how they decide ---------------------------------------------------------------------------


def adaptive_decisions(
    power: str,
    observations: Mapping[str, float],
    reference: Mapping[str, float],
    course: Mapping[str, Any],
    held: Mapping[str, Any],
    *,
    w,
    beta: float,
    uniforms: np.ndarray,
):
    """A power's adaptive decisions (see the module docstring): ``(decisions, terms, options, probabilities)``.

    Parameters
    ----------
    power : one of ``POWERS``.
    observations : :func:`observe` now; reference : :func:`observe` at the power's first decision.
    course : lever -> the scenario's value this year; held : lever -> the value in force (the
        option held gets ``power_status_quo``). Either, if not among the options, is one more option.
    w : the weights; beta : the logit rationality (``beta_power``).
    uniforms : (len(ADAPTIVE[power]),) uniform numbers, one per decision.

    Returns
    -------
    decisions : lever -> the value picked; terms : lever -> {"response", "course", "status_quo"},
    each (options,); options : lever -> the options weighed; probabilities : lever -> (options,).
    """
    decisions, terms, options, probabilities = {}, {}, {}, {}
    for k, rule in enumerate(ADAPTIVE[power]):
        lever = rule.lever
        opts = tuple(sorted({*rule.options, course[lever], held[lever]}, key=lambda x: _number(lever, x)))
        x = np.array([_number(lever, o) for o in opts])
        lo, hi = x.min(), x.max()
        u = (x - lo) / (hi - lo)
        u0 = (_number(lever, course[lever]) - lo) / (hi - lo)
        signal = observations[rule.signal] - (reference[rule.signal] if rule.centered else 0.0)
        t = {
            "response": getattr(w, rule.response) * signal * u,
            "course": -w.power_course * (u - u0) ** 2,
            "status_quo": w.power_status_quo * np.array([o == held[lever] for o in opts], float),
        }
        p = logit_probabilities((t["response"] + t["course"] + t["status_quo"])[None, :], beta)[0]
        pick = min(int(np.searchsorted(np.cumsum(p), uniforms[k], side="right")), len(opts) - 1)
        decisions[lever], terms[lever], options[lever], probabilities[lever] = opts[pick], t, opts, p
    return decisions, terms, options, probabilities


def decision_problem(power: str, lever: str, value) -> str | None:
    """Why ``value`` cannot be ``power``'s decision ``lever`` ("lever=value; allowed ..."), or None if it can."""
    if lever not in POWER_LEVERS[power]:
        return f"{lever!r} is not one of {power}'s decisions; allowed {', '.join(POWER_LEVERS[power])}"
    allowed = lever_range(lever)
    if isinstance(allowed[0], str):
        return None if value in allowed else f"{lever}={value!r}; allowed one of {', '.join(allowed)}"
    lo, hi = allowed
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)
    above = ok and ((value > lo) if lever.startswith("oda_staffing.") else (value >= lo))
    if ok and above and value <= hi:
        return None
    rng = f"above {lo:g} up to {hi:g}" if lever.startswith("oda_staffing.") else f"in {lo:g}..{hi:g}"
    return f"{lever}={value!r}; allowed a number {rng}"


def validate_decisions(power: str, decisions, source: str) -> dict[str, Any]:
    """The decisions a strategy returned, checked: ``{lever: value}`` for the power's own levers,
    each within its range; otherwise a ValueError naming the power, the decision and what is allowed."""
    if decisions is None:
        return {}
    if not isinstance(decisions, Mapping):
        raise ValueError(
            f"strategy for {power} ({source}) returned {type(decisions).__name__}; allowed a mapping {{lever: value}}"
        )
    out = {}
    for lever, value in decisions.items():
        if lever not in POWER_LEVERS[power]:
            raise ValueError(
                f"strategy for {power} ({source}) returned {lever!r}, not one of {power}'s decisions; "
                f"allowed {', '.join(POWER_LEVERS[power])}"
            )
        problem = decision_problem(power, lever, value)
        if problem:
            raise ValueError(f"strategy for {power} ({source}): {problem}")
        out[lever] = value if isinstance(lever_range(lever)[0], str) else float(value)
    return out


class Replay:
    """A power's decisions replayed from a table: year -> {lever: value} (a scenario's
    ``[powers.EUU] strategy = "replay"`` with its ``decisions``, e.g. a saved classroom session).

    In a year of the table the power takes the decisions given there (those left out keep their
    value in force); in a year not in it, it keeps all its decisions in force."""

    __name__ = "replay"  # the strategy's name in the record of the powers' decisions

    def __init__(self, decisions: Mapping[int, Mapping[str, Any]]):
        self.decisions = {int(year): dict(d) for year, d in decisions.items()}

    def __call__(self, view: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.decisions.get(int(view["year"]), {}))

    def __repr__(self) -> str:
        return f"Replay({len(self.decisions)} years)"


def resolve_strategies(scenario, strategies: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Each power's strategy: ``"scripted"``, ``"adaptive"`` or a callable, from the scenario's
    ``[powers]`` table and ``strategies`` (which take precedence); a clear error for a bad one."""
    out: dict[str, Any] = {p: "scripted" for p in POWERS}
    for power, spec in scenario.powers.items():
        out[power] = Replay(spec.decisions) if spec.strategy == "replay" else spec.strategy
    for power, strategy in (strategies or {}).items():
        if power not in POWERS:
            raise ValueError(f"strategies: {power!r} is not a power; allowed {', '.join(POWERS)}")
        if isinstance(strategy, str):
            if strategy not in STRATEGIES:
                raise ValueError(f"strategies[{power!r}]: got {strategy!r}; allowed {', '.join(STRATEGIES)} or a callable")
        elif not (callable(strategy) or callable(getattr(strategy, "decide", None))):
            raise ValueError(
                f"strategies[{power!r}]: got {type(strategy).__name__}; allowed 'scripted', 'adaptive', "
                "a callable f(view) -> {lever: value} or an object with a decide(view) method"
            )
        out[power] = strategy
    return out


def _name(strategy) -> str:
    if isinstance(strategy, str):
        return strategy
    return getattr(strategy, "__name__", None) or type(strategy).__name__


def decide(
    strategies: Mapping[str, Any],
    observations: Mapping[str, float],
    reference: Mapping[str, float],
    course: Mapping[str, Any],
    held: Mapping[str, Mapping[str, Any]],
    *,
    year: float,
    step: int,
    w,
    beta: float,
    uniforms: np.ndarray,
) -> PowerRecord:
    """Every power's decisions of the year, by its strategy.

    Parameters
    ----------
    strategies : power -> "scripted", "adaptive" or a callable (:func:`resolve_strategies`).
    observations : :func:`observe` now; reference : :func:`observe` at the first decision of the run.
    course : lever -> the scenario's value this year. held : power -> lever -> the value it holds.
    w, beta : the weights and ``beta_power``. uniforms : (N_POWER_UNIFORMS,) for the adaptive decisions.
    """
    rec = PowerRecord(year=year, decisions={}, strategy={}, observations=dict(observations))
    offset = 0
    for power in POWERS:
        strategy = strategies[power]
        n_adaptive = len(ADAPTIVE[power])
        rec.strategy[power] = _name(strategy)
        if isinstance(strategy, str) and strategy == "scripted":
            chosen = {k: course[k] for k in POWER_LEVERS[power]}
        elif isinstance(strategy, str) and strategy == "adaptive":
            chosen, terms, options, probs = adaptive_decisions(
                power,
                observations,
                reference,
                course,
                held[power],
                w=w,
                beta=beta,
                uniforms=uniforms[offset : offset + n_adaptive],
            )
            rec.terms[power], rec.options[power], rec.probabilities[power] = terms, options, probs
        else:
            fn: Callable = strategy.decide if callable(getattr(strategy, "decide", None)) else strategy
            answer = fn(view(power, year, step, course, held[power], observations))
            chosen = {**{k: held[power][k] for k in POWER_LEVERS[power]}, **validate_decisions(power, answer, _name(strategy))}
        rec.decisions[power] = chosen
        offset += n_adaptive
    return rec


def retaliate(st, c, intensity: float, w) -> list[str]:
    """China's retaliation act of the year against the states that began restricting high-risk
    vendors since the last one: their trade with China falls by ``retaliation_trade_cut x
    intensity`` (trade shares with the EU and the trade network follow); returns the targets' ISO3.

    Notes
    -----
    A target's trade share with the EU rises as its trade with China falls (shares of a smaller
    total); the trade network's weights between the target and China shrink and the rows of both
    are normalised again. O(n + edges).
    """
    china = c.china
    targets = (st.policy > 0) & (st.policy_at_decision == 0)
    targets[china] = False
    if intensity <= 0 or not targets.any():  # no act this year
        return []
    cut = w.retaliation_trade_cut * intensity
    if cut <= 0:  # an act without trade measures (retaliation_trade_cut = 0): a signal only
        return [str(x) for x in st.iso3[targets]]
    lost = st.trade_cn * cut * targets  # share of each target's trade that is lost
    st.trade_eu = st.trade_eu / (1.0 - lost)
    st.trade_cn = (st.trade_cn - lost) / (1.0 - lost)
    trade = st.trade
    rows = c.trade_rows
    edge = (targets[rows] & (trade.indices == china)) | ((rows == china) & targets[trade.indices])
    data = trade.data.copy()
    data[edge] *= 1.0 - cut
    sums = np.bincount(rows, weights=data, minlength=st.n)
    data /= np.where(sums > 0, sums, 1.0)[rows]
    trade.data[:] = data
    return [str(x) for x in st.iso3[targets]]
