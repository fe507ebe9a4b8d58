"""Specification of the law decision (connsim/decisions/laws.py): a data-protection law is a state
of its own; adopting one weighs flows, peers, the EU's pull, capacity and governance; repeal is rare."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connsim.decisions.laws import LAW, LAW_TERMS, NO_LAW_OPTION, law_utilities
from connsim.names import NO_LAW, POSITIONS
from connsim.weights import Weights

FAST = settings(max_examples=50, deadline=None)
HAND_W = Weights(
    phi=2.0,
    kappa_law_peers=1.0,
    kappa_adequacy_prospect=0.5,
    kappa_cap=1.0,
    d_law=1.0,
    kappa_law_status_quo=0.5,
    kappa_repeal=3.0,
)
# flow between positions (protect, trust, open, sovereign, none), a test input
FLOW = np.array(
    [
        [1.0, 0.4, 0.0, 0.0, 0.0],
        [0.4, 1.0, 0.2, 0.0, 0.0],
        [0.0, 0.2, 1.0, 0.0, 0.4],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.4, 0.0, 0.6],
    ]
)
# state 0: no law, leans protect, half its trade with protect partners, half with lawless ones;
# state 1: an open law in force, all its trade with open partners
HAND = dict(
    partner_shares=np.array([[0.5, 0, 0, 0, 0.5], [0, 0, 1.0, 0, 0]]),
    orientation=np.array([0, 2]),
    has_law=np.array([False, True]),
    flow=FLOW,
    trade_eu=np.array([0.4, 0.1]),
    capacity=np.array([0.3, 0.5]),
    capacity_need=np.array([0.6, 0.45, 0.15, 0.3]),
    rule_of_law01=np.array([0.7, 0.4]),
)
HAND_TERMS = {
    # phi * [sum_j W_ij flow(none, p_j), sum_j W_ij flow(o_i, p_j)]: [2*(0.5*0 + 0.5*0.6), 2*(0.5*1 + 0.5*0)]
    "flows": [[0.6, 1.0], [0.8, 2.0]],
    # kappa_law_peers * (1 - share of partners without a law), on law
    "peers": [[0.0, 0.5], [0.0, 1.0]],
    # kappa_adequacy_prospect * trade_eu, on law
    "adequacy_prospect": [[0.0, 0.2], [0.0, 0.05]],
    # -kappa_cap * max(0, need(o) - capacity), on law
    "capacity": [[0.0, -0.3], [0.0, 0.0]],
    # d_law * (rule_of_law01 - 0.5), on law
    "governance": [[0.0, 0.2], [0.0, -0.1]],
    # kappa_law_status_quo on the current option
    "status_quo": [[0.5, 0.0], [0.0, 0.5]],
    # -kappa_repeal on no law, for a state with one
    "repeal": [[0.0, 0.0], [-3.0, 0.0]],
}


def test_options_are_no_law_then_law_and_no_law_is_the_last_position():
    assert (NO_LAW_OPTION, LAW) == (0, 1)
    assert POSITIONS[NO_LAW] == "none"


@pytest.mark.parametrize("term", LAW_TERMS)
def test_law_utility_term_matches_hand_computation(term):
    _, terms = law_utilities(**HAND, w=HAND_W)
    assert terms[term] == pytest.approx(np.array(HAND_TERMS[term]), abs=1e-12)


def test_law_utility_is_the_sum_of_exactly_the_recorded_terms():
    u, terms = law_utilities(**HAND, w=HAND_W)
    assert tuple(terms) == LAW_TERMS
    assert u == pytest.approx(sum(np.array(v) for v in HAND_TERMS.values()), abs=1e-12)


@FAST
@given(st.floats(0, 1), st.floats(0.01, 0.5))
def test_more_partners_with_laws_raise_the_pull_to_legislate(with_law, delta):
    def margin(share_with_law):
        x = {**HAND, "partner_shares": np.array([[share_with_law, 0, 0, 0, 1 - share_with_law]] * 2)}
        u, _ = law_utilities(**x, w=HAND_W)
        return u[0, LAW] - u[0, NO_LAW_OPTION]

    hi = min(with_law + delta, 1.0)
    assert margin(hi) > margin(with_law) - 1e-12
    if hi > with_law:
        assert margin(hi) > margin(with_law)


def test_repealing_a_law_costs_more_than_not_adopting_one():
    u, _ = law_utilities(**{**HAND, "has_law": np.array([True, False]), "orientation": np.array([0, 0])}, w=HAND_W)
    keep_margin = u[0, LAW] - u[0, NO_LAW_OPTION]
    x = {**HAND, "has_law": np.array([False, False]), "orientation": np.array([0, 0])}
    u0, _ = law_utilities(**x, w=HAND_W)
    adopt_margin = u0[0, LAW] - u0[0, NO_LAW_OPTION]
    assert keep_margin - adopt_margin == pytest.approx(2 * HAND_W.kappa_law_status_quo + HAND_W.kappa_repeal)
