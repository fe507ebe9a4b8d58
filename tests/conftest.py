"""Fixtures shared by the test modules: the decision rules' weights, and one baseline run."""

from __future__ import annotations

import pytest

import connsim
from connsim.weights import Weights


@pytest.fixture(scope="session")
def weights() -> Weights:
    """The default weights of the decision rules (``connsim.weights``): immutable, so shared."""
    return Weights()


@pytest.fixture(scope="session")
def weights_with():
    """``weights_with(kappa_swap=2.0)``: the default weights with some changed (validated)."""
    return lambda **changes: Weights(**changes)


@pytest.fixture(scope="session")
def baseline():
    """The baseline, seed 0, with its model kept (every test that only reads it shares it)."""
    return connsim.run("baseline", seed=0, keep_model=True)
