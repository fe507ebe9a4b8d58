"""Specification of the data-flow rules (connsim/decisions/regimes.py).

A revising state picks protect / trust / open / sovereign by logit over
``disposition + flows + adequacy - capacity + influence + status_quo``; Japan's DFFT push and
EU-Japan work lift compatibilities but "referees do not win"; the EU grants adequacy at a rate
to eligible states in a qualifying regime with enough capacity, and it lapses when they leave
protect/trust.
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
    adequacy_grantable,
    dispositions,
    effective_compatibility,
    regime_utilities,
    update_adequacy,
)
from connsim.weights import Weights

FAST = settings(max_examples=50, deadline=None)

# the seeded base compatibility (seeds/regime_compatibility.csv), fixed here as a test input
BASE = np.array(
    [
        [1.0, 0.7, 0.3, 0.0],
        [0.7, 1.0, 0.6, 0.2],
        [0.3, 0.6, 1.0, 0.2],
        [0.0, 0.2, 0.2, 0.3],
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
    mask = np.ones((4, 4), bool)
    mask[PROTECT, TRUST] = mask[TRUST, PROTECT] = False
    assert (c[mask] == BASE[mask]).all()


symmetric_bases = hnp.arrays(np.float64, (4, 4), elements=st.floats(0, 1)).map(lambda a: np.triu(a) + np.triu(a, 1).T)


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
    partner_shares=np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.2, 0.8]]),
    compatibility=BASE,
    eu_trade=np.array([0.3, 0.4]),
    adequacy=np.array([True, False]),
    capacity=np.array([0.4, 0.7]),
    capacity_need=np.array([0.6, 0.5, 0.2, 0.3]),
    influence=np.array([[0.0, 0.05, 0.0, 0.0], [0.0, 0.0, 0.0, 0.25]]),
    current=np.array([TRUST, SOVEREIGN]),
)
HAND_TERMS = {
    "disposition": HAND["disposition"],
    # phi * sum_s shares[i, s] * C[r, s]
    "flows": [[2 * 0.85, 2 * 0.85, 2 * 0.45, 2 * 0.1], [2 * 0.06, 2 * 0.28, 2 * 0.36, 2 * 0.28]],
    # holder only: phi * eu_trade * (1 - C[r, protect]) for r in protect, trust: 2*0.3*[0, 0.3]
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


def test_flows_term_uses_compatibility_of_own_regime_with_partners_regime():
    # asymmetric on purpose: C(protect, trust) = 1 but C(trust, protect) = 0
    c = np.eye(4)
    c[PROTECT, TRUST] = 1.0
    x = {**HAND, "compatibility": c, "partner_shares": np.array([[0.0, 1.0, 0.0, 0.0]] * 2)}
    _, terms = regime_utilities(**x, w=HAND_W)
    assert terms["flows"][0] == pytest.approx([2.0, 2.0, 0.0, 0.0])


def test_adequacy_term_only_for_holders_and_only_under_protect_or_trust():
    x = {**HAND, "adequacy": np.array([True, True]), "compatibility": np.full((4, 4), 0.5)}
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


# --- adequacy ------------------------------------------------------------------------------------


def test_adequacy_grantable_protect_always_trust_only_once_regimes_interoperate():
    assert adequacy_grantable(False).tolist() == [True, False, False, False]
    assert adequacy_grantable(True).tolist() == [True, True, False, False]


ADQ_W = Weights(adequacy_capacity=0.6)
# openness 0.5 per year, dt 0.25: a state is granted when its uniform < 0.125
CASES = [
    # (held, regime, capacity, eligible, uniform) -> expected with trust not grantable
    ((False, PROTECT, 0.8, True, 0.01), True),  # everything passes
    ((False, PROTECT, 0.8, False, 0.01), False),  # not eligible (an EU member, a power)
    ((False, TRUST, 0.8, True, 0.01), False),  # trust not grantable yet
    ((False, OPEN, 0.8, True, 0.01), False),  # not a qualifying regime
    ((False, PROTECT, 0.5, True, 0.01), False),  # capacity below the threshold
    ((False, PROTECT, 0.6, True, 0.01), True),  # capacity exactly at the threshold passes
    ((False, PROTECT, 0.8, True, 0.125), False),  # uniform not below openness * dt
    ((False, PROTECT, 0.8, True, 0.124), True),
    ((True, OPEN, 0.9, True, 0.0), False),  # revoked on leaving protect/trust
    ((True, SOVEREIGN, 0.9, True, 0.0), False),
    ((True, TRUST, 0.1, False, 0.99), True),  # kept under trust whatever else
    ((True, PROTECT, 0.1, False, 0.99), True),
]


def _adequacy(cases, grantable, openness=0.5, dt=0.25):
    held, regime, cap, elig, u = (np.array(c) for c in zip(*cases))
    return update_adequacy(held.astype(bool), regime.astype(int), capacity=cap.astype(float), eligible=elig.astype(bool),
                           grantable=grantable, openness=openness, dt=dt, uniforms=u.astype(float), w=ADQ_W)


def test_update_adequacy_case_table():
    got = _adequacy([c for c, _ in CASES], adequacy_grantable(False))
    assert got.tolist() == [e for _, e in CASES]


def test_update_adequacy_grants_trust_once_grantable():
    got = _adequacy([(False, TRUST, 0.8, True, 0.01)], adequacy_grantable(True))
    assert got.tolist() == [True]


@st.composite
def adequacy_worlds(draw):
    n = draw(st.integers(1, 12))
    return dict(
        adequacy=draw(hnp.arrays(bool, n)),
        regime=draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3))),
        capacity=draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1))),
        eligible=draw(hnp.arrays(bool, n)),
        grantable=adequacy_grantable(draw(st.booleans())),
        dt=draw(st.sampled_from([0.25, 0.5, 1.0])),
        uniforms=draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1, exclude_max=True))),
    )


@FAST
@given(adequacy_worlds())
def test_update_adequacy_never_grants_when_openness_is_zero(weights, x):
    after = update_adequacy(**x, openness=0.0, w=weights)
    assert not (after & ~x["adequacy"]).any()


@FAST
@given(adequacy_worlds(), st.floats(0, 4))
def test_update_adequacy_grants_only_to_qualifying_states_and_keeps_only_under_protect_or_trust(weights, x, openness):
    after = update_adequacy(**x, openness=openness, w=weights)
    new = after & ~x["adequacy"]
    qualifies = x["eligible"] & x["grantable"][x["regime"]] & (x["capacity"] >= weights.adequacy_capacity)
    assert (new == (qualifies & (x["uniforms"] < openness * x["dt"]) & ~x["adequacy"])).all()
    assert np.isin(x["regime"][after], [PROTECT, TRUST]).all()
    kept = x["adequacy"] & np.isin(x["regime"], [PROTECT, TRUST])
    assert (after[kept]).all()
