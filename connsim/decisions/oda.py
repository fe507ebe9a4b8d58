"""Digital ODA: donors offer programs, recipients accept, partnerships shape later choices.

The paper ("Digital ODA"): digital ODA helps third countries benefit from the data revolution
and furthers "a convergence on norms"; it must be "properly budgeted and staffed (which is not
the case today at the EU-level)"; EU and Japanese actors gain from coordinating (the JICA-EIB
MoU); programs are data-protection capacity building, digital financial inclusion (with a
trilateral option with Indian companies) and 5G infrastructure design; China finances
infrastructure through the Digital Silk Road.

One round a year:

1. each donor's effective budget is budget x staffing (EU-Japan coordination pools budgets with
   an efficiency gain and lends the better-staffed partner's capacity);
2. each donor scores recipients by priority region x need x alignment and offers to as many of
   the best as its staff can manage, splitting its budget by score (coordination removes
   double targeting between the EU and Japan);
3. a recipient takes at most one infrastructure partner at a time, chosen by logit over the
   offers' size, speed and conditions; capacity-building and inclusion parts of an offer are
   accepted if they beat the outside option;
4. accepted programs raise data-protection capacity, tie infrastructure finance to the donor's
   vendors for some years, and strengthen a partnership that pulls later choices.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from connsim.choice import logistic, logit_probabilities, row_max, sample_choice
from connsim.names import PROGRAMS

__all__ = [
    "PROGRAMS",
    "effective_budgets",
    "targeting_scores",
    "remove_double_targeting",
    "make_offers",
    "offer_utilities",
    "accept_offers",
    "capacity_gain",
    "partnership_strength",
    "Donors",
    "RoundResult",
    "yearly_round",
    "partnership_pulls",
    "tied_finance",
]

#: Staffing at which a donor works at its full speed.
FULL_STAFFING = 0.7


def effective_budgets(
    budget: np.ndarray, staffing: np.ndarray, *, coordination: float, pair: tuple[int, int] | None, w
) -> tuple[np.ndarray, np.ndarray]:
    """Effective budget of each donor: budget x staffing, with EU-Japan pooling under coordination.

    Parameters
    ----------
    budget : (d,) digital-ODA budget of each donor, US$.
    staffing : (d,) staffing of each donor, 0..1 (not modified).
    coordination : EU-Japan coordination c, 0..1.
    pair : the EU's and Japan's indices among the donors, or None (no pooling).
    w : weights; reads ``oda_pooling_gain``.

    Returns
    -------
    budget : (d,) effective budget, US$.
    staffing : (d,) staffing after the partners lend each other staff.

    Notes
    -----
    With c > 0 both partners gain ``oda_pooling_gain * c`` in efficiency, and the less staffed
    one gains half the staffing gap times c (the better staffed one keeps its own). O(d).
    """
    staff = np.array(staffing, dtype=float, copy=True)
    gain = np.ones_like(staff)
    if pair is not None and coordination > 0:
        a, b = pair
        sa, sb = staff[a], staff[b]
        staff[a] = sa + 0.5 * coordination * max(0.0, sb - sa)
        staff[b] = sb + 0.5 * coordination * max(0.0, sa - sb)
        gain[[a, b]] = 1.0 + w.oda_pooling_gain * coordination
    return budget * staff * gain, staff


def targeting_scores(priority: np.ndarray, need: np.ndarray, *, alignment: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Donor x recipient targeting scores: priority region x need x alignment, 0 where ineligible.

    Parameters
    ----------
    priority : (d, n) priority of each recipient's region for each donor.
    need : (n,) each recipient's need (1 - data-protection capacity).
    alignment : (d, n) each recipient's alignment with each donor, 0.05..1.
    eligible : (n,) booleans: third countries below the income ceiling.

    Returns
    -------
    (d, n) scores, 0 or more.

    Notes
    -----
    O(d x n).
    """
    return priority * need[None, :] * alignment * eligible[None, :]


def remove_double_targeting(scores: np.ndarray, *, pair: tuple[int, int] | None, coordination: float) -> np.ndarray:
    """EU-Japan coordination against double targeting: where both score a recipient, the weaker
    scorer's score is cut by the coordination c, so pooled effort reaches more recipients.

    Parameters
    ----------
    scores : (d, n) targeting scores (not modified).
    pair : the EU's and Japan's indices among the donors, or None (nothing changes).
    coordination : c, 0..1 (0: nothing changes; 1: one donor per shared recipient).

    Returns
    -------
    (d, n) scores: ``scores`` itself when nothing changes, otherwise a copy.

    Notes
    -----
    Ties go to the EU (the first of ``pair``): its score stands and Japan's is cut. O(n).
    """
    if pair is None or coordination <= 0:
        return scores
    a, b = pair
    out = scores.copy()
    both = (scores[a] > 0) & (scores[b] > 0)
    a_weaker = both & (scores[a] < scores[b])
    b_weaker = both & ~a_weaker
    out[a, a_weaker] *= 1.0 - coordination
    out[b, b_weaker] *= 1.0 - coordination
    return out


def make_offers(scores: np.ndarray, *, budget: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Offer amounts: each donor offers to its ``reach[d]`` best-scored recipients, splitting its
    budget in proportion to score.

    Parameters
    ----------
    scores : (d, n) targeting scores, 0 or more (0: no offer).
    budget : (d,) effective budget of each donor, US$.
    reach : (d,) how many recipients each donor can work with (rounded down; negative is 0).

    Returns
    -------
    (d, n) offer amounts, US$; each row sums to the donor's budget, or to 0 when it reaches no one.

    Notes
    -----
    All donors at once: one stable sort of each donor's scores (ties go to the lower recipient
    index). O(d x n log n).
    """
    n = scores.shape[1]
    positive = np.add.reduce(scores > 0, axis=1)  # np.count_nonzero(..., axis=1), without its wrapper
    ks = np.minimum(np.maximum(np.asarray(reach), 0), positive).astype(np.intp)  # recipients each donor reaches
    order = np.argsort(-scores, axis=1, kind="stable")  # best first
    rank = np.empty_like(order)
    rank[np.arange(order.shape[0])[:, None], order] = np.arange(n)  # rank[d, order[d, k]] = k
    chosen = np.where((rank < ks[:, None]) & (np.asarray(budget) > 0)[:, None], scores, 0.0)
    total = chosen.sum(axis=1, keepdims=True)
    return np.divide(np.asarray(budget, float)[:, None] * chosen, total, out=np.zeros_like(chosen), where=total > 0)


def offer_utilities(
    amounts: np.ndarray,
    gdp: np.ndarray,
    *,
    speed: np.ndarray,
    conditionality: np.ndarray,
    freedom: np.ndarray,
    alignment: np.ndarray,
    bonus: np.ndarray,
    w,
) -> np.ndarray:
    """Recipient x donor value of each offer: size relative to GDP, speed, conditions (which weigh
    on less free states), alignment, and any program bonus.

    Parameters
    ----------
    amounts : (d, n) offer amounts, US$.
    gdp : (n,) recipients' GDP, US$ (0.01% of GDP is one unit of offer size).
    speed : (d,) how fast each donor delivers, 0..1.
    conditionality : (d,) the conditions each donor attaches, 0..1.
    freedom : (n,) recipients' freedom, 0..1.
    alignment : (d, n) recipients' alignment with each donor.
    bonus : (d, n) program bonus (the India trilateral), added as it is.
    w : weights; reads ``a_size``, ``a_speed``, ``a_conditions``, ``a_alignment``.

    Returns
    -------
    (n, d) utilities: ``a_size log(1 + amount / (1e-4 GDP)) + a_speed speed
    - a_conditions conditionality (1 - freedom) + a_alignment alignment + bonus``.

    Notes
    -----
    O(d x n).
    """
    size = np.log1p(amounts.T / (gdp[:, None] * 1e-4))
    return (
        w.a_size * size
        + w.a_speed * speed[None, :]
        - w.a_conditions * conditionality[None, :] * (1.0 - freedom)[:, None]
        + w.a_alignment * alignment.T
        + bonus.T
    )


def accept_offers(
    utilities: np.ndarray,
    offered: np.ndarray,
    *,
    infra_offered: np.ndarray,
    infra_busy: np.ndarray,
    beta: float,
    uniforms_infra: np.ndarray,
    uniforms_other: np.ndarray,
    w,
) -> tuple[np.ndarray, np.ndarray]:
    """Which offers each recipient takes: at most one infrastructure partner at a time, by logit
    against the outside option; the other parts of each offer each by logit against it.

    Parameters
    ----------
    utilities : (n, d) value of each donor's offer to each recipient.
    offered : (n, d) booleans: the donor makes the recipient an offer.
    infra_offered : (n, d) booleans: the offer includes infrastructure finance.
    infra_busy : (n,) booleans: the recipient already has an active infrastructure partner.
    beta : rationality of the logit choice, 0 or more.
    uniforms_infra : (n,) uniforms in [0, 1) for the infrastructure choice.
    uniforms_other : (n, d) uniforms in [0, 1) for the other programs.
    w : weights; reads ``u_outside``.

    Returns
    -------
    infra : (n, d) booleans, at most one True per row, none where busy or not offered.
    other : (n, d) booleans, none where not offered.

    Notes
    -----
    The infrastructure choice is one logit over the d offers plus declining (``u_outside``),
    drawn by inverse CDF; another part is taken when its uniform falls below
    ``logistic(beta (U - u_outside))``. O(n x d).
    """
    n, d = utilities.shape
    u = np.where(infra_offered & ~infra_busy[:, None], utilities, -np.inf)
    u = np.concatenate([u, np.full((n, 1), w.u_outside)], axis=1)
    pick = sample_choice(logit_probabilities(u, beta), uniforms_infra)
    infra = np.zeros((n, d), dtype=bool)
    chosen = pick < d
    infra[np.nonzero(chosen)[0], pick[chosen]] = True
    p_other = logistic(beta * (utilities - w.u_outside))
    other = offered & (uniforms_other < p_other)
    return infra, other


def capacity_gain(amount_capacity: np.ndarray, gdp: np.ndarray, *, w) -> np.ndarray:
    """Data-protection capacity gained from capacity-building money: alpha x amount / (GDP / 1000).

    Parameters
    ----------
    amount_capacity : (n,) capacity-building money each recipient received, US$.
    gdp : (n,) recipients' GDP, US$.
    w : weights; reads ``alpha_capacity``.

    Returns
    -------
    (n,) capacity gained, 0 or more (uncapped: the caller caps capacity at 1). O(n).
    """
    return w.alpha_capacity * amount_capacity / (gdp * 1e-3)


def partnership_strength(strength: np.ndarray, accepted: np.ndarray, *, dt: float, w) -> np.ndarray:
    """Partnership bonds decay with a half-life and move ``oda_bond`` of the way to 1 with each
    accepted offer.

    Parameters
    ----------
    strength : (n, d) partnership strength of each recipient with each donor, 0..1 (any shape).
    accepted : booleans of the same shape: the recipient took an offer of the donor this round.
    dt : years since the last update.
    w : weights; reads ``partnership_half_life`` and ``oda_bond``.

    Returns
    -------
    Strength of the same shape, 0..1: ``s 0.5 ** (dt / half_life)``, and for accepted offers
    that plus ``oda_bond`` times what it lacks to 1. O(size).
    """
    decayed = strength * 0.5 ** (dt / w.partnership_half_life)
    return np.where(accepted, decayed + w.oda_bond * (1.0 - decayed), decayed)


class Donors(NamedTuple):
    """What the donors bring to every round (fixed for a run); axis 0 is ``names.DONORS``."""

    budget_2019: np.ndarray  # (d,) digital-ODA budget of 2019, US$
    staffing: np.ndarray  # (d,) 0..1
    programs: np.ndarray  # (d, 3) budget shares of capacity, financial inclusion, infrastructure
    speed: np.ndarray  # (d,) 0..1
    conditionality: np.ndarray  # (d,) 0..1
    priority: np.ndarray  # (d, n) priority of each recipient's region
    alignment: np.ndarray  # (d, n) 0.05..1
    eligible: np.ndarray  # (n,) booleans: third countries below the income ceiling
    pair: tuple[int, int]  # the EU and Japan among the donors
    ring_donor: np.ndarray  # (d,) booleans: donors of the Open and Connected Ring (EU, member states, Japan)
    ring: np.ndarray  # (n,) booleans: states of the ring's regions
    india_linked: np.ndarray  # (n,) booleans: regions an India trilateral reaches
    china: int  # China's index among the donors


class RoundResult(NamedTuple):
    """A yearly round's offers (d, n), US$, and the recipients' state after it (all (n, d) but capacity)."""

    offers: np.ndarray
    last_accept: np.ndarray
    last_infra: np.ndarray
    capacity: np.ndarray
    strength: np.ndarray


def yearly_round(
    donors: Donors,
    *,
    capacity: np.ndarray,
    gdp: np.ndarray,
    freedom: np.ndarray,
    strength: np.ndarray,
    last_accept: np.ndarray,
    last_infra: np.ndarray,
    year: float,
    budget_scale: np.ndarray,
    digital_silk_road: float,
    coordination: float,
    ring_focus: float,
    india_trilateral: bool,
    beta: float,
    uniforms_infra: np.ndarray,
    uniforms_other: np.ndarray,
    w,
    staffing: np.ndarray | None = None,
) -> RoundResult:
    """One yearly round of digital ODA, from budgets to effects (see the module docstring).

    Parameters
    ----------
    donors : what the donors bring (:class:`Donors`), d donors and n states.
    capacity : (n,) data-protection capacity, 0..1.
    gdp : (n,) GDP, US$.
    freedom : (n,) freedom, 0..1.
    strength : (n, d) partnership strength with each donor, 0..1.
    last_accept : (n, d) year of the last accepted offer of each donor (-inf for never).
    last_infra : (n, d) year of each donor's last infrastructure programme (-inf for never).
    year : the round's year.
    budget_scale : (d,) multiplies the 2019 budgets.
    digital_silk_road : multiplies China's budget on top of ``budget_scale``.
    coordination : EU-Japan coordination, 0..1.
    ring_focus : extra priority the Open and Connected Ring's donors give its regions.
    india_trilateral : EU and Japanese inclusion programs run with Indian partners.
    beta : rationality of the recipients' logit choices.
    uniforms_infra : (n,) the round's uniforms for the infrastructure choice.
    uniforms_other : (n, d) the round's uniforms for the other programs.
    w : weights.
    staffing : (d,) the donors' staffing this year (None: ``donors.staffing``, the seed values).

    Returns
    -------
    RoundResult : offers (d, n), US$; last_accept, last_infra and strength (n, d); capacity (n,).

    Notes
    -----
    Understaffed donors are slower (speed x min(1, staffing / FULL_STAFFING)); capacity-building
    money raises capacity, inclusion money half as much; accepted offers strengthen partnerships.
    O(d x n log n), the sort of :func:`make_offers`.
    """
    budget = donors.budget_2019 * budget_scale
    budget[donors.china] *= digital_silk_road
    staff_now = donors.staffing if staffing is None else staffing
    eff_budget, staff = effective_budgets(budget, staff_now, coordination=coordination, pair=donors.pair, w=w)
    priority = donors.priority * (1.0 + ring_focus * np.outer(donors.ring_donor, donors.ring))
    scores = targeting_scores(priority, 1.0 - capacity, alignment=donors.alignment, eligible=donors.eligible)
    scores = remove_double_targeting(scores, pair=donors.pair, coordination=coordination)
    amounts = make_offers(scores, budget=eff_budget, reach=np.round(w.oda_reach * staff))
    bonus = np.zeros_like(amounts)
    if india_trilateral:
        bonus[list(donors.pair)] += w.india_bonus * donors.india_linked[None, :]
    speed = donors.speed * np.minimum(1.0, staff / FULL_STAFFING)
    util = offer_utilities(
        amounts,
        gdp,
        speed=speed,
        conditionality=donors.conditionality,
        freedom=freedom,
        alignment=donors.alignment,
        bonus=bonus,
        w=w,
    )
    offered = amounts.T > 0
    infra_offered = offered & (donors.programs[:, 2] > 0)[None, :]
    infra_busy = (year - row_max(last_infra)) < w.tied_finance_years  # row_max: .max(axis=1)
    infra, other = accept_offers(
        util,
        offered,
        infra_offered=infra_offered,
        infra_busy=infra_busy,
        beta=beta,
        uniforms_infra=uniforms_infra,
        uniforms_other=uniforms_other,
        w=w,
    )
    accepted = infra | other
    money = amounts.T * donors.programs[:, 0][None, :] * other  # capacity building
    money = money + 0.5 * amounts.T * donors.programs[:, 1][None, :] * other  # inclusion helps too
    return RoundResult(
        offers=amounts,
        last_accept=np.where(accepted, year, last_accept),
        last_infra=np.where(infra, year, last_infra),
        capacity=np.minimum(1.0, capacity + capacity_gain(money.sum(axis=1), gdp, w=w)),
        strength=partnership_strength(strength, accepted, dt=1.0, w=w),
    )


def partnership_pulls(strength: np.ndarray, *, western: np.ndarray, regime_pull: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ODA partnerships pull each state toward: western against Chinese partners (threat
    perception), and each donor's data-flow regime.

    Parameters
    ----------
    strength : (n, d) partnership strength with each donor.
    western : (d,) booleans: western donors (China is not).
    regime_pull : (d, 4) the pull of a full-strength partnership toward its donor's regime.

    Returns
    -------
    western_minus_chinese : (n,) the strength of a state's western minus its Chinese partnerships.
    regime_pull : (n, 4) the pull toward each regime, ``strength @ regime_pull``.

    Notes
    -----
    Two matrix-vector products: O(n x d).
    """
    return strength @ np.where(western, 1.0, -1.0), strength @ regime_pull


def tied_finance(year: float, last_infra: np.ndarray, *, vendor_tie: np.ndarray, tied_years: float) -> np.ndarray:
    """Infrastructure finance still tying each state's procurement to each vendor: the donors
    whose infrastructure programme is younger than ``tied_years``, through their vendor ties.

    Parameters
    ----------
    year : the current year.
    last_infra : (n, d) the year of each donor's last infrastructure programme (-inf for never).
    vendor_tie : (d, v) the vendors a donor's finance is tied to (China's: Huawei and ZTE).
    tied_years : years a programme ties procurement (``Weights.tied_finance_years``).

    Returns
    -------
    (v, n) the tie of each vendor on each state, 0 or more (a sum over the tying donors).

    Notes
    -----
    One (v, d) x (d, n) product: O(v x d x n).
    """
    tied = (year - last_infra) < tied_years
    return vendor_tie.T @ tied.T
