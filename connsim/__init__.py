"""connsim: agent-based simulation of digital geopolitics after the EU-Japan connectivity analysis.

Public API::

    from connsim import load_scenario, run, WorldModel
    result = run("baseline", seed=0)
    result.model_vars      # outcomes per step (pandas)
    result.agent_vars      # every state's decisions per step
    result.explain("KEN")  # why Kenya chose what it chose
"""

import sys as _sys


def _as_command() -> bool:
    """Whether this process is the ``connsim`` command (the console script or ``python -m connsim``)."""
    if _sys.argv and _sys.argv[0] == "-m":  # python -m connsim, while the package is imported
        argv = list(getattr(_sys, "orig_argv", ()))
        return any(a == "-mconnsim" or (a == "-m" and b == "connsim") for a, b in zip(argv, argv[1:] + [""]))
    name = _sys.argv[0].replace("\\", "/").rsplit("/", 1)[-1] if _sys.argv else ""
    return name in ("connsim", "connsim.exe", "connsim-script.py")


try:
    from connsim.agents import MemberState, Power, ThirdCountry, Vendor
    from connsim.model import WorldModel
    from connsim.run import RunResult, run
    from connsim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
    from connsim.seeds import SeedError, load_seeds

    if _as_command():  # the command's module too, inside this guard
        import connsim.cli  # noqa: F401
except KeyboardInterrupt:
    # Ctrl-C during the ~0.7 s of imports: the command exits quietly (130), as it does later on;
    # a Python session importing connsim gets its KeyboardInterrupt as usual
    if not _as_command():
        raise
    exec("None")  # CPython exits by SIGINT if the interrupt passed through an exec of a string (scipy's imports do); this resets it
    _sys.stderr.write("connsim: interrupted; nothing was written\n")
    raise SystemExit(130) from None

__version__ = "0.1.0"

__all__ = [
    "load_scenario", "list_scenarios", "run", "RunResult", "WorldModel", "Scenario", "ScenarioError",
    "SeedError", "load_seeds", "Power", "MemberState", "ThirdCountry", "Vendor", "__version__",
]
