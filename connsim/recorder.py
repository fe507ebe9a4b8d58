"""Recording a run: each step's state into preallocated arrays; outcomes and frames on request.

Faster than Mesa's DataCollector (no per-agent Python calls): each step copies the few state
arrays the outcomes depend on, and every state's choices and utility terms, into row ``count``
of preallocated ``(steps + 1, ...)`` arrays. The outcomes (:mod:`connsim.outcomes`) are
computed for all the steps at once when ``model_vars`` is first asked for. ``model.datacollector``
is a Mesa :class:`~mesa.DataCollector` fed from here (:class:`RecorderCollector`), so Mesa's
own tools (``batch_run``, SolaraViz plots) read the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from connsim import dynamics, outcomes
from connsim.decisions import powers
from connsim.metrics import strongest_partner
from connsim.names import ADEQUACY_OPTIONS, COOPERATION_LEVELS, DONORS, KINDS, LAW_OPTIONS, POLICIES, POWERS, REGIMES

#: Each decision: its options, the short name of its utility columns in ``agent_vars``, and the
#: name of its ``revised`` field (for adequacy: the candidates the EU assessed).
DECISIONS = {
    "vendor_policy": (POLICIES, "policy", "revised_policy"),
    "law": (LAW_OPTIONS, "law", "revised_law"),
    "regime": (REGIMES, "regime", "revised_regime"),
    "adequacy": (ADEQUACY_OPTIONS, "adequacy", "assessed_adequacy"),
}

__all__ = ["Recorder", "AgentRecord", "RecorderCollector"]

#: Per-state fields of ``agent_vars`` and their dtypes (all but the utilities).
AGENT_FIELDS = {
    "vendor_policy": np.int8,
    "has_law": np.bool_,
    "regime": np.int8,
    "threat": np.float32,
    "capacity": np.float32,
    "hr_core_share": np.float32,
    "hr_ran_share": np.float32,
    "adequacy": np.bool_,
    "revised_policy": np.bool_,
    "revised_law": np.bool_,
    "revised_regime": np.bool_,
    "assessed_adequacy": np.bool_,
    "oda_partners": np.int8,
    "oda_main_partner": np.int8,
    "premium_paid_usd": np.float32,
    "rip_paid_usd": np.float32,
}


@dataclass
class AgentRecord:
    """Every state's decisions at every recorded step, compact (what ``agent_vars`` and
    ``explain`` read): ``fields`` name -> (steps, n) arrays; ``terms`` decision -> term name ->
    (steps, n, options) float32; the betas of each decision and who makes it."""

    iso3: np.ndarray
    kind: np.ndarray
    year: np.ndarray  # (steps,)
    fields: dict[str, np.ndarray]
    terms: dict[str, dict[str, np.ndarray]]
    beta: dict[str, float]
    deciders: dict[str, np.ndarray]

    def utilities(self, decision: str) -> np.ndarray:
        """(steps, n, options) utility of every option: the sum of the decision's terms."""
        return np.sum(list(self.terms[decision].values()), axis=0, dtype=np.float32)

    def frame(self) -> pd.DataFrame:
        """``agent_vars``: one row per step and state."""
        rows, n = self.year.shape[0], self.iso3.shape[0]
        data: dict[str, object] = {
            "step": np.repeat(np.arange(rows), n),
            "year": np.repeat(self.year, n),
            "iso3": np.tile(self.iso3, rows),
            "kind": np.tile(np.array(KINDS, dtype=object)[self.kind], rows),
        }
        for k, arr in self.fields.items():
            flat = arr.ravel()
            if k == "vendor_policy":
                data[k] = pd.Categorical.from_codes(flat, POLICIES)
            elif k == "regime":
                data[k] = pd.Categorical.from_codes(flat, REGIMES)
            elif k == "oda_main_partner":
                data[k] = np.array(("",) + DONORS, dtype=object)[flat + 1]
            else:
                data[k] = flat
        for decision, (options, short, _) in DECISIONS.items():
            u = self.utilities(decision)
            for j, o in enumerate(options):
                if decision != "adequacy" or o == "grant":  # the EU's log-odds of a grant (withholding is 0)
                    data[f"u_{short}_{o}"] = u[:, :, j].ravel()
        return pd.DataFrame(data)


def _lever_number(lever: str, value) -> float:
    return COOPERATION_LEVELS.index(value) / 2 if lever == "eu_japan_cooperation" else float(value)


def _count_last(flags: np.ndarray) -> np.ndarray:
    """``flags.sum(axis=-1)`` as int8 for a short last axis (the donors), as a chain of additions."""
    out = flags[..., 0].astype(np.int8)
    for j in range(1, flags.shape[-1]):
        out += flags[..., j]
    return out


#: Every power's lever, in the order of ``powers.POWER_LEVERS`` (the shared ones once).
POWER_LEVER_NAMES = tuple(dict.fromkeys(k for levers in powers.POWER_LEVERS.values() for k in levers))


@dataclass
class PowerLog:
    """The powers' decisions over a run (what ``power_vars`` and ``explain(power)`` read).

    ``year`` (steps,); ``levers`` (steps, len(POWER_LEVER_NAMES)): each power lever in force at
    each recorded step (``eu_japan_cooperation`` as 0, 0.5, 1); ``strategies``: power -> the
    name of its strategy; ``records``: (recorded step, :class:`~connsim.decisions.powers.PowerRecord`)
    for each yearly decision (the record after the step in which the powers decided).
    """

    year: np.ndarray
    levers: np.ndarray
    strategies: dict[str, str]
    records: list

    def frame(self) -> pd.DataFrame:
        """``power_vars``: one row per recorded step and power: its strategy, each of its levers in
        force, and at the steps after a decision (``decided``) the utility terms of the option an
        adaptive power picked (``<lever>:response``, ``<lever>:course``, ``<lever>:status_quo``,
        ``<lever>:probability``) and the signals it observed (``observed:<signal>``). China's rows also carry its retaliation act of the year
        (``retaliation_intensity``, ``retaliation_targets``)."""
        rows = []
        at = dict(self.records)
        index = {k: j for j, k in enumerate(POWER_LEVER_NAMES)}
        for t in range(self.year.shape[0]):
            rec = at.get(t)
            for power in POWERS:
                row: dict[str, Any] = {
                    "step": t,
                    "year": float(self.year[t]),
                    "power": power,
                    "strategy": self.strategies[power],
                    "decided": rec is not None,
                }
                for lever in powers.POWER_LEVERS[power]:
                    value = float(self.levers[t, index[lever]])
                    row[lever] = COOPERATION_LEVELS[int(round(value * 2))] if lever == "eu_japan_cooperation" else value
                    if rec is not None and power in rec.terms:
                        k = rec.options[power][lever].index(rec.decisions[power][lever])
                        for name, term in rec.terms[power][lever].items():
                            row[f"{lever}:{name}"] = float(term[k])
                        row[f"{lever}:probability"] = float(rec.probabilities[power][lever][k])
                if rec is not None and power in rec.terms:  # what the adaptive power observed: its signals
                    for signal in dict.fromkeys(d.signal for d in powers.ADAPTIVE[power]):
                        row[f"observed:{signal}"] = rec.observations[signal]
                if power == "CHN" and rec is not None and rec.retaliation:
                    row["retaliation_intensity"] = rec.retaliation["intensity"]
                    row["retaliation_targets"] = " ".join(rec.retaliation["targets"])
                rows.append(row)
        return pd.DataFrame(rows)

    def decision_at(self, step: int):
        """The last yearly decision recorded at or before ``step``: (recorded step, PowerRecord) or None."""
        before = [(t, r) for t, r in self.records if t <= step]
        return before[-1] if before else None


class Recorder:
    """Preallocated per-step storage for one model run (see the module docstring)."""

    def __init__(self, model, record_agents: bool = True):
        self.model = model
        st, c = model.state, model.constants
        self.rows = rows = model.n_steps + 1
        self.n = n = st.n
        v, d = st.installed.shape[1], st.strength.shape[1]
        self.count = 0
        self.record_agents = record_agents
        self.columns = outcomes.columns(c.vendor_names)
        self.steps = {
            "scalars": np.empty((rows, 4)),  # step, year, us_china_conflict, eu_toolbox_strength
            "position": np.empty((rows, n), np.int8),
            "regime": np.empty((rows, n), np.int8),
            "policy": np.empty((rows, n), np.int8),
            "adequacy": np.empty((rows, n), np.bool_),
            "sides": np.empty((rows, 2, 2, n)),  # (layer, trusted / high-risk): each network's two sums
            "world": np.empty((rows, 2, v)),  # world vendor shares of both layers
            "premium_paid": np.empty((rows, n)),
            "rip_paid": np.empty((rows, n)),
            "strength": np.empty((rows, n, d)),
            "active": np.empty((rows, n, d), np.bool_),
            "quality": np.empty((rows, v)),
            "reach": np.empty((rows, v)),
            "flow": np.empty((rows, 5, 5)),
            "power_levers": np.empty((rows, len(POWER_LEVER_NAMES))),
        }
        if record_agents:
            self.agent_only = {
                k: np.zeros((rows, n), AGENT_FIELDS[k])
                for k in ("has_law", "threat", "capacity", *(field for _, _, field in DECISIONS.values()))
            }
            self.terms: dict[str, dict[str, np.ndarray]] = {}  # allocated at the first step, from the rules' term names
            self._blocks: dict[str, np.ndarray] = {}  # decision -> (rows, terms, n, options) when its terms share a shape
            self._names: dict[str, tuple[str, ...]] = {}
        self._model_frame: tuple[int, pd.DataFrame] | None = None
        self.power_records: list = []
        self._course_rows = {}
        for lv in (*model.levers, model.start_levers):
            values = dynamics.course_of(lv, c)
            self._course_rows[id(lv)] = [_lever_number(k, values[k]) for k in POWER_LEVER_NAMES]

    def collect(self, record=None, levers=None) -> None:
        """Record the model's current state as row ``count``: after the step whose
        :class:`~connsim.dynamics.StepRecord` and levers are given (the start if None)."""
        m, st, c, i, s = self.model, self.model.state, self.model.constants, self.count, self.steps
        lv = levers if levers is not None else m.start_levers
        s["scalars"][i] = (m.t, m.year, lv.us_china_conflict, lv.eu_toolbox_strength)
        for key, value in (
            ("position", st.position),
            ("regime", st.regime),
            ("policy", st.policy),
            ("adequacy", st.adequacy),
            ("premium_paid", st.premium_paid),
            ("rip_paid", st.rip_paid),
            ("active", st.partnership_active),
            ("quality", st.quality),
            ("reach", st.reach),
            ("strength", st.strength),
        ):
            s[key][i] = value
        np.matmul(c.sides, st.installed, out=s["sides"][i])  # not the (layer, v, n) networks: a tenth of the memory
        np.matmul(st.installed, c.market, out=s["world"][i])
        s["flow"][i] = m.flow_at_start if record is None else record.flow
        if self.record_agents:
            a = self.agent_only
            a["has_law"][i], a["threat"][i], a["capacity"][i] = st.has_law, st.threat, st.capacity
            if record is not None:
                for decision, (_, _, field) in DECISIONS.items():
                    if decision in record.revised:
                        a[field][i] = record.revised[decision]
                    if decision in record.terms:
                        self._store_terms(decision, record.terms[decision], i)
        row = self._course_rows.get(id(lv))  # the scenario's own levers: worked out once
        if row is None:
            values = dynamics.course_of(lv, c)
            row = [_lever_number(k, values[k]) for k in POWER_LEVER_NAMES]
        s["power_levers"][i] = row
        if record is not None and record.powers is not None:
            self.power_records.append((i, record.powers))
        self.count += 1

    def _store_terms(self, decision: str, terms: Mapping[str, np.ndarray], i: int) -> None:
        names = getattr(terms, "names", None) or tuple(terms)  # a choice.Terms carries its names and block
        held = self.terms.get(decision)
        if held is None:  # the first step: allocate for the rule's terms; the start has none (zeros)
            shapes = {np.shape(v) for v in terms.values()}
            if len(shapes) == 1:  # one block of (rows, terms, ...), the terms its slices
                self._blocks[decision] = stacked = np.zeros((self.rows, len(names), *shapes.pop()), np.float32)
                held = {k: stacked[:, j] for j, k in enumerate(names)}
            else:
                held = {k: np.zeros((self.rows,) + np.shape(v), np.float32) for k, v in terms.items()}
            self.terms[decision] = held
            self.terms = {d: self.terms[d] for d in DECISIONS if d in self.terms}  # in the order of the step
            self._names[decision] = names
        if names != self._names[decision]:
            raise ValueError(
                f"the {decision} rule returned the terms {list(names)} at step {i}, "
                f"not the {list(held)} it returned at the first step; a rule's terms must not change"
            )
        stacked = self._blocks.get(decision)
        block = getattr(terms, "block", None)
        if block is not None and stacked is not None and block.shape == stacked.shape[1:]:
            stacked[i] = block
        else:
            for k, v in terms.items():
                held[k][i] = v

    # --- what the run reports -----------------------------------------------------------------
    def power_log(self) -> PowerLog:
        """The powers' decisions up to ``count`` (copies)."""
        m, T = self.model, self.count
        strategies = {p: powers._name(m.strategies[p]) for p in POWERS}
        return PowerLog(
            self.steps["scalars"][:T, 1].copy(), self.steps["power_levers"][:T].copy(), strategies, list(self.power_records)
        )

    def recorded(self) -> outcomes.Recorded:
        """The recorded arrays up to ``count`` and the world they describe."""
        m, st, c, T = self.model, self.model.state, self.model.constants, self.count
        s = {k: a[:T] for k, a in self.steps.items()}
        sides = s["sides"]  # (T, layer, trusted / high-risk, n)
        s["hr_core"], s["hr_ran"] = sides[:, 0, 1], sides[:, 1, 1]
        s["net_trusted"] = 0.5 * (sides[:, 0, 0] + sides[:, 1, 0])  # half core, half radio
        s["net_high_risk"] = 0.5 * (sides[:, 0, 1] + sides[:, 1, 1])
        return outcomes.Recorded(
            step=s["scalars"][:, 0].astype(int),
            year=s["scalars"][:, 1],
            us_china_conflict=s["scalars"][:, 2],
            eu_toolbox_strength=s["scalars"][:, 3],
            **{
                k: s[k]
                for k in (
                    "position",
                    "policy",
                    "adequacy",
                    "hr_core",
                    "hr_ran",
                    "premium_paid",
                    "rip_paid",
                    "net_trusted",
                    "net_high_risk",
                    "active",
                    "world",
                    "quality",
                    "reach",
                    "flow",
                )
            },
            strongest=strongest_partner(s["strength"]),
            gdp=st.gdp,
            population=st.population,
            member=st.member,
            gdpr_area=st.gdpr_area,
            third=st.third,
            allies=st.us_ally,
            ring=st.third & c.donors.ring,
            own={p: (st.member if p == "EUU" else st.iso3 == p) for p in POWERS},
            high_risk=c.high_risk,
            origin_index=c.origin_index,
            vendor_names=c.vendor_names,
            weights=m.spec.weights,
        )

    def model_frame(self) -> pd.DataFrame:
        """``model_vars``: one row per recorded step, the columns of :mod:`connsim.outcomes`."""
        if self._model_frame is None or self._model_frame[0] != self.count:
            self._model_frame = (self.count, outcomes.frame(self.recorded()))
        return self._model_frame[1].copy()

    def agent_record(self, copy: bool = True) -> AgentRecord:
        """Every state's decisions and their terms up to ``count`` (copies, or views of the
        recorder's arrays with ``copy=False``: for a run that has ended, whose arrays no step
        will write again)."""
        if not self.record_agents:
            raise ValueError("this run did not record agents (record_agents=False)")
        m, st, T, s = self.model, self.model.state, self.count, self.steps
        a = self.agent_only
        keep = np.copy if copy else (lambda x: x)
        from_steps = {"vendor_policy": "policy", "regime": "regime", "adequacy": "adequacy"}
        fields = {}
        for k in AGENT_FIELDS:
            if k in a:
                fields[k] = keep(a[k][:T])
            elif k in from_steps:
                fields[k] = keep(s[from_steps[k]][:T])
        fields.update(
            {
                "hr_core_share": s["sides"][:T, 0, 1].astype(np.float32),
                "hr_ran_share": s["sides"][:T, 1, 1].astype(np.float32),
                "oda_partners": _count_last(s["active"][:T]),
                "oda_main_partner": strongest_partner(s["strength"][:T]).astype(np.int8),
                "premium_paid_usd": s["premium_paid"][:T].astype(np.float32),
                "rip_paid_usd": s["rip_paid"][:T].astype(np.float32),
            }
        )
        fields = {k: fields[k] for k in AGENT_FIELDS}
        terms = {
            d: {k: keep(arr[:T]) for k, arr in self.terms.get(d, {}).items()}
            or {"none": np.zeros((T, self.n, len(options)), np.float32)}
            for d, (options, _, _) in DECISIONS.items()
        }
        spec, c = m.spec, m.constants
        return AgentRecord(
            iso3=np.asarray(st.iso3, dtype=object).copy(),
            kind=np.asarray(st.kind).copy(),
            year=s["scalars"][:T, 1].copy(),
            fields=fields,
            terms=terms,
            beta={"vendor_policy": spec.beta_policy, "law": spec.beta_regime, "regime": spec.beta_regime, "adequacy": 1.0},
            deciders={
                "vendor_policy": c.policy_deciders.copy(),
                "law": c.regime_deciders.copy(),
                "regime": c.regime_deciders.copy(),
                "adequacy": c.adequacy_scope.copy(),
            },
        )


class RecorderCollector(mesa.DataCollector):
    """Mesa's DataCollector, fed from the recorder: ``model_vars`` holds every outcome of every
    recorded step (a dict of lists, as Mesa's own), so ``mesa.batch_run`` and SolaraViz plot
    components read connsim's numbers. :meth:`collect` is a no-op: the model records each step."""

    def __init__(self, recorder: Recorder):
        super().__init__()
        self._recorder = recorder

    @property
    def model_vars(self) -> dict[str, list]:  # type: ignore[override]
        frame = self._recorder.model_frame()
        return {name: frame[name].tolist() for name in frame.columns}

    @model_vars.setter
    def model_vars(self, value) -> None:  # Mesa's __init__ sets it; connsim's come from the recorder
        pass

    @property
    def _collection_steps(self) -> list[int]:
        """The steps recorded so far (Mesa 3.5's ``batch_run`` reads them)."""
        return list(range(self._recorder.count))

    @_collection_steps.setter
    def _collection_steps(self, value) -> None:
        pass

    def collect(self, model) -> None:
        """Nothing to do: :class:`~connsim.model.WorldModel` records every step itself."""

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        return self._recorder.model_frame()

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        return self._recorder.agent_record().frame()
