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
from connsim.choice import row_max
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
            # each state's network (half core, half radio) from trusted and from high-risk vendors
            "net_trusted": np.empty((rows, n)),
            "net_high_risk": np.empty((rows, n)),
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
        layers = m._installed_layers()  # (layer, vendor, state)
        sides = m._sides @ layers  # (layer, trusted / high-risk, state)
        np.add(sides[0, 0], sides[1, 0], out=s["net_trusted"][i])
        s["net_trusted"][i] *= 0.5  # half core, half radio
        np.add(sides[0, 1], sides[1, 1], out=s["net_high_risk"][i])
        s["net_high_risk"][i] *= 0.5
        if self._strongest_of is not st.strength:  # partnerships change in the yearly ODA round
            self._strongest_now, self._strongest_of = self._strongest(st.strength), st.strength
        s["strongest"][i] = self._strongest_now
        s["active"][i] = st.partnership_active
        np.matmul(layers, m._market, out=s["world"][i])  # world_vendor_shares of both layers
        s["quality"][i] = st.quality
        s["reach"][i] = st.reach
        np.greater_equal(getattr(m, "compatibility", m.compat_base), m.w.free_flow_threshold, out=s["free"][i])
        if self.record_agents:
            a = self._agent_only
            a["threat"][i] = st.threat
            a["capacity"][i] = st.capacity
            a["revised_policy"][i] = m._revised_policy
            a["revised_regime"][i] = m._revised_regime
            tp, out = m._terms_policy, self.terms_policy[i]
            for k, name in enumerate(vendors.POLICY_TERMS):
                out[k] = tp[name]
            tr, out = m._terms_regime, self.terms_regime[i]
            for k, name in enumerate(regimes.REGIME_TERMS):
                out[k] = tr[name]
        self.count += 1

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
        :meth:`_column_names` (a transposed view of a C-ordered (columns, steps) array, so that
        pandas takes it as one block without a copy).

        The outcomes are those of :mod:`connsim.metrics`, computed on (steps, states) arrays at
        once. Each sum is taken over the same elements in the same order as the plain
        definition on one step (a row reduction of a (steps, k) array adds its row as the 1-D
        sum would; ``bincount`` with an offset per step adds in index order; a stack of matrix
        products calls the BLAS routine the single product calls, with the same shapes), so the
        numbers are those of the plain definitions, bit for bit. Sums over a mask that changes
        from step to step (a power's partners, the states trading freely with it) are taken
        over the steps that select as many states at once (:meth:`_masked_sums`).
        """
        m, w = self.model, self.model.w
        if self._fixed is None:
            self._prepare()
        fx = self._fixed
        T, n = self.count, self.n
        s = {k: a[:T] for k, a in self.steps.items()}
        gdp = fx["gdp"]
        reg, pol, adequacy, free = s["regime"], s["policy"], s["adequacy"], s["free"]
        out = np.empty((len(self.columns), T))
        at = 0

        def put(block):  # the next columns: a (steps,) or (steps, k) array
            nonlocal at
            if block.ndim == 1:
                out[at] = block
                at += 1
            else:
                k = block.shape[1]
                out[at: at + k] = block.T
                at += k

        put(s["scalars"])
        offsets = 4 * fx["steps"][:T, None]
        reg_flat = (reg + offsets).ravel()  # intp

        def per_step(flat, k, weights=None):  # np.bincount(x_t, weights, minlength=k) for every step t
            return np.bincount(flat, weights=weights, minlength=k * T).reshape(T, k)

        counts = per_step(reg_flat, 4)
        g_by_regime = per_step(reg_flat, 4, np.tile(gdp, T))
        shares = []
        for totals in (counts.astype(float), g_by_regime, per_step(reg_flat, 4, np.tile(fx["population"], T))):  # metrics.regime_shares
            shares.append(totals / totals.sum(axis=1)[:, None])
            put(shares[-1])
        count_sh, gdp_sh, _ = shares
        for sh in (count_sh, gdp_sh):  # metrics.convergence_index
            held = sh > 0
            plogp = np.where(held, sh * np.log(np.where(held, sh, 1.0)), 0.0)
            put(1.0 + plogp.sum(axis=1) / np.log(4))
        put(count_sh.max(axis=1))
        put(np.count_nonzero((reg < 2) & fx["third_mask"], axis=1) / fx["n_third"])  # protect or trust
        # metrics.free_flow_gdp_pair_share of every step
        member = fx["member"]
        sq_by_regime = per_step(reg_flat, 4, np.tile(fx["gdp_sq"], T))
        eu_flat = (reg[:, fx["eu"]] + offsets).ravel()
        eu_by_regime = per_step(eu_flat, 4, np.tile(fx["gdp_eu"], T))
        g3 = g_by_regime[:, None, :]
        free_mass = np.matmul(np.matmul(g3, free.astype(float)), g3.transpose(0, 2, 1))[:, 0, 0]  # g @ f @ g
        free_mass -= (sq_by_regime * np.diagonal(free, axis1=1, axis2=2)).sum(axis=1)
        holders_all = adequacy & ~member
        extra = np.zeros(T)
        held_by = np.count_nonzero(holders_all, axis=1)
        for h in np.unique(held_by).tolist():  # steps with as many adequacy holders together
            if h == 0:
                continue
            ts = np.nonzero(held_by == h)[0]
            who = np.nonzero(holders_all[ts])[1].reshape(-1, h)  # (steps, holders)
            apart = ~free[ts[:, None], reg[ts[:, None], who]]  # (steps, holders, regimes)
            # (~f[rt[holders]]).astype(float) @ eu_by_regime[t]: h x 4 times 4 on each step
            linked = np.matmul(apart.astype(float), eu_by_regime[ts][:, :, None])[:, :, 0]
            extra[ts] = (gdp[who] * linked).sum(axis=1)
        put((free_mass + 2.0 * extra) / fx["gdp_pair_total"])
        put(metrics.largest_compatible_components(reg, free, adequacy, member, flat=reg_flat, count=counts) / n)
        put(np.count_nonzero(adequacy, axis=1).astype(float))
        # vendors

        def cols_of(a, idx):  # a[:, idx] laid out row by row, so that each row sums as a 1-D array
            return np.ascontiguousarray(a[:, idx])

        gw = fx["gdp_world"]
        hr = {}
        for layer in ("core", "ran"):
            arr = s["hr_" + layer]
            hr[layer] = (arr * gdp).sum(axis=1) / gw
            put(hr[layer])
            put((cols_of(arr, fx["eu"]) * fx["gdp_eu"]).sum(axis=1) / fx["gdp_eu_sum"] if fx["gdp_eu_sum"] > 0 else np.full(T, np.nan))
            put(arr[:, fx["jpn"]])
            put((cols_of(arr, fx["third"]) * fx["gdp_third"]).sum(axis=1) / fx["gdp_third_sum"] if fx["gdp_third_sum"] > 0 else np.full(T, np.nan))
        put(0.5 * (hr["core"] + hr["ran"]))
        world = s["world"]
        for layer in (0, 1):  # metrics.hhi
            sh = world[:, layer] / world[:, layer].sum(axis=1)[:, None]
            put((sh**2).sum(axis=1))
        v = world.shape[2]
        out[at: at + 3 * v: 3] = world[:, 0].T
        out[at + 1: at + 3 * v: 3] = world[:, 1].T
        out[at + 2: at + 3 * v: 3] = s["quality"].T
        at += 3 * v
        # viable trusted vendors: the same integers as vendors.viable_trusted_vendors
        trusted = fx["trusted"]
        global_ok = trusted & (s["quality"] >= w.viable_quality) & (s["reach"] >= w.viable_reach)
        home_only = trusted & ~global_ok & (m.vendor_origin >= 0)
        base = np.count_nonzero(global_ok, axis=1)
        homes = np.count_nonzero(home_only, axis=1)
        put((base * n + homes) / n)
        fewest = base.astype(float)
        for t in np.nonzero(homes >= n)[0]:  # every state has a home vendor (only in a world of <= v states)
            fewest[t] += int(np.bincount(m.vendor_origin[home_only[t]], minlength=n).min())
        put(fewest)
        pol_flat = (pol + 3 * fx["steps"][:T, None]).ravel()
        put(per_step(pol_flat, 3) / n)
        restricting = pol > 0
        put(np.count_nonzero(restricting & fx["allies_mask"], axis=1) / fx["n_allies"] if fx["n_allies"] else np.full(T, np.nan))
        put(np.count_nonzero(restricting & member, axis=1) / fx["n_eu"] if fx["n_eu"] else np.full(T, np.nan))
        # ODA
        active = s["active"]
        oda_counts = np.einsum("tnd->td", active.view(np.uint8), dtype=float)  # partners per donor (steps, donors), exact integers
        put(oda_counts)
        anchored = fx["camp_of_donor"][s["strongest"] + 1]
        third_anchored_eu = anchored == 1
        put(np.count_nonzero(third_anchored_eu & fx["third_mask"], axis=1).astype(float))
        put(np.count_nonzero((anchored == 2) & fx["third_mask"], axis=1).astype(float))
        # the Open and Connected Ring around Europe: its third countries anchored to EU/Japan
        put(np.count_nonzero(third_anchored_eu & fx["ring_mask"], axis=1).astype(float))
        # strategic-autonomy scorecards
        secure = {False: s["net_trusted"] * gdp, True: s["net_high_risk"] * gdp}  # weighted by GDP
        donor = fx["donor"]
        # the masked sums of the scorecards, taken together: per power, GDP over its scope, over
        # the states trading freely with it and over those in its regime; security over its scope
        gdp_masks = np.empty((3 * len(POWERS_SCORED), T, n), dtype=bool)
        secure_sums, scored = [], []
        for k, p in enumerate(POWERS_SCORED):
            own, r = fx["own"][p], fx["power_regime"][p]
            if p == "EUU":
                partners = active[:, :, donor["EUU"]] | active[:, :, donor["MS"]]
                oda = np.count_nonzero(partners, axis=1).astype(float)
            else:
                j = donor[p]
                partners = active[:, :, j] | fx["allies_mask"] if p == "USA" else active[:, :, j]
                oda = oda_counts[:, j]
            scope = np.bitwise_or(own, partners, out=gdp_masks[3 * k])  # metrics.weighted_share over it, China trusting its own champions
            # its own market always counts (the single market for the EU, the domestic market
            # for a sovereign China), plus every state whose regime exchanges freely with it
            free_with = np.bitwise_or(free[:, r].ravel()[reg_flat].reshape(T, n), own, out=gdp_masks[3 * k + 1])  # free[t, r][reg[t]]
            if p == "EUU":  # adequacy links the EU with holders (Japan holds one)
                free_with |= adequacy
            elif p == "JPN":
                free_with |= member
            np.equal(reg, r, out=gdp_masks[3 * k + 2])
            secure_sums.append((secure[p == "CHN"], scope))
            idx = fx["own_idx"][p]
            cost = (cols_of(s["premium_paid"], idx) + cols_of(s["rip_paid"], idx)).sum(axis=1) / 1e9
            scored.append((cost, oda, r))
        gdp_sums, weighted_sums = self._masked_sums(gdp, gdp_masks.reshape(-1, n), secure_sums)
        gdp_sums, weighted_sums = gdp_sums.reshape(len(gdp_masks), T), weighted_sums.reshape(len(secure_sums), T)
        for k, (cost, oda, r) in enumerate(scored):
            total, access, reach_gdp = gdp_sums[3 * k: 3 * k + 3]
            weighted = weighted_sums[k]
            with np.errstate(invalid="ignore", divide="ignore"):
                security = np.where(total > 0, weighted / total, np.nan)
            for col in (security, cost, access / gw, counts[:, r] / n, reach_gdp / gw, oda):
                put(col)
        assert at == out.shape[0]
        return out.T

    @staticmethod
    def _masked_sums(
        values: np.ndarray, masks: np.ndarray, step_sums: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``np.add.reduce(values[masks[i]])`` for every row i of ``masks`` (values (n,)), and
        ``np.add.reduce(v[t][mask[t]])`` for every step t of every ``(v, mask)`` of
        ``step_sums`` (both (steps, n)), bit for bit.

        A row of ``masks`` equal to the one before it has its sum. The other rows are put in
        order of how many states they select, and those that select as many are summed
        together, one row each (a row of a C-ordered array sums as the 1-D array would). The
        selected values are laid out a few rows at a time: large temporaries cost page faults."""
        r1, n = masks.shape
        new = np.ones(r1, dtype=bool)  # a row unlike the one before it
        if r1 > 1:
            np.any(masks[1:] != masks[:-1], axis=1, out=new[1:])
        first = np.flatnonzero(new)
        u = first.shape[0]
        T = step_sums[0][1].shape[0] if step_sums else 0
        sources = []  # the distinct value arrays of step_sums, and each block's
        block_source = []
        for v, _ in step_sums:
            hit = next((j for j, x in enumerate(sources) if x is v), None)
            if hit is None:
                sources.append(v)
                hit = len(sources) - 1
            block_source.append(hit)
        every = np.concatenate([masks[first]] + [mask for _, mask in step_sums])
        rows = every.shape[0]
        counts = np.count_nonzero(every, axis=1)
        order = np.argsort(counts, kind="stable")
        sorted_counts = counts[order]
        sums = np.zeros(rows)
        chunk = max(32, (1 << 17) // (8 * max(n, 1)))  # rows laid out at once (~128 KB)
        block_source = np.array(block_source, dtype=np.intp)
        for c0 in range(0, rows, chunk):
            c1 = min(rows, c0 + chunk)
            idx = order[c0:c1]
            laid = np.empty((c1 - c0, n))
            fixed = idx < u
            laid[fixed] = values
            if not fixed.all():
                j = idx - u
                src_of = np.where(fixed, -1, block_source[np.maximum(j, 0) // max(T, 1)])
                for k, v in enumerate(sources):
                    here = src_of == k
                    laid[here] = v[j[here] % T]
            picked = np.compress(every[idx].ravel(), laid.ravel())
            cc = sorted_counts[c0:c1]
            ends = np.flatnonzero(cc[1:] != cc[:-1]) + 1
            at = 0
            for a, b, m in zip([0, *ends.tolist()], [*ends.tolist(), c1 - c0], cc[np.r_[0, ends]].tolist()):
                if m:
                    size = (b - a) * m
                    np.add.reduce(picked[at: at + size].reshape(b - a, m), axis=1, out=sums[c0 + a: c0 + b])
                    at += size
        out = np.empty(rows)
        out[order] = sums  # back in the order of the rows
        return out[:u][np.cumsum(new) - 1], out[u:]

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
            "eu": eu, "third": third, "jpn": self._rows["JPN"], "third_mask": self._third.copy(),
            "ring_mask": self._third & m._ocre,  # the Open and Connected Ring's third countries
            "steps": np.arange(self.rows),
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
            table = self._outcome_table()
            df = pd.DataFrame(table[:, 1:], columns=self.columns[1:], copy=False)
            df.insert(0, "step", table[:, 0].astype(int))
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
