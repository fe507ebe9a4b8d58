"""5G: how a state sets its security policy toward high-risk vendors, and buys equipment.

The paper ("Telecommunications infrastructure"): Japan shut Huawei out by allowing only
trusted operators; Western European capitals kept Huawei out of the *core* while allowing it
on the periphery, a compromise some call a "kiss of death" because development grows from the
core; EU member states started from different 4G suppliers and weigh costs and risks
differently; governments risk being "forced into a choice between a limited number of
operators" unless NEC and Fujitsu become global players.

Rules, for every state at once:

* threat perception ``theta`` moves toward security culture + the share of security partners
  already restricting + the pull of western against Chinese ODA partners; member states are
  pulled toward the EU's mean assessment by the toolbox, and toward Japan's by information sharing;
* a revising state picks ``open`` / ``core_excluded`` / ``banned`` by logit over
  ``U = security - swap - premium - retaliation + alignment + toolbox + status_quo``, in
  capex-years (years of its own network-equipment spend): ``swap`` and ``premium`` are the US$
  costs of autonomy the scorecard reports, the premium from the state's own vendor mix;
* a share of core and radio capacity renews each step and is split over the vendors the policy
  allows by logit over price, quality, lock-in, tied finance and trust;
* a vendor's quality follows its revenue share, with the core weighted more than the radio
  network; export controls under a hard conflict slow the sanctioned vendors, and Japan's push
  raises NEC's and Fujitsu's quality and reach;
* what autonomy costs: equipment ripped out early, and the premium over what the state would
  have bought with no restriction (the costs the strategic-autonomy scorecard reports).

:func:`procure` is the whole procurement step as the model runs it (vendor-major arrays);
:func:`procurement_shares` and :func:`renew_capacity` are the same rule state by state, kept as
the readable reference and tested equal to it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from connsim.choice import Terms, row_max, row_sum
from connsim.names import POLICIES

__all__ = [
    "POLICIES",
    "POLICY_TERMS",
    "protection",
    "threat_perception",
    "BlocWeights",
    "bloc_weights",
    "security_peers",
    "premium_by_policy",
    "rip_years",
    "shadow_price",
    "policy_utilities",
    "allowed_vendors",
    "procurement_shares",
    "procurement_utilities",
    "vendor_terms",
    "logit_shares",
    "renew_capacity",
    "procure",
    "allowed_by_policy",
    "autonomy_cost",
    "revenue_shares",
    "export_control",
    "vendor_quality",
    "vendor_reach",
    "viable_trusted_vendors",
    "calibrate_constants",
    "calibrate_vendor_constants",
]

OPEN, CORE_EXCLUDED, BANNED = range(3)
#: Which layer a policy restricts: the core from ``core_excluded`` on, the radio network under ``banned``.
RESTRICTED_BY_POLICY = np.array([np.arange(3) >= CORE_EXCLUDED, np.arange(3) == BANNED])  # (layer, policy)
_HALF_RESTRICTED = 0.5 * RESTRICTED_BY_POLICY.T.astype(float)  # (policy, layer): half the spend per layer
_IDENTITY = np.eye(len(POLICIES))
#: The terms of the security-policy utility, in the order they are recorded.
POLICY_TERMS = ("security", "swap", "premium", "retaliation", "alignment", "toolbox", "status_quo")


def protection(pi_core: float) -> np.ndarray:
    """Protection of each policy: open 0, core_excluded ``pi_core``, banned 1."""
    return np.array([0.0, pi_core, 1.0])


def threat_perception(
    threat: np.ndarray,
    *,
    security_culture: np.ndarray,
    peer_restricting: np.ndarray,
    oda_pull: np.ndarray,
    member_state: np.ndarray,
    toolbox: float,
    infoshare: float,
    japan_threat: float,
    dt: float,
    w,
    data_tie: np.ndarray | None = None,
    capacity_built: np.ndarray | None = None,
) -> np.ndarray:
    """Next threat perception of every state, 0..2 (partial adjustment per year, times ``dt``).

    Target = security culture + w_peer * share of security partners restricting + w_oda * (western
    minus Chinese ODA partnership strength) + kappa_data_risk * ``data_tie`` (0..1: half for a
    protect or trust law, half for an adequacy tie: a state that guards personal data weighs
    high-risk vendors' data risk more) + kappa_capacity_security * ``capacity_built`` (capacity
    built since the start: capacity building serves network security too). Member states also move toward the EU mean threat (rate
    w_eu * toolbox) and up toward Japan's threat (rate w_jp * infoshare): the paper's Track 1.5
    exchange with partners "who know China better than most Europeans". Alignment with the US is
    not here: it reaches the 5G decision once, as the alignment pressure of :func:`policy_utilities`.
    All arrays (n,).
    """
    target = security_culture + w.w_peer * peer_restricting + w.w_oda * oda_pull
    if data_tie is not None:
        target = target + w.kappa_data_risk * data_tie
    if capacity_built is not None:
        target = target + w.kappa_capacity_security * capacity_built
    change = w.threat_adjustment * (target - threat)
    if member_state.any():
        eu = threat[member_state]
        eu_mean = np.add.reduce(eu) / eu.shape[0]  # eu.mean(), without its Python wrapper
        pull = w.w_eu * toolbox * (eu_mean - threat) + w.w_jp * infoshare * np.maximum(0.0, japan_threat - threat)
        change += pull * member_state
    return np.minimum(np.maximum(threat + dt * change, 0.0), 2.0)  # np.clip, without its overhead


class BlocWeights(NamedTuple):
    """Security-bloc membership and what :func:`security_peers` derives from it, once per run."""

    membership: np.ndarray  # (n, blocs) 0/1
    other_members: np.ndarray  # (blocs,) 1 / (members - 1), 0 for a bloc of one
    degree: np.ndarray  # (n,) sum over a state's blocs of 1 / (members - 1)
    n_blocs: np.ndarray  # (n,) number of blocs a state belongs to
    per_bloc: np.ndarray  # (n,) 1 / n_blocs, 0 for a state in no bloc


def bloc_weights(membership: np.ndarray) -> BlocWeights:
    """The constants of :func:`security_peers` for a (n, blocs) 0/1 membership array."""
    sizes = membership.sum(axis=0)
    inv = np.where(sizes > 1, 1.0 / np.maximum(sizes - 1, 1), 0.0)
    count = membership.sum(axis=1)
    return BlocWeights(membership, inv, membership @ inv, count, np.where(count > 0, 1.0 / np.maximum(count, 1), 0.0))


def security_peers(restricting: np.ndarray, blocs: BlocWeights) -> np.ndarray:
    """Share of each state's security partners that restrict high-risk vendors: (n,).

    Parameters
    ----------
    restricting : (n,) booleans (or 0/1): the state restricts (policy above ``open``).
    blocs : the security-bloc membership (NATO, Five Eyes, SCO, ...) and its weights (:func:`bloc_weights`).

    Notes
    -----
    For each bloc of a state, the share of the bloc's *other* members that restrict; averaged over
    the state's blocs (0 for a state in no bloc). Two products with the (n, blocs) membership:
    O(n x blocs), never n x n.
    """
    r = np.asarray(restricting, dtype=float)
    m = blocs.membership
    others = m @ ((m.T @ r) * blocs.other_members) - r * blocs.degree
    return others * blocs.per_bloc


def premium_by_policy(utility: np.ndarray, trusted: np.ndarray, price: np.ndarray) -> np.ndarray:
    """The trusted-vendor premium each policy would cost each state, per year: (n, 3) capex-years.

    Parameters
    ----------
    utility : (layer, v, n) each state's procurement utility of each vendor (lock-in included).
    trusted : (v,) booleans: the vendors no policy excludes.
    price : (v,) price index.

    Notes
    -----
    A policy leaves a layer open to every vendor or to the trusted ones only (``RESTRICTED_BY_POLICY``).
    On a restricted layer, the premium is the price of what the state would buy from its trusted
    vendors less the price of what it would buy with no restriction, from its own vendor mix (logit
    shares of its own utilities); half of the yearly spend goes to each layer. This is the premium
    the strategic-autonomy scorecard counts (``premium_paid``), per year of the state's spend.
    O(layer x v x n).
    """
    e = np.exp(utility - np.maximum.reduce(utility, axis=1, keepdims=True))  # (layer, v, n)
    free = price @ e / np.add.reduce(e, axis=1)  # (layer, n): the unrestricted price
    et = e[:, trusted, :]
    gap = np.maximum(price[trusted] @ et / np.add.reduce(et, axis=1) - free, 0.0)  # (layer, n): the premium of restricting it
    return (_HALF_RESTRICTED @ gap).T  # (n, policy)


def shadow_price(income: np.ndarray, w) -> np.ndarray:
    """The shadow price of money of each state: ``income ** -alpha_income``, with income (GDP per
    capita relative to the world median) clipped to 0.05..20, so the poorest feel costs as at 5% of
    the median: (n,)."""
    return np.minimum(np.maximum(income, 0.05), 20.0) ** -w.alpha_income


def rip_years(w) -> float:
    """Capex-years of equipment ripped out early per unit of installed high-risk share of a layer
    that a policy disallows: half the network's value (``lifecycle_years / 2``) times the part of it
    ripped before its natural renewal (``rip_rate / (rip_rate + 1 / lifecycle_years)``)."""
    return 0.5 * w.lifecycle_years * w.rip_rate / (w.rip_rate + 1.0 / w.lifecycle_years)


def policy_utilities(
    threat: np.ndarray,
    hr_core: np.ndarray,
    hr_ran: np.ndarray,
    *,
    premium: np.ndarray,
    shadow_price: np.ndarray,
    trade_chn: np.ndarray,
    align_us: np.ndarray,
    align_cn: np.ndarray,
    conflict: float,
    us_pressure: float,
    toolbox_pull: np.ndarray,
    current: np.ndarray,
    w,
    expected_retaliation: float | None = None,
) -> tuple[np.ndarray, Terms]:
    """Utility of open / core_excluded / banned for every state: (n, 3) and its terms, in capex-years
    (years of the state's own network-equipment spend).

    Parameters
    ----------
    threat : (n,) threat perception; hr_core, hr_ran : (n,) installed high-risk shares.
    premium : (n, 3) the yearly trusted-vendor premium of each policy (:func:`premium_by_policy`).
    shadow_price : (n,) what a unit of cost weighs for each state (:func:`shadow_price`): poorer
        states feel costs more.
    trade_chn : (n,) trade share with China; align_us, align_cn : (n,) alignment with the US and China.
    conflict, us_pressure : the levers, 0..1; toolbox_pull : (n,) the EU toolbox for member states, else 0.
    current : (n,) the policy held.
    expected_retaliation : 0..1, what states expect of China from what it has done
        (:mod:`connsim.decisions.powers`); None: the conflict's intensity.

    Notes
    -----
    ``swap`` and ``premium`` are the US$ costs the scorecard reports (rip-and-replace, and
    ``premium_horizon_years`` of premium), divided by the state's yearly spend; alignment enters
    once, as ``alignment``. O(n).
    """
    pi = protection(w.pi_core)
    n = threat.shape[0]
    shadow = shadow_price[:, None]
    block = np.empty((len(POLICY_TERMS), n, 3))
    security, swap, premium_term, retaliation, alignment, toolbox, status_quo = block
    np.multiply((w.kappa_security * threat)[:, None], pi, out=security)
    exposure = swap  # high-risk share of the layers each policy disallows: 0, core, core + radio
    exposure[:, 0] = 0.0
    exposure[:, 1] = hr_core
    np.add(hr_core, hr_ran, out=exposure[:, 2])
    exposure *= -w.kappa_cost * rip_years(w) * shadow
    np.multiply(-w.kappa_cost * w.premium_horizon_years * shadow, premium, out=premium_term)
    fear = conflict if expected_retaliation is None else expected_retaliation
    np.multiply((-w.kappa_ret * fear * trade_chn)[:, None], pi, out=retaliation)
    np.multiply((w.kappa_al * conflict * (0.5 + us_pressure) * (align_us - align_cn))[:, None], pi, out=alignment)
    np.multiply((w.kappa_toolbox * toolbox_pull)[:, None], pi > 0, out=toolbox)
    (w.kappa_status_quo * _IDENTITY).take(current, axis=0, out=status_quo)  # on the current policy
    terms = Terms(POLICY_TERMS, block)
    return terms.total(), terms


def allowed_vendors(policy: np.ndarray, high_risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which vendors each state may buy from, for (core, radio): two (n, v) boolean arrays."""
    trusted = ~high_risk.astype(bool)
    core = (policy[:, None] == OPEN) | trusted[None, :]
    ran = (policy[:, None] != BANNED) | trusted[None, :]
    return core, ran


def procurement_shares(
    allowed: np.ndarray,
    price: np.ndarray,
    quality: np.ndarray,
    reach: np.ndarray,
    installed: np.ndarray,
    finance: np.ndarray,
    threat: np.ndarray,
    high_risk: np.ndarray,
    w,
    constant: np.ndarray | None = None,
) -> np.ndarray:
    """Shares of new capacity each state buys from each vendor: (n, v), rows sum to 1.

    Logit over the allowed vendors of
    ``V = constant + -g_price*price + g_quality*quality + g_reach*reach + g_lockin*installed
    + g_finance*tied finance - g_risk*threat*high_risk``, where ``constant`` (per vendor, not
    per state) stands for everything about a vendor the other terms miss; the model calibrates
    it so that 2019 purchases reproduce the 2019 market shares.
    """
    v = procurement_utilities(price, quality, reach, installed, finance, threat, high_risk, w, constant)
    return logit_shares(v, allowed)


def vendor_terms(price: np.ndarray, quality: np.ndarray, reach: np.ndarray, w, constant: np.ndarray | None = None) -> np.ndarray:
    """The per-vendor part of the procurement utility, (1, v): constant, price, quality, reach
    (``(layers, 1, v)`` for a stacked ``(layers, v)`` constant)."""
    return (
        (0.0 if constant is None else constant[..., None, :])
        - w.gamma_price * price[None, :]
        + w.gamma_quality * quality[None, :]
        + w.gamma_reach * reach[None, :]
    )


def procurement_utilities(
    price: np.ndarray,
    quality: np.ndarray,
    reach: np.ndarray,
    installed: np.ndarray,
    finance: np.ndarray,
    threat: np.ndarray,
    high_risk: np.ndarray,
    w,
    constant: np.ndarray | None = None,
    *,
    finance_term: np.ndarray | None = None,
    risk_term: np.ndarray | None = None,
) -> np.ndarray:
    """Utility ``V`` of buying from each vendor (see :func:`procurement_shares`), before the
    policy masks it: (n, v), or (layers, n, v) for stacked ``installed`` and (layers, 1, v)
    ``constant``. ``finance_term`` (``g_finance * finance``) and ``risk_term``
    (``g_risk * threat * high_risk``) may be passed precomputed; the sum is the same."""
    base = vendor_terms(price, quality, reach, w, constant)
    if finance_term is None:
        finance_term = w.gamma_finance * finance
    if risk_term is None:
        risk_term = w.gamma_risk * threat[:, None] * high_risk[None, :]
    return base + w.gamma_lockin * installed + finance_term - risk_term


def logit_shares(utilities: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Row-wise logit shares over the last axis, options not ``allowed`` excluded."""
    v = np.array(utilities, dtype=float) if allowed is None else np.where(allowed, utilities, -np.inf)  # a new array
    np.subtract(v, row_max(v)[..., None], out=v)
    e = np.exp(v, out=v)
    return np.divide(e, row_sum(e)[..., None], out=e)


def renew_capacity(
    installed: np.ndarray, new_shares: np.ndarray, allowed: np.ndarray, renewal: float, rip_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of renewal and rip-and-replace: (installed', ripped, bought).

    A share ``renewal`` of the network is replaced at the new-capacity shares. Installed
    equipment of a vendor the policy no longer allows is also removed at ``rip_rate`` and
    replaced the same way. ``ripped`` (n,) is the share of each state's network removed early
    (the rip-and-replace paid); ``bought`` (n, v) what each state bought from each vendor.
    """
    kept = installed * (1.0 - renewal)
    ripped = row_sum(np.where(allowed, 0.0, kept * rip_rate))
    kept = np.where(allowed, kept, kept * (1.0 - rip_rate))
    bought = (1.0 - row_sum(kept))[..., None] * new_shares
    return kept + bought, ripped, bought


def procure(
    installed: np.ndarray,
    allowed: np.ndarray,
    fixed_utility: np.ndarray,
    lockin: float,
    renewal: float,
    rip_rate: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step of procurement for every state and both layers at once, as the model runs it.

    The rule is :func:`procurement_shares` followed by :func:`renew_capacity`, written for
    *vendor-major* arrays ``(layers, vendors, states)``: every sum and maximum over the vendors
    is then one operation on whole rows of states, not a loop over short rows (about five times
    faster). ``fixed_utility`` is the procurement utility without the lock-in term (broadcast
    to ``installed``); ``lockin`` is ``gamma_lockin``.

    Returns ``(updated, new, unrestricted, room, ripped)``: the installed shares after the step;
    the shares of new capacity over the allowed vendors and over all vendors (what the state
    would buy with no restriction: the premium of autonomy is their price difference); the
    share of each network bought this step (``room``: renewal plus rip-and-replace,
    ``(layers, states)``, so that ``bought = room * new``); and the share ripped out early.
    ``tests/test_vendors.py`` checks it against the per-state functions on random inputs.
    """
    utility = fixed_utility + lockin * installed
    best_allowed = np.maximum.reduce(np.where(allowed, utility, -np.inf), axis=-2, keepdims=True)
    e = np.exp(utility - best_allowed)  # allowed options <= 1; the policy always allows someone
    unrestricted = e / np.add.reduce(e, axis=-2, keepdims=True)
    e *= allowed
    new = np.divide(e, np.add.reduce(e, axis=-2, keepdims=True), out=e)
    kept = installed * (1.0 - renewal)
    lost = kept * (rip_rate * ~allowed)  # disallowed equipment ripped out early
    ripped = np.add.reduce(lost, axis=-2)
    kept -= lost
    room = 1.0 - np.add.reduce(kept, axis=-2)
    kept += room[..., None, :] * new
    return kept, new, unrestricted, room, ripped


def allowed_by_policy(high_risk: np.ndarray) -> np.ndarray:
    """Which vendors each policy allows, per layer: (layer, vendor, policy) booleans, so that
    ``np.take(allowed, policy, axis=-1)`` is every state's (layer, vendor, state) mask."""
    allowed = np.array(allowed_vendors(np.arange(len(POLICIES)), high_risk))  # (layer, policy, vendor)
    return np.ascontiguousarray(allowed.transpose(0, 2, 1))


def autonomy_cost(
    new: np.ndarray,
    unrestricted: np.ndarray,
    room: np.ndarray,
    ripped: np.ndarray,
    policy: np.ndarray,
    *,
    price: np.ndarray,
    network_value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """What restricting high-risk vendors cost each state in one step, US$: (premium, rip) (n,) each.

    Parameters
    ----------
    new, unrestricted : (layer, v, n) shares of new capacity over the allowed vendors and over all
        vendors (what the state would have bought with no restriction), from :func:`procure`.
    room : (layer, n) share of each network bought this step; ripped : (layer, n) share ripped out early.
    policy : (n,) policy indices.
    price : (v,) price index.
    network_value : (n,) replacement value of a state's whole network, US$; each layer is half of it.

    Notes
    -----
    The premium is the price difference between what was bought and what would have been bought
    with no restriction, on the layers the policy restricts; the rip cost is the value of the
    equipment ripped out early. These are the costs the strategic-autonomy scorecard sums.
    """
    restricted = RESTRICTED_BY_POLICY.take(policy, axis=1)  # (layer, n)
    half_value = 0.5 * network_value
    premium = room * (price @ (new - unrestricted))  # (layer, n)
    cost = half_value * np.where(restricted, np.maximum(premium, 0.0), 0.0)
    return cost[0] + cost[1], half_value * (ripped[0] + ripped[1])


def revenue_shares(sold: np.ndarray, omega_core: float) -> np.ndarray:
    """Each vendor's share of revenue, core sales weighted ``omega_core`` times radio sales.
    ``sold`` (layer, v): what each vendor sold in each layer (market-weighted)."""
    revenue = omega_core * sold[0] + sold[1]
    return revenue / revenue.sum()


def export_control(conflict: float, high_risk: np.ndarray, hard_conflict: float) -> np.ndarray:
    """Export-control intensity on each vendor, 0..1: zero until the conflict passes
    ``hard_conflict``, then rising linearly to 1 at full conflict, on high-risk vendors only."""
    hard = max(0.0, conflict - hard_conflict) / max(1e-9, 1.0 - hard_conflict)
    return np.where(high_risk, hard, 0.0)


def vendor_reach(reach: np.ndarray, push: np.ndarray, dt: float, w) -> np.ndarray:
    """Global reach after a step: a state push (Japan's, for NEC and Fujitsu) widens it by
    ``push_reach`` a year at full push; reach stays in 0..1."""
    return np.minimum(np.maximum(reach + dt * w.push_reach * push, 0.0), 1.0)


def vendor_quality(
    quality: np.ndarray,
    quality_2019: np.ndarray,
    revenue_share: np.ndarray,
    revenue_share_2019: np.ndarray,
    export_control: np.ndarray,
    push: np.ndarray,
    dt: float,
    w,
) -> np.ndarray:
    """Quality moves toward a level set by R&D, which grows with revenue share.

    ``target = quality_2019 * (revenue_share / revenue_share_2019) ** elasticity``, lowered by
    export controls (``export_control`` in [0, 1] per vendor) and raised by a state push
    (Japan's for NEC and Fujitsu). Revenue shares weight core sales ``omega`` times radio sales,
    so exclusion from the core erodes a vendor's quality: the "kiss of death".
    """
    ratio = np.maximum(revenue_share, 1e-6) / np.maximum(revenue_share_2019, 1e-6)
    target = (
        quality_2019 * ratio**w.rd_elasticity * (1.0 - w.export_control_drag * export_control) * (1.0 + w.push_quality * push)
    )
    target = np.minimum(np.maximum(target, 0.05), 1.0)  # np.clip; 1.0: the 2019 technology frontier
    return quality + dt * w.quality_adjustment * (target - quality)


def viable_trusted_vendors(
    high_risk: np.ndarray, quality: np.ndarray, *, reach: np.ndarray, origin_index: np.ndarray, n_states: int, w
) -> np.ndarray:
    """How many trusted vendors are a real option for each state: (n,) integers, or (steps, n)
    for (steps, v) ``quality`` and ``reach``.

    A trusted vendor is viable for a state if its quality and global reach pass the
    thresholds, or it is a home vendor of that state.
    """
    trusted = ~high_risk.astype(bool)
    global_ok = trusted & (quality >= w.viable_quality) & (reach >= w.viable_reach)  # (..., v)
    counts = np.repeat(np.add.reduce(global_ok, axis=-1, dtype=np.int64)[..., None], n_states, axis=-1)
    home_only = trusted & ~global_ok & (origin_index >= 0)
    *steps, vendor = np.nonzero(home_only)
    np.add.at(counts, (*steps, origin_index[vendor]), 1)
    return counts


def calibrate_constants(target: np.ndarray, market: np.ndarray, shares_given, iterations: int = 50) -> np.ndarray:
    """Per-vendor constants so that market-weighted purchases match ``target`` world shares.

    ``shares_given(constant) -> (n, v)`` computes purchase shares; the fixed-point update
    ``c += log(target / achieved)`` is the standard calibration of alternative-specific
    constants in discrete-choice models (Berry 1994).
    """
    constant = np.zeros_like(target)
    for _ in range(iterations):
        achieved = market @ shares_given(constant)
        step = np.log(np.maximum(target, 1e-9) / np.maximum(achieved, 1e-12))
        constant = constant + step
        if np.abs(step).max() < 1e-6:
            break
    return constant - constant.mean()


def calibrate_vendor_constants(
    core: np.ndarray,
    ran: np.ndarray,
    policy: np.ndarray,
    finance: np.ndarray,
    threat: np.ndarray,
    *,
    price: np.ndarray,
    quality: np.ndarray,
    reach: np.ndarray,
    high_risk: np.ndarray,
    market: np.ndarray,
    w,
) -> np.ndarray:
    """Per-vendor constants of each layer so that the start's purchases reproduce the installed
    world shares: (layer, v), layer 0 the core, 1 the radio network.

    ``core``, ``ran`` and ``finance`` are (n, v) state-major; ``market`` (n,) each state's share
    of the world equipment market. See :func:`calibrate_constants`.
    """
    allowed = allowed_vendors(policy, high_risk)
    finance_term = w.gamma_finance * finance
    risk_term = w.gamma_risk * threat[:, None] * high_risk[None, :]
    constants = []
    for layer, installed in enumerate((core, ran)):

        def shares(c, installed=installed, layer=layer):
            v = procurement_utilities(
                price, quality, reach, installed, finance, threat, high_risk, w, c, finance_term=finance_term, risk_term=risk_term
            )
            return logit_shares(v, allowed[layer])

        constants.append(calibrate_constants(market @ installed, market, shares))
    return np.stack(constants)
