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
    "largest_compatible_components",
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


def _linked_regimes(regime: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts per regime, and which held regimes link their states to others: a held regime
    whose states exchange freely among themselves or with another held regime."""
    k = free.shape[0]
    count = np.bincount(regime, minlength=k)
    held = count > 0
    off = free & ~np.eye(k, dtype=bool)
    linked = held & (np.diag(free) | (off & held[None, :]).any(axis=1))
    return count, linked


def largest_compatible_component(
    regime: np.ndarray, free: np.ndarray, adequacy: np.ndarray, eu_member: np.ndarray
) -> int:
    """Number of states in the largest group linked by free data flows.

    Two states are linked when their regimes exchange data freely (``free``), or when one holds
    an EU adequacy decision and the other is an EU member state. On a graph of the states plus
    one hub per regime and one adequacy hub, a state joins its regime's hub when the regime links
    it to anyone (see :func:`_linked_regimes`), hubs of held regimes join when their regimes
    exchange freely, and adequacy holders and EU members join the adequacy hub. The groups are
    found on the k + 1 hubs alone (union-find) and sized from counts per regime: O(n), no graph
    built. :func:`largest_compatible_component_graph` builds the same graph explicitly.
    """
    n, k = regime.shape[0], free.shape[0]
    if n == 0:
        return 0
    count, linked = _linked_regimes(regime, free)
    parent = list(range(k + 1))  # hub k: the adequacy hub

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a in range(k):
        for b in range(a + 1, k):
            if free[a, b] and count[a] and count[b]:
                parent[find(b)] = find(a)
    sizes = [0] * (k + 1)
    holders = adequacy & ~eu_member
    if holders.any() and eu_member.any():
        touching = np.bincount(regime[holders | eu_member], minlength=k)
        for r in np.nonzero((touching > 0) & linked)[0].tolist():
            ra, rr = find(k), find(r)
            if ra != rr:
                parent[rr] = ra
        sizes[k] = int(touching[~linked].sum())  # states alone in their regime, linked by adequacy only
    for r in range(k):
        if linked[r]:
            sizes[find(r)] += int(count[r])
    totals = [0] * (k + 1)
    for h in range(k + 1):
        totals[find(h)] += sizes[h]
    return max(max(totals), 1)  # every other state is a group of one


def largest_compatible_components(
    regime: np.ndarray, free: np.ndarray, adequacy: np.ndarray, eu_member: np.ndarray, *,
    flat: np.ndarray | None = None, count: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`largest_compatible_component` of many steps at once: ``regime`` and ``adequacy``
    (steps, n), ``free`` (steps, k, k), ``eu_member`` (n,); one integer per step.

    The same hub graph, with the groups of its k + 1 hubs found by boolean matrix powers
    (reachability) instead of union-find; sizes are the same integers. ``flat`` (the regimes
    plus k times the step, raveled) and ``count`` (states per step and regime) may be passed
    if already at hand."""
    regime = np.asarray(regime)
    steps, n = regime.shape
    k = free.shape[-1]
    if n == 0:
        return np.zeros(steps, dtype=np.int64)
    if flat is None:
        flat = (regime.astype(np.intp) + k * np.arange(steps)[:, None]).ravel()
    if count is None:
        count = np.bincount(flat, minlength=k * steps).reshape(steps, k)
    held = count > 0
    eye = np.eye(k, dtype=bool)
    linked = held & (np.diagonal(free, axis1=1, axis2=2) | (free & ~eye & held[:, None, :]).any(axis=2))
    hubs = np.zeros((steps, k + 1, k + 1), dtype=bool)
    upper = np.triu(np.ones((k, k), dtype=bool), 1) & free & held[:, :, None] & held[:, None, :]
    hubs[:, :k, :k] = upper | upper.transpose(0, 2, 1)
    holders = adequacy & ~eu_member
    sizes = np.zeros((steps, k + 1), dtype=np.int64)
    sizes[:, :k] = np.where(linked, count, 0)
    if eu_member.any():
        # states per step and regime that hold adequacy or are EU members (exact integers)
        touching = np.bincount(flat, weights=(holders | eu_member).ravel(), minlength=k * steps).reshape(steps, k).astype(np.int64)
        touching[~holders.any(axis=1)] = 0
        joins = (touching > 0) & linked
        hubs[:, k, :k] = hubs[:, :k, k] = joins
        sizes[:, k] = np.where(linked, 0, touching).sum(axis=1)  # states linked by adequacy only
    reach = hubs | np.eye(k + 1, dtype=bool)
    for _ in range(int(np.ceil(np.log2(k + 1)))):  # paths of up to 2**i hubs
        reach = reach @ reach
    totals = (reach * sizes[:, None, :]).sum(axis=2)  # size of the group of each hub
    return np.maximum(totals.max(axis=1), 1)  # every other state is a group of one


def largest_compatible_component_graph(
    regime: np.ndarray, free: np.ndarray, adequacy: np.ndarray, eu_member: np.ndarray
) -> int:
    """Reference for :func:`largest_compatible_component` on the explicit hub graph (scipy's
    connected components); kept for tests and teaching."""
    regime = regime.astype(np.intp)
    n, k = regime.shape[0], free.shape[0]
    if n == 0:
        return 0
    count, linked = _linked_regimes(regime, free)
    members = np.nonzero(linked[regime])[0]
    rows, cols = [members], [n + regime[members]]
    a, b = np.nonzero(np.triu(free, 1) & (count[:, None] > 0) & (count[None, :] > 0))
    rows.append(n + a)
    cols.append(n + b)
    holders = adequacy & ~eu_member
    if holders.any() and eu_member.any():
        touching = np.nonzero(holders | eu_member)[0]
        rows.append(touching)
        cols.append(np.full(touching.shape, n + k))
    r_, c_ = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.coo_matrix((np.ones(r_.shape[0]), (r_, c_)), shape=(n + k + 1, n + k + 1))
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
