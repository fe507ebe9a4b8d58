"""Specification of the EU's adequacy decision (connsim/decisions/adequacy.py): once a year, each
candidate (a law, outside the GDPR area, no decision yet) by the log-odds of its terms; a decision
stays while the holder keeps a protect or trust law."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connsim.decisions.adequacy import ADEQUACY_TERMS, GRANT, WITHHOLD, adequacy_utilities, candidates, grant, kept
from connsim.decisions.regimes import OPEN, PROTECT, SOVEREIGN, TRUST
from connsim.weights import Weights

FAST = settings(max_examples=50, deadline=None)
W = Weights(adequacy_w_capacity=5.0, adequacy_w_compatibility=3.0, adequacy_w_trade=2.0, adequacy_w_cooperation=1.0)
FLOW = np.eye(5)
FLOW[TRUST, PROTECT] = FLOW[PROTECT, TRUST] = 0.5
X = dict(
    orientation=np.array([PROTECT, TRUST, OPEN]),
    capacity=np.array([0.8, 0.6, 0.9]),
    trade_eu=np.array([0.5, 0.1, 0.2]),
    gdp=np.array([2e12, 1e12, 1e11]),
    eu_gdp=1e13,
    flow=FLOW,
    cooperation_beyond=1.0,
    openness=0.5,
)


def test_log_odds_terms_by_hand():
    u, terms = adequacy_utilities(**X, w=W)
    assert tuple(terms) == ADEQUACY_TERMS
    assert (u[:, WITHHOLD] == 0).all()
    t = {k: v[:, GRANT] for k, v in terms.items()}
    assert t["openness"] == pytest.approx([0.0, 0.0, 0.0])  # logit(0.5)
    assert t["capacity"] == pytest.approx([5 * 0.2, 0.0, 5 * 0.3])
    assert t["compatibility"] == pytest.approx([3 * 0.5, 0.0, 3 * -0.5])
    # trade with the EU as a share of EU GDP: 10%, 1%, 0.2%, per decade above 1%
    assert t["trade"] == pytest.approx([2.0, 0.0, 2 * np.log10(0.2)])
    assert t["cooperation"] == pytest.approx([0.0, 1.0, 0.0])  # trust-oriented only


def test_candidates_have_a_law_and_no_decision_yet_and_are_in_scope():
    scope = np.array([True, True, True, False])
    has_law = np.array([True, False, True, True])
    adequacy = np.array([False, False, True, False])
    assert candidates(scope, has_law, adequacy).tolist() == [True, False, False, False]


@FAST
@given(st.floats(0, 1), st.floats(0, 1))
def test_grants_only_to_candidates_and_more_often_at_higher_log_odds(lo, hi):
    u = np.zeros((1000, 2))
    u[:, GRANT] = np.linspace(-5, 5, 1000)
    uniforms = np.random.default_rng(0).random(1000)
    granted = grant(np.ones(1000, bool), u, uniforms)
    assert granted[500:].mean() > granted[:500].mean()
    assert not grant(np.zeros(1000, bool), u, uniforms).any()


def test_zero_openness_never_grants():
    u, _ = adequacy_utilities(**{**X, "openness": 0.0}, w=W)
    assert not grant(np.ones(3, bool), u, np.full(3, 1e-6)).any()


def test_a_decision_lapses_when_the_holder_repeals_its_law_or_leaves_protect_and_trust():
    adequacy = np.ones(5, bool)
    has_law = np.array([True, True, True, True, False])
    orientation = np.array([PROTECT, TRUST, OPEN, SOVEREIGN, PROTECT])
    assert kept(adequacy, has_law, orientation).tolist() == [True, True, False, False, False]
