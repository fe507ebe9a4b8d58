"""Experiments at scale: ensembles that resume, sweeps, sensitivity (SALib) and scenario
discovery (PRIM), on any ``concurrent.futures`` executor up to a Dask cluster.

- :func:`run_ensemble`: scenarios x replications -> :class:`EnsembleResult`
- :func:`sweep`: a factorial or Latin-hypercube design over levers and weights
- :func:`sensitivity`: Sobol or Morris indices of an outcome (SALib)
- :func:`discover`: PRIM boxes of lever values where an outcome is above / below a threshold
- :mod:`connsim.experiments.ema`: connsim as an EMA Workbench model

See ``docs/experiments.md``.
"""

from connsim.experiments.design import DesignError, lever, lever_names, spawn_seeds
from connsim.experiments.discovery import DiscoveryResult, discover
from connsim.experiments.ensemble import EnsembleResult, RunsFailedWarning, run_ensemble
from connsim.experiments.sensitivities import SensitivityResult, sensitivity
from connsim.experiments.store import StoreError
from connsim.experiments.sweeps import sweep

__all__ = [
    "run_ensemble", "EnsembleResult", "sweep", "sensitivity", "SensitivityResult", "discover", "DiscoveryResult",
    "DesignError", "StoreError", "RunsFailedWarning", "spawn_seeds", "lever", "lever_names", "load_ensemble",
]


def load_ensemble(path) -> EnsembleResult:
    """The ensemble kept in the store folder ``path``, read back without running anything."""
    return EnsembleResult.load(path)
