"""One run of a scenario, and what it returns.

>>> from connsim import run
>>> result = run("baseline", seed=0)
>>> result.model_vars[["year", "convergence_index", "hr_vendor_share_world"]].tail(1)  # doctest: +SKIP
>>> result.explain("KEN", step=8)  # why Kenya chose what it chose in 2021Q1   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from connsim.decisions import regimes, vendors
from connsim.model import WorldModel
from connsim.scenario import Scenario, load_scenario
from connsim.seeds import POLICIES, REGIMES

__all__ = ["run", "RunResult", "stop_at"]


@dataclass
class RunResult:
    """The outcome of one run: the model after the run and its recorded frames.

    ``model_vars``: one row per step (step 0 = the start); ``agent_vars``: one row per step and
    state. ``scenario`` and ``seed`` reproduce it: ``run(result.scenario, result.seed)``.
    """

    model: WorldModel
    seed: int | None
    scenario: Scenario = field(init=False)

    def __post_init__(self):
        self.scenario = self.model.spec

    @cached_property
    def model_vars(self) -> pd.DataFrame:
        return self.model.recorder.model_frame()

    @cached_property
    def agent_vars(self) -> pd.DataFrame:
        return self.model.recorder.agent_frame()

    def explain(self, iso3: str, step: int | None = None) -> pd.DataFrame:
        """The utility terms behind a state's choices at ``step`` (default: the last step).

        One row per decision and option; columns are the terms of that decision's utility, its
        total, the logit probability it had, and whether it was the option held after the step.
        Terms belong to the choice made during the step that ended at ``step``. Only the
        decisions the state makes are shown: member states pick their 5G policy (their regime is
        the EU's), third countries both; the powers' own policy and regime are scenario levers.
        """
        rec = self.model.recorder
        if not rec.record_agents:
            raise ValueError("this run did not record agents (record_agents=False)")
        st = self.model.state
        hits = np.nonzero(st.iso3 == iso3)[0]
        if hits.size == 0:
            raise KeyError(f"no state {iso3!r}; states are ISO3 codes such as KEN, DEU, JPN")
        i = int(hits[0])
        decides = {"vendor_policy": bool(self.model.policy_deciders[i]), "regime": bool(self.model.regime_deciders[i])}
        if not any(decides.values()):
            raise ValueError(f"{iso3} is a power: its 5G policy and data-flow regime are scenario levers, not choices to explain")
        step = rec.count - 1 if step is None else int(step)
        if not 0 < step < rec.count:
            raise ValueError(f"step must be in 1..{rec.count - 1} (step 0 is the starting state, before any choice)")
        frames = []
        for name, options, terms, held, beta in (
            ("vendor_policy", POLICIES, vendors.POLICY_TERMS, rec.agent["vendor_policy"][step, i], self.scenario.beta_policy),
            ("regime", REGIMES, regimes.REGIME_TERMS, rec.agent["regime"][step, i], self.scenario.beta_regime),
        ):
            if not decides[name]:
                continue
            values = (rec.terms_policy if name == "vendor_policy" else rec.terms_regime)[step, :, i, :]
            df = pd.DataFrame(values.T, columns=list(terms), index=pd.Index(options, name="option"))
            df["utility"] = df[list(terms)].sum(axis=1)
            z = beta * df["utility"].to_numpy()
            p = np.exp(z - z.max())
            df["probability"] = p / p.sum()
            df["held"] = [k == held for k in range(len(options))]
            df.insert(0, "decision", name)
            frames.append(df.reset_index())
        out = pd.concat(frames, ignore_index=True)
        out.attrs.update(iso3=iso3, step=step, year=float(self.scenario.year_of(step)),
                         revised_policy=bool(rec.agent["revised_policy"][step, i]),
                         revised_regime=bool(rec.agent["revised_regime"][step, i]))
        return out

    def summary(self) -> pd.DataFrame:
        """Key outcomes at the start and the end of the run, side by side."""
        from connsim.report import summary_table

        return summary_table(self.model_vars)


def stop_at(scenario: Scenario, until: int) -> Scenario:
    """The scenario stopped at the start of year ``until``; its events after that never happen."""
    if until == scenario.end_year + 1:
        return scenario
    kept = [e.model_dump() for e in scenario.events if e.year <= until - scenario.dt + 1e-9]  # the others never apply
    return scenario.replace(end_year=until - 1, events=kept)


def run(
    scenario: "str | Path | Scenario | dict" = "baseline",
    seed: int | None = 0,
    *,
    until: float | None = None,
    record_agents: bool = True,
    progress: bool = False,
) -> RunResult:
    """Run a scenario once. The same (scenario, seed, connsim version) gives identical numbers.

    ``until``: stop at the start of this year instead of the scenario's end (e.g. 2024).
    ``record_agents=False`` keeps only the outcomes (faster for large ensembles).
    """
    spec = load_scenario(scenario)
    if until is not None:
        if not spec.start_year < until <= spec.end_year + 1:
            raise ValueError(f"until={until} is outside the scenario's horizon {spec.start_year + 1}..{spec.end_year + 1}")
        spec = stop_at(spec, int(np.ceil(until)))
    model = WorldModel(spec, rng=seed, record_agents=record_agents)
    steps = range(model.n_steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=spec.name, unit="step")
    for _ in steps:
        model.step()
    return RunResult(model, seed)
