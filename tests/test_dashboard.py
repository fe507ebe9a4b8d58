"""The dashboard without a browser: the lever controls follow the scenario schema, the session's model
takes them, the page builds and steps and resets, the panels read the model, and ``connsim dashboard``
refuses what it cannot do in one line (the browser test is tests/test_dashboard_browser.py)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

import connsim
import connsim.decisions.powers
from connsim.dashboard import DashboardError, bind, check_installed
from connsim.dashboard.levers import (
    MAIN_LEVERS,
    POWER_LEVERS,
    WORLD_LEVERS,
    DashboardModel,
    control,
    control_default,
    controls,
    country_choices,
    lever_changes,
    lever_value,
    now_rows,
    power_view,
    reason,
)
from connsim.scenario import ScenarioError, parameter_table

SHORT = {"end_year": 2020}


def _allowed_range(text: str) -> tuple[float, float, bool]:
    """(lo, hi, lo_open) from the short 'allowed' text of ``connsim show``: a second reading of the schema."""
    m = re.search(r"(above )?(-?[\d.]+)\.\.(-?[\d.]+)", text)
    assert m, text
    return float(m.group(2)), float(m.group(3)), bool(m.group(1))


@pytest.mark.parametrize("name", MAIN_LEVERS)
def test_each_control_has_the_schemas_range_and_the_scenarios_start_value(name):
    spec = connsim.load_scenario("hardening_conflict")  # schedules: the control starts at their first value
    c = control(spec, name)
    head, _, key = name.partition(".")
    row = next(r for r in parameter_table(spec) if r["key"] == head)
    assert row["unit"] in c["label"] or row["unit"] in ("", "0..1")
    if c["type"] == "Select":
        assert c["values"] == row["allowed"].split(" | ") and c["value"] == getattr(spec, head)
        return
    if c["type"] == "Checkbox":
        assert row["allowed"] == "true | false" and c["value"] is getattr(spec, head)
        return
    lo, hi, lo_open = _allowed_range(row["allowed"])
    assert c["max"] == hi and c["min"] == (lo + c["step"] if lo_open else lo)
    value = getattr(spec, head)[key] if key and key in getattr(spec, head) else None if key else getattr(spec, head)
    if isinstance(value, dict):
        value = spec.at(head, spec.start_year)
    assert c["value"] == pytest.approx(value if value is not None else control_default(spec, name))
    assert round((c["value"] - c["min"]) / c["step"], 9) % 1 == 0  # the start lies on the slider's grid


@pytest.mark.parametrize(
    "name", [n for n in MAIN_LEVERS if control(connsim.load_scenario("baseline"), n)["type"] == "SliderFloat"]
)
def test_a_sliders_ends_are_what_the_model_accepts(name):
    spec = connsim.load_scenario("baseline")
    c = control(spec, name)
    for end in (c["min"], c["max"]):
        DashboardModel(spec, **{name: end}, **SHORT)
    with pytest.raises(ScenarioError):
        DashboardModel(spec, **{name: c["max"] + c["step"]}, **SHORT)


def test_weights_get_controls_too_and_unknown_names_are_refused():
    spec = connsim.load_scenario("baseline")
    c = control(spec, "kappa_ret")
    assert (c["min"], c["max"], c["value"]) == (0.0, 30.0, spec.weights.kappa_ret)
    with pytest.raises(ScenarioError, match="us_presure: not a scenario lever or weight"):
        control(spec, "us_presure")
    with pytest.raises(ScenarioError, match="oda_budget_scale.XYZ: 'XYZ' is not a donor"):
        control(spec, "oda_budget_scale.XYZ")


def test_controls_are_mesa_model_params_with_the_scenario_fixed_and_a_seed():
    spec = connsim.load_scenario("baseline")
    params = controls(spec)
    assert params["spec"] is spec and params["seed"]["type"] == "SliderInt"
    assert list(params)[2:] == list(MAIN_LEVERS)
    assert set(MAIN_LEVERS) <= {n for names in POWER_LEVERS.values() for n in names} | set(WORLD_LEVERS)


def test_untouched_controls_keep_the_scenario_and_moved_ones_replace_it():
    spec = connsim.load_scenario("hardening_conflict")
    start = {name: control_default(spec, name) for name in MAIN_LEVERS}
    assert lever_changes(spec, start) == {}
    kept = DashboardModel(spec, **start)
    assert kept.spec == spec  # the schedules kept (us_china_conflict rises to 0.9 in 2023)
    moved = DashboardModel(spec, **{**start, "us_china_conflict": 0.2, "oda_budget_scale.JPN": 2.0})
    assert moved.spec.us_china_conflict == 0.2 and moved.spec.us_pressure == spec.us_pressure
    assert moved.spec.oda_budget_scale == {**spec.oda_budget_scale, "JPN": 2.0}
    eu = connsim.load_scenario("eu_oda_staffed")  # a table lever: one donor changed, the others kept
    changed = DashboardModel(eu, **{"oda_budget_scale.JPN": 3.0}).spec
    assert changed.oda_budget_scale == {"EUU": eu.oda_budget_scale["EUU"], "JPN": 3.0}


def test_the_session_model_is_reproducible_from_its_seed_and_checks_it():
    a, b = DashboardModel("baseline", seed=3, **SHORT), DashboardModel("baseline", seed=3, **SHORT)
    c = DashboardModel("baseline", seed=4, **SHORT)
    for m in (a, b, c):
        for _ in range(4):
            m.step()
    fa, fb, fc = (m.recorder.model_frame() for m in (a, b, c))
    assert fa.equals(fb) and not fa.equals(fc)
    expected = connsim.run(connsim.load_scenario("baseline").replace(**SHORT), seed=3, until=2020).model_vars
    np.testing.assert_allclose(fa["convergence_index"], expected["convergence_index"], rtol=0, atol=0)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ScenarioError, match="seed"):
            DashboardModel("baseline", seed=bad)


def test_powers_levers_and_scorecards_are_the_models():
    m = DashboardModel("hardening_conflict", seed=0, us_pressure=0.9)
    assert lever_value(m, "us_pressure") == 0.9
    assert lever_value(m, "us_china_conflict") == 0.5  # the schedule's value in 2019 ...
    for _ in range(4 * 4):
        m.step()
    assert lever_value(m, "us_china_conflict") == pytest.approx(0.9)  # ... and in 2023
    assert lever_value(m, "oda_staffing.EUU") == 0.45  # the seed value (seeds/donors.csv)
    view = power_view(m, "USA")
    last = m.recorder.model_frame().iloc[-1]
    assert view["year"] == 2023.0 and view["step"] == 16 and view["levers"]["us_pressure"] == 0.9
    assert view["scorecard"]["norm_reach"] == last["scorecard_norm_reach_USA"]
    assert dict(now_rows(m))["convergence index (1 - entropy)"] == f"{last['convergence_index']:.3f}"


def test_a_countrys_choices_are_its_recorded_terms_and_the_option_it_holds():
    m = DashboardModel("baseline", seed=1, **SHORT)
    assert country_choices(m, "KEN")["note"].startswith("No choice yet")
    for _ in range(6):
        m.step()
    info = country_choices(m, "KEN")
    assert set(info["decisions"]) >= {"vendor_policy", "law", "regime"}
    explained = connsim.runner.RunResult(m.spec, 1, None, m.recorder.agent_record()).explain("KEN", 6)
    policy = info["decisions"]["vendor_policy"]
    held = policy.index[policy["held"]].tolist()
    assert held == [m.agent("KEN").vendor_policy] and info["status"]["5G policy"] == held[0]
    expected = explained[explained["decision"] == "vendor_policy"].set_index("option")["utility"]
    np.testing.assert_array_equal(policy["utility"].to_numpy(), expected.to_numpy())
    text = reason("vendor_policy", policy, info["revised"]["vendor_policy"])
    assert text.startswith(f"holds {held[0]} (probability ")
    assert ("did not revise" in text) != info["revised"]["vendor_policy"]
    member = country_choices(m, "DEU")  # a member state decides its 5G policy only (its law is the EU's)
    assert set(member["decisions"]) == {"vendor_policy"}
    usa = country_choices(m, "USA")  # a power: its yearly decisions
    assert "decides once a year" in usa["note"]
    assert set(usa["decisions"]["yearly decisions"]["decision"]) == set(connsim.decisions.powers.POWER_LEVERS["USA"])
    eu = country_choices(m, "EUU")
    assert "log_odds" in eu["decisions"]["adequacy"].columns
    assert reason("adequacy", eu["decisions"]["adequacy"], True).endswith(".")


def test_the_map_draws_every_state_with_coordinates():
    pytest.importorskip("solara", reason="the page needs the viz extra: pip install 'connsim[viz]'")
    from connsim.dashboard.page import world_map

    m = DashboardModel("baseline", seed=0, **SHORT)
    fig = world_map(m)
    points = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert points == m.state.n == 193


# --- the page, rendered without a browser ----------------------------------------------------------

solara = pytest.importorskip("solara", reason="the page needs the viz extra: pip install 'connsim[viz]'")


def _widgets(widget, kind) -> list:
    """Every widget of ``kind`` in the tree under ``widget``, nested ones included."""
    import ipywidgets

    found = [widget] if isinstance(widget, kind) else []
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, ipywidgets.Widget):
            found += _widgets(child, kind)
    return found


def _render(monkeypatch, scenario="baseline"):
    """The page in Solara's app layout (which holds SolaraViz's sidebar), rendered in this process:
    (root widget, click(button label), html(marker) -> the HTML of the panel holding ``marker``)."""
    import ipyvuetify as v
    from solara.widgets import HTML

    from connsim.dashboard import page

    @solara.component
    def App():
        with solara.AppLayout():
            page.Page()

    monkeypatch.setenv(page.SCENARIO_ENV, scenario)
    box, rc = solara.render(App(), handle_error=False)
    click = lambda label: next(w for w in _widgets(box, v.Btn) if w.children == [label]).click()  # noqa: E731

    def html(marker: str = "connsim-now") -> str:
        return next(w.unsafe_innerHTML for w in _widgets(box, HTML) if marker in (w.unsafe_innerHTML or ""))

    return box, click, html


def _step_text(html: str) -> str:
    return re.search(r"step \d+ of \d+", html).group(0)


def test_the_page_builds_with_the_panels_and_sliders_of_the_schema(monkeypatch):
    import ipyvuetify as v

    box, click, now = _render(monkeypatch)
    titles = [w.children[0] for w in _widgets(box, v.CardTitle) if w.children and isinstance(w.children[0], str)]
    for title in ("Now", "World map", "Powers and their levers", "A country's choices and their reasons"):
        assert title in titles
    spec = connsim.load_scenario("baseline")
    sliders = {w.label: w for w in _widgets(box, v.Slider)}
    for name in MAIN_LEVERS:
        c = control(spec, name)
        if c["type"] == "SliderFloat":
            w = sliders[c["label"]]
            assert (w.min, w.max, w.step, w.v_model) == (c["min"], c["max"], c["step"], c["value"])
    assert _step_text(now()) == "step 0 of 48"
    import ipywidgets

    figures = _widgets(box, ipywidgets.Image)  # the four plots and the map, as PNG
    assert len(figures) == 5 and all(bytes(w.value[:8]) == b"\x89PNG\r\n\x1a\n" for w in figures)


def test_step_advances_the_model_and_reset_builds_one_with_the_sliders(monkeypatch):
    import ipyvuetify as v

    box, click, now = _render(monkeypatch)
    click("Step")
    assert _step_text(now()) == "step 1 of 48"
    click("Step")
    assert _step_text(now()) == "step 2 of 48"
    label = control(connsim.load_scenario("baseline"), "us_pressure")["label"]
    next(w for w in _widgets(box, v.Slider) if w.label == label).v_model = 1.0
    assert 'data-lever="us_pressure">0.5<' in now("connsim-power")  # the run in force still has the old value
    click("Reset")
    assert _step_text(now()) == "step 0 of 48"
    assert 'data-lever="us_pressure">1<' in now("connsim-power")
    for _ in range(2):
        click("Step")
    expected = DashboardModel("baseline", seed=0, us_pressure=1.0)
    for _ in range(2):
        expected.step()
    shown = now()
    for label_, value in now_rows(expected):
        assert f"<td>{label_}</td><td>{value}</td>" in shown


def test_each_session_has_its_own_model(monkeypatch):
    _, click_a, now_a = _render(monkeypatch)
    _, click_b, now_b = _render(monkeypatch)
    click_a("Step")
    assert _step_text(now_a()) == "step 1 of 48" and _step_text(now_b()) == "step 0 of 48"


def test_reset_releases_the_replaced_model_on_mesa_3_3(monkeypatch):
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if not isinstance(ids, dict):
        pytest.skip("Mesa 3.4+ keeps no models in Agent._ids")
    before = set(ids)
    _, click, _ = _render(monkeypatch)
    first = set(ids) - before
    assert len(first) == 1
    click("Reset")
    assert not (first & set(ids)), "the replaced model is still held by Mesa's Agent._ids"
    assert len(set(ids) - before) == 1


# --- the command ------------------------------------------------------------------------------------


def _command(*args, code: str = "") -> subprocess.CompletedProcess:
    script = code or "import sys\nfrom connsim.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)


def test_a_taken_port_is_one_line_and_exit_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = _command("dashboard", "--port", str(port))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"connsim dashboard: error: --port: {port} is in use on 127.0.0.1; allowed a free port (or 0: any free port)"
    ]
    with pytest.raises(DashboardError, match="is not a port"):
        bind("127.0.0.1", 70000)


def test_without_the_viz_extra_the_command_says_what_to_install():
    code = (
        "import sys\nsys.modules['solara'] = None  # as if the viz extra were not installed\n"
        "from connsim.cli import main\nsys.exit(main(['dashboard', '--port', '0']))\n"
    )
    proc = _command(code=code)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "connsim dashboard: error: the dashboard needs solara, which is not installed (solara); "
        "install the viz extra: pip install 'connsim[viz]'"
    ]


def test_without_solaras_offline_assets_the_command_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path))
    with pytest.raises(DashboardError, match="offline assets are not installed.*missing @widgetti/solara-vuetify-app"):
        check_installed()
    monkeypatch.delenv("SOLARA_ASSETS_PROXY_CACHE_DIR")
    check_installed()  # the installed ones are complete


def test_serve_sets_solaras_offline_settings_and_the_scenario_before_it_starts(monkeypatch, tmp_path):
    import uvicorn

    from connsim.dashboard import APP, NO_CDN, SCENARIO_ENV, offline_environment, serve

    for key in (*offline_environment(), "SOLARA_APP", SCENARIO_ENV, "SERVER_NAME", "SERVER_PORT"):
        monkeypatch.setenv(key, "")  # restored after the test
    seen = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: seen.update(os.environ, port=sockets[0].getsockname()[1]))
    (tmp_path / "class.toml").write_text('extends = "baseline"\nus_pressure = 0.9\n')
    monkeypatch.chdir(tmp_path)
    lines = []
    serve("127.0.0.1", 0, "class.toml", announce=lines.append)
    assert seen["SOLARA_ASSETS_CDN"] == NO_CDN and seen["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert seen["SOLARA_APP"] == APP and seen[SCENARIO_ENV] == str(tmp_path / "class.toml")
    assert lines == [
        f"connsim dashboard: http://127.0.0.1:{seen['port']}/ (scenario class; each browser tab runs its own model; Ctrl-C stops it)"
    ]
    with pytest.raises(ScenarioError):
        serve("127.0.0.1", 0, "no_such_scenario", announce=lines.append)


def test_dashboard_help_imports_neither_mesa_nor_solara():
    code = (
        "import sys\nfrom connsim.cli import main\ntry:\n    main(['dashboard', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('mesa', 'solara', 'numpy') if m in sys.modules))"
    )
    proc = _command(code=code)
    assert "--host ADDRESS" in proc.stdout and proc.stdout.splitlines()[-1] == "[]"
