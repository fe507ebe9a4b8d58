"""Outcomes from arrays: norm convergence, vendor exposure and strategic autonomy.

Every function costs O(states + edges); none loops over pairs of states. The share of world GDP
pairs that can exchange data freely, for instance, comes from GDP sums per regime plus the
sparse adequacy edges.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

__all__ = [
    "regime_shares",
    "convergence_index",
    "free_pairs",
    "free_flow_gdp_pair_share",
    "largest_compatible_component",
    "largest_compatible_component_graph",
    "weighted_share",
    "hhi",
    "access_share",
]


def regime_shares(regime: np.ndarray, weights: np.ndarray | None = None, n_regimes: int = 4) -> np.ndarray:
    """Share of states (or of ``weights``: GDP, population) in each regime; sums to 1."""
    totals = np.bincount(regime, weights=weights, minlength=n_regimes).astype(float)
    return totals / totals.sum()


def convergence_index(shares: np.ndarray) -> float:
    """1 - normalised Shannon entropy of regime shares: 1 when all states share one regime,
    0 when they are spread evenly over all regimes."""
    p = shares[shares > 0]
    return float(1.0 + (p * np.log(p)).sum() / np.log(len(shares)))


def free_pairs(compatibility: np.ndarray, threshold: float) -> np.ndarray:
    """Which regime pairs exchange data freely: compatibility at or above the threshold."""
    return compatibility >= threshold


def free_flow_gdp_pair_share(
    regime: np.ndarray, gdp: np.ndarray, free: np.ndarray, adequacy: np.ndarray, eu_member: np.ndarray
) -> float:
    """Share of world GDP pairs (i != j, weighted g_i * g_j) that can exchange personal data freely.

    Pairs are free when their regimes are (``free`` matrix), or when one holds an EU adequacy
    decision and the other is an EU member state. Cost O(n): GDP sums per regime.
    """
    g = np.bincount(regime, weights=gdp, minlength=free.shape[0])
    sq = np.bincount(regime, weights=gdp**2, minlength=free.shape[0])
    free_mass = g @ free.astype(float) @ g - (sq * np.diag(free)).sum()
    # adequacy holders with EU members, where their regimes are not already free
    eu_by_regime = np.bincount(regime[eu_member], weights=gdp[eu_member], minlength=free.shape[0])
    holders = adequacy & ~eu_member
    extra = (gdp[holders] * ((~free[regime[holders]]).astype(float) @ eu_by_regime)).sum()
    total = gdp.sum() ** 2 - (gdp**2).sum()
    return float((free_mass + 2.0 * extra) / total)


def largest_compatible_component(
    regime: np.ndarray, free: np.ndarray, adequacy: np.ndarray, eu_member: np.ndarray
) -> int:
    """Number of states in the largest group linked by free data flows.

    Nodes: the states plus one hub per regime; a state joins its regime's hub when that regime
    flows freely within itself, hubs join when their regimes flow freely, and adequacy holders
    join the EU members' hubs. The groups are found on the k hubs alone (a union-find over
    regimes) and sized from counts per regime: O(n) with a handful of array operations, no graph
    built. :func:`largest_compatible_component_graph` is the same on an explicit graph.
    """
    k = free.shape[0]
    n = regime.shape[0]
    self_free = np.diag(free)
    # states in each regime that join their hub
    joined = np.bincount(regime, minlength=k) * self_free
    eu_regimes = np.nonzero(np.bincount(regime[eu_member], minlength=k))[0].tolist()
    holders = adequacy & ~eu_member
    parent = list(range(k))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    for a in range(k):
        for b in range(a + 1, k):
            if free[a, b]:
                union(a, b)
    extra = 0  # adequacy holders outside self-free regimes: they join the EU hubs only
    if eu_regimes and holders.any():
        held = np.bincount(regime[holders], minlength=k)
        for r in eu_regimes[1:]:  # a holder links all EU hubs with each other ...
            union(eu_regimes[0], r)
        for r in np.nonzero(held * self_free)[0].tolist():  # ... and with its own hub if it joined it
            union(eu_regimes[0], r)
        extra = int((held * ~self_free).sum())
    sizes = [0] * k
    for r in range(k):
        sizes[find(r)] += int(joined[r])
    if extra:
        sizes[find(eu_regimes[0])] += extra
    # every other state is a group of one
    return max(max(sizes), 1 if n else 0)


def largest_compatible_component_graph(
    regime: np.ndarray, free: np.ndarray, adequacy: np.ndarray, eu_member: np.ndarray
) -> int:
    """Reference for :func:`largest_compatible_component` on an explicit graph (scipy's
    connected components); kept for tests and teaching."""
    regime = regime.astype(np.intp)
    n, k = regime.shape[0], free.shape[0]
    rows, cols = [], []
    self_free = np.diag(free)[regime]
    members = np.nonzero(self_free)[0]
    rows.append(members)
    cols.append(n + regime[members])
    a, b = np.nonzero(np.triu(free, 1))
    rows.append(n + a)
    cols.append(n + b)
    eu_regimes = np.unique(regime[eu_member])
    holders = np.nonzero(adequacy & ~eu_member)[0]
    for r in eu_regimes:
        rows.append(holders)
        cols.append(np.full(holders.shape, n + r))
    r_, c_ = np.concatenate(rows), np.concatenate(cols)
    # a hub for a regime that is not self-free must not link that regime's states; hubs of regimes
    # held by no state must not count: only states are counted below
    graph = sparse.coo_matrix((np.ones(r_.shape[0]), (r_, c_)), shape=(n + k, n + k))
    _, labels = connected_components(graph, directed=False)
    return int(np.bincount(labels[:n]).max())


def weighted_share(values: np.ndarray, weights: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Weighted mean of ``values`` over ``mask`` (all states if None); nan if nothing selected."""
    if mask is not None:
        values, weights = values[mask], weights[mask]
    total = weights.sum()
    return float((values * weights).sum() / total) if total > 0 else float("nan")


def hhi(shares: np.ndarray) -> float:
    """Herfindahl-Hirschman index of market shares (0..1; 1 = a single vendor)."""
    s = shares / shares.sum()
    return float((s**2).sum())


def access_share(regime_of: int, regime: np.ndarray, gdp: np.ndarray, free: np.ndarray) -> float:
    """Share of world GDP whose regime exchanges data freely with ``regime_of``."""
    return float(gdp[free[regime_of][regime]].sum() / gdp.sum())
