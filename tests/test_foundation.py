"""The house the rest builds on: one step, public rules, small results, quick imports, seeds that
are whole numbers, and agents that refuse values outside their domain."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import connsim
from connsim import outcomes
from connsim.decisions.regimes import REGIME_TERMS
from connsim.names import REGIMES

SHORT = {"until": 2021}
TRUST = REGIMES.index("trust")


# --- rules -------------------------------------------------------------------------------------


def lean_to_trust(situation):
    """The model's regime rule plus a strong pull toward 'trust' for every third country."""
    utilities, terms = connsim.RULES["regime"](situation)
    pull = np.zeros_like(utilities)
    pull[situation.state.third, TRUST] = 5.0
    return utilities + pull, {**terms, "pull_to_trust": pull}


def test_a_rule_replaced_through_run_decides_and_explain_shows_its_terms():
    own = connsim.run("baseline", seed=3, **SHORT)
    custom = connsim.run("baseline", seed=3, rules={"regime": lean_to_trust}, **SHORT)
    assert custom.model_vars["regime_share_trust"].iloc[-1] > own.model_vars["regime_share_trust"].iloc[-1] + 0.05
    e = custom.explain("KEN", step=4).query("decision == 'regime'").set_index("option")
    assert e.loc["trust", "pull_to_trust"] == 5.0 and e.loc["protect", "pull_to_trust"] == 0.0
    terms = [*REGIME_TERMS, "pull_to_trust"]
    assert np.allclose(e[terms].sum(axis=1), e["utility"], atol=1e-5)  # the utility is the rule's, term by term
    assert "pull_to_trust" not in own.explain("KEN", step=4)


def test_passing_the_models_own_rules_changes_nothing():
    own = connsim.run("baseline", seed=5, **SHORT)
    same = connsim.run("baseline", seed=5, rules=dict(connsim.RULES), **SHORT)
    pd.testing.assert_frame_equal(own.model_vars, same.model_vars)


def test_unknown_rules_and_rules_whose_terms_change_are_refused():
    with pytest.raises(
        connsim.ScenarioError, match="procurment: not a decision with a rule; allowed vendor_policy, law, regime, adequacy"
    ):
        connsim.run("baseline", rules={"procurment": lean_to_trust}, **SHORT)
    with pytest.raises(connsim.ScenarioError, match="allowed a function"):
        connsim.run("baseline", rules={"regime": 3}, **SHORT)
    calls = []

    def fickle(situation):
        utilities, terms = connsim.RULES["regime"](situation)
        calls.append(1)
        return utilities, terms if len(calls) == 1 else {**terms, "new": np.zeros_like(utilities)}

    with pytest.raises(ValueError, match="a rule's terms must not change"):
        connsim.run("baseline", rules={"regime": fickle}, **SHORT)


def test_run_takes_a_model_class():
    class Quiet(connsim.WorldModel):
        steps_taken = 0

        def step(self):
            type(self).steps_taken += 1
            super().step()

    r = connsim.run("baseline", seed=1, model_class=Quiet, keep_model=True, **SHORT)
    assert isinstance(r.model, Quiet) and Quiet.steps_taken == 8
    with pytest.raises(TypeError, match="model_class"):
        connsim.run("baseline", model_class=dict)


# --- one definition per outcome (the model's step is the kernel's: tests/test_benchmarks_smoke.py) ---


def test_the_outcome_registry_is_the_list_of_model_vars_columns():
    mv = connsim.run("baseline", seed=0, record_agents=False, **SHORT).model_vars
    vendors = tuple(connsim.load_seeds().vendors["vendor"])
    assert list(mv.columns) == outcomes.columns(vendors)
    for name in mv.columns:
        entry = outcomes.outcome(name)
        assert entry.label and entry.unit and entry.kind in outcomes.KINDS
        assert "{" not in entry.label
    names = [o.name for o in outcomes.OUTCOMES]
    assert len(names) == len(set(names))


def test_column_names_read_measure_first():
    mv = connsim.run("baseline", seed=0, record_agents=False, **SHORT).model_vars
    powers = ("EUU", "JPN", "USA", "CHN")
    assert not [c for c in mv.columns if c.startswith(tuple(p + "_" for p in powers))]
    assert {f"scorecard_security_{p}" for p in powers} <= set(mv.columns)


# --- results that travel ----------------------------------------------------------------------


def test_a_run_result_pickles_small_without_the_model():
    lean = connsim.run("baseline", seed=0, record_agents=False)
    assert lean.model is None
    assert len(pickle.dumps(lean)) < 100_000  # the outcome frame: about 40 KB
    full = connsim.run("baseline", seed=0)
    blob = pickle.dumps(full)
    assert len(blob) < 3_000_000  # with every state's choices and utility terms (float32)
    back = pickle.loads(blob)
    pd.testing.assert_frame_equal(back.model_vars, full.model_vars)
    pd.testing.assert_frame_equal(back.explain("KEN", 8), full.explain("KEN", 8))
    assert connsim.run("baseline", seed=0, keep_model=True, **SHORT).model.t == 8


# --- quick imports, the backend left alone ------------------------------------------------------


def _fresh(code: str, **env) -> str:
    import os

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, **env}
    ).stdout.strip()


def test_the_command_line_imports_the_library_only_to_run_a_command():
    code = (
        "import sys\nfrom connsim.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('mesa', 'pandas', 'numpy', 'pydantic', 'matplotlib') if m in sys.modules))"
    )
    assert _fresh(code).splitlines()[-1] == "[]"


def test_importing_connsim_imports_no_mesa_until_a_model_is_built():
    assert _fresh("import sys, connsim; print('mesa' in sys.modules)") == "False"


def test_plots_leave_the_matplotlib_backend_alone():
    code = "import matplotlib\nmatplotlib.use('svg')\nimport connsim.plots\nprint(matplotlib.get_backend())"
    assert _fresh(code) == "svg"


# --- seeds are whole numbers ----------------------------------------------------------------------


def test_numpy_integer_seeds_are_integers():
    a = connsim.run("baseline", seed=3, record_agents=False, **SHORT)
    b = connsim.run("baseline", seed=np.int64(3), record_agents=False, **SHORT)
    pd.testing.assert_frame_equal(a.model_vars, b.model_vars)
    assert type(b.seed) is int and b.seed == 3


def test_a_generator_or_seed_sequence_seed_is_recorded_as_a_whole_number_that_reproduces_the_run():
    for seed in (np.random.default_rng(42), np.random.SeedSequence(42), None):
        r = connsim.run("baseline", seed=seed, record_agents=False, **SHORT)
        assert type(r.seed) is int
        again = connsim.run(r.scenario, r.seed, record_agents=False)
        pd.testing.assert_frame_equal(r.model_vars, again.model_vars)


@pytest.mark.parametrize("seed", [-1, True, 1.5, "7"])
def test_seeds_that_are_not_whole_numbers_are_refused(seed):
    with pytest.raises((TypeError, ValueError), match="seed"):
        connsim.run("baseline", seed=seed, **SHORT)


# --- state set through agents is checked ----------------------------------------------------------


@pytest.mark.parametrize(
    "attribute, value, allowed",
    [
        ("threat", float("inf"), "a number in 0..2"),
        ("threat", -0.5, "a number in 0..2"),
        ("threat", "high", "a number in 0..2"),
        ("capacity", -1, "a number in 0..1"),
        ("capacity", 1.01, "a number in 0..1"),
        ("adequacy", "no", "True or False"),
        ("vendor_policy", "nonsense", "one of open, core_excluded, banned"),
        ("regime", "gdpr", "one of protect, trust"),
    ],
)
def test_state_set_through_agents_is_checked_against_its_domain(attribute, value, allowed):
    m = connsim.WorldModel("baseline", rng=0, end_year=2019)
    kenya = m.agent("KEN")
    before = m.state.threat.copy(), m.state.capacity.copy(), m.state.policy.copy(), m.state.regime.copy()
    with pytest.raises(ValueError, match=f"ThirdCountry.{attribute}: got .*; allowed {allowed}"):
        setattr(kenya, attribute, value)
    for a, b in zip(before, (m.state.threat, m.state.capacity, m.state.policy, m.state.regime)):
        np.testing.assert_array_equal(a, b)
    kenya.threat, kenya.capacity, kenya.adequacy = 1.5, np.float64(0.25), np.True_  # in the domain: written through
    assert (kenya.threat, kenya.capacity, kenya.adequacy) == (1.5, 0.25, True)


def test_the_outcomes_page_of_the_docs_is_the_registry():
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "outcomes.md"
    assert page.read_text() == outcomes.markdown(), "docs/outcomes.md is stale: run python -m connsim.outcomes"


def test_a_finished_run_does_not_keep_its_model_alive():
    """Mesa 3.3 keeps every model in ``Agent._ids``; a run releases its model unless kept, so
    that an ensemble of thousands of runs does not grow by ~0.8 MB a run (on both Mesa lines)."""
    import gc
    import weakref

    from connsim.model import WorldModel

    built = weakref.WeakSet()

    class Counted(WorldModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.add(self)

    for seed in range(3):
        connsim.run("baseline", seed=seed, until=2021, model_class=Counted)
    gc.collect()
    assert len(built) == 0, f"{len(built)} finished models are still alive"
    kept = connsim.run("baseline", seed=0, until=2021, model_class=Counted, keep_model=True)
    gc.collect()
    assert list(built) == [kept.model]
