"""connsim: agent-based simulation of digital geopolitics after the EU-Japan connectivity analysis.

Public API::

    from connsim import load_scenario, run, WorldModel
    result = run("baseline", seed=0)
    result.model_vars      # outcomes per step (pandas)
    result.agent_vars      # every state's decisions per step
    result.explain("KEN")  # why Kenya chose what it chose

    ens = connsim.run_ensemble(["baseline", "hardening_conflict"], replications=20, workers=2, out="out/ens")
    connsim.sweep(...), connsim.sensitivity(...), connsim.discover(...)   # see docs/experiments.md
"""

from connsim.agents import MemberState, Power, ThirdCountry, Vendor
from connsim.model import WorldModel
from connsim.run import RunResult, run
from connsim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
from connsim.seeds import SeedError, load_seeds

__version__ = "0.1.0"

#: experiments at scale (connsim.experiments), imported on first use
_EXPERIMENTS = ("run_ensemble", "EnsembleResult", "sweep", "sensitivity", "SensitivityResult", "discover", "DiscoveryResult")

__all__ = [
    "load_scenario", "list_scenarios", "run", "RunResult", "WorldModel", "Scenario", "ScenarioError",
    "SeedError", "load_seeds", "Power", "MemberState", "ThirdCountry", "Vendor", "__version__", *_EXPERIMENTS,
]


def __getattr__(name):
    if name in _EXPERIMENTS or name == "experiments":
        import connsim.experiments as experiments

        return experiments if name == "experiments" else getattr(experiments, name)
    raise AttributeError(f"module 'connsim' has no attribute {name!r}")
