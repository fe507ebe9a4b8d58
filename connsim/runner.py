"""One run of a scenario, and what it returns.

>>> from connsim import run
>>> result = run("baseline", seed=0)
>>> result.model_vars[["year", "convergence_index", "hr_vendor_share_world"]].tail(1)  # doctest: +SKIP
>>> result.explain("KEN", step=8)  # why Kenya chose what it chose in 2021Q1   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from connsim import outcomes
from connsim.names import POWERS
from connsim.outcomes import Recorded
from connsim.recorder import DECISIONS, AgentRecord, PowerLog
from connsim.scenario import Scenario, load_scenario

__all__ = ["run", "RunResult", "stop_at", "as_seed"]


@dataclass
class RunResult:
    """The outcome of one run: its frames, and how to reproduce it.

    ``model_vars``: one row per step (step 0 = the start); ``agent_vars``: one row per step and
    state (when agents were recorded); ``explain(iso3, step)``: the terms behind a state's
    choices. ``run(result.scenario, result.seed)`` reproduces the run (``seed`` is always a
    whole number). ``model`` is the :class:`~connsim.model.WorldModel` after the run only when
    ``run(..., keep_model=True)``: a result holds frames, so it pickles small and travels to
    other processes.
    """

    scenario: Scenario
    seed: int
    recorded: Recorded | None = field(default=None, repr=False)  # what model_vars is computed from, until it is
    agents: AgentRecord | None = None
    model: Any = None
    powers: PowerLog | None = field(default=None, repr=False)

    @property
    def calibration(self) -> dict:
        """Which calibration the run's behavioural values came from: ``{"id", "source", "matches",
        "differs"}`` (``connsim/calibration.toml``; ``differs`` names the calibrated parameters
        this run's scenario changed). See :func:`connsim.calibration.calibration_of`."""
        from connsim.calibration import calibration_of

        return calibration_of(self.scenario)

    @cached_property
    def power_vars(self) -> pd.DataFrame:
        """The powers' decisions: one row per step and power (see :meth:`connsim.recorder.PowerLog.frame`)."""
        if self.powers is None:
            raise ValueError("this result holds no record of the powers' decisions")
        return self.powers.frame()

    @cached_property
    def model_vars(self) -> pd.DataFrame:
        """Every outcome of every step (computed on first use, from the recorded arrays)."""
        frame = outcomes.frame(self.recorded)
        self.recorded = None  # the frame replaces the arrays it came from
        return frame

    @cached_property
    def agent_vars(self) -> pd.DataFrame:
        return self._agents().frame()

    def __getstate__(self) -> dict:
        """A result travels with its frame, not the arrays it is computed from."""
        state = dict(self.__dict__)
        state["model_vars"] = self.model_vars
        state["recorded"] = None
        state.pop("agent_vars", None)  # rebuilt from the agent record on demand
        return state

    def _agents(self) -> AgentRecord:
        if self.agents is None:
            raise ValueError("this run did not record agents (record_agents=False)")
        return self.agents

    def explain(self, iso3: str, step: int | None = None) -> pd.DataFrame:
        """The utility terms behind a state's choices at ``step`` (default: the last step).

        One row per decision and option; columns are the terms of that decision's utility (of
        the rule that decided, the model's own or one given by ``rules=``), its total, the logit
        probability it had, and whether it was the option held after the step. Terms belong to
        the choice made during the step that ended at ``step``. Only the decisions the state
        makes are shown: member states pick their 5G policy (their law and its orientation are the
        EU's), third countries their policy, whether to have a data-protection law and its
        orientation; the EU's adequacy decision about the state is shown for the years it was a
        candidate. For a power (``EUU``, ``JPN``, ``USA``, ``CHN``): its yearly decisions
        (:meth:`explain_power`); the EU's adequacy decisions on its candidates: :meth:`explain_adequacy`.
        """
        if iso3 in POWERS:
            return self.explain_power(iso3, step)
        return self._explain_state(iso3, step)

    def explain_power(self, power: str, step: int | None = None) -> pd.DataFrame:
        """Why a power decided as it did in its last yearly decision up to ``step`` (default: the
        last step): one row per decision and option it weighed, with the terms, the utility, the
        logit probability and whether it picked it, for an adaptive power; one row per decision
        (its value and where it came from) for a scripted one or one played by a person or a script.
        ``attrs``: the year, the strategy, what the power observed and China's retaliation act."""
        from connsim.decisions import powers as power_rules

        if self.powers is None:
            raise ValueError("this result holds no record of the powers' decisions")
        last = self.powers.year.shape[0] - 1
        step = last if step is None else int(step)
        if not 0 <= step <= last:
            raise ValueError(f"step must be in 0..{last}")
        strategy = self.powers.strategies[power]
        found = self.powers.decision_at(step)
        if found is None or power not in found[1].decisions:
            row = self.power_vars[(self.power_vars["step"] == step) & (self.power_vars["power"] == power)].iloc[0]
            out = pd.DataFrame({"decision": list(power_rules.POWER_LEVERS[power])})
            out["value"] = [row[k] for k in out["decision"]]
            out["source"] = "the scenario (scripted)"
            out.attrs.update(power=power, step=step, year=float(row["year"]), strategy=strategy)
            return out
        at, rec = found
        frames = []
        if power in rec.terms:
            for lever, terms in rec.terms[power].items():
                options = rec.options[power][lever]
                df = pd.DataFrame({k: v for k, v in terms.items()})
                df.insert(0, "option", list(options))
                df.insert(0, "decision", lever)
                df["utility"] = df[list(terms)].sum(axis=1)
                df["probability"] = rec.probabilities[power][lever]
                df["picked"] = [o == rec.decisions[power][lever] for o in options]
                frames.append(df)
            out = pd.concat(frames, ignore_index=True)
        else:
            out = pd.DataFrame({"decision": list(rec.decisions[power]), "value": list(rec.decisions[power].values())})
            out["source"] = f"the strategy {rec.strategy[power]}" if strategy != "scripted" else "the scenario (scripted)"
        out.attrs.update(
            power=power,
            step=at,
            year=rec.year,
            strategy=rec.strategy[power],
            observations=dict(rec.observations),
            retaliation=dict(rec.retaliation),
        )
        return out

    def _explain_state(self, iso3: str, step: int | None = None) -> pd.DataFrame:
        """The utility terms behind a state's choices (the body of :meth:`explain`)."""
        rec = self._agents()
        step = self._step(step)
        i = self._row(iso3)
        decides = {d: bool(rec.deciders[d][i]) for d in DECISIONS}
        assessed = self._assessment(step)
        decides["adequacy"] = assessed is not None and bool(rec.fields["assessed_adequacy"][assessed, i])
        if not any(decides.values()):
            raise ValueError(f"{iso3} is a power: its 5G policy and data-flow regime are scenario levers, not choices to explain")
        frames = []
        held_of = {
            "vendor_policy": rec.fields["vendor_policy"],
            "law": rec.fields["has_law"].astype(np.int8),
            "regime": rec.fields["regime"],
            "adequacy": rec.fields["adequacy"].astype(np.int8),
        }
        for name, (options, _, _) in DECISIONS.items():
            if not decides[name]:
                continue
            at = assessed if name == "adequacy" else step
            terms = rec.terms[name]
            df = pd.DataFrame({k: v[at, i, :] for k, v in terms.items()}, index=pd.Index(options, name="option"))
            df["utility"] = df[list(terms)].sum(axis=1)
            z = rec.beta[name] * df["utility"].to_numpy()
            p = np.exp(z - z.max())
            df["probability"] = p / p.sum()
            held = held_of[name][at, i]
            df["held"] = [k == held for k in range(len(options))]
            df.insert(0, "decision", name)
            frames.append(df.reset_index())
        out = pd.concat(frames, ignore_index=True)
        out.attrs.update(
            iso3=iso3,
            step=step,
            year=float(rec.year[step]),
            **{field: bool(rec.fields[field][step, i]) for _, _, field in DECISIONS.values()},
        )
        return out

    def explain_adequacy(self, step: int | None = None) -> pd.DataFrame:
        """The EU's adequacy decisions of the year up to ``step``: one row per candidate it assessed,
        with each term of the log-odds of a grant, the total, the probability and whether it granted."""
        rec = self._agents()
        step = self._step(step)
        at = self._assessment(step)
        if at is None:
            raise ValueError(f"the EU has assessed no adequacy candidate by step {step}: it assesses once a year")
        who = np.nonzero(rec.fields["assessed_adequacy"][at])[0]
        terms = rec.terms["adequacy"]
        df = pd.DataFrame(
            {k: v[at, who, 1] - v[at, who, 0] for k, v in terms.items()}, index=pd.Index(rec.iso3[who], name="iso3")
        )
        df["log_odds"] = df[list(terms)].sum(axis=1)
        df["probability"] = 1.0 / (1.0 + np.exp(-df["log_odds"].to_numpy()))
        df["granted"] = rec.fields["adequacy"][at, who]
        df.attrs.update(step=int(at), year=float(rec.year[at] - 1.0 / self._steps_per_year()))
        return df.sort_values("log_odds", ascending=False)

    def _step(self, step: int | None) -> int:
        count = self._agents().year.shape[0]
        step = count - 1 if step is None else int(step)
        if not 0 < step < count:
            raise ValueError(f"step must be in 1..{count - 1} (step 0 is the starting state, before any choice)")
        return step

    def _row(self, iso3: str) -> int:
        hits = np.nonzero(self._agents().iso3 == iso3)[0]
        if hits.size == 0:
            raise KeyError(f"no state {iso3!r}; states are ISO3 codes such as KEN, DEU, JPN, or EUU for the EU")
        return int(hits[0])

    def _steps_per_year(self) -> int:
        return self.scenario.steps_per_year

    def _assessment(self, step: int) -> int | None:
        """The recorded step of the EU's last adequacy assessment up to ``step`` (the step after the
        yearly round), or None."""
        spy = self._steps_per_year()
        at = 1 + ((step - 1) // spy) * spy  # records 1, 1 + spy, ... follow the yearly steps 0, spy, ...
        return at if 0 < at <= step else None

    def summary(self) -> pd.DataFrame:
        """Key outcomes at the start and the end of the run, side by side."""
        from connsim.report import summary_table

        return summary_table(self.model_vars)

    def _repr_html_(self) -> str:
        """Jupyter's view: scenario, seed, years, headline outcomes at start and end, where to go on."""
        from connsim._html import run_html

        return run_html(self)

    def plot(self, title: str | None = None):
        """The run on one page (:func:`connsim.plots.run_overview`): laws and their orientations,
        norm convergence, states restricting high-risk vendors, high-risk shares of core and radio
        networks by bloc, ODA anchoring. Returns a matplotlib Figure."""
        from connsim.plots import run_overview

        return run_overview(self.model_vars, f"{self.scenario.name}, seed {self.seed}" if title is None else title)

    def __repr__(self) -> str:
        years = self.model_vars["year"]
        return (
            f"<RunResult {self.scenario.name!r} seed {self.seed}: {len(self.model_vars) - 1} steps, "
            f"{years.iloc[0]:g}-{years.iloc[-1]:g}{', agents recorded' if self.agents is not None else ''}>"
        )


def stop_at(scenario: Scenario, until: int) -> Scenario:
    """The scenario stopped at the start of year ``until``; its events after that never happen."""
    if until == scenario.end_year + 1:
        return scenario
    kept = [e.model_dump() for e in scenario.events if e.year <= until - scenario.dt + 1e-9]  # the others never apply
    return scenario.replace(end_year=until - 1, events=kept)


def as_seed(seed) -> int:
    """A whole-number seed that reproduces a run, from what a user may pass: a whole number
    (Python or numpy), None (fresh entropy), a ``numpy.random.SeedSequence`` or a
    ``numpy.random.Generator`` (one number is drawn from it). Raises TypeError or ValueError."""
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed: got {seed!r}; allowed a whole number from 0, None, a SeedSequence or a Generator")
    if isinstance(seed, (int, np.integer)):
        if seed < 0:
            raise ValueError(f"seed: got {seed}; allowed a whole number from 0")
        return int(seed)
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    raise TypeError(f"seed: got {type(seed).__name__}; allowed a whole number from 0, None, a SeedSequence or a Generator")


def run(
    scenario: str | Path | Scenario | dict = "baseline",
    seed=0,
    *,
    until: float | None = None,
    record_agents: bool = True,
    rules: Mapping[str, Any] | None = None,
    strategies: Mapping[str, Any] | None = None,
    model_class: type | None = None,
    keep_model: bool = False,
    progress: bool = False,
) -> RunResult:
    """Run a scenario once. The same (scenario, seed, connsim version) gives identical numbers.

    Parameters
    ----------
    scenario : a library name, a TOML path, a dict or a Scenario.
    seed : a whole number (or None, a SeedSequence, a Generator: see :func:`as_seed`); the
        result records the whole number that reproduces the run.
    until : stop at the start of this year instead of the scenario's end (e.g. 2024).
    record_agents : record every state's choices and terms (``agent_vars``, ``explain``);
        False keeps only the outcomes (faster, smaller: for ensembles).
    rules : decision rules replacing the model's own, by name (:data:`connsim.dynamics.RULES`).
    strategies : power -> ``"scripted"``, ``"adaptive"`` or a callable ``f(view) -> {lever: value}``
        (or an object with ``decide(view)``): how the powers take their yearly decisions, over the
        scenario's ``[powers]`` table (:mod:`connsim.decisions.powers`).
    model_class : a :class:`~connsim.model.WorldModel` subclass to run instead.
    keep_model : keep the model after the run in ``result.model``.
    progress : show a progress bar.
    """
    from connsim.model import WorldModel

    spec = load_scenario(scenario)
    if until is not None:
        if not spec.start_year < until <= spec.end_year + 1:
            raise ValueError(f"until={until} is outside the scenario's horizon {spec.start_year + 1}..{spec.end_year + 1}")
        spec = stop_at(spec, int(np.ceil(until)))
    cls = WorldModel if model_class is None else model_class
    if not (isinstance(cls, type) and issubclass(cls, WorldModel)):
        raise TypeError(f"model_class: got {cls!r}; allowed WorldModel or a subclass of it")
    seed = as_seed(seed)
    model = cls(spec, rng=seed, record_agents=record_agents, rules=rules, strategies=strategies)
    steps = range(model.n_steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=spec.name, unit="step")
    for _ in steps:
        model.step()
    rec = model.recorder
    result = RunResult(
        model.spec,
        seed,
        rec.recorded(),
        rec.agent_record(copy=False) if record_agents else None,
        model if keep_model else None,
        rec.power_log(),
    )
    if not keep_model:
        release(model)
    return result


def release(model) -> None:
    """Let a finished model be freed. Mesa 3.3's ``Agent._ids`` (a class-level dict of id counters
    keyed by model) keeps every model ever built alive, about 0.8 MB a run (9 GB in one worker of
    a 22,528-run Sobol analysis); Mesa 3.5 no longer has it. After this, the model must not create
    agents: their ids would start again from 1."""
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
