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

* :class:`Kernel`: the same rules as ``WorldModel.step`` with nothing around them: plain
  arrays and the pure functions of ``connsim.decisions`` and ``connsim.choice`` called in a
  loop; no Mesa, no ``WorldModel``, no recorder. Its set-up borrows the constants a
  ``WorldModel`` derives at start-up (calibrated vendor constants, donor tables, priorities),
  untimed; :meth:`Kernel.run` is the timed part. It computes the *same numbers* as connsim:
  ``tests/test_benchmarks_smoke.py`` and ``run.py`` check that its states equal a
  ``WorldModel``'s after the same steps with the same seed. It handles no scripted events.
"""

from __future__ import annotations

import copy

import mesa
import numpy as np

from connsim.choice import revise_choices, revising
from connsim.decisions import oda, regimes, vendors
from connsim.model import FULL_STAFFING, _N_UNIFORMS, WorldModel
from connsim.scenario import DONORS, load_scenario, schedule_at
from connsim.seeds import load_seeds
from connsim.world import build_world

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
        src = model.source
        self.index, self.name = j, name
        self.camp = float(src.donor_camp[j])
        self.programs = src.donor_programs[j]
        self.conditions = float(src.donor_conditions[j])
        self.priority = src._priority_base[j]
        self.ring = bool(src._ring_donor[j])
        self.india = j in src._pair
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
        self.japanese = bool(model.source.japanese[k])
        self.revenue_share_2019 = float(model.source.revenue_share_2019[k])

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
        self.high_risk = src.high_risk.copy()
        self.trusted = ~self.high_risk
        self.allowed = [
            (a, ~a) for a in (np.array([(policy == 0) | self.trusted, (policy != 2) | self.trusted]) for policy in range(3))
        ]
        self.high_risk_f = self.high_risk.astype(float)
        self.price = src.price.copy()
        self.market = src._market
        self.network_value = src._spend * w.lifecycle_years
        self.oda_eligible = src.oda_eligible
        self.ocre = src._ocre
        self.india_linked = set(np.nonzero(src._india_linked)[0].tolist()) if spec.india_trilateral else set()
        self.donor_vendor_tie = src.donor_vendor_tie
        self.donor_side = np.where(src._western_donor, 1.0, -1.0)
        self.constants = np.stack([src.vendor_constant["core"], src.vendor_constant["ran"]])
        self.dt = spec.dt
        self.year = float(spec.start_year)
        self.t = 0
        self.p_revise = 1.0 - (1.0 - spec.revision_probability) ** spec.dt
        self.beta_policy, self.beta_regime, self.beta_oda = spec.beta_policy, spec.beta_regime, spec.beta_oda
        self.adequacy_openness = spec.adequacy_openness
        self.protection = vendors.protection(w.pi_core)
        self.renewal = spec.dt / w.lifecycle_years
        self.rip = 1.0 - (1.0 - w.rip_rate) ** spec.dt
        self.capacity_need = src.capacity_need
        self.disposition = regimes.dispositions(st.freedom, st.rule_of_law01, w)
        self.n_steps = spec.n_steps
        self.countries = [Country(self, i) for i in range(st.n)]
        self.japan = self.countries[src._rows["JPN"]]
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
        self.levers = lv = {name: s.at(name, self.year) for name in WorldModel._SCHEDULED}  # the scheduled levers
        self.conflict, self.us_pressure, self.toolbox = lv["us_china_conflict"], lv["us_pressure"], lv["eu_toolbox_strength"]
        self.infoshare = s.cooperation_level
        self.compat = regimes.effective_compatibility(
            self.source.compat_base, lv["dfft_multilateral_push"], regimes.interoperability(s.cooperation_level), w
        )
        self.adequacy_gap = (1.0 - self.compat[:, regimes.PROTECT]) * regimes.ADEQUACY_KEPT
        self.grantable = regimes.adequacy_grantable(s.cooperation_level >= 1.0 or lv["dfft_multilateral_push"] >= w.adequacy_dfft_push)

    def influence_of(self, c: Country) -> np.ndarray:
        w, lv = self.w, self.levers
        pull = np.zeros(4)
        for strength, donor_regime in zip(c.strength, self.source.donor_regime):
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
        budget = np.array([self.source.donor_budget_2019[j] * schedule_at(s.oda_budget_scale.get(d, 1.0), self.year) for j, d in enumerate(DONORS)])
        budget[DONORS.index("CHN")] *= lv["digital_silk_road_intensity"]
        effective, staff = oda.effective_budgets(budget, self.source.donor_staffing, lv["eu_jp_oda_coordination"], self.source._pair, self.w)
        for d in self.donors:
            d.budget, d.staff = float(effective[d.index]), float(staff[d.index])
            d.pace = float(self.source.donor_speed[d.index] * min(1.0, staff[d.index] / FULL_STAFFING))
            d.score()
        eu, jp = (self.donors[j] for j in self.source._pair)  # coordination: no double targeting
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
    """The rules of ``WorldModel.step`` on plain arrays (see the module docstring)."""

    def __init__(self, scenario="baseline", seed=0):
        spec = load_scenario(scenario)
        if spec.events:
            raise ValueError("the kernel runs scenarios without scripted events")
        m = WorldModel(spec, rng=seed, record_agents=False)  # set-up only: constants and the start
        self.spec, self.w = spec, spec.weights
        self.state = copy.deepcopy(m.state)
        self.rng = copy.deepcopy(m.rng)
        self.const = {
            name: getattr(m, name)
            for name in (
                "high_risk", "price", "quality_2019", "japanese", "compat_base", "capacity_need", "donor_budget_2019",
                "donor_staffing", "donor_programs", "donor_speed", "donor_conditions", "donor_regime", "donor_camp",
                "donor_vendor_tie", "_pair", "_western_donor", "oda_eligible", "_priority_base", "_ocre", "_india_linked",
                "_ring_donor", "_bloc_t", "_bloc", "_bloc_inv", "_bloc_deg", "_bloc_count", "disposition", "policy_deciders",
                "regime_deciders", "renewal", "_spend", "_market", "vendor_constant", "revenue_share_2019",
                "revenue_share", "_levers_by_step", "_years", "_rows",
            )
        }
        self.installed = m._installed_layers().copy()  # (layer, vendor, state), as vendors.procure takes it
        self.allowed_by_policy = np.array(vendors.allowed_vendors(np.arange(3), m.high_risk)).transpose(0, 2, 1)
        self.edges = (4 * np.repeat(np.arange(m.state.n), np.diff(m.state.trade.indptr)), m.state.trade.indices, m.state.trade.data)
        self.t = 0
        self.year = m.year

    def run(self, steps: int | None = None) -> "Kernel":
        steps = self.spec.n_steps if steps is None else steps
        for _ in range(steps):
            self.step()
        return self

    def step(self) -> None:
        s, st, w, c = self.spec, self.state, self.w, self.const
        dt, year = s.dt, self.year
        lv = c["_levers_by_step"][self.t]
        u = self.rng.random((_N_UNIFORMS, st.n))
        if self.t % s.steps_per_year == 0:
            self._oda(lv, u[5], u[6:].T)
        st.partnership_active = (year - st.last_accept) < w.partnership_years
        finance = c["donor_vendor_tie"].T @ ((year - st.last_infra) < w.tied_finance_years).T  # (vendor, state)
        st.finance = finance.T

        # 5G: threat, policy, procurement, vendors
        restricting = (st.policy > 0).astype(float)
        bloc_rate = c["_bloc_t"] @ restricting
        peers = np.where(
            c["_bloc_count"] > 0,
            (c["_bloc"] @ (bloc_rate * c["_bloc_inv"]) - restricting * c["_bloc_deg"]) / np.maximum(c["_bloc_count"], 1),
            0.0,
        )
        western = st.strength[:, c["_western_donor"]].sum(axis=1)
        chinese = st.strength[:, ~c["_western_donor"]].sum(axis=1)
        st.threat = vendors.threat_perception(
            st.threat, st.security_culture, st.align_us, peers, western - chinese, st.member, lv["us_china_conflict"],
            lv["eu_toolbox_strength"], lv["infoshare"], st.threat[c["_rows"]["JPN"]], dt, w,
        )
        hr, price = c["high_risk"], c["price"]
        share = self.installed[1] @ c["_market"]
        p_tr = (price[~hr] * share[~hr]).sum() / max(share[~hr].sum(), 1e-9)
        p_hr = (price[hr] * share[hr]).sum() / max(share[hr].sum(), 1e-9)
        price_gap = float(p_tr / p_hr - 1.0) if share[hr].sum() > 1e-9 else float(p_tr / price[hr].min() - 1.0)
        util, _ = vendors.policy_utilities(
            st.threat, st.hr_core, st.hr_ran, price_gap, st.income, st.trade_cn, st.align_us, st.align_cn,
            lv["us_china_conflict"], lv["us_pressure"], np.where(st.member, lv["eu_toolbox_strength"], 0.0), st.policy, w,
        )
        p_step = 1.0 - (1.0 - s.revision_probability) ** dt
        revise = c["policy_deciders"] & revising(p_step, u[0]) & (st.policy_locked_until <= year)
        st.policy = revise_choices(st.policy, revise, util, s.beta_policy, u[1])
        self._procure(lv, dt, finance)

        # data-flow regimes and adequacy
        compat = regimes.effective_compatibility(
            c["compat_base"], lv["dfft_multilateral_push"], regimes.interoperability(lv["cooperation"]), w
        )
        slot, cols, weight = self.edges
        partner_shares = np.bincount(slot + st.regime[cols], weights=weight, minlength=4 * st.n).reshape(-1, 4)
        influence = np.zeros((st.n, 4))
        influence[:, regimes.PROTECT] += w.kappa_brussels * st.trade_eu
        influence[:, regimes.OPEN] += w.kappa_us_regime * st.align_us * lv["us_pressure"]
        influence[:, regimes.SOVEREIGN] += w.kappa_cn_regime * st.align_cn * min(lv["digital_silk_road_intensity"], 2.0) / 2.0
        influence[:, regimes.TRUST] += w.kappa_jp_regime * lv["dfft_multilateral_push"]
        oda_pull = np.zeros((len(DONORS), 4))
        oda_pull[np.arange(len(DONORS)), c["donor_regime"]] = w.kappa_oda_regime
        influence += st.strength @ oda_pull
        util, _ = regimes.regime_utilities(
            c["disposition"], partner_shares, compat, st.trade_eu, st.adequacy, st.capacity, c["capacity_need"], influence, st.regime, w,
        )
        revise = c["regime_deciders"] & revising(p_step, u[2]) & (st.regime_locked_until <= year)
        st.regime = revise_choices(st.regime, revise, util, s.beta_regime, u[3])
        grantable = regimes.adequacy_grantable(lv["cooperation"] >= 1.0 or lv["dfft_multilateral_push"] >= w.adequacy_dfft_push)
        updated = regimes.update_adequacy(st.adequacy, st.regime, st.capacity, st.third, grantable, s.adequacy_openness, dt, u[4], w)
        st.adequacy = np.where(st.adequacy_locked_until > year, st.adequacy, updated)
        st.capacity = np.minimum(1.0, st.capacity + dt * w.capacity_growth)
        self.t += 1
        self.year = c["_years"][self.t] if self.t < len(c["_years"]) else float(s.year_of(self.t))

    def _procure(self, lv: dict, dt: float, finance: np.ndarray) -> None:
        st, w, c = self.state, self.w, self.const
        hr, price = c["high_risk"], c["price"]
        allowed = np.take(self.allowed_by_policy, st.policy, axis=-1)  # (layer, vendor, state)
        renewal, rip = c["renewal"] * dt, 1.0 - (1.0 - w.rip_rate) ** dt
        constants = np.stack([c["vendor_constant"]["core"], c["vendor_constant"]["ran"]])
        per_vendor = vendors.vendor_terms(price, st.quality, st.reach, w, constants)[:, 0, :, None]
        fixed = per_vendor + (w.gamma_finance * finance - (w.gamma_risk * hr.astype(float))[:, None] * st.threat)
        updated, new, unrestricted, room, ripped = vendors.procure(self.installed, allowed, fixed, w.gamma_lockin, renewal, rip)
        self.installed = updated
        st.core, st.ran = updated[0].T, updated[1].T
        restricted = np.array([st.policy >= 1, st.policy == 2])
        if restricted.any():
            half_value = 0.5 * w.lifecycle_years * c["_spend"]
            premium = room * (price @ (new - unrestricted))
            cost = half_value * np.where(restricted, np.maximum(premium, 0.0), 0.0)
            st.premium_paid += cost[0] + cost[1]
            st.rip_paid += half_value * (ripped[0] + ripped[1])
        st.hr_core, st.hr_ran = hr.astype(float) @ updated
        sold = new @ (room * c["_market"])[..., None]
        revenue = w.omega_core * sold[0, :, 0] + sold[1, :, 0]
        revenue_share = revenue / revenue.sum()
        hard = max(0.0, lv["us_china_conflict"] - w.hard_conflict) / max(1e-9, 1.0 - w.hard_conflict)
        push = np.where(c["japanese"], lv["japan_vendor_push"], 0.0)
        st.quality = vendors.vendor_quality(
            st.quality, c["quality_2019"], revenue_share, c["revenue_share_2019"], np.where(hr, hard, 0.0), push, dt, w
        )
        st.reach = np.clip(st.reach + dt * w.push_reach * push, 0.0, 1.0)

    def _oda(self, lv: dict, u_infra: np.ndarray, u_other: np.ndarray) -> None:
        st, w, s, c = self.state, self.w, self.spec, self.const
        coordination = lv["eu_jp_oda_coordination"]
        budget = c["donor_budget_2019"] * lv["oda_scale"]
        budget[DONORS.index("CHN")] *= lv["digital_silk_road_intensity"]
        eff_budget, staff = oda.effective_budgets(budget, c["donor_staffing"], coordination, c["_pair"], w)
        priority = c["_priority_base"] * (1.0 + lv["open_connected_ring"] * np.outer(c["_ring_donor"], c["_ocre"]))
        alignment = np.clip(0.5 + 0.5 * np.outer(c["donor_camp"], st.align_us - st.align_cn), 0.05, 1.0)
        scores = oda.targeting_scores(priority, 1.0 - st.capacity, alignment, c["oda_eligible"])
        scores = oda.remove_double_targeting(scores, c["_pair"], coordination)
        amounts = oda.make_offers(scores, eff_budget, np.round(w.oda_reach * staff))
        bonus = np.zeros_like(amounts)
        if s.india_trilateral:
            bonus[list(c["_pair"])] += w.india_bonus * c["_india_linked"][None, :]
        speed = c["donor_speed"] * np.minimum(1.0, staff / FULL_STAFFING)
        util = oda.offer_utilities(amounts, st.gdp, speed, c["donor_conditions"], st.freedom, alignment, bonus, w)
        offered = amounts.T > 0
        infra_offered = offered & (c["donor_programs"][:, 2] > 0)[None, :]
        infra_busy = (self.year - st.last_infra.max(axis=1)) < w.tied_finance_years
        infra, other = oda.accept_offers(util, offered, infra_offered, infra_busy, s.beta_oda, u_infra, u_other, w)
        accepted = infra | other
        st.last_accept = np.where(accepted, self.year, st.last_accept)
        st.last_infra = np.where(infra, self.year, st.last_infra)
        money = amounts.T * c["donor_programs"][:, 0][None, :] * other
        money = money + 0.5 * amounts.T * c["donor_programs"][:, 1][None, :] * other
        st.capacity = np.minimum(1.0, st.capacity + oda.capacity_gain(money.sum(axis=1), st.gdp, w))
        st.strength = oda.partnership_strength(st.strength, accepted, 1.0, w)
