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

import numpy as np

from connsim.choice import logistic, logit_probabilities, sample_choice
from connsim.seeds import PROGRAMS

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
]


def effective_budgets(
    budget: np.ndarray, staffing: np.ndarray, coordination: float, pair: tuple[int, int] | None, w
) -> tuple[np.ndarray, np.ndarray]:
    """Effective budget (budget x staffing) and staffing of each donor.

    ``pair`` indexes the EU and Japan among the donors; with coordination c in [0, 1] both gain
    ``oda_pooling_gain * c`` in efficiency and each lends the other half the staffing gap times c.
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


def targeting_scores(priority: np.ndarray, need: np.ndarray, alignment: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Donor x recipient scores: priority region x need x alignment, 0 for ineligible recipients."""
    return priority * need[None, :] * alignment * eligible[None, :]


def remove_double_targeting(scores: np.ndarray, pair: tuple[int, int] | None, coordination: float) -> np.ndarray:
    """With coordination c, where the EU and Japan both score a recipient, the weaker scorer's
    score is cut by c, so pooled effort goes to more recipients instead of the same ones."""
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


def make_offers(scores: np.ndarray, budget: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Offer amounts (donors x recipients): each donor offers to its ``reach[d]`` best-scored
    recipients, splitting its budget in proportion to score. All donors at once: one sort of
    each donor's scores (ties go to the lower index); O(donors x recipients log recipients)."""
    n = scores.shape[1]
    positive = np.count_nonzero(scores > 0, axis=1)
    ks = np.minimum(np.maximum(np.asarray(reach), 0), positive).astype(np.intp)  # recipients each donor reaches
    order = np.argsort(-scores, axis=1, kind="stable")  # best first
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n)[None, :], axis=1)  # rank[d, order[d, k]] = k
    chosen = np.where((rank < ks[:, None]) & (np.asarray(budget) > 0)[:, None], scores, 0.0)
    total = chosen.sum(axis=1, keepdims=True)
    return np.divide(np.asarray(budget, float)[:, None] * chosen, total, out=np.zeros_like(chosen), where=total > 0)


def offer_utilities(
    amounts: np.ndarray,
    gdp: np.ndarray,
    speed: np.ndarray,
    conditionality: np.ndarray,
    freedom: np.ndarray,
    alignment: np.ndarray,
    bonus: np.ndarray,
    w,
) -> np.ndarray:
    """Recipient x donor value of each offer: size relative to GDP, speed, conditions
    (which weigh on less free states), alignment, and any program bonus."""
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
    infra_offered: np.ndarray,
    infra_busy: np.ndarray,
    beta: float,
    uniforms_infra: np.ndarray,
    uniforms_other: np.ndarray,
    w,
) -> tuple[np.ndarray, np.ndarray]:
    """Which offers each recipient takes: (infrastructure, other programs), two (n, d) booleans.

    Infrastructure is exclusive: a recipient without an active infrastructure partner picks at
    most one infrastructure offer by logit against the outside option ``u_outside``. The other
    parts of each offer are accepted with logit probability against the same outside option.
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


def capacity_gain(amount_capacity: np.ndarray, gdp: np.ndarray, w) -> np.ndarray:
    """Data-protection capacity gained from capacity-building money: alpha x amount / (GDP/1000)."""
    return w.alpha_capacity * amount_capacity / (gdp * 1e-3)


def partnership_strength(strength: np.ndarray, accepted: np.ndarray, dt: float, w) -> np.ndarray:
    """Partnership bonds decay with a half-life and strengthen toward 1 with each accepted offer."""
    decayed = strength * 0.5 ** (dt / w.partnership_half_life)
    return np.where(accepted, decayed + w.oda_bond * (1.0 - decayed), decayed)
