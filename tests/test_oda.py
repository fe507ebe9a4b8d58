"""Specification of the digital-ODA rules (connsim/decisions/oda.py).

Effective budget = budget x staffing (EU-Japan coordination pools budgets with an efficiency
gain and lends the better-staffed partner's capacity); donors offer to as many of their
best-scored recipients as their staff can manage; a recipient takes at most one infrastructure
partner at a time; accepted programs build capacity and partnerships that decay with a
half-life.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from connsim.decisions.oda import (
    accept_offers,
    capacity_gain,
    effective_budgets,
    make_offers,
    offer_utilities,
    partnership_pulls,
    partnership_strength,
    remove_double_targeting,
    targeting_scores,
    tied_finance,
)
from connsim.weights import Weights

FAST = settings(max_examples=50, deadline=None)
EU, JP, CN = 0, 1, 2
PAIR = (EU, JP)

# --- effective budgets ---------------------------------------------------------------------------

BUDGET = np.array([100.0, 50.0, 200.0])
STAFF = np.array([0.4, 0.8, 0.9])


def test_effective_budget_without_coordination_is_budget_times_staffing(weights):
    for pair, c in ((PAIR, 0.0), (None, 0.0), (None, 1.0)):
        budget, staff = effective_budgets(BUDGET, STAFF, coordination=c, pair=pair, w=weights)
        assert budget == pytest.approx(BUDGET * STAFF)
        assert staff == pytest.approx(STAFF)


def test_coordination_hand_case_eu_staffing_rises_toward_japans_and_both_budgets_gain():
    w = Weights(oda_pooling_gain=0.25)
    budget, staff = effective_budgets(BUDGET, STAFF, coordination=0.5, pair=PAIR, w=w)
    # EU staffing 0.4 + 0.5 * 0.5 * (0.8 - 0.4) = 0.5; Japan, better staffed, keeps 0.8
    assert staff == pytest.approx([0.5, 0.8, 0.9])
    # gain 1 + 0.25 * 0.5 = 1.125 for the pair only
    assert budget == pytest.approx([100 * 0.5 * 1.125, 50 * 0.8 * 1.125, 200 * 0.9])


def test_coordination_lends_staff_whichever_partner_is_better_staffed(weights):
    _, staff = effective_budgets(BUDGET, np.array([0.9, 0.3, 0.5]), coordination=1.0, pair=PAIR, w=weights)
    assert staff == pytest.approx([0.9, 0.6, 0.5])


def test_effective_budgets_do_not_modify_their_inputs(weights):
    s = STAFF.copy()
    effective_budgets(BUDGET, s, coordination=1.0, pair=PAIR, w=weights)
    assert (s == STAFF).all()


@FAST
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_coordination_never_lowers_a_budget_and_never_lifts_staffing_past_the_partners(weights, sa, sb, c1, c2):
    lo, hi = sorted((c1, c2))
    staff0 = np.array([sa, sb, 0.5])
    b_lo, s_lo = effective_budgets(BUDGET, staff0, coordination=lo, pair=PAIR, w=weights)
    b_hi, s_hi = effective_budgets(BUDGET, staff0, coordination=hi, pair=PAIR, w=weights)
    assert (b_hi >= b_lo - 1e-12).all() and (b_lo >= 0).all()
    assert s_hi[EU] <= max(sa, sb) + 1e-12 and s_hi[JP] <= max(sa, sb) + 1e-12
    assert (s_hi >= staff0).all()


# --- targeting -----------------------------------------------------------------------------------


def test_targeting_score_is_priority_times_need_times_alignment_and_zero_if_ineligible():
    priority = np.array([[1.0, 0.5], [0.2, 1.0]])
    need = np.array([0.5, 0.8])
    alignment = np.array([[0.6, 0.5], [0.4, 1.0]])
    eligible = np.array([True, False])
    s = targeting_scores(priority, need, alignment=alignment, eligible=eligible)
    assert s == pytest.approx(np.array([[0.3, 0.0], [0.04, 0.0]]))


SCORES = np.array(
    [
        [2.0, 1.0, 2.0, 2.0, 0.0],  # EU
        [1.0, 3.0, 0.0, 2.0, 1.0],  # Japan
        [1.0, 1.0, 1.0, 1.0, 1.0],  # China: never touched
    ]
)


def test_remove_double_targeting_cuts_the_weaker_scorer_by_the_coordination():
    out = remove_double_targeting(SCORES, pair=PAIR, coordination=0.5)
    assert out[JP, 0] == 0.5 and out[EU, 0] == 2.0  # Japan weaker on recipient 0
    assert out[EU, 1] == 0.5 and out[JP, 1] == 3.0  # EU weaker on recipient 1
    assert out[EU, 2] == 2.0 and out[EU, 4] == 0.0 and out[JP, 4] == 1.0  # only one scores
    assert sorted([out[EU, 3], out[JP, 3]]) == [1.0, 2.0]  # a tie: exactly one is cut
    assert (out[CN] == SCORES[CN]).all()


def test_remove_double_targeting_changes_nothing_without_coordination_or_pair():
    assert (remove_double_targeting(SCORES, pair=PAIR, coordination=0.0) == SCORES).all()
    assert (remove_double_targeting(SCORES, pair=None, coordination=1.0) == SCORES).all()


def test_remove_double_targeting_at_full_coordination_leaves_one_donor_per_recipient():
    out = remove_double_targeting(SCORES, pair=PAIR, coordination=1.0)
    assert not ((out[EU] > 0) & (out[JP] > 0)).any()
    assert ((out[EU] > 0) | (out[JP] > 0)).tolist() == ((SCORES[EU] > 0) | (SCORES[JP] > 0)).tolist()


def test_remove_double_targeting_does_not_modify_its_input():
    s = SCORES.copy()
    remove_double_targeting(s, pair=PAIR, coordination=1.0)
    assert (s == SCORES).all()


# --- offers ---------------------------------------------------------------------------------------


def test_make_offers_hand_case_best_scored_recipients_split_the_budget_by_score():
    scores = np.array([[0.0, 1.0, 3.0, 2.0, 0.0], [0.5, 0.0, 0.0, 0.5, 0.0]])
    amounts = make_offers(scores, budget=np.array([100.0, 10.0]), reach=np.array([2, 10]))
    assert amounts == pytest.approx(np.array([[0.0, 0.0, 60.0, 40.0, 0.0], [5.0, 0.0, 0.0, 5.0, 0.0]]))


def test_make_offers_nothing_without_reach_budget_or_positive_scores():
    scores = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    amounts = make_offers(scores, budget=np.array([10.0, 0.0, 10.0]), reach=np.array([0, 5, 5]))
    assert (amounts == 0).all()


@st.composite
def offer_worlds(draw):
    d = draw(st.integers(1, 4))
    n = draw(st.integers(1, 10))
    zero_or_pos = st.one_of(st.just(0.0), st.floats(1e-3, 10.0))
    scores = draw(hnp.arrays(np.float64, (d, n), elements=zero_or_pos))
    budget = draw(hnp.arrays(np.float64, d, elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e9))))
    reach = draw(hnp.arrays(np.float64, d, elements=st.floats(0, 15)))
    return scores, budget, reach


@FAST
@given(offer_worlds())
def test_each_donor_offers_its_whole_budget_to_at_most_reach_of_its_best_scored_recipients(world):
    scores, budget, reach = world
    amounts = make_offers(scores, budget=budget, reach=reach)
    assert (amounts >= 0).all()
    assert (amounts[scores == 0] == 0).all()  # zero-score recipients get nothing
    for d in range(scores.shape[0]):
        offered = amounts[d] > 0
        assert offered.sum() <= reach[d]
        if budget[d] > 0 and reach[d] >= 1 and (scores[d] > 0).any():
            assert amounts[d].sum() == pytest.approx(budget[d])
            assert offered.sum() == min(int(reach[d]), int((scores[d] > 0).sum()))
            if offered.any() and (~offered).any():
                assert scores[d, offered].min() >= scores[d, ~offered].max()  # the best are chosen
            # split in proportion to score
            ratio = amounts[d, offered] / scores[d, offered]
            assert ratio == pytest.approx(np.full(offered.sum(), ratio[0]))
        else:
            assert amounts[d].sum() == 0


# --- acceptance -----------------------------------------------------------------------------------

U = np.array([[2.0, 3.0, 1.0], [0.5, 0.8, 0.2], [4.0, 2.0, 5.0]])  # recipients x donors
ALL = np.ones((3, 3), bool)
NOT_BUSY, HALF, HALF_EACH, OUTSIDE_12 = np.zeros(3, bool), np.full(3, 0.5), np.full((3, 3), 0.5), Weights(u_outside=1.2)


def _accept(
    utilities=U,
    offered=ALL,
    infra_offered=ALL,
    busy=NOT_BUSY,
    beta=100.0,
    u_infra=HALF,
    u_other=HALF_EACH,
    w=OUTSIDE_12,
):
    return accept_offers(
        utilities,
        offered,
        infra_offered=infra_offered,
        infra_busy=busy,
        beta=beta,
        uniforms_infra=u_infra,
        uniforms_other=u_other,
        w=w,
    )


def test_with_a_large_beta_the_best_infrastructure_offer_wins_when_it_beats_the_outside_option():
    infra, _ = _accept()
    assert infra.tolist() == [[False, True, False], [False, False, False], [False, False, True]]


def test_infrastructure_is_taken_only_where_offered():
    offered = np.array([[True, False, True], [True, True, True], [True, True, False]])
    infra, _ = _accept(infra_offered=offered)
    assert infra.tolist() == [[True, False, False], [False, False, False], [True, False, False]]


def test_busy_recipients_take_no_infrastructure():
    infra, _ = _accept(busy=np.array([True, False, True]), beta=1.0, u_infra=np.zeros(3))
    assert not infra[[0, 2]].any()


def test_other_programs_with_a_large_beta_are_accepted_iff_they_beat_the_outside_option():
    _, other = _accept()
    assert other.tolist() == (U > 1.2).tolist()
    _, none = _accept(offered=np.zeros((3, 3), bool))
    assert not none.any()


def test_other_programs_are_accepted_with_logistic_probability():
    # P = 1 / (1 + exp(-beta (U - u_outside))) = 1 / (1 + exp(-ln 3)) = 3/4 for beta 1, U - u = ln 3
    w = Weights(u_outside=0.0)
    utilities = np.full((1, 1), np.log(3.0))
    one = np.ones((1, 1), bool)
    args = dict(infra_offered=one, infra_busy=np.zeros(1, bool), beta=1.0, uniforms_infra=np.zeros(1), w=w)
    assert accept_offers(utilities, one, uniforms_other=np.full((1, 1), 0.7499), **args)[1].tolist() == [[True]]
    assert accept_offers(utilities, one, uniforms_other=np.full((1, 1), 0.7501), **args)[1].tolist() == [[False]]


def test_infrastructure_choice_is_logit_against_the_outside_option_hand_case():
    # one offer with U = u_outside + ln 3, beta 1: P(offer) = 3/4, P(decline) = 1/4
    w = Weights(u_outside=0.0)
    utilities = np.full((2, 1), np.log(3.0))
    one = np.ones((2, 1), bool)
    infra, _ = accept_offers(
        utilities,
        one,
        infra_offered=one,
        infra_busy=np.zeros(2, bool),
        beta=1.0,
        uniforms_infra=np.array([0.7499, 0.7501]),
        uniforms_other=np.zeros((2, 1)),
        w=w,
    )
    assert infra.tolist() == [[True], [False]]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_with_beta_zero_infrastructure_is_still_taken_only_where_offered_and_not_busy(weights):
    utilities = np.array([[5.0, 1.0], [5.0, 1.0]])
    infra, _ = accept_offers(
        utilities,
        np.ones((2, 2), bool),
        infra_offered=np.array([[False, False], [True, True]]),
        infra_busy=np.array([False, True]),
        beta=0.0,
        uniforms_infra=np.array([0.1, 0.1]),
        uniforms_other=np.full((2, 2), 0.9),
        w=weights,
    )
    assert not infra.any()


@st.composite
def acceptance_worlds(draw):
    n = draw(st.integers(1, 8))
    d = draw(st.integers(1, 5))
    return dict(
        utilities=draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-10, 10))),
        offered=draw(hnp.arrays(bool, (n, d))),
        infra_offered=draw(hnp.arrays(bool, (n, d))),
        infra_busy=draw(hnp.arrays(bool, n)),
        beta=draw(st.floats(0.01, 50)),
        uniforms_infra=draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1, exclude_max=True))),
        uniforms_other=draw(hnp.arrays(np.float64, (n, d), elements=st.floats(0, 1, exclude_max=True))),
    )


@FAST
@given(acceptance_worlds())
def test_at_most_one_infrastructure_partner_only_where_offered_and_not_busy(weights, x):
    infra, other = accept_offers(**x, w=weights)
    assert (infra.sum(axis=1) <= 1).all()
    assert not (infra & ~x["infra_offered"]).any()
    assert not infra[x["infra_busy"]].any()
    assert not (other & ~x["offered"]).any()


# --- offer values ---------------------------------------------------------------------------------


def test_offer_utility_hand_case():
    w = Weights(a_size=1.0, a_speed=2.0, a_conditions=1.5, a_alignment=0.5)
    amounts = np.array([[1.0]])  # donor x recipient; GDP 10000 -> 0.01% of GDP = 1
    u = offer_utilities(
        amounts,
        np.array([10000.0]),
        speed=np.array([0.4]),
        conditionality=np.array([0.6]),
        freedom=np.array([0.2]),
        alignment=np.array([[0.8]]),
        bonus=np.array([[0.1]]),
        w=w,
    )
    # log1p(1) + 2*0.4 - 1.5*0.6*0.8 + 0.5*0.8 + 0.1
    assert u == pytest.approx(np.array([[np.log(2.0) + 0.8 - 0.72 + 0.4 + 0.1]]))


# --- effects --------------------------------------------------------------------------------------


def test_capacity_gain_hand_case_alpha_times_amount_per_thousand_of_gdp():
    w = Weights(alpha_capacity=0.5)
    assert capacity_gain(np.array([2.0, 0.0]), np.array([1000.0, 500.0]), w=w) == pytest.approx([1.0, 0.0])


@FAST
@given(
    hnp.arrays(np.float64, 4, elements=st.floats(0, 1e6)),
    hnp.arrays(np.float64, 4, elements=st.floats(0, 1e6)),
    hnp.arrays(np.float64, 4, elements=st.floats(1.0, 1e7)),
    st.floats(0, 10),
)
def test_capacity_gain_is_non_negative_and_linear_in_money(weights, a, b, gdp, k):
    ga, gb, gab = capacity_gain(a, gdp, w=weights), capacity_gain(b, gdp, w=weights), capacity_gain(a + b, gdp, w=weights)
    assert (ga >= 0).all()
    assert gab == pytest.approx(ga + gb, rel=1e-12, abs=1e-300)
    assert capacity_gain(k * a, gdp, w=weights) == pytest.approx(k * ga, rel=1e-12, abs=1e-300)


def test_partnership_halves_over_one_half_life_without_acceptance():
    w = Weights(partnership_half_life=3.0)
    s = partnership_strength(np.array([0.8, 0.2]), np.zeros(2, bool), dt=3.0, w=w)
    assert s == pytest.approx([0.4, 0.1])
    s4 = np.array([0.8])
    for _ in range(4):  # four quarters of 0.75 years
        s4 = partnership_strength(s4, np.zeros(1, bool), dt=0.75, w=Weights(partnership_half_life=3.0))
    assert s4 == pytest.approx([0.4])


def test_accepted_offer_moves_decayed_partnership_bond_share_of_the_way_to_one():
    w = Weights(partnership_half_life=3.0, oda_bond=0.5)
    s = partnership_strength(np.array([0.8, 0.0]), np.array([True, True]), dt=3.0, w=w)
    assert s == pytest.approx([0.4 + 0.5 * 0.6, 0.5])


@FAST
@given(
    hnp.arrays(np.float64, 5, elements=st.floats(0, 1)),
    hnp.arrays(bool, 5),
    st.floats(0, 5),
    st.floats(0.25, 30),
    st.floats(0, 1),
)
def test_partnership_strength_stays_in_unit_interval(strength, accepted, dt, half_life, bond):
    s = partnership_strength(strength, accepted, dt=dt, w=Weights(partnership_half_life=half_life, oda_bond=bond))
    assert ((s >= 0) & (s <= 1)).all()
    assert (s[~accepted] <= strength[~accepted]).all()


@FAST
@given(
    hnp.arrays(np.float64, 4, elements=st.floats(0, 1e10)),
    hnp.arrays(np.float64, 4, elements=st.floats(0, 1)),
    st.floats(0, 1),
    st.floats(0, 2),
    st.floats(1, 50),
)
def test_budgets_and_offer_amounts_are_never_negative(budget, staffing, coordination, pooling, reach):
    b, s = effective_budgets(budget, staffing, coordination=coordination, pair=(0, 1), w=Weights(oda_pooling_gain=pooling))
    assert (b >= 0).all() and (s >= 0).all()
    scores = np.abs(np.sin(np.arange(4 * 9, dtype=float))).reshape(4, 9)
    amounts = make_offers(
        remove_double_targeting(scores, pair=(0, 1), coordination=coordination), budget=b, reach=np.full(4, reach)
    )
    assert (amounts >= 0).all()
    assert amounts.sum() <= b.sum() * (1 + 1e-12) + 1e-300  # (subnormal budgets round beyond any relative margin)


# --- keyword-only arguments -----------------------------------------------------------------------


def test_arguments_that_could_be_swapped_are_keyword_only(weights):
    """A swapped pair of same-shaped arrays (infra_offered and offered, coordination and pair)
    cannot pass silently: past the leading arrays, every rule takes its arguments by name."""
    one = np.ones((1, 1), bool)
    with pytest.raises(TypeError, match="positional"):
        accept_offers(np.zeros((1, 1)), one, one, np.zeros(1, bool), 1.0, np.zeros(1), np.zeros((1, 1)), weights)
    with pytest.raises(TypeError, match="positional"):
        effective_budgets(BUDGET, STAFF, 0.5, PAIR, weights)
    with pytest.raises(TypeError, match="positional"):
        make_offers(SCORES, np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="positional"):
        tied_finance(2020.0, np.zeros((1, 1)), np.ones((1, 1)), 5.0)
    with pytest.raises(TypeError, match="positional"):
        partnership_pulls(np.zeros((1, 1)), np.ones(1, bool), np.zeros((1, 4)))
    # by name they run
    assert accept_offers(
        np.zeros((1, 1)),
        one,
        infra_offered=one,
        infra_busy=np.zeros(1, bool),
        beta=1.0,
        uniforms_infra=np.zeros(1),
        uniforms_other=np.zeros((1, 1)),
        w=weights,
    )[0].shape == (1, 1)
    assert tied_finance(2020.0, np.full((1, 1), 2018.0), vendor_tie=np.ones((1, 2)), tied_years=5.0).tolist() == [[1.0], [1.0]]
