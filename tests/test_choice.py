"""Specification of logit (quantal-response) choice and policy inertia (connsim/choice.py).

Every decision in connsim draws from these functions, so each rule is pinned by a hand case:

    P(k) = exp(beta * U_k) / sum_k' exp(beta * U_k')

and an option is picked by inverse CDF, namely the first k whose cumulative probability exceeds the
state's uniform number. The vectorised rule and the per-agent reference must pick the same
option from the same uniforms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from connsim.choice import logit_choice, logit_choice_one, logit_probabilities, revise_choices, revising, sample_choice

FAST = settings(max_examples=50, deadline=None)
BELOW_ONE = math.nextafter(1.0, 0.0)

# --- logit probabilities: hand cases ---------------------------------------------------------


def test_logit_two_options_zero_and_ln2_with_beta_one_gives_one_third_two_thirds():
    p = logit_probabilities(np.array([[0.0, math.log(2.0)]]), 1.0)
    assert p == pytest.approx(np.array([[1 / 3, 2 / 3]]), abs=1e-15)


def test_logit_beta_multiplies_utilities_beta_two_gives_one_fifth_four_fifths():
    # exp(2 ln 2) = 4 -> [1, 4] / 5
    p = logit_probabilities(np.array([[0.0, math.log(2.0)]]), 2.0)
    assert p == pytest.approx(np.array([[0.2, 0.8]]), abs=1e-15)


def test_logit_three_options_weights_one_one_two():
    p = logit_probabilities(np.array([[0.0, 0.0, math.log(2.0)]]), 1.0)
    assert p == pytest.approx(np.array([[0.25, 0.25, 0.5]]), abs=1e-15)


def test_logit_is_computed_row_by_row():
    u = np.array([[0.0, math.log(2.0)], [math.log(3.0), 0.0]])
    p = logit_probabilities(u, 1.0)
    assert p == pytest.approx(np.array([[1 / 3, 2 / 3], [3 / 4, 1 / 4]]), abs=1e-15)


def test_logit_beta_zero_is_a_coin_toss_uniform_over_options():
    u = np.array([[5.0, -3.0, 100.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
    assert logit_probabilities(u, 0.0) == pytest.approx(np.full((2, 4), 0.25), abs=1e-15)


def test_logit_adding_a_constant_to_every_utility_changes_nothing():
    u = np.array([[0.3, -1.2, 2.0]])
    assert logit_probabilities(u + 7.5, 1.7) == pytest.approx(logit_probabilities(u, 1.7), abs=1e-12)


def test_logit_huge_utilities_do_not_overflow():
    # exp(1e6) overflows a float64; the stable rule must still give 2/3, 1/3
    with np.errstate(over="raise", invalid="raise"):
        p = logit_probabilities(np.array([[1e6, 1e6 - math.log(2.0)]]), 1.0)
        q = logit_probabilities(np.array([[1e4, 0.0, -1e4]]), 50.0)
    assert p == pytest.approx(np.array([[2 / 3, 1 / 3]]), abs=1e-9)
    assert np.all(np.isfinite(q))
    assert q == pytest.approx(np.array([[1.0, 0.0, 0.0]]), abs=1e-300)


def test_logit_very_large_beta_puts_all_mass_on_the_best_option():
    p = logit_probabilities(np.array([[0.1, 0.3, 0.2]]), 1e4)
    assert p[0, 1] == 1.0
    assert p[0, 0] == 0.0 and p[0, 2] == 0.0


# --- inverse-CDF sampling: hand cases ----------------------------------------------------------

P3 = np.array([[0.25, 0.25, 0.5]])  # exact binary fractions: cdf = [0.25, 0.5, 1.0]


@pytest.mark.parametrize(
    "u, expected",
    [
        (0.0, 0),  # u = 0 -> first option
        (0.1, 0),
        (math.nextafter(0.25, 0.0), 0),  # just below the first cumulative bound
        (0.25, 1),  # the first k with cdf > u, so a bound itself belongs to the next option
        (0.3, 1),  # between the cumulative bounds 0.25 and 0.5
        (0.5, 2),
        (0.75, 2),
        (BELOW_ONE, 2),  # u just below 1 -> last option
    ],
)
def test_sample_choice_is_inverse_cdf_first_option_whose_cumulative_exceeds_u(u, expected):
    assert sample_choice(P3, np.array([u]))[0] == expected


def test_sample_choice_skips_an_option_of_zero_probability():
    p = np.array([[0.5, 0.0, 0.5]])
    assert sample_choice(p, np.array([0.5]))[0] == 2
    assert sample_choice(p, np.array([math.nextafter(0.5, 0.0)]))[0] == 0


def test_sample_choice_guards_a_cdf_that_rounds_below_one():
    # the cdf tops out at 1 - 2**-53 < u: the last option, never an out-of-range index
    p = np.array([[0.5, 0.5 - 2.0**-53]])
    assert np.cumsum(p)[-1] < 1.0
    assert sample_choice(p, np.array([BELOW_ONE]))[0] == 1
    assert sample_choice(p, np.array([1.0]))[0] == 1


def test_sample_choice_uses_each_rows_own_uniform():
    p = np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
    assert sample_choice(p, np.array([0.2, 0.7, 0.99])).tolist() == [0, 1, 0]


def test_logit_choice_is_sample_of_logit_probabilities():
    u = np.array([[0.0, math.log(2.0)]] * 3)  # P = [1/3, 2/3]
    assert logit_choice(u, 1.0, np.array([0.0, 0.3, 0.34])).tolist() == [0, 0, 1]


# --- policy inertia ------------------------------------------------------------------------------


def test_revising_when_uniform_is_strictly_below_the_revision_probability():
    u = np.array([0.0, 0.34, 0.35, 0.36, 0.99])
    assert revising(0.35, uniforms=u).tolist() == [True, True, False, False, False]


def test_revising_probability_zero_freezes_everyone_and_one_moves_everyone():
    u = np.array([0.0, 0.5, BELOW_ONE])
    assert not revising(0.0, uniforms=u).any()
    assert revising(1.0, uniforms=u).all()


# --- properties ----------------------------------------------------------------------------------

finite_utility = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
betas = st.floats(min_value=0.0, max_value=50.0)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


def utility_matrices(max_rows=6, max_options=6, elements=finite_utility):
    shapes = st.tuples(st.integers(1, max_rows), st.integers(1, max_options))
    return shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=elements))


@FAST
@given(utility_matrices(), betas)
def test_logit_probabilities_are_a_valid_distribution_for_any_finite_utilities(u, beta):
    p = logit_probabilities(u, beta)
    assert p.shape == u.shape
    assert not np.isnan(p).any()
    assert (p >= 0).all() and (p <= 1).all()
    assert p.sum(axis=1) == pytest.approx(np.ones(u.shape[0]), abs=1e-12)


@FAST
@given(st.data(), utility_matrices(), betas)
def test_chosen_index_is_always_a_valid_option(data, u, beta):
    uniforms = data.draw(hnp.arrays(np.float64, u.shape[0], elements=st.floats(0.0, 1.0)))
    k = logit_choice(u, beta, uniforms)
    assert k.shape == (u.shape[0],)
    assert ((k >= 0) & (k < u.shape[1])).all()


@FAST
@given(st.data(), utility_matrices(max_options=12, elements=st.floats(-50.0, 50.0)), betas)
def test_per_agent_reference_chooses_exactly_what_the_vectorised_rule_chooses(data, u, beta):
    # Uniforms are drawn anywhere in [0, 1) and also exactly on the cumulative bounds, where a
    # rounding difference between the two implementations would show. Up to 12 options (the
    # model's decisions have 3 and 4; numpy sums 8 or more pairwise, and so does the reference).
    cdf = np.cumsum(logit_probabilities(u, beta), axis=1)
    uniforms = np.array(
        [data.draw(st.one_of(unit, st.sampled_from(sorted(set(cdf[i].tolist()) - {1.0}) or [0.0]))) for i in range(u.shape[0])]
    )
    vectorised = logit_choice(u, beta, uniforms)
    reference = [logit_choice_one(list(u[i]), beta, float(uniforms[i])) for i in range(u.shape[0])]
    assert vectorised.tolist() == reference


@FAST
@given(st.data(), utility_matrices(max_options=12, elements=st.floats(-50.0, 50.0)), betas)
def test_per_agent_reference_matches_vectorised_rule_for_many_options_and_generic_uniforms(data, u, beta):
    uniforms = data.draw(hnp.arrays(np.float64, u.shape[0], elements=unit))
    reference = [logit_choice_one(list(u[i]), beta, float(uniforms[i])) for i in range(u.shape[0])]
    assert logit_choice(u, beta, uniforms).tolist() == reference


def test_per_agent_reference_matches_vectorised_rule_on_a_cumulative_bound_with_eight_options():
    u = np.array([[0.2, 1.1, -0.2, -0.9, 0.6, 0.6, -0.2, -0.8]])
    bound = float(np.cumsum(logit_probabilities(u, 1.0), axis=1)[0, 0])  # 0.11785999545984427
    assert logit_choice(u, 1.0, np.array([bound]))[0] == logit_choice_one(list(u[0]), 1.0, bound)


@FAST
@given(utility_matrices(elements=st.floats(-10.0, 10.0)), st.floats(0.0, 20.0), st.floats(0.0, 20.0))
def test_higher_beta_never_lowers_the_probability_of_the_best_option(u, b1, b2):
    lo, hi = sorted((b1, b2))
    best = u.argmax(axis=1)
    rows = np.arange(u.shape[0])
    assert (logit_probabilities(u, hi)[rows, best] >= logit_probabilities(u, lo)[rows, best] - 1e-12).all()


@FAST
@given(utility_matrices(max_rows=12, max_options=5, elements=st.floats(-20.0, 20.0)), betas, st.data())
def test_only_revising_states_change_and_they_choose_as_if_all_had_drawn(u, beta, data):
    n, k = u.shape
    current = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.int8)
    revise = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    uniforms = np.array(data.draw(st.lists(unit, min_size=n, max_size=n)))
    held = revise_choices(current, revise=revise, utilities=u, beta=beta, uniforms=uniforms)
    everyone = logit_choice(u, beta, uniforms)
    assert (held[~revise] == current[~revise]).all()
    assert (held[revise] == everyone[revise]).all()
    assert held.dtype == current.dtype


def test_arguments_that_could_be_swapped_are_keyword_only():
    """A swapped (revise, current) or (probability, uniforms) would pass silently: they are named."""
    u = np.array([0.1, 0.9])
    with pytest.raises(TypeError):
        revising(0.5, u)  # type: ignore[misc]
    with pytest.raises(TypeError):
        revise_choices(np.zeros(2, int), np.ones(2, bool), np.zeros((2, 2)), 1.0, u)  # type: ignore[misc]
    assert revise_choices(
        np.zeros(2, int), revise=np.zeros(2, bool), utilities=np.zeros((2, 2)), beta=1.0, uniforms=u
    ).tolist() == [0, 0]
