"""connsim.plots: each plot draws what its frame holds, with labelled axes, y-ranges that hold the data,
labels that do not overlap; a frame without a needed column is refused by name. The Jupyter views
(_repr_html_) carry the key numbers."""

from __future__ import annotations

import itertools
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # the tests' own choice (the library leaves the backend alone)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import connsim  # noqa: E402
from connsim import plots  # noqa: E402
from connsim.names import REGIMES  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return connsim.run("baseline", seed=0, until=2022, keep_model=True)


@pytest.fixture(scope="module")
def ensemble():
    return connsim.run_ensemble(["baseline", "hardening_conflict"], replications=4, until=2022)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _data_axes(fig):
    return [a for a in fig.axes if a.get_visible() and a.axison]


def _title(ax) -> str:
    return ax.get_title("left") or ax.get_title()


def _labelled(ax):
    assert _title(ax), "a panel without a title"
    assert ax.get_ylabel(), f"{_title(ax)}: no y label"
    assert ax.get_xlabel(), f"{_title(ax)}: no x label"


def _contains(ax, values):
    lo, hi = ax.get_ylim()
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    assert v.size, f"{_title(ax)}: no data"
    assert lo <= v.min() + 1e-12 and v.max() <= hi + 1e-12, (_title(ax), (lo, hi), (v.min(), v.max()))


def _no_overlapping_text(fig):
    """No two visible texts of the figure overlap (titles, axis labels, tick labels, direct labels,
    legend entries). Texts of one legend or one axis's ticks are checked against everything else."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    undrawn = set()  # tick labels of ticks outside the axis's view: matplotlib keeps them but does not draw them
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(1.0, abs(hi - lo))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - eps <= tick.get_loc() <= hi + eps:
                    undrawn.update((id(tick.label1), id(tick.label2)))
    texts = []
    for t in fig.findobj(matplotlib.text.Text):
        if not t.get_visible() or not t.get_text().strip() or id(t) in undrawn:
            continue
        bb = t.get_window_extent(renderer)
        if bb.width > 0 and bb.height > 0:
            texts.append((t.get_text(), bb.shrunk(0.9, 0.8)))
    bad = [(a, b) for (a, ba), (b, bb) in itertools.combinations(texts, 2) if ba.overlaps(bb)]
    assert not bad, f"overlapping labels: {bad[:5]}"


# --- one run ------------------------------------------------------------------------------------------------


def test_regime_shares_draws_each_orientation_and_the_law_share(result):
    mv = result.model_vars
    fig = plots.regime_shares(mv)
    (ax,) = _data_axes(fig)
    _labelled(ax)
    lines = ax.get_lines()
    assert len(lines) == len(REGIMES) + 1
    for line, key in zip(lines, [f"regime_share_{r}" for r in REGIMES] + ["law_share"]):
        np.testing.assert_allclose(line.get_ydata(), mv[key])
        np.testing.assert_allclose(line.get_xdata(), mv["year"])
    _contains(ax, mv[["law_share", *(f"regime_share_{r}" for r in REGIMES)]].to_numpy())
    assert ax.get_ylabel() == "share of states"
    assert {t.get_text() for t in ax.texts} >= set(REGIMES), "direct labels at the line ends"
    _no_overlapping_text(fig)


def test_convergence_has_its_own_scale_not_a_share_axis(result):
    mv = result.model_vars
    fig = plots.convergence(mv)
    (ax,) = _data_axes(fig)
    _labelled(ax)
    assert len(ax.get_lines()) == 2
    _contains(ax, mv[["convergence_index", "convergence_index_gdp"]].to_numpy())
    lo, hi = ax.get_ylim()
    assert lo == 0 and hi < 0.6, "the index (here below 0.3) is not squashed on a 0..1 axis"
    assert hi <= 2 * mv[["convergence_index", "convergence_index_gdp"]].max().max() + 0.05


def test_high_risk_shares_show_network_shares_only_by_bloc(result):
    mv = result.model_vars
    fig = plots.high_risk_shares(mv)
    axes = _data_axes(fig)
    assert len(axes) == 2
    for ax, layer in zip(axes, ("core", "ran")):
        _labelled(ax)
        assert "network" in ax.get_ylabel()
        ys = [line.get_ydata() for line in ax.get_lines()]
        assert len(ys) == 4
        for y, where in zip(ys, ("world", "eu", "jpn", "third")):
            np.testing.assert_allclose(y, mv[f"hr_{layer}_share_{where}"])
        _contains(ax, np.concatenate(ys))
        # never a share of states in this panel
        for y in ys:
            assert not np.allclose(y, mv["us_allies_restricting"])


def test_run_overview_has_six_labelled_panels_with_data(result):
    fig = plots.run_overview(result.model_vars, "baseline")
    axes = _data_axes(fig)
    assert len(axes) == 6
    for ax in axes:
        _labelled(ax)
        assert ax.get_lines(), _title(ax)
        assert any(np.isfinite(line.get_ydata()).any() for line in ax.get_lines()), f"{_title(ax)}: NaN only"
    _no_overlapping_text(fig)


def test_result_plot_is_the_overview(result):
    fig = result.plot()
    assert len(_data_axes(fig)) == 6 and "baseline" in fig.get_suptitle()


def test_scorecard_start_and_end_of_every_power(result):
    mv = result.model_vars
    fig = plots.scorecard(mv)
    axes = _data_axes(fig)
    assert len(axes) == len(plots.SCORECARD)
    for ax, m in zip(axes, plots.SCORECARD):
        assert _title(ax) and ax.get_ylabel()
        assert [t.get_text() for t in ax.get_xticklabels()] == ["EU", "Japan", "US", "China"]
        points = [line.get_ydata()[0] for line in ax.get_lines()]
        assert len(points) == 8  # start and end of four powers
        expected = []
        for p in ("EUU", "JPN", "USA", "CHN"):
            expected += [mv[f"scorecard_{m}_{p}"].iloc[0], mv[f"scorecard_{m}_{p}"].iloc[-1]]
        np.testing.assert_allclose(points, expected)
        _contains(ax, expected)
    _no_overlapping_text(fig)


@pytest.mark.parametrize(
    "fn, column",
    [
        (plots.regime_shares, "regime_share_trust"),
        (plots.convergence, "convergence_index"),
        (plots.restrictions, "us_allies_restricting"),
        (plots.high_risk_shares, "hr_ran_share_eu"),
        (plots.oda_anchoring, "anchored_china"),
        (plots.scorecard, "scorecard_security_JPN"),
        (plots.run_overview, "law_share"),
    ],
)
def test_a_frame_missing_a_column_is_refused_by_name(result, fn, column):
    with pytest.raises(ValueError, match=f"no column '{column}'"):
        fn(result.model_vars.drop(columns=column))


def test_an_empty_frame_is_refused(result):
    with pytest.raises(ValueError, match="no rows"):
        plots.regime_shares(result.model_vars.iloc[:0])


# --- map and networks -------------------------------------------------------------------------------------


def test_world_map_colours_every_state_by_its_category(result):
    av = result.agent_vars
    fig = plots.world_map(av, layers=["orientation", "vendor_policy"])
    axes = _data_axes(fig)
    assert len(axes) == 2
    last = av[av["step"] == av["step"].max()].set_index("iso3")
    for ax, layer in zip(axes, ("orientation", "vendor_policy")):
        _labelled(ax)
        outline, dots = ax.collections[0], ax.collections[1]
        assert isinstance(outline, PolyCollection) and len(outline.get_paths()) > 150, "the outline of the countries"
        assert len(dots.get_offsets()) > 20, "small states as dots"
        # the legend counts each category; the counts add to the states
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        counts = [int(t.rsplit("(", 1)[1].rstrip(")")) for t in labels if t.endswith(")")]
        assert sum(counts) == len(last)
        cat = plots._category(layer, last)
        for v, text, _ in plots.MAP_LAYERS[layer][2]:
            assert f"{text} ({int((cat == v).sum())})" in labels
    # a state's fill is its category's colour: Germany (a protect law, the EU's)
    ax = axes[0]
    iso = [iso for iso, rings in plots._outlines(str(plots._outline_path())) for _ in rings]
    faces = ax.collections[0].get_facecolors()
    k = iso.index("DEU")
    assert matplotlib.colors.to_hex(faces[k]) == plots.POSITION_COLOURS["protect"].lower()
    _no_overlapping_text(fig)


def test_world_map_dots_are_the_small_states_at_their_centroids(result):
    av = result.agent_vars
    fig = plots.world_map(av, layers=["oda_anchor"])
    dots = fig.axes[0].collections[1].get_offsets()
    coords = plots._coordinates()
    sgp = coords.loc["SGP", ["lon", "lat"]].to_numpy(float)
    assert np.any(np.all(np.isclose(dots, sgp), axis=1)), "Singapore, too small for the outline, is a dot"


def test_world_map_refuses_bad_input(result):
    av = result.agent_vars
    with pytest.raises(ValueError, match="no column 'vendor_policy'"):
        plots.world_map(av.drop(columns="vendor_policy"))
    with pytest.raises(ValueError, match="layer 'roads' is unknown"):
        plots.world_map(av, layers=["roads"])
    with pytest.raises(ValueError, match="step 999 is not in agent_vars"):
        plots.world_map(av, step=999)


def test_world_map_reads_no_network(result, monkeypatch):
    import socket

    def refuse(*a, **k):
        raise AssertionError("the map tried to reach the network")

    monkeypatch.setattr(socket, "socket", refuse)
    plots.world_map(result.agent_vars, layers=["orientation"])


def test_data_flow_network_draws_every_state_and_pair(result):
    g = result.model.data_flow_graph()
    fig = plots.data_flow_network(g, result.agent_vars)
    ax = fig.axes[0]
    nodes = [c for c in ax.collections if len(c.get_offsets()) == g.number_of_nodes()]
    assert nodes, "one dot per state"
    curves = sum(len(c.get_segments()) for c in ax.collections if hasattr(c, "get_segments"))
    assert curves == g.number_of_edges()
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    position = plots._category("orientation", result.agent_vars[result.agent_vars["step"] == 12].set_index("iso3"))
    across = sum(1 for a, b, d in g.edges(data=True) if d["via"] == "adequacy" and position[a] != position[b])
    assert across > 0 and f"across positions ({across:,})" in legend
    assert f"({g.number_of_edges() - across:,} pairs)" in legend
    with pytest.raises(ValueError, match="no column 'regime'"):
        plots.data_flow_network(g, result.agent_vars.drop(columns="regime"))
    with pytest.raises(ValueError, match="networkx graph"):
        plots.data_flow_network("graph", result.agent_vars)


def test_oda_network_draws_every_partnership(result):
    g = result.model.oda_graph()
    fig = plots.oda_network(g)
    ax = fig.axes[0]
    curves = sum(len(c.get_segments()) for c in ax.collections if hasattr(c, "get_segments"))
    assert curves == g.number_of_edges() > 0
    partners = {r for _, r in g.edges}
    assert any(len(c.get_offsets()) == len(partners) for c in ax.collections), "one dot per partner state"
    assert f"{g.number_of_edges()} with {len(partners)} states" in _title(ax)
    import networkx as nx

    with pytest.raises(ValueError, match="no donor node 'MS'"):
        plots.oda_network(nx.DiGraph([("EUU", "KEN")]))


# --- ensembles ------------------------------------------------------------------------------------------------


def test_fan_chart_median_and_bands_per_scenario(ensemble):
    mv = ensemble.model_vars
    keys = ["us_allies_restricting", "convergence_index"]
    fig = plots.fan_chart(mv, keys)
    axes = _data_axes(fig)
    assert len(axes) == 2
    for ax, key in zip(axes, keys):
        _labelled(ax)
        lines = ax.get_lines()
        assert len(lines) == 2  # one median per scenario
        base = mv[mv["scenario"] == "baseline"].groupby("year")[key].median()
        np.testing.assert_allclose(lines[0].get_ydata(), base.to_numpy())
        assert len(ax.collections) == 4  # two bands per scenario
        _contains(ax, mv[key])
        assert lines[0].get_linestyle() != lines[1].get_linestyle(), "coinciding curves stay apart"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "band: 5-95% of runs" in legend and "band: 25-75% of runs" in legend, "the shading is explained"
    assert "4 runs" in fig.get_suptitle()
    _no_overlapping_text(fig)
    with pytest.raises(ValueError, match="no column 'nope'"):
        plots.fan_chart(mv, ["nope"])


def test_ensemble_plot_keeps_working(ensemble):
    fig = ensemble.plot(["eu_restricting"])
    assert len(_data_axes(fig)) == 1


def test_paired_difference_is_the_seed_by_seed_difference(ensemble):
    mv = ensemble.model_vars
    keys = ["us_allies_restricting", "hr_core_share_third", "anchored_eu_jpn"]
    table = plots.differences(mv, keys)
    ends = mv.sort_values("step").groupby(["scenario", "seed"]).tail(1).set_index(["scenario", "seed"])
    for key in keys:
        d = ends.loc["hardening_conflict", key] - ends.loc["baseline", key]
        row = table[table["outcome"] == key].iloc[0]
        assert row["n"] == 4
        np.testing.assert_allclose(row["mean"], d.mean())
        np.testing.assert_allclose(sorted(row["values"]), sorted(d.to_numpy()))
        assert row["ci_lo"] <= row["mean"] <= row["ci_hi"]
    fig = plots.paired_difference(mv, keys)
    axes = _data_axes(fig)
    assert len(axes) == 3, "a share of states, a share of networks and a count each on their own axis"
    for ax, key in zip(axes, keys):
        assert ax.get_xlabel().startswith("difference")
        mean_dot = [line for line in ax.get_lines() if line.get_marker() == "o"][0]
        np.testing.assert_allclose(mean_dot.get_xdata()[0], table.loc[table["outcome"] == key, "mean"].iloc[0])
        lo, hi = ax.get_xlim()
        vals = table.loc[table["outcome"] == key, "values"].iloc[0]
        assert lo <= vals.min() and vals.max() <= hi and lo < 0 < hi
    _no_overlapping_text(fig)


def test_paired_difference_refuses_unpaired_or_single_scenarios(ensemble):
    mv = ensemble.model_vars
    with pytest.raises(ValueError, match="share no seed"):
        shifted = mv.assign(seed=np.where(mv["scenario"] == "baseline", mv["seed"] + 10**9, mv["seed"]))
        plots.paired_difference(shifted, ["eu_restricting"])
    with pytest.raises(ValueError, match="one scenario"):
        plots.paired_difference(mv[mv["scenario"] == "baseline"], ["eu_restricting"])
    with pytest.raises(ValueError, match="reference 'nope'"):
        plots.paired_difference(mv, ["eu_restricting"], reference="nope")
    with pytest.raises(ValueError, match="no column 'seed'"):
        plots.paired_difference(mv.drop(columns="seed"), ["eu_restricting"])


def test_comparison_has_a_fan_and_a_difference_strip_per_outcome(ensemble, tmp_path):
    keys = ["us_allies_restricting", "eu_restricting", "anchored_china"]
    fig = plots.comparison(ensemble.model_vars, keys, path=tmp_path / "c.png")
    axes = _data_axes(fig)
    assert len(axes) == 2 * len(keys)
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    _no_overlapping_text(fig)


# --- Jupyter views ------------------------------------------------------------------------------------------


def test_scenario_html_lists_the_changed_levers_and_events():
    from connsim.scenario import load_scenario

    s = load_scenario("hardening_conflict")
    text = s._repr_html_()
    assert "hardening_conflict" in text and "2019-2030" in text
    assert "us_china_conflict" in text and "{2019 = 0.5, 2023 = 0.9}" in text and "us_pressure" in text
    assert "beta_policy" not in text, "only what differs from the baseline"
    e = s.replace(events=[{"year": 2022, "kind": "vendor_policy", "iso3": "KEN", "value": "banned"}])._repr_html_()
    assert "KEN" in e and "banned" in e and "1 event" in e
    assert "No lever differs from the baseline" in load_scenario("baseline")._repr_html_()


def test_run_html_has_the_headline_numbers(result):
    text = result._repr_html_()
    mv = result.model_vars
    assert "baseline" in text and "seed 0" in text and "start 2019" in text and "end 2021" in text
    for key in ("law_share", "us_allies_restricting"):
        assert f"{mv[key].iloc[0]:.3f}" in text and f"{mv[key].iloc[-1]:.3f}" in text
    assert f"{mv['anchored_china'].iloc[-1]:.0f}" in text
    assert "explain(" in text and "model_vars" in text


def test_ensemble_html_has_runs_and_medians(ensemble):
    text = ensemble._repr_html_()
    assert "8 runs" in text and "8 done" in text and "0 failed" in text and "4 replications" in text
    ends = ensemble.ends()
    med = ends[ends["scenario"] == "hardening_conflict"]["us_allies_restricting"].median()
    assert f"{med:.3f}" in text
    assert "median [5%, 95%]" in text


# --- the backend ------------------------------------------------------------------------------------------


def test_importing_plots_leaves_the_backend_alone():
    code = "import matplotlib\nmatplotlib.use('svg')\nimport connsim.plots, connsim._html\nprint(matplotlib.get_backend())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "svg"


def test_style_is_restored_after_a_plot(result):
    before = dict(matplotlib.rcParams)
    plots.regime_shares(result.model_vars)
    assert dict(matplotlib.rcParams) == before


def test_a_plot_restores_only_its_own_settings(result, monkeypatch):
    """In Jupyter the first figure switches to the inline backend and turns interactive mode on; a plot
    must not undo that (the notebook's later figures would not show)."""
    real = plt.subplots

    def first_figure(*a, **k):
        matplotlib.rcParams["interactive"] = True  # what IPython does when the backend resolves
        return real(*a, **k)

    monkeypatch.setattr(plt, "subplots", first_figure)
    was = matplotlib.rcParams["interactive"]
    try:
        matplotlib.rcParams["interactive"] = False
        plots.regime_shares(result.model_vars)
        assert matplotlib.rcParams["interactive"] is True
    finally:
        matplotlib.rcParams["interactive"] = was


def test_nice_ceiling_and_ylim():
    assert plots._nice_ceiling(0.26) == pytest.approx(0.3)
    assert plots._nice_ceiling(0.52) == pytest.approx(0.6)
    fig, ax = plt.subplots()
    plots._ylim(ax, [0.1, 0.7], "share")
    assert ax.get_ylim() == (0.0, 1.0)
    plots._ylim(ax, [3, 47], "count")
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 47
