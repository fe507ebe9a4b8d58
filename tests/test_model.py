"""The world model as a whole: its agents, its report, reproducibility and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import connsim
import connsim.decisions.powers
import connsim.networks
import connsim.report
from connsim import MemberState, Power, ThirdCountry, Vendor, WorldModel
from connsim.seeds import POLICIES, REGIMES, load_seeds

SHORT = dict(until=2021)


# --- the actors -------------------------------------------------------------------------------


def test_every_un_state_is_an_agent_of_the_right_kind(baseline):
    m = baseline.model
    by_type = m.agents_by_type
    assert len(by_type[Power]) == 4
    assert {a.iso3 for a in by_type[Power]} == {"EUU", "JPN", "USA", "CHN"}
    assert len(by_type[MemberState]) == 27
    assert len(by_type[ThirdCountry]) == 193 - 27 - 3
    assert {a.name for a in m.vendors} >= {"Huawei", "ZTE", "Ericsson", "Nokia", "Samsung", "NEC", "Fujitsu"}
    assert Vendor not in by_type and all(not isinstance(a, Vendor) for a in m.agents)  # firms apart from states
    eu = set(load_seeds().countries.query("eu_member == 1")["iso3"])
    assert {a.iso3 for a in by_type[MemberState]} == eu


def test_agents_are_views_on_the_model_arrays(baseline):
    m = baseline.model
    kenya = m.agent("KEN")
    i = kenya.index
    assert kenya.regime == REGIMES[m.state.regime[i]]
    assert kenya.vendor_policy == POLICIES[m.state.policy[i]]
    assert kenya.capacity == pytest.approx(m.state.capacity[i])
    # Mesa's AgentSet API works on the views
    protect = m.agents.select(lambda a: getattr(a, "regime", None) == "protect")
    assert len(protect) == int((m.state.regime == REGIMES.index("protect")).sum()) + 1  # + the EU itself
    groups = m.agents_by_type[ThirdCountry].groupby("paper_region").agg("capacity", np.mean)
    assert set(groups) <= set(load_seeds().countries["paper_region"]) and len(groups) >= 6


def test_stepping_past_the_horizon_is_refused_clearly():
    m = WorldModel(connsim.load_scenario("baseline").replace(end_year=2019), rng=0)
    for _ in range(4):
        m.step()
    assert not m.running
    with pytest.raises(RuntimeError, match="ends after 4 steps"):
        m.step()
    assert len(m.recorder.model_frame()) == 5


def test_setting_an_agent_attribute_writes_through():
    m = WorldModel("baseline", rng=1)
    kenya = m.agent("KEN")
    kenya.vendor_policy = "banned"
    assert m.state.policy[kenya.index] == POLICIES.index("banned")
    assert kenya.vendor_policy == "banned"


def test_fixed_attributes_cannot_be_changed_in_a_run_and_say_why():
    """The model derives constants (market shares, dispositions, cached utility terms) from the
    fixed attributes when it is built, so a change to them would silently not reach those."""
    m = WorldModel("baseline", rng=1)
    kenya = m.agent("KEN")
    with pytest.raises(ValueError, match="read-only"):
        m.state.align_us[kenya.index] = 0.9
    with pytest.raises(AttributeError, match=r"state\.align_us is fixed for a run.*seed data"):
        m.state.align_us = m.state.align_us + 0.1
    with pytest.raises(AttributeError, match="ThirdCountry.gdp cannot be set: it is fixed for a run"):
        kenya.gdp = 1.0
    with pytest.raises(AttributeError, match="hr_core_share cannot be set"):
        kenya.hr_core_share = 0.0
    eu, last = m.agent("EUU"), m.state.threat[-1]
    with pytest.raises(AttributeError, match="Union as a whole"):
        eu.threat = 2.0
    assert m.state.threat[-1] == last  # the EU has no row: nothing was written to the last state
    kenya.capacity = 0.9  # decisions and their state can still be set
    assert m.state.capacity[kenya.index] == 0.9
    m.agent("JPN").threat = 1.5
    assert m.state.threat[m.agent("JPN").index] == 1.5
    m.step()


def test_a_partnership_set_in_place_pulls_from_the_next_step():
    """ODA partnerships are state a user may set: nothing caches them across steps."""
    a, b = WorldModel("baseline", rng=3), WorldModel("baseline", rng=3)
    for m in (a, b):
        m.step()  # the yearly ODA round is at step 0; step 1 has none
    kenya, china = a.agent("KEN").index, a.donors.index("CHN")
    b.state.strength[kenya, china] = 1.0  # in place
    a.step()
    b.step()
    assert b.state.threat[kenya] < a.state.threat[kenya]  # a Chinese partnership lowers threat perception
    others = np.arange(a.state.n) != kenya
    assert (b.state.threat[others] == a.state.threat[others]).all()


def test_the_union_answers_for_its_member_states(baseline):
    m = baseline.model
    eu = m.agent("EUU")
    assert eu.is_union and eu.regime == "protect"
    members = m.state.member
    assert eu.gdp == pytest.approx(m.state.gdp[members].sum())
    expected = (m.state.hr_core[members] * m.state.gdp[members]).sum() / m.state.gdp[members].sum()
    assert eu.hr_core_share == pytest.approx(expected)


def test_networks_are_networkx_graphs(baseline):
    m = baseline.model
    trade = m.trade_graph()
    assert trade.number_of_nodes() == 193 and trade.number_of_edges() > 193 * 10
    weights = [d["weight"] for _, _, d in trade.out_edges("KEN", data=True)]
    assert sum(weights) == pytest.approx(1.0)
    sec = m.security_graph()
    assert "nato" in sec.edges["DEU", "FRA"]["blocs"]
    flows = m.data_flow_graph()
    assert flows.has_edge("JPN", "DEU")  # mutual adequacy
    oda = m.oda_graph()
    assert all(u in connsim.scenario.DONORS for u, _ in oda.edges)
    with pytest.raises(TypeError, match="positional"):  # the year and the years of tied finance are not swappable
        connsim.networks.oda_graph(m.state, m.year, 5.0)


# --- the report ---------------------------------------------------------------------------------


REQUIRED = (
    [
        "step",
        "year",
        "convergence_index",
        "free_flow_gdp_pair_share",
        "largest_bloc_share",
        "hr_vendor_share_world",
        "hr_core_share_eu",
        "hr_ran_share_eu",
        "hr_core_share_jpn",
        "hr_ran_share_jpn",
        "hr_core_share_third",
        "hr_ran_share_third",
        "vendor_hhi_core",
        "vendor_hhi_ran",
        "viable_trusted_vendors_mean",
    ]
    + [f"regime_share_{r}" for r in REGIMES]
    + [f"regime_gdp_share_{r}" for r in REGIMES]
    + [f"regime_pop_share_{r}" for r in REGIMES]
    + [f"scorecard_{k}_{p}" for p in ("EUU", "JPN", "USA", "CHN") for k in connsim.report.SCORECARD]
    + [f"oda_partnerships_{d}" for d in connsim.scenario.DONORS]
)


def test_model_vars_has_one_row_per_step_and_the_promised_columns(baseline):
    mv = baseline.model_vars
    assert list(mv["step"]) == list(range(49))  # 2019Q1 .. end of 2030
    assert mv["year"].iloc[0] == 2019.0 and mv["year"].iloc[-1] == 2031.0
    missing = [c for c in REQUIRED if c not in mv]
    assert not missing
    assert not mv[REQUIRED].isna().any().any()


def test_agent_vars_has_a_row_per_step_and_state(baseline):
    av = baseline.agent_vars
    assert len(av) == 49 * 193
    for col in (
        "step",
        "year",
        "iso3",
        "kind",
        "vendor_policy",
        "regime",
        "capacity",
        "hr_core_share",
        "hr_ran_share",
        "oda_partners",
        "u_policy_open",
        "u_regime_protect",
    ):
        assert col in av
    assert set(av["kind"]) == {"Power", "MemberState", "ThirdCountry"}
    # the frame agrees with the model's final state
    last = av[av["step"] == 48].set_index("iso3")
    m = baseline.model
    assert (last.loc[m.state.iso3, "regime"].astype(str).to_numpy() == np.array(REGIMES)[m.state.regime]).all()


def test_explain_lays_out_the_terms_behind_a_choice(baseline):
    e = baseline.explain("KEN", step=8)
    for decision, options in (("vendor_policy", POLICIES), ("regime", REGIMES)):
        part = e[e["decision"] == decision]
        assert list(part["option"]) == list(options)
        assert part["probability"].sum() == pytest.approx(1.0)
        assert part["held"].sum() == 1
    terms = e[e["decision"] == "vendor_policy"][list(connsim.decisions.vendors.POLICY_TERMS)].sum(axis=1)
    assert np.allclose(terms, e[e["decision"] == "vendor_policy"]["utility"], atol=1e-5)
    with pytest.raises(KeyError):
        baseline.explain("XXX")
    germany = baseline.explain("DEU", step=8)  # a member state's regime is the EU's: not its choice
    assert set(germany["decision"]) == {"vendor_policy"}
    japan = baseline.explain("JPN")  # a power: its yearly decisions, here the scenario's (scripted)
    assert set(japan["decision"]) == set(connsim.decisions.powers.POWER_LEVERS["JPN"])
    assert set(japan["source"]) == {"the scenario (scripted)"} and japan.attrs["strategy"] == "scripted"


def test_regime_and_policy_shares_are_distributions(baseline):
    """The orientation shares sum to the share of states with a law; the rest have none."""
    mv = baseline.model_vars
    assert np.allclose(mv[[f"regime_share_{r}" for r in REGIMES]].sum(axis=1), mv["law_share"])
    assert np.allclose(mv["law_count"], mv["law_share"] * 193)
    for prefix in ("regime_gdp_share_", "regime_pop_share_"):
        assert (mv[[prefix + r for r in REGIMES]].sum(axis=1) <= 1 + 1e-12).all()
    assert np.allclose(mv[[f"policy_share_{p}" for p in POLICIES]].sum(axis=1), 1.0)
    assert ((mv["convergence_index"] >= 0) & (mv["convergence_index"] <= 1)).all()


def test_baseline_starts_from_the_end_2019_world(baseline):
    row = baseline.model_vars.iloc[0]
    seeds = load_seeds().countries.query("iso3 != 'EUU'")
    for r in REGIMES:
        assert row[f"regime_share_{r}"] == pytest.approx(((seeds["regime_2019"] == r) & (seeds["dp_law"] == 1)).mean())
    assert row["law_count"] == seeds["dp_law"].sum() == 113
    assert row["adequacy_decisions"] == seeds["adequacy_2019"].sum()


# --- reproducibility ----------------------------------------------------------------------------


def test_same_seed_gives_identical_frames():
    a = connsim.run("baseline", seed=7, **SHORT)
    b = connsim.run("baseline", seed=7, **SHORT)
    pd.testing.assert_frame_equal(a.model_vars, b.model_vars)
    pd.testing.assert_frame_equal(a.agent_vars, b.agent_vars)


def test_another_seed_gives_another_run():
    a = connsim.run("baseline", seed=7, **SHORT)
    b = connsim.run("baseline", seed=8, **SHORT)
    assert not a.agent_vars["regime"].equals(b.agent_vars["regime"]) or not a.agent_vars["vendor_policy"].equals(
        b.agent_vars["vendor_policy"]
    )


def test_a_run_uses_only_its_own_random_generator():
    np.random.seed(0)  # noqa: NPY002 - the legacy global generator is what must not matter
    a = connsim.run("baseline", seed=3, **SHORT).model_vars
    np.random.seed(99)  # noqa: NPY002
    np.random.random(1000)  # noqa: NPY002
    b = connsim.run("baseline", seed=3, **SHORT).model_vars
    pd.testing.assert_frame_equal(a, b)


def test_outcomes_do_not_depend_on_recording_agents():
    a = connsim.run("baseline", seed=5, **SHORT).model_vars
    b = connsim.run("baseline", seed=5, record_agents=False, **SHORT).model_vars
    pd.testing.assert_frame_equal(a, b)


# --- events and scale ---------------------------------------------------------------------------


def test_an_imposed_policy_holds_from_its_date():
    s = connsim.load_scenario("baseline").replace(
        events=[{"year": 2020.0, "kind": "vendor_policy", "iso3": "KEN", "value": "banned"}]
    )
    av = connsim.run(s, seed=0, until=2023).agent_vars
    ken = av[av["iso3"] == "KEN"].set_index("year")["vendor_policy"].astype(str)
    assert (ken.loc[2020.25:] == "banned").all()


def test_a_conflict_shock_raises_conflict_from_its_date():
    s = connsim.load_scenario("baseline").replace(events=[{"year": 2020.5, "kind": "conflict_shock", "value": 0.3}])
    mv = connsim.run(s, seed=0, until=2022).model_vars.set_index("year")
    assert mv.loc[2020.0, "us_china_conflict"] == pytest.approx(0.5)
    assert mv.loc[2021.0, "us_china_conflict"] == pytest.approx(0.8)


def test_synthetic_third_countries_scale_the_world():
    s = connsim.load_scenario("baseline").replace(synthetic_third_countries=300)
    r = connsim.run(s, seed=0, until=2021, record_agents=False, keep_model=True)
    assert r.model.state.n == 193 + 300
    assert len(r.model.agents_by_type[ThirdCountry]) == 163 + 300
    assert r.model.state.trade.nnz <= 25 * r.model.state.n  # edges grow linearly
    assert np.allclose(r.model_vars[[f"regime_share_{x}" for x in REGIMES]].sum(axis=1), r.model_vars["law_share"])


# --- invariants over the lever space ------------------------------------------------------------

levers = st.fixed_dictionaries(
    {
        "us_china_conflict": st.floats(0, 1),
        "us_pressure": st.floats(0, 1),
        "eu_toolbox_strength": st.floats(0, 1),
        "japan_vendor_push": st.floats(0, 1),
        "digital_silk_road_intensity": st.floats(0, 2),
        "dfft_multilateral_push": st.floats(0, 1),
        "eu_jp_oda_coordination": st.floats(0, 1),
        "open_connected_ring": st.floats(0, 1),
        "eu_japan_cooperation": st.sampled_from(["none", "bilateral", "beyond_bilateral"]),
        "adequacy_openness": st.floats(0, 1),
        "beta_policy": st.floats(0, 30),
        "beta_regime": st.floats(0, 30),
        "revision_probability": st.floats(0, 1),
        "india_trilateral": st.booleans(),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=levers, seed=st.integers(0, 2**31 - 1))
def test_invariants_hold_for_any_levers(changes, seed):
    r = connsim.run(
        connsim.load_scenario("baseline").replace(**changes), seed=seed, until=2022, record_agents=False, keep_model=True
    )
    st_ = r.model.state
    mv = r.model_vars
    assert not mv.isna().any().any()
    assert np.allclose(mv[[f"regime_share_{x}" for x in REGIMES]].sum(axis=1), mv["law_share"])
    assert ((st_.capacity >= 0) & (st_.capacity <= 1)).all()
    assert np.allclose(st_.core.sum(axis=1), 1.0) and np.allclose(st_.ran.sum(axis=1), 1.0)
    assert (st_.core >= -1e-12).all() and (st_.ran >= -1e-12).all()
    assert (st_.premium_paid >= 0).all() and (st_.rip_paid >= 0).all()
    assert ((st_.strength >= 0) & (st_.strength <= 1)).all()
    assert (st_.quality > 0).all() and ((st_.reach >= 0) & (st_.reach <= 1)).all()
    # member states keep the EU's regime; powers keep theirs
    assert (st_.regime[st_.member] == REGIMES.index("protect")).all()
    assert (mv[[f"oda_partnerships_{d}" for d in connsim.scenario.DONORS]] >= 0).all().all()


def test_model_vars_agree_with_the_per_step_metric_definitions(baseline):
    """The recorder computes outcomes for all steps at once; each must equal the plain
    definition in connsim.metrics applied to that step's recorded state."""
    from connsim import metrics

    m, mv, av = baseline.model, baseline.model_vars, baseline.agent_vars
    gdp, member, third, gdpr = m.state.gdp, m.state.member, m.state.third, m.state.gdpr_area
    for step in (0, 13, 48):
        a = av[av["step"] == step]
        position = np.where(a["has_law"], a["regime"].cat.codes, len(REGIMES)).astype(np.intp)
        adequacy = a["adequacy"].to_numpy()
        flow = m.recorder.steps["flow"][step]
        row = mv.iloc[step]
        shares = metrics.regime_shares(position, None, 5)
        assert np.allclose([row[f"regime_share_{r}"] for r in REGIMES], shares[:4], rtol=1e-12)
        assert np.allclose(
            [row[f"regime_gdp_share_{r}"] for r in REGIMES], metrics.regime_shares(position, gdp, 5)[:4], rtol=1e-12
        )
        assert row["convergence_index"] == pytest.approx(metrics.convergence_index(shares[:4] / shares[:4].sum()), rel=1e-12)
        assert row["free_flow_gdp_pair_share"] == pytest.approx(
            metrics.free_flow_gdp_pair_share(position, gdp, flow=flow, adequacy=adequacy, gdpr_area=gdpr), rel=1e-12
        )
        assert row["largest_compatible_component"] * len(position) == metrics.largest_compatible_component(
            position, flow >= 0.5, adequacy=adequacy, gdpr_area=gdpr
        )
        hr_core = a["hr_core_share"].to_numpy().astype(float)
        assert row["hr_core_share_eu"] == pytest.approx(metrics.weighted_share(hr_core, weights=gdp, mask=member), rel=1e-6)
        assert row["hr_core_share_third"] == pytest.approx(metrics.weighted_share(hr_core, weights=gdp, mask=third), rel=1e-6)
        core = np.array([row[f"vendor_share_core_{v.lower()}"] for v in m.constants.vendor_names])
        assert row["vendor_hhi_core"] == pytest.approx(metrics.hhi(core), rel=1e-12)
        protect = REGIMES.index("protect")
        eu_access = metrics.access_share(protect, position, gdp, flow)
        assert row["scorecard_data_access_EUU"] >= eu_access - 1e-12  # plus the single market and adequacy holders
