"""WorldModel: the Mesa model. It builds the world and its agents, calls the step, and records.

The rules are not here: one step of the world is :func:`connsim.dynamics.step`, a pure function
over arrays, and each decision is whole in ``connsim/decisions/``. The model holds the state
arrays (``model.state``), the run's constants (``model.constants``) and the levers of every
step (``model.levers``); its Mesa agents are thin views on the arrays (``connsim.agents``). All
randomness comes from ``model.rng``: a fixed block of uniform numbers per step, so a run is a
pure function of its scenario and seed.

Mesa's own tools work on it: every scenario lever and weight is a validated constructor keyword
(``WorldModel("baseline", us_pressure=0.8, rng=1)``), ``model.datacollector`` is a Mesa
DataCollector fed from the recorder (``mesa.batch_run`` and SolaraViz plot components read it),
``model.agents`` holds the states and ``model.vendors`` the vendors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from connsim import dynamics, networks
from connsim.agents import MemberState, Power, ThirdCountry, Vendor, union_view
from connsim.decisions import powers, regimes
from connsim.names import DONORS, KINDS
from connsim.recorder import Recorder, RecorderCollector
from connsim.scenario import Scenario, ScenarioError, load_scenario, with_parameters
from connsim.seeds import load_seeds
from connsim.world import start_world

__all__ = ["WorldModel"]

_CLASSES = {"Power": Power, "MemberState": MemberState, "ThirdCountry": ThirdCountry}


class WorldModel(mesa.Model):
    """The world of digital connectivity after the EU-Japan partnership (from end-2019).

    Parameters
    ----------
    spec : a library name, a TOML path, a dict or a :class:`~connsim.scenario.Scenario`
        (default ``"baseline"``). The scenario is at ``model.spec``: Mesa 3.5 reserves
        ``model.scenario`` for its own.
    rng : seed (a whole number) or numpy Generator; the only source of randomness.
    record_agents : record every state's choices and utility terms (``agent_vars``, ``explain``).
    rules : decision rules replacing the model's own, by name (see :data:`connsim.dynamics.RULES`).
    strategies : power -> ``"scripted"``, ``"adaptive"`` or a callable ``f(view) -> {lever: value}``
        (or an object with ``decide(view)``), over the scenario's ``[powers]`` table: how the EU,
        Japan, the US and China take their yearly decisions (:mod:`connsim.decisions.powers`).
    **parameters : any scenario lever, behaviour parameter or weight, validated
        (``us_pressure=0.8``, ``beta_regime=2``, ``w_peer=0.3``): the scenario with these changed.

    State arrays are at ``model.state``; networkx graphs at ``model.trade_graph()``,
    ``model.security_graph()``, ``model.data_flow_graph()`` and ``model.oda_graph()``.
    """

    def __init__(
        self,
        spec: str | Path | Scenario | dict = "baseline",
        *,
        rng=None,
        record_agents: bool = True,
        rules: Mapping[str, dynamics.Rule] | None = None,
        strategies: Mapping[str, Any] | None = None,
        scenario: Any = None,
        **parameters: Any,
    ):
        if scenario is not None:  # Mesa 3.5's own Scenario (SolaraViz's Reset passes one): only its rng
            if not hasattr(scenario, "rng") or isinstance(scenario, (str, Path, dict, Scenario)):
                raise TypeError("WorldModel takes connsim's scenario as its first argument (spec=...), not scenario=")
            rng = scenario.rng if rng is None else rng
        super().__init__(rng=rng)
        self.spec: Scenario = with_parameters(load_scenario(spec), parameters)
        self.rules = _checked_rules(rules)
        self.strategies = powers.resolve_strategies(self.spec, strategies)
        # the powers' own random numbers: a stream apart, so that scripted powers leave the world's as they were
        self.power_rng = np.random.default_rng(self.rng.bit_generator.seed_seq.spawn(1)[0])
        self.seeds = load_seeds()
        self.state, self.constants = start_world(self.seeds, self.spec, self.rng)
        st, c = self.state, self.constants
        self.t, self.year = 0, float(self.spec.start_year)
        self.levers = dynamics.lever_table(self.spec)
        self.start_levers = lv = dynamics.start_levers(self.spec)
        self.last_record: dynamics.StepRecord | None = None
        self.compatibility_at_start = regimes.effective_compatibility(
            c.compat_base, lv.dfft_multilateral_push, regimes.interoperability(lv.cooperation), self.spec.weights
        )
        self.flow_at_start = regimes.flow_intensity(self.compatibility_at_start, self.spec.weights)

        # --- Mesa agents: thin views on the arrays; the vendors in an agent set of their own
        self.union = Power(self, -1, "EUU", "European Union", "Europe", "Power")
        for i, (kind, iso3, name, region, paper_region) in enumerate(
            zip(st.kind.tolist(), st.iso3.tolist(), st.name.tolist(), st.region.tolist(), st.paper_region.tolist())
        ):
            _CLASSES[KINDS[kind]](self, i, iso3, name, region, paper_region)
        self._vendor_agents = [Vendor(self, k, name) for k, name in enumerate(c.vendor_names)]
        for vendor in self._vendor_agents:
            self.deregister_agent(vendor)  # states only in model.agents: reporters never hit a firm
        if not self.agents_by_type.get(Vendor, ()):
            self._agents_by_type.pop(Vendor, None)  # nor an empty Vendor entry in agents_by_type
        self.vendors = mesa.agent.AgentSet(self._vendor_agents, random=self.random)
        self._by_iso3 = {a.iso3: a for a in self.agents}
        self.recorder = Recorder(self, record_agents=record_agents)
        self.recorder.collect()
        self.datacollector = RecorderCollector(self.recorder)

    @property
    def n_steps(self) -> int:
        """Steps from the start through the end of the scenario's last year."""
        return self.spec.n_steps

    @property
    def states(self):
        """The state agents (the EU itself, the powers, member states, third countries): ``model.agents``."""
        return self.agents

    def step(self) -> None:
        """Advance the world by one step: :func:`connsim.dynamics.step`, then record."""
        if self.t >= self.n_steps:
            raise RuntimeError(
                f"scenario {self.spec.name!r} ends after {self.n_steps} steps (the end of {self.spec.end_year}); "
                "to run further, give it a later end_year: load_scenario(...).replace(end_year=...)"
            )
        lv = self.levers[self.t]
        u = self.rng.random((dynamics.N_UNIFORMS, self.state.n))
        turn = None
        if lv.oda_round:  # the powers decide at the first step of each year
            turn = dynamics.PowerTurn(self.strategies, self.power_rng.random(powers.N_POWER_UNIFORMS), self.t)
        self.last_record = dynamics.step(self.state, lv, u, self.constants, self.spec, self.rules, turn)
        self.t += 1
        self.year = float(self.spec.year_of(self.t))
        self.recorder.collect(self.last_record, self.last_record.levers)
        self.running = self.t < self.n_steps

    # --- views for users -----------------------------------------------------------------------
    @property
    def compatibility(self) -> np.ndarray:
        """The (5, 5) compatibility of positions in force (after the DFFT push and EU-Japan cooperation)."""
        return self.compatibility_at_start if self.last_record is None else self.last_record.compatibility

    @property
    def flow(self) -> np.ndarray:
        """The (5, 5) free-flow intensity between positions in force, 0..1."""
        return self.flow_at_start if self.last_record is None else self.last_record.flow

    donors = DONORS  # the donors of digital ODA: the axis of ``state.strength``

    def world_vendor_shares(self, layer: str = "ran") -> np.ndarray:
        """Each vendor's share of the world's installed core or radio network (GDP-weighted)."""
        return self.state.installed[("core", "ran").index(layer)] @ self.constants.market

    def union_view(self, name: str):
        """An attribute of the EU itself, answered for the Union as a whole (its member states)."""
        return union_view(self, name)

    def agent(self, iso3: str):
        """The agent of a state (or ``EUU`` for the Union) by ISO3 code."""
        try:
            return self._by_iso3[iso3]
        except KeyError:
            raise KeyError(f"no state {iso3!r} in this world; states are ISO3 codes such as KEN, DEU, JPN, or EUU") from None

    def trade_graph(self):
        """Directed trade network (networkx): edge i -> j weighted by j's share of i's trade."""
        return networks.trade_graph(self.state)

    def security_graph(self):
        """Security alignment (networkx): bloc ties, and each state's ties to the US and China."""
        return networks.security_graph(self.state)

    def data_flow_graph(self):
        """States that can exchange personal data freely (networkx; quadratic in a bloc's size)."""
        return networks.data_flow_graph(self.state, self.flow)

    def oda_graph(self):
        """Digital-ODA partnerships (networkx): donor -> recipient, with strength and infrastructure."""
        return networks.oda_graph(self.state, self.year, tied_finance_years=self.spec.weights.tied_finance_years)


def _checked_rules(rules: Mapping[str, dynamics.Rule] | None) -> dict[str, dynamics.Rule]:
    """The rules a run replaces, checked: known decision names, callables."""
    rules = dict(rules or {})
    for name, rule in rules.items():
        if name not in dynamics.RULES:
            raise ScenarioError("rules", [f"{name}: not a decision with a rule; allowed {', '.join(dynamics.RULES)}"])
        if not callable(rule):
            raise ScenarioError(
                "rules", [f"{name}: got {type(rule).__name__}; allowed a function (Situation) -> (utilities, terms)"]
            )
    return rules
