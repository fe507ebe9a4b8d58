"""Data flows: the orientation of a state's data-protection law, and how freely data flow between positions.

The paper ("Regulation"): the EU spreads its privacy norms through the attraction of its single
market combined with adequacy decisions (Japan, 2019, the first mutual one); Japan promotes
Data Free Flow with Trust in the G20 and WTO; for China data are to be controlled, for the US
commercialised, for the EU and Japan protected; and "referees do not win".

Orientations: ``protect`` (GDPR-like), ``trust`` (DFFT / APPI), ``open`` (commercial free flow,
CBPR-style), ``sovereign`` (localisation and state control). A state's **position** is its law's
orientation, or ``none`` without a law (:mod:`connsim.decisions.laws` decides the law; a state
without one still holds the orientation it would adopt).

**Free flow is smooth.** Two positions exchange personal data with intensity
``flow(C) = clip((C - free_flow_lo) / (free_flow_hi - free_flow_lo), 0, 1)`` of their compatibility
``C`` (a seed table, lifted by Japan's DFFT push and by EU-Japan work beyond the bilateral agenda):
no threshold that a small push jumps across.

A revising state picks an orientation by logit over (unit: the value of data flowing freely with all
of its trade partners, ``phi``)

    U_ir = disposition_ir + flows_ir + adequacy_ir - capacity_ir + influence_ir + status_quo_ir

with ``flows_ir = phi * sum_j W_ij flow(r, p_j)`` (trade-weighted free flow with partners' positions),
``capacity_ir = kappa_cap * max(0, need_r - capacity_i)`` and ``influence`` the pull of the powers
and of ODA partners toward their own regimes.
"""

from __future__ import annotations

import numpy as np

from connsim.choice import Terms
from connsim.names import NO_LAW, POSITIONS, REGIMES

__all__ = [
    "REGIMES",
    "REGIME_TERMS",
    "ADEQUACY_KEPT",
    "dispositions",
    "flow_intensity",
    "partner_shares",
    "regime_influence",
    "effective_compatibility",
    "interoperability",
    "regime_utilities",
]

PROTECT, TRUST, OPEN, SOVEREIGN = range(4)
#: The terms of the orientation utility, in the order they are recorded.
REGIME_TERMS = ("disposition", "flows", "adequacy", "capacity", "influence", "status_quo")
#: Orientations under which an existing adequacy decision stays in force (Japan's APPI with
#: supplementary rules qualified in 2019): protect and trust.
ADEQUACY_KEPT = np.array([True, True, False, False])


def dispositions(freedom: np.ndarray, rule_of_law01: np.ndarray, w) -> np.ndarray:
    """Domestic disposition toward each orientation from governance data: (n, 4).

    Parameters
    ----------
    freedom : (n,) Freedom House's (14 - PR - CL) / 12.
    rule_of_law01 : (n,) the WGI rule-of-law estimate mapped to [0, 1].

    Notes
    -----
    ``protect`` rises with liberties and rule of law, ``sovereign`` falls with them; ``trust``
    sits between; ``open`` is the default of weak institutions.
    """
    f, r = freedom, rule_of_law01
    return np.stack(
        [
            w.d_protect * (0.6 * f + 0.4 * r - 0.5),
            w.d_trust * (0.3 * f + 0.5 * r - 0.3),
            w.d_open * (0.3 * f - 0.3 * r + 0.1),
            w.d_sovereign * (0.5 - f),
        ],
        axis=1,
    )


def flow_intensity(compatibility: np.ndarray, w) -> np.ndarray:
    """How freely personal data flow between positions, 0..1: linear in compatibility between
    ``free_flow_lo`` (nothing flows freely) and ``free_flow_hi`` (fully free). Same shape as
    ``compatibility`` ((k, k) or (steps, k, k))."""
    lo, hi = w.free_flow_lo, max(w.free_flow_hi, w.free_flow_lo + 1e-9)
    x = (np.asarray(compatibility, dtype=float) - lo) / (hi - lo)
    return np.minimum(np.maximum(x, 0.0), 1.0)  # np.clip, without its overhead (a (5, 5) array each step)


def partner_shares(trade, position: np.ndarray, k: int = len(POSITIONS), rows: np.ndarray | None = None) -> np.ndarray:
    """Each state's trade-weighted share of partners in each position, ``W @ onehot(position)``: (n, k).

    ``trade`` is the row-normalised (n, n) sparse trade network W (CSR); ``rows`` (edges,) may give
    the row of each of its edges, which depends only on its structure. One ``bincount`` over the
    edges: O(edges), no (n, k) one-hot and no n x n structure.
    """
    n = trade.shape[0]
    if rows is None:
        rows = np.repeat(np.arange(n), np.diff(trade.indptr))
    return np.bincount(k * rows + position[trade.indices], weights=trade.data, minlength=k * n).reshape(n, k)


def regime_influence(
    trade_eu: np.ndarray,
    align_us: np.ndarray,
    align_cn: np.ndarray,
    japan_tie: np.ndarray,
    oda_pull: np.ndarray,
    *,
    us_pressure: float,
    digital_silk_road: float,
    dfft_push: float,
    w,
    chinese_infrastructure: np.ndarray | None = None,
) -> np.ndarray:
    """Pull of the powers and of ODA partners toward their orientations: (n, 4).

    The EU's single market pulls toward ``protect`` in proportion to trade with the EU
    (``kappa_brussels``, the Brussels effect); the US toward ``open`` by alignment with it times its
    pressure; China toward ``sovereign`` by alignment with it times the Digital Silk Road (capped at
    twice its 2019 intensity); Japan's DFFT push toward ``trust`` through each state's ties to Japan
    and the G20 (``japan_tie``, 0..1); ``oda_pull`` (n, 4) is the pull of each state's ODA
    partnerships toward their donors' regimes. Each power reaches a state through one channel,
    and China's infrastructure through one more: ``chinese_infrastructure`` (n,), a state's
    Chinese-built network (its high-risk share, half core, half radio) plus Digital Silk Road
    finance in force (at the DSR's intensity), pulls toward ``sovereign`` (``kappa_sovereign_infrastructure``: "the
    leveraging of investments in network infrastructure abroad to evangelise restricted visions").
    """
    influence = np.zeros((trade_eu.shape[0], 4))
    influence[:, PROTECT] += w.kappa_brussels * trade_eu
    influence[:, OPEN] += w.kappa_us_regime * align_us * us_pressure
    influence[:, SOVEREIGN] += w.kappa_cn_regime * align_cn * min(digital_silk_road, 2.0) / 2.0
    influence[:, TRUST] += w.kappa_jp_regime * dfft_push * japan_tie
    if chinese_infrastructure is not None:
        influence[:, SOVEREIGN] += w.kappa_sovereign_infrastructure * chinese_infrastructure
    return influence + oda_pull


def effective_compatibility(base: np.ndarray, dfft_push: float, cooperation_beyond: float, w) -> np.ndarray:
    """Compatibility of positions (5, 5) after Japan's DFFT push and EU-Japan interoperability.

    The DFFT push lifts C(trust, protect) and C(trust, open) toward 1 by at most ``dfft_max_lift``
    of the gap ("referees do not win": a push alone cannot make trust fully interoperable with both
    camps). EU-Japan cooperation beyond the bilateral agenda lifts C(protect, trust).
    """
    c = np.array(base, dtype=float, copy=True)
    lift = w.dfft_max_lift * dfft_push
    for s in (PROTECT, OPEN):
        c[TRUST, s] = c[s, TRUST] = c[TRUST, s] + lift * (1.0 - c[TRUST, s])
    c[PROTECT, TRUST] = c[TRUST, PROTECT] = c[PROTECT, TRUST] + w.interop_lift * cooperation_beyond * (1.0 - c[PROTECT, TRUST])
    return c


def interoperability(cooperation_level: float) -> float:
    """How far EU-Japan cooperation makes protect and trust interoperable: 0 at the bilateral
    level of 2019 (mutual adequacy links Japan alone) or below, 1 beyond the bilateral agenda."""
    return max(0.0, 2.0 * cooperation_level - 1.0)


_IDENTITY = np.eye(len(REGIMES))


def regime_utilities(
    disposition: np.ndarray,
    partner_shares: np.ndarray,
    *,
    flow: np.ndarray,
    eu_trade: np.ndarray,
    adequacy: np.ndarray,
    capacity: np.ndarray,
    capacity_need: np.ndarray,
    influence: np.ndarray,
    current: np.ndarray,
    w,
) -> tuple[np.ndarray, Terms]:
    """Utility of each orientation for every state: (n, 4) and its terms.

    Parameters
    ----------
    disposition : (n, 4) from :func:`dispositions`.
    partner_shares : (n, 5) trade-weighted share of each state's partners in each position.
    flow : (5, 5) free-flow intensity between positions (:func:`flow_intensity`).
    eu_trade : (n,) trade share with the EU; adequacy : (n,) holds an EU adequacy decision.
    capacity : (n,) data-protection capacity; capacity_need : (4,) what each orientation needs.
    influence : (n, 4) from :func:`regime_influence`; current : (n,) the orientation held.

    Notes
    -----
    The flows term costs O(n x 20): partner shares are per position, not per partner. An
    adequacy decision makes flows with the EU free as long as the orientation keeps it.
    """
    n = current.shape[0]
    block = np.empty((len(REGIME_TERMS), n, len(REGIMES)))
    dispo, flows, adequacy_term, cap, influence_term, status_quo = block
    dispo[...] = disposition
    np.matmul(partner_shares, w.phi * flow[: len(REGIMES)].T, out=flows)
    gap_to_free = 1.0 - flow[: len(REGIMES), PROTECT]
    np.multiply((w.phi * adequacy * eu_trade)[:, None], gap_to_free * ADEQUACY_KEPT, out=adequacy_term)
    np.subtract(capacity_need[None, :], capacity[:, None], out=cap)
    np.maximum(cap, 0.0, out=cap)
    cap *= -w.kappa_cap
    influence_term[...] = influence
    (w.kappa_switch * _IDENTITY).take(current, axis=0, out=status_quo)  # kappa_switch on the current orientation
    terms = Terms(REGIME_TERMS, block)
    return terms.total(), terms


assert NO_LAW == len(REGIMES)  # positions: the four orientations, then none
