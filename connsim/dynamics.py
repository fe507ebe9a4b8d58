"""One step of the world, as one pure function over arrays: :func:`step`.

A step (a quarter by default):

1. the scenario's timed events of this step apply (a policy imposed on a state);
2. once a year, digital-ODA donors make offers and recipients accept (``decisions.oda``);
3. threat perception moves; revising states pick their 5G security policy; renewed core and
   radio capacity is bought; vendors' quality follows their revenue (``decisions.vendors``);
4. revising third countries decide whether to have a data-protection law (``decisions.laws``) and
   its orientation (``decisions.regimes``); once a year the EU decides on adequacy for its
   candidates (``decisions.adequacy``).

:func:`step` knows nothing of Mesa: it reads the levers of the step (:class:`Levers`), a block
of uniform random numbers and the run's :class:`~connsim.world.Constants`, updates
:class:`~connsim.world.WorldState` in place, and returns a :class:`StepRecord` of what the
recorder and ``explain`` need. ``WorldModel.step`` calls it; so does the benchmarks' kernel.

Each decision takes a **rule**: a function from a :class:`Situation` to ``(utilities, terms)``,
the (n, options) utility of every option and its named terms. :data:`RULES` holds the model's
own (``vendor_policy``, ``law``, ``regime``, ``adequacy``); ``connsim.run(..., rules={"regime":
my_rule})`` replaces one. The deciders then pick by logit over the rule's utilities, and
``explain`` shows the rule's terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from connsim.choice import revise_choices, revising
from connsim.decisions import adequacy, laws, oda, powers, regimes, vendors
from connsim.names import ADEQUACY_OPTIONS, COOPERATION_LEVELS, DONORS, LAW_OPTIONS, POLICIES, POWERS, REGIMES
from connsim.scenario import Event, Scenario, schedule_at
from connsim.world import Constants, WorldState

__all__ = [
    "Levers",
    "Situation",
    "StepRecord",
    "RULES",
    "OPTIONS",
    "N_UNIFORMS",
    "lever_table",
    "start_levers",
    "step",
    "apply_events",
    "PowerTurn",
    "course_of",
    "in_force",
]

#: Uniform random numbers drawn per state and step, whatever happens (rows of the step's block): policy
#: revision and choice, law revision and choice, orientation revision and choice, the EU's adequacy
#: decision, the infrastructure offer, then one per donor for the other parts of offers.
U_POLICY, U_LAW, U_REGIME, U_ADEQUACY, U_INFRA, U_OTHER = 0, 2, 4, 6, 7, 8
N_UNIFORMS = U_OTHER + len(DONORS)

#: Levers that a scenario may schedule over time (a number or ``{year: value}``).
SCHEDULED = (
    "us_china_conflict",
    "us_pressure",
    "eu_toolbox_strength",
    "japan_vendor_push",
    "digital_silk_road_intensity",
    "dfft_multilateral_push",
    "eu_jp_oda_coordination",
    "open_connected_ring",
    "us_data_framework",
    "us_export_controls",
    "hr_price_discount",
    "china_retaliation",
)


@dataclass(frozen=True)
class Levers:
    """The levers in force during one step, and what else the scenario says of that step.

    The scheduled levers carry their scenario names; ``us_china_conflict`` includes the conflict
    shocks of events so far (clipped to 0..1); ``cooperation`` is EU-Japan cooperation as a
    number (none 0, bilateral 0.5, beyond_bilateral 1; it also sets 5G information sharing);
    ``oda_scale`` (donors,) multiplies each donor's 2019 budget.
    """

    year: float
    us_china_conflict: float
    us_pressure: float
    eu_toolbox_strength: float
    japan_vendor_push: float
    digital_silk_road_intensity: float
    dfft_multilateral_push: float
    eu_jp_oda_coordination: float
    open_connected_ring: float
    cooperation: float
    oda_scale: np.ndarray
    us_data_framework: float = 0.0
    us_export_controls: float = 0.0
    hr_price_discount: float = 0.0
    china_retaliation: float = 0.5
    adequacy_openness: float = 0.005
    oda_staffing: np.ndarray | None = None  # (donors,) staffing levels; nan (or None): the seed value
    oda_round: bool = False  # the yearly ODA round happens in this step
    events: tuple[Event, ...] = ()  # events imposed on states at the start of this step

    @property
    def infoshare(self) -> float:
        """EU-Japan information sharing on 5G security (Track 1.5): the cooperation level."""
        return self.cooperation


def _schedules(s: Scenario, years: np.ndarray) -> dict[str, np.ndarray]:
    """Every scheduled lever at each of ``years``: name -> (years,), and ``oda_scale`` (years, donors)."""
    columns = {name: schedule_at(getattr(s, name), years) for name in SCHEDULED}
    scale: dict[str, Any] = {str(k): v for k, v in s.oda_budget_scale.items()}
    columns["oda_scale"] = np.array([schedule_at(scale.get(d, 1.0), years) for d in DONORS]).T
    return columns


def _levers(
    s: Scenario, columns: dict[str, Any], t: int, conflict: float, oda_round: bool = False, events: tuple[Event, ...] = ()
) -> Levers:
    """The levers of row ``t`` of :func:`_schedules` (its lever columns as lists of floats, see :func:`_columns`)."""
    return Levers(
        year=columns["year"][t],
        us_china_conflict=conflict,
        us_pressure=columns["us_pressure"][t],
        eu_toolbox_strength=columns["eu_toolbox_strength"][t],
        japan_vendor_push=columns["japan_vendor_push"][t],
        digital_silk_road_intensity=columns["digital_silk_road_intensity"][t],
        dfft_multilateral_push=columns["dfft_multilateral_push"][t],
        eu_jp_oda_coordination=columns["eu_jp_oda_coordination"][t],
        open_connected_ring=columns["open_connected_ring"][t],
        cooperation=s.cooperation_level,
        oda_scale=columns["oda_scale"][t],
        us_data_framework=columns["us_data_framework"][t],
        us_export_controls=columns["us_export_controls"][t],
        hr_price_discount=columns["hr_price_discount"][t],
        china_retaliation=columns["china_retaliation"][t],
        adequacy_openness=s.adequacy_openness,
        oda_staffing=columns["oda_staffing"].copy(),
        oda_round=oda_round,
        events=events,
    )


def _columns(s: Scenario, years: np.ndarray) -> dict[str, Any]:
    """:func:`_schedules` at ``years`` with the scalar levers as lists of Python floats (one
    conversion per column, not one per step), and the ODA staffing of the scenario."""
    columns: dict[str, Any] = {k: v if k == "oda_scale" else v.tolist() for k, v in _schedules(s, years).items()}
    columns["year"] = years.tolist()
    columns["oda_staffing"] = np.array([s.oda_staffing[d] if d in s.oda_staffing else np.nan for d in DONORS], float)
    return columns


def lever_table(s: Scenario) -> list[Levers]:
    """The levers of every step of a scenario (``n_steps`` of them), schedules interpolated.

    An event applies at the first step that starts on or after its year; a conflict shock adds
    to the conflict from that step on.
    """
    years = np.asarray(s.year_of(np.arange(s.n_steps)), dtype=float)
    columns = _columns(s, years)
    due: list[list[Event]] = [[] for _ in years]
    shock = np.zeros(len(years))
    for ev in sorted(s.events, key=lambda e: e.year):
        at = int(np.searchsorted(years + 1e-9, ev.year))  # first step with year + 1e-9 >= ev.year
        if at >= len(years):
            continue
        if ev.kind == "conflict_shock":
            shock[at:] += float(ev.value)
        else:
            due[at].append(ev)
    conflict = np.clip(np.array(columns["us_china_conflict"]) + shock, 0.0, 1.0).tolist()
    return [_levers(s, columns, t, conflict[t], t % s.steps_per_year == 0, tuple(due[t])) for t in range(len(years))]


def start_levers(s: Scenario) -> Levers:
    """The levers at the start (before any step and any event), as the first record shows them."""
    columns = _columns(s, np.array([float(s.start_year)]))
    return _levers(s, columns, 0, columns["us_china_conflict"][0])


def course_of(lv: Levers, c: Constants) -> dict[str, Any]:
    """The value of every power's lever in ``lv``: lever name (:data:`connsim.decisions.powers.POWER_LEVERS`) -> value."""
    out: dict[str, Any] = {
        "eu_toolbox_strength": lv.eu_toolbox_strength,
        "adequacy_openness": lv.adequacy_openness,
        "open_connected_ring": lv.open_connected_ring,
        "eu_jp_oda_coordination": lv.eu_jp_oda_coordination,
        "eu_japan_cooperation": COOPERATION_LEVELS[int(round(lv.cooperation * 2))],
        "dfft_multilateral_push": lv.dfft_multilateral_push,
        "japan_vendor_push": lv.japan_vendor_push,
        "us_pressure": lv.us_pressure,
        "us_data_framework": lv.us_data_framework,
        "us_export_controls": lv.us_export_controls,
        "digital_silk_road_intensity": lv.digital_silk_road_intensity,
        "hr_price_discount": lv.hr_price_discount,
        "china_retaliation": lv.china_retaliation,
    }
    staffing = _staffing(lv, c)
    for donor in ("EUU", "JPN"):
        out[f"oda_budget_scale.{donor}"] = float(lv.oda_scale[DONORS.index(donor)])
        out[f"oda_staffing.{donor}"] = float(staffing[DONORS.index(donor)])
    return out


def _staffing(lv: Levers, c: Constants) -> np.ndarray:
    """(donors,) staffing in force: the lever's, or the seed value where it gives none."""
    if lv.oda_staffing is None:
        return c.donors.staffing
    return np.where(np.isnan(lv.oda_staffing), c.donors.staffing, lv.oda_staffing)


def in_force(lv: Levers, decided: Mapping[str, Mapping[str, Any]], c: Constants) -> Levers:
    """The levers of a step with the powers' decisions in force: each power's own lever takes its
    decision; a lever the EU and Japan share (:data:`~connsim.decisions.powers.JOINT`) takes the
    lower of their two levels (each one's course where it has not decided)."""
    course = course_of(lv, c)
    value = dict(course)
    for power in POWERS:
        value.update({k: v for k, v in decided.get(power, {}).items() if k not in powers.JOINT})
    for lever in powers.JOINT:
        levels = [decided.get(p, {}).get(lever, course[lever]) for p in ("EUU", "JPN")]
        value[lever] = min(levels, key=lambda x: COOPERATION_LEVELS.index(x) if isinstance(x, str) else x)
    scale, staffing = lv.oda_scale.copy(), _staffing(lv, c).copy()
    for donor in ("EUU", "JPN"):
        scale[DONORS.index(donor)] = value[f"oda_budget_scale.{donor}"]
        staffing[DONORS.index(donor)] = value[f"oda_staffing.{donor}"]
    fields: dict[str, Any] = {k: float(value[k]) for k in course if "." not in k and k != "eu_japan_cooperation"}
    return replace(
        lv,
        **fields,
        cooperation=COOPERATION_LEVELS.index(value["eu_japan_cooperation"]) / 2,
        oda_scale=scale,
        oda_staffing=staffing,
    )


@dataclass(frozen=True)
class PowerTurn:
    """What a yearly step needs for the powers' decisions: each power's strategy
    (:func:`connsim.decisions.powers.resolve_strategies`), the uniforms of the adaptive decisions
    (``N_POWER_UNIFORMS``) and the step's index (for a strategy's view)."""

    strategies: Mapping[str, Any]
    uniforms: np.ndarray
    step: int


@dataclass(frozen=True)
class Situation:
    """What a decision rule sees: the world, the step's levers, the run's constants and the
    inputs the step has worked out for this decision (``inputs``: e.g. ``price_gap`` for the
    5G policy; ``partner_shares``, ``compatibility`` and ``influence`` for the regime)."""

    state: WorldState
    levers: Levers
    constants: Constants
    weights: object
    inputs: Mapping[str, Any] = field(default_factory=dict)


Rule = Callable[[Situation], "tuple[np.ndarray, Mapping[str, np.ndarray]]"]


def policy_rule(s: Situation) -> tuple[np.ndarray, Mapping[str, np.ndarray]]:
    """The model's own 5G security-policy rule: :func:`connsim.decisions.vendors.policy_utilities`."""
    st, lv = s.state, s.levers
    return vendors.policy_utilities(
        st.threat,
        st.hr_core,
        st.hr_ran,
        premium=s.inputs["premium"],
        shadow_price=s.constants.shadow_price,
        trade_chn=st.trade_cn,
        align_us=st.align_us,
        align_cn=st.align_cn,
        conflict=lv.us_china_conflict,
        expected_retaliation=float(st.expected_retaliation),
        us_pressure=lv.us_pressure,
        toolbox_pull=np.where(st.member, lv.eu_toolbox_strength, 0.0),
        current=st.policy,
        w=s.weights,
    )


def law_rule(s: Situation) -> tuple[np.ndarray, Mapping[str, np.ndarray]]:
    """The model's own data-protection law rule: :func:`connsim.decisions.laws.law_utilities`."""
    st, c = s.state, s.constants
    return laws.law_utilities(
        s.inputs["partner_shares"],
        st.regime,
        st.has_law,
        flow=s.inputs["flow"],
        trade_eu=st.trade_eu,
        capacity=st.capacity,
        capacity_need=c.capacity_need,
        rule_of_law01=st.rule_of_law01,
        w=s.weights,
    )


def regime_rule(s: Situation) -> tuple[np.ndarray, Mapping[str, np.ndarray]]:
    """The model's own orientation rule: :func:`connsim.decisions.regimes.regime_utilities`."""
    st, c = s.state, s.constants
    return regimes.regime_utilities(
        c.disposition,
        s.inputs["partner_shares"],
        flow=s.inputs["flow"],
        eu_trade=st.trade_eu,
        adequacy=st.adequacy,
        capacity=st.capacity,
        capacity_need=c.capacity_need,
        influence=s.inputs["influence"],
        current=st.regime,
        w=s.weights,
    )


def adequacy_rule(s: Situation) -> tuple[np.ndarray, Mapping[str, np.ndarray]]:
    """The EU's own adequacy rule: :func:`connsim.decisions.adequacy.adequacy_utilities`."""
    st, lv = s.state, s.levers
    return adequacy.adequacy_utilities(
        s.inputs["assessed_orientation"],
        st.capacity,
        st.trade_eu,
        st.gdp,
        eu_gdp=float(st.gdp[st.member].sum()),
        flow=s.inputs["flow"],
        cooperation_beyond=regimes.interoperability(lv.cooperation),
        openness=lv.adequacy_openness,
        w=s.weights,
    )


#: The decision rules a run may replace: name -> rule (see the module docstring). In the order of the step.
RULES: Mapping[str, Rule] = MappingProxyType(
    {"vendor_policy": policy_rule, "law": law_rule, "regime": regime_rule, "adequacy": adequacy_rule}
)
#: Each decision's options (the last axis of its utilities).
OPTIONS = MappingProxyType({"vendor_policy": POLICIES, "law": LAW_OPTIONS, "regime": REGIMES, "adequacy": ADEQUACY_OPTIONS})


@dataclass
class StepRecord:
    """What a step leaves for the recorder: each decision's utility terms (decision -> term name ->
    (n, options); the EU's adequacy decision only in the yearly step where it assesses), who revised
    each decision (decision -> (n,) booleans: for adequacy, the candidates assessed), the
    compatibility of positions and their free-flow intensity, and the step's ODA offers."""

    terms: dict[str, Mapping[str, np.ndarray]]
    revised: dict[str, np.ndarray]
    compatibility: np.ndarray
    flow: np.ndarray
    offers: np.ndarray | None = None
    levers: Levers | None = None  # the levers in force, the powers' decisions included
    powers: powers.PowerRecord | None = None  # the powers' yearly decisions and China's act


def apply_events(st: WorldState, events: tuple[Event, ...], year: float) -> None:
    """Impose the events of a step: a 5G policy, a regime (a law with that orientation) or an
    adequacy decision on a state, held until ``year + hold_years`` (to the end of the run if no
    hold is given)."""
    for ev in events:
        i = int(np.nonzero(st.iso3 == ev.iso3)[0][0])
        until = np.inf if ev.hold_years is None else year + ev.hold_years
        if ev.kind == "vendor_policy":
            st.policy[i] = POLICIES.index(ev.value)
            st.policy_locked_until[i] = until
        elif ev.kind == "regime":
            st.regime[i] = REGIMES.index(ev.value)
            if not st.has_law[i]:
                st.has_law[i], st.law_year[i] = True, year
            st.regime_locked_until[i] = until
        elif ev.kind == "adequacy":
            st.adequacy[i] = bool(ev.value)
            st.adequacy_locked_until[i] = until


def step(
    st: WorldState,
    lv: Levers,
    u: np.ndarray,
    c: Constants,
    s: Scenario,
    rules: Mapping[str, Rule] | None = None,
    powers_turn: PowerTurn | None = None,
) -> StepRecord:
    """Advance the world ``st`` by one step of length ``s.dt`` years, in place.

    Parameters
    ----------
    st : the world's state arrays (n states, v vendors, d donors).
    lv : the levers of this step (:func:`lever_table`).
    u : (N_UNIFORMS, n) uniform random numbers in [0, 1).
    c : the run's constants (:func:`connsim.world.derive_constants`).
    s : the scenario (its weights, betas, revision probability, adequacy openness, India trilateral).
    rules : decision rules replacing the model's own (:data:`RULES`), by name.
    powers_turn : the powers' strategies and uniforms (None: every power scripted).

    At the first step of a year the powers decide first (their decisions hold until the next
    year: ``st.decided``), then China's retaliation act of the year falls on the states that began
    restricting since the last one (:mod:`connsim.decisions.powers`).

    Notes
    -----
    O(n x (v + d + blocs) + edges) array operations: no loop over states, nothing n x n.
    """
    rules = {**RULES, **(rules or {})}
    w, dt, year = s.weights, s.dt, lv.year
    terms: dict[str, Mapping[str, np.ndarray]] = {}
    revised: dict[str, np.ndarray] = {}
    apply_events(st, lv.events, year)
    power_record = None
    if lv.oda_round:
        power_record = _powers_decide(st, lv, c, s, powers_turn)
    if st.decided:
        lv = in_force(lv, st.decided, c)
    if lv.oda_round:
        intensity = lv.china_retaliation * lv.us_china_conflict
        targets = powers.retaliate(st, c, intensity, w)
        if targets:  # states learn from what China did
            e = float(st.expected_retaliation)
            st.expected_retaliation = np.array(e + min(1.0, w.retaliation_memory) * (intensity - e))
        if power_record is not None:
            power_record.retaliation = {"intensity": intensity, "targets": targets}
        st.policy_at_decision = st.policy.copy()
    price = c.price if lv.hr_price_discount == 0 else c.price * (1.0 - lv.hr_price_discount * c.sides[1])
    offers = None
    if lv.oda_round:
        r = oda.yearly_round(
            c.donors,
            capacity=st.capacity,
            gdp=st.gdp,
            freedom=st.freedom,
            strength=st.strength,
            last_accept=st.last_accept,
            last_infra=st.last_infra,
            year=year,
            budget_scale=lv.oda_scale,
            staffing=_staffing(lv, c),
            digital_silk_road=lv.digital_silk_road_intensity,
            coordination=lv.eu_jp_oda_coordination,
            ring_focus=lv.open_connected_ring,
            india_trilateral=s.india_trilateral,
            beta=s.beta_oda,
            uniforms_infra=u[U_INFRA],
            uniforms_other=u[U_OTHER:].T,
            w=w,
        )
        offers = r.offers
        st.last_accept, st.last_infra, st.capacity, st.strength = r.last_accept, r.last_infra, r.capacity, r.strength
    st.partnership_active = (year - st.last_accept) < w.partnership_years
    finance = oda.tied_finance(year, st.last_infra, vendor_tie=c.donor_vendor_tie, tied_years=w.tied_finance_years)  # (v, n)
    st.finance = finance.T
    western_minus_chinese, oda_regime_pull = oda.partnership_pulls(
        st.strength, western=c.western_donor, regime_pull=c.oda_regime_pull
    )
    p_step = 1.0 - (1.0 - s.revision_probability) ** dt

    # --- 5G: threat, security policy, procurement, vendors
    st.threat = vendors.threat_perception(
        st.threat,
        security_culture=st.security_culture,
        peer_restricting=vendors.security_peers(st.policy > 0, c.blocs),
        oda_pull=western_minus_chinese,
        data_tie=0.5 * (st.has_law & (st.regime < 2)) + 0.5 * st.adequacy,  # a protect or trust law; adequacy
        capacity_built=np.maximum(st.capacity - c.capacity_start, 0.0),
        member_state=st.member,
        toolbox=lv.eu_toolbox_strength,
        infoshare=lv.infoshare,
        japan_threat=st.threat[c.japan],
        dt=dt,
        w=w,
    )
    per_vendor = vendors.vendor_terms(price, st.quality, st.reach, w, c.vendor_constant)[:, 0, :, None]
    fixed = per_vendor + (w.gamma_finance * finance - w.gamma_risk * c.sides[1][:, None] * st.threat)  # sides[1]: high-risk 0/1
    premium = vendors.premium_by_policy(fixed + w.gamma_lockin * st.installed, ~c.high_risk, price)
    util, terms["vendor_policy"] = rules["vendor_policy"](Situation(st, lv, c, w, {"premium": premium}))
    revised["vendor_policy"] = c.policy_deciders & revising(p_step, uniforms=u[U_POLICY]) & (st.policy_locked_until <= year)
    st.policy = revise_choices(
        st.policy, revise=revised["vendor_policy"], utilities=util, beta=s.beta_policy, uniforms=u[U_POLICY + 1]
    )
    _procure(st, lv, c, fixed, price, dt, w)

    # --- data-protection laws, their orientation, and the EU's adequacy decisions
    compatibility = regimes.effective_compatibility(
        c.compat_base, lv.dfft_multilateral_push, regimes.interoperability(lv.cooperation), w
    )
    flow = regimes.flow_intensity(compatibility, w)
    shares = regimes.partner_shares(st.trade, st.position, rows=c.trade_rows)
    influence = regimes.regime_influence(
        st.trade_eu,
        st.align_us,
        st.align_cn,
        c.japan_tie,
        oda_regime_pull,
        us_pressure=lv.us_pressure,
        digital_silk_road=lv.digital_silk_road_intensity,
        dfft_push=lv.dfft_multilateral_push,
        # a Chinese-built network (its high-risk share) and Digital Silk Road finance in force, at the DSR's intensity
        chinese_infrastructure=0.5 * (st.hr_core + st.hr_ran)
        + min(lv.digital_silk_road_intensity, 2.0) * ((year - st.last_infra[:, c.donors.china]) < w.tied_finance_years),
        w=w,
    )
    inputs = {"partner_shares": shares, "flow": flow, "influence": influence}
    free = st.regime_locked_until <= year
    util, terms["law"] = rules["law"](Situation(st, lv, c, w, inputs))
    revised["law"] = c.regime_deciders & revising(p_step, uniforms=u[U_LAW]) & free
    has_law = (
        revise_choices(
            st.has_law.astype(np.int8), revise=revised["law"], utilities=util, beta=s.beta_regime, uniforms=u[U_LAW + 1]
        )
        == 1
    )
    if (has_law != st.has_law).any():  # a law adopted (dated this year) or repealed (undated)
        st.law_year = np.where(has_law & ~st.has_law, year, np.where(has_law, st.law_year, np.nan))
        st.has_law = has_law
    util, terms["regime"] = rules["regime"](Situation(st, lv, c, w, inputs))
    revised["regime"] = c.regime_deciders & revising(p_step, uniforms=u[U_REGIME]) & free
    st.regime = revise_choices(st.regime, revise=revised["regime"], utilities=util, beta=s.beta_regime, uniforms=u[U_REGIME + 1])
    # the EU assesses the states as they are after this step's choices, and the US under a data
    # framework as a trust-oriented law (the 2023 Data Privacy Framework)
    assessed, assessed_law = st.regime, st.has_law
    if lv.us_data_framework >= 0.5:
        assessed, assessed_law = st.regime.copy(), st.has_law.copy()
        assessed[c.usa], assessed_law[c.usa] = regimes.TRUST, True
    inputs["assessed_orientation"] = assessed
    held = adequacy.kept(st.adequacy, assessed_law, assessed)
    if lv.oda_round:  # the EU assesses its candidates once a year
        util, terms["adequacy"] = rules["adequacy"](Situation(st, lv, c, w, inputs))
        revised["adequacy"] = adequacy.candidates(c.adequacy_scope, assessed_law, held)
        held = held | adequacy.grant(revised["adequacy"], util, u[U_ADEQUACY])
    st.adequacy = np.where(st.adequacy_locked_until > year, st.adequacy, held)
    st.capacity = np.minimum(1.0, st.capacity + dt * w.capacity_growth)
    return StepRecord(terms, revised, compatibility, flow, offers, lv, power_record)


def _powers_decide(st: WorldState, lv: Levers, c: Constants, s: Scenario, turn: PowerTurn | None) -> powers.PowerRecord:
    """The powers' decisions of the year (``st.decided`` updated; the course of each scripted power)."""
    if turn is None or all(isinstance(v, str) and v == "scripted" for v in turn.strategies.values()):
        st.decided = {}  # every power keeps its course: nothing to observe or weigh
        course = course_of(lv, c)
        decisions = {p: {k: course[k] for k in powers.POWER_LEVERS[p]} for p in POWERS}
        return powers.PowerRecord(year=lv.year, decisions=decisions, strategy=dict.fromkeys(POWERS, "scripted"), observations={})
    now = in_force(lv, st.decided, c) if st.decided else lv
    compat = regimes.effective_compatibility(
        c.compat_base, now.dfft_multilateral_push, regimes.interoperability(now.cooperation), s.weights
    )
    observations = powers.observe(st, now, c, regimes.flow_intensity(compat, s.weights))
    if not st.observed_start:  # the world a power starts in: its course is its answer to it
        st.observed_start = dict(observations)
    course, held_now = course_of(lv, c), course_of(now, c)
    held = {p: {k: st.decided.get(p, {}).get(k, held_now[k]) for k in powers.POWER_LEVERS[p]} for p in POWERS}
    rec = powers.decide(
        turn.strategies,
        observations,
        st.observed_start,
        course,
        held,
        year=lv.year,
        step=turn.step,
        w=s.weights,
        beta=s.beta_power,
        uniforms=turn.uniforms,
    )
    st.decided = {
        p: rec.decisions[p] for p in POWERS if not (isinstance(turn.strategies[p], str) and turn.strategies[p] == "scripted")
    }
    return rec


def _procure(st: WorldState, lv: Levers, c: Constants, fixed: np.ndarray, price: np.ndarray, dt: float, w) -> None:
    """Renew core and radio capacity, pay for autonomy, and move vendors' quality and reach
    (:func:`connsim.decisions.vendors.procure` on vendor-major (layer, vendor, state) arrays;
    ``fixed``: the procurement utility without lock-in)."""
    allowed = c.allowed.take(st.policy, axis=-1)
    renewal, rip = dt / w.lifecycle_years, 1.0 - (1.0 - w.rip_rate) ** dt
    updated, new, unrestricted, room, ripped = vendors.procure(st.installed, allowed, fixed, w.gamma_lockin, renewal, rip)
    st.installed = updated
    premium, ripped_cost = vendors.autonomy_cost(
        new, unrestricted, room, ripped, st.policy, price=price, network_value=c.network_value
    )
    st.premium_paid = st.premium_paid + premium
    st.rip_paid = st.rip_paid + ripped_cost
    st.hr_core, st.hr_ran = c.sides[1] @ updated  # high-risk shares of each layer
    sold = new @ (room * c.market)[..., None]  # (layer, vendor, 1): what each vendor sold
    revenue_share = vendors.revenue_shares(sold[..., 0], w.omega_core)
    push = np.where(c.japanese, lv.japan_vendor_push, 0.0)
    st.quality = vendors.vendor_quality(
        st.quality,
        c.quality_2019,
        revenue_share,
        c.revenue_share_2019,
        np.maximum(
            vendors.export_control(lv.us_china_conflict, c.high_risk, w.hard_conflict), lv.us_export_controls * c.sides[1]
        ),
        push,
        dt,
        w,
    )
    st.reach = vendors.vendor_reach(st.reach, push, dt, w)
