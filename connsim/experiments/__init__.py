"""Experiments at scale: ensembles that resume, sweeps, sensitivity (SALib) and scenario
discovery (PRIM), on any ``concurrent.futures`` executor up to a Dask cluster.

- :func:`run_ensemble`: scenarios x replications -> :class:`EnsembleResult`
- :func:`sweep`: a factorial or Latin-hypercube design over levers and weights
- :func:`sensitivity`: Sobol or Morris indices of an outcome (SALib)
- :func:`discover`: PRIM boxes of lever values where an outcome is above / below a threshold
- :mod:`connsim.experiments.ema`: connsim as an EMA Workbench model

See ``docs/experiments.md``.
"""

from __future__ import annotations

import importlib

#: public name -> the module that defines it (imported on first use: ``connsim --help`` stays quick)
_PUBLIC = {
    "run_ensemble": "ensemble",
    "EnsembleResult": "ensemble",
    "RunsFailedWarning": "ensemble",
    "sweep": "sweeps",
    "sensitivity": "sensitivities",
    "SensitivityResult": "sensitivities",
    "discover": "discovery",
    "DiscoveryResult": "discovery",
    "StoreError": "store",
    "DesignError": "design",
    "spawn_seeds": "design",
    "lever": "design",
    "lever_names": "design",
}

__all__ = [*_PUBLIC, "load_ensemble"]


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'connsim.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"connsim.experiments.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ensemble(path):
    """The ensemble kept in the store folder ``path``, read back without running anything
    (an :class:`EnsembleResult`)."""
    from connsim.experiments.ensemble import EnsembleResult

    return EnsembleResult.load(path)
