"""WorldModel: builds the world from a scenario and sequences the three decisions each step.

One step (a quarter by default):

1. timed events of the scenario apply (a shock, a policy imposed on a state);
2. once a year, digital-ODA donors make offers and recipients accept (``decisions.oda``);
3. threat perception moves; revising states pick their 5G security policy; renewed core and
   radio capacity is bought; vendors' quality follows their revenue (``decisions.vendors``);
4. revising third countries pick their data-flow regime; the EU grants adequacy
   (``decisions.regimes``);
5. outcomes and every state's decisions are recorded (``connsim.recorder``).

Powers (Japan, the US, China) hold their own policy and regime as scenario levers; member states'
regime follows the EU's. All randomness comes from ``model.rng``: a fixed block of uniform
numbers per step, so a run is a pure function of scenario and seed.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
from scipy import sparse

from connsim.agents import MemberState, Power, ThirdCountry, Vendor
from connsim.choice import revise_choices, revising, row_max, row_sum
from connsim.decisions import oda, regimes, vendors
from connsim.memo import digest as _digest
from connsim.memo import memo as _memo
from connsim.recorder import Recorder
from connsim.scenario import DONORS, Scenario, load_scenario, schedule_at
from connsim.seeds import POLICIES, PROGRAMS, REGIMES, load_seeds
from connsim.world import (
    DONOR_CAMP, DONOR_PRIORITY, DONOR_REGIME, EQUIPMENT_SPEND_SHARE, INDIA_LINKED_REGIONS, OCRE_REGIONS,
    OCRE_UN_REGIONS, KINDS, build_world,
)

__all__ = ["WorldModel"]

_CLASSES = {"Power": Power, "MemberState": MemberState, "ThirdCountry": ThirdCountry}
_N_UNIFORMS = 6 + len(DONORS)  # random numbers drawn per state per step, whatever happens
FULL_STAFFING = 0.7  # staffing at which a donor works at its full speed


_SEED_CONSTANTS: dict[int, tuple] = {}


def _seed_constants(seeds) -> dict:
    """Vendor, regime and donor constants from the seed tables, computed once per ``Seeds``."""
    hit = _SEED_CONSTANTS.get(id(seeds))
    if hit is not None and hit[0] is seeds:
        return hit[1]
    v = seeds.vendors
    high_risk = v["high_risk"].to_numpy(bool)
    origin = tuple(v["origin_iso3"].tolist())
    dn = seeds.donors.set_index("donor").loc[list(DONORS)]
    eu_origin = set(seeds.countries.loc[seeds.countries["eu_member"] == 1, "iso3"])
    tie = np.zeros((len(DONORS), len(origin)))
    for j, d in enumerate(DONORS):
        for k, o in enumerate(origin):
            if d in ("EUU", "MS"):
                tie[j, k] = o in eu_origin
            elif d == "JPN":
                tie[j, k] = o == "JPN"
            elif d == "USA":
                tie[j, k] = (not high_risk[k]) and o != "JPN"
            else:
                tie[j, k] = o == "CHN"
    out = {
        "vendor_names": tuple(v["vendor"]),
        "high_risk": high_risk,
        "price": v["price_index"].to_numpy(float),
        "origin": origin,
        "capacity_need": seeds.regimes.set_index("regime").loc[list(REGIMES), "capacity_need"].to_numpy(float),
        "donor_budget_2019": dn["digital_oda_usd_2019"].to_numpy(float),
        "donor_staffing": dn["staffing"].to_numpy(float),
        "donor_programs": dn[["share_" + p for p in PROGRAMS]].to_numpy(float),
        "donor_speed": dn["speed"].to_numpy(float),
        "donor_conditions": dn["conditionality"].to_numpy(float),
        "donor_vendor_tie": tie,
    }
    if len(_SEED_CONSTANTS) >= 8:
        _SEED_CONSTANTS.clear()
    _SEED_CONSTANTS[id(seeds)] = (seeds, out)
    return out


class WorldModel(mesa.Model):
    """The world of digital connectivity after the EU-Japan partnership (from end-2019).

    Parameters
    ----------
    scenario : a library name, a TOML path, a dict or a :class:`~connsim.scenario.Scenario`.
    rng : seed or numpy Generator; the only source of randomness.

    The scenario is at ``model.spec`` (Mesa 3.5 reserves ``model.scenario`` for its own use).
    State arrays are at ``model.state``; networkx graphs at ``model.trade_graph()``,
    ``model.security_graph()``, ``model.data_flow_graph()`` and ``model.oda_graph()``.
    """

    def __init__(self, scenario: "str | Path | Scenario | dict" = "baseline", rng=None, *, record_agents: bool = True):
        super().__init__(rng=rng)
        self.spec: Scenario = load_scenario(scenario)
        self.seeds = load_seeds()
        s, w = self.spec, self.spec.weights
        self.w = w
        self.t = 0
        self.year = float(s.start_year)
        self.state = build_world(self.seeds, s, self.rng)
        st = self.state
        sc = _seed_constants(self.seeds)
        self.vendor_names = sc["vendor_names"]
        self.high_risk = sc["high_risk"].copy()
        self.price = sc["price"].copy()
        self.high_risk.flags.writeable = self.price.flags.writeable = False  # lookups below derive from them
        self.quality_2019 = st.quality.copy()
        origin = list(sc["origin"])
        real = st.iso3[: int((~st.synthetic).sum())]  # synthetic states (S001...) come last
        index_of = {code: i for i, code in enumerate(real)}
        self.vendor_origin = np.array([index_of.get(o, -1) for o in origin])
        self.japanese = np.array([o == "JPN" for o in origin])
        self.compat_base = self.seeds.compatibility_matrix
        self.capacity_need = sc["capacity_need"].copy()
        self._rows = {code: index_of[code] for code in ("JPN", "USA", "CHN")}

        # --- donors
        self.donors = DONORS
        self.donor_budget_2019 = sc["donor_budget_2019"].copy()
        self.donor_staffing = np.array([s.oda_staffing.get(d, sc["donor_staffing"][j]) for j, d in enumerate(DONORS)], float)
        self.donor_programs = sc["donor_programs"].copy()
        self.donor_speed = sc["donor_speed"].copy()
        self.donor_conditions = sc["donor_conditions"].copy()
        self.donor_regime = np.array([REGIMES.index(DONOR_REGIME[d]) for d in DONORS])
        self.donor_camp = np.array([DONOR_CAMP[d] for d in DONORS])
        self.donor_vendor_tie = sc["donor_vendor_tie"].copy()
        self._vendor_tie_t = np.ascontiguousarray(self.donor_vendor_tie.T)
        self._pair = (DONORS.index("EUU"), DONORS.index("JPN"))
        self._western_donor = self.donor_camp > 0
        self._oda_pull = np.zeros((len(DONORS), 4))  # a partnership pulls toward its donor's regime
        self._oda_pull[np.arange(len(DONORS)), self.donor_regime] = w.kappa_oda_regime
        self._pulls = None  # this step's pulls of ODA partnerships (see _partnership_pulls)
        self._policy_terms_of = None
        self.oda_eligible = st.third & (st.gdp_per_capita < w.oda_income_ceiling)
        # donor x recipient alignment, 0.05..1: a western donor's rises with the recipient's
        # alignment with the US over China, China's the other way (alignments are fixed for a run)
        self._oda_alignment = np.clip(0.5 + 0.5 * np.outer(self.donor_camp, st.align_us - st.align_cn), 0.05, 1.0)
        self._priority_base, self._ocre, self._india_linked = (a.copy() for a in _memo(
            ("regions", _digest(st.paper_region, st.region)), lambda: self._regional_targets(st.paper_region, st.region)
        ))
        self._ring_donor = np.isin(np.array(DONORS), ["EUU", "MS", "JPN"])

        # --- networks and fixed decision inputs
        b = st.blocs
        bloc_t, bloc, bloc_inv, bloc_deg, bloc_count = _memo(
            ("blocs", _digest(b.shape, b.indptr, b.indices, b.data)), lambda: self._bloc_constants(st.blocs)
        )
        self._bloc_t, self._bloc = bloc_t.copy(), bloc.copy()
        self._bloc_inv, self._bloc_deg, self._bloc_count = bloc_inv.copy(), bloc_deg.copy(), bloc_count.copy()
        self._in_a_bloc, self._blocs_at_least_1 = self._bloc_count > 0, np.maximum(self._bloc_count, 1)
        self.disposition = regimes.dispositions(st.freedom, st.rule_of_law01, w)
        self.policy_deciders = ~st.power  # member states and third countries
        self.regime_deciders = st.third.copy()
        self.renewal = 1.0 / w.lifecycle_years
        spend = EQUIPMENT_SPEND_SHARE * st.gdp
        self._spend = spend  # yearly equipment spend, US$
        self._market = st.gdp / st.gdp.sum()
        self._events = sorted(s.events, key=lambda e: e.year)
        self._next_event = 0
        self.conflict_shock = 0.0
        self.revenue_share_2019 = None
        self._terms_policy = {k: np.zeros((st.n, 3)) for k in vendors.POLICY_TERMS}
        self._terms_regime = {k: np.zeros((st.n, 4)) for k in regimes.REGIME_TERMS}
        self._revised_policy = np.zeros(st.n, bool)
        self._revised_regime = np.zeros(st.n, bool)
        self._regime_cache_key = None
        self._edges_of = None  # the trade network whose edges self._edges lists
        self._offers = np.zeros((len(DONORS), st.n))
        self._years = np.asarray(s.year_of(np.arange(self.n_steps + 1)), dtype=float).tolist()
        self._levers_by_step = self._lever_table()
        self._refresh_partnerships()
        self._levers = self._lever_values(self.year)
        # procurement works on vendor-major arrays (layer, vendor, state): see vendors.procure
        allowed = np.array(vendors.allowed_vendors(np.arange(3), self.high_risk))  # (layer, policy, vendor)
        self._allowed_by_policy = np.ascontiguousarray(allowed.transpose(0, 2, 1))  # (layer, vendor, policy)
        self._restricted_by_policy = np.array([np.arange(3) >= 1, np.arange(3) == 2])  # (layer, policy)
        self._sides = np.stack([~self.high_risk, self.high_risk]).astype(float)  # (trusted / high-risk, vendor)
        self._risk_column = w.gamma_risk * self.high_risk.astype(float)[:, None]  # (vendor, 1)
        self._installed, self._installed_views = None, (None, None)
        self._start_vendors()  # vendor constants, and the revenue shares of 2019

        # --- Mesa agents: thin views on the arrays
        self.union = Power(self, -1, "EUU", "European Union", "Europe", "Power")
        classes = [_CLASSES[k] for k in KINDS]
        for i, (kind, iso3, name, region, paper_region) in enumerate(
            zip(st.kind.tolist(), st.iso3.tolist(), st.name.tolist(), st.region.tolist(), st.paper_region.tolist())
        ):
            classes[kind](self, i, iso3, name, region, paper_region)
        for k, name in enumerate(self.vendor_names):
            Vendor(self, k, name, origin[k], self.high_risk[k])
        self.recorder = Recorder(self, record_agents=record_agents)
        self.recorder.collect()

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _regional_targets(paper_region: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each donor's priority for each state's region (donors, n); the states of the Open and
        Connected Ring's regions; the states an India trilateral reaches."""
        regions, where = np.unique(paper_region.astype(str), return_inverse=True)
        priority = np.stack([np.array([DONOR_PRIORITY[d].get(r, 0.0) for r in regions], float)[where.ravel()] for d in DONORS])
        ocre = np.isin(paper_region, OCRE_REGIONS) | np.isin(region, OCRE_UN_REGIONS)
        return priority, ocre, np.isin(paper_region, INDIA_LINKED_REGIONS)

    @staticmethod
    def _bloc_constants(blocs) -> tuple:
        """Bloc membership transposed, 1 / (size - 1) per bloc, each state's sum of it, and its
        number of blocs: the security peers of :meth:`step` as two matrix-vector products.
        Membership is held dense, (states, blocs): linear in the states, for a fixed list of blocs."""
        sizes = np.asarray(blocs.sum(axis=0)).ravel()
        inv = np.where(sizes > 1, 1.0 / np.maximum(sizes - 1, 1), 0.0)
        dense = blocs.toarray().astype(float)
        return np.ascontiguousarray(dense.T), dense, inv, dense @ inv, dense.sum(axis=1)

    @property
    def n_steps(self) -> int:
        return self.spec.n_steps

    _SCHEDULED = (
        "us_china_conflict", "us_pressure", "eu_toolbox_strength", "japan_vendor_push", "digital_silk_road_intensity",
        "dfft_multilateral_push", "eu_jp_oda_coordination", "open_connected_ring",
    )

    def _lever_table(self) -> list[dict]:
        """The levers at the start of every step, computed once (``schedule_at`` on all the
        steps' years at once; the conflict shock of events is added when the step runs)."""
        s = self.spec
        years = np.asarray(s.year_of(np.arange(self.n_steps + 1)), dtype=float)
        rows = len(years)

        def series(value) -> list[float]:
            return schedule_at(value, years).tolist()

        columns = {name: series(getattr(s, name)) for name in self._SCHEDULED}
        scale = np.array([series(s.oda_budget_scale.get(d, 1.0)) for d in DONORS]).T  # (steps, donors)
        coop = s.cooperation_level
        table = []
        for t in range(rows):
            lv = {name: columns[name][t] for name in self._SCHEDULED}
            lv["cooperation"] = coop
            lv["infoshare"] = coop
            lv["oda_scale"] = scale[t]
            table.append(lv)
        return table

    def _levers_at_step(self) -> dict:
        """The levers of the current step (see :meth:`_lever_values`)."""
        if self.t >= len(self._levers_by_step) or self.year != self._years[self.t]:
            return self._lever_values(self.year)
        lv = dict(self._levers_by_step[self.t])
        lv["oda_scale"] = lv["oda_scale"].copy()
        x = lv["us_china_conflict"] + self.conflict_shock
        lv["us_china_conflict"] = float(np.clip(x, 0.0, 1.0)) if not 0.0 <= x <= 1.0 else float(x)
        return lv

    def _lever_values(self, year: float) -> dict:
        s = self.spec
        at = s.at
        lv = {name: at(name, year) for name in self._SCHEDULED}
        lv["us_china_conflict"] = float(np.clip(lv["us_china_conflict"] + self.conflict_shock, 0.0, 1.0))
        lv["cooperation"] = s.cooperation_level
        lv["infoshare"] = s.cooperation_level
        lv["oda_scale"] = np.array([schedule_at(s.oda_budget_scale.get(d, 1.0), year) for d in DONORS])
        return lv

    def step(self) -> None:
        """Advance the world by one step (see the module docstring for the order)."""
        s, st, w = self.spec, self.state, self.w
        if self.t >= self.n_steps:
            raise RuntimeError(
                f"scenario {s.name!r} ends after {self.n_steps} steps (the end of {s.end_year}); "
                "to run further, give it a later end_year: load_scenario(...).replace(end_year=...)"
            )
        dt = s.dt
        self._apply_events()
        lv = self._levers = self._levers_at_step()
        u = self.rng.random((_N_UNIFORMS, st.n))
        if self.t % s.steps_per_year == 0:
            self._oda_round(lv, u[5], u[6:].T)
        self._refresh_partnerships()

        # --- 5G: threat, security policy, procurement, vendors
        japan_threat = st.threat[self._rows["JPN"]]
        restricting = (st.policy > 0).astype(float)
        bloc_rate = self._bloc_t @ restricting
        peers = np.where(
            self._in_a_bloc,  # self._bloc_count > 0
            (self._bloc @ (bloc_rate * self._bloc_inv) - restricting * self._bloc_deg) / self._blocs_at_least_1,
            0.0,
        )
        self._pulls = self._partnership_pulls()  # the regime decision below uses them too
        western_minus_chinese = self._pulls[0]
        st.threat = vendors.threat_perception(
            st.threat, st.security_culture, st.align_us, peers, western_minus_chinese, st.member,
            lv["us_china_conflict"], lv["eu_toolbox_strength"], lv["infoshare"], japan_threat, dt, w,
        )
        price_gap = self._price_gap()
        toolbox_pull, lever_terms = self._policy_lever_terms(lv)
        util, terms = vendors.policy_utilities(
            st.threat, st.hr_core, st.hr_ran, price_gap, st.income, st.trade_cn, st.align_us, st.align_cn,
            lv["us_china_conflict"], lv["us_pressure"], toolbox_pull, st.policy, w, lever_terms=lever_terms,
        )
        p_step = 1.0 - (1.0 - s.revision_probability) ** dt
        revise = self.policy_deciders & revising(p_step, u[0]) & (st.policy_locked_until <= self.year)
        st.policy = revise_choices(st.policy, revise, util, s.beta_policy, u[1])
        self._revised_policy = revise
        self._terms_policy = terms
        self._procure(dt)

        # --- data-flow regimes and adequacy
        self._decide_regimes(lv, u[2], u[3], p_step)
        grantable = regimes.adequacy_grantable(lv["cooperation"] >= 1.0 or lv["dfft_multilateral_push"] >= w.adequacy_dfft_push)
        updated = regimes.update_adequacy(st.adequacy, st.regime, st.capacity, st.third, grantable, s.adequacy_openness, dt, u[4], w)
        st.adequacy = np.where(st.adequacy_locked_until > self.year, st.adequacy, updated)
        st.capacity = np.minimum(1.0, st.capacity + dt * w.capacity_growth)

        self.t += 1
        self.year = self._years[self.t] if self.t < len(self._years) else float(s.year_of(self.t))
        self.recorder.collect()
        self.running = self.t < self.n_steps

    # ------------------------------------------------------------------------------------------
    def _price_gap(self) -> float:
        """Relative price premium of trusted over high-risk vendors (market-share weighted)."""
        share = self._installed_layers()[1] @ self._market  # world_vendor_shares("ran")
        trusted, hr = self.high_risk == 0, self.high_risk
        add = np.add.reduce  # ndarray.sum() without its Python wrapper
        s_tr, s_hr = share[trusted], share[hr]
        p_tr = add(self.price[trusted] * s_tr) / max(add(s_tr), 1e-9)
        hr_total = add(s_hr)
        if hr_total > 1e-9:
            return float(p_tr / (add(self.price[hr] * s_hr) / hr_total) - 1.0)
        return float(p_tr / self.price[hr].min() - 1.0)

    def _installed_layers(self) -> np.ndarray:
        """The installed core and radio networks, vendor-major: (layer, vendor, state).
        ``state.core`` and ``state.ran`` are (state, vendor) views of it; if a user has replaced
        either, they are stacked again."""
        st = self.state
        if st.core is self._installed_views[0] and st.ran is self._installed_views[1]:
            return self._installed
        return np.ascontiguousarray(np.stack([st.core.T, st.ran.T]))

    def _set_installed(self, layers: np.ndarray) -> None:
        self._installed = layers
        self.state.core, self.state.ran = self._installed_views = (layers[0].T, layers[1].T)

    def _start_vendors(self) -> None:
        """Vendor constants per layer so that 2019 purchases reproduce 2019 world shares
        (:meth:`_calibrate`), then the 2019 revenue shares (a procurement with no time passing).

        Both are pure functions of the starting world and the weights, so they are computed once
        per process for each distinct start (every seed of a scenario without synthetic states
        starts from the same world) and looked up by a digest of their inputs."""
        st, w = self.state, self.w
        cls = type(self)
        weights = tuple(getattr(w, k) for k in (
            "gamma_price", "gamma_quality", "gamma_reach", "gamma_lockin", "gamma_finance", "gamma_risk", "omega_core",
            "rip_rate", "lifecycle_years"))
        key = ("vendors", cls._calibrate, cls._procure, _digest(
            weights, self.price, st.quality, st.reach, st.core, st.ran, st.finance, st.threat, self.high_risk, st.policy,
            self._market))

        def start():
            self._calibrate_vendor_constants()
            self._procure(0.0)
            return (self.vendor_constant, self._installed.copy(), st.hr_core.copy(), st.hr_ran.copy(),
                    self.revenue_share_2019.copy(), st.quality.copy(), st.reach.copy())

        constants, installed, hr_core, hr_ran, revenue, quality, reach = _memo(key, start)
        self.vendor_constant = {layer: c.copy() for layer, c in constants.items()}
        self._vendor_constants = np.stack([self.vendor_constant["core"], self.vendor_constant["ran"]])
        self._set_installed(installed.copy())
        st.hr_core, st.hr_ran = hr_core.copy(), hr_ran.copy()
        self.revenue_share_2019, self.revenue_share = revenue.copy(), revenue.copy()
        st.quality, st.reach = quality.copy(), reach.copy()

    def _calibrate_vendor_constants(self) -> None:
        """Vendor constants per layer so that 2019 purchases reproduce 2019 world shares."""
        self.vendor_constant = self._calibrate(self.state, self.w)
        self._vendor_constants = np.stack([self.vendor_constant["core"], self.vendor_constant["ran"]])

    def _calibrate(self, st, w) -> dict[str, np.ndarray]:
        allowed = dict(zip(("core", "ran"), vendors.allowed_vendors(st.policy, self.high_risk)))
        constants = {}
        # the terms that do not depend on the constants, once (the sum is the same)
        fixed = dict(finance_term=w.gamma_finance * st.finance, risk_term=w.gamma_risk * st.threat[:, None] * self.high_risk[None, :])
        for layer in ("core", "ran"):
            installed = getattr(st, layer)
            target = self._market @ installed

            def shares(c, layer=layer, installed=installed):
                v = vendors.procurement_utilities(
                    self.price, st.quality, st.reach, installed, st.finance, st.threat, self.high_risk, w, c, **fixed
                )
                return vendors.logit_shares(v, allowed[layer])

            constants[layer] = vendors.calibrate_constants(target, self._market, shares)
        return constants

    def _procure(self, dt: float) -> None:
        """Renew core and radio capacity, pay for autonomy, and move vendors' quality.

        Both layers and every state at once, with :func:`vendors.procure` on vendor-major arrays
        (layer, vendor, state): layer 0 is the core, 1 the radio network."""
        st, w, lv = self.state, self.w, self._levers
        allowed = np.take(self._allowed_by_policy, st.policy, axis=-1)  # vendors.allowed_vendors, by policy
        renewal, rip = self.renewal * dt, 1.0 - (1.0 - w.rip_rate) ** dt
        installed = self._installed_layers()
        finance = self._finance_layers()
        per_vendor = vendors.vendor_terms(self.price, st.quality, st.reach, w, self._vendor_constants)[:, 0, :, None]
        fixed = per_vendor + (w.gamma_finance * finance - self._risk_column * st.threat)  # (layer, vendor, state)
        updated, new, unrestricted, room, ripped = vendors.procure(installed, allowed, fixed, w.gamma_lockin, renewal, rip)
        self._set_installed(updated)
        if dt > 0:
            restricted = np.take(self._restricted_by_policy, st.policy, axis=1)  # core: policy >= 1, radio: policy == 2
            if restricted.any():
                # the cost of autonomy, each layer half the network's value: equipment ripped out
                # early, and the premium over what the state would have bought with no restriction
                # (a layer nobody restricts adds zeros: nothing ripped, no premium)
                half_value = 0.5 * w.lifecycle_years * self._spend  # half a network's replacement value
                premium = room * (self.price @ (new - unrestricted))  # (layer, state)
                cost = half_value * np.where(restricted, np.maximum(premium, 0.0), 0.0)
                st.premium_paid += cost[0] + cost[1]
                st.rip_paid += half_value * (ripped[0] + ripped[1])
        st.hr_core, st.hr_ran = self._sides[1] @ updated  # high-risk shares of each layer
        # vendors: revenue from what they sold, core weighted omega (at dt = 0: the 2019 base)
        sold = new @ (self._market if dt == 0 else room * self._market)[..., None]  # (layer, vendor, 1)
        revenue = w.omega_core * sold[0, :, 0] + sold[1, :, 0]
        if dt == 0:
            self.revenue_share_2019 = self.revenue_share = revenue / revenue.sum()
            return
        self.revenue_share = revenue / revenue.sum()
        hard = max(0.0, lv["us_china_conflict"] - w.hard_conflict) / max(1e-9, 1.0 - w.hard_conflict)
        export_control = np.where(self.high_risk, hard, 0.0)
        push = np.where(self.japanese, lv["japan_vendor_push"], 0.0)
        st.quality = vendors.vendor_quality(
            st.quality, self.quality_2019, self.revenue_share, self.revenue_share_2019, export_control, push, dt, w
        )
        st.reach = np.minimum(np.maximum(st.reach + dt * w.push_reach * push, 0.0), 1.0)  # np.clip

    def _decide_regimes(self, lv: dict, u_revise: np.ndarray, u_choice: np.ndarray, p_step: float) -> None:
        st, w, s = self.state, self.w, self.spec
        key = (lv["dfft_multilateral_push"], lv["cooperation"], lv["us_pressure"], lv["digital_silk_road_intensity"])
        if key != self._regime_cache_key:  # lever-given parts, recomputed only when a lever moves
            compat = regimes.effective_compatibility(
                self.compat_base, lv["dfft_multilateral_push"], regimes.interoperability(lv["cooperation"]), w
            )
            compat.flags.writeable = False
            influence = np.zeros((st.n, 4))
            influence[:, regimes.PROTECT] += w.kappa_brussels * st.trade_eu
            influence[:, regimes.OPEN] += w.kappa_us_regime * st.align_us * lv["us_pressure"]
            influence[:, regimes.SOVEREIGN] += w.kappa_cn_regime * st.align_cn * min(lv["digital_silk_road_intensity"], 2.0) / 2.0
            influence[:, regimes.TRUST] += w.kappa_jp_regime * lv["dfft_multilateral_push"]
            self._regime_cache = (compat, influence)
            self._regime_cache_key = key
        compat, influence_levers = self._regime_cache
        self.compatibility = compat
        partner_shares = self._partner_shares(st.regime)  # st.trade @ onehot(regime)
        influence = influence_levers + self._pulls[1]  # + st.strength @ oda_pull
        util, terms = regimes.regime_utilities(
            self.disposition, partner_shares, compat, st.trade_eu, st.adequacy, st.capacity, self.capacity_need, influence, st.regime, w,
        )
        revise = self.regime_deciders & revising(p_step, u_revise) & (st.regime_locked_until <= self.year)
        st.regime = revise_choices(st.regime, revise, util, s.beta_regime, u_choice)
        self._revised_regime = revise
        self._terms_regime = terms

    def _partner_shares(self, regime: np.ndarray) -> np.ndarray:
        """Each state's trade-weighted share of partners in each regime, ``trade @ onehot(regime)``:
        one ``bincount`` over the trade network's edges (O(edges), no (n, 4) one-hot)."""
        trade = self.state.trade
        if self._edges_of is not trade:
            n = trade.shape[0]
            rows = np.repeat(np.arange(n), np.diff(trade.indptr))
            self._edges = (4 * rows, trade.indices, trade.data, 4 * n)
            self._edges_of = trade
        slot, cols, weight, size = self._edges
        return np.bincount(slot + regime[cols], weights=weight, minlength=size).reshape(-1, 4)

    def _oda_round(self, lv: dict, u_infra: np.ndarray, u_other: np.ndarray) -> None:
        st, w, s = self.state, self.w, self.spec
        coordination = lv["eu_jp_oda_coordination"]
        budget = self.donor_budget_2019 * lv["oda_scale"]
        budget[DONORS.index("CHN")] *= lv["digital_silk_road_intensity"]
        eff_budget, staff = oda.effective_budgets(budget, self.donor_staffing, coordination, self._pair, w)
        priority = self._priority_base * (1.0 + lv["open_connected_ring"] * np.outer(self._ring_donor, self._ocre))
        alignment = self._oda_alignment
        scores = oda.targeting_scores(priority, 1.0 - st.capacity, alignment, self.oda_eligible)
        scores = oda.remove_double_targeting(scores, self._pair, coordination)
        amounts = oda.make_offers(scores, eff_budget, np.round(w.oda_reach * staff))
        self._offers = amounts
        bonus = np.zeros_like(amounts)
        if s.india_trilateral:
            bonus[list(self._pair)] += w.india_bonus * self._india_linked[None, :]
        speed = self.donor_speed * np.minimum(1.0, staff / FULL_STAFFING)  # understaffed donors are slower
        util = oda.offer_utilities(amounts, st.gdp, speed, self.donor_conditions, st.freedom, alignment, bonus, w)
        offered = amounts.T > 0
        infra_offered = offered & (self.donor_programs[:, 2] > 0)[None, :]
        infra_busy = (self.year - row_max(st.last_infra)) < w.tied_finance_years  # row_max: .max(axis=1)
        infra, other = oda.accept_offers(util, offered, infra_offered, infra_busy, s.beta_oda, u_infra, u_other, w)
        accepted = infra | other
        st.last_accept = np.where(accepted, self.year, st.last_accept)
        st.last_infra = np.where(infra, self.year, st.last_infra)
        money = amounts.T * self.donor_programs[:, 0][None, :] * other  # capacity building
        money = money + 0.5 * amounts.T * self.donor_programs[:, 1][None, :] * other  # inclusion helps too
        st.capacity = np.minimum(1.0, st.capacity + oda.capacity_gain(money.sum(axis=1), st.gdp, w))
        st.strength = oda.partnership_strength(st.strength, accepted, 1.0, w)

    def _policy_lever_terms(self, lv: dict) -> tuple[np.ndarray, dict]:
        """The toolbox pull (the EU toolbox strength for member states) and
        :func:`vendors.policy_lever_terms`, computed again only when a lever they depend on moves
        (the attributes they read are fixed for a run: see ``connsim.world.FIXED``)."""
        st = self.state
        key = (lv["us_china_conflict"], lv["us_pressure"], lv["eu_toolbox_strength"])
        held = self._policy_terms_of
        if held is None or held[0] != key:
            toolbox_pull = np.where(st.member, lv["eu_toolbox_strength"], 0.0)
            terms = vendors.policy_lever_terms(
                st.income, st.trade_cn, st.align_us, st.align_cn, lv["us_china_conflict"], lv["us_pressure"], toolbox_pull, self.w
            )
            held = self._policy_terms_of = (key, toolbox_pull, terms)
        return held[1], held[2]

    def _partnership_pulls(self) -> tuple[np.ndarray, np.ndarray]:
        """What ODA partnerships pull each state toward: the strength of its western minus its
        Chinese partnerships (threat perception), and ``strength @ oda_pull``, the pull toward
        each donor's regime (n, 4). Computed once a step, after the ODA round (``state.strength``
        is state a user may set, so it is not cached across steps)."""
        strength = self.state.strength
        western = row_sum(strength[:, self._western_donor])  # = .sum(axis=1), bit for bit
        chinese = row_sum(strength[:, ~self._western_donor])
        return western - chinese, strength @ self._oda_pull

    def _refresh_partnerships(self) -> None:
        st, w = self.state, self.w
        st.partnership_active = (self.year - st.last_accept) < w.partnership_years
        tied = (self.year - st.last_infra) < w.tied_finance_years
        self._finance = self._vendor_tie_t @ tied.T  # (vendor, state): tied finance from each vendor
        st.finance = self._finance.T

    def _finance_layers(self) -> np.ndarray:
        """``state.finance`` vendor-major (vendor, state); it is a view of the model's array
        unless a user has replaced it."""
        st = self.state
        return self._finance if st.finance.base is self._finance else st.finance.T

    def _apply_events(self) -> None:
        st = self.state
        while self._next_event < len(self._events) and self._events[self._next_event].year <= self.year + 1e-9:
            ev = self._events[self._next_event]
            self._next_event += 1
            until = np.inf if ev.hold_years is None else self.year + ev.hold_years
            if ev.kind == "conflict_shock":
                self.conflict_shock += float(ev.value)
                continue
            i = int(np.nonzero(st.iso3 == ev.iso3)[0][0])
            if ev.kind == "vendor_policy":
                st.policy[i] = POLICIES.index(ev.value)
                st.policy_locked_until[i] = until
            elif ev.kind == "regime":
                st.regime[i] = REGIMES.index(ev.value)
                st.regime_locked_until[i] = until
            elif ev.kind == "adequacy":
                st.adequacy[i] = bool(ev.value)
                st.adequacy_locked_until[i] = until

    # --- views for users -----------------------------------------------------------------------
    def world_vendor_shares(self, layer: str = "ran") -> np.ndarray:
        """Each vendor's share of the world's installed core or radio network (GDP-weighted)."""
        return self._market @ getattr(self.state, layer)

    def union_view(self, name: str):
        """Attributes of the EU itself, answered for the Union as a whole (its member states)."""
        st, m = self.state, self.state.member
        g = st.gdp[m]
        if name == "vendor_policy":
            return "toolbox"
        if name == "regime":
            return "protect"
        if name == "adequacy":
            return True
        if name == "oda_partners":
            j = DONORS.index("EUU")
            return list(st.iso3[st.partnership_active[:, j]])
        if name in ("gdp", "population"):
            return float(getattr(st, name)[m].sum())
        arr = {"threat": st.threat, "capacity": st.capacity, "hr_core_share": st.hr_core, "hr_ran_share": st.hr_ran}[name]
        return float((arr[m] * g).sum() / g.sum())

    def agent(self, iso3: str):
        """The agent of a state (or ``EUU`` for the Union) by ISO3 code."""
        if iso3 == "EUU":
            return self.union
        for a in self.agents:
            if getattr(a, "iso3", None) == iso3:
                return a
        raise KeyError(f"no state {iso3!r} in this world")

    def trade_graph(self):
        """Directed trade network (networkx): edge i -> j weighted by j's share of i's trade."""
        import networkx as nx

        g = nx.DiGraph()
        st = self.state
        g.add_nodes_from(st.iso3)
        coo = st.trade.tocoo()
        g.add_weighted_edges_from(zip(st.iso3[coo.row], st.iso3[coo.col], coo.data))
        return g

    def security_graph(self):
        """Security alignment (networkx): states tied when they share a bloc (NATO, SCO, ...),
        plus each state's ties to the US and China weighted by its alignment."""
        import networkx as nx

        st = self.state
        g = nx.Graph()
        g.add_nodes_from(st.iso3)
        coo = st.blocs.tocsc()
        for b, name in enumerate(st.bloc_names):
            members = st.iso3[coo.indices[coo.indptr[b]:coo.indptr[b + 1]]]
            for i, a in enumerate(members):
                for c in members[i + 1:]:
                    blocs = g.edges[a, c]["blocs"] + (name,) if g.has_edge(a, c) else (name,)
                    g.add_edge(a, c, blocs=blocs)
        for i, c in enumerate(st.iso3):
            for power, align in (("USA", st.align_us[i]), ("CHN", st.align_cn[i])):
                if c != power:
                    g.add_edge(c, power, **{**g.edges[c, power], f"align_{power.lower()}": float(align)} if g.has_edge(c, power) else {f"align_{power.lower()}": float(align)})
        return g

    def data_flow_graph(self):
        """Data-flow compatibility (networkx): states that can exchange personal data freely
        (compatible regimes or an adequacy decision). Quadratic in the size of a bloc: for
        outcomes use :mod:`connsim.metrics`, which never builds it."""
        import networkx as nx

        st = self.state
        free = getattr(self, "compatibility", self.compat_base) >= self.w.free_flow_threshold
        g = nx.Graph()
        g.add_nodes_from(st.iso3)
        by_regime = [np.nonzero(st.regime == r)[0] for r in range(4)]
        for r in range(4):
            for q in range(r, 4):
                if not free[r, q]:
                    continue
                a_idx, b_idx = by_regime[r], by_regime[q]
                for x in a_idx:
                    for y in b_idx:
                        if x < y or (r != q and x != y):
                            g.add_edge(st.iso3[x], st.iso3[y], via="regime")
        for x in np.nonzero(st.adequacy)[0]:
            for y in np.nonzero(st.member)[0]:
                g.add_edge(st.iso3[x], st.iso3[y], via="adequacy")
        return g

    def oda_graph(self):
        """Digital-ODA partnerships (networkx): donor -> recipient for active partnerships, with
        the partnership's strength and whether it carries infrastructure finance."""
        import networkx as nx

        st = self.state
        g = nx.DiGraph()
        g.add_nodes_from(DONORS, kind="donor")
        g.add_nodes_from(st.iso3)
        infra = (self.year - st.last_infra) < self.w.tied_finance_years
        rows, cols = np.nonzero(st.partnership_active | infra)
        for i, j in zip(rows, cols):
            g.add_edge(DONORS[j], st.iso3[i], strength=float(st.strength[i, j]), infrastructure=bool(infra[i, j]))
        return g
