"""The two yardsticks connsim is measured against (see ``benchmarks/run.py``).

* :class:`IdiomaticWorld`: how the model would usually be written in Mesa. One
  :class:`Country` agent per state decides for itself in its own ``step()``: it reads its
  security partners and trade neighbours, updates its threat perception, picks its 5G security
  policy by logit (numpy on small arrays: the utilities in capex-years, with its own premium per
  policy from its own procurement utilities and the rip-and-replace cost), buys renewed core and
  radio capacity and pays for autonomy, decides whether to have a data-protection law and its
  orientation over the five positions (smooth free flows), and keeps or loses an adequacy
  decision. A :class:`Union` agent (the EU) assesses its adequacy candidates once a year; in a
  yearly round :class:`Donor` agents make offers and countries accept them; :class:`Vendor`
  agents' quality follows their revenue. The model calls ``shuffle_do("step")`` and then
  ``do("advance")`` (Mesa's idiom for simultaneous activation: what a state shows its partners
  changes only at the end of the step, as in connsim's one step over arrays), and records with a
  ``mesa.DataCollector``. Same world, weights, levers and calibrated constants as connsim, taken
  from a :class:`~connsim.model.WorldModel` at set-up (untimed), and the same rules as
  :func:`connsim.dynamics.step`, written agent by agent. Its random numbers are drawn one at a
  time, so its choices differ from connsim's draw by draw, not in law.

* :class:`Kernel`: connsim's own step, :func:`connsim.dynamics.step`, called in a plain loop:
  no Mesa, no ``WorldModel``, no recorder, no restated copy of any rule. Its set-up is the
  model's (:func:`connsim.world.start_world`), untimed; :meth:`Kernel.run` is the timed part.
  It computes the *same numbers* as connsim, events included: ``tests/test_benchmarks_smoke.py``
  checks that its states equal a ``WorldModel``'s after the same steps with the same seed. The
  difference between the two is what Mesa's agents and the recorder cost.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from connsim import dynamics
from connsim.decisions import oda, regimes, vendors
from connsim.model import WorldModel
from connsim.names import DONORS, NO_LAW, POLICIES, REGIMES
from connsim.scenario import load_scenario
from connsim.seeds import load_seeds
from connsim.world import start_world

__all__ = ["IdiomaticWorld", "Country", "Union", "Donor", "Vendor", "Kernel"]

PROTECT, TRUST = REGIMES.index("protect"), REGIMES.index("trust")
KEEPS_ADEQUACY = tuple(bool(x) for x in regimes.ADEQUACY_KEPT)  # protect and trust keep an adequacy decision


def _logistic(margin: float) -> float:
    """Probability of the second of two options whose utilities differ by ``margin`` (logit)."""
    return 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, margin))))


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
        self.threat = float(st.threat[i])
        self.policy = int(st.policy[i])
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
            self.policy = self._logit(self.policy_utilities(utility), m.beta_policy, rng.random())
        self.procure(utility)
        if self.decides_law and self.regime_locked_until <= m.year:
            revise_law, revise_orientation = rng.random() < m.p_revise, rng.random() < m.p_revise
            if revise_law or revise_orientation:
                shares = self.partner_positions()  # as partners stood at the start of the step
                if revise_law:
                    self.decide_law(shares)
                if revise_orientation:
                    self.regime = self._logit(self.orientation_utilities(shares), m.beta_regime, rng.random())
        if self.adequacy_locked_until <= m.year:  # a decision stays in force under a law oriented to protect or trust
            self.adequacy = self.adequacy and self.has_law and KEEPS_ADEQUACY[self.regime]

    def advance(self, grow: bool = True) -> None:
        """End of the step: partners now see this step's choices; institutions learn."""
        self.restricting = self.policy > 0
        self.position = self.regime if self.has_law else NO_LAW
        if grow:
            self.capacity = min(1.0, self.capacity + self.model.dt * self.model.w.capacity_growth)

    def perceive_threat(self) -> None:
        """Threat moves toward security culture + partners restricting + western minus Chinese ODA partners;
        member states are pulled toward the EU's mean threat (toolbox) and up toward Japan's (information sharing)."""
        m, w, lv = self.model, self.model.w, self.model.lv
        restricting = 0.0
        for others in self.blocs:  # averaged over its blocs: the share of each bloc's other members restricting
            if others:
                restricting += sum(p.restricting for p in others) / len(others)
        if self.blocs:
            restricting /= len(self.blocs)
        target = self.security_culture + w.w_peer * restricting + w.w_oda * (self.strength @ m.donor_camp)
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
            - w.kappa_ret * self.trade_cn * conflict * pi
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
        decision kept, the capacity it needs, the pull of the powers and of ODA partners, habit."""
        m, w, lv = self.model, self.model.w, self.model.lv
        influence = self.strength @ m.oda_regime_pull + np.array(
            [
                w.kappa_brussels * self.trade_eu,
                w.kappa_jp_regime * lv.dfft_multilateral_push * self.japan_tie,
                w.kappa_us_regime * self.align_us * lv.us_pressure,
                w.kappa_cn_regime * self.align_cn * min(lv.digital_silk_road_intensity, 2.0) / 2.0,
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
                pick = self._logit(u, m.beta_oda, rng.random())
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

    @staticmethod
    def _logit(u: np.ndarray, beta: float, uniform: float) -> int:
        z = beta * u
        p = np.exp(z - z.max())
        cdf = np.cumsum(p / p.sum())
        return int(min(np.searchsorted(cdf, uniform, side="right"), len(u) - 1))


class Union(mesa.Agent):
    """The EU itself: once a year it assesses each candidate for adequacy (a state outside the EU and
    the EEA with a law and no decision) and grants by logit over capacity, compatibility, trade and cooperation."""

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
        p = min(max(m.spec.adequacy_openness, 1e-9), 1 - 1e-9)
        return (
            math.log(p / (1 - p))
            + w.adequacy_w_capacity * (c.capacity - 0.6)
            + w.adequacy_w_compatibility * (m.flow[c.regime, PROTECT] - 0.5)
            + w.adequacy_w_trade * math.log10(max(c.trade_eu * c.gdp / self.gdp, 1e-6) / 0.01)
            + w.adequacy_w_cooperation * regimes.interoperability(m.lv.cooperation) * (c.regime == TRUST)
        )

    def assess(self) -> None:
        """This year's decisions: each candidate in turn, granted with logit probability."""
        m = self.model
        for c in m.countries:
            if c.decides_law and c.has_law and not c.adequacy and c.adequacy_locked_until <= m.year:
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
        self.budget = self.staff = self.pace = 0.0
        self.scores: dict[Country, float] = {}

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
    export controls and raised by a state push, which also widens its reach."""

    def __init__(self, model: IdiomaticWorld, k: int):
        super().__init__(model)
        c = model.source.constants
        self.index = k
        self.quality = float(model.world.quality[k])
        self.quality_2019 = float(c.quality_2019[k])
        self.reach = float(model.world.reach[k])
        self.high_risk = bool(c.high_risk[k])
        self.japanese = bool(c.japanese[k])
        self.revenue_share_2019 = float(c.revenue_share_2019[k])

    def step(self) -> None:
        m, w, lv = self.model, self.model.w, self.model.lv
        revenue = w.omega_core * m.sales[0] + m.sales[1]
        share = revenue[self.index] / revenue.sum()
        hard = max(0.0, lv.us_china_conflict - w.hard_conflict) / max(1e-9, 1.0 - w.hard_conflict) if self.high_risk else 0.0
        push = lv.japan_vendor_push if self.japanese else 0.0
        target = self.quality_2019 * (max(share, 1e-6) / max(self.revenue_share_2019, 1e-6)) ** w.rd_elasticity
        target = min(1.0, max(0.05, target * (1.0 - w.export_control_drag * hard) * (1.0 + w.push_quality * push)))
        self.quality += m.dt * w.quality_adjustment * (target - self.quality)
        self.reach = min(1.0, max(0.0, self.reach + m.dt * w.push_reach * push))


class IdiomaticWorld(mesa.Model):
    """The per-agent Mesa yardstick (see the module docstring)."""

    def __init__(self, scenario="baseline", rng=None):
        super().__init__(rng=rng)
        self.spec = spec = load_scenario(scenario)
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

    def set_flows(self) -> None:
        """Compatibility of positions under this step's DFFT push and EU-Japan cooperation, and how freely data flow."""
        lv, w = self.lv, self.w
        compat = regimes.effective_compatibility(
            self.source.constants.compat_base, lv.dfft_multilateral_push, regimes.interoperability(lv.cooperation), w
        )
        self.flow = regimes.flow_intensity(compat, w)  # (5, 5)
        self.adequacy_gap = (1.0 - self.flow[:NO_LAW, PROTECT]) * regimes.ADEQUACY_KEPT  # what adequacy adds, per orientation

    def make_offers(self) -> None:
        """The donors' part of the yearly ODA round: budgets, scores, coordination, offers."""
        lv, donors = self.lv, self.source.constants.donors
        budget = donors.budget_2019 * lv.oda_scale
        budget[DONORS.index("CHN")] *= lv.digital_silk_road_intensity
        effective, staff = oda.effective_budgets(
            budget, donors.staffing, coordination=lv.eu_jp_oda_coordination, pair=donors.pair, w=self.w
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
        self.vendor_base = self.vendor_constant + (
            -self.w.gamma_price * self.price
            + np.array([self.w.gamma_quality * v.quality + self.w.gamma_reach * v.reach for v in self.vendors])
        )
        self.sales = np.zeros((2, len(self.vendors)))

    def step(self) -> None:
        self.lv = lv = self.lever_table[self.t]
        self.year = lv.year
        for event in lv.events:
            if event.kind != "conflict_shock":  # shocks are in the levers' conflict
                self.by_iso3[event.iso3].impose(event, self.year)
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
        self.state, self.constants = start_world(load_seeds(), self.spec, self.rng)
        self.levers = dynamics.lever_table(self.spec)
        self.t = 0

    def run(self, steps: int | None = None) -> Kernel:
        steps = self.spec.n_steps if steps is None else steps
        for _ in range(steps):
            self.step()
        return self

    def step(self) -> None:
        u = self.rng.random((dynamics.N_UNIFORMS, self.state.n))
        dynamics.step(self.state, self.levers[self.t], u, self.constants, self.spec)
        self.t += 1
