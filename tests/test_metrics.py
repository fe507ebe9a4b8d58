"""Specification of the outcome metrics (connsim/metrics.py).

The metrics avoid loops over pairs of states (GDP sums per regime, hub graphs); here each is
checked against the obvious O(n^2) definition on random small worlds.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from connsim.metrics import (
    access_share,
    convergence_index,
    free_flow_gdp_pair_share,
    free_pairs,
    hhi,
    largest_compatible_component,
    largest_compatible_component_graph,
    regime_shares,
    weighted_share,
)

FAST = settings(max_examples=50, deadline=None)

# --- regime shares and convergence ----------------------------------------------------------------


def test_regime_shares_hand_case_counts_and_weights():
    regime = np.array([0, 0, 1, 3])
    assert regime_shares(regime).tolist() == [0.5, 0.25, 0.0, 0.25]
    assert regime_shares(regime, np.array([1.0, 1.0, 6.0, 2.0])) == pytest.approx([0.2, 0.6, 0.0, 0.2])


@FAST
@given(st.data(), st.integers(1, 30))
def test_regime_shares_are_a_distribution_over_all_regimes(data, n):
    regime = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    weights = data.draw(hnp.arrays(np.float64, n, elements=st.floats(1e-3, 1e6)))
    for s in (regime_shares(regime), regime_shares(regime, weights)):
        assert s.shape == (4,)
        assert (s >= 0).all()
        assert s.sum() == pytest.approx(1.0)
        assert ((s > 0) == np.isin(np.arange(4), regime)).all()


def test_convergence_is_one_when_all_share_one_regime_and_zero_when_spread_evenly():
    assert convergence_index(np.array([0.0, 1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert convergence_index(np.full(4, 0.25)) == pytest.approx(0.0, abs=1e-12)


def test_convergence_hand_case_two_of_four_regimes_evenly():
    # 1 - ln 2 / ln 4 = 1/2
    assert convergence_index(np.array([0.5, 0.5, 0.0, 0.0])) == pytest.approx(0.5)


@FAST
@given(hnp.arrays(np.float64, 4, elements=st.floats(0, 1)).filter(lambda a: a.sum() > 1e-6))
def test_convergence_index_lies_between_zero_and_one(raw):
    assert -1e-12 <= convergence_index(raw / raw.sum()) <= 1 + 1e-12


# --- free data-flow pairs -------------------------------------------------------------------------


def test_free_pairs_is_compatibility_at_or_above_threshold():
    c = np.array([[1.0, 0.75], [0.75, 0.7]])
    assert free_pairs(c, 0.75).tolist() == [[True, True], [True, False]]


def _pair_is_free(i, j, regime, free, adequacy, eu_member):
    return bool(free[regime[i], regime[j]] or (adequacy[i] and eu_member[j]) or (adequacy[j] and eu_member[i]))


def _brute_free_flow_share(regime, gdp, free, adequacy, eu_member):
    num = den = 0.0
    for i, j in itertools.permutations(range(len(regime)), 2):
        den += gdp[i] * gdp[j]
        if _pair_is_free(i, j, regime, free, adequacy, eu_member):
            num += gdp[i] * gdp[j]
    return num / den


def _brute_largest_component(regime, free, adequacy, eu_member):
    g = nx.Graph()
    g.add_nodes_from(range(len(regime)))
    g.add_edges_from(
        (i, j) for i, j in itertools.combinations(range(len(regime)), 2) if _pair_is_free(i, j, regime, free, adequacy, eu_member)
    )
    return max(len(c) for c in nx.connected_components(g))


@st.composite
def small_worlds(draw, k=4, min_n=2, max_n=9):
    """Random regimes, GDPs, EU members, adequacy holders (never EU members, as in the model:
    adequacy is granted to third countries) and a random symmetric boolean ``free`` matrix."""
    n = draw(st.integers(min_n, max_n))
    regime = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    gdp = draw(hnp.arrays(np.float64, n, elements=st.floats(1e-3, 1e4)))
    eu_member = draw(hnp.arrays(bool, n))
    adequacy = draw(hnp.arrays(bool, n)) & ~eu_member
    upper = draw(hnp.arrays(bool, (k, k)))
    free = np.triu(upper) | np.triu(upper, 1).T
    return regime, gdp, free, adequacy, eu_member


@FAST
@given(small_worlds())
def test_free_flow_gdp_pair_share_equals_brute_force_pair_loop(world):
    regime, gdp, free, adequacy, eu_member = world
    expected = _brute_free_flow_share(regime, gdp, free, adequacy, eu_member)
    assert free_flow_gdp_pair_share(regime, gdp, flow=free, adequacy=adequacy, gdpr_area=eu_member) == pytest.approx(
        expected, rel=1e-9, abs=1e-12
    )


def test_free_flow_gdp_pair_share_hand_case():
    # states: EU member (protect, gdp 2), Japan (trust, adequacy, gdp 1), China (sovereign, gdp 1)
    free = np.eye(4, dtype=bool)
    free[3, 3] = False
    share = free_flow_gdp_pair_share(
        np.array([0, 1, 3]),
        np.array([2.0, 1.0, 1.0]),
        flow=free,
        adequacy=np.array([False, True, False]),
        gdpr_area=np.array([True, False, False]),
    )
    # ordered pairs: total (4^2 - 6) = 10; free: EU-Japan both ways 2*2 = 4
    assert share == pytest.approx(0.4)


# The hub-graph construction agrees with the pair graph when every regime is either free within
# itself or free with no regime at all (sovereign in the seeded matrix), every regime is held by
# some state and EU members sit in regimes free within themselves (protect, in the model). The
# general case is pinned further below, where it currently fails.
@st.composite
def hub_safe_worlds(draw):
    regime, gdp, free, adequacy, eu_member = draw(small_worlds(min_n=4))
    regime[:4] = np.arange(4)  # every regime held
    isolated = ~np.diag(free)
    free[isolated, :] = False
    free[:, isolated] = False
    eu_member = eu_member & np.diag(free)[regime]
    return regime, free, adequacy, eu_member


@FAST
@given(hub_safe_worlds())
def test_largest_compatible_component_equals_pair_graph_components_on_hub_safe_worlds(world):
    regime, free, adequacy, eu_member = world
    assert largest_compatible_component(regime, free, adequacy=adequacy, gdpr_area=eu_member) == _brute_largest_component(
        regime, free, adequacy, eu_member
    )


@FAST
@given(small_worlds(min_n=1, max_n=12))
def test_largest_compatible_component_equals_its_graph_reference(world):
    regime, gdp, free, adequacy, eu_member = world
    assert largest_compatible_component(
        regime, free, adequacy=adequacy, gdpr_area=eu_member
    ) == largest_compatible_component_graph(regime, free, adequacy=adequacy, gdpr_area=eu_member)


@FAST
@given(st.lists(small_worlds(min_n=1, max_n=12), min_size=1, max_size=4), st.integers(1, 12))
def test_metrics_of_many_steps_at_once_equal_them_step_by_step(worlds, n):
    # one world size, one GDP and one EU membership for all the steps, as in a run
    worlds = [w for w in worlds if w[0].shape[0] >= n] or [worlds[0]]
    n = min(n, worlds[0][0].shape[0])
    gdp, eu_member = worlds[0][1][:n], worlds[0][4][:n]
    regime = np.stack([w[0][:n] for w in worlds])
    free = np.stack([w[2] for w in worlds])
    adequacy = np.stack([w[3][:n] & ~eu_member for w in worlds])
    steps = range(len(worlds))
    lcc = largest_compatible_component(regime, free, adequacy=adequacy, gdpr_area=eu_member)
    assert lcc.tolist() == [
        largest_compatible_component(regime[t], free[t], adequacy=adequacy[t], gdpr_area=eu_member) for t in steps
    ]
    ff = free_flow_gdp_pair_share(regime, gdp, flow=free, adequacy=adequacy, gdpr_area=eu_member)
    assert ff == pytest.approx(
        [free_flow_gdp_pair_share(regime[t], gdp, flow=free[t], adequacy=adequacy[t], gdpr_area=eu_member) for t in steps],
        rel=1e-12,
        nan_ok=True,
    )
    k = free.shape[-1]
    assert regime_shares(regime, gdp, k) == pytest.approx(np.stack([regime_shares(regime[t], gdp, k) for t in steps]), rel=1e-12)
    assert access_share(0, regime, gdp, free) == pytest.approx(
        [access_share(0, regime[t], gdp, free[t]) for t in steps], rel=1e-12, nan_ok=True
    )
    values = regime / 3.0
    assert np.allclose(
        weighted_share(values, weights=gdp, mask=adequacy),
        [weighted_share(values[t], weights=gdp, mask=adequacy[t]) for t in steps],
        equal_nan=True,
    )


@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(small_worlds())
def test_largest_compatible_component_equals_pair_graph_components_on_random_worlds(world):
    regime, gdp, free, adequacy, eu_member = world
    assert largest_compatible_component(regime, free, adequacy=adequacy, gdpr_area=eu_member) == _brute_largest_component(
        regime, free, adequacy, eu_member
    )


def test_states_of_a_regime_not_free_within_itself_still_link_to_compatible_regimes():
    free = np.array([[False, True], [True, True]])
    none = np.zeros(2, bool)
    # state 0 (regime 0) and state 1 (regime 1) exchange data freely: one group of 2
    assert largest_compatible_component(np.array([0, 1]), free, adequacy=none, gdpr_area=none) == 2


def test_a_regime_held_by_no_state_does_not_bridge_other_regimes():
    free = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=bool)  # protect-trust, trust-open free
    none = np.zeros(2, bool)
    # one protect state, one open state, nobody in trust: not linked
    assert largest_compatible_component(np.array([0, 2]), free, adequacy=none, gdpr_area=none) == 1


def test_adequacy_links_a_holder_to_eu_members_whatever_their_regime():
    free = np.zeros((2, 2), bool)  # nothing flows freely by regime
    regime = np.array([0, 1])
    # state 0 holds adequacy, state 1 is an EU member: the pair is free by adequacy
    assert largest_compatible_component(regime, free, adequacy=np.array([True, False]), gdpr_area=np.array([False, True])) == 2


def test_largest_compatible_component_hand_case_adequacy_links_a_holder_to_eu_members():
    free = np.eye(4, dtype=bool)
    free[3, 3] = False  # sovereign states do not exchange freely even among themselves
    regime = np.array([0, 0, 1, 1, 3, 3])
    eu_member = np.array([True, True, False, False, False, False])
    assert largest_compatible_component(regime, free, adequacy=np.zeros(6, bool), gdpr_area=eu_member) == 2
    adequacy = np.array([False, False, True, False, False, False])  # one trust state holds adequacy
    assert largest_compatible_component(regime, free, adequacy=adequacy, gdpr_area=eu_member) == 4  # EU + holder + its trust peer


# --- vendor concentration and shares --------------------------------------------------------------


def test_hhi_is_one_for_a_single_vendor_and_one_over_n_for_equal_shares():
    assert hhi(np.array([0.0, 1.0, 0.0])) == pytest.approx(1.0)
    assert hhi(np.full(5, 0.2)) == pytest.approx(0.2)
    assert hhi(np.array([0.5, 0.3, 0.2])) == pytest.approx(0.25 + 0.09 + 0.04)


@FAST
@given(hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(0, 1e6)).filter(lambda a: a.sum() > 1e-3))
def test_hhi_lies_between_one_over_n_and_one_and_ignores_scale(shares):
    h = hhi(shares)
    assert 1.0 / len(shares) - 1e-12 <= h <= 1.0 + 1e-12
    assert hhi(3.0 * shares) == pytest.approx(h)


def test_weighted_share_hand_case_and_nan_for_an_empty_selection():
    v, w = np.array([1.0, 0.0, 0.5]), np.array([1.0, 2.0, 2.0])
    assert weighted_share(v, weights=w) == pytest.approx(2.0 / 5.0)
    assert weighted_share(v, weights=w, mask=np.array([True, False, True])) == pytest.approx(2.0 / 3.0)
    assert np.isnan(weighted_share(v, weights=w, mask=np.zeros(3, bool)))


def test_access_share_is_gdp_share_of_regimes_free_with_the_given_regime():
    free = np.array([[True, True, False], [True, True, False], [False, False, True]])
    regime = np.array([0, 1, 2, 2])
    gdp = np.array([1.0, 2.0, 3.0, 4.0])
    assert access_share(0, regime, gdp, free) == pytest.approx(0.3)
    assert access_share(2, regime, gdp, free) == pytest.approx(0.7)


def test_arguments_of_the_same_kind_are_keyword_only():
    """Adequacy holders and the GDPR area are both (n,) booleans, values and weights both (n,)
    floats: swapped by position they would give another number without an error."""
    regime, free, none = np.array([0, 1]), np.eye(2, dtype=bool), np.zeros(2, bool)
    with pytest.raises(TypeError, match="positional"):
        largest_compatible_component(regime, free, none, none)
    with pytest.raises(TypeError, match="positional"):
        largest_compatible_component_graph(regime, free, none, none)
    with pytest.raises(TypeError, match="positional"):
        free_flow_gdp_pair_share(regime, np.ones(2), free, none, none)
    with pytest.raises(TypeError, match="positional"):
        weighted_share(np.ones(2), np.ones(2))
