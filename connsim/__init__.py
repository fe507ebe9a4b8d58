"""connsim: agent-based simulation of digital geopolitics after the EU-Japan connectivity analysis.

Public API::

    from connsim import load_scenario, run, WorldModel
    result = run("baseline", seed=0)
    result.model_vars      # outcomes per step (pandas)
    result.agent_vars      # every state's decisions per step
    result.explain("KEN")  # why Kenya chose what it chose
    ens = connsim.run_ensemble(["baseline", "hardening_conflict"], replications=20, workers=2, out="out/ens")
    connsim.sweep(...), connsim.sensitivity(...), connsim.discover(...)   # see docs/experiments.md

The names are imported on first use, so that ``import connsim`` (and ``connsim --help``) stays
quick; Mesa is imported only when a model is built.
"""

from __future__ import annotations

import importlib
import sys as _sys

__version__ = "0.1.0"


def _as_command() -> bool:
    """Whether this process is the ``connsim`` command (the console script or ``python -m connsim``)."""
    if _sys.argv and _sys.argv[0] == "-m":  # python -m connsim, while the package is imported
        argv = list(getattr(_sys, "orig_argv", ()))
        return any(a == "-mconnsim" or (a == "-m" and b == "connsim") for a, b in zip(argv, argv[1:] + [""]))
    name = _sys.argv[0].replace("\\", "/").rsplit("/", 1)[-1] if _sys.argv else ""
    return name in ("connsim", "connsim.exe", "connsim-script.py")


#: public name -> the module that defines it
_PUBLIC = {
    "load_scenario": "connsim.scenario",
    "list_scenarios": "connsim.scenario",
    "Scenario": "connsim.scenario",
    "ScenarioError": "connsim.scenario",
    "run": "connsim.runner",
    "RunResult": "connsim.runner",
    "WorldModel": "connsim.model",
    "SeedError": "connsim.seeds",
    "load_seeds": "connsim.seeds",
    "Power": "connsim.agents",
    "MemberState": "connsim.agents",
    "ThirdCountry": "connsim.agents",
    "Vendor": "connsim.agents",
    "RULES": "connsim.dynamics",
    "Situation": "connsim.dynamics",
    "OUTCOMES": "connsim.outcomes",
    # experiments at scale (docs/experiments.md)
    **dict.fromkeys(
        ("run_ensemble", "EnsembleResult", "sweep", "sensitivity", "SensitivityResult", "discover", "DiscoveryResult"),
        "connsim.experiments",
    ),
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name == "experiments":
        return importlib.import_module("connsim.experiments")
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'connsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if _as_command():  # the command's own module, imported here so that a Ctrl-C while it loads is quiet too
    try:
        import connsim.cli  # noqa: F401
    except KeyboardInterrupt:
        exec("None")  # CPython exits by SIGINT if the interrupt passed through an exec of a string; this resets it
        _sys.stderr.write("connsim: interrupted; nothing was written\n")
        raise SystemExit(130) from None
