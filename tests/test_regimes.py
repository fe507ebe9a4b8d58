"""Specification of the data-flow rules (connsim/decisions/regimes.py).

A revising state picks protect / trust / open / sovereign by logit over
``disposition + flows + adequacy - capacity + influence + status_quo``; Japan's DFFT push and
EU-Japan work lift compatibilities but "referees do not win"; free flow is a smooth function of
compatibility. (The law decision is specified in test_laws.py, the EU's adequacy decision in
test_adequacy.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from connsim.decisions.regimes import (
    ADEQUACY_KEPT,
    OPEN,
    PROTECT,
    REGIME_TERMS,
    REGIMES,
    SOVEREIGN,
    TRUST,
    dispositions,
    effective_compatibility,
    flow_intensity,
    partner_shares,
    regime_influence,
    regime_utilities,
)
from connsim.weights import Weights

FAST = settings(max_examples=50, deadline=None)

# the seeded base compatibility of positions (seeds/regime_compatibility.csv: the four orientations,
# then none), fixed here as a test input
BASE = np.array(
    [
        [1.0, 0.7, 0.3, 0.0, 0.0],
        [0.7, 1.0, 0.6, 0.2, 0.2],
        [0.3, 0.6, 1.0, 0.2, 0.7],
        [0.0, 0.2, 0.2, 0.3, 0.1],
        [0.0, 0.2, 0.7, 0.1, 0.8],
    ]
)


def test_regime_indices_follow_the_regime_names():
    assert REGIMES == ("protect", "trust", "open", "sovereign")
    assert (PROTECT, TRUST, OPEN, SOVEREIGN) == (0, 1, 2, 3)


# --- dispositions ------------------------------------------------------------------------------


def test_free_rule_of_law_state_prefers_protect_over_sovereign_and_unfree_state_the_reverse():
    d = dispositions(np.array([1.0, 0.0]), np.array([0.9, 0.1]), Weights(d_protect=2.0, d_sovereign=2.0))
    assert d[0, PROTECT] > d[0, SOVEREIGN]
    assert d[1, SOVEREIGN] > d[1, PROTECT]


def test_dispositions_hand_case():
    w = Weights(d_protect=2.0, d_trust=1.0, d_open=1.0, d_sovereign=3.0)
    d = dispositions(np.array([0.5]), np.array([0.5]), w)
    # protect 2*(0.3+0.2-0.5)=0; trust 1*(0.15+0.25-0.3)=0.1; open 1*(0.15-0.15+0.1)=0.1; sovereign 3*0=0
    assert d == pytest.approx(np.array([[0.0, 0.1, 0.1, 0.0]]), abs=1e-12)


@FAST
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0.01, 0.5))
def test_more_freedom_raises_protect_and_lowers_sovereign(f, r, df):
    w = Weights(d_protect=2.0, d_sovereign=2.0)
    d0 = dispositions(np.array([f]), np.array([r]), w)
    d1 = dispositions(np.array([f + df]), np.array([r]), w)
    assert d1[0, PROTECT] - d1[0, SOVEREIGN] > d0[0, PROTECT] - d0[0, SOVEREIGN]


# --- effective compatibility -------------------------------------------------------------------


def test_compatibility_without_push_or_cooperation_is_the_base(weights):
    c = effective_compatibility(BASE, 0.0, 0.0, weights)
    assert c == pytest.approx(BASE, abs=0)


def test_compatibility_does_not_modify_its_input(weights):
    base = BASE.copy()
    effective_compatibility(base, 1.0, 1.0, weights)
    assert (base == BASE).all()


def test_full_dfft_push_does_not_make_trust_and_protect_interoperable_referees_do_not_win():
    w = Weights()
    assert w.dfft_max_lift < 1
    c = effective_compatibility(BASE, 1.0, 0.0, w)
    assert c[TRUST, PROTECT] < 1.0
    assert c[TRUST, OPEN] < 1.0


def test_dfft_push_closes_dfft_max_lift_times_push_of_the_gap_with_protect_and_open_only():
    w = Weights(dfft_max_lift=0.5)
    c = effective_compatibility(BASE, 0.4, 0.0, w)
    assert c[TRUST, PROTECT] == pytest.approx(0.7 + 0.2 * 0.3)
    assert c[TRUST, OPEN] == pytest.approx(0.6 + 0.2 * 0.4)
    assert c[TRUST, SOVEREIGN] == BASE[TRUST, SOVEREIGN]  # the push never reaches sovereign
    assert c[PROTECT, OPEN] == BASE[PROTECT, OPEN]


def test_eu_japan_cooperation_lifts_only_protect_trust():
    w = Weights(interop_lift=0.6)
    c = effective_compatibility(BASE, 0.0, 0.5, w)
    assert c[PROTECT, TRUST] == pytest.approx(0.7 + 0.3 * 0.3)
    mask = np.ones((5, 5), bool)
    mask[PROTECT, TRUST] = mask[TRUST, PROTECT] = False
    assert (c[mask] == BASE[mask]).all()


symmetric_bases = hnp.arrays(np.float64, (5, 5), elements=st.floats(0, 1)).map(lambda a: np.triu(a) + np.triu(a, 1).T)


@FAST
@given(symmetric_bases, st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_compatibility_stays_symmetric_within_unit_interval_and_never_falls(base, push, coop, max_lift, interop):
    w = Weights(dfft_max_lift=max_lift, interop_lift=interop)
    c = effective_compatibility(base, push, coop, w)
    assert (c == c.T).all()
    assert ((c >= 0) & (c <= 1)).all()
    assert (c >= base).all()


@FAST
@given(symmetric_bases.filter(lambda b: max(b[TRUST, PROTECT], b[TRUST, OPEN]) < 1 - 1e-9), st.floats(0, 1), st.floats(0, 0.99))
def test_dfft_push_alone_never_reaches_full_compatibility_when_max_lift_below_one(base, push, max_lift):
    c = effective_compatibility(base, push, 0.0, Weights(dfft_max_lift=max_lift))
    assert c[TRUST, PROTECT] < 1 and c[TRUST, OPEN] < 1


# --- regime utility: hand case -----------------------------------------------------------------

HAND_W = Weights(phi=2.0, kappa_cap=1.0, kappa_switch=0.5)
HAND = dict(
    disposition=np.array([[0.1, 0.2, 0.3, 0.4], [-0.1, -0.2, -0.3, -0.4]]),
    partner_shares=np.array([[0.5, 0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.8, 0.0]]),
    flow=BASE,  # a free-flow intensity matrix given as input
    eu_trade=np.array([0.3, 0.4]),
    adequacy=np.array([True, False]),
    capacity=np.array([0.4, 0.7]),
    capacity_need=np.array([0.6, 0.5, 0.2, 0.3]),
    influence=np.array([[0.0, 0.05, 0.0, 0.0], [0.0, 0.0, 0.0, 0.25]]),
    current=np.array([TRUST, SOVEREIGN]),
)
HAND_TERMS = {
    "disposition": HAND["disposition"],
    # phi * sum_s shares[i, s] * flow[r, s]
    "flows": [[2 * 0.85, 2 * 0.85, 2 * 0.45, 2 * 0.1], [2 * 0.06, 2 * 0.28, 2 * 0.36, 2 * 0.28]],
    # holder only: phi * eu_trade * (1 - flow[r, protect]) for r in protect, trust: 2*0.3*[0, 0.3]
    "adequacy": [[0.0, 0.18, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
    # -kappa_cap * max(0, need - capacity)
    "capacity": [[-0.2, -0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
    "influence": HAND["influence"],
    "status_quo": [[0.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.5]],
}


@pytest.mark.parametrize("term", REGIME_TERMS)
def test_regime_utility_term_matches_hand_computation(term):
    _, terms = regime_utilities(**HAND, w=HAND_W)
    assert terms[term] == pytest.approx(np.array(HAND_TERMS[term]), abs=1e-12)


def test_regime_utility_is_the_sum_of_exactly_the_recorded_terms():
    u, terms = regime_utilities(**HAND, w=HAND_W)
    assert tuple(terms) == REGIME_TERMS
    assert u == pytest.approx(sum(np.array(v) for v in HAND_TERMS.values()), abs=1e-12)


def test_flows_term_uses_the_flow_of_own_orientation_with_partners_positions():
    # asymmetric on purpose: flow(protect, trust) = 1 but flow(trust, protect) = 0
    c = np.eye(5)
    c[PROTECT, TRUST] = 1.0
    x = {**HAND, "flow": c, "partner_shares": np.array([[0.0, 1.0, 0.0, 0.0, 0.0]] * 2)}
    _, terms = regime_utilities(**x, w=HAND_W)
    assert terms["flows"][0] == pytest.approx([2.0, 2.0, 0.0, 0.0])


def test_adequacy_term_only_for_holders_and_only_under_protect_or_trust():
    x = {**HAND, "adequacy": np.array([True, True]), "flow": np.full((5, 5), 0.5)}
    _, terms = regime_utilities(**x, w=HAND_W)
    a = terms["adequacy"]
    assert a[:, [OPEN, SOVEREIGN]].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert a[:, PROTECT] == pytest.approx(2.0 * HAND["eu_trade"] * 0.5)
    assert a[:, TRUST] == pytest.approx(2.0 * HAND["eu_trade"] * 0.5)
    _, none = regime_utilities(**{**x, "adequacy": np.array([False, False])}, w=HAND_W)
    assert (none["adequacy"] == 0).all()
    assert ADEQUACY_KEPT.tolist() == [True, True, False, False]


def test_capacity_beyond_need_earns_nothing():
    _, terms = regime_utilities(**{**HAND, "capacity": np.array([5.0, 5.0])}, w=HAND_W)
    assert (terms["capacity"] == 0).all()


# --- free flow is smooth ---------------------------------------------------------------------------


def test_flow_intensity_is_linear_between_lo_and_hi_and_flat_outside():
    w = Weights(free_flow_lo=0.5, free_flow_hi=1.0)
    assert flow_intensity(np.array([0.0, 0.5, 0.6, 0.75, 1.0]), w).tolist() == pytest.approx([0.0, 0.0, 0.2, 0.5, 1.0])


@FAST
@given(st.floats(0, 1), st.floats(0, 0.05), st.floats(0, 0.5), st.floats(0.5, 1))
def test_a_small_change_of_compatibility_changes_free_flow_by_little(c, dc, lo, hi):
    """No knife-edge: free flow moves at most dc / (hi - lo) for a change dc of compatibility."""
    w = Weights(free_flow_lo=lo, free_flow_hi=hi)
    jump = abs(flow_intensity(np.array([min(c + dc, 1.0)]), w)[0] - flow_intensity(np.array([c]), w)[0])
    assert jump <= dc / max(hi - lo, 1e-9) + 1e-12


def test_referees_do_not_win_in_flows_full_dfft_push_does_not_make_trust_flow_freely_with_both_camps():
    w = Weights()
    flow = flow_intensity(effective_compatibility(BASE, 1.0, 0.0, w), w)
    assert min(flow[TRUST, PROTECT], flow[TRUST, OPEN]) < 1.0


# --- partner shares and influence -------------------------------------------------------------------


def test_partner_shares_are_trade_weighted_positions():
    from scipy import sparse

    trade = sparse.csr_matrix(np.array([[0.0, 0.7, 0.3], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]))
    shares = partner_shares(trade, np.array([0, 4, 4]))
    np.testing.assert_allclose(shares, [[0, 0, 0, 0, 1.0], [1.0, 0, 0, 0, 0], [0.5, 0, 0, 0, 0.5]])


def test_dfft_pull_reaches_states_through_their_ties_to_japan_not_as_a_flat_bonus():
    w = Weights(kappa_jp_regime=0.5)
    tie = np.array([0.0, 0.5, 1.0])
    zeros = np.zeros(3)
    influence = regime_influence(
        zeros, zeros, zeros, tie, np.zeros((3, 4)), us_pressure=0.0, digital_silk_road=0.0, dfft_push=0.8, w=w
    )
    assert influence[:, TRUST].tolist() == pytest.approx([0.0, 0.2, 0.4])
