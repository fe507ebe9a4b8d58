"""Adequacy: the EU's yearly decision on which states' data protection it finds adequate.

The paper: the Union "leverages its regulatory power through the attraction of its single market
combined with adequacy decisions", its first success "the mutual adequacy decision with Japan in
early 2019". Adequacy is the EU's decision (GDPR art. 45), taken candidate by candidate: the
Commission assesses a state's law and its enforcement, and weighs what the relationship is worth.
The record 2019-2023: the UK (June 2021), Korea (December 2021), the US Data Privacy Framework
(July 2023).

Once a year the EU assesses every candidate: a state outside the EU and the EEA (which apply the
GDPR themselves) with a data-protection law in force and no adequacy decision yet. It grants with
logit probability over the log-odds

    logit(adequacy_openness) + capacity + compatibility + trade + cooperation

* ``capacity``: the candidate's data-protection capacity above 0.6 (enforcement);
* ``compatibility``: how freely data flow between its orientation and ``protect``, above half;
* ``trade``: the value of its trade to the EU, per decade of its share of EU GDP above 1%;
* ``cooperation``: EU-Japan work beyond the bilateral agenda brings trust-oriented states closer;
* ``openness``: ``adequacy_openness`` is the yearly probability of a grant to a candidate whose
  other terms sum to zero.

A decision stays in force while the holder keeps a law oriented to protect or trust
(:data:`connsim.decisions.regimes.ADEQUACY_KEPT`).
"""

from __future__ import annotations

import numpy as np

from connsim.choice import Terms
from connsim.decisions.regimes import ADEQUACY_KEPT, PROTECT, TRUST
from connsim.names import ADEQUACY_OPTIONS

__all__ = ["ADEQUACY_OPTIONS", "ADEQUACY_TERMS", "candidates", "adequacy_utilities", "grant", "kept"]

WITHHOLD, GRANT = range(2)
#: The terms of the EU's decision about a candidate, in the order they are recorded.
ADEQUACY_TERMS = ("openness", "capacity", "compatibility", "trade", "cooperation")


def candidates(scope: np.ndarray, has_law: np.ndarray, adequacy: np.ndarray) -> np.ndarray:
    """(n,) booleans: states the EU assesses this year (in scope, with a law, without adequacy).
    ``scope`` holds the third countries outside the EEA (and any power the EU may assess)."""
    return scope & has_law & ~adequacy


def adequacy_utilities(
    orientation: np.ndarray,
    capacity: np.ndarray,
    trade_eu: np.ndarray,
    gdp: np.ndarray,
    *,
    eu_gdp: float,
    flow: np.ndarray,
    cooperation_beyond: float,
    openness: float,
    w,
) -> tuple[np.ndarray, Terms]:
    """The EU's utility of withholding and of granting adequacy to each state: (n, 2) and its terms
    (log-odds; withholding is 0).

    Parameters
    ----------
    orientation : (n,) orientation of each state's law; capacity : (n,) data-protection capacity.
    trade_eu : (n,) the state's trade share with the EU; gdp : (n,) US$; eu_gdp : the EU's GDP, US$.
    flow : (5, 5) free-flow intensity between positions; cooperation_beyond : 0..1
        (:func:`connsim.decisions.regimes.interoperability`); openness : the lever, 0..1.
    """
    n = orientation.shape[0]
    trade_value = np.maximum(trade_eu * gdp / eu_gdp, 1e-6)  # the state's trade with the EU, share of EU GDP (gravity)
    p = min(max(openness, 1e-9), 1 - 1e-9)
    block = np.zeros((len(ADEQUACY_TERMS), n, 2))  # withholding is 0: every term sits on grant
    openness_term, cap, compatibility, trade, cooperation = block[:, :, GRANT]
    openness_term[:] = np.log(p / (1 - p))
    np.multiply(w.adequacy_w_capacity, capacity - 0.6, out=cap)
    np.multiply(w.adequacy_w_compatibility, flow[orientation, PROTECT] - 0.5, out=compatibility)
    np.multiply(w.adequacy_w_trade, np.log10(trade_value / 0.01), out=trade)
    np.multiply(w.adequacy_w_cooperation * cooperation_beyond, orientation == TRUST, out=cooperation)
    terms = Terms(ADEQUACY_TERMS, block)
    return terms.total(), terms


def grant(candidate: np.ndarray, utilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """(n,) booleans: the candidates the EU grants adequacy this year (logit over withhold/grant)."""
    margin = np.clip(utilities[:, GRANT] - utilities[:, WITHHOLD], -50.0, 50.0)
    return candidate & (uniforms < 1.0 / (1.0 + np.exp(-margin)))


def kept(adequacy: np.ndarray, has_law: np.ndarray, orientation: np.ndarray) -> np.ndarray:
    """(n,) booleans: decisions still in force: the holder keeps a law oriented to protect or trust."""
    return adequacy & has_law & ADEQUACY_KEPT[orientation]
