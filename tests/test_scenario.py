"""Scenario files: the library, the Python API and the refusal of bad scenarios (connsim.scenario)."""

from __future__ import annotations

import json
import math
import pickle
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from connsim.scenario import (
    DONORS,
    LEVERS,
    SCENARIOS_DIR,
    Event,
    Scenario,
    ScenarioError,
    list_scenarios,
    load_parent,
    load_scenario,
    parameter_table,
    schedule_at,
)
from connsim.weights import Weights

LIBRARY = (
    "baseline",
    "hardening_conflict",
    "beyond_bilateral",
    "eu_oda_staffed",
    "member_state_fragmentation",
    "japanese_vendors_global",
    "open_connected_ring",
    "dfft_bridge",
)


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def refuse(path_or_data) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path_or_data)
    return info.value


# --- the library -------------------------------------------------------------------------------


def test_library_lists_the_papers_stories():
    library = list_scenarios()
    assert set(LIBRARY) <= set(library)
    assert all(library[name] for name in LIBRARY), "every library scenario has a one-line description"


@pytest.mark.parametrize("name", LIBRARY)
def test_library_scenario_loads_and_describes_its_claim(name):
    s = load_scenario(name)
    assert s.name == name
    assert len(s.description.splitlines()) >= 2
    if name != "baseline":
        assert s.extends == "baseline"
        assert "paper" in s.description.lower(), "the description quotes the claim of the paper it explores"


@pytest.mark.parametrize("name", [n for n in LIBRARY if n != "baseline"])
def test_library_scenarios_change_only_levers(name):
    """A story changes levers, not the behaviour, the weights or the horizon of the baseline."""
    s, base = load_scenario(name), load_scenario("baseline")
    changed = {k for k in Scenario.model_fields if getattr(s, k) != getattr(base, k)} - {"name", "description", "extends"}
    assert changed and changed <= set(LEVERS), changed


def test_library_levers_tell_each_story():
    base = load_scenario("baseline")
    hc = load_scenario("hardening_conflict")
    assert hc.at("us_china_conflict", 2019) == pytest.approx(0.5)
    assert hc.at("us_china_conflict", 2023) == pytest.approx(0.9, abs=0.05)
    assert hc.at("us_pressure", 2025) > base.at("us_pressure", 2025)
    bb = load_scenario("beyond_bilateral")
    assert bb.eu_japan_cooperation == "beyond_bilateral" and bb.cooperation_level == 1.0
    assert bb.at("dfft_multilateral_push", 2025) > base.at("dfft_multilateral_push", 2025)
    assert bb.at("eu_jp_oda_coordination", 2025) > base.at("eu_jp_oda_coordination", 2025)
    staffed = load_scenario("eu_oda_staffed")
    assert staffed.oda_staffing == {"EUU": 0.8} and schedule_at(staffed.oda_budget_scale["EUU"], 2025) > 1
    frag = load_scenario("member_state_fragmentation")
    assert frag.eu_toolbox_strength == 0 and frag.eu_japan_cooperation == "none"
    assert load_scenario("japanese_vendors_global").at("japan_vendor_push", 2030) == 1.0
    ocre = load_scenario("open_connected_ring")
    assert ocre.open_connected_ring == 1 and ocre.eu_jp_oda_coordination > base.eu_jp_oda_coordination
    assert load_scenario("dfft_bridge").dfft_multilateral_push == 1.0


# --- the Python API ----------------------------------------------------------------------------


def test_schedule_is_linear_between_years_and_flat_outside():
    sched = {2019: 0.5, 2023: 0.9}
    assert schedule_at(sched, 2018) == 0.5
    assert schedule_at(sched, 2021) == pytest.approx(0.7)
    assert schedule_at(sched, 2030) == 0.9
    assert schedule_at(0.3, 2025) == 0.3


def test_replace_gives_a_validated_copy_and_keeps_the_original():
    base = load_scenario("baseline")
    s = base.replace(us_china_conflict={2019: 0.5, 2022: 1.0})
    assert s.at("us_china_conflict", 2022) == 1.0 and base.us_china_conflict == 0.5
    with pytest.raises(ValidationError):
        base.us_china_conflict = 0.9  # frozen
    with pytest.raises(ScenarioError, match="us_china_conflict.2022"):
        base.replace(us_china_conflict={2019: 0.5, 2022: 1.5})


def test_replace_schedule_replaces_but_tables_merge():
    hc = load_scenario("hardening_conflict")
    s = hc.replace(us_china_conflict={2025: 0.2}, weights={"w_oda": 0.9}, oda_staffing={"JPN": 0.5})
    assert s.us_china_conflict == {2025: 0.2}, "a new schedule replaces the old one, it does not merge into it"
    assert s.weights.w_oda == 0.9 and s.weights.w_peer == hc.weights.w_peer
    staffed = load_scenario("eu_oda_staffed").replace(oda_staffing={"JPN": 0.5})
    assert staffed.oda_staffing == {"EUU": 0.8, "JPN": 0.5}


def test_replace_accepts_numpy_numbers():
    np = pytest.importorskip("numpy")
    s = load_scenario("baseline").replace(us_china_conflict=np.float64(0.7), end_year=np.int64(2025))
    assert s.us_china_conflict == 0.7 and s.end_year == 2025


def test_dict_scenario_extends_a_library_scenario():
    s = load_scenario({"name": "mine", "extends": "hardening_conflict", "japan_vendor_push": 0.9})
    assert s.name == "mine" and s.japan_vendor_push == 0.9
    assert s.us_china_conflict == load_scenario("hardening_conflict").us_china_conflict


def test_extends_by_relative_path_and_events_add_up(tmp_path):
    (tmp_path / "sub").mkdir()
    write(
        tmp_path,
        'extends = "baseline"\n[[events]]\nyear = 2021\nkind = "vendor_policy"\niso3 = "ken"\nvalue = "banned"\n',
        "parent.toml",
    )
    child = write(
        tmp_path / "sub",
        'extends = "../parent.toml"\n[[events]]\nyear = 2022.5\nkind = "conflict_shock"\nvalue = 0.2\n',
        "child.toml",
    )
    s = load_scenario(child)
    assert s.name == "child"
    assert [e.kind for e in s.events] == ["vendor_policy", "conflict_shock"]
    assert s.events[0].iso3 == "KEN"
    assert load_parent(child).name == "parent"


def test_parameter_table_covers_levers_weights_and_events():
    rows = parameter_table("hardening_conflict", load_scenario("baseline"))
    keys = {r["key"] for r in rows}
    assert set(LEVERS) <= keys and set(Weights.model_fields) <= keys
    changed = {r["key"] for r in rows if r["changed"]}
    assert changed == {"us_china_conflict", "us_pressure"}
    assert all(r["meaning"] for r in rows)
    lever = next(r for r in rows if r["key"] == "us_china_conflict")
    assert "0..1" in lever["allowed"]


def test_every_scenario_field_is_shown():
    """`connsim show` lists every field a scenario may set (a new lever must not be invisible)."""
    rows = parameter_table("escalation", load_scenario("baseline"))
    keys = {r["key"].split(".")[0] for r in rows}
    fields = set(Scenario.model_fields) - {"name", "description", "extends", "weights", "events"}
    assert fields <= keys, sorted(fields - keys)
    assert {r["key"] for r in rows if r["changed"]} >= {"powers.USA.strategy", "powers.CHN.strategy"}


def test_scenario_error_pickles_and_keeps_its_problems():
    e = ScenarioError("x.toml", ["a: b", "c: d"])
    e2 = pickle.loads(pickle.dumps(e))
    assert e2.problems == e.problems and str(e2) == str(e)


# --- refusing bad scenarios --------------------------------------------------------------------


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = write(tmp_path, 'extends = "baseline"\nus_china_conflct = 0.7\n[weights]\nw_pere = 1\n')
    e = refuse(path)
    assert e.source == str(path)
    assert any(p.startswith("us_china_conflct: unknown key") and "did you mean 'us_china_conflict'" in p for p in e.problems)
    assert any(p.startswith("weights.w_pere: unknown key") and "'w_peer'" in p for p in e.problems)


def test_out_of_range_and_wrong_types_say_what_is_allowed(tmp_path):
    path = write(
        tmp_path,
        'us_pressure = { 2019 = 0.5, 2023 = 1.4 }\nadequacy_openness = "0.5"\n'
        'beta_policy = true\nend_year = 2030.5\neu_japan_cooperation = "bilaterl"\n'
        "oda_budget_scale = { EUX = 2 }\n",
    )
    e = refuse(path)
    text = str(e)
    assert str(path) in text.splitlines()[0] and "6 problems" in text
    assert "us_pressure.2023: got 1.4; allowed a number in 0..1" in text
    assert "adequacy_openness: got '0.5'; allowed a number in 0..1" in text, "strings are not silently converted"
    assert "beta_policy: got True; allowed a number in 0..100" in text, "booleans are not numbers"
    assert "end_year: got 2030.5; allowed an integer in 2019..2200" in text
    assert "did you mean 'bilateral'?" in text
    assert "oda_budget_scale.EUX: unknown donor; did you mean 'EUU'?" in text


def test_unknown_iso3_and_event_outside_horizon(tmp_path):
    path = write(
        tmp_path,
        '[[events]]\nyear = 2040\nkind = "regime"\niso3 = "XKX"\nvalue = "trsut"\n'
        '[[events]]\nyear = 2020\nkind = "adequacy"\nvalue = "yes"\n',
    )
    e = refuse(path)
    assert any(p.startswith("events.0.year: 2040 is outside the horizon; allowed 2019") for p in e.problems)
    assert any(p.startswith("events.0.iso3: unknown state 'XKX'") for p in e.problems)
    assert any(p.startswith("events.0.value") and "did you mean 'trust'" in p for p in e.problems)
    assert any(p.startswith("events.1.iso3: required") for p in e.problems)
    assert any(p.startswith("events.1.value") and "true or false" in p for p in e.problems)


def test_type_and_world_errors_are_reported_together(tmp_path):
    path = write(
        tmp_path, 'foo = 1\nstart_year = "2019"\n[[events]]\nyear = 2019\nkind = "regime"\niso3 = "ZZZ"\nvalue = "open"\n'
    )
    e = refuse(path)
    assert [p.split(":")[0] for p in e.problems] == ["start_year", "foo", "events.0.iso3"]


def test_cycle_of_extends(tmp_path):
    a = write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    e = refuse(a)
    assert e.source == str(a) and e.problems == [
        "extends: cycle a.toml -> b.toml -> a.toml; allowed a chain of extends that ends in a scenario extending none"
    ]
    me = write(tmp_path, 'extends = "me.toml"\n', "me.toml")
    assert "cycle me.toml -> me.toml" in str(refuse(me))


def test_missing_parent_and_unknown_library_name(tmp_path):
    e = refuse(write(tmp_path, 'extends = "basline"\n'))
    assert e.problems[0].startswith("extends: not a library scenario; did you mean 'baseline'?")
    e = refuse("hardening_conflit")
    assert "did you mean 'hardening_conflict'?" in str(e)
    e = refuse(tmp_path / "nowhere.toml")
    assert "no scenario file" in str(e)


def test_invalid_parent_is_named(tmp_path):
    write(tmp_path, "us_china_conflict = 3\n", "parent.toml")
    e = refuse(write(tmp_path, 'extends = "parent.toml"\n', "child.toml"))
    assert "parent.toml" in e.source and "child.toml" in e.source
    assert e.problems[0].startswith("us_china_conflict: got 3")


def test_toml_syntax_error_and_garbage(tmp_path):
    e = refuse(write(tmp_path, "us_china_conflict = = 0.5\n"))
    assert e.problems[0].startswith("TOML syntax error") and "line 1" in e.problems[0]
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    assert "not a text file" in str(refuse(bad))
    deep = write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n", "deep.toml")
    refuse(deep)


# --- fuzzing: a scenario either loads or is refused with a ScenarioError -----------------------

KEYS = list(Scenario.model_fields) + list(Weights.model_fields)[:6] + list(Event.model_fields) + list(DONORS) + ["2019", "2023"]
key_st = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=12))
text_st = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
leaf_st = st.one_of(
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    text_st,
    st.sampled_from(["baseline", "trust", "banned", "KEN", "EUU", "beyond_bilateral", "../x.toml", "s.toml"]),
    st.sampled_from([0, 0.5, 1, 2019, 2025, 2031.5]),
)
value_st = st.recursive(
    leaf_st, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(key_st, inner, max_size=4)), max_leaves=12
)


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def to_toml(data: dict) -> str:
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in data.items())


def loads_or_refuses(path: Path) -> None:
    try:
        assert isinstance(load_scenario(path), Scenario)
    except ScenarioError as e:
        assert e.problems and all(isinstance(p, str) and p for p in e.problems)
        assert str(e).splitlines()[0].startswith(e.source)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.dictionaries(key_st, value_st, max_size=6), st.booleans())
def test_fuzz_structured_scenarios(data, extend):
    if extend:
        data = {"extends": "baseline", **data}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text(to_toml(data))
        loads_or_refuses(path)


@FUZZ
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "year": value_st,
                "kind": st.sampled_from(["vendor_policy", "regime", "adequacy", "conflict_shock", "x"]),
                "iso3": value_st,
                "value": value_st,
            }
        ),
        max_size=3,
    )
)
def test_fuzz_events(events):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text('extends = "baseline"\n' + "".join("[[events]]\n" + to_toml(e) for e in events))
        loads_or_refuses(path)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_garbage_bytes(raw):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_bytes(raw)
        loads_or_refuses(path)


BASE_TEXT = (SCENARIOS_DIR / "hardening_conflict.toml").read_text()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(BASE_TEXT)), st.integers(0, 3), text_st), max_size=4))
def test_fuzz_mutated_library_file(edits):
    text = BASE_TEXT
    for pos, cut, insert in edits:
        pos = min(pos, len(text))
        text = text[:pos] + insert + text[pos + cut :]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text(text)
        loads_or_refuses(path)


@FUZZ
@given(st.dictionaries(key_st, value_st, max_size=6))
def test_fuzz_python_dicts(data):
    try:
        load_scenario(data)
    except ScenarioError as e:
        assert e.problems


@pytest.mark.parametrize(
    "data",
    [
        {"function-": []},
        {"str": 1},
        {"us_china_conflict": {"<schedule>": "x"}},
        {"weights": {"float": True}},
        {"events": [{"value": {"bool": 1}}]},
    ],
)
def test_keys_that_look_like_pydantic_tags_are_reported(data):
    e = refuse(data)
    assert all(":" in p for p in e.problems)
