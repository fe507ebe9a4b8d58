"""Data flows: which regime a state adopts, and to whom the EU grants adequacy.

The paper ("Regulation"): the EU spreads its privacy norms through the attraction of its single
market combined with adequacy decisions (Japan, 2019, the first mutual one); Japan promotes
Data Free Flow with Trust in the G20 and WTO; for China data are to be controlled, for the US
commercialised, for the EU and Japan protected; and "referees do not win".

Regimes: ``protect`` (GDPR-like), ``trust`` (DFFT / APPI), ``open`` (commercial free flow,
CBPR-style), ``sovereign`` (localisation and state control).

A revising state picks a regime by logit over

    U_ir = disposition_ir + flows_ir + adequacy_ir - capacity_ir + influence_ir + status_quo_ir

with ``flows_ir = phi * sum_j W_ij C(r, r_j)`` (trade-weighted compatibility with partners),
``capacity_ir = kappa_cap * max(0, need_r - capacity_i)`` and ``influence`` the pull of
great powers and ODA partners toward their own regime.
"""

from __future__ import annotations

import numpy as np

from connsim.names import REGIMES

__all__ = [
    "REGIMES",
    "REGIME_TERMS",
    "dispositions",
    "partner_shares",
    "regime_influence",
    "effective_compatibility",
    "interoperability",
    "regime_utilities",
    "adequacy_grantable",
    "update_adequacy",
    "ADEQUACY_KEPT",
]

PROTECT, TRUST, OPEN, SOVEREIGN = range(4)
#: The terms of the regime utility, in the order they are recorded.
REGIME_TERMS = ("disposition", "flows", "adequacy", "capacity", "influence", "status_quo")


def dispositions(freedom: np.ndarray, rule_of_law01: np.ndarray, w) -> np.ndarray:
    """Domestic disposition toward each regime from governance data: (n, 4).

    ``freedom`` is Freedom House's (14 - PR - CL) / 12 and ``rule_of_law01`` the WGI estimate
    mapped to [0, 1]. ``protect`` rises with liberties and rule of law, ``sovereign`` falls
    with them; ``trust`` sits between; ``open`` is the default of weak institutions.
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


def partner_shares(trade, regime: np.ndarray, k: int = 4) -> np.ndarray:
    """Each state's trade-weighted share of partners in each regime, ``W @ onehot(regime)``: (n, k).

    ``trade`` is the row-normalised (n, n) sparse trade network W. One ``bincount`` over its
    edges: O(edges), no (n, k) one-hot and no n x n structure.
    """
    n = trade.shape[0]
    rows = np.repeat(np.arange(n), np.diff(trade.indptr))
    return np.bincount(k * rows + regime[trade.indices], weights=trade.data, minlength=k * n).reshape(n, k)


def regime_influence(
    trade_eu: np.ndarray,
    align_us: np.ndarray,
    align_cn: np.ndarray,
    oda_pull: np.ndarray,
    *,
    us_pressure: float,
    digital_silk_road: float,
    dfft_push: float,
    w,
) -> np.ndarray:
    """Pull of the powers and of ODA partners toward their regimes: (n, 4).

    The EU's single market pulls toward ``protect`` in proportion to trade with the EU
    (``kappa_brussels``, the Brussels effect); the US toward ``open`` by alignment with it times
    its pressure; China toward ``sovereign`` by alignment with it times the Digital Silk Road
    (capped at twice its 2019 intensity); Japan's DFFT push toward ``trust``; ``oda_pull`` (n, 4)
    is the pull of each state's ODA partnerships toward their donors' regimes.
    """
    influence = np.zeros((trade_eu.shape[0], 4))
    influence[:, PROTECT] += w.kappa_brussels * trade_eu
    influence[:, OPEN] += w.kappa_us_regime * align_us * us_pressure
    influence[:, SOVEREIGN] += w.kappa_cn_regime * align_cn * min(digital_silk_road, 2.0) / 2.0
    influence[:, TRUST] += w.kappa_jp_regime * dfft_push
    return influence + oda_pull


def effective_compatibility(base: np.ndarray, dfft_push: float, cooperation_beyond: float, w) -> np.ndarray:
    """Compatibility matrix C(r, s) after Japan's DFFT push and EU-Japan interoperability.

    The DFFT push lifts C(trust, s) toward 1 for every s but sovereign, by at most
    ``dfft_max_lift`` of the gap ("referees do not win": a push alone cannot make regimes
    interoperable). EU-Japan cooperation beyond the bilateral agenda lifts C(protect, trust).
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


def adequacy_grantable(trust_interoperable: bool) -> np.ndarray:
    """Regimes to which the EU *grants* adequacy: protect, and trust once regimes interoperate.

    A decision once granted is *kept* under protect or trust (Japan's APPI with supplementary
    rules qualified in 2019), see :data:`ADEQUACY_KEPT`.
    """
    q = np.zeros(len(REGIMES), dtype=bool)
    q[PROTECT] = True
    q[TRUST] = trust_interoperable
    return q


_IDENTITY = np.eye(len(REGIMES))

#: Regimes under which an existing adequacy decision stays in force.
ADEQUACY_KEPT = np.array([True, True, False, False])


def regime_utilities(
    disposition: np.ndarray,
    partner_shares: np.ndarray,
    *,
    compatibility: np.ndarray,
    eu_trade: np.ndarray,
    adequacy: np.ndarray,
    capacity: np.ndarray,
    capacity_need: np.ndarray,
    influence: np.ndarray,
    current: np.ndarray,
    w,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Utility of each regime for every state: (n, 4) and its terms.

    ``partner_shares`` (n, 4) is the trade-weighted share of each state's partners in each
    regime (``W @ onehot(regime)``), so the flows term costs O(edges). An adequacy decision
    makes flows with the EU free as long as the state keeps a qualifying regime.
    """
    flows = w.phi * partner_shares @ compatibility.T
    gap_to_free = 1.0 - compatibility[:, PROTECT]
    adequacy_term = w.phi * (adequacy * eu_trade)[:, None] * (gap_to_free * ADEQUACY_KEPT)[None, :]
    terms = {
        "disposition": disposition,
        "flows": flows,
        "adequacy": adequacy_term,
        "capacity": -w.kappa_cap * np.maximum(0.0, capacity_need[None, :] - capacity[:, None]),
        "influence": influence,
        "status_quo": np.take(w.kappa_switch * _IDENTITY, current, axis=0),  # kappa_switch on the current regime
    }
    return sum(terms.values()), terms


def update_adequacy(
    adequacy: np.ndarray,
    regime: np.ndarray,
    *,
    capacity: np.ndarray,
    eligible: np.ndarray,
    grantable: np.ndarray,
    openness: float,
    dt: float,
    uniforms: np.ndarray,
    w,
) -> np.ndarray:
    """EU adequacy after one step: granted at rate ``openness`` per year to eligible states in a
    grantable regime whose capacity passes the threshold; lost by states that leave protect/trust."""
    qualifies = eligible & grantable[regime] & (capacity >= w.adequacy_capacity)
    granted = qualifies & ~adequacy & (uniforms < openness * dt)
    return (adequacy & ADEQUACY_KEPT[regime]) | granted
