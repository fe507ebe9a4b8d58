"""One step of the world, as one pure function over arrays: :func:`step`.

A step (a quarter by default):

1. the scenario's timed events of this step apply (a policy imposed on a state);
2. once a year, digital-ODA donors make offers and recipients accept (``decisions.oda``);
3. threat perception moves; revising states pick their 5G security policy; renewed core and
   radio capacity is bought; vendors' quality follows their revenue (``decisions.vendors``);
4. revising third countries pick their data-flow regime; the EU grants adequacy
   (``decisions.regimes``).

:func:`step` knows nothing of Mesa: it reads the levers of the step (:class:`Levers`), a block
of uniform random numbers and the run's :class:`~connsim.world.Constants`, updates
:class:`~connsim.world.WorldState` in place, and returns a :class:`StepRecord` of what the
recorder and ``explain`` need. ``WorldModel.step`` calls it; so does the benchmarks' kernel.

Two decisions take a **rule**: a function from a :class:`Situation` to ``(utilities, terms)``,
the (n, options) utility of every option and its named terms. :data:`RULES` holds the model's
own; ``connsim.run(..., rules={"regime": my_rule})`` replaces one. Revising states then pick by
logit over the rule's utilities, and ``explain`` shows the rule's terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from connsim.choice import revise_choices, revising
from connsim.decisions import oda, regimes, vendors
from connsim.names import DONORS, POLICIES, REGIMES
from connsim.scenario import Event, Scenario, schedule_at
from connsim.world import Constants, WorldState

__all__ = ["Levers", "Situation", "StepRecord", "RULES", "N_UNIFORMS", "lever_table", "start_levers", "step", "apply_events"]

#: Uniform random numbers drawn per state and step, whatever happens: policy revision and choice,
#: regime revision and choice, adequacy, the infrastructure offer, one per donor for the other offers.
N_UNIFORMS = 6 + len(DONORS)

#: Levers that a scenario may schedule over time (a number or ``{year: value}``).
SCHEDULED = (
    "us_china_conflict", "us_pressure", "eu_toolbox_strength", "japan_vendor_push", "digital_silk_road_intensity",
    "dfft_multilateral_push", "eu_jp_oda_coordination", "open_connected_ring",
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


def _levers(s: Scenario, columns: dict[str, np.ndarray], t: int, conflict: float, oda_round: bool = False,
            events: tuple[Event, ...] = ()) -> Levers:
    """The levers of row ``t`` of :func:`_schedules`."""
    return Levers(
        year=float(columns["year"][t]), us_china_conflict=conflict, us_pressure=float(columns["us_pressure"][t]),
        eu_toolbox_strength=float(columns["eu_toolbox_strength"][t]), japan_vendor_push=float(columns["japan_vendor_push"][t]),
        digital_silk_road_intensity=float(columns["digital_silk_road_intensity"][t]),
        dfft_multilateral_push=float(columns["dfft_multilateral_push"][t]),
        eu_jp_oda_coordination=float(columns["eu_jp_oda_coordination"][t]),
        open_connected_ring=float(columns["open_connected_ring"][t]), cooperation=s.cooperation_level,
        oda_scale=columns["oda_scale"][t], oda_round=oda_round, events=events,
    )


def lever_table(s: Scenario) -> list[Levers]:
    """The levers of every step of a scenario (``n_steps`` of them), schedules interpolated.

    An event applies at the first step that starts on or after its year; a conflict shock adds
    to the conflict from that step on.
    """
    years = np.asarray(s.year_of(np.arange(s.n_steps)), dtype=float)
    columns = {**_schedules(s, years), "year": years}
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
    conflict = np.clip(columns["us_china_conflict"] + shock, 0.0, 1.0)
    return [_levers(s, columns, t, float(conflict[t]), t % s.steps_per_year == 0, tuple(due[t])) for t in range(len(years))]


def start_levers(s: Scenario) -> Levers:
    """The levers at the start (before any step and any event), as the first record shows them."""
    years = np.array([float(s.start_year)])
    columns = {**_schedules(s, years), "year": years}
    return _levers(s, columns, 0, float(columns["us_china_conflict"][0]))


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


Rule = Callable[[Situation], "tuple[np.ndarray, dict[str, np.ndarray]]"]


def policy_rule(s: Situation) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The model's own 5G security-policy rule: :func:`connsim.decisions.vendors.policy_utilities`."""
    st, lv = s.state, s.levers
    return vendors.policy_utilities(
        st.threat, st.hr_core, st.hr_ran, price_gap=s.inputs["price_gap"], income=st.income, trade_chn=st.trade_cn,
        align_us=st.align_us, align_cn=st.align_cn, conflict=lv.us_china_conflict, us_pressure=lv.us_pressure,
        toolbox_pull=np.where(st.member, lv.eu_toolbox_strength, 0.0), current=st.policy, w=s.weights,
    )


def regime_rule(s: Situation) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The model's own data-flow regime rule: :func:`connsim.decisions.regimes.regime_utilities`."""
    st, c = s.state, s.constants
    return regimes.regime_utilities(
        c.disposition, s.inputs["partner_shares"], compatibility=s.inputs["compatibility"], eu_trade=st.trade_eu,
        adequacy=st.adequacy, capacity=st.capacity, capacity_need=c.capacity_need, influence=s.inputs["influence"],
        current=st.regime, w=s.weights,
    )


#: The decision rules a run may replace: name -> rule (see the module docstring).
RULES: Mapping[str, Rule] = {"vendor_policy": policy_rule, "regime": regime_rule}


@dataclass
class StepRecord:
    """What a step leaves for the recorder: each decision's utility terms (name -> (n, options))
    and who revised it, the compatibility of regimes in force, and the ODA offers of the step."""

    policy_terms: dict[str, np.ndarray]
    regime_terms: dict[str, np.ndarray]
    revised_policy: np.ndarray
    revised_regime: np.ndarray
    compatibility: np.ndarray
    offers: np.ndarray | None = None


def apply_events(st: WorldState, events: tuple[Event, ...], year: float) -> None:
    """Impose the events of a step: a 5G policy, a regime or an adequacy decision on a state,
    held until ``year + hold_years`` (to the end of the run if no hold is given)."""
    for ev in events:
        i = int(np.nonzero(st.iso3 == ev.iso3)[0][0])
        until = np.inf if ev.hold_years is None else year + ev.hold_years
        if ev.kind == "vendor_policy":
            st.policy[i] = POLICIES.index(ev.value)
            st.policy_locked_until[i] = until
        elif ev.kind == "regime":
            st.regime[i] = REGIMES.index(ev.value)
            st.regime_locked_until[i] = until
        elif ev.kind == "adequacy":
            st.adequacy[i] = bool(ev.value)
            st.adequacy_locked_until[i] = until


def step(
    st: WorldState, lv: Levers, u: np.ndarray, c: Constants, s: Scenario, rules: Mapping[str, Rule] | None = None
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

    Notes
    -----
    O(n x (v + d + blocs) + edges) array operations: no loop over states, nothing n x n.
    """
    rules = {**RULES, **(rules or {})}
    w, dt, year = s.weights, s.dt, lv.year
    apply_events(st, lv.events, year)
    offers = None
    if lv.oda_round:
        r = oda.yearly_round(
            c.donors, capacity=st.capacity, gdp=st.gdp, freedom=st.freedom, strength=st.strength,
            last_accept=st.last_accept, last_infra=st.last_infra, year=year, budget_scale=lv.oda_scale,
            digital_silk_road=lv.digital_silk_road_intensity, coordination=lv.eu_jp_oda_coordination,
            ring_focus=lv.open_connected_ring, india_trilateral=s.india_trilateral, beta=s.beta_oda,
            uniforms_infra=u[5], uniforms_other=u[6:].T, w=w,
        )
        offers = r.offers
        st.last_accept, st.last_infra, st.capacity, st.strength = r.last_accept, r.last_infra, r.capacity, r.strength
    st.partnership_active = (year - st.last_accept) < w.partnership_years
    finance = oda.tied_finance(year, st.last_infra, c.donor_vendor_tie, w.tied_finance_years)  # (v, n)
    st.finance = finance.T
    western_minus_chinese, oda_regime_pull = oda.partnership_pulls(st.strength, c.western_donor, c.oda_regime_pull)
    p_step = 1.0 - (1.0 - s.revision_probability) ** dt

    # --- 5G: threat, security policy, procurement, vendors
    japan_threat = st.threat[c.japan]
    peers = vendors.security_peers(st.policy > 0, c.blocs)
    st.threat = vendors.threat_perception(
        st.threat, security_culture=st.security_culture, align_us=st.align_us, peer_restricting=peers,
        oda_pull=western_minus_chinese, member_state=st.member, conflict=lv.us_china_conflict,
        toolbox=lv.eu_toolbox_strength, infoshare=lv.infoshare, japan_threat=japan_threat, dt=dt, w=w,
    )
    gap = vendors.price_gap(st.installed[1], c.market, c.price, c.high_risk)
    util, policy_terms = rules["vendor_policy"](Situation(st, lv, c, w, {"price_gap": gap}))
    revise_policy = c.policy_deciders & revising(p_step, u[0]) & (st.policy_locked_until <= year)
    st.policy = revise_choices(st.policy, revise_policy, util, s.beta_policy, u[1])
    _procure(st, lv, c, finance, dt, w)

    # --- data-flow regimes and adequacy
    compatibility = regimes.effective_compatibility(
        c.compat_base, lv.dfft_multilateral_push, regimes.interoperability(lv.cooperation), w
    )
    influence = regimes.regime_influence(
        st.trade_eu, st.align_us, st.align_cn, oda_regime_pull, us_pressure=lv.us_pressure,
        digital_silk_road=lv.digital_silk_road_intensity, dfft_push=lv.dfft_multilateral_push, w=w,
    )
    inputs = {"partner_shares": regimes.partner_shares(st.trade, st.regime), "compatibility": compatibility, "influence": influence}
    util, regime_terms = rules["regime"](Situation(st, lv, c, w, inputs))
    revise_regime = c.regime_deciders & revising(p_step, u[2]) & (st.regime_locked_until <= year)
    st.regime = revise_choices(st.regime, revise_regime, util, s.beta_regime, u[3])
    grantable = regimes.adequacy_grantable(lv.cooperation >= 1.0 or lv.dfft_multilateral_push >= w.adequacy_dfft_push)
    updated = regimes.update_adequacy(
        st.adequacy, st.regime, capacity=st.capacity, eligible=st.third, grantable=grantable,
        openness=s.adequacy_openness, dt=dt, uniforms=u[4], w=w,
    )
    st.adequacy = np.where(st.adequacy_locked_until > year, st.adequacy, updated)
    st.capacity = np.minimum(1.0, st.capacity + dt * w.capacity_growth)
    return StepRecord(policy_terms, regime_terms, revise_policy, revise_regime, compatibility, offers)


def _procure(st: WorldState, lv: Levers, c: Constants, finance: np.ndarray, dt: float, w) -> None:
    """Renew core and radio capacity, pay for autonomy, and move vendors' quality and reach
    (:func:`connsim.decisions.vendors.procure` on vendor-major (layer, vendor, state) arrays)."""
    allowed = np.take(c.allowed, st.policy, axis=-1)
    per_vendor = vendors.vendor_terms(c.price, st.quality, st.reach, w, c.vendor_constant)[:, 0, :, None]
    fixed = per_vendor + (w.gamma_finance * finance - w.gamma_risk * c.high_risk.astype(float)[:, None] * st.threat)
    renewal, rip = dt / w.lifecycle_years, 1.0 - (1.0 - w.rip_rate) ** dt
    updated, new, unrestricted, room, ripped = vendors.procure(st.installed, allowed, fixed, w.gamma_lockin, renewal, rip)
    st.installed = updated
    premium, ripped_cost = vendors.autonomy_cost(new, unrestricted, room, ripped, st.policy, price=c.price, network_value=c.network_value)
    st.premium_paid = st.premium_paid + premium
    st.rip_paid = st.rip_paid + ripped_cost
    st.hr_core, st.hr_ran = c.sides[1] @ updated  # high-risk shares of each layer
    sold = new @ (room * c.market)[..., None]  # (layer, vendor, 1): what each vendor sold
    revenue_share = vendors.revenue_shares(sold[..., 0], w.omega_core)
    push = np.where(c.japanese, lv.japan_vendor_push, 0.0)
    st.quality = vendors.vendor_quality(
        st.quality, c.quality_2019, revenue_share, c.revenue_share_2019,
        vendors.export_control(lv.us_china_conflict, c.high_risk, w.hard_conflict), push, dt, w,
    )
    st.reach = vendors.vendor_reach(st.reach, push, dt, w)
