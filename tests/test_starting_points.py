"""Each state's own starting point, from data (seeds/build.py section 6): checked against the reference files.

The expected values are recomputed here from ``seeds/reference/`` by the documented rule, not copied from the
seed tables, so a wrong join, a wrong year or a rule that is not the documented one fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from connsim.seeds import SEEDS_DIR, load_seeds

REF = SEEDS_DIR / "reference"
NEW = [
    "align_us",
    "align_cn",
    "security_culture",
    "hr_ran_share",
    "hr_core_share",
    "hr_share_status",
    "hr_share_method",
    "dp_law",
    "dp_law_year",
    "dp_law_source",
    "eea",
    "g20",
    "telecom_capex_usd_2019",
]
STARTING = ["align_us", "align_cn", "hr_ran_share", "hr_core_share", "security_culture"]


@pytest.fixture(scope="module")
def countries() -> pd.DataFrame:
    return load_seeds().countries.set_index("iso3")


@pytest.fixture(scope="module")
def states(countries) -> pd.DataFrame:
    return countries.drop(index="EUU")


@pytest.fixture(scope="module")
def members(countries) -> pd.DataFrame:
    return countries[countries["kind"] == "MemberState"]


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=[""])


# --------------------------------------------------------------------------------------------- different starts
def test_eu_members_do_not_share_starting_values(members):
    assert len(members) == 27
    # alignment differs for every member (the bloc-made values gave the 12 NATO members of the EU 0.75 each)
    nato = set(load_seeds().blocs.query("bloc == 'nato'")["iso3"])
    nato_eu = members[members.index.isin(nato)]
    for col in ["align_us", "align_cn"]:
        assert members[col].nunique() == 27, col
    assert len(nato_eu) >= 20 and nato_eu["align_us"].max() - nato_eu["align_us"].min() > 0.05
    # no two members share the whole starting point
    rows = members[STARTING].round(6).itertuples(index=False, name=None)
    assert len(set(rows)) == 27
    # installed shares: members with their own source differ; only the residual estimate is shared
    assert members["hr_ran_share"].nunique() >= 8
    for value, group in members.groupby("hr_ran_share"):
        if len(group) > 1:
            sourced = group["hr_share_status"].eq("sourced").all()  # e.g. BEL CYP MLT: all 100% Huawei
            residual = group["hr_share_method"].str.startswith("Europe residual").all()
            assert sourced or residual, (value, list(group.index))


# --------------------------------------------------------------------------------------------- alignment
def test_alignment_is_the_documented_function_of_voting_and_security_ties(countries, states):
    from seeds.build import ALIGN_CN_TIES, ALIGN_TIES, ALIGN_VOTES

    v = _ref("un_voting_alignment_2019.csv")
    w = v[v["year"] == 2019].pivot(index="iso3", columns="measure", values="value").loc[states.index]
    span = w.loc["USA", "bsv_ideal_point_distance_to_CHN"]
    votes_us = np.clip(1 - w["bsv_ideal_point_distance_to_USA"] / span, 0, 1)
    votes_cn = np.clip(1 - w["bsv_ideal_point_distance_to_CHN"] / span, 0, 1)
    blocs = load_seeds().blocs

    def member(*names):  # noqa: E306
        return states.index.isin(blocs[blocs["bloc"].isin(names)]["iso3"]).astype(float)

    us_tie = np.maximum(member("nato", "us_treaty_ally", "five_eyes"), 0.5 * member("us_mnna"))
    cn_tie = member("sco", "csto")
    powers = states.index.isin(["USA", "CHN"])
    np.testing.assert_allclose(
        states.loc[~powers, "align_us"], np.clip(ALIGN_VOTES * votes_us + ALIGN_TIES * us_tie, 0, 1)[~powers], atol=1e-6
    )
    np.testing.assert_allclose(
        states.loc[~powers, "align_cn"], np.clip(ALIGN_VOTES * votes_cn + ALIGN_CN_TIES * cn_tie, 0, 1)[~powers], atol=1e-6
    )
    assert tuple(countries.loc["USA", ["align_us", "align_cn"]]) == (1.0, 0.0)
    assert tuple(countries.loc["CHN", ["align_us", "align_cn"]]) == (0.0, 1.0)
    # the voting part agrees with the State Department's vote coincidence with the US
    coin = w["us_vote_coincidence_all_contested_unga"].dropna()
    assert votes_us[coin.index].rank().corr(coin.rank()) > 0.9
    # within a bloc, voting still sets states apart: the EU's NATO members differ
    nato_eu = states[(states["kind"] == "MemberState") & (us_tie == 1)]
    assert nato_eu["align_us"].nunique() == len(nato_eu) >= 20


def test_eu_row_is_the_gdp_weighted_mean_of_members(countries, members):
    for col in STARTING:
        assert countries.loc["EUU", col] == pytest.approx(np.average(members[col], weights=members["gdp_usd"]), abs=1e-6), col
    assert countries.loc["EUU", "telecom_capex_usd_2019"] == pytest.approx(members["telecom_capex_usd_2019"].sum(), abs=30)


# --------------------------------------------------------------------------------------------- installed shares
def test_strand_country_figures_are_used_where_they_exist(states):
    ran = _ref("installed_chinese_ran_2019.csv")
    country = ran[(ran["scope"] == "country") & ran["iso3"].isin(states.index)].set_index("iso3")
    assert len(country) == 11  # the 12 Strand figures less the Faroe Islands
    for iso, value in country["chinese_ran_share"].items():
        assert states.loc[iso, "hr_ran_share"] == value, iso
    assert set(states.index[states["hr_share_status"] == "sourced"]) == set(country.index)
    assert states.loc[country.index, "hr_share_method"].str.contains("Strand Consult 2020").all()


def test_canada_is_the_mean_of_its_three_operators(states):
    ran = _ref("installed_chinese_ran_2019.csv")
    ops = ran[(ran["scope"] == "operator") & (ran["iso3"] == "CAN")]["chinese_ran_share"]
    assert len(ops) == 3
    assert states.loc["CAN", "hr_ran_share"] == pytest.approx(ops.mean(), abs=1e-6)
    assert list(states.index[states["hr_share_status"] == "derived"]) == ["CAN"]


def test_europe_residual_reproduces_strands_european_share(states):
    europe31 = list(states.index[states["eu_member"] == 1]) + ["GBR", "NOR", "ISL", "CHE"]
    e = states.loc[europe31]
    assert np.average(e["hr_ran_share"], weights=e["population"]) == pytest.approx(0.51, abs=1e-5)
    residual = e[e["hr_share_status"] == "estimated"]
    assert len(residual) == 20 and residual["hr_ran_share"].nunique() == 1


def test_regional_estimates_match_delloro_ex_china(states):
    ex = states.drop(index="CHN")
    assert np.average(ex["hr_ran_share"], weights=ex["gdp_usd"]) == pytest.approx(0.26, abs=1e-5)
    assert states.loc["CHN", "hr_ran_share"] == 0.85
    regional = states["hr_share_method"].str.startswith("regional prior")
    assert regional.sum() == 193 - 11 - 1 - 20 - 1
    assert (states.loc[regional, "hr_ran_share"] <= 0.95).all()
    assert (states["hr_ran_share"].between(0, 1)).all()


def test_core_share_rule(states):
    status = _ref("5g_policy_2019.csv").set_index("iso3")["status_end2019"].reindex(states.index)
    ratio = (28 + 10) / (32 + 8)  # Dell'Oro 2019: total SP telecom equipment / RAN, Huawei + ZTE
    factor = np.where(status.eq("BAN"), 0.0, np.where(status.eq("RESTRICTED"), 0.5, 1.0))
    np.testing.assert_allclose(states["hr_core_share"], ratio * factor * states["hr_ran_share"], atol=2e-6)
    assert states.loc["USA", "hr_core_share"] == 0 and states.loc["NLD", "hr_core_share"] > 0


# --------------------------------------------------------------------------------------------- data-protection law
def test_dp_law_at_end_2019_only_where_enacted(states):
    laws = _ref("data_protection_laws.csv").set_index("iso3")
    year = laws["year_enacted"].reindex(states.index)
    expected = (year <= 2019).astype(int)
    assert (states["dp_law"] == expected).all()
    with_law = states["dp_law"] == 1
    np.testing.assert_array_equal(states.loc[with_law, "dp_law_year"], year[with_law])
    assert states.loc[~with_law, "dp_law_year"].isna().all() and states["dp_law_year"].max() <= 2019
    # the old instrument rule (CBPR, localisation) gave these a law they did not have at end-2019
    for iso in ["USA", "IND", "IDN", "CHN", "VNM"]:
        assert states.loc[iso, "dp_law"] == 0, iso
    assert states.loc[states["kind"] == "MemberState", "dp_law"].eq(1).all()
    assert states.loc[["NOR", "ISL", "LIE", "GBR", "JPN", "KOR", "KEN", "BRA"], "dp_law"].eq(1).all()
    assert int(with_law.sum()) == 113  # 58.5% of 193, as quoted in SOURCES.md (UNCTAD, Jan 2019: 58%)


def test_states_missing_from_the_law_table_are_marked(states):
    laws = _ref("data_protection_laws.csv")
    missing = sorted(set(states.index) - set(laws["iso3"]))
    assert len(missing) == 29
    assert states.loc[missing, "dp_law"].eq(0).all()
    assert states.loc[missing, "dp_law_source"].str.startswith("not in").all()


# --------------------------------------------------------------------------------------------- EEA, capex
def test_eea_flag(countries):
    assert set(countries.index[countries["eea"] == 1]) == {"NOR", "ISL", "LIE"}
    assert not (countries["eea"] & countries["eu_member"]).any()


def test_telecom_capex_splits_the_world_total(states):
    capex = _ref("telecom_capex_2019.csv").set_index("series")["value"]
    world = capex["world_operator_capex_annual"] * 1e9
    assert states["telecom_capex_usd_2019"].sum() == pytest.approx(world, abs=200)
    cn = capex["china_operator_capex_forecast"] / capex["world_operator_capex_forecast"]
    assert states.loc["CHN", "telecom_capex_usd_2019"] == pytest.approx(world * cn, abs=1)
    rest = states.drop(index="CHN")
    by_gdp = world * (1 - cn) * rest["gdp_usd"] / rest["gdp_usd"].sum()
    assert (rest["telecom_capex_usd_2019"] - by_gdp).abs().max() <= 0.5 + 1e-6  # rounded to whole US$


# --------------------------------------------------------------------------------------------- provenance
def test_new_columns_have_provenance_and_ranges(countries):
    cols = load_seeds().columns
    described = cols[cols["file"] == "countries.csv"].set_index("column")
    for col in NEW:
        assert col in described.index and len(described.loc[col, "source_or_method"]) > 20, col
    for col in ["align_us", "align_cn", "security_culture", "hr_ran_share", "hr_core_share"]:
        assert countries[col].between(0, 1).all(), col
    assert set(countries["hr_share_status"]) == {"sourced", "derived", "estimated"}
    assert countries["hr_share_method"].str.len().gt(20).all()
    assert countries["dp_law_source"].str.len().gt(20).all()


def test_security_culture_is_the_documented_function_of_freedom_and_the_2019_stance_without_alignment(states):
    from seeds.build import SC_BAN, SC_BASE, SC_FREE, SC_STRICT, STRICT_STATUSES

    status = _ref("5g_policy_2019.csv").set_index("iso3")["status_end2019"].reindex(states.index)
    free = (14 - states["fh_political_rights"] - states["fh_civil_liberties"]) / 12
    expected = np.clip(
        SC_BASE + SC_FREE * free + SC_STRICT * status.isin(STRICT_STATUSES) + SC_BAN * status.isin(["BAN", "BAN_DEFACTO"]), 0, 1
    )
    np.testing.assert_allclose(states["security_culture"], expected, atol=1e-6)
    # alignment is not in it: two states alike in freedom and stance start alike whatever their votes
    assert abs(np.corrcoef(states["security_culture"] - SC_FREE * free, states["align_us"])[0, 1]) < 0.5


def test_g20_members_are_the_19_states_and_the_eu(countries):
    g20 = set(countries.index[countries["g20"] == 1])
    assert len(g20) == 20 and {"EUU", "JPN", "USA", "CHN", "IND", "SAU", "ZAF", "KOR"} <= g20
