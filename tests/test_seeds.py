"""Tests of the committed seed tables (seeds/) and their loader (connsim/seeds.py)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from connsim.seeds import (  # noqa: E402
    FILES,
    POWERS,
    REGIMES,
    SCHEMAS,
    SEEDS_DIR,
    SeedError,
    Seeds,
    load_seeds,
)

STATES = 193


@pytest.fixture(scope="module")
def seeds() -> Seeds:
    return load_seeds()


@pytest.fixture(scope="module")
def states(seeds) -> pd.DataFrame:
    c = seeds.countries
    return c[c["iso3"] != "EUU"]


# --------------------------------------------------------------------------------------------- shipped seeds
def test_shipped_seeds_load_and_are_cached(seeds):
    assert isinstance(seeds, Seeds)
    assert load_seeds() is seeds
    assert load_seeds(SEEDS_DIR) is seeds
    assert seeds.compatibility_matrix.shape == (5, 5)  # the four orientations, then no law
    assert list(seeds.compatibility.index) == [*REGIMES, "none"]


def test_country_counts(seeds):
    c = seeds.countries
    assert len(c) == 194
    assert c["iso3"].is_unique
    counts = c["kind"].value_counts()
    assert counts["MemberState"] == 27 and counts["Power"] == 4 and counts["ThirdCountry"] == 163
    assert set(c.loc[c["kind"] == "Power", "iso3"]) == set(POWERS)
    assert (c.loc[c["kind"] == "MemberState", "eu_member"] == 1).all()
    assert c["iso3"].tolist() == sorted(c["iso3"])


def test_key_dtypes(seeds):
    c = seeds.countries
    for col in ["eu_member", "population", "dp_law", "adequacy_2019"]:
        assert c[col].dtype == np.int64, col
    for col in ["gdp_usd", "align_us", "hr_ran_share", "trade_share_chn", "rule_of_law"]:
        assert c[col].dtype == np.float64, col
    optional = [col for col, spec in SCHEMAS["countries.csv"][1].items() if not spec.required]
    assert set(optional) == {"imputed", "dp_law_year"}
    assert not c.drop(columns=optional).isna().any().any()
    assert c["dp_law_year"].dtype == np.float64


def test_every_column_of_every_file_has_provenance(seeds):
    declared = set(zip(seeds.columns["file"], seeds.columns["column"]))
    # claims.csv is the paper-to-mechanism trace (text, no figures), checked by tests/test_claims.py
    csvs = sorted(p.name for p in SEEDS_DIR.glob("*.csv") if p.name != "claims.csv")
    assert set(csvs) == set(FILES)
    for name in csvs:
        header = pd.read_csv(SEEDS_DIR / name, nrows=0).columns
        for col in header:
            assert (name, col) in declared, (name, col)
    assert (seeds.columns["source_or_method"].str.len() > 0).all()


def test_trade_shares(seeds):
    c = seeds.countries
    shares = c[["trade_share_eu27", "trade_share_usa", "trade_share_chn", "trade_share_jpn"]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    assert (shares.sum(axis=1) <= 1 + 1e-9).all()
    idx = c.set_index("iso3")
    assert idx.loc["USA", "trade_share_usa"] == 0 and idx.loc["CHN", "trade_share_chn"] == 0
    assert idx.loc["JPN", "trade_share_jpn"] == 0 and idx.loc["EUU", "trade_share_eu27"] == 0
    # neighbours dominate a gravity model
    assert idx.loc["MEX", "trade_share_usa"] > 0.5 and idx.loc["DEU", "trade_share_eu27"] > 0.4


def test_hr_share_matches_delloro_ex_china(states):
    ex = states[states["iso3"] != "CHN"]
    mean = np.average(ex["hr_ran_share"], weights=ex["gdp_usd"])
    assert mean == pytest.approx(0.26, abs=0.005)
    idx = states.set_index("iso3")
    assert idx.loc["CHN", "hr_ran_share"] == pytest.approx(0.85)
    assert idx.loc["USA", "hr_core_share"] == 0 and idx.loc["AUS", "hr_core_share"] == 0  # BAN
    assert (states["hr_core_share"] <= states["hr_ran_share"] + 1e-12).all()


def test_dp_law_share_lies_between_unctads_counts_around_the_start(states):
    """UNCTAD: 58% of 194 countries had a law in January 2019, 66% in April 2020 (seeds/reference
    data_protection_law_counts.csv); the laws enacted by end-2019 fall between."""
    share = states["dp_law"].mean()
    assert 0.58 <= share <= 0.66
    assert set(states.loc[states["kind"] == "MemberState", "dp_law"]) == {1}
    assert states.set_index("iso3").loc[["USA", "IND", "IDN", "CHN", "VNM"], "dp_law"].eq(0).all()  # none at end-2019


def test_initial_5g_policies(seeds):
    p = seeds.countries.set_index("iso3")["policy_5g_2019"]
    assert p["USA"] == "banned" and p["AUS"] == "banned" and p["JPN"] == "banned"
    assert p["NLD"] == "core_excluded" and p["DEU"] == "open" and p["CHN"] == "open"


def test_initial_regimes(seeds):
    c = seeds.countries
    assert set(c.loc[c["kind"] == "MemberState", "regime_2019"]) == {"protect"}
    r = c.set_index("iso3")["regime_2019"]
    assert (r["EUU"], r["JPN"], r["USA"], r["CHN"]) == ("protect", "trust", "open", "sovereign")
    assert c["regime_source"].str.match(r"^(instrument|estimated): ").all()


def test_references_are_known_countries(seeds):
    known = set(seeds.countries["iso3"])
    tp = seeds.trade_partners
    assert set(tp["iso3"]) | set(tp["partner"]) <= known
    assert "EUU" not in set(tp["partner"]) and (tp["iso3"] != tp["partner"]).all()
    assert tp.groupby("iso3").size().eq(20).all() and tp["iso3"].nunique() == STATES
    assert (tp.groupby("iso3")["weight"].sum() < 1).all()
    for frame, col in [
        (seeds.blocs, "iso3"),
        (seeds.adequacy, "iso3"),
        (seeds.oda_projects, "iso3"),
        (seeds.vendors, "origin_iso3"),
    ]:
        assert set(frame[col]) <= known, col


def test_small_tables(seeds):
    assert seeds.vendors["ran_share_2019"].sum() == pytest.approx(1, abs=1e-9)
    assert seeds.vendors["core_share_2019"].sum() == pytest.approx(1, abs=1e-9)
    m = seeds.compatibility_matrix
    assert np.allclose(m, m.T) and m.min() >= 0 and m.max() <= 1
    assert not m.flags.writeable
    b = seeds.blocs.groupby("bloc").size()
    assert b["nato"] == 29 and b["eu27"] == 27 and b["five_eyes"] == 5
    assert set(seeds.adequacy["iso3"]) == set(seeds.countries.loc[seeds.countries["adequacy_2019"] == 1, "iso3"])


# --------------------------------------------------------------------------------------------- bad input
def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "seeds"
    d.mkdir(parents=True)
    for p in SEEDS_DIR.glob("*.csv"):
        shutil.copy(p, d / p.name)
    return d


def _edit(d: Path, name: str, fn) -> None:
    df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(d / name, index=False, lineterminator="\n")


def _row(d: Path, name: str, col: str, value: str) -> int:
    df = pd.read_csv(d / name, dtype=str, keep_default_na=False)
    return int(np.flatnonzero(df[col].to_numpy() == value)[0]) + 1


def test_dropped_column(tmp_path):
    d = _copy(tmp_path)
    _edit(d, "countries.csv", lambda df: df.drop(columns=["align_us"]))
    with pytest.raises(SeedError, match=r"seeds/countries\.csv, header row, column 'align_us': missing column"):
        load_seeds(d)


def test_missing_file(tmp_path):
    d = _copy(tmp_path)
    (d / "vendors.csv").unlink()
    with pytest.raises(SeedError, match=r"vendors\.csv: file is missing"):
        load_seeds(d)


def test_out_of_range_value(tmp_path):
    d = _copy(tmp_path)
    n = _row(d, "countries.csv", "iso3", "FRA")

    def bad(df):
        df.loc[df["iso3"] == "FRA", "align_us"] = "1.7"
        return df

    _edit(d, "countries.csv", bad)
    with pytest.raises(SeedError) as e:
        load_seeds(d)
    assert str(e.value) == (f"seeds/countries.csv, row {n} (FRA), column 'align_us': value 1.7 is out of range; allowed 0..1")


def test_unknown_iso3_in_trade_partners(tmp_path):
    d = _copy(tmp_path)

    def bad(df):
        df.loc[4, "partner"] = "XXX"
        return df

    _edit(d, "trade_partners.csv", bad)
    with pytest.raises(
        SeedError,
        match=r"seeds/trade_partners\.csv, row 5 \(AFG\), column 'partner': unknown "
        r"ISO3 code 'XXX'",
    ):
        load_seeds(d)


def test_non_numeric_gdp(tmp_path):
    d = _copy(tmp_path)
    n = _row(d, "countries.csv", "iso3", "DEU")

    def bad(df):
        df.loc[df["iso3"] == "DEU", "gdp_usd"] = "n/a"
        return df

    _edit(d, "countries.csv", bad)
    with pytest.raises(
        SeedError,
        match=rf"seeds/countries\.csv, row {n} \(DEU\), column 'gdp_usd': value 'n/a' "
        r"is not a number",
    ):
        load_seeds(d)


def test_empty_required_cell_is_not_silent_nan(tmp_path):
    d = _copy(tmp_path)
    n = _row(d, "countries.csv", "iso3", "NAM")  # Namibia's ISO2 is "NA": must never become NaN

    def bad(df):
        df.loc[df["iso3"] == "NAM", "rule_of_law"] = ""
        return df

    _edit(d, "countries.csv", bad)
    with pytest.raises(SeedError, match=rf"row {n} \(NAM\), column 'rule_of_law': empty value"):
        load_seeds(d)


def test_asymmetric_compatibility(tmp_path):
    d = _copy(tmp_path)

    def bad(df):
        df.loc[df["regime"] == "protect", "trust"] = "0.9"
        return df

    _edit(d, "regime_compatibility.csv", bad)
    with pytest.raises(
        SeedError,
        match=r"seeds/regime_compatibility\.csv, row 1 \(protect\), column 'trust': "
        r".*symmetric",
    ):
        load_seeds(d)


def test_inconsistent_kind_and_duplicate(tmp_path):
    d = _copy(tmp_path)
    n = _row(d, "countries.csv", "iso3", "NOR")

    def bad(df):
        df.loc[df["iso3"] == "NOR", "kind"] = "MemberState"
        return df

    _edit(d, "countries.csv", bad)
    with pytest.raises(SeedError, match=rf"row {n} \(NOR\), column 'kind': .*inconsistent with eu_member=0"):
        load_seeds(d)

    d2 = _copy(tmp_path / "dup")
    _edit(d2, "adequacy.csv", lambda df: pd.concat([df, df.iloc[[0]]], ignore_index=True))
    with pytest.raises(SeedError, match=r"adequacy\.csv, row 9 \(AND\), column 'iso3': duplicate"):
        load_seeds(d2)


@pytest.mark.parametrize(
    "iso3, year, match",
    [
        ("USA", "1974", r"row \d+ \(USA\), column 'dp_law_year': dp_law_year is given but dp_law is 0"),
        ("DEU", "", r"row \d+ \(DEU\), column 'dp_law_year': dp_law_year is empty but dp_law is 1"),
    ],
)
def test_dp_law_year_only_with_a_law(tmp_path, iso3, year, match):
    d = _copy(tmp_path)

    def bad(df):
        df.loc[df["iso3"] == iso3, "dp_law_year"] = year
        return df

    _edit(d, "countries.csv", bad)
    with pytest.raises(SeedError, match=match):
        load_seeds(d)


def test_dp_law_year_cannot_be_after_2019(tmp_path):
    d = _copy(tmp_path)

    def bad(df):
        df.loc[df["iso3"] == "DEU", "dp_law_year"] = "2021"
        return df

    _edit(d, "countries.csv", bad)
    with pytest.raises(
        SeedError,
        match=r"\(DEU\), column 'dp_law_year': value 2021 is out of range; "
        r"allowed 1900..2019",
    ):
        load_seeds(d)


def test_vendor_shares_must_sum_to_one(tmp_path):
    d = _copy(tmp_path)

    def bad(df):
        df.loc[0, "ran_share_2019"] = "0.5"
        return df

    _edit(d, "vendors.csv", bad)
    with pytest.raises(SeedError, match=r"vendors\.csv, row \d+ \(\w+\), column 'ran_share_2019': column sums"):
        load_seeds(d)


# --------------------------------------------------------------------------------------------- build.py
def _load_build():
    spec = importlib.util.spec_from_file_location("seeds_build", SEEDS_DIR / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_build_regenerates_committed_csvs(tmp_path):
    build = _load_build()
    assert build.DEFAULT_REFERENCE == SEEDS_DIR / "reference"
    files, _ = build.build_all()
    build.write_all(files, tmp_path)
    for name in files:
        assert (tmp_path / name).read_bytes() == (SEEDS_DIR / name).read_bytes(), name
    assert re.search(r"EUU,European Union", (tmp_path / "countries.csv").read_text())


def test_build_needs_only_the_seeds_folder(tmp_path):
    """seeds/ alone (build.py + reference/), copied away from the checkout, rebuilds the committed tables."""
    alone = tmp_path / "alone" / "seeds"
    shutil.copytree(SEEDS_DIR, alone, ignore=shutil.ignore_patterns("*.csv", "__pycache__", "reference"))
    shutil.copytree(SEEDS_DIR / "reference", alone / "reference")
    assert not list(alone.glob("*.csv"))
    proc = subprocess.run([sys.executable, str(alone / "build.py")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    built = sorted(p.name for p in alone.glob("*.csv"))
    assert built == sorted(FILES)
    for name in built:
        assert (alone / name).read_bytes() == (SEEDS_DIR / name).read_bytes(), name


def test_reference_data_is_the_shared_copy_unchanged():
    """seeds/reference/ holds every file of the sourced reference folder, README and SOURCES included."""
    ref = SEEDS_DIR / "reference"
    names = {p.name for p in ref.iterdir()}
    assert {
        "README.md",
        "countries_2019.SOURCES.md",
        "countries_2019.csv",
        "5g_policy_2019.csv",
        "data_regimes_2019.csv",
        "vendor_shares_2019.csv",
        "connectivity_projects_to_2019.csv",
        "un_voting_alignment_2019.csv",
        "installed_chinese_ran_2019.csv",
        "data_protection_laws.csv",
        "data_protection_law_counts.csv",
        "adequacy_and_transfer_frameworks.csv",
        "telecom_capex_2019.csv",
    } <= names
    shared = ROOT.parent / "shared" / "data"
    if not shared.is_dir():  # the original sits beside the checkout on the project's machine only
        pytest.skip(f"no original at {shared} to compare with")
    for p in sorted(shared.iterdir()):
        assert (ref / p.name).read_bytes() == p.read_bytes(), p.name


def test_sources_md_quotes_the_figures_of_the_current_build():
    """The counts, factors and ranges that seeds/SOURCES.md quotes are those of the committed tables and of the
    build's report, so a changed constant or reference file that is not documented fails here."""
    build = _load_build()
    _, report = build.build_all()
    doc = " ".join((SEEDS_DIR / "SOURCES.md").read_text().split())  # line breaks do not matter
    c = load_seeds().countries.set_index("iso3").drop(index="EUU")
    blocs = load_seeds().blocs

    def counts(frame):
        return ", ".join(f"{k} {v}" for k, v in frame["regime_2019"].value_counts().items())

    def members(*names):
        return c.index.isin(blocs.loc[blocs["bloc"].isin(names), "iso3"])

    law, hr, unga = c["dp_law"] == 1, report["hr"], report["unga"]
    src = c.loc[~law, "dp_law_source"]
    later = src.str.extract(r"first comprehensive law enacted (\d{4})")[0].dropna().astype(int).value_counts()
    eu = c[c["eu_member"] == 1]
    nato = eu[members("nato")[c["eu_member"] == 1]]
    other = eu.drop(index=nato.index)
    quoted = [
        f"Result over the 193 states: {counts(c)}",
        f"the {law.sum()} with a law: {counts(c[law])}",
        f"the {(~law).sum()} without: {counts(c[~law])}",
        f"**Result: {law.sum()} of the 193 states ({law.mean():.1%})**",
        f"{later.sum()} in the table enacted their first law in 2020-2023 ("
        + ", ".join(f"{later[y]} in {y}" for y in sorted(later.index)),
        f"{(src.str.startswith('no law') & ~src.str.contains('first comprehensive')).sum()} in the table had none",
        f"{src.str.startswith('not in').sum()} are not in the table",
        f"**r = {hr['europe_residual']:.3f}**",
        f"**{hr['scale']:.4f}**",
        f"the Europe residual {hr['europe_residual']:.6f}, the regional factor {hr['scale']:.6f}",
        "sourced {sourced}, derived {derived}, estimated {estimated}".format(**hr["counts"]),
        f"d(USA, CHN) = {unga['span']}",
        f"**{unga['rho_coincidence']:.3f}**",
        f"The {len(unga['beyond_cn'])} states beyond China ({' '.join(unga['beyond_cn'])}:",
        f"a US tie of 1 for {(members('nato', 'us_treaty_ally', 'five_eyes') & (c.index != 'USA')).sum()} states",
        f"0.5 for the {(members('us_mnna') & ~members('nato', 'us_treaty_ally', 'five_eyes')).sum()} other Major",
        f"a China tie for the {(members('sco', 'csto') & (c.index != 'CHN')).sum()} other SCO or CSTO members",
        f"The {len(nato)} in NATO range from {nato['align_us'].min():.3f} ({nato['align_us'].idxmin()}) to "
        f"{nato['align_us'].max():.3f} ({nato['align_us'].idxmax()})",
        f"The six outside it ({' '.join(sorted(other.index))}) get {other['align_us'].min():.3f}-{other['align_us'].max():.3f}",
        f"{(c['align_cn'] > c['align_us']).sum()} states have align_cn > align_us",
        f"{(c['align_us'] >= 0.6).sum()} have align_us >= 0.6",
        f"{(members('nato', 'us_treaty_ally', 'five_eyes', 'us_mnna') & (c.index != 'USA')).sum()} states besides the US",
    ]
    quoted += [  # the estimated constants
        f"= {build.ALIGN_VOTES}, {build.ALIGN_TIES}, {build.ALIGN_CN_TIES}",
        f"clip({build.SC_BASE} + {build.SC_FREE} free + {build.SC_STRICT} [5G status FRAMEWORK_ONLY or stricter] "
        f"+ {build.SC_BAN} [BAN or BAN_DEFACTO], 0, 1)",
    ] + [f"| {pos} | {build.COMPAT_PAIRS['none', pos]} |" for pos in build.POSITIONS]
    assert len(other) == 6
    missing = [q for q in quoted if q not in doc]
    assert not missing, f"seeds/SOURCES.md does not quote the current figures: {missing}"
