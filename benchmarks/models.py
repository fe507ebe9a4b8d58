"""The two yardsticks connsim is measured against (see ``benchmarks/run.py``).

* :class:`IdiomaticWorld`: how the model would usually be written in Mesa. One
  :class:`Country` agent per state; in its own ``step()`` each agent reads its trade neighbours
  and security partners, updates its threat perception, makes logit choices of its 5G policy and
  data-flow regime (numpy on small arrays), and buys renewed core and radio capacity from the
  vendors; ``model.agents.shuffle_do("step")``; a ``mesa.DataCollector`` records outcomes and
  every agent's choices. Same world, weights and calibrated constants as connsim, and the same
  rules written agent by agent: threat perception with the EU's and Japan's pulls and ODA
  partners, the 5G policy, procurement with tied finance and the cost of autonomy, the data-flow
  regime with adequacy and ODA influence, the EU's adequacy decisions, a yearly round in which
  :class:`Donor` agents make offers and countries accept them, and :class:`Vendor` agents whose
  quality follows their revenue. Its random numbers are drawn one at a time, so its choices
  differ from connsim's draw by draw, not in law.

* :class:`Kernel`: connsim's own step, :func:`connsim.dynamics.step`, called in a plain loop:
  no Mesa, no ``WorldModel``, no recorder, no restated copy of any rule. Its set-up is the
  model's (:func:`connsim.world.start_world`), untimed; :meth:`Kernel.run` is the timed part.
  It computes the *same numbers* as connsim, events included: ``tests/test_benchmarks_smoke.py``
  checks that its states equal a ``WorldModel``'s after the same steps with the same seed. The
  difference between the two is what Mesa's agents and the recorder cost.
"""

from __future__ import annotations

import copy

import mesa
import numpy as np

from connsim import dynamics
from connsim.decisions import oda, regimes, vendors
from connsim.model import WorldModel
from connsim.names import DONOR_REGIME, DONORS, REGIMES
from connsim.scenario import load_scenario, schedule_at
from connsim.seeds import load_seeds
from connsim.world import start_world

DONOR_REGIME_INDEX = [REGIMES.index(DONOR_REGIME[d]) for d in DONORS]

__all__ = ["IdiomaticWorld", "Country", "Kernel"]


# --- the idiomatic per-agent Mesa model ------------------------------------------------------------


class Country(mesa.Agent):
    """A state that decides for itself, reading its neighbours, its partners and its offers."""

    def __init__(self, model: "IdiomaticWorld", i: int):
        super().__init__(model)
        st = model.world
        self.index = i
        self.iso3 = st.iso3[i]
        self.member = bool(st.member[i])
        self.decides_policy = not st.power[i]
        self.decides_regime = bool(st.third[i])
        self.security_culture = float(st.security_culture[i])
        self.align_us, self.align_cn = float(st.align_us[i]), float(st.align_cn[i])
        self.trade_cn, self.trade_eu = float(st.trade_cn[i]), float(st.trade_eu[i])
        self.income = float(np.clip(st.income[i], 0.05, 20.0))
        self.freedom = float(st.freedom[i])
        self.capacity = float(st.capacity[i])
        self.disposition = model.disposition[i].copy()
        self.threat = float(st.threat[i])
        self.policy = int(st.policy[i])
        self.regime = int(st.regime[i])
        self.adequacy = bool(st.adequacy[i])
        self.network = np.array([st.core[i], st.ran[i]])  # installed shares of each vendor: core, radio
        self.finance = st.finance[i].copy()  # tied finance from infrastructure partners, per vendor
        self.gdp = float(st.gdp[i])
        self.market = float(model.market[i])  # its share of world GDP: of world equipment spend
        self.network_value = float(model.network_value[i])
        self.oda_eligible = bool(model.oda_eligible[i])
        self.strength = st.strength[i].copy()  # partnership with each donor
        self.last_infra = st.last_infra[i].copy()  # year of the last infrastructure offer taken from each donor
        self.premium_paid = self.rip_paid = 0.0
        self.offers: list[tuple[Donor, float]] = []
        self.neighbours: list[tuple[Country, float]] = []  # trade partners and weights
        self.partners: list[Country] = []  # security-bloc partners

    core = property(lambda self: self.network[0])
    ran = property(lambda self: self.network[1])

    @property
    def hr_core(self) -> float:
        return float(self.network[0] @ self.model.high_risk_f)

    @property
    def hr_ran(self) -> float:
        return float(self.network[1] @ self.model.high_risk_f)

    def alignment_with(self, donor: "Donor") -> float:
        return min(1.0, max(0.05, 0.5 + 0.5 * donor.camp * (self.align_us - self.align_cn)))

    def step(self) -> None:
        m, w = self.model, self.model.w
        rng = m.rng
        # threat perception: culture, alignment under the conflict, partners restricting, ODA partners
        restricting = sum(p.policy > 0 for p in self.partners) / len(self.partners) if self.partners else 0.0
        western_minus_chinese = self.strength @ m.donor_side  # +1 for western donors, -1 for China
        target = self.security_culture + w.w_us * self.align_us * m.conflict + w.w_peer * restricting + w.w_oda * western_minus_chinese
        change = w.threat_adjustment * (target - self.threat)
        if self.member:  # the EU toolbox pulls toward the EU's assessment, information sharing toward Japan's
            change += w.w_eu * m.toolbox * (m.eu_mean_threat - self.threat) + w.w_jp * m.infoshare * max(0.0, m.japan.threat - self.threat)
        self.threat = min(2.0, max(0.0, self.threat + m.dt * change))

        # 5G security policy: open / core_excluded / banned
        if self.decides_policy and rng.random() < m.p_revise:
            pi = m.protection
            hr_core, hr_ran = self.hr_core, self.hr_ran
            u = (
                self.threat * pi
                - w.kappa_swap * np.array([0.0, hr_core, hr_core + hr_ran])
                - w.kappa_price * m.price_gap * pi / self.income**w.alpha_income
                - w.kappa_ret * self.trade_cn * m.conflict * pi
                + w.kappa_al * (self.align_us - self.align_cn) * m.conflict * (0.5 + m.us_pressure) * pi
                + w.kappa_toolbox * (m.toolbox if self.member else 0.0) * (pi > 0)
                + w.kappa_status_quo * (np.arange(3) == self.policy)
            )
            self.policy = self._logit(u, m.beta_policy, rng.random())

        # procurement of renewed capacity, core and radio (rows): tied finance, lock-in, distrust
        allowed, disallowed = m.allowed[self.policy]  # core: open buys anyone; radio: only banned excludes
        v = m.vendor_base + w.gamma_lockin * self.network + (w.gamma_finance * self.finance - w.gamma_risk * self.threat * m.high_risk_f)
        e = np.exp(v - np.where(allowed, v, -np.inf).max(axis=1, keepdims=True))
        new = e * allowed
        new /= new.sum(axis=1, keepdims=True)
        kept = self.network * (1.0 - m.renewal)
        ripped = kept * m.rip * disallowed  # disallowed equipment ripped out early
        kept -= ripped
        room = 1.0 - kept.sum(axis=1)
        self.network = kept + room[:, None] * new
        if self.policy > 0:  # the cost of autonomy: the premium over the unrestricted purchase, and ripping
            premium = room * ((new - e / e.sum(axis=1, keepdims=True)) @ m.price)
            restricted = (True, self.policy == 2)
            self.premium_paid += 0.5 * self.network_value * sum(max(p, 0.0) for p, r in zip(premium, restricted) if r)
            self.rip_paid += 0.5 * self.network_value * ripped.sum()
        m.sales += self.market * room[:, None] * new  # vendors' revenue, core and radio

        # data-flow regime, from the regimes of trade partners
        if self.decides_regime and rng.random() < m.p_revise:
            shares = np.zeros(4)
            for other, weight in self.neighbours:
                shares[other.regime] += weight
            u = (
                self.disposition
                + w.phi * m.compat @ shares
                + (w.phi * self.trade_eu * m.adequacy_gap if self.adequacy else 0.0)
                - w.kappa_cap * np.maximum(0.0, m.capacity_need - self.capacity)
                + m.influence_of(self)
                + w.kappa_switch * (np.arange(4) == self.regime)
            )
            self.regime = self._logit(u, m.beta_regime, rng.random())

        # adequacy: kept under protect or trust; granted at the EU's pace to eligible states
        self.adequacy = self.adequacy and bool(regimes.ADEQUACY_KEPT[self.regime])
        if (self.decides_regime and not self.adequacy and m.grantable[self.regime] and self.capacity >= w.adequacy_capacity
                and rng.random() < m.adequacy_openness * m.dt):
            self.adequacy = True
        self.capacity = min(1.0, self.capacity + m.dt * w.capacity_growth)

    def consider_offers(self) -> None:
        """Once a year: take at most one infrastructure offer (logit against declining), and the
        other programs of each offer that beat declining; partnerships decay and strengthen."""
        m, w = self.model, self.model.w
        rng = m.rng
        accepted = np.zeros(len(m.donors), bool)
        if self.offers:
            values = [
                w.a_size * np.log1p(amount / (self.gdp * 1e-4)) + w.a_speed * donor.pace
                - w.a_conditions * donor.conditions * (1.0 - self.freedom) + w.a_alignment * self.alignment_with(donor)
                + (w.india_bonus if donor.india and self.index in m.india_linked else 0.0)
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
            for (donor, amount), value in zip(self.offers, values):
                if rng.random() < 1.0 / (1.0 + np.exp(-m.beta_oda * (value - w.u_outside))):
                    accepted[donor.index] = True
                    money = amount * (donor.programs[0] + 0.5 * donor.programs[1])
                    self.capacity = min(1.0, self.capacity + w.alpha_capacity * money / (self.gdp * 1e-3))
        decayed = self.strength * 0.5 ** (1.0 / w.partnership_half_life)
        self.strength = np.where(accepted, decayed + w.oda_bond * (1.0 - decayed), decayed)
        self.offers = []
        # tied finance changes only here: offers are taken, and ties expire, at the yearly round
        self.finance = ((m.year - self.last_infra) < w.tied_finance_years).astype(float) @ m.donor_vendor_tie

    @staticmethod
    def _logit(u: np.ndarray, beta: float, uniform: float) -> int:
        z = beta * u
        p = np.exp(z - z.max())
        cdf = np.cumsum(p / p.sum())
        return int(min(np.searchsorted(cdf, uniform, side="right"), len(u) - 1))


class Donor(mesa.Agent):
    """A digital-ODA donor: once a year it scores recipients by priority, need and alignment and
    offers its budget to as many of the best as its staff can manage."""

    def __init__(self, model: "IdiomaticWorld", j: int, name: str):
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
        ring = m.levers["open_connected_ring"] if self.ring else 0.0
        self.scores = {
            c: self.priority[c.index] * (1.0 + ring * m.ocre[c.index]) * (1.0 - c.capacity) * c.alignment_with(self)
            for c in m.countries if c.oda_eligible
        }

    def offer(self) -> None:
        reach = int(round(self.model.w.oda_reach * self.staff))
        best = sorted((c for c, s in self.scores.items() if s > 0), key=self.scores.get, reverse=True)[:reach]
        total = sum(self.scores[c] for c in best)
        for c in best:
            if self.budget > 0:
                c.offers.append((self, self.budget * self.scores[c] / total))


class Vendor(mesa.Agent):
    """A 5G vendor: its quality follows its revenue share (R&D), slowed by export controls and
    raised by a state push."""

    def __init__(self, model: "IdiomaticWorld", k: int):
        super().__init__(model)
        self.index = k
        self.quality = float(model.world.quality[k])
        self.quality_2019 = self.quality
        self.reach = float(model.world.reach[k])
        self.high_risk = bool(model.high_risk[k])
        self.japanese = bool(model.source.constants.japanese[k])
        self.revenue_share_2019 = float(model.source.constants.revenue_share_2019[k])

    def step(self) -> None:
        m, w = self.model, self.model.w
        revenue = w.omega_core * m.sales[0] + m.sales[1]
        share = revenue[self.index] / revenue.sum()
        hard = max(0.0, m.conflict - w.hard_conflict) / max(1e-9, 1.0 - w.hard_conflict) if self.high_risk else 0.0
        push = m.levers["japan_vendor_push"] if self.japanese else 0.0
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
        # the same world and constants as connsim (calibrated vendor constants, donor tables)
        self.source = src = WorldModel(spec, rng=rng if isinstance(rng, int) else 0, record_agents=False)
        self.world = st = copy.deepcopy(src.state)
        c = src.constants
        self.high_risk = c.high_risk.copy()
        self.trusted = ~self.high_risk
        self.allowed = [
            (a, ~a) for a in (np.array([(policy == 0) | self.trusted, (policy != 2) | self.trusted]) for policy in range(3))
        ]
        self.high_risk_f = self.high_risk.astype(float)
        self.price = c.price.copy()
        self.market = c.market
        self.network_value = c.network_value
        self.oda_eligible = c.donors.eligible
        self.ocre = c.donors.ring
        self.india_linked = set(np.nonzero(c.donors.india_linked)[0].tolist()) if spec.india_trilateral else set()
        self.donor_vendor_tie = c.donor_vendor_tie
        self.donor_side = np.where(c.western_donor, 1.0, -1.0)
        self.constants = c.vendor_constant
        self.dt = spec.dt
        self.year = float(spec.start_year)
        self.t = 0
        self.p_revise = 1.0 - (1.0 - spec.revision_probability) ** spec.dt
        self.beta_policy, self.beta_regime, self.beta_oda = spec.beta_policy, spec.beta_regime, spec.beta_oda
        self.adequacy_openness = spec.adequacy_openness
        self.protection = vendors.protection(w.pi_core)
        self.renewal = spec.dt / w.lifecycle_years
        self.rip = 1.0 - (1.0 - w.rip_rate) ** spec.dt
        self.capacity_need = c.capacity_need
        self.disposition = regimes.dispositions(st.freedom, st.rule_of_law01, w)
        self.n_steps = spec.n_steps
        self.countries = [Country(self, i) for i in range(st.n)]
        self.japan = self.countries[c.japan]
        self.donors = [Donor(self, j, name) for j, name in enumerate(DONORS)]
        self.vendors = [Vendor(self, k) for k in range(len(self.price))]
        trade = st.trade.tocsr()
        for i, c in enumerate(self.countries):
            lo, hi = trade.indptr[i], trade.indptr[i + 1]
            c.neighbours = [(self.countries[j], float(x)) for j, x in zip(trade.indices[lo:hi], trade.data[lo:hi])]
        members = st.blocs.tocsc()
        for b in range(members.shape[1]):
            group = [self.countries[i] for i in members.indices[members.indptr[b]:members.indptr[b + 1]]]
            for c in group:
                c.partners.extend(x for x in group if x is not c)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "regime_share_protect": lambda m: np.mean([c.regime == 0 for c in m.countries]),
                "policy_share_banned": lambda m: np.mean([c.policy == 2 for c in m.countries]),
                "hr_ran_share_world": lambda m: sum(c.hr_ran * c.gdp for c in m.countries) / sum(c.gdp for c in m.countries),
                "adequacy_decisions": lambda m: sum(c.adequacy for c in m.countries),
            },
            agenttype_reporters={Country: {"policy": "policy", "regime": "regime", "threat": "threat", "hr_core": "hr_core", "hr_ran": "hr_ran"}},
        )
        self.set_levers()
        self.datacollector.collect(self)

    def set_levers(self) -> None:
        """The scenario's levers at this step's year, and what follows from them."""
        s, w = self.spec, self.w
        self.levers = lv = {name: s.at(name, self.year) for name in dynamics.SCHEDULED}  # the scheduled levers
        self.conflict, self.us_pressure, self.toolbox = lv["us_china_conflict"], lv["us_pressure"], lv["eu_toolbox_strength"]
        self.infoshare = s.cooperation_level
        self.compat = regimes.effective_compatibility(
            self.source.constants.compat_base, lv["dfft_multilateral_push"], regimes.interoperability(s.cooperation_level), w
        )
        self.adequacy_gap = (1.0 - self.compat[:, regimes.PROTECT]) * regimes.ADEQUACY_KEPT
        self.grantable = regimes.adequacy_grantable(s.cooperation_level >= 1.0 or lv["dfft_multilateral_push"] >= w.adequacy_dfft_push)

    def influence_of(self, c: Country) -> np.ndarray:
        w, lv = self.w, self.levers
        pull = np.zeros(4)
        for strength, donor_regime in zip(c.strength, DONOR_REGIME_INDEX):
            pull[donor_regime] += w.kappa_oda_regime * strength
        return pull + np.array([
            w.kappa_brussels * c.trade_eu, w.kappa_jp_regime * lv["dfft_multilateral_push"],
            w.kappa_us_regime * c.align_us * self.us_pressure, w.kappa_cn_regime * c.align_cn * min(lv["digital_silk_road_intensity"], 2.0) / 2.0,
        ])

    def _price_gap(self) -> float:
        share = self.market @ np.array([c.ran for c in self.countries])
        hr = self.high_risk
        p_tr = (self.price[~hr] * share[~hr]).sum() / share[~hr].sum()
        p_hr = (self.price[hr] * share[hr]).sum() / share[hr].sum()
        return float(p_tr / p_hr - 1.0)

    def _oda_round(self) -> None:
        s, lv = self.spec, self.levers
        budget = np.array([self.source.constants.donors.budget_2019[j] * schedule_at(s.oda_budget_scale.get(d, 1.0), self.year) for j, d in enumerate(DONORS)])
        budget[DONORS.index("CHN")] *= lv["digital_silk_road_intensity"]
        effective, staff = oda.effective_budgets(budget, self.source.constants.donors.staffing, lv["eu_jp_oda_coordination"], self.source.constants.donors.pair, self.w)
        for d in self.donors:
            d.budget, d.staff = float(effective[d.index]), float(staff[d.index])
            d.pace = float(self.source.constants.donors.speed[d.index] * min(1.0, staff[d.index] / oda.FULL_STAFFING))
            d.score()
        eu, jp = (self.donors[j] for j in self.source.constants.donors.pair)  # coordination: no double targeting
        c = lv["eu_jp_oda_coordination"]
        for country in set(eu.scores) & set(jp.scores):
            a, b = eu.scores[country], jp.scores[country]
            if a > 0 and b > 0 and c > 0:
                if a < b:
                    eu.scores[country] = a * (1.0 - c)
                else:
                    jp.scores[country] = b * (1.0 - c)
        for d in self.donors:
            d.offer()
        self.agents_by_type[Country].shuffle_do("consider_offers")

    def step(self) -> None:
        self.set_levers()
        if self.t % self.spec.steps_per_year == 0:
            self._oda_round()
        self.price_gap = self._price_gap()
        self.eu_mean_threat = float(np.mean([c.threat for c in self.countries if c.member]))
        self.vendor_base = self.constants + (-self.w.gamma_price * self.price + np.array(
            [self.w.gamma_quality * v.quality + self.w.gamma_reach * v.reach for v in self.vendors]))
        self.sales = np.zeros((2, len(self.vendors)))
        self.agents_by_type[Country].shuffle_do("step")
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

    def run(self, steps: int | None = None) -> "Kernel":
        steps = self.spec.n_steps if steps is None else steps
        for _ in range(steps):
            self.step()
        return self

    def step(self) -> None:
        u = self.rng.random((dynamics.N_UNIFORMS, self.state.n))
        dynamics.step(self.state, self.levers[self.t], u, self.constants, self.spec)
        self.t += 1
