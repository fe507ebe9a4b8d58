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


def test_idiomatic_mesa_model_runs_five_steps_with_valid_choices_and_all_its_rules(bench):
    m = bench.IdiomaticWorld("baseline", rng=0)
    assert len(m.agents_by_type[bench.Country]) == 193
    strength = np.array([c.strength for c in m.countries])
    quality = [v.quality for v in m.vendors]
    for _ in range(5):  # two yearly ODA rounds (steps 0 and 4)
        m.step()
    agents = m.datacollector.get_agenttype_vars_dataframe(bench.Country)
    assert len(agents) == 6 * 193  # the start and five steps
    assert agents["policy"].between(0, len(POLICIES) - 1).all()
    assert agents["regime"].between(0, len(REGIMES) - 1).all()
    assert agents["threat"].between(0.0, 2.0).all()
    for c in m.countries:
        assert c.core.sum() == pytest.approx(1.0) and c.ran.sum() == pytest.approx(1.0)
        assert (c.core >= 0).all() and (c.ran >= 0).all()
    model_vars = m.datacollector.get_model_vars_dataframe()
    assert len(model_vars) == 6 and model_vars["hr_ran_share_world"].between(0, 1).all()
    # the ODA rounds ran (partnerships decayed or strengthened) and vendors' quality moved
    after = np.array([c.strength for c in m.countries])
    assert (after < strength).any() and (after > strength).any()
    assert [v.quality for v in m.vendors] != quality


@pytest.mark.slow
def test_idiomatic_mesa_model_reaches_connsims_outcomes_on_average(bench):
    """The yardstick has comparable rules: over 6 seeds its mean outcomes in 2022 and 2030 are
    connsim's (it draws its random numbers one at a time, so runs differ draw by draw)."""
    cols = ["regime_share_protect", "policy_share_banned", "hr_ran_share_world", "adequacy_decisions"]
    mesa_runs, connsim_runs = [], []
    for seed in range(6):
        m = bench.IdiomaticWorld("baseline", rng=seed)
        for _ in range(m.n_steps):
            m.step()
        mesa_runs.append(m.datacollector.get_model_vars_dataframe()[cols].iloc[[12, 44]].to_numpy(float))
        connsim_runs.append(connsim.run("baseline", seed=seed).model_vars[cols].iloc[[12, 44]].to_numpy(float))
    gap = np.abs(np.mean(mesa_runs, axis=0) - np.mean(connsim_runs, axis=0))
    assert (gap[:, :3] < [0.03, 0.03, 0.01]).all(), gap
    assert (gap[:, 3] < 3.0).all(), gap


WITH_EVENTS = {
    "extends": "baseline", "name": "events",
    "events": [{"year": 2019.25, "kind": "vendor_policy", "iso3": "KEN", "value": "banned"},
               {"year": 2019.5, "kind": "conflict_shock", "value": 0.3},
               {"year": 2019.5, "kind": "regime", "iso3": "BRA", "value": "protect", "hold_years": 0.5}],
}


@pytest.mark.parametrize("scenario", ["baseline", "member_state_fragmentation", WITH_EVENTS], ids=["baseline", "fragmentation", "events"])
def test_kernel_is_connsims_own_step_and_gives_its_numbers(bench, scenario):
    k = bench.Kernel(scenario, seed=4).run(5)
    st = k.state
    assert st.n == 193 and k.t == 5
    assert set(np.unique(st.policy)) <= set(range(len(POLICIES)))
    assert set(np.unique(st.regime)) <= set(range(len(REGIMES)))
    assert np.allclose(st.core.sum(axis=1), 1.0) and np.allclose(st.ran.sum(axis=1), 1.0)
    # the kernel computes the same rules as connsim: the same states after the same steps
    model = connsim.WorldModel(scenario, rng=4, record_agents=False)
    for _ in range(5):  # two yearly ODA rounds (steps 0 and 4)
        model.step()
    ref = model.state
    for field in ("policy", "regime", "threat", "core", "ran", "capacity", "strength", "adequacy"):
        np.testing.assert_array_equal(getattr(st, field), getattr(ref, field), err_msg=field)
