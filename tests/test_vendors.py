"""Specification of the 5G rules (connsim/decisions/vendors.py).

Security policy: open / core_excluded / banned by logit over
``U = security - swap - premium - retaliation + alignment + toolbox + status_quo``; procurement
of renewed capacity by logit over the vendors the policy allows; vendor quality following
revenue share (the "kiss of death" of core exclusion), export controls and Japan's push.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from connsim.decisions.vendors import (
    BANNED,
    CORE_EXCLUDED,
    OPEN,
    POLICY_TERMS,
    allowed_vendors,
    policy_utilities,
    premium_by_policy,
    procurement_shares,
    protection,
    renew_capacity,
    rip_years,
    shadow_price,
    vendor_quality,
    viable_trusted_vendors,
)
from connsim.weights import Weights

FAST = settings(max_examples=50, deadline=None)
rng_states = st.integers(0, 2**32 - 1)
# explicit, non-zero coefficients where a rule's direction is pinned, so parameter tuning of the
# defaults cannot silently flatten a test
MONO_W = Weights(kappa_security=2.5, kappa_cost=1.0, kappa_ret=2.0)
PROC_W = Weights(gamma_price=4.0, gamma_quality=4.0, gamma_reach=2.0, gamma_lockin=3.0, gamma_finance=2.0, gamma_risk=2.0)

# --- protection ---------------------------------------------------------------------------------


def test_protection_is_zero_for_open_pi_core_for_core_exclusion_and_one_for_a_ban():
    assert protection(0.6).tolist() == [0.0, 0.6, 1.0]
    assert protection(0.25).tolist() == [0.0, 0.25, 1.0]


def test_policy_indices_are_open_core_excluded_banned():
    assert (OPEN, CORE_EXCLUDED, BANNED) == (0, 1, 2)


# --- security-policy utility (capex-years): hand case -------------------------------------------

HAND_W = Weights(
    pi_core=0.5,
    kappa_security=2.0,
    kappa_cost=1.0,
    premium_horizon_years=8.0,
    alpha_income=0.5,
    kappa_ret=2.0,
    kappa_al=1.0,
    kappa_toolbox=0.5,
    kappa_status_quo=0.3,
    lifecycle_years=8.0,
    rip_rate=0.125,
)
# state 0: a member state, currently core_excluded; state 1: a third country, currently open
HAND = dict(
    threat=np.array([1.0, 0.2]),
    hr_core=np.array([0.4, 0.1]),
    hr_ran=np.array([0.5, 0.3]),
    premium=np.array([[0.0, 0.05, 0.1], [0.0, 0.02, 0.05]]),  # yearly premium per year of spend, per policy
    shadow_price=np.array([0.5, 2.0]),  # income 4 and 0.25 times the median, alpha 0.5
    trade_chn=np.array([0.1, 0.3]),
    align_us=np.array([0.8, 0.1]),
    align_cn=np.array([0.2, 0.5]),
    conflict=0.5,
    us_pressure=0.5,  # 0.5 + us_pressure = 1
    toolbox_pull=np.array([0.6, 0.0]),
    current=np.array([CORE_EXCLUDED, OPEN]),
)
# Each term by hand, protection pi = [0, 0.5, 1]; rip_years = 0.5 * 8 * 0.125 / (0.125 + 1/8) = 2:
HAND_TERMS = {
    # kappa_security * threat * pi
    "security": [[0.0, 1.0, 2.0], [0.0, 0.2, 0.4]],
    # -kappa_cost * shadow * rip_years * [0, hr_core, hr_core + hr_ran]
    "swap": [[0.0, -0.4, -0.9], [0.0, -0.4, -1.6]],
    # -kappa_cost * shadow * horizon * premium: 0.5 * 8 = 4 and 2 * 8 = 16
    "premium": [[0.0, -0.2, -0.4], [0.0, -0.32, -0.8]],
    # -kappa_ret * trade_chn * conflict * pi: 2*0.05 = 0.1 and 2*0.15 = 0.3
    "retaliation": [[0.0, -0.05, -0.1], [0.0, -0.15, -0.3]],
    # kappa_al * (align_us - align_cn) * conflict * (0.5 + us_pressure) * pi: 0.3 and -0.2
    "alignment": [[0.0, 0.15, 0.3], [0.0, -0.1, -0.2]],
    # kappa_toolbox * toolbox_pull on the restricting options, member states only
    "toolbox": [[0.0, 0.3, 0.3], [0.0, 0.0, 0.0]],
    # kappa_status_quo on the current option
    "status_quo": [[0.0, 0.3, 0.0], [0.3, 0.0, 0.0]],
}
HAND_TOTAL = [[0.0, 1.1, 1.2], [0.3, -0.77, -2.5]]


def _policy(w=HAND_W, **changes):
    return policy_utilities(**{**HAND, **changes}, w=w)


@pytest.mark.parametrize("term", POLICY_TERMS)
def test_policy_utility_term_matches_hand_computation(term):
    _, terms = _policy()
    assert terms[term] == pytest.approx(np.array(HAND_TERMS[term]), abs=1e-12)


def test_policy_utility_is_the_sum_of_exactly_the_recorded_terms():
    u, terms = _policy()
    assert tuple(terms) == POLICY_TERMS
    assert u == pytest.approx(np.array(HAND_TOTAL), abs=1e-12)
    assert u == pytest.approx(sum(terms.values()), abs=1e-12)


def test_rip_years_is_half_the_network_ripped_before_its_renewal():
    assert rip_years(HAND_W) == pytest.approx(2.0)
    assert rip_years(Weights(lifecycle_years=8.0, rip_rate=0.0)) == 0.0


def test_toolbox_pull_applies_only_to_member_state_rows_and_restricting_options():
    _, terms = _policy()
    assert terms["toolbox"][1].tolist() == [0.0, 0.0, 0.0]  # the third country
    assert terms["toolbox"][0, OPEN] == 0.0
    assert terms["toolbox"][0, CORE_EXCLUDED] == terms["toolbox"][0, BANNED] > 0


def test_status_quo_bonus_sits_on_the_current_option_only():
    for cur in (OPEN, CORE_EXCLUDED, BANNED):
        _, terms = _policy(current=np.array([cur, cur]))
        expected = np.zeros((2, 3))
        expected[:, cur] = HAND_W.kappa_status_quo
        assert terms["status_quo"] == pytest.approx(expected)


def test_the_shadow_price_of_money_is_clipped_so_the_poorest_weigh_costs_as_at_five_percent_of_the_median():
    p = shadow_price(np.array([0.001, 0.05, 4.0, 0.25, 100.0]), HAND_W)
    assert p.tolist() == pytest.approx([0.05**-0.5, 0.05**-0.5, 0.5, 2.0, 20**-0.5])


def test_costs_weigh_in_proportion_to_the_shadow_price():
    _, a = _policy(
        shadow_price=np.array([1.0, 3.0]),
        hr_core=np.array([0.4, 0.4]),
        hr_ran=np.array([0.5, 0.5]),
        premium=np.array([[0.0, 0.05, 0.1], [0.0, 0.05, 0.1]]),
    )
    assert a["premium"][1] == pytest.approx(3 * a["premium"][0])
    assert a["swap"][1] == pytest.approx(3 * a["swap"][0])


# --- the premium of each policy, from the state's own vendor mix ----------------------------------


def test_premium_by_policy_hand_case():
    # one state, two vendors (high-risk at price 1, trusted at 1.5) equally attractive in both layers
    utility = np.zeros((2, 2, 1))
    premium = premium_by_policy(utility, np.array([False, True]), np.array([1.0, 1.5]))
    # unrestricted: price 1.25 in each layer; excluding the high-risk vendor from a layer costs 0.25
    # there; half the yearly spend goes to each layer
    assert premium[0].tolist() == pytest.approx([0.0, 0.125, 0.25])


@FAST
@given(rng_states)
def test_premium_by_policy_is_zero_for_open_and_rises_with_protection(seed):
    r = np.random.default_rng(seed)
    utility = r.normal(size=(2, 4, 6))
    high_risk = np.array([True, True, False, False])
    price = np.array([1.0, 0.9, 1.3, 1.4])  # the trusted vendors cost more
    p = premium_by_policy(utility, ~high_risk, price)
    assert p.shape == (6, 3)
    assert p[:, OPEN] == pytest.approx(np.zeros(6), abs=1e-12)
    assert (p[:, CORE_EXCLUDED] > 0).all() and (p[:, BANNED] > p[:, CORE_EXCLUDED]).all()
    # the same as buying over each policy's allowed vendors (allowed_vendors), layer by layer
    allowed = np.array(allowed_vendors(np.arange(3), high_risk))  # (layer, policy, v)
    e = np.exp(utility)
    free = np.einsum("v,lvn->ln", price, e) / e.sum(axis=1)
    for k in range(3):
        m = e * allowed[:, k, :, None]
        expected = 0.5 * np.maximum(np.einsum("v,lvn->ln", price, m) / m.sum(axis=1) - free, 0).sum(axis=0)
        np.testing.assert_allclose(p[:, k], expected, atol=1e-12)


# --- security-policy utility: monotonicity --------------------------------------------------------


def _random_inputs(seed, n=5):
    r = np.random.default_rng(seed)
    premium = np.sort(r.uniform(0, 0.2, (n, 3)), axis=1)
    premium[:, 0] = 0.0
    return dict(
        threat=r.uniform(0, 2, n),
        hr_core=r.uniform(0, 1, n),
        hr_ran=r.uniform(0, 1, n),
        premium=premium,
        shadow_price=r.uniform(0.2, 3, n),
        trade_chn=r.uniform(0, 0.5, n),
        align_us=r.uniform(0, 1, n),
        align_cn=r.uniform(0, 1, n),
        conflict=float(r.uniform(0.05, 1)),
        us_pressure=float(r.uniform(0, 1)),
        toolbox_pull=r.uniform(0, 1, n) * (r.uniform(size=n) < 0.5),
        current=r.integers(0, 3, n),
    )


@FAST
@given(rng_states, st.floats(0.01, 1.0))
def test_higher_threat_raises_the_utility_of_a_ban_relative_to_open(seed, delta):
    x = _random_inputs(seed)
    u0, _ = policy_utilities(**x, w=MONO_W)
    u1, _ = policy_utilities(**{**x, "threat": x["threat"] + delta}, w=MONO_W)
    gain = (u1[:, BANNED] - u1[:, OPEN]) - (u0[:, BANNED] - u0[:, OPEN])
    assert gain == pytest.approx(np.full(5, MONO_W.kappa_security * delta))  # pi(banned) - pi(open) = 1
    assert (gain > 0).all()


@FAST
@given(rng_states, st.floats(0.01, 1.0))
def test_more_high_risk_core_lowers_core_exclusion_and_ban_relative_to_open(seed, delta):
    x = _random_inputs(seed)
    u0, _ = policy_utilities(**x, w=MONO_W)
    u1, _ = policy_utilities(**{**x, "hr_core": x["hr_core"] + delta}, w=MONO_W)
    shadow = x["shadow_price"]
    for option in (CORE_EXCLUDED, BANNED):
        change = (u1[:, option] - u1[:, OPEN]) - (u0[:, option] - u0[:, OPEN])
        assert change == pytest.approx(-MONO_W.kappa_cost * shadow * rip_years(MONO_W) * delta)
        assert (change < 0).all()


@FAST
@given(rng_states, st.floats(0.01, 0.5))
def test_more_trade_with_china_lowers_a_ban_relative_to_open_under_conflict(seed, delta):
    x = _random_inputs(seed)
    assert x["conflict"] > 0
    u0, _ = policy_utilities(**x, w=MONO_W)
    u1, _ = policy_utilities(**{**x, "trade_chn": x["trade_chn"] + delta}, w=MONO_W)
    change = (u1[:, BANNED] - u1[:, OPEN]) - (u0[:, BANNED] - u0[:, OPEN])
    assert change == pytest.approx(np.full(5, -MONO_W.kappa_ret * delta * x["conflict"]))
    assert (change < 0).all()


def test_trade_with_china_does_not_matter_without_conflict():
    u0, _ = _policy(conflict=0.0)
    u1, _ = _policy(conflict=0.0, trade_chn=np.array([0.9, 0.9]))
    assert u1 == pytest.approx(u0)


# --- allowed vendors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy, core, ran",
    [
        # vendors: [high-risk, trusted]
        (OPEN, [True, True], [True, True]),
        (CORE_EXCLUDED, [False, True], [True, True]),
        (BANNED, [False, True], [False, True]),
    ],
)
def test_allowed_vendors_truth_table(policy, core, ran):
    a_core, a_ran = allowed_vendors(np.array([policy]), np.array([1, 0]))
    assert a_core.tolist() == [core]
    assert a_ran.tolist() == [ran]


def test_allowed_vendors_is_row_per_state_and_accepts_boolean_high_risk_flags():
    core, ran = allowed_vendors(np.array([OPEN, BANNED, CORE_EXCLUDED]), np.array([True, False, True]))
    assert core.tolist() == [[True, True, True], [False, True, False], [False, True, False]]
    assert ran.tolist() == [[True, True, True], [False, True, False], [True, True, True]]


# --- procurement ---------------------------------------------------------------------------------


def _procure(w=PROC_W, **changes):
    base = dict(
        allowed=np.array([[True, True, True], [False, True, True]]),
        price=np.array([1.0, 1.2, 1.2]),
        quality=np.array([1.0, 0.9, 0.9]),
        reach=np.array([0.9, 1.0, 1.0]),
        installed=np.array([[0.5, 0.3, 0.2], [0.2, 0.4, 0.4]]),
        finance=np.zeros((2, 3)),
        threat=np.array([0.5, 1.0]),
        high_risk=np.array([1, 0, 0]),
    )
    base.update(changes)
    return procurement_shares(**base, w=w)


def test_procurement_rows_sum_to_one_and_disallowed_vendors_get_exactly_zero():
    s = _procure()
    assert s.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert s[1, 0] == 0.0
    assert (s[0] > 0).all()


def test_procurement_hand_case_two_vendors_differing_only_in_quality():
    w = Weights(gamma_quality=2.0)
    s = procurement_shares(
        np.ones((1, 2), bool),
        np.ones(2),
        np.array([0.5, 1.0]),
        np.ones(2),
        np.full((1, 2), 0.5),
        np.zeros((1, 2)),
        np.zeros(1),
        np.zeros(2),
        w,
    )
    # odds exp(2 * 0.5) = e
    assert s[0] == pytest.approx([1 / (1 + np.e), np.e / (1 + np.e)])


def test_procurement_higher_quality_vendor_gets_a_larger_share():
    s = _procure()
    assert s[1, 1] == s[1, 2]  # identical vendors for state 1
    q = _procure(quality=np.array([1.0, 0.9, 1.1]))
    assert q[1, 2] > q[1, 1]  # same price, reach, installed share: quality decides
    assert (q[:, 2] > s[:, 2]).all()


def test_procurement_tied_finance_raises_the_financed_vendors_share():
    s = _procure()
    f = _procure(finance=np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]))
    assert (f[:, 1] > s[:, 1]).all()
    assert f[1, 0] == 0.0  # finance never unlocks a disallowed vendor


def test_procurement_higher_threat_lowers_the_high_risk_vendors_share():
    s = _procure()
    t = _procure(threat=np.array([1.5, 1.0]))
    assert t[0, 0] < s[0, 0]


def test_procurement_vendor_constant_defaults_to_zero_and_shifts_log_odds():
    s = _procure()
    assert _procure(constant=np.zeros(3)) == pytest.approx(s, abs=1e-15)
    assert _procure(constant=np.full(3, 2.5)) == pytest.approx(s, abs=1e-12)  # a common shift changes nothing
    c = _procure(constant=np.array([0.0, np.log(2.0), 0.0]))
    # state 1: vendors 1 and 2 tied before, vendor 1 now twice as likely
    assert c[1, 1] / c[1, 2] == pytest.approx(2.0)
    assert c[1, 0] == 0.0


# --- renewal and rip-and-replace -------------------------------------------------------------------


def test_renew_capacity_hand_case_disallowed_share_shrinks_by_renewal_and_rip_rate():
    installed = np.array([[0.6, 0.4]])
    allowed = np.array([[False, True]])
    new_shares = np.array([[0.0, 1.0]])
    after, ripped, bought = renew_capacity(installed, new_shares, allowed, renewal=0.1, rip_rate=0.2)
    # kept = [0.54, 0.36]; ripped = 0.2 * 0.54 = 0.108; disallowed left 0.6 * 0.9 * 0.8 = 0.432
    assert ripped == pytest.approx([0.108])
    assert after == pytest.approx(np.array([[0.432, 0.568]]))
    # bought = renewal + ripped = 0.208, all from the allowed vendor
    assert bought == pytest.approx(np.array([[0.0, 0.208]]))


def test_renew_capacity_without_disallowed_equipment_rips_nothing():
    installed = np.array([[0.7, 0.3]])
    after, ripped, bought = renew_capacity(installed, np.array([[0.5, 0.5]]), np.ones((1, 2), bool), 0.125, 0.9)
    assert ripped.tolist() == [0.0]
    assert bought == pytest.approx(np.array([[0.0625, 0.0625]]))
    assert after == pytest.approx(np.array([[0.7 * 0.875 + 0.0625, 0.3 * 0.875 + 0.0625]]))


def test_renew_capacity_installed_shares_still_sum_to_one_and_bought_is_renewal_plus_ripped():
    installed = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    allowed = np.array([[False, True, True], [True, False, False]])
    new_shares = np.array([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])
    after, ripped, bought = renew_capacity(installed, new_shares, allowed, 0.125, 0.15)
    assert after.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert bought.sum(axis=1) == pytest.approx(0.125 + ripped)


# --- vendor quality ------------------------------------------------------------------------------

Q19 = np.array([0.8, 0.8])
SH19 = np.array([0.5, 0.5])
NONE = np.zeros(2)


def test_quality_unchanged_at_2019_revenue_share_without_push_or_controls(weights):
    q = vendor_quality(Q19.copy(), Q19, SH19, SH19, NONE, NONE, 1.0, weights)
    assert q == pytest.approx(Q19, abs=1e-15)


def test_quality_falls_when_revenue_share_falls_kiss_of_death_hand_case():
    w = Weights(rd_elasticity=0.5, quality_adjustment=0.25)
    q = vendor_quality(Q19.copy(), Q19, np.array([0.25, 0.5]), SH19, NONE, NONE, 1.0, w)
    # target = 0.8 * 0.5 ** 0.5; q' = 0.8 + 0.25 * (target - 0.8)
    assert q[0] == pytest.approx(0.8 + 0.25 * (0.8 * 0.5**0.5 - 0.8))
    assert q[0] < 0.8 and q[1] == pytest.approx(0.8)


def test_quality_moves_a_share_dt_times_adjustment_of_the_way_to_target():
    w = Weights(rd_elasticity=1.0, quality_adjustment=0.5)
    q = vendor_quality(np.array([0.4]), np.array([0.8]), np.array([0.5]), np.array([0.5]), np.zeros(1), np.zeros(1), 0.5, w)
    assert q == pytest.approx([0.4 + 0.25 * 0.4])


def test_export_control_lowers_quality_and_full_control_caps_target_at_one_minus_drag():
    w = Weights(export_control_drag=0.3, quality_adjustment=1.0)
    q = vendor_quality(Q19.copy(), Q19, SH19, SH19, np.array([1.0, 0.0]), NONE, 1.0, w)
    assert q[0] == pytest.approx(0.8 * 0.7)
    assert q[1] == pytest.approx(0.8)


def test_japanese_push_raises_quality():
    w = Weights(push_quality=0.5, quality_adjustment=1.0)
    q19 = np.array([0.6, 0.6])
    q = vendor_quality(q19.copy(), q19, SH19, SH19, NONE, np.array([0.0, 1.0]), 1.0, w)
    assert q[1] == pytest.approx(0.6 * 1.5)
    assert q[0] == pytest.approx(0.6)


def test_quality_target_is_clipped_to_0_05_and_the_2019_frontier_1_0():
    w = Weights(quality_adjustment=1.0, push_quality=3.0, rd_elasticity=1.0)
    q = vendor_quality(
        np.array([0.9, 0.5]),
        np.array([0.9, 0.5]),
        np.array([0.5, 1e-9]),
        np.array([0.5, 0.5]),
        np.zeros(2),
        np.array([1.0, 0.0]),
        1.0,
        w,
    )
    assert q == pytest.approx([1.0, 0.05])


# --- viable trusted vendors ----------------------------------------------------------------------


def test_viable_trusted_vendors_hand_case_home_vendors_count_only_at_home():
    w = Weights(viable_quality=0.6, viable_reach=0.3)
    # 0 high-risk, excellent, home state 1      -> never counts
    # 1 trusted, global, home state 1           -> counts everywhere, once at home
    # 2 trusted, too small to go abroad, home 2 -> counts only for state 2
    # 3, 4 trusted, weak, both home state 0     -> count twice for state 0 only (NEC and Fujitsu)
    # 5 trusted, weak, no home state (-1)       -> never counts
    high_risk = np.array([1, 0, 0, 0, 0, 0])
    quality = np.array([1.0, 0.9, 0.8, 0.5, 0.55, 0.4])
    reach = np.array([1.0, 1.0, 0.1, 0.15, 0.1, 0.9])
    origin = np.array([1, 1, 2, 0, 0, -1])
    counts = viable_trusted_vendors(high_risk, quality, reach=reach, origin_index=origin, n_states=4, w=w)
    assert counts.tolist() == [3, 1, 2, 1]


def test_viable_trusted_vendor_thresholds_are_inclusive():
    w = Weights(viable_quality=0.6, viable_reach=0.3)
    counts = viable_trusted_vendors(
        np.array([0]), np.array([0.6]), reach=np.array([0.3]), origin_index=np.array([-1]), n_states=2, w=w
    )
    assert counts.tolist() == [1, 1]


# --- properties ------------------------------------------------------------------------------------


@st.composite
def procurement_inputs(draw):
    n = draw(st.integers(1, 5))
    v = draw(st.integers(1, 7))
    unit = st.floats(0.0, 1.0)
    allowed = draw(hnp.arrays(bool, (n, v)))
    allowed[np.arange(n), draw(hnp.arrays(np.int64, n, elements=st.integers(0, v - 1)))] = True  # >= 1 per row
    raw = draw(hnp.arrays(np.float64, (n, v), elements=st.floats(0.0, 1.0))) + 1e-3
    installed = raw / raw.sum(axis=1, keepdims=True)
    return (
        dict(
            allowed=allowed,
            price=draw(hnp.arrays(np.float64, v, elements=st.floats(0.5, 2.0))),
            quality=draw(hnp.arrays(np.float64, v, elements=st.floats(0.05, 1.5))),
            reach=draw(hnp.arrays(np.float64, v, elements=unit)),
            installed=installed,
            finance=draw(hnp.arrays(np.float64, (n, v), elements=unit)),
            threat=draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 2.0))),
            high_risk=draw(hnp.arrays(np.int64, v, elements=st.integers(0, 1))),
        ),
        draw(st.floats(0.0, 1.0)),
        draw(st.floats(0.0, 1.0)),
    )


weights_strategy = st.builds(
    Weights,
    gamma_price=st.floats(0, 20),
    gamma_quality=st.floats(0, 20),
    gamma_reach=st.floats(0, 20),
    gamma_lockin=st.floats(0, 20),
    gamma_finance=st.floats(0, 20),
    gamma_risk=st.floats(0, 20),
)


@FAST
@given(procurement_inputs(), weights_strategy)
def test_procurement_and_renewal_keep_valid_distributions_for_random_inputs(inputs, w):
    x, renewal, rip = inputs
    s = procurement_shares(**x, w=w)
    assert not np.isnan(s).any()
    assert ((s >= 0) & (s <= 1)).all()
    assert s.sum(axis=1) == pytest.approx(np.ones(s.shape[0]))
    assert (s[~x["allowed"]] == 0).all()
    after, ripped, bought = renew_capacity(x["installed"], s, x["allowed"], renewal, rip)
    assert not np.isnan(after).any()
    assert ((after >= 0) & (after <= 1 + 1e-12)).all()
    assert after.sum(axis=1) == pytest.approx(np.ones(s.shape[0]))
    assert (ripped >= 0).all() and (bought >= -1e-15).all()
    assert bought.sum(axis=1) == pytest.approx(renewal + ripped)
    # disallowed equipment never grows
    assert (after[~x["allowed"]] <= x["installed"][~x["allowed"]] + 1e-15).all()


def test_calibrated_vendor_constants_reproduce_the_target_world_shares():
    from connsim.decisions.vendors import calibrate_constants

    x = dict(
        allowed=np.ones((3, 3), bool),
        price=np.array([1.0, 1.2, 1.25]),
        quality=np.array([1.0, 0.9, 0.5]),
        reach=np.array([0.9, 1.0, 0.1]),
        installed=np.full((3, 3), 1 / 3),
        finance=np.zeros((3, 3)),
        threat=np.array([0.2, 0.5, 1.0]),
        high_risk=np.array([1, 0, 0]),
    )
    market = np.array([0.5, 0.3, 0.2])
    target = np.array([0.3, 0.6, 0.1])
    c = calibrate_constants(target, market, lambda k: procurement_shares(**x, w=PROC_W, constant=k), iterations=500)
    assert market @ procurement_shares(**x, w=PROC_W, constant=c) == pytest.approx(target, abs=1e-5)
    assert c.mean() == pytest.approx(0.0, abs=1e-12)


def test_procurement_shares_are_logit_shares_of_procurement_utilities_with_precomputed_terms_equal():
    from connsim.decisions.vendors import logit_shares, procurement_utilities

    x = dict(
        price=np.array([1.0, 1.2, 1.25]),
        quality=np.array([1.0, 0.9, 0.5]),
        reach=np.array([0.9, 1.0, 0.1]),
        installed=np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]),
        finance=np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]),
        threat=np.array([0.2, 1.0]),
        high_risk=np.array([1, 0, 0]),
    )
    allowed = np.array([[True, True, True], [False, True, True]])
    v = procurement_utilities(**x, w=PROC_W)
    v_pre = procurement_utilities(
        **x,
        w=PROC_W,
        finance_term=PROC_W.gamma_finance * x["finance"],
        risk_term=PROC_W.gamma_risk * x["threat"][:, None] * x["high_risk"][None, :],
    )
    assert v_pre == pytest.approx(v, abs=1e-12)
    assert procurement_shares(allowed, **x, w=PROC_W) == pytest.approx(logit_shares(v, allowed), abs=1e-15)
    # V by hand for state 0, vendor 1: -4*1.2 + 4*0.9 + 2*1.0 + 3*0.3 + 2*1.0 - 0
    assert v[0, 1] == pytest.approx(-4.8 + 3.6 + 2.0 + 0.9 + 2.0)


def test_renew_capacity_works_on_stacked_layers_like_on_each_layer():
    installed = np.array([[[0.6, 0.4]], [[0.3, 0.7]]])  # (layers, n, v)
    allowed = np.array([[[False, True]], [[True, True]]])
    new = np.array([[[0.0, 1.0]], [[0.5, 0.5]]])
    stacked = renew_capacity(installed, new, allowed, 0.1, 0.2)
    for layer in range(2):
        single = renew_capacity(installed[layer], new[layer], allowed[layer], 0.1, 0.2)
        for a, b in zip(stacked, single):
            assert a[layer] == pytest.approx(b)


@FAST
@given(procurement_inputs(), weights_strategy)
def test_batch_procure_on_vendor_major_layers_equals_the_per_state_rules(inputs, w):
    """The model's batch form (both layers, arrays (layer, vendor, state)) buys what
    procurement_shares + renew_capacity buy state by state, layer by layer."""
    from connsim.decisions.vendors import procure, vendor_terms

    x, renewal, rip = inputs
    layers = [x, {**x, "allowed": np.ones_like(x["allowed"]), "installed": x["installed"][:, ::-1].copy()}]
    constant = np.array([[0.0] * x["price"].size, np.linspace(-1, 1, x["price"].size)])
    per_vendor = vendor_terms(x["price"], x["quality"], x["reach"], w, constant)[:, 0, :, None]
    fixed = per_vendor + (w.gamma_finance * x["finance"].T - w.gamma_risk * x["high_risk"][:, None] * x["threat"])
    installed = np.stack([layer["installed"].T for layer in layers])
    allowed = np.stack([layer["allowed"].T for layer in layers])
    updated, new, unrestricted, room, ripped = procure(installed, allowed, fixed, w.gamma_lockin, renewal, rip)
    for k, layer in enumerate(layers):
        args = {key: value for key, value in layer.items() if key != "allowed"}
        shares = procurement_shares(layer["allowed"], **args, w=w, constant=constant[k])
        free = procurement_shares(np.ones_like(layer["allowed"]), **args, w=w, constant=constant[k])
        after, ripped_k, bought = renew_capacity(layer["installed"], shares, layer["allowed"], renewal, rip)
        np.testing.assert_allclose(new[k].T, shares, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(unrestricted[k].T, free, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(updated[k].T, after, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ripped[k], ripped_k, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(room[k][:, None] * new[k].T, bought, rtol=1e-9, atol=1e-12)
