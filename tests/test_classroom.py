"""Classroom mode: a player takes the EU's or Japan's decisions; the reference run is the model's own
play; the teacher's events; the session saved as TOML replays through ``connsim run`` to the same
numbers; bad replay tables are refused in one line per problem (the browser test is
tests/test_dashboard_browser.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import connsim
from connsim.dashboard.classroom import ClassroomModel, decision_rows, scenario_toml, scorecard_rows
from connsim.dashboard.levers import lever_value
from connsim.decisions.powers import POWER_LEVERS, Replay, lever_range
from connsim.names import POWERS
from connsim.scenario import ScenarioError, list_scenarios, load_scenario

SHORT = connsim.load_scenario("baseline").replace(end_year=2022)  # 16 quarterly steps, 4 yearly decisions


def _session(spec=SHORT, player="EUU", others="adaptive", seed=5, until_step=None) -> ClassroomModel:
    """A session: the player changes its mind each year, the teacher injects a shock and a policy."""
    m = ClassroomModel(spec, seed=seed, player=player, others=others, us_pressure=0.8)
    plan = {
        0: {POWER_LEVERS[player][0]: 0.9},
        1: {"eu_japan_cooperation": "beyond_bilateral", f"oda_budget_scale.{player}": 2.5},
        2: {POWER_LEVERS[player][0]: 0.1, f"oda_staffing.{player}": 0.9},
    }
    year = 0
    while m.t < (m.n_steps if until_step is None else until_step):
        for lever, value in plan.get(year, {}).items():
            m.choose(lever, value)
        if m.t == 4:
            m.inject_event("conflict_shock", 0.3)
        m.step()
        if m.t == 6:
            m.inject_event("vendor_policy", "banned", iso3="KEN")
        year = m.t // m.spec.steps_per_year
    return m


def _connsim(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connsim", *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def _frames(folder):
    return pd.read_parquet(folder / "model_vars.parquet"), pd.read_parquet(folder / "agent_vars.parquet")


def _agent_frame(model) -> pd.DataFrame:
    from connsim.runner import RunResult

    rec = model.recorder
    return RunResult(model.spec, model.run_seed, None, rec.agent_record(copy=False), powers=rec.power_log()).agent_vars


# --- the saved session replays ---------------------------------------------------------------------


@pytest.mark.parametrize("player, others", [("EUU", "adaptive"), ("JPN", "scripted")])
def test_a_saved_session_replays_through_connsim_run_to_identical_outcomes(tmp_path, player, others):
    m = _session(player=player, others=others)
    path = tmp_path / "session.toml"
    path.write_text(m.session_toml(path.name))
    data = tomllib.loads(path.read_text())
    assert data["powers"][player]["strategy"] == "replay" and len(data["powers"][player]["decisions"]) == 4
    assert {p: data["powers"][p]["strategy"] for p in POWERS if p != player} == dict.fromkeys(set(POWERS) - {player}, others)
    assert [e["kind"] for e in data["events"]] == ["conflict_shock", "vendor_policy"]
    command = re.search(r"# Replay: (connsim run .*?) gives", path.read_text()).group(1).split()
    assert command[:4] == ["connsim", "run", "session.toml", "--seed"]
    done = _connsim(*command[1:], "--out", tmp_path / "replay", "--format", "parquet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    mv, av = _frames(tmp_path / "replay")
    session_mv = m.recorder.model_frame()
    pd.testing.assert_frame_equal(mv, session_mv, check_exact=True)
    pd.testing.assert_frame_equal(av, _agent_frame(m), check_exact=True)
    # the replay is the session's, not the same scenario without the player's decisions or the events
    without_player = connsim.run(load_scenario(path).replace(powers={player: {"strategy": others}}), seed=m.run_seed)
    assert not without_player.model_vars.equals(session_mv)
    without_events = connsim.run(load_scenario(path).replace(events=[]), seed=m.run_seed)
    assert not without_events.model_vars.equals(session_mv)


def test_a_session_stopped_at_a_year_replays_with_until(tmp_path):
    m = _session(until_step=8)  # the start of 2021
    path = tmp_path / "part.toml"
    path.write_text(m.session_toml(path.name))
    command = re.search(r"# Replay: (connsim run .*?) gives", path.read_text()).group(1).split()
    assert command[-2:] == ["--until", "2021"]
    done = _connsim(*command[1:], "--out", tmp_path / "replay", "--format", "parquet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(_frames(tmp_path / "replay")[0], m.recorder.model_frame(), check_exact=True)


def test_the_reference_run_is_the_model_deciding_for_the_player_under_the_same_events():
    m = _session(others="adaptive")
    saved = m.session_scenario()
    model_play = connsim.run(saved.replace(powers={"EUU": {"strategy": "adaptive"}}), seed=m.run_seed, record_agents=False)
    pd.testing.assert_frame_equal(m.reference.recorder.model_frame(), model_play.model_vars, check_exact=True)
    rows = scorecard_rows(m)
    mine, theirs = m.recorder.model_frame().iloc[-1], model_play.model_vars.iloc[-1]
    assert rows[0][1] == f"{mine['scorecard_security_EUU']:.1%}" and rows[0][2] == f"{theirs['scorecard_security_EUU']:.1%}"
    assert any(a != b for _, a, b, _ in rows)  # the player's decisions changed its scorecard


def test_the_player_decides_with_the_choices_set_when_the_years_step_comes():
    m = ClassroomModel(SHORT, seed=1, player="EUU", others="scripted")
    assert m.choices["eu_toolbox_strength"] == 0.3  # the course at the start
    m.step()  # 2019's decision: the course
    m.choose("eu_toolbox_strength", 1.0)  # during the year: taken at the start of 2020
    for _ in range(3):
        assert lever_value(m, "eu_toolbox_strength") == 0.3
        m.step()
    assert m.t == 4 and lever_value(m, "eu_toolbox_strength") == 0.3  # the next step decides
    m.step()
    assert lever_value(m, "eu_toolbox_strength") == 1.0
    assert lever_value(m.reference, "eu_toolbox_strength") == 0.3  # the scripted EU keeps its course
    assert m.decisions_so_far()[2020]["eu_toolbox_strength"] == 1.0
    row = next(r for r in decision_rows(m) if r[0] == "eu_toolbox_strength")
    assert row[1:] == ("1", "1", "0.3")
    assert m.play_year() == 3 and m.t == 8 and m.play_year() == 4 and m.t == 12


def test_the_session_refuses_what_it_cannot_do_with_a_clear_message():
    with pytest.raises(ScenarioError, match=r"player: got 'USA'; allowed EUU, JPN"):
        ClassroomModel(SHORT, player="USA")
    with pytest.raises(ScenarioError, match=r"others: got 'clever'; allowed scripted, adaptive"):
        ClassroomModel(SHORT, others="clever")
    m = ClassroomModel(SHORT)
    with pytest.raises(ScenarioError, match=r"eu_toolbox_strength=1.5; allowed a number in 0..1"):
        m.choose("eu_toolbox_strength", 1.5)
    with pytest.raises(ScenarioError, match=r"japan_vendor_push: not one of EUU's decisions"):
        m.choose("japan_vendor_push", 0.5)
    with pytest.raises(ScenarioError, match=r"save: no decision taken yet"):
        m.session_toml()
    with pytest.raises(ScenarioError, match=r"CHN is a power"):
        m.inject_event("vendor_policy", "banned", iso3="CHN")
    assert m.injected == [] and m.spec.events == ()  # a refused event leaves the session as it was
    while m.t < m.n_steps:
        m.step()
    m.step()  # nothing after the end (Mesa's Step stays harmless)
    with pytest.raises(ScenarioError, match=r"the run has ended"):
        m.inject_event("conflict_shock", 0.2)


def test_an_injected_event_changes_the_run_from_the_next_step_only():
    a, b = ClassroomModel(SHORT, seed=2), ClassroomModel(SHORT, seed=2)
    for _ in range(5):
        a.step(), b.step()
    b.inject_event("conflict_shock", 0.4)
    assert a.recorder.model_frame().equals(b.recorder.model_frame())
    a.step(), b.step()
    fa, fb = a.recorder.model_frame(), b.recorder.model_frame()
    assert fb["us_china_conflict"].iloc[-1] == pytest.approx(fa["us_china_conflict"].iloc[-1] + 0.4)
    assert fb["us_china_conflict"].iloc[-1] == b.reference.recorder.model_frame()["us_china_conflict"].iloc[-1]


# --- the replay strategy and its table ---------------------------------------------------------------


def test_a_replay_keeps_the_decisions_in_force_in_a_year_not_in_its_table():
    table = {2020: {"eu_toolbox_strength": 0.9}}
    r = connsim.run(SHORT, seed=0, strategies={"EUU": Replay(table)}, record_agents=False)
    decided = r.power_vars.query("power == 'EUU' and decided")  # the row after each yearly step
    assert decided["eu_toolbox_strength"].tolist() == [0.3, 0.9, 0.9, 0.9]  # 2019 (its course), 2020, 2021, 2022
    spec = SHORT.replace(powers={"EUU": {"strategy": "replay", "decisions": table}})
    assert connsim.run(spec, seed=0, record_agents=False).model_vars.equals(r.model_vars)


BAD_TABLES = [
    (
        '[powers.EUU]\nstrategy = "replay"\n',
        "powers.EUU.decisions: required",
        "allowed a table [powers.<power>.decisions.<year>]",
    ),
    (
        '[powers.EUU]\nstrategy = "adaptive"\n[powers.EUU.decisions.2020]\neu_toolbox_strength = 0.5\n',
        "powers.EUU.decisions: a decisions table is replayed only with strategy",
        'allowed strategy = "replay"',
    ),
    (
        '[powers.EUU]\nstrategy = "replay"\n[powers.EUU.decisions.2040]\neu_toolbox_strength = 0.5\n',
        "powers.EUU.decisions.2040: 2040 is outside the horizon",
        "allowed a year from 2019 to 2030",
    ),
    (
        '[powers.EUU]\nstrategy = "replay"\n[powers.EUU.decisions.2020]\neu_toolbox_strength = 1.5\n',
        "powers.EUU.decisions.2020.eu_toolbox_strength: eu_toolbox_strength=1.5",
        "allowed a number in 0..1",
    ),
    (
        '[powers.JPN]\nstrategy = "replay"\n[powers.JPN.decisions.2020]\neu_toolbox_strength = 0.5\n',
        "powers.JPN.decisions.2020.eu_toolbox_strength: 'eu_toolbox_strength' is not one of JPN's decisions",
        "allowed dfft_multilateral_push, japan_vendor_push",
    ),
    (
        '[powers.EUU]\nstrategy = "replay"\n[powers.EUU.decisions.2020]\neu_japan_cooperation = "deep"\n',
        "powers.EUU.decisions.2020.eu_japan_cooperation: eu_japan_cooperation='deep'",
        "allowed one of none, bilateral, beyond_bilateral",
    ),
    (
        '[powers.EUU]\nstrategy = "replay"\n[powers.EUU.decisions.2020]\noda_staffing.EUU = 0.5\n',  # an unquoted dotted key
        "powers.EUU.decisions.2020.oda_staffing: got {'EUU': 0.5}",
        'a donor\'s lever quoted: "oda_budget_scale.EUU" = 1.5',
    ),
    (
        '[powers.EUU]\nstrategy = "replay"\n[powers.EUU.decisions.next]\neu_toolbox_strength = 0.5\n',
        "powers.EUU.decisions.next: 'next' is not a year",
        "allowed a table of years",
    ),
    ('[powers.EUU]\nstrategy = "replya"\n', "powers.EUU.strategy: got 'replya'; did you mean 'replay'?", "'replay'"),
]


@pytest.mark.parametrize("table, key, allowed", BAD_TABLES)
def test_a_bad_replay_table_is_refused_naming_the_file_the_key_and_what_is_allowed(tmp_path, capsys, table, key, allowed):
    from connsim.cli import main

    path = tmp_path / "bad_replay.toml"
    path.write_text('extends = "baseline"\n' + table)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2  # the command's own code, in this process
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert lines[0] == f"connsim run: error: {path}: 1 problem"  # the file ...
    assert len(lines) == 2 and lines[1].startswith(f"  - {key}") and allowed in lines[1]  # ... one line: key, allowed
    assert "Traceback" not in stderr and not (tmp_path / "out").exists()


# --- the TOML writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(list_scenarios()))
def test_every_library_scenario_writes_to_toml_and_loads_back_equal(name):
    spec = load_scenario(name).replace(extends=None)
    assert load_scenario(tomllib.loads(scenario_toml(spec))) == spec


def _decision(lever):
    allowed = lever_range(lever)
    if isinstance(allowed[0], str):
        return hs.sampled_from(allowed)
    lo, hi = allowed
    return hs.floats(lo, hi, allow_nan=False).filter(lambda x: x > 0 or not lever.startswith("oda_staffing."))


@settings(max_examples=40, deadline=None)
@given(
    hs.sampled_from(["EUU", "JPN"]).flatmap(
        lambda p: hs.tuples(
            hs.just(p),
            hs.dictionaries(
                hs.integers(2019, 2030),
                hs.fixed_dictionaries({}, optional={lv: _decision(lv) for lv in POWER_LEVERS[p]}).filter(bool),
                min_size=1,
                max_size=4,
            ),
        )
    )
)
def test_any_valid_replay_table_round_trips_through_toml_exactly(case):
    power, decisions = case
    spec = load_scenario("baseline").replace(powers={power: {"strategy": "replay", "decisions": decisions}})
    again = load_scenario(tomllib.loads(scenario_toml(spec)))
    assert again == spec and again.powers[power].decisions == spec.powers[power].decisions


# --- the page in classroom mode, rendered without a browser ---------------------------------------------


def test_the_classroom_page_takes_a_decision_plays_the_year_and_shows_both_scorecards(monkeypatch):
    pytest.importorskip("solara", reason="the page needs the viz extra: pip install 'connsim[viz]'")
    import ipyvuetify as v
    import ipywidgets

    from connsim.dashboard import CLASSROOM_ENV
    from tests.test_dashboard import _render, _widgets

    monkeypatch.setenv(CLASSROOM_ENV, "1")
    box, click, html = _render(monkeypatch)
    selects = {w.label: w for w in _widgets(box, v.Select)}
    assert selects["the player plays"].v_model == "EUU" and selects["the other powers are"].v_model == "scripted"
    shown = lambda cls: dict(re.findall(rf'{cls}" data-\w+="([^"]+)">([^<]*)<', html("connsim-classroom")))  # noqa: E731
    before = shown("connsim-score-player")
    assert before == shown("connsim-score-model")  # nothing decided yet: the two runs are one
    slider = next(w for w in _widgets(box, v.Slider) if w.label == "your decision: EU 5G toolbox strength")
    slider.v_model = 1.0
    # and the EU's ODA staffing to its most: a toolbox alone moves the scorecard too little to show in a
    # year (member states revise about one year in six), staffing reaches more partners at once
    staffing = next(w for w in _widgets(box, v.Slider) if w.label == "your decision: EU digital-ODA staffing")
    staffing.v_model = staffing.max
    assert shown("connsim-chosen")["eu_toolbox_strength"] == "1" and shown("connsim-player-held")["eu_toolbox_strength"] == "0.3"
    click("Decide and play the year")
    assert re.search(r"step 4 of 48", html("connsim-now"))
    assert shown("connsim-player-held")["eu_toolbox_strength"] == "1"
    assert shown("connsim-model-held")["eu_toolbox_strength"] == "0.3"
    after, model = shown("connsim-score-player"), shown("connsim-score-model")
    assert after != before and after != model  # the player's scorecard moved away from the model's
    assert 'data-power="EUU"' in html("connsim-power") and "Played on this page" in html("connsim-power")
    click("Inject at the next step")  # the default event: a conflict shock of +0.3
    assert "US-China conflict +0.3, from 2020 Q1" in html("connsim-classroom")
    downloads = [w for w in _widgets(box, ipywidgets.Widget) if type(w).__name__ == "FileDownloadWidget"]
    assert downloads and downloads[0].filename == "baseline_session_EUU.toml"


def test_the_replay_example_and_error_of_the_cli_docs_are_what_the_program_does(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    example = next(b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "decisions" in b)
    spec = load_scenario({"extends": "baseline", **tomllib.loads(example)})
    assert spec.powers["EUU"].decisions[2019]["oda_budget_scale.EUU"] == 2.5
    r = connsim.run(spec.replace(end_year=2021), seed=0, record_agents=False)
    decided = r.power_vars.query("power == 'EUU' and decided")["eu_toolbox_strength"].tolist()
    assert decided == [0.9, 0.9, 0.1]  # 2020 not in the table: the 2019 decision kept
    shown = re.search(r"```\n(connsim run: error: bad.toml: 1 problem\n.*?)\n```", text, flags=re.S).group(1)
    path = tmp_path / "bad.toml"
    path.write_text(
        'extends = "baseline"\n[powers.EUU]\nstrategy = "replay"\n[powers.EUU.decisions.2020]\neu_toolbox_strength = 1.5\n'
    )
    done = _connsim("run", path.name, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == shown.replace("bad.toml", str(path))  # the file as resolved
