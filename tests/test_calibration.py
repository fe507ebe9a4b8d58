"""The calibration: its targets (the 2019-2023 data-flow record), the values the baseline uses, and
``connsim calibrate`` (a tiny budget: the full calibration is one command, docs/calibration.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from connsim import calibration as cal
from connsim.scenario import load_scenario
from connsim.seeds import SEEDS_DIR, SeedError

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "seeds" / "reference"
#: The reference files of the 5G side: the calibration must read none of them.
FIVE_G_FILES = ("5g_policy_2019.csv", "vendor_shares_2019.csv", "installed_chinese_ran_2019.csv")


def connsim(*args, cwd, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "connsim", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


# --- the targets ------------------------------------------------------------------------------------


def test_targets_hold_the_record():
    t = cal.load_targets()
    # counted by year_enacted over the model's 193 states (the table's 114 / 139 include Taiwan)
    assert t.law_count.tolist() == [113, 115, 125, 131, 138]
    assert len(t.candidates) == 80 and t.adopted.sum() == 25
    assert t.granted == {"GBR": 2021, "KOR": 2021, "USA": 2023}
    laws = pd.read_csv(REFERENCE / "data_protection_laws.csv").set_index("iso3")
    for iso, y in zip(t.candidates, t.adopted):
        enacted = laws["year_enacted"].get(iso, np.nan)
        assert y == (1.0 if 2020 <= enacted <= 2023 else 0.0), iso
    assert (t.table["source"].str.len() > 20).all()  # every figure names where it came from
    assert set(t.compare["pattern"]) == {"localisation_countries"}


def test_targets_contain_nothing_from_the_5g_side():
    """The 5G side after 2019 is the out-of-sample check: no target, no source and no discrepancy of
    the calibration is about vendors or 5G policy, and the targets build without the 5G files."""
    t = cal.load_targets().table
    assert set(t["pattern"]) == {"law_count", "law_adopted", "adequacy_granted", "localisation_countries"}
    text = " ".join(t["source"].tolist() + t["note"].fillna("").tolist() + t["unit"].tolist()).lower()
    for word in ("5g", "huawei", "zte", "vendor", "ran ", "high-risk", "restrict", *FIVE_G_FILES):
        assert word.lower() not in text, word
    assert set(cal.PATTERNS) == {"law_count", "law_adopted", "adequacy_granted"}
    sys.path.insert(0, str(ROOT / "seeds"))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT / "seeds"))
    sh = build.read_reference(REFERENCE)
    countries = pd.read_csv(SEEDS_DIR / "countries.csv", keep_default_na=False, na_values=[""])
    data_flow_only = {k: v for k, v in sh.items() if k in ("dp_laws", "dp_counts", "transfers")}
    rebuilt = build.build_calibration_targets(countries, data_flow_only)  # a KeyError if it read anything else
    committed = pd.read_csv(SEEDS_DIR / "calibration_targets.csv", keep_default_na=False)
    assert rebuilt.astype(str).replace("nan", "").to_numpy().tolist() == committed.astype(str).to_numpy().tolist()


def test_record_scenario_sets_no_5g_lever():
    base, rec = load_scenario("baseline"), cal.record_scenario()
    changed = {k for k in type(base).model_fields if k not in ("end_year", "events") and getattr(base, k) != getattr(rec, k)}
    assert changed == {"us_data_framework"}
    assert rec.n_steps == 16


def _seeds_copy(tmp_path: Path) -> Path:
    d = tmp_path / "seeds"
    d.mkdir(parents=True)
    for p in SEEDS_DIR.glob("*.csv"):
        shutil.copy(p, d / p.name)
    return d


def test_bad_targets_are_refused_with_the_file_named(tmp_path):
    d = _seeds_copy(tmp_path)
    t = pd.read_csv(d / "calibration_targets.csv", dtype=str, keep_default_na=False)
    t[~((t["pattern"] == "law_adopted") & (t["key"] == "IND"))].to_csv(d / "calibration_targets.csv", index=False)
    with pytest.raises(cal.CalibrationError, match=r"seeds/calibration_targets\.csv: pattern law_adopted needs .* IND"):
        cal.load_targets(d)
    d2 = _seeds_copy(tmp_path / "b")
    t.loc[0, "confidence"] = "sure"
    t.to_csv(d2 / "calibration_targets.csv", index=False)
    with pytest.raises(SeedError, match=r"calibration_targets\.csv, row 1 \(world\), column 'confidence': value 'sure'"):
        cal.load_targets(d2)


def test_bad_parameters_are_refused():
    with pytest.raises(cal.CalibrationError, match="parameter 'w_us' is not calibrated; allowed revision_probability"):
        cal.simulate({"w_us": 0.3}, [0])
    with pytest.raises(cal.CalibrationError, match=r"beta_regime: got 50.0; allowed a number in 0.5..12"):
        cal.simulate({"beta_regime": 50.0}, [0])


# --- the values the baseline uses ------------------------------------------------------------------


def test_the_baseline_uses_the_calibrated_values():
    data = cal.calibrated()
    assert set(data["values"]) == set(cal.PARAMETERS)
    for k in ("command", "date", "git_commit", "seed", "populations", "parameter_sets_simulated"):
        assert k in data["provenance"], k
    for k, (lo, hi) in cal.PARAMETERS.items():
        assert lo <= data["values"][k] <= hi
    base = load_scenario("baseline")
    assert cal.calibration_of(base) == {"id": data["id"], "source": "connsim/calibration.toml", "matches": True, "differs": []}
    from connsim.scenario import Scenario

    assert cal.calibration_of(Scenario())["matches"]  # the defaults are the calibrated values too
    assert cal.calibration_of(base.replace(beta_regime=4.5))["differs"] == ["beta_regime"]


def test_a_run_records_its_calibration():
    import connsim

    r = connsim.run("baseline", seed=0, until=2021, record_agents=False)
    assert r.calibration["id"] == cal.calibrated()["id"] and r.calibration["matches"]
    r = connsim.run(load_scenario("baseline").replace(weights={"d_law": 0.1}), seed=0, until=2021, record_agents=False)
    assert r.calibration["differs"] == ["d_law"]


def test_calibrated_values_fit_the_record_better_than_the_first_estimates():
    """Over the same 20 seeds, the calibrated values are closer to the record than the first
    estimates on the per-state pattern and on the yearly count, and in all. Fails if the calibrated
    values are replaced by the first estimates (equal discrepancies are not better)."""
    seeds = range(20)
    calibrated = cal.evaluate(cal.calibrated()["values"], seeds)
    first = cal.evaluate(cal.FIRST_ESTIMATES, seeds)
    assert calibrated["law_adopted"] < first["law_adopted"]
    assert calibrated["law_count"] < first["law_count"]
    assert sum(calibrated[k] / first[k] for k in cal.PATTERNS) < len(cal.PATTERNS)


# --- connsim calibrate -----------------------------------------------------------------------------------


def test_calibrate_resumes_from_its_database(tmp_path):
    pytest.importorskip("pyabc", reason="the calibrate extra (pyabc) is not installed")
    import pyabc

    out = tmp_path / "cal"
    kw = dict(population_size=20, seeds=1, check_seeds=2, progress=None)
    first = cal.calibrate(out, populations=1, **kw)
    assert first["populations"] == 1
    before = pyabc.History(f"sqlite:///{out / 'calibration.db'}").get_distribution(m=0, t=0)[0]
    second = cal.calibrate(out, populations=2, **kw)
    assert second["populations"] == 2 and second["simulations"] > first["simulations"]
    after = pyabc.History(f"sqlite:///{out / 'calibration.db'}").get_distribution(m=0, t=0)[0]
    pd.testing.assert_frame_equal(before, after)  # the first population was kept, not run again
    again = cal.calibrate(out, populations=2, **kw)  # nothing left to do: no new simulation
    assert again["simulations"] == second["simulations"]
    with pytest.raises(cal.CalibrationError, match="population_size 20 there, 21 now"):
        cal.calibrate(out, populations=2, **{**kw, "population_size": 21})
    iv = pd.read_csv(out / "intervals.csv")
    assert list(iv["parameter"]) == list(cal.PARAMETERS)
    assert (iv["posterior_5"] <= iv["posterior_median"]).all() and (iv["posterior_median"] <= iv["posterior_95"]).all()
    toml = (out / "calibration.toml").read_text()
    assert "[values]" in toml and "git_commit" in toml


def test_connsim_calibrate_tiny_budget_and_refusals(tmp_path):
    pytest.importorskip("pyabc", reason="the calibrate extra (pyabc) is not installed")
    out = tmp_path / "c"
    tiny = ["--populations", 1, "--population-size", 10, "--seeds", 1, "--check-seeds", 2]
    p = connsim("calibrate", "--out", out, *tiny, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "population 1/1: epsilon" in p.stdout and "discrepancy per pattern" in p.stdout
    meta = json.loads((out / "calibrate.json").read_text())
    assert meta["written_by"] == "connsim" and meta["kind"] == "calibrate" and meta["populations"] == 1
    assert {f.name for f in out.iterdir()} == set(cal.CALIBRATION_FILES)

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    cases = [
        (["--out", other, *tiny], "holds no calibration written by connsim calibrate"),
        (["--out", out, *tiny[:2], "--population-size", 12, *tiny[4:]], "population_size 10 there, 12 now"),
        (["--out", out, "--populations", 0], "--populations: 0 is not a number of populations"),
        (["--out", out, "--seeds", "x"], "--seeds: 'x' is not"),
    ]
    cases.append((["--out", out, "--overwrite", *tiny], "holds files connsim calibrate did not write (stray.csv)"))
    for i, (args, message) in enumerate(cases):
        if i == len(cases) - 1:
            (out / "stray.csv").write_text("x")  # a file the calibration did not write: --overwrite must refuse
        p = connsim("calibrate", *args, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stderr)
        assert message in p.stderr and "Traceback" not in p.stderr, (args, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert (other / "notes.txt").read_text() == "mine" and (out / "stray.csv").exists()
    (out / "stray.csv").unlink()
    p = connsim("calibrate", "--out", out, "--overwrite", *tiny[:2], "--population-size", 12, *tiny[4:], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "calibrate.json").read_text())["settings"]["population_size"] == 12


def test_calibrate_without_pyabc_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyabc", None)  # import pyabc raises ImportError
    with pytest.raises(cal.CalibrationError, match=r"needs pyabc: pip install 'connsim\[calibrate\]'"):
        cal.calibrate(tmp_path / "c", populations=1, population_size=5, seeds=1, progress=None)
    assert not (tmp_path / "c").exists()  # nothing written
