"""Whether a state has a data-protection law: adopting one is a decision, repealing one is rare.

The count of states with a law is the field's most watched figure (UNCTAD's and Greenleaf's): 58%
of countries had one in January 2019, 66% in April 2020 (UNCTAD); 142 countries at end-2019, 162
in March 2023 (Greenleaf). A state without a law has no orientation in force: its position is
``none``, and partners whose laws restrict transfers to unprotected destinations (the GDPR, the
APPI) do not exchange data freely with it.

A revising state without a law weighs adopting one, with the orientation it leans to
(:mod:`connsim.decisions.regimes`); a state with a law weighs keeping it. Options
``(no_law, law)``, by logit over (unit: the value of data flowing freely with all trade partners)

    U_i(law) - U_i(no_law) = flows + peers + adequacy_prospect + capacity + governance + status_quo + repeal

* ``flows``: free flow with partners' positions as the state with its law, against as a state
  without one (``phi * sum_j W_ij [flow(o_i, p_j) - flow(none, p_j)]``);
* ``peers``: the trade-weighted share of partners with a law (emulation: laws spread among partners);
* ``adequacy_prospect``: a law opens the prospect of an EU adequacy decision, worth more the more
  the state trades with the EU (the pull of the single market);
* ``capacity``: the institutional capacity the orientation needs beyond what the state has
  (capacity building by digital ODA lowers it);
* ``governance``: the domestic disposition to legislate (rule of law);
* ``status_quo`` on the current option, and ``repeal``: dropping a law in force costs much more.
"""

from __future__ import annotations

import numpy as np

from connsim.choice import Terms
from connsim.names import LAW_OPTIONS, NO_LAW

__all__ = ["LAW_OPTIONS", "LAW_TERMS", "law_utilities"]

NO_LAW_OPTION, LAW = range(2)
#: The terms of the law utility, in the order they are recorded.
LAW_TERMS = ("flows", "peers", "adequacy_prospect", "capacity", "governance", "status_quo", "repeal")


def law_utilities(
    partner_shares: np.ndarray,
    orientation: np.ndarray,
    has_law: np.ndarray,
    *,
    flow: np.ndarray,
    trade_eu: np.ndarray,
    capacity: np.ndarray,
    capacity_need: np.ndarray,
    rule_of_law01: np.ndarray,
    w,
) -> tuple[np.ndarray, Terms]:
    """Utility of having no law and of having one, for every state: (n, 2) and its terms.

    Parameters
    ----------
    partner_shares : (n, 5) trade-weighted share of each state's partners in each position.
    orientation : (n,) the orientation the state holds or would adopt (index into ``REGIMES``).
    has_law : (n,) booleans: a law in force.
    flow : (5, 5) free-flow intensity between positions.
    trade_eu : (n,) trade share with the EU; capacity : (n,); capacity_need : (4,) per orientation.
    rule_of_law01 : (n,) the WGI rule-of-law estimate mapped to [0, 1].

    Notes
    -----
    Every term but ``flows`` and the two on the current option sits on the ``law`` option; the
    logit depends only on the difference. O(n).
    """
    n = orientation.shape[0]
    block = np.zeros((len(LAW_TERMS), n, 2))  # every term but flows sits on one option
    flows, peers, prospect, cap, governance, status_quo, repeal = block
    np.einsum("ij,ij->i", partner_shares, flow[orientation], out=flows[:, LAW])  # sum_j W_ij flow(o_i, p_j)
    np.matmul(partner_shares, flow[NO_LAW], out=flows[:, NO_LAW_OPTION])  # sum_j W_ij flow(none, p_j)
    flows *= w.phi
    np.multiply(w.kappa_law_peers, 1.0 - partner_shares[:, NO_LAW], out=peers[:, LAW])  # share of partners with a law
    np.multiply(w.kappa_adequacy_prospect, trade_eu, out=prospect[:, LAW])
    np.multiply(-w.kappa_cap, np.maximum(0.0, capacity_need[orientation] - capacity), out=cap[:, LAW])
    np.multiply(w.d_law, rule_of_law01 - 0.5, out=governance[:, LAW])
    status_quo[np.arange(n), has_law.astype(np.intp)] = w.kappa_law_status_quo
    np.multiply(-w.kappa_repeal, has_law, out=repeal[:, NO_LAW_OPTION])
    terms = Terms(LAW_TERMS, block)
    return terms.total(), terms
