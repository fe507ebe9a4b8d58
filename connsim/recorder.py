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
from connsim.choice import row_max, row_sum
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
        self._fixed: dict | None = None
        self._strongest_at = -1
        self._strongest_value: np.ndarray | None = None

    # ------------------------------------------------------------------------------------------
    def collect(self) -> None:
        """Record the model's current state as row ``model.t``."""
        values = self._outcome_values()
        if self.table is None:
            self.columns = self._column_names()
            self.table = np.full((self.rows, len(values)), np.nan)
        self.table[self.count] = values
        if self.record_agents:
            self._collect_agents()
        self.count += 1

    def _outcomes(self) -> dict[str, float]:
        """The outcomes of the current state by name (one row of ``model_vars``)."""
        return dict(zip(self._column_names(), self._outcome_values()))

    def _column_names(self) -> list[str]:
        cols = ["step", "year", "us_china_conflict", "eu_toolbox_strength"]
        for prefix in ("regime_share", "regime_gdp_share", "regime_pop_share"):
            cols += [f"{prefix}_{r}" for r in REGIMES]
        cols += ["convergence_index", "convergence_index_gdp", "largest_bloc_share", "trusted_regimes_share_third",
                 "free_flow_gdp_pair_share", "largest_compatible_component", "adequacy_decisions"]
        for layer in ("core", "ran"):
            cols += [f"hr_{layer}_share_{where}" for where in ("world", "eu", "jpn", "third")]
        cols += ["hr_vendor_share_world", "vendor_hhi_core", "vendor_hhi_ran"]
        for name in self.model.vendor_names:
            key = name.lower()
            cols += [f"vendor_share_core_{key}", f"vendor_share_ran_{key}", f"vendor_quality_{key}"]
        cols += ["viable_trusted_vendors_mean", "viable_trusted_vendors_min"]
        cols += [f"policy_share_{p}" for p in POLICIES]
        cols += ["us_allies_restricting", "eu_restricting"]
        cols += [f"oda_partnerships_{d}" for d in DONORS]
        cols += ["anchored_eu_jpn", "anchored_china"]
        cols += [f"{p}_{key}" for p in POWERS_SCORED for key in SCORECARD]
        return cols

    def _outcome_values(self) -> list[float]:
        """The outcomes of the current state, in the order of :meth:`_column_names`.

        Fixed masks, their GDP and its sums are prepared once (:meth:`_prepare`); each masked
        sum is still taken over the same elements in the same order, so the numbers are the
        ones of the plain definitions in :mod:`connsim.metrics`, bit for bit.
        """
        m = self.model
        st, w = m.state, m.w
        if self._fixed is None:
            self._prepare()
        fx = self._fixed
        n = self.n
        add = np.add.reduce  # what ndarray.sum() calls, without its Python wrapper
        gdp, reg = st.gdp, st.regime
        lv = m._levers
        out = [m.t, m.year, lv["us_china_conflict"], lv["eu_toolbox_strength"]]
        counts = np.bincount(reg, minlength=4)
        count_sh = metrics.regime_shares(reg)
        gdp_sh = metrics.regime_shares(reg, gdp)
        pop_sh = metrics.regime_shares(reg, st.population)
        out += count_sh.tolist()
        out += gdp_sh.tolist()
        out += pop_sh.tolist()
        out.append(metrics.convergence_index(count_sh))
        out.append(metrics.convergence_index(gdp_sh))
        out.append(float(count_sh.max()))
        out.append(np.count_nonzero(reg[fx["third"]] < 2) / fx["n_third"])  # protect or trust
        compat = getattr(m, "compatibility", m.compat_base)
        free = compat >= w.free_flow_threshold  # metrics.free_pairs
        adequacy, member = st.adequacy, st.member
        # metrics.free_flow_gdp_pair_share, with its run constants (GDP squares, total) prepared
        g = np.bincount(reg, weights=gdp, minlength=4)
        sq = np.bincount(reg, weights=fx["gdp_sq"], minlength=4)
        free_mass = g @ free.astype(float) @ g - add(sq * np.diag(free))
        eu_by_regime = np.bincount(reg[fx["eu"]], weights=fx["gdp_eu"], minlength=4)
        holders = adequacy & ~member
        extra = add(gdp[holders] * ((~free[reg[holders]]).astype(float) @ eu_by_regime))
        out.append(float((free_mass + 2.0 * extra) / fx["gdp_pair_total"]))
        out.append(metrics.largest_compatible_component(reg, free, adequacy, member) / n)
        out.append(float(np.count_nonzero(adequacy)))
        # vendors
        gw, g_eu, g_third = fx["gdp_world"], fx["gdp_eu"], fx["gdp_third"]
        for arr in (st.hr_core, st.hr_ran):
            out.append(float(add(arr * gdp) / gw))
            out.append(float(add(arr[fx["eu"]] * g_eu) / fx["gdp_eu_sum"]) if fx["gdp_eu_sum"] > 0 else float("nan"))
            out.append(float(arr[fx["jpn"]]))
            out.append(float(add(arr[fx["third"]] * g_third) / fx["gdp_third_sum"]) if fx["gdp_third_sum"] > 0 else float("nan"))
        out.append(0.5 * (out[-8] + out[-4]))
        world_core, world_ran = m.world_vendor_shares("core"), m.world_vendor_shares("ran")
        out.append(metrics.hhi(world_core))
        out.append(metrics.hhi(world_ran))
        out += np.stack([world_core, world_ran, st.quality], axis=1).ravel().tolist()
        # viable trusted vendors: the same integers as vendors.viable_trusted_vendors
        trusted = fx["trusted"]
        global_ok = trusted & (st.quality >= w.viable_quality) & (st.reach >= w.viable_reach)
        home_only = trusted & ~global_ok & (m.vendor_origin >= 0)
        base = int(np.count_nonzero(global_ok))
        homes = m.vendor_origin[home_only]
        out.append(float((base * n + homes.shape[0]) / n))
        # the fewest: base, unless every state has a home vendor (only in a world of <= v states)
        out.append(float(base + (0 if homes.shape[0] < n else int(np.bincount(homes, minlength=n).min()))))
        pol = st.policy
        out += (np.bincount(pol, minlength=3) / n).tolist()
        restricting = pol > 0
        out.append(np.count_nonzero(restricting[fx["allies"]]) / fx["n_allies"] if fx["n_allies"] else float("nan"))
        out.append(np.count_nonzero(restricting[fx["eu"]]) / fx["n_eu"] if fx["n_eu"] else float("nan"))
        # ODA
        active = st.partnership_active
        oda_counts = np.count_nonzero(active, axis=0).tolist()
        out += [float(c) for c in oda_counts]
        anchored = fx["camp_of_donor"][self._strongest() + 1][fx["third"]]
        out.append(float(np.count_nonzero(anchored == 1)))
        out.append(float(np.count_nonzero(anchored == 2)))
        # strategic-autonomy scorecards
        network = 0.5 * (st.core + st.ran)
        hr = m.high_risk
        secure = {False: row_sum(network[:, ~hr]), True: row_sum(network[:, hr])}
        gdp_of_regime = {}
        donor = fx["donor"]
        for p in POWERS_SCORED:
            own, r = fx["own"][p], fx["power_regime"][p]
            if p == "EUU":
                partners = active[:, donor["EUU"]] | active[:, donor["MS"]]
                oda = float(np.count_nonzero(partners))
            else:
                j = donor[p]
                partners = active[:, j] | fx["allies_mask"] if p == "USA" else active[:, j]
                oda = float(oda_counts[j])
            scope = own | partners
            weights = gdp[scope]  # metrics.weighted_share
            total = add(weights)
            out.append(float(add(secure[p == "CHN"][scope] * weights) / total) if total > 0 else float("nan"))  # China trusts its own champions
            idx = fx["own_idx"][p]
            out.append(float(add(st.premium_paid[idx] + st.rip_paid[idx])) / 1e9)
            # its own market always counts (the single market for the EU, the domestic market
            # for a sovereign China), plus every state whose regime exchanges freely with it
            free_with = free[r][reg] | own
            if p == "EUU":  # adequacy links the EU with holders (Japan holds one)
                free_with = free_with | adequacy
            elif p == "JPN":
                free_with = free_with | member
            out.append(float(add(gdp[free_with]) / gw))
            out.append(float(counts[r] / n))
            if r not in gdp_of_regime:
                gdp_of_regime[r] = add(gdp[reg == r])
            out.append(float(gdp_of_regime[r] / gw))
            out.append(oda)
        return out

    def _strongest(self) -> np.ndarray:
        """Each state's strongest ODA partner (donor index, -1 for none), once per collection."""
        if self._strongest_at != self.count:
            strength = self.model.state.strength
            self._strongest_value = np.where(row_max(strength) > 0, strength.argmax(axis=1), -1)
            self._strongest_at = self.count
        return self._strongest_value

    def _prepare(self) -> None:
        """Masks, indices and GDP sums that do not change during a run."""
        m, st = self.model, self.model.state
        gdp = st.gdp
        eu, third = np.nonzero(self._eu)[0], np.nonzero(self._third)[0]
        camp = np.zeros(len(DONORS) + 1, np.int8)  # index strongest + 1 (-1: no partner)
        for d in ("EUU", "MS", "JPN"):
            camp[DONORS.index(d) + 1] = 1
        camp[DONORS.index("CHN") + 1] = 2
        own = {p: (st.member if p == "EUU" else st.iso3 == p) for p in POWERS_SCORED}
        self._fixed = {
            "eu": eu, "third": third, "jpn": self._rows["JPN"],
            "n_eu": eu.shape[0], "n_third": third.shape[0], "n_allies": int(np.count_nonzero(self._allies)),
            "gdp_sq": gdp**2, "gdp_pair_total": gdp.sum() ** 2 - (gdp**2).sum(),
            "gdp_world": gdp.sum(), "gdp_eu": gdp[eu], "gdp_third": gdp[third],
            "gdp_eu_sum": gdp[eu].sum(), "gdp_third_sum": gdp[third].sum(),
            "allies": np.nonzero(self._allies)[0], "allies_mask": self._allies,
            "trusted": ~m.high_risk.astype(bool), "camp_of_donor": camp,
            "own": own, "own_idx": {p: np.nonzero(o)[0] for p, o in own.items()},
            "donor": {d: DONORS.index(d) for d in DONORS},
            "power_regime": {p: REGIMES.index(POWER_REGIME[p]) for p in POWERS_SCORED},
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
        a["oda_main_partner"][i] = self._strongest()
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
