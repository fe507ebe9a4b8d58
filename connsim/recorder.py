"""Recording a run: outcomes per step and every state's decisions, into preallocated arrays.

Faster than Mesa's DataCollector (no per-agent Python calls): each step copies the few state
arrays the outcomes depend on, and every state's choices, into preallocated arrays; the outcomes
are computed for all the steps at once, and the pandas frames built, once, on request.

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
_AGENT_ONLY = ("threat", "capacity", "revised_policy", "revised_regime")  # the others come from the outcome arrays
_FROM_STEPS = {"vendor_policy": "policy", "hr_core_share": "hr_core", "hr_ran_share": "hr_ran",
               "premium_paid_usd": "premium_paid", "rip_paid_usd": "rip_paid"}


class Recorder:
    """Preallocated per-step storage for one model run.

    Each step, :meth:`collect` copies the few state arrays the outcomes depend on into row
    ``count`` of preallocated ``(steps + 1, ...)`` arrays (:attr:`steps`), plus every state's
    choices and utility terms when agents are recorded. The outcomes themselves are computed
    once, for all the steps at once, when :meth:`model_frame` is first asked for.
    """

    def __init__(self, model, record_agents: bool = True):
        self.model = model
        st = model.state
        self.rows = rows = model.n_steps + 1
        self.n = n = st.n
        v, d = st.core.shape[1], st.strength.shape[1]
        self.count = 0
        self.record_agents = record_agents
        self.columns: list[str] = self._column_names()
        # what the outcomes need, every step (agent_vars reads the per-state ones too); rows
        # are only read once written (up to count)
        self.steps = {
            "scalars": np.empty((rows, 4)),  # step, year, us_china_conflict, eu_toolbox_strength
            "regime": np.empty((rows, n), np.int8),
            "policy": np.empty((rows, n), np.int8),
            "adequacy": np.empty((rows, n), np.bool_),
            "hr_core": np.empty((rows, n)),
            "hr_ran": np.empty((rows, n)),
            "premium_paid": np.empty((rows, n)),
            "rip_paid": np.empty((rows, n)),
            "core": np.empty((rows, n, v)),
            "ran": np.empty((rows, n, v)),
            "strongest": np.empty((rows, n), np.int8),  # each state's strongest ODA partner, -1: none
            "active": np.empty((rows, n, d), np.bool_),
            "world": np.empty((rows, 2, v)),  # world vendor shares, core and radio
            "quality": np.empty((rows, v)),
            "reach": np.empty((rows, v)),
            "free": np.empty((rows, 4, 4), np.bool_),  # regime pairs exchanging data freely
        }
        if record_agents:
            self._agent_only = {k: np.empty((rows, n), dtype=_AGENT_FIELDS[k]) for k in _AGENT_ONLY}
            self.u_policy = np.empty((rows, n, 3), np.float32)
            self.u_regime = np.empty((rows, n, 4), np.float32)
            self.terms_policy = np.empty((rows, len(vendors.POLICY_TERMS), n, 3), np.float32)
            self.terms_regime = np.empty((rows, len(regimes.REGIME_TERMS), n, 4), np.float32)
        # fixed masks and weights
        self._eu = st.member
        self._third = st.third
        self._rows = {c: int(np.nonzero(st.iso3 == c)[0][0]) for c in ("JPN", "USA", "CHN")}
        self._allies = st.align_us >= 0.6
        self._allies[self._rows["USA"]] = False
        self._fixed: dict | None = None
        self._frames: dict = {}  # count -> model frame, agent arrays completed up to count
        self._strongest_of, self._strongest_now = None, None  # state.strength and its strongest partners

    # ------------------------------------------------------------------------------------------
    def collect(self) -> None:
        """Record the model's current state as row ``count`` (a few copies, no outcome maths)."""
        m, st, i, s = self.model, self.model.state, self.count, self.steps
        lv = m._levers
        s["scalars"][i] = (m.t, m.year, lv["us_china_conflict"], lv["eu_toolbox_strength"])
        s["regime"][i] = st.regime
        s["policy"][i] = st.policy
        s["adequacy"][i] = st.adequacy
        s["hr_core"][i] = st.hr_core
        s["hr_ran"][i] = st.hr_ran
        s["premium_paid"][i] = st.premium_paid
        s["rip_paid"][i] = st.rip_paid
        s["core"][i] = st.core
        s["ran"][i] = st.ran
        if self._strongest_of is not st.strength:  # partnerships change in the yearly ODA round
            self._strongest_now, self._strongest_of = self._strongest(st.strength), st.strength
        s["strongest"][i] = self._strongest_now
        s["active"][i] = st.partnership_active
        world = s["world"][i]
        world[0] = m.world_vendor_shares("core")
        world[1] = m.world_vendor_shares("ran")
        m._world_ran = (st.ran, world[1])  # the next step's price gap starts from these
        s["quality"][i] = st.quality
        s["reach"][i] = st.reach
        np.greater_equal(getattr(m, "compatibility", m.compat_base), m.w.free_flow_threshold, out=s["free"][i])
        if self.record_agents:
            a = self._agent_only
            a["threat"][i] = st.threat
            a["capacity"][i] = st.capacity
            a["revised_policy"][i] = m._revised_policy
            a["revised_regime"][i] = m._revised_regime
            tp = m._terms_policy
            for k, name in enumerate(vendors.POLICY_TERMS):
                self.terms_policy[i, k] = tp[name]
            tr = m._terms_regime
            for k, name in enumerate(regimes.REGIME_TERMS):
                self.terms_regime[i, k] = tr[name]
        self.count += 1

    def _outcomes(self) -> dict[str, float]:
        """The outcomes of the last recorded step by name (one row of ``model_vars``)."""
        row = self.model_frame().iloc[-1]
        return {c: (int(row[c]) if c == "step" else float(row[c])) for c in self.columns}

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
        cols += ["anchored_eu_jpn", "anchored_china", "anchored_eu_jpn_ring"]
        cols += [f"{p}_{key}" for p in POWERS_SCORED for key in SCORECARD]
        return cols

    def _outcome_table(self) -> np.ndarray:
        """Every outcome of every recorded step: a (steps, columns) table in the order of
        :meth:`_column_names`.

        The outcomes are those of :mod:`connsim.metrics`, computed on (steps, states) arrays at
        once. Each sum is taken over the same elements in the same order as the plain
        definition on one step (a row reduction of a (steps, k) array adds its row as the 1-D
        sum would; ``bincount`` with an offset per step adds in index order), so the numbers
        are those of the plain definitions, bit for bit. Sums over a mask that changes from
        step to step (a power's partners, the states trading freely with it) are taken over the
        steps that select as many states at once (:meth:`_masked_sums`); the free-flow sums of
        4 x 4 matrices step by step.
        """
        m, w = self.model, self.model.w
        if self._fixed is None:
            self._prepare()
        fx = self._fixed
        T, n = self.count, self.n
        s = {k: a[:T] for k, a in self.steps.items()}
        gdp, pop = fx["gdp"], fx["population"]
        reg, pol, adequacy, free = s["regime"], s["policy"], s["adequacy"], s["free"]
        cols: list[np.ndarray] = [s["scalars"][:, j] for j in range(4)]
        reg_flat = (reg.astype(np.intp) + 4 * np.arange(T)[:, None]).ravel()

        def per_step(flat, k, weights=None):  # np.bincount(x_t, weights, minlength=k) for every step t
            return np.bincount(flat, weights=weights, minlength=k * T).reshape(T, k)

        counts = per_step(reg_flat, 4)
        shares = []
        for weights in (None, np.tile(gdp, T), np.tile(pop, T)):  # metrics.regime_shares
            totals = (counts if weights is None else per_step(reg_flat, 4, weights)).astype(float)
            shares.append(totals / totals.sum(axis=1)[:, None])
        count_sh, gdp_sh, _ = shares
        for sh in shares:
            cols += [sh[:, r] for r in range(4)]
        for sh in (count_sh, gdp_sh):  # metrics.convergence_index
            held = sh > 0
            plogp = np.where(held, sh * np.log(np.where(held, sh, 1.0)), 0.0)
            cols.append(1.0 + plogp.sum(axis=1) / np.log(4))
        cols.append(count_sh.max(axis=1))
        cols.append(np.count_nonzero(reg[:, fx["third"]] < 2, axis=1) / fx["n_third"])  # protect or trust
        # free flows and the largest compatible component, step by step (4 x 4 matrices)
        member = fx["member"]
        g_by_regime = per_step(reg_flat, 4, np.tile(gdp, T))
        sq_by_regime = per_step(reg_flat, 4, np.tile(fx["gdp_sq"], T))
        eu_flat = (reg[:, fx["eu"]].astype(np.intp) + 4 * np.arange(T)[:, None]).ravel()
        eu_by_regime = per_step(eu_flat, 4, np.tile(fx["gdp_eu"], T))
        holders_all = adequacy & ~member
        flow = np.empty(T)
        add = np.add.reduce
        for t in range(T):
            f, rt, g = free[t], reg[t], g_by_regime[t]
            # metrics.free_flow_gdp_pair_share, with its run constants prepared
            free_mass = g @ f.astype(float) @ g - add(sq_by_regime[t] * np.diag(f))
            holders = holders_all[t]
            extra = add(gdp[holders] * ((~f[rt[holders]]).astype(float) @ eu_by_regime[t]))
            flow[t] = (free_mass + 2.0 * extra) / fx["gdp_pair_total"]
        component = metrics.largest_compatible_components(reg, free, adequacy, member) / n
        cols += [flow, component, np.count_nonzero(adequacy, axis=1).astype(float)]
        # vendors

        def cols_of(a, idx):  # a[:, idx] laid out row by row, so that each row sums as a 1-D array
            return np.ascontiguousarray(a[:, idx])

        gw = fx["gdp_world"]
        hr = {}
        for layer in ("core", "ran"):
            arr = s["hr_" + layer]
            hr[layer] = (arr * gdp).sum(axis=1) / gw
            cols.append(hr[layer])
            cols.append((cols_of(arr, fx["eu"]) * fx["gdp_eu"]).sum(axis=1) / fx["gdp_eu_sum"] if fx["gdp_eu_sum"] > 0 else np.full(T, np.nan))
            cols.append(arr[:, fx["jpn"]])
            cols.append((cols_of(arr, fx["third"]) * fx["gdp_third"]).sum(axis=1) / fx["gdp_third_sum"] if fx["gdp_third_sum"] > 0 else np.full(T, np.nan))
        cols.append(0.5 * (hr["core"] + hr["ran"]))
        world = s["world"]
        for layer in (0, 1):  # metrics.hhi
            sh = world[:, layer] / world[:, layer].sum(axis=1)[:, None]
            cols.append((sh**2).sum(axis=1))
        by_vendor = np.stack([world[:, 0], world[:, 1], s["quality"]], axis=2).reshape(T, -1)
        cols += [by_vendor[:, j] for j in range(by_vendor.shape[1])]
        # viable trusted vendors: the same integers as vendors.viable_trusted_vendors
        trusted = fx["trusted"]
        global_ok = trusted & (s["quality"] >= w.viable_quality) & (s["reach"] >= w.viable_reach)
        home_only = trusted & ~global_ok & (m.vendor_origin >= 0)
        base = np.count_nonzero(global_ok, axis=1)
        homes = np.count_nonzero(home_only, axis=1)
        cols.append((base * n + homes) / n)
        fewest = base.astype(float)
        for t in np.nonzero(homes >= n)[0]:  # every state has a home vendor (only in a world of <= v states)
            fewest[t] += int(np.bincount(m.vendor_origin[home_only[t]], minlength=n).min())
        cols.append(fewest)
        pol_flat = (pol.astype(np.intp) + 3 * np.arange(T)[:, None]).ravel()
        pol_sh = per_step(pol_flat, 3) / n
        cols += [pol_sh[:, j] for j in range(3)]
        restricting = pol > 0
        cols.append(np.count_nonzero(restricting[:, fx["allies"]], axis=1) / fx["n_allies"] if fx["n_allies"] else np.full(T, np.nan))
        cols.append(np.count_nonzero(restricting[:, fx["eu"]], axis=1) / fx["n_eu"] if fx["n_eu"] else np.full(T, np.nan))
        # ODA
        active = s["active"]
        oda_counts = np.count_nonzero(active, axis=1).astype(float)  # (T, donors)
        cols += [oda_counts[:, j] for j in range(oda_counts.shape[1])]
        anchored = fx["camp_of_donor"][s["strongest"].astype(np.intp) + 1][:, fx["third"]]
        cols.append(np.count_nonzero(anchored == 1, axis=1).astype(float))
        cols.append(np.count_nonzero(anchored == 2, axis=1).astype(float))
        # the Open and Connected Ring around Europe: its third countries anchored to EU/Japan
        cols.append(np.count_nonzero(anchored[:, fx["ring_third"]] == 1, axis=1).astype(float))
        # strategic-autonomy scorecards
        network = 0.5 * (s["core"] + s["ran"])
        hr_v = m.high_risk
        secure = {False: row_sum(network[..., ~hr_v]), True: row_sum(network[..., hr_v])}
        donor = fx["donor"]
        gdp_masks, secure_sums, scored = [], [], []  # the masked sums of the scorecards, taken together
        for p in POWERS_SCORED:
            own, r = fx["own"][p], fx["power_regime"][p]
            if p == "EUU":
                partners = active[:, :, donor["EUU"]] | active[:, :, donor["MS"]]
                oda = np.count_nonzero(partners, axis=1).astype(float)
            else:
                j = donor[p]
                partners = active[:, :, j] | fx["allies_mask"] if p == "USA" else active[:, :, j]
                oda = oda_counts[:, j]
            scope = own | partners  # metrics.weighted_share over it, China trusting its own champions
            # its own market always counts (the single market for the EU, the domestic market
            # for a sovereign China), plus every state whose regime exchanges freely with it
            free_with = np.take_along_axis(free[:, r], reg.astype(np.intp), axis=1) | own
            if p == "EUU":  # adequacy links the EU with holders (Japan holds one)
                free_with = free_with | adequacy
            elif p == "JPN":
                free_with = free_with | member
            gdp_masks += [scope, free_with, reg == r]
            secure_sums.append((secure[p == "CHN"] * gdp, scope))
            idx = fx["own_idx"][p]
            cost = (cols_of(s["premium_paid"], idx) + cols_of(s["rip_paid"], idx)).sum(axis=1) / 1e9
            scored.append((cost, oda, r))
        gdp_sums = self._masked_sums(gdp, np.concatenate(gdp_masks)).reshape(len(gdp_masks), T)
        weighted_sums = self._masked_sums(
            np.concatenate([v for v, _ in secure_sums]), np.concatenate([mask for _, mask in secure_sums])
        ).reshape(len(secure_sums), T)
        for k, (cost, oda, r) in enumerate(scored):
            total, access, reach_gdp = gdp_sums[3 * k: 3 * k + 3]
            weighted = weighted_sums[k]
            with np.errstate(invalid="ignore", divide="ignore"):
                security = np.where(total > 0, weighted / total, np.nan)
            cols += [security, cost, access / gw, counts[:, r] / n, reach_gdp / gw, oda]
        return np.stack(cols, axis=1).astype(float, copy=False)

    @staticmethod
    def _masked_sums(values: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """``np.add.reduce(values[t][masks[t]])`` for every step t (``values`` (steps, n), or (n,)
        for every step), bit for bit: the steps that
        select as many states are summed together, one row each (a row of a C-ordered array
        sums as the 1-D array would)."""
        steps = masks.shape[0]
        counts = np.count_nonzero(masks, axis=1)
        out = np.zeros(steps)
        for m in np.unique(counts).tolist():
            if m == 0:
                continue
            rows = np.nonzero(counts == m)[0]
            picked = np.broadcast_to(values, (rows.shape[0], masks.shape[1])) if values.ndim == 1 else values[rows]
            out[rows] = picked[masks[rows]].reshape(rows.shape[0], m).sum(axis=1)
        return out

    @staticmethod
    def _strongest(strength: np.ndarray) -> np.ndarray:
        """Each state's strongest ODA partner (donor index, -1 for none), at every step."""
        return np.where(row_max(strength) > 0, strength.argmax(axis=-1), -1)

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
            "gdp": gdp, "population": st.population, "member": st.member,
            "eu": eu, "third": third, "jpn": self._rows["JPN"],
            "ring_third": np.nonzero(m._ocre[third])[0],  # positions among the third countries
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

    @property
    def agent(self) -> dict[str, np.ndarray]:
        """Every per-state field of ``agent_vars`` as a (recorded steps, states) array."""
        if not self.record_agents:
            raise ValueError("this run did not record agents (record_agents=False)")
        return self._agent_arrays()

    def _agent_arrays(self) -> dict[str, np.ndarray]:
        """Every per-state field of ``agent_vars`` as a (steps, states) array, and the utilities
        (the sums of the recorded terms) filled in, for the steps recorded so far."""
        hit = self._frames.get("agent")
        if hit is not None and hit[0] == self.count:
            return hit[1]
        rows, s = self.count, self.steps
        a = self._agent_only
        out = {}
        for k, dtype in _AGENT_FIELDS.items():
            if k in a:
                out[k] = a[k][:rows].copy()
            elif k == "oda_partners":
                out[k] = s["active"][:rows].sum(axis=2).astype(dtype)
            elif k == "oda_main_partner":
                out[k] = s["strongest"][:rows].copy()
            else:
                out[k] = s[_FROM_STEPS.get(k, k)][:rows].astype(dtype)
        np.sum(self.terms_policy[:rows], axis=1, out=self.u_policy[:rows])
        np.sum(self.terms_regime[:rows], axis=1, out=self.u_regime[:rows])
        self._frames["agent"] = (rows, out)
        return out

    # --- frames --------------------------------------------------------------------------------
    def model_frame(self) -> pd.DataFrame:
        """``model_vars``: one row per recorded step (computed once per step count)."""
        hit = self._frames.get("model")
        if hit is None or hit[0] != self.count:
            df = pd.DataFrame(self._outcome_table(), columns=self.columns)
            df["step"] = df["step"].astype(int)
            hit = self._frames["model"] = (self.count, df)
        return hit[1].copy()

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
        for k, arr in self._agent_arrays().items():
            flat = arr.ravel()
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
