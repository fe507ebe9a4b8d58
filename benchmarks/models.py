"""The two yardsticks connsim is measured against (see ``benchmarks/run.py``).

* :class:`IdiomaticWorld`: how the model would usually be written in Mesa. One
  :class:`Country` agent per state decides for itself in its own ``step()``: it reads its
  security partners and trade neighbours, updates its threat perception (its data tie and the
  capacity it has built weigh in), picks its 5G security policy by logit (numpy on small arrays:
  the utilities in capex-years, with its own premium per policy from its own procurement
  utilities and the rip-and-replace cost, and the retaliation states expect of China), buys
  renewed core and radio capacity and pays for autonomy, decides whether to have a
  data-protection law and its orientation over the five positions (smooth free flows; Chinese
  infrastructure pulls toward sovereign), and keeps or loses an adequacy decision. At the first
  step of each year a :class:`Power` agent per power (the EU, Japan, the US, China) decides its
  levers by its strategy, and China's retaliates against the states that began restricting,
  cutting their trade with it. A :class:`Union` agent (the EU) assesses its adequacy candidates
  once a year; in a yearly round :class:`Donor` agents make offers and countries accept them;
  :class:`Vendor` agents set their prices and their quality follows their revenue and export
  controls. The model calls ``shuffle_do("step")`` and then
  ``do("advance")`` (Mesa's idiom for simultaneous activation: what a state shows its partners
  changes only at the end of the step, as in connsim's one step over arrays), and records with a
  ``mesa.DataCollector``. Same world, weights, levers and calibrated constants as connsim, taken
  from a :class:`~connsim.model.WorldModel` at set-up (untimed), and the same rules as
  :func:`connsim.dynamics.step`, written agent by agent. Its random numbers are drawn one at a
  time, so its choices differ from connsim's draw by draw, not in law.

* :class:`Kernel`: connsim's own step, :func:`connsim.dynamics.step`, called in a plain loop:
  no Mesa, no ``WorldModel``, no recorder, no restated copy of any rule. Its set-up is the
  model's (:func:`connsim.world.start_world`), untimed; :meth:`Kernel.run` is the timed part.
  It computes the *same numbers* as connsim, events and the powers' decisions included (it draws
  the powers' uniforms from a stream of their own, as ``WorldModel`` does): ``tests/test_benchmarks_smoke.py``
  checks that its states equal a ``WorldModel``'s after the same steps with the same seed. The
  difference between the two is what Mesa's agents and the recorder cost.
"""

from __future__ import annotations

import dataclasses
import math

import mesa
import numpy as np

from connsim import dynamics
from connsim.decisions import oda, powers, regimes, vendors
from connsim.model import WorldModel
from connsim.names import COOPERATION_LEVELS, DONORS, NO_LAW, POLICIES, POWERS, REGIMES
from connsim.scenario import load_scenario
from connsim.seeds import load_seeds
from connsim.world import start_world

__all__ = ["IdiomaticWorld", "Country", "Union", "Donor", "Vendor", "Power", "Kernel"]

PROTECT, TRUST, SOVEREIGN = REGIMES.index("protect"), REGIMES.index("trust"), REGIMES.index("sovereign")
KEEPS_ADEQUACY = tuple(bool(x) for x in regimes.ADEQUACY_KEPT)  # protect and trust keep an adequacy decision
CHINA = DONORS.index("CHN")


def _logistic(margin: float) -> float:
    """Probability of the second of two options whose utilities differ by ``margin`` (logit)."""
    return 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, margin))))


def _logit(u: np.ndarray, beta: float, uniform: float) -> int:
    """The option picked by logit over utilities ``u`` (k,) with one uniform number."""
    z = beta * u
    p = np.exp(z - z.max())
    cdf = np.cumsum(p / p.sum())
    return int(min(np.searchsorted(cdf, uniform, side="right"), len(u) - 1))


def _number(lever: str, value) -> float:
    """A power's lever as a number: EU-Japan cooperation's level as 0, 0.5 or 1."""
    return COOPERATION_LEVELS.index(value) / 2 if lever == "eu_japan_cooperation" else float(value)


# --- the idiomatic per-agent Mesa model ------------------------------------------------------------


class Country(mesa.Agent):
    """A state that decides for itself, reading its security partners, its trade neighbours and its offers.

    What its partners see of it during a step (``restricting``, ``position``) changes in
    :meth:`advance`, at the end of the step.
    """

    def __init__(self, model: IdiomaticWorld, i: int):
        super().__init__(model)
        st, c = model.world, model.source.constants
        self.index = i
        self.iso3 = str(st.iso3[i])
        self.member = bool(st.member[i])
        self.third = bool(st.third[i])
        self.gdpr_area = bool(st.gdpr_area[i])  # member states and the EEA
        self.us_ally = bool(st.us_ally[i])
        self.in_adequacy_scope = bool(c.adequacy_scope[i])  # all outside the GDPR area
        self.is_usa = self.iso3 == "USA"
        self.decides_policy = bool(c.policy_deciders[i])  # not a power
        self.decides_law = bool(c.regime_deciders[i])  # a third country outside the EEA (members and the EEA: the GDPR)
        self.security_culture = float(st.security_culture[i])
        self.align_us, self.align_cn = float(st.align_us[i]), float(st.align_cn[i])
        self.trade_cn, self.trade_eu = float(st.trade_cn[i]), float(st.trade_eu[i])
        self.japan_tie = float(c.japan_tie[i])
        self.income = float(np.clip(st.income[i], 0.05, 20.0))
        self.freedom = float(st.freedom[i])
        self.rule_of_law = float(st.rule_of_law01[i])
        self.disposition = c.disposition[i].copy()  # (4,) toward each orientation, from governance data
        self.capacity = float(st.capacity[i])
        self.capacity_start = float(c.capacity_start[i])
        self.threat = float(st.threat[i])
        self.policy = int(st.policy[i])
        self.policy_at_decision = int(st.policy_at_decision[i])  # its policy at the powers' last yearly decision
        self.regime = int(st.regime[i])  # its law's orientation (the one it would adopt without a law)
        self.has_law = bool(st.has_law[i])
        self.law_year = float(st.law_year[i])
        self.adequacy = bool(st.adequacy[i])
        self.policy_locked_until = float(st.policy_locked_until[i])
        self.regime_locked_until = float(st.regime_locked_until[i])
        self.adequacy_locked_until = float(st.adequacy_locked_until[i])
        self.network = st.installed[:, :, i].copy()  # (2, v) installed shares of each vendor: core, radio
        self.hr_core, self.hr_ran = (float(x) for x in self.network @ model.high_risk_f)
        self.gdp = float(st.gdp[i])
        self.market = float(c.market[i])  # its share of world telecom investment: of world equipment spend
        self.network_value = float(c.network_value[i])
        self.oda_eligible = bool(c.donors.eligible[i])
        self.ring = bool(c.donors.ring[i])
        self.india_linked = bool(c.donors.india_linked[i]) and model.spec.india_trilateral
        self.strength = st.strength[i].copy()  # partnership with each donor
        self.last_infra = st.last_infra[i].copy()  # year of the last infrastructure offer taken from each donor
        self.tie_finance()
        self.premium_paid = self.rip_paid = 0.0
        self.offers: list[tuple[Donor, float]] = []
        self.neighbours: list[tuple[Country, float]] = []  # trade partners and weights
        self.blocs: list[list[Country]] = []  # for each security bloc it belongs to, the bloc's other members
        self.advance(grow=False)

    core = property(lambda self: self.network[0])
    ran = property(lambda self: self.network[1])

    def alignment_with(self, donor: Donor) -> float:
        return min(1.0, max(0.05, 0.5 + 0.5 * donor.camp * (self.align_us - self.align_cn)))

    def tie_finance(self) -> None:
        """Infrastructure finance still tying procurement to each donor's vendors, and when the first tie ends."""
        years = self.model.w.tied_finance_years
        tied = (self.model.year - self.last_infra) < years
        self.finance = tied.astype(float) @ self.model.donor_vendor_tie
        self.ties_end = float((self.last_infra[tied] + years).min()) if tied.any() else math.inf

    # --- one step ------------------------------------------------------------------------------

    def step(self) -> None:
        m = self.model
        rng = m.rng
        if m.year >= self.ties_end:
            self.tie_finance()
        self.perceive_threat()
        utility = self.procurement_utility()
        if self.decides_policy and self.policy_locked_until <= m.year and rng.random() < m.p_revise:
            self.policy = _logit(self.policy_utilities(utility), m.beta_policy, rng.random())
        self.procure(utility)
        if self.decides_law and self.regime_locked_until <= m.year:
            revise_law, revise_orientation = rng.random() < m.p_revise, rng.random() < m.p_revise
            if revise_law or revise_orientation:
                shares = self.partner_positions()  # as partners stood at the start of the step
                if revise_law:
                    self.decide_law(shares)
                if revise_orientation:
                    self.regime = _logit(self.orientation_utilities(shares), m.beta_regime, rng.random())
        if self.adequacy_locked_until <= m.year:  # a decision stays in force under a law oriented to protect or trust
            has_law, orientation = self.assessed_law()
            self.adequacy = self.adequacy and has_law and KEEPS_ADEQUACY[orientation]

    def assessed_law(self) -> tuple[bool, int]:
        """Its law and orientation as the EU assesses them: the US under a data framework (the 2023 Data
        Privacy Framework) as a trust-oriented law."""
        if self.is_usa and self.model.lv.us_data_framework >= 0.5:
            return True, TRUST
        return self.has_law, self.regime

    def advance(self, grow: bool = True) -> None:
        """End of the step: partners now see this step's choices; institutions learn."""
        self.restricting = self.policy > 0
        self.position = self.regime if self.has_law else NO_LAW
        if grow:
            self.capacity = min(1.0, self.capacity + self.model.dt * self.model.w.capacity_growth)

    def perceive_threat(self) -> None:
        """Threat moves toward security culture + partners restricting + western minus Chinese ODA partners
        + its data tie (a protect or trust law, an adequacy decision: data risk weighs more) + the capacity
        it has built since the start; member states are pulled toward the EU's mean threat (toolbox) and up
        toward Japan's (information sharing)."""
        m, w, lv = self.model, self.model.w, self.model.lv
        restricting = 0.0
        for others in self.blocs:  # averaged over its blocs: the share of each bloc's other members restricting
            if others:
                restricting += sum(p.restricting for p in others) / len(others)
        if self.blocs:
            restricting /= len(self.blocs)
        target = self.security_culture + w.w_peer * restricting + w.w_oda * (self.strength @ m.donor_camp)
        data_tie = 0.5 * (self.has_law and self.regime in (PROTECT, TRUST)) + 0.5 * self.adequacy
        target = target + w.kappa_data_risk * data_tie + w.kappa_capacity_security * max(0.0, self.capacity - self.capacity_start)
        change = w.threat_adjustment * (target - self.threat)
        if self.member:
            change += w.w_eu * lv.eu_toolbox_strength * (m.eu_mean_threat - self.threat) + w.w_jp * lv.infoshare * max(
                0.0, m.japan_threat - self.threat
            )
        self.threat = min(2.0, max(0.0, self.threat + m.dt * change))

    def procurement_utility(self) -> np.ndarray:
        """(2, v) utility of buying from each vendor, core and radio: the vendor's price, quality and
        reach, lock-in to what is installed, tied finance, distrust of high-risk vendors."""
        m, w = self.model, self.model.w
        distrust = w.gamma_risk * self.threat * m.high_risk_f
        return m.vendor_base + w.gamma_lockin * self.network + (w.gamma_finance * self.finance - distrust)

    def policy_utilities(self, utility: np.ndarray) -> np.ndarray:
        """Utility of open / core_excluded / banned in capex-years (years of its own equipment spend)."""
        m, w, lv = self.model, self.model.w, self.model.lv
        # its own yearly premium under each policy: the price of what it would buy from the vendors the
        # policy allows, less that of what it would buy unrestricted, half its spend on each layer
        e = np.exp(utility - utility.max(axis=1, keepdims=True))  # (2, v)
        unrestricted = (e @ m.price) / e.sum(axis=1)  # (2,)
        masked = e[:, :, None] * m.allowed_by_policy  # (2, v, 3)
        premium = 0.5 * np.maximum((m.price @ masked) / masked.sum(axis=1) - unrestricted[:, None], 0.0).sum(axis=0)
        exposure = np.array([0.0, self.hr_core, self.hr_core + self.hr_ran])  # installed high-risk share each policy disallows
        shadow = self.income**-w.alpha_income  # poorer states feel costs more
        pi, conflict = m.protection, lv.us_china_conflict
        return (
            w.kappa_security * self.threat * pi
            - w.kappa_cost * shadow * (m.rip_years * exposure + w.premium_horizon_years * premium)
            - w.kappa_ret * self.trade_cn * m.expected_retaliation * pi
            + w.kappa_al * (self.align_us - self.align_cn) * conflict * (0.5 + lv.us_pressure) * pi
            + w.kappa_toolbox * (lv.eu_toolbox_strength if self.member else 0.0) * (pi > 0)
            + w.kappa_status_quo * (m.option3 == self.policy)
        )

    def procure(self, utility: np.ndarray) -> None:
        """Renew core and radio capacity from the vendors the policy allows; pay for autonomy."""
        m = self.model
        allowed, disallowed = m.allowed[self.policy]  # core: open buys anyone; radio: only banned excludes
        e = np.exp(utility - np.where(allowed, utility, -np.inf).max(axis=1, keepdims=True))
        new = e * allowed
        new /= new.sum(axis=1, keepdims=True)
        kept = self.network * (1.0 - m.renewal)
        ripped = kept * m.rip * disallowed  # disallowed equipment ripped out early
        kept -= ripped
        room = 1.0 - kept.sum(axis=1)
        self.network = kept + room[:, None] * new
        hr_core, hr_ran = self.network @ m.high_risk_f
        self.hr_core, self.hr_ran = float(hr_core), float(hr_ran)
        if self.policy > 0:  # the cost of autonomy: the premium over the unrestricted purchase, and ripping
            premium = room * ((new - e / e.sum(axis=1, keepdims=True)) @ m.price)
            paid = max(premium[0], 0.0) + (max(premium[1], 0.0) if self.policy == 2 else 0.0)
            self.premium_paid += 0.5 * self.network_value * paid
            self.rip_paid += 0.5 * self.network_value * ripped.sum()
        m.sales += self.market * room[:, None] * new  # vendors' revenue, core and radio

    def partner_positions(self) -> np.ndarray:
        """(5,) trade-weighted share of its partners in each position (four orientations, no law)."""
        shares = [0.0] * len(regimes.POSITIONS)
        for other, weight in self.neighbours:
            shares[other.position] += weight
        return np.array(shares)

    def law_utilities(self, shares: np.ndarray) -> tuple[float, float]:
        """Utility of having no law and of having one: free flows as a state with its law against one
        without, partners with laws, the prospect of adequacy, capacity, governance; habit, and
        repealing a law costs much more."""
        m, w = self.model, self.model.w
        o = self.regime
        law = (
            w.phi * (m.flow[o] @ shares)
            + w.kappa_law_peers * (1.0 - shares[NO_LAW])
            + w.kappa_adequacy_prospect * self.trade_eu
            - w.kappa_cap * max(0.0, m.capacity_need[o] - self.capacity)
            + w.d_law * (self.rule_of_law - 0.5)
        )
        no_law = w.phi * (m.flow[NO_LAW] @ shares)
        if self.has_law:
            law += w.kappa_law_status_quo
            no_law -= w.kappa_repeal
        else:
            no_law += w.kappa_law_status_quo
        return no_law, law

    def decide_law(self, shares: np.ndarray) -> None:
        """Keep, adopt or repeal a data-protection law, by logit over :meth:`law_utilities`."""
        m = self.model
        no_law, law = self.law_utilities(shares)
        adopt = m.rng.random() < _logistic(m.beta_regime * (law - no_law))
        if adopt and not self.has_law:
            self.law_year = m.year
        elif not adopt:
            self.law_year = math.nan
        self.has_law = adopt

    def orientation_utilities(self, shares: np.ndarray) -> np.ndarray:
        """Utility of each orientation: disposition, free flows with partners' positions, an adequacy
        decision kept, the capacity it needs, the pull of the powers and of ODA partners, the pull of
        its Chinese-built network and Digital Silk Road finance toward sovereign, habit."""
        m, w, lv = self.model, self.model.w, self.model.lv
        chinese_finance = (m.year - self.last_infra[CHINA]) < w.tied_finance_years
        influence = self.strength @ m.oda_regime_pull + np.array(
            [
                w.kappa_brussels * self.trade_eu,
                w.kappa_jp_regime * lv.dfft_multilateral_push * self.japan_tie,
                w.kappa_us_regime * self.align_us * lv.us_pressure,
                w.kappa_cn_regime * self.align_cn * min(lv.digital_silk_road_intensity, 2.0) / 2.0
                + w.kappa_sovereign_infrastructure
                * (0.5 * (self.hr_core + self.hr_ran) + min(lv.digital_silk_road_intensity, 2.0) * chinese_finance),
            ]
        )
        return (
            self.disposition
            + w.phi * (m.flow[:NO_LAW] @ shares)
            + (w.phi * self.trade_eu * m.adequacy_gap if self.adequacy else 0.0)
            - w.kappa_cap * np.maximum(0.0, m.capacity_need - self.capacity)
            + influence
            + w.kappa_switch * (m.option4 == self.regime)
        )

    def impose(self, event, year: float) -> None:
        """A scenario's event: a policy, a law with an orientation, or an adequacy decision, held a while."""
        until = math.inf if event.hold_years is None else year + event.hold_years
        if event.kind == "vendor_policy":
            self.policy, self.policy_locked_until = POLICIES.index(event.value), until
        elif event.kind == "regime":
            self.regime, self.regime_locked_until = REGIMES.index(event.value), until
            if not self.has_law:
                self.has_law, self.law_year = True, year
        elif event.kind == "adequacy":
            self.adequacy, self.adequacy_locked_until = bool(event.value), until
        self.advance(grow=False)  # partners see an imposed choice from this step on

    # --- the yearly ODA round --------------------------------------------------------------------

    def consider_offers(self) -> None:
        """Once a year: take at most one infrastructure offer (logit against declining), and the
        other programs of each offer that beat declining; partnerships decay and strengthen."""
        m, w = self.model, self.model.w
        rng = m.rng
        accepted = np.zeros(len(m.donors), bool)
        if self.offers:
            values = [
                w.a_size * np.log1p(amount / (self.gdp * 1e-4))
                + w.a_speed * donor.pace
                - w.a_conditions * donor.conditions * (1.0 - self.freedom)
                + w.a_alignment * self.alignment_with(donor)
                + (w.india_bonus if donor.india and self.india_linked else 0.0)
                for donor, amount in self.offers
            ]
            busy = (m.year - self.last_infra.max()) < w.tied_finance_years
            infra = [k for k, (donor, _) in enumerate(self.offers) if donor.programs[2] > 0 and not busy]
            if infra:
                u = np.array([values[k] for k in infra] + [w.u_outside])
                pick = _logit(u, m.beta_oda, rng.random())
                if pick < len(infra):
                    donor = self.offers[infra[pick]][0]
                    self.last_infra[donor.index] = m.year
                    accepted[donor.index] = True
                    self.tie_finance()
            money = 0.0
            for (donor, amount), value in zip(self.offers, values):
                if rng.random() < _logistic(m.beta_oda * (value - w.u_outside)):
                    accepted[donor.index] = True
                    money += amount * (donor.programs[0] + 0.5 * donor.programs[1])  # capacity building; inclusion helps too
            self.capacity = min(1.0, self.capacity + w.alpha_capacity * money / (self.gdp * 1e-3))
        decayed = self.strength * m.yearly_decay
        self.strength = np.where(accepted, decayed + w.oda_bond * (1.0 - decayed), decayed)
        self.offers = []

    # --- China's retaliation --------------------------------------------------------------------

    def suffer_retaliation(self, china: Country, cut: float) -> None:
        """A Chinese retaliation act: its trade with China falls by ``cut`` (its shares with China and
        the EU are shares of a smaller total), and so does its weight on China among its trade partners."""
        lost = self.trade_cn * cut
        self.trade_eu = self.trade_eu / (1.0 - lost)
        self.trade_cn = (self.trade_cn - lost) / (1.0 - lost)
        self.cut_trade_with({china}, cut)

    def cut_trade_with(self, partners, cut: float) -> None:
        """Its trade weights with ``partners`` shrink by ``cut``; its weights are normalised again."""
        shrunk = [(other, weight * (1.0 - cut) if other in partners else weight) for other, weight in self.neighbours]
        total = sum(weight for _, weight in shrunk)
        self.neighbours = [(other, weight / total) for other, weight in shrunk] if total > 0 else shrunk


class Union(mesa.Agent):
    """The EU itself: once a year it assesses each candidate for adequacy (a state outside the EU and
    the EEA with a law and no decision; the US under a data framework counts as a trust-oriented
    law) and grants by logit over its openness, capacity, compatibility, trade and cooperation."""

    def __init__(self, model: IdiomaticWorld):
        super().__init__(model)
        self.iso3 = "EUU"
        self.gdp = sum(c.gdp for c in model.countries if c.member)
        self.assessed: list[tuple[float, str, float]] = []  # (year, candidate, log-odds of a grant)
        self.granted: list[tuple[float, str]] = []

    def log_odds(self, c: Country) -> float:
        """The log-odds of granting ``c`` adequacy: openness, its capacity (enforcement), how freely data
        flow between its orientation and protect, the value of its trade to the EU, EU-Japan cooperation."""
        m, w = self.model, self.model.w
        p = min(max(m.lv.adequacy_openness, 1e-9), 1 - 1e-9)
        orientation = c.assessed_law()[1]
        return (
            math.log(p / (1 - p))
            + w.adequacy_w_capacity * (c.capacity - 0.6)
            + w.adequacy_w_compatibility * (m.flow[orientation, PROTECT] - 0.5)
            + w.adequacy_w_trade * math.log10(max(c.trade_eu * c.gdp / self.gdp, 1e-6) / 0.01)
            + w.adequacy_w_cooperation * regimes.interoperability(m.lv.cooperation) * (orientation == TRUST)
        )

    def candidates(self) -> list[Country]:
        """This year's candidates: outside the GDPR area, with a law (as assessed), without a decision."""
        m = self.model
        return [
            c
            for c in m.countries
            if c.in_adequacy_scope and not c.adequacy and c.adequacy_locked_until <= m.year and c.assessed_law()[0]
        ]

    def assess(self) -> None:
        """This year's decisions: each candidate in turn, granted with logit probability."""
        m = self.model
        for c in self.candidates():
            log_odds = self.log_odds(c)
            self.assessed.append((m.year, c.iso3, log_odds))
            if m.rng.random() < _logistic(log_odds):
                c.adequacy = True
                self.granted.append((m.year, c.iso3))


class Donor(mesa.Agent):
    """A digital-ODA donor: once a year it scores recipients by priority, need and alignment and
    offers its budget to as many of the best as its staff can manage."""

    def __init__(self, model: IdiomaticWorld, j: int, name: str):
        super().__init__(model)
        c = model.source.constants
        self.index, self.name = j, name
        self.camp = 1.0 if c.western_donor[j] else -1.0
        self.programs = c.donors.programs[j]
        self.conditions = float(c.donors.conditionality[j])
        self.priority = c.donors.priority[j]
        self.ring = bool(c.donors.ring_donor[j])
        self.india = j in c.donors.pair
        self.seed_staffing = float(c.donors.staffing[j])
        self.budget = self.staff = self.pace = 0.0
        self.scores: dict[Country, float] = {}

    def staffing(self, lv: dynamics.Levers | None = None) -> float:
        """Its staffing under levers ``lv`` (those in force): the lever's (a power's decision or the
        scenario's), else the seed value."""
        lever = (self.model.lv if lv is None else lv).oda_staffing
        value = math.nan if lever is None else float(lever[self.index])
        return self.seed_staffing if math.isnan(value) else value

    def score(self) -> None:
        m = self.model
        ring = m.lv.open_connected_ring if self.ring else 0.0
        self.scores = {
            c: self.priority[c.index] * (1.0 + ring * c.ring) * (1.0 - c.capacity) * c.alignment_with(self)
            for c in m.countries
            if c.oda_eligible
        }

    def offer(self) -> None:
        reach = int(round(self.model.w.oda_reach * self.staff))
        best = sorted((c for c, s in self.scores.items() if s > 0), key=self.scores.get, reverse=True)[:reach]
        total = sum(self.scores[c] for c in best)
        for c in best:
            if self.budget > 0:
                c.offers.append((self, self.budget * self.scores[c] / total))


class Vendor(mesa.Agent):
    """A 5G vendor: its quality follows its revenue share (R&D, core sales weighted more), slowed by
    export controls (the conflict's, or the US's own if stronger) and raised by a state push, which also
    widens its reach; a high-risk vendor's price is cut by China's discount."""

    def __init__(self, model: IdiomaticWorld, k: int):
        super().__init__(model)
        c = model.source.constants
        self.index = k
        self.list_price = self.price = float(c.price[k])
        self.quality = float(model.world.quality[k])
        self.quality_2019 = float(c.quality_2019[k])
        self.reach = float(model.world.reach[k])
        self.high_risk = bool(c.high_risk[k])
        self.japanese = bool(c.japanese[k])
        self.revenue_share_2019 = float(c.revenue_share_2019[k])

    def set_price(self) -> None:
        """This step's price: the list price, less China's discount for Huawei and ZTE."""
        discount = self.model.lv.hr_price_discount
        self.price = self.list_price * (1.0 - discount) if self.high_risk and discount != 0 else self.list_price

    def step(self) -> None:
        m, w, lv = self.model, self.model.w, self.model.lv
        revenue = w.omega_core * m.sales[0] + m.sales[1]
        share = revenue[self.index] / revenue.sum()
        hard = 0.0
        if self.high_risk:
            conflict = max(0.0, lv.us_china_conflict - w.hard_conflict) / max(1e-9, 1.0 - w.hard_conflict)
            hard = max(conflict, lv.us_export_controls)
        push = lv.japan_vendor_push if self.japanese else 0.0
        target = self.quality_2019 * (max(share, 1e-6) / max(self.revenue_share_2019, 1e-6)) ** w.rd_elasticity
        target = min(1.0, max(0.05, target * (1.0 - w.export_control_drag * hard) * (1.0 + w.push_quality * push)))
        self.quality += m.dt * w.quality_adjustment * (target - self.quality)
        self.reach = min(1.0, max(0.0, self.reach + m.dt * w.push_reach * push))


class Power(mesa.Agent):
    """A power (the EU, Japan, the US or China): at the first step of each year it takes its decisions
    (its levers, by the scenario's names) by its strategy, and holds them until the next year.

    ``scripted``: it holds nothing, and the scenario's levers stay in force (its course). ``adaptive``:
    for each decision it weighs the options (:meth:`option_utilities`) and picks one by logit with a
    uniform number from the model's power generator. A callable (or an object with ``decide``) is
    given the power's view and returns decisions by lever name. China also acts: :meth:`retaliate`.
    """

    def __init__(self, model: IdiomaticWorld, name: str, strategy):
        super().__init__(model)
        self.name = name
        self.strategy = strategy
        self.levers = powers.POWER_LEVERS[name]
        self.rules = powers.ADAPTIVE[name]  # per decision: its options, the signal it answers, its weight
        self.country = model.by_iso3.get(name)  # its state (None for the EU)
        self.decided: dict = {}  # lever -> the value it holds (empty: its course)
        self.utilities: dict = {}  # lever -> (options, utilities) of its last adaptive decision
        self.retaliations: list[tuple[float, float, list[str]]] = []  # China's acts: year, intensity, targets

    @property
    def scripted(self) -> bool:
        return isinstance(self.strategy, str) and self.strategy == "scripted"

    def decide(self, course: dynamics.Levers, now: dynamics.Levers, observations: dict) -> None:
        """This year's decisions: ``course`` the scenario's levers of the step, ``now`` the levers in
        force with last year's decisions, ``observations`` what the powers see (:meth:`IdiomaticWorld.observe`)."""
        m = self.model
        if self.scripted:
            self.decided = {}
            return
        plan = {k: m.lever_value(course, k) for k in self.levers}
        held = {k: self.decided.get(k, m.lever_value(now, k)) for k in self.levers}
        if isinstance(self.strategy, str):  # adaptive
            chosen = {}
            for rule in self.rules:
                options, utility = self.option_utilities(rule, observations, m.observed_start, plan, held)
                chosen[rule.lever] = options[_logit(utility, m.spec.beta_power, m.power_rng.random())]
                self.utilities[rule.lever] = (options, utility)
        else:  # a person's or a script's
            decide = self.strategy.decide if callable(getattr(self.strategy, "decide", None)) else self.strategy
            name = getattr(self.strategy, "__name__", None) or type(self.strategy).__name__
            answer = decide(powers.view(self.name, m.year, m.t, plan, held, observations))
            chosen = {**held, **powers.validate_decisions(self.name, answer, name)}
        self.decided = chosen

    def option_utilities(self, rule, observations: dict, reference: dict, course: dict, held: dict) -> tuple[tuple, np.ndarray]:
        """The options of one adaptive decision and the utility of each, (k,): at position u of the
        options' span (u0: the course's), response * (signal - signal at the first decision) * u
        - power_course * (u - u0)**2, plus power_status_quo on the option held."""
        w, lever = self.model.w, rule.lever
        options = tuple(sorted({*rule.options, course[lever], held[lever]}, key=lambda x: _number(lever, x)))
        x = np.array([_number(lever, o) for o in options])
        lo, hi = x.min(), x.max()
        u = (x - lo) / (hi - lo)
        u0 = (_number(lever, course[lever]) - lo) / (hi - lo)
        signal = observations[rule.signal] - (reference[rule.signal] if rule.centered else 0.0)
        kept = np.array([o == held[lever] for o in options], float)
        return options, getattr(w, rule.response) * signal * u - w.power_course * (u - u0) ** 2 + w.power_status_quo * kept

    def retaliate(self) -> list[str]:
        """China's act of the year, at intensity china_retaliation x conflict, against the states that
        began restricting since the last one: their trade with China falls by retaliation_trade_cut x
        intensity, and so do China's trade weights with them; states' expectation of retaliation moves
        toward the intensity (at rate retaliation_memory). Returns the targets' ISO3 codes."""
        m = self.model
        intensity = m.lv.china_retaliation * m.lv.us_china_conflict
        cut = m.w.retaliation_trade_cut * intensity
        china = self.country
        targets = [x for x in m.countries if x.policy > 0 and x.policy_at_decision == 0 and x is not china]
        if cut <= 0 or not targets:
            return []
        for x in targets:
            x.suffer_retaliation(china, cut)
        china.cut_trade_with(set(targets), cut)
        m.expected_retaliation += min(1.0, m.w.retaliation_memory) * (intensity - m.expected_retaliation)
        self.retaliations.append((m.year, intensity, [x.iso3 for x in targets]))
        return self.retaliations[-1][2]


class IdiomaticWorld(mesa.Model):
    """The per-agent Mesa yardstick (see the module docstring)."""

    def __init__(self, scenario="baseline", rng=None, strategies=None):
        super().__init__(rng=rng)
        self.spec = spec = load_scenario(scenario)
        # the powers' own random numbers: a stream apart from the world's, as in connsim
        self.power_rng = np.random.default_rng(self.rng.bit_generator.seed_seq.spawn(1)[0])
        self.w = w = spec.weights
        # the same world, levers and constants as connsim (calibrated vendor constants, donor tables)
        self.source = src = WorldModel(spec, rng=rng if isinstance(rng, int) else 0, record_agents=False)
        self.world = st = src.state
        c = src.constants
        self.lever_table = src.levers
        self.lv = src.start_levers
        self.dt = spec.dt
        self.year = float(spec.start_year)
        self.t = 0
        self.expected_retaliation = float(st.expected_retaliation)  # what states expect of China, 0..1
        self.observed_start: dict = {}  # what the powers observed at their first decision
        self.n_steps = spec.n_steps
        self.high_risk_f = c.high_risk.astype(float)
        trusted = ~c.high_risk
        self.allowed = [  # per policy: the (core, radio) vendors it allows, and those it does not
            (a, ~a) for a in (np.array([(policy == 0) | trusted, (policy != 2) | trusted]) for policy in range(3))
        ]
        self.allowed_by_policy = np.stack([a for a, _ in self.allowed], axis=-1)  # (2, v, 3)
        self.price = c.price.copy()
        self.donor_vendor_tie = c.donor_vendor_tie
        self.donor_camp = np.where(c.western_donor, 1.0, -1.0)
        self.oda_regime_pull = c.oda_regime_pull  # (d, 4): a full partnership's pull toward its donor's regime
        self.vendor_constant = c.vendor_constant
        self.capacity_need = c.capacity_need
        self.p_revise = 1.0 - (1.0 - spec.revision_probability) ** spec.dt
        self.beta_policy, self.beta_regime, self.beta_oda = spec.beta_policy, spec.beta_regime, spec.beta_oda
        self.protection = vendors.protection(w.pi_core)
        # capex-years of equipment ripped out early per unit of installed share a policy disallows
        self.rip_years = 0.5 * w.lifecycle_years * w.rip_rate / (w.rip_rate + 1.0 / w.lifecycle_years)
        self.renewal = spec.dt / w.lifecycle_years
        self.rip = 1.0 - (1.0 - w.rip_rate) ** spec.dt
        self.yearly_decay = 0.5 ** (1.0 / w.partnership_half_life)
        self.option3, self.option4 = np.arange(3), np.arange(4)
        self.set_flows()
        self.countries = [Country(self, i) for i in range(st.n)]
        self.by_iso3 = {c.iso3: c for c in self.countries}
        self.members = [x for x in self.countries if x.member]
        self.japan = self.countries[c.japan]
        self.union = Union(self)
        self.donors = [Donor(self, j, name) for j, name in enumerate(DONORS)]
        self.vendors = [Vendor(self, k) for k in range(len(self.price))]
        strategy = powers.resolve_strategies(spec, strategies)
        self.powers = {name: Power(self, name, strategy[name]) for name in POWERS}
        self.hr_ran_world_start = sum(x.hr_ran * x.market for x in self.countries)
        self.world_gdp = sum(x.gdp for x in self.countries)
        trade = st.trade.tocsr()
        for i, x in enumerate(self.countries):
            lo, hi = trade.indptr[i], trade.indptr[i + 1]
            x.neighbours = [(self.countries[j], float(wt)) for j, wt in zip(trade.indices[lo:hi], trade.data[lo:hi])]
        members = st.blocs.tocsc()
        for b in range(members.shape[1]):
            group = [self.countries[i] for i in members.indices[members.indptr[b] : members.indptr[b + 1]]]
            for x in group:
                x.blocs.append([y for y in group if y is not x])
        n = len(self.countries)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "law_count": lambda m: sum(x.has_law for x in m.countries),
                "regime_share_protect": lambda m: sum(x.position == PROTECT for x in m.countries) / n,
                "policy_share_banned": lambda m: sum(x.policy == 2 for x in m.countries) / n,
                "hr_ran_share_world": lambda m: sum(x.hr_ran * x.gdp for x in m.countries) / m.world_gdp,
                "adequacy_decisions": lambda m: sum(x.adequacy for x in m.countries),
            },
            agenttype_reporters={
                Country: {
                    "policy": "policy",
                    "regime": "regime",
                    "has_law": "has_law",
                    "adequacy": "adequacy",
                    "threat": "threat",
                    "hr_core": "hr_core",
                    "hr_ran": "hr_ran",
                }
            },
        )
        self.datacollector.collect(self)

    def flows(self, lv: dynamics.Levers) -> np.ndarray:
        """(5, 5) how freely data flow between positions under ``lv``'s DFFT push and EU-Japan cooperation."""
        compat = regimes.effective_compatibility(
            self.source.constants.compat_base, lv.dfft_multilateral_push, regimes.interoperability(lv.cooperation), self.w
        )
        return regimes.flow_intensity(compat, self.w)

    def set_flows(self) -> None:
        """Compatibility of positions under this step's DFFT push and EU-Japan cooperation, and how freely data flow."""
        self.flow = self.flows(self.lv)  # (5, 5)
        self.adequacy_gap = (1.0 - self.flow[:NO_LAW, PROTECT]) * regimes.ADEQUACY_KEPT  # what adequacy adds, per orientation

    def make_offers(self) -> None:
        """The donors' part of the yearly ODA round: budgets, scores, coordination, offers."""
        lv, donors = self.lv, self.source.constants.donors
        budget = donors.budget_2019 * lv.oda_scale
        budget[DONORS.index("CHN")] *= lv.digital_silk_road_intensity
        staffing = np.array([d.staffing() for d in self.donors])
        effective, staff = oda.effective_budgets(
            budget, staffing, coordination=lv.eu_jp_oda_coordination, pair=donors.pair, w=self.w
        )
        for d in self.donors:
            d.budget, d.staff = float(effective[d.index]), float(staff[d.index])
            d.pace = float(donors.speed[d.index] * min(1.0, staff[d.index] / oda.FULL_STAFFING))
            d.score()
        eu, jp = (self.donors[j] for j in donors.pair)  # coordination: no double targeting
        c = lv.eu_jp_oda_coordination
        for country in set(eu.scores) & set(jp.scores):
            a, b = eu.scores[country], jp.scores[country]
            if a > 0 and b > 0 and c > 0:
                if a < b:
                    eu.scores[country] = a * (1.0 - c)
                else:
                    jp.scores[country] = b * (1.0 - c)
        for d in self.donors:
            d.offer()

    def begin_step(self) -> None:
        """What every agent reads this step from the start of it: the EU's mean threat and Japan's,
        the vendors' offer (price, quality, reach); vendors' sales start from zero."""
        self.eu_mean_threat = sum(x.threat for x in self.members) / len(self.members)
        self.japan_threat = self.japan.threat
        for v in self.vendors:
            v.set_price()
        self.price = np.array([v.price for v in self.vendors])
        self.vendor_base = self.vendor_constant + (
            -self.w.gamma_price * self.price
            + np.array([self.w.gamma_quality * v.quality + self.w.gamma_reach * v.reach for v in self.vendors])
        )
        self.sales = np.zeros((2, len(self.vendors)))

    # --- the powers ---------------------------------------------------------------------------------

    def lever_value(self, lv: dynamics.Levers, lever: str):
        """The value of a power's lever (by the scenario's name) in levers ``lv``."""
        if lever == "eu_japan_cooperation":
            return COOPERATION_LEVELS[int(round(lv.cooperation * 2))]
        if lever.startswith(("oda_budget_scale.", "oda_staffing.")):
            table, donor = lever.split(".")
            j = DONORS.index(donor)
            return float(lv.oda_scale[j]) if table == "oda_budget_scale" else self.donors[j].staffing(lv)
        return getattr(lv, lever)

    def in_force(self, lv: dynamics.Levers) -> dynamics.Levers:
        """The scenario's levers ``lv`` with the powers' decisions in force: each power's own levers take
        what it holds; the EU's and Japan's joint levers the lower of their two levels (each one's course
        where it holds none)."""
        if not any(p.decided for p in self.powers.values()):
            return lv
        value = {}
        for p in self.powers.values():
            value.update({k: v for k, v in p.decided.items() if k not in powers.JOINT})
        for lever in powers.JOINT:
            levels = [self.powers[name].decided.get(lever, self.lever_value(lv, lever)) for name in ("EUU", "JPN")]
            value[lever] = min(levels, key=lambda x: _number(lever, x))
        scale, staffing = lv.oda_scale.copy(), np.array([d.staffing(lv) for d in self.donors])
        fields = {}
        for lever, x in value.items():
            if lever == "eu_japan_cooperation":
                fields["cooperation"] = _number(lever, x)
            elif lever.startswith("oda_budget_scale."):
                scale[DONORS.index(lever.split(".")[1])] = x
            elif lever.startswith("oda_staffing."):
                staffing[DONORS.index(lever.split(".")[1])] = x
            else:
                fields[lever] = float(x)
        return dataclasses.replace(lv, **fields, oda_scale=scale, oda_staffing=staffing)

    def observe(self, lv: dynamics.Levers) -> dict:
        """What the powers see at the start of a year, from the countries (signals in 0..1): member states'
        divergence on restricting, third countries outside trusted regimes and anchored by Chinese ODA,
        the world's blocked data flows, GDP restricting, US allies lagging, high-risk vendors' radio share
        (times the conflict, and lost since the start), the US-EU data gap, GDP newly restricting."""
        flow = self.flows(lv)
        countries = self.countries
        world_gdp = sum(x.gdp for x in countries)
        eu_gdp = sum(x.gdp for x in self.members)
        p = sum(x.gdp for x in self.members if x.policy > 0) / max(eu_gdp, 1e-12)
        third = [x for x in countries if x.third]
        allies = [x for x in countries if x.us_ally]
        hr_ran_world = sum(x.hr_ran * x.market for x in countries)
        position = {x: x.regime if x.has_law else NO_LAW for x in countries}
        # free flows: GDP pairs of positions (not a state with itself), and adequacy holders' links to the GDPR area
        g, sq, eu = np.zeros(NO_LAW + 1), np.zeros(NO_LAW + 1), np.zeros(NO_LAW + 1)
        for x in countries:
            g[position[x]] += x.gdp
            sq[position[x]] += x.gdp**2
            if x.gdpr_area:
                eu[position[x]] += x.gdp
        free = g @ flow @ g - sq @ np.diagonal(flow)
        free += 2.0 * sum(x.gdp * ((1.0 - flow[position[x]]) @ eu) for x in countries if x.adequacy and not x.gdpr_area)
        pairs = world_gdp**2 - sum(x.gdp**2 for x in countries)
        return {
            "eu_divergence": 4.0 * p * (1.0 - p),
            "untrusted_share": sum(not (x.has_law and x.regime in (PROTECT, TRUST)) for x in third) / max(len(third), 1),
            "chinese_anchoring": sum(int(x.strength.argmax()) == CHINA and x.strength.max() > 0 for x in third)
            / max(len(third), 1),
            "blocked_flows": 1.0 - free / pairs if pairs > 0 else 0.0,
            "restricting_gdp": sum(x.gdp for x in countries if x.policy > 0) / world_gdp,
            "allies_lagging": sum(x.policy == 0 for x in allies) / max(len(allies), 1),
            "hr_conflict": hr_ran_world * lv.us_china_conflict,
            "eu_data_gap": 1.0 - flow[position[self.by_iso3["USA"]], PROTECT],
            "vendor_share_lost": max(0.0, 1.0 - hr_ran_world / max(self.hr_ran_world_start, 1e-12)),
            "new_restrictors_gdp": sum(x.gdp for x in countries if x.policy > 0 and x.policy_at_decision == 0) / world_gdp,
        }

    def powers_decide(self, course: dynamics.Levers) -> None:
        """The first step of a year: each power decides by its strategy (scripted ones hold nothing)."""
        agents = self.agents_by_type[Power]
        now = self.in_force(course)  # last year's decisions, this step's schedules
        observations = {}
        if not all(p.scripted for p in agents):
            observations = self.observe(now)
            if not self.observed_start:  # the world a power starts in: its course is its answer to it
                self.observed_start = dict(observations)
        agents.do("decide", course, now, observations)

    def step(self) -> None:
        course = self.lever_table[self.t]  # the scenario's levers of this step
        self.lv, self.year = course, course.year
        for event in course.events:
            if event.kind != "conflict_shock":  # shocks are in the levers' conflict
                self.by_iso3[event.iso3].impose(event, self.year)
        if course.oda_round:
            self.powers_decide(course)
        self.lv = lv = self.in_force(course)
        if lv.oda_round:  # China's act of the year, on the states that began restricting since the last one
            self.powers["CHN"].retaliate()
            for x in self.countries:
                x.policy_at_decision = x.policy
        self.set_flows()
        countries = self.agents_by_type[Country]
        if lv.oda_round:  # the yearly ODA round: donors offer, countries take what they value
            self.make_offers()
            countries.shuffle_do("consider_offers")
        self.begin_step()
        countries.shuffle_do("step")
        if lv.oda_round:  # once a year the EU decides on adequacy for its candidates
            self.union.assess()
        countries.do("advance")
        self.agents_by_type[Vendor].shuffle_do("step")
        self.t += 1
        self.year = float(self.spec.year_of(self.t))
        self.datacollector.collect(self)


# --- the pure-NumPy kernel -------------------------------------------------------------------------


class Kernel:
    """connsim's own step, :func:`connsim.dynamics.step`, in a plain loop over the lever table:
    no Mesa, no ``WorldModel``, no recorder (see the module docstring)."""

    def __init__(self, scenario="baseline", seed=0):
        self.spec = load_scenario(scenario)
        self.rng = np.random.default_rng(seed)  # what a WorldModel's rng is for the same seed
        self.power_rng = np.random.default_rng(self.rng.bit_generator.seed_seq.spawn(1)[0])  # as a WorldModel's
        self.strategies = powers.resolve_strategies(self.spec)
        self.state, self.constants = start_world(load_seeds(), self.spec, self.rng)
        self.levers = dynamics.lever_table(self.spec)
        self.t = 0

    def run(self, steps: int | None = None) -> Kernel:
        steps = self.spec.n_steps if steps is None else steps
        for _ in range(steps):
            self.step()
        return self

    def step(self) -> None:
        lv = self.levers[self.t]
        u = self.rng.random((dynamics.N_UNIFORMS, self.state.n))
        turn = None
        if lv.oda_round:  # the powers decide at the first step of each year
            turn = dynamics.PowerTurn(self.strategies, self.power_rng.random(powers.N_POWER_UNIFORMS), self.t)
        dynamics.step(self.state, lv, u, self.constants, self.spec, powers_turn=turn)
        self.t += 1
