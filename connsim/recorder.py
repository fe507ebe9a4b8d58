"""Recording a run: outcomes per step and every state's decisions, into preallocated arrays.

Faster than Mesa's DataCollector (no per-agent Python calls): each step writes a row of outcome
numbers and a slice of each per-state array; the pandas frames are built once, on request.

``model_vars`` (one row per step): regime shares by count, GDP and population; convergence;
free data flows; high-risk vendor shares of the world's, the EU's, Japan's and third countries'
core and radio networks; vendor HHI and viability; each power's strategic-autonomy scorecard;
ODA partnerships by donor and the third countries anchored to EU/Japan or China.

``agent_vars`` (one row per step and state): its policy, regime, capacity, exposure, ODA
partners and the utility of every option, so "what did Kenya do, and why" has an answer
(:meth:`connsim.run.RunResult.explain` lays out the terms).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from connsim import metrics
from connsim.decisions import regimes, vendors
from connsim.scenario import DONORS
from connsim.seeds import POLICIES, REGIMES

__all__ = ["Recorder", "POWERS_SCORED", "SCORECARD"]

POWERS_SCORED = ("EUU", "JPN", "USA", "CHN")
POWER_REGIME = {"EUU": "protect", "JPN": "trust", "USA": "open", "CHN": "sovereign"}
SCORECARD = ("security", "cost_usd_bn", "data_access", "norm_reach", "norm_reach_gdp", "oda_partnerships")
_AGENT_FIELDS = {  # name: (source, dtype)
    "vendor_policy": np.int8, "regime": np.int8, "threat": np.float32, "capacity": np.float32,
    "hr_core_share": np.float32, "hr_ran_share": np.float32, "adequacy": np.bool_,
    "revised_policy": np.bool_, "revised_regime": np.bool_, "oda_partners": np.int8, "oda_main_partner": np.int8,
    "premium_paid_usd": np.float32, "rip_paid_usd": np.float32,
}


class Recorder:
    """Preallocated per-step storage for one model run."""

    def __init__(self, model, record_agents: bool = True):
        self.model = model
        st = model.state
        self.rows = model.n_steps + 1
        self.n = st.n
        self.count = 0
        self.record_agents = record_agents
        self.columns: list[str] | None = None
        self.table: np.ndarray | None = None
        if record_agents:
            self.agent = {k: np.zeros((self.rows, st.n), dtype=t) for k, t in _AGENT_FIELDS.items()}
            self.u_policy = np.zeros((self.rows, st.n, 3), np.float32)
            self.u_regime = np.zeros((self.rows, st.n, 4), np.float32)
            self.terms_policy = np.zeros((self.rows, len(vendors.POLICY_TERMS), st.n, 3), np.float32)
            self.terms_regime = np.zeros((self.rows, len(regimes.REGIME_TERMS), st.n, 4), np.float32)
        # fixed masks and weights
        self._eu = st.member
        self._third = st.third
        self._rows = {c: int(np.nonzero(st.iso3 == c)[0][0]) for c in ("JPN", "USA", "CHN")}
        self._allies = st.align_us >= 0.6
        self._allies[self._rows["USA"]] = False

    # ------------------------------------------------------------------------------------------
    def collect(self) -> None:
        """Record the model's current state as row ``model.t``."""
        values = self._outcomes()
        if self.table is None:
            self.columns = list(values)
            self.table = np.full((self.rows, len(values)), np.nan)
        self.table[self.count] = list(values.values())
        if self.record_agents:
            self._collect_agents()
        self.count += 1

    def _outcomes(self) -> dict[str, float]:
        m = self.model
        st, w = m.state, m.w
        out: dict[str, float] = {"step": m.t, "year": m.year}
        lv = m._levers
        out["us_china_conflict"] = lv["us_china_conflict"]
        out["eu_toolbox_strength"] = lv["eu_toolbox_strength"]
        gdp, pop, reg = st.gdp, st.population, st.regime
        count_sh = metrics.regime_shares(reg)
        gdp_sh = metrics.regime_shares(reg, gdp)
        pop_sh = metrics.regime_shares(reg, pop)
        for k, r in enumerate(REGIMES):
            out[f"regime_share_{r}"] = count_sh[k]
        for k, r in enumerate(REGIMES):
            out[f"regime_gdp_share_{r}"] = gdp_sh[k]
        for k, r in enumerate(REGIMES):
            out[f"regime_pop_share_{r}"] = pop_sh[k]
        out["convergence_index"] = metrics.convergence_index(count_sh)
        out["convergence_index_gdp"] = metrics.convergence_index(gdp_sh)
        out["largest_bloc_share"] = float(count_sh.max())
        out["trusted_regimes_share_third"] = float(np.isin(reg[self._third], (0, 1)).mean())
        compat = getattr(m, "compatibility", m.compat_base)
        free = metrics.free_pairs(compat, w.free_flow_threshold)
        out["free_flow_gdp_pair_share"] = metrics.free_flow_gdp_pair_share(reg, gdp, free, st.adequacy, st.member)
        out["largest_compatible_component"] = metrics.largest_compatible_component(reg, free, st.adequacy, st.member) / st.n
        out["adequacy_decisions"] = float(st.adequacy.sum())
        # vendors
        for layer, arr in (("core", st.hr_core), ("ran", st.hr_ran)):
            out[f"hr_{layer}_share_world"] = metrics.weighted_share(arr, gdp)
            out[f"hr_{layer}_share_eu"] = metrics.weighted_share(arr, gdp, self._eu)
            out[f"hr_{layer}_share_jpn"] = float(arr[self._rows["JPN"]])
            out[f"hr_{layer}_share_third"] = metrics.weighted_share(arr, gdp, self._third)
        out["hr_vendor_share_world"] = 0.5 * (out["hr_core_share_world"] + out["hr_ran_share_world"])
        world_core, world_ran = m.world_vendor_shares("core"), m.world_vendor_shares("ran")
        out["vendor_hhi_core"] = metrics.hhi(world_core)
        out["vendor_hhi_ran"] = metrics.hhi(world_ran)
        for k, name in enumerate(m.vendor_names):
            key = name.lower()
            out[f"vendor_share_core_{key}"] = world_core[k]
            out[f"vendor_share_ran_{key}"] = world_ran[k]
            out[f"vendor_quality_{key}"] = st.quality[k]
        viable = vendors.viable_trusted_vendors(m.high_risk, st.quality, st.reach, m.vendor_origin, st.n, w)
        out["viable_trusted_vendors_mean"] = float(viable.mean())
        out["viable_trusted_vendors_min"] = float(viable.min())
        for k, p in enumerate(POLICIES):
            out[f"policy_share_{p}"] = float((st.policy == k).mean())
        out["us_allies_restricting"] = float((st.policy[self._allies] > 0).mean())
        out["eu_restricting"] = float((st.policy[self._eu] > 0).mean())
        # ODA
        active = st.partnership_active
        for j, d in enumerate(DONORS):
            out[f"oda_partnerships_{d}"] = float(active[:, j].sum())
        strongest = np.where(st.strength.max(axis=1) > 0, st.strength.argmax(axis=1), -1)
        eu_jp = np.isin(strongest, [DONORS.index(d) for d in ("EUU", "MS", "JPN")])
        out["anchored_eu_jpn"] = float((eu_jp & self._third).sum())
        out["anchored_china"] = float(((strongest == DONORS.index("CHN")) & self._third).sum())
        # strategic-autonomy scorecards
        for p in POWERS_SCORED:
            for key, value in self._scorecard(p, free, active).items():
                out[f"{p}_{key}"] = value
        return out

    def _scorecard(self, power: str, free: np.ndarray, active: np.ndarray) -> dict[str, float]:
        """Security, cost, economy, norm reach and ODA of one power (see SCORECARD)."""
        m, st = self.model, self.model.state
        gdp, hr = st.gdp, m.high_risk
        if power == "EUU":
            own = st.member
            partners = active[:, DONORS.index("EUU")] | active[:, DONORS.index("MS")]
            oda = float(partners.sum())
        else:
            own = st.iso3 == power
            j = DONORS.index(power)
            partners = active[:, j] | (self._allies if power == "USA" else False)
            oda = float(active[:, j].sum())
        scope = own | partners
        network = 0.5 * (st.core + st.ran)
        trusted_by_power = hr if power == "CHN" else ~hr  # China trusts its own champions
        security = metrics.weighted_share(network[:, trusted_by_power].sum(axis=1), gdp, scope)
        cost = float((st.premium_paid[own] + st.rip_paid[own]).sum()) / 1e9
        r = REGIMES.index(POWER_REGIME[power])
        free_with = free[r][st.regime]
        if power in ("EUU", "JPN"):  # adequacy links the EU with holders (Japan holds one)
            free_with = free_with | (st.adequacy if power == "EUU" else st.member)
        return {
            "security": security,
            "cost_usd_bn": cost,
            "data_access": float(gdp[free_with].sum() / gdp.sum()),
            "norm_reach": float((st.regime == r).mean()),
            "norm_reach_gdp": float(gdp[st.regime == r].sum() / gdp.sum()),
            "oda_partnerships": oda,
        }

    def _collect_agents(self) -> None:
        m, st, i = self.model, self.model.state, self.count
        a = self.agent
        a["vendor_policy"][i] = st.policy
        a["regime"][i] = st.regime
        a["threat"][i] = st.threat
        a["capacity"][i] = st.capacity
        a["hr_core_share"][i] = st.hr_core
        a["hr_ran_share"][i] = st.hr_ran
        a["adequacy"][i] = st.adequacy
        a["revised_policy"][i] = m._revised_policy
        a["revised_regime"][i] = m._revised_regime
        a["oda_partners"][i] = st.partnership_active.sum(axis=1)
        a["oda_main_partner"][i] = np.where(st.strength.max(axis=1) > 0, st.strength.argmax(axis=1), -1)
        a["premium_paid_usd"][i] = st.premium_paid
        a["rip_paid_usd"][i] = st.rip_paid
        tp = m._terms_policy
        for k, name in enumerate(vendors.POLICY_TERMS):
            self.terms_policy[i, k] = tp[name]
        tr = m._terms_regime
        for k, name in enumerate(regimes.REGIME_TERMS):
            self.terms_regime[i, k] = tr[name]
        self.u_policy[i] = self.terms_policy[i].sum(axis=0)
        self.u_regime[i] = self.terms_regime[i].sum(axis=0)

    # --- frames --------------------------------------------------------------------------------
    def model_frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.table[: self.count], columns=self.columns)
        df["step"] = df["step"].astype(int)
        return df

    def agent_frame(self) -> pd.DataFrame:
        if not self.record_agents:
            raise ValueError("this run did not record agents (record_agents=False)")
        m, st, rows = self.model, self.model.state, self.count
        steps = np.repeat(np.arange(rows), self.n)
        kinds = np.array(["Power", "MemberState", "ThirdCountry"], dtype=object)
        data = {
            "step": steps,
            "year": m.spec.year_of(steps),
            "iso3": np.tile(st.iso3, rows),
            "kind": np.tile(kinds[st.kind], rows),
        }
        for k, arr in self.agent.items():
            flat = arr[:rows].ravel()
            if k == "vendor_policy":
                data[k] = pd.Categorical.from_codes(flat, POLICIES)
            elif k == "regime":
                data[k] = pd.Categorical.from_codes(flat, REGIMES)
            elif k == "oda_main_partner":
                data[k] = np.array(("",) + DONORS, dtype=object)[flat + 1]
            else:
                data[k] = flat
        for j, p in enumerate(POLICIES):
            data[f"u_policy_{p}"] = self.u_policy[:rows, :, j].ravel()
        for j, r in enumerate(REGIMES):
            data[f"u_regime_{r}"] = self.u_regime[:rows, :, j].ravel()
        return pd.DataFrame(data)
