"""A scenario, a run result and an ensemble result in Jupyter: each shows a readable summary of itself
(``_repr_html_``: the key facts, every text from the data escaped) and plots with one call
(``.plot()``: a matplotlib Figure with the expected panels)."""

from __future__ import annotations

import html

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # the tests' own choice (the library leaves the backend alone)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import connsim  # noqa: E402
from connsim import plots  # noqa: E402
from connsim.scenario import load_scenario  # noqa: E402

NASTY = '<script>alert("x")</script> & <b>bold</b>'


def _panels(fig):
    return [a for a in fig.axes if a.get_visible() and (a.get_lines() or a.collections)]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def nasty():
    """A scenario whose name and description carry markup (a student's file can say anything)."""
    return load_scenario("hardening_conflict").replace(name=NASTY, description=f"story {NASTY}", end_year=2020)


# --- the scenario's course and plot -------------------------------------------------------------------------


def test_course_has_every_step_and_follows_schedules_and_shocks():
    s = load_scenario("baseline").replace(
        oda_budget_scale={"EUU": {2019: 1.0, 2025: 2.0}},
        eu_japan_cooperation="beyond_bilateral",
        events=[{"year": 2024, "kind": "conflict_shock", "value": 0.2}],
    )
    c = s.course()
    assert len(c) == s.n_steps and list(c["step"]) == list(range(s.n_steps))
    at = c.set_index("year")
    assert at.loc[2019.0, "oda_budget_scale.EUU"] == pytest.approx(1.0)
    assert at.loc[2022.0, "oda_budget_scale.EUU"] == pytest.approx(1.5)  # half-way along the schedule
    assert at.loc[2030.0, "oda_budget_scale.EUU"] == pytest.approx(2.0)
    assert at.loc[2023.75, "us_china_conflict"] == pytest.approx(0.5)
    assert at.loc[2024.0, "us_china_conflict"] == pytest.approx(0.7), "the shock adds from its year on"
    assert (c["eu_japan_cooperation"] == 1.0).all()
    assert (c["oda_budget_scale.JPN"] == 1.0).all()
    assert "oda_staffing.EUU" not in c, "staffing only where the scenario sets it"
    assert (s.replace(oda_staffing={"EUU": 0.6}).course()["oda_staffing.EUU"] == 0.6).all()


def test_scenario_plot_draws_the_levers_that_differ_from_the_baseline():
    s = load_scenario("hardening_conflict")
    fig = s.plot()
    assert isinstance(fig, Figure)
    axes = _panels(fig)
    titles = [a.get_title(loc="left").splitlines()[0] for a in axes]
    assert titles == ["us_china_conflict", "us_pressure"], titles
    course, base = s.course(), load_scenario("baseline").course()
    for ax, name in zip(axes, titles):
        assert ax.get_xlabel() == "year" and ax.get_ylabel() == "lever (0..1)"
        reference, mine = ax.get_lines()  # the baseline dashed, then the scenario
        assert reference.get_linestyle() == "--"
        np.testing.assert_allclose(mine.get_ydata(), course[name])
        np.testing.assert_allclose(reference.get_ydata(), base[name])
        lo, hi = ax.get_ylim()
        assert lo <= course[name].min() and course[name].max() <= hi
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "baseline (reference)" in legend
    assert "hardening_conflict" in fig.get_suptitle()


def test_scenario_plot_of_the_baseline_shows_the_main_levers_without_a_reference():
    fig = load_scenario("baseline").plot()
    axes = _panels(fig)
    assert [a.get_title(loc="left").splitlines()[0] for a in axes] == list(plots.MAIN_LEVERS)
    assert all(len(a.get_lines()) == 1 for a in axes), "no reference drawn against itself"
    coop = axes[list(plots.MAIN_LEVERS).index("eu_japan_cooperation")]
    assert [t.get_text() for t in coop.get_yticklabels()] == ["none", "bilateral", "beyond_bilateral"]


def test_scenario_plot_of_chosen_levers_and_a_bad_name():
    s = load_scenario("baseline").replace(oda_budget_scale={"JPN": 3.0})
    fig = s.plot(levers=["oda_budget_scale.JPN", "eu_toolbox_strength"], reference=None)
    axes = _panels(fig)
    assert len(axes) == 2 and axes[0].get_ylabel() == "x its 2019 level"
    assert axes[0].get_ylim()[1] >= 3.0
    with pytest.raises(ValueError, match="no column 'nope'"):
        s.plot(levers=["nope"])


# --- the HTML views: key facts, escaped text ---------------------------------------------------------------


def test_scenario_html_escapes_its_texts(nasty):
    text = nasty._repr_html_()
    assert "<script>" not in text and "<b>bold</b>" not in text
    assert html.escape(NASTY) in text
    assert "us_pressure" in text and "2019-2020" in text


def test_run_html_escapes_the_scenario_name_and_has_the_key_facts(nasty):
    result = connsim.run(nasty, seed=3)
    text = result._repr_html_()
    assert "<script>" not in text and html.escape(NASTY) in text
    assert "seed 3" in text and "start 2019" in text and "end 2020" in text
    mv = result.model_vars
    assert f"{mv['us_allies_restricting'].iloc[-1]:.3f}" in text
    fig = result.plot()
    assert isinstance(fig, Figure) and len(_panels(fig)) == 6


def test_ensemble_html_escapes_scenario_labels_and_has_the_key_facts(nasty):
    ens = connsim.run_ensemble({NASTY: nasty, "plain": nasty.replace(name="plain")}, replications=2)
    text = ens._repr_html_()
    assert "<script>" not in text and "<b>bold</b>" not in text
    assert html.escape(NASTY) in text
    assert "4 runs" in text and "4 done" in text and "2 replications" in text
    fig = ens.plot(["us_allies_restricting", "eu_restricting"])
    assert isinstance(fig, Figure)
    assert [a.get_ylabel() for a in _panels(fig)][:2] and len(_panels(fig)) == 2


# --- the trade-off across a sweep ---------------------------------------------------------------------------


def test_tradeoff_draws_each_design_point_and_the_frontier():
    import pandas as pd

    # four design points, two runs each: (cost, security) medians (1, .5), (2, .7), (3, .6), (4, .9)
    ends = pd.DataFrame(
        {
            "eu_toolbox_strength": [0, 0, 1, 1, 0, 0, 1, 1],
            "eu_japan_cooperation": ["none", "none", "none", "none", "bilateral", "bilateral", "bilateral", "bilateral"],
            "scorecard_cost_usd_bn_EUU": [0.9, 1.1, 3.9, 4.1, 1.9, 2.1, 2.9, 3.1],
            "scorecard_security_EUU": [0.45, 0.55, 0.85, 0.95, 0.65, 0.75, 0.55, 0.65],
        }
    )
    fig = plots.tradeoff(
        ends, "scorecard_cost_usd_bn_EUU", "scorecard_security_EUU", by=["eu_toolbox_strength", "eu_japan_cooperation"]
    )
    (ax,) = _panels(fig)
    frontier = ax.get_lines()[0]
    np.testing.assert_allclose(frontier.get_xdata(), [1, 2, 4]), "(3, .6) is beaten by (2, .7): off the frontier"
    np.testing.assert_allclose(frontier.get_ydata(), [0.5, 0.7, 0.9])
    assert "cost of autonomy" in ax.get_xlabel() and "US$ bn" in ax.get_xlabel() and "trusted share" in ax.get_ylabel()
    assert "4 design points" in fig.get_suptitle() and "2 runs each" in fig.get_suptitle()
    with pytest.raises(ValueError, match="no column 'nope'"):
        plots.tradeoff(ends, "nope", "scorecard_security_EUU", by="eu_toolbox_strength")
    with pytest.raises(ValueError, match="x_better"):
        plots.tradeoff(ends, "scorecard_cost_usd_bn_EUU", "scorecard_security_EUU", by="eu_toolbox_strength", x_better="up")
