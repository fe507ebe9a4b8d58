"""Classroom mode: a person takes the EU's or Japan's yearly decisions on the page (no Solara needed here).

The rule of a session (:class:`ClassroomModel`):

- the **player** (the EU or Japan) decides through the strategy interface of
  :mod:`connsim.decisions.powers`: its strategy (:class:`Player`) answers with the choices set on
  the page *when the year's step comes* (the first step of each year), whether that step comes
  from Mesa's Step, its play loop or the page's "play the year" button. The model never waits:
  Mesa's controller steps the model from a button handler or its play thread, and a step that
  blocked until the player answered would freeze the page that must deliver the answer;
- the **other powers** follow the model, all ``scripted`` or all ``adaptive`` (the teacher's
  choice, ``others``);
- a **reference run** (``model.reference``) steps alongside: the same scenario, the same seed
  and the same events, with the model deciding for the player's power too (the ``others``
  strategy). Both runs draw the same random numbers, so the player's scorecard against the
  reference's is a paired comparison: what differs is what the player decided;
- the teacher **injects events** (:meth:`ClassroomModel.inject_event`: a conflict shock or an
  imposed policy, the scenario's own ``[[events]]``) at the next step, into both runs;
- the **session saves** as a scenario (:meth:`ClassroomModel.session_toml`): the scenario as
  played (the sliders' levers, the injected events), the other powers' strategy, and the
  player's decisions of each year as a ``replay`` table (``[powers.EUU.decisions.2021]``).
  ``connsim run FILE --seed N`` replays it to the same numbers (the file's first lines give the
  exact command).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from connsim import dynamics, outcomes
from connsim.dashboard.levers import POWER_NAMES, DashboardModel, lever_value
from connsim.decisions.powers import POWER_LEVERS
from connsim.model import WorldModel
from connsim.names import EVENT_KINDS, POLICIES, POWERS, REGIMES
from connsim.report import SCORECARD
from connsim.scenario import Event, Scenario, ScenarioError, load_scenario
from connsim.weights import Weights

__all__ = [
    "PLAYABLE",
    "MODEL_STRATEGIES",
    "Player",
    "ClassroomModel",
    "scorecard_rows",
    "decision_rows",
    "event_values",
    "scenario_toml",
]

#: The powers a person may play.
PLAYABLE = ("EUU", "JPN")
#: How the other powers (and the reference run's player power) decide: the teacher's choice.
MODEL_STRATEGIES = ("scripted", "adaptive")


class Player:
    """The player's strategy: ``f(view) -> {lever: value}`` answering with the choices set on the
    page (``choices``) at the moment the year's step comes."""

    __name__ = "player"  # the strategy's name in the record of the powers' decisions

    def __init__(self, power: str, choices: Mapping[str, Any] | None = None):
        self.power = power
        self.choices: dict[str, Any] = dict(choices or {})

    def __call__(self, view: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.choices)


def _problem(key: str, text: str) -> ScenarioError:
    return ScenarioError("classroom", [f"{key}: {text}"])


class ClassroomModel(DashboardModel):
    """One classroom session: a :class:`~connsim.dashboard.levers.DashboardModel` whose ``player``
    power decides through :class:`Player` (``model.choices``), the others by ``others``, with a
    reference run (``model.reference``) where the model decides for the player's power too.

    Parameters
    ----------
    spec, seed, **kwargs : the scenario, the seed and the levers, as :class:`~connsim.dashboard.levers.DashboardModel`.
    player : ``"EUU"`` or ``"JPN"``; others : ``"scripted"`` or ``"adaptive"``.
    """

    def __init__(
        self,
        spec: str | Path | Scenario | dict = "baseline",
        *,
        seed: int = 0,
        player: str = "EUU",
        others: str = "scripted",
        scenario: Any = None,
        **kwargs: Any,
    ):
        if player not in PLAYABLE:
            raise _problem("player", f"got {player!r}; allowed {', '.join(PLAYABLE)}")
        if others not in MODEL_STRATEGIES:
            raise _problem("others", f"got {others!r}; allowed {', '.join(MODEL_STRATEGIES)}")
        self.player, self.others = player, others
        self.player_strategy = Player(player)
        strategies: dict[str, Any] = {p: others for p in POWERS}
        strategies[player] = self.player_strategy
        super().__init__(load_scenario(spec), seed=seed, scenario=scenario, strategies=strategies, **kwargs)
        # the player starts from its course: the levers in force at the first step
        self.player_strategy.choices = {k: lever_value(self, k) for k in POWER_LEVERS[player]}
        self.reference = WorldModel(self.spec, rng=self.run_seed, record_agents=False, strategies=dict.fromkeys(POWERS, others))
        self.injected: list[Event] = []

    @property
    def choices(self) -> dict[str, Any]:
        """The player's choices on the page: lever -> value, taken at the next yearly step."""
        return self.player_strategy.choices

    def choose(self, lever: str, value: Any) -> None:
        """Set one of the player's choices (checked as a strategy's decision is)."""
        from connsim.decisions.powers import decision_problem

        if lever not in POWER_LEVERS[self.player]:
            raise _problem(lever, f"not one of {self.player}'s decisions; allowed {', '.join(POWER_LEVERS[self.player])}")
        if isinstance(value, np.generic):
            value = value.item()
        problem = decision_problem(self.player, lever, value)
        if problem:
            raise _problem(lever, problem)
        self.choices[lever] = value if isinstance(value, str) else float(value)

    def step(self) -> None:
        """One step of the session and of the reference run (nothing once the run has ended)."""
        if self.t >= self.n_steps:
            self.running = False
            return
        super().step()
        self.reference.step()

    def play_year(self) -> int:
        """Step to the start of the next year (or the end of the run): the steps taken."""
        steps = 0
        while self.t < self.n_steps and (steps == 0 or self.t % self.spec.steps_per_year):
            self.step()
            steps += 1
        return steps

    @property
    def next_decision(self) -> tuple[int, float] | None:
        """(step, year) of the player's next yearly decision, or None after the last one."""
        per = self.spec.steps_per_year
        step = -(-self.t // per) * per
        return None if step >= self.n_steps else (step, float(self.spec.year_of(step)))

    # --- the teacher's events --------------------------------------------------------------------

    def inject_event(self, kind: str, value: Any, iso3: str | None = None, hold_years: float | None = None) -> Event:
        """Add an event (the scenario's ``[[events]]``: ``conflict_shock`` with a value in -1..1,
        or ``vendor_policy`` / ``regime`` / ``adequacy`` imposed on ``iso3``) at the next step,
        to the session and the reference run. Raises :class:`~connsim.scenario.ScenarioError`."""
        if self.t >= self.n_steps:
            raise _problem("event", "the run has ended; allowed while steps remain (Reset starts it again)")
        if kind not in EVENT_KINDS:
            raise _problem("event.kind", f"got {kind!r}; allowed {', '.join(EVENT_KINDS)}")
        event: dict[str, Any] = {"year": float(self.year), "kind": kind, "value": value}
        if kind != "conflict_shock":
            event["iso3"] = iso3
        if hold_years is not None:
            event["hold_years"] = float(hold_years)
        new = self.spec.replace(events=[*(e.model_dump(exclude_none=True) for e in self.spec.events), event])
        # the events apply at the first step on or after their year: the steps done keep their levers
        for model in (self, self.reference):
            model.spec = new
            model.levers[self.t :] = dynamics.lever_table(new)[self.t :]
        self.injected.append(new.events[-1])
        return new.events[-1]

    # --- the saved session -----------------------------------------------------------------------

    def decisions_so_far(self) -> dict[int, dict[str, Any]]:
        """The player's decisions of each year played: year -> {lever: value} (as in force)."""
        return {int(rec.year): dict(rec.decisions[self.player]) for _, rec in self.recorder.power_records}

    def session_scenario(self, path: str = "FILE") -> Scenario:
        """The session as a scenario: the scenario as played (levers, injected events), the other
        powers' strategy and the player's decisions as a replay table. Raises ScenarioError before
        the first yearly decision."""
        decisions = self.decisions_so_far()
        if not decisions:
            raise _problem(
                "save", "no decision taken yet; allowed after the first step (the powers decide at the start of each year)"
            )
        powers: dict[str, Any] = {p: {"strategy": self.others} for p in POWERS}
        powers[self.player] = {"strategy": "replay", "decisions": decisions}
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{self.spec.name}_session_{self.player}")
        description = (
            f"A classroom session from the dashboard: {POWER_NAMES[self.player]} ({self.player}) played on the page, "
            f"the other powers {self.others}, seed {self.run_seed}, {self.t} of {self.n_steps} steps played, from "
            f"the scenario {self.spec.name}. {self.replay_command(path)}"
        )
        return self.spec.replace(name=name, description=description, extends=None, powers=powers)

    def replay_command(self, path: str) -> str:
        """The command that replays the saved session to the same numbers."""
        per = self.spec.steps_per_year
        command = f"connsim run {path} --seed {self.run_seed}"
        if self.t < self.n_steps and self.t % per == 0 and self.t > 0:
            return f"Replay: {command} --until {int(self.spec.year_of(self.t))} gives the session's numbers."
        if self.t >= self.n_steps:
            return f"Replay: {command} gives the session's numbers."
        return f"Replay: {command}: its first {self.t} steps are the session's (the session stopped within a year)."

    def session_toml(self, path: str = "FILE") -> str:
        """The saved session as TOML text (:meth:`session_scenario`), checked to load back equal."""
        spec = self.session_scenario(path)
        text = f"# {self.replay_command(path)}\n" + scenario_toml(spec)
        again = load_scenario(_loads(text))
        if again != spec:  # the writer must express the scenario exactly
            raise RuntimeError("the session's TOML does not load back to the session's scenario")
        return text


def _loads(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


# --- what the classroom panel shows ------------------------------------------------------------------


def _shown(value: float, kind: str) -> str:
    if kind == "share":
        return f"{value:.1%}"
    if kind == "usd":
        return f"US$ {value:.2f} bn"
    return f"{value:.0f}" if kind == "count" else f"{value:.3f}"


def scorecard_rows(model: ClassroomModel) -> list[tuple[str, str, str, str]]:
    """The player's power's strategic-autonomy scorecard now, the player's run against the
    reference run (the model deciding for that power): (measure, player, model, player - model)."""
    mine = model.recorder.model_frame().iloc[-1]
    theirs = model.reference.recorder.model_frame().iloc[-1]
    rows = []
    for m in SCORECARD:
        column = f"scorecard_{m}_{model.player}"
        o = outcomes.outcome(column)
        a, b = float(mine[column]), float(theirs[column])
        diff = a - b
        sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
        shown = _shown(abs(diff), o.kind) if o.kind != "share" else f"{abs(diff) * 100:.1f} points"
        rows.append((o.label.split(": ", 1)[-1], _shown(a, o.kind), _shown(b, o.kind), f"{sign}{shown}"))
    return rows


def decision_rows(model: ClassroomModel) -> list[tuple[str, str, str, str]]:
    """Each of the player's decisions: (lever, set on the page now, in force now, the model's in
    force now in the reference run)."""
    rows = []
    for lever in POWER_LEVERS[model.player]:
        rows.append(
            (
                lever,
                _value_text(model.choices[lever]),
                _value_text(lever_value(model, lever)),
                _value_text(lever_value(model.reference, lever)),
            )
        )
    return rows


def _value_text(value: Any) -> str:
    return value.replace("_", " ") if isinstance(value, str) else f"{value:g}"


def event_values(kind: str) -> list[Any]:
    """The values an injected event of ``kind`` may take on the page."""
    if kind == "conflict_shock":
        return [0.3, 0.2, 0.1, -0.1, -0.2, -0.3]
    if kind == "adequacy":
        return [True, False]
    return list(POLICIES if kind == "vendor_policy" else REGIMES)


def scorecard_frame(model: ClassroomModel) -> pd.DataFrame:
    """The player's power's scorecard over time in both runs: one row per step, columns
    ``year``, ``<measure>`` (the player's run) and ``<measure>_model`` (the reference run)."""
    mine = model.recorder.model_frame()
    theirs = model.reference.recorder.model_frame()
    out = pd.DataFrame({"year": mine["year"].to_numpy()})
    for m in SCORECARD[:4]:
        column = f"scorecard_{m}_{model.player}"
        out[m] = mine[column].to_numpy()
        out[f"{m}_model"] = theirs[column].to_numpy()
    return out


# --- a scenario as TOML --------------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: Any) -> str:
    k = str(k)
    return k if _BARE.match(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            raise ValueError(f"a scenario holds finite numbers only, got {v!r}")
        return repr(float(v))  # the shortest text that reads back as the same float
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def scenario_toml(spec: Scenario) -> str:
    """A scenario as a self-contained TOML file (no ``extends``): the values that differ from the
    defaults, the weights that differ from theirs, the powers' strategies (with a replay's table
    of decisions) and the events. ``load_scenario`` of the text gives ``spec`` back."""
    lines: list[str] = []
    tables: list[str] = []
    defaults = Scenario.model_fields
    for name in Scenario.model_fields:
        value = getattr(spec, name)
        if name in ("extends", "weights", "powers", "events"):
            continue
        if name not in ("name", "description") and value == defaults[name].default:
            continue
        lines.append(f"{name} = {_value(value)}")
    changed = {
        k: getattr(spec.weights, k) for k in Weights.model_fields if getattr(spec.weights, k) != Weights.model_fields[k].default
    }
    if changed:
        tables.append("[weights]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in changed.items()))
    for power, p in spec.powers.items():
        tables.append(f'[powers.{power}]\nstrategy = "{p.strategy}"\n')
        for year, chosen in p.decisions.items():
            tables.append(
                f"[powers.{power}.decisions.{year}]\n" + "".join(f"{_key(k)} = {_value(v)}\n" for k, v in chosen.items())
            )
    for ev in spec.events:
        tables.append("[[events]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in ev.model_dump(exclude_none=True).items()))
    return "\n".join(lines) + "\n\n" + "\n".join(tables)
