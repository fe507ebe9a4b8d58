"""The benchmark's yardsticks run on the real world and make valid choices (no timing here:
speed is measured by ``python benchmarks/run.py``, never asserted in tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import connsim
from connsim.seeds import POLICIES, REGIMES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("benchmarks.models", ROOT / "benchmarks" / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_idiomatic_mesa_model_runs_two_steps_with_valid_choices(bench):
    m = bench.IdiomaticWorld("baseline", rng=0)
    assert len(m.agents) == 193
    for _ in range(2):
        m.step()
    agents = m.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 3 * 193  # the start and two steps
    assert agents["policy"].between(0, len(POLICIES) - 1).all()
    assert agents["regime"].between(0, len(REGIMES) - 1).all()
    assert agents["threat"].between(0.0, 2.0).all()
    for c in m.agents:
        assert c.core.sum() == pytest.approx(1.0) and c.ran.sum() == pytest.approx(1.0)
        assert (c.core >= 0).all() and (c.ran >= 0).all()
    model_vars = m.datacollector.get_model_vars_dataframe()
    assert len(model_vars) == 3 and model_vars["hr_ran_share_world"].between(0, 1).all()


def test_kernel_runs_two_steps_with_valid_choices_and_connsims_numbers(bench):
    k = bench.Kernel("baseline", seed=4).run(2)
    st = k.state
    assert st.n == 193 and k.t == 2
    assert set(np.unique(st.policy)) <= set(range(len(POLICIES)))
    assert set(np.unique(st.regime)) <= set(range(len(REGIMES)))
    assert np.allclose(st.core.sum(axis=1), 1.0) and np.allclose(st.ran.sum(axis=1), 1.0)
    # the kernel computes the same rules as connsim: the same states after the same steps
    model = connsim.WorldModel("baseline", rng=4, record_agents=False)
    model.step()
    model.step()
    ref = model.state
    for field in ("policy", "regime", "threat", "core", "ran", "capacity", "strength", "adequacy"):
        np.testing.assert_array_equal(getattr(st, field), getattr(ref, field), err_msg=field)
