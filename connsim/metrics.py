"""Outcomes from arrays: norm convergence, vendor exposure and strategic autonomy.

Every function takes arrays with a leading step axis or without one: a state array is ``(n,)``
for one step or ``(steps, n)`` for a whole run, and the answer has the same leading shape. The
recorder calls them once, on every step of a run at once; a user may call them on
``model.state`` for one step. Every function costs O(steps x (states + edges)); none loops over
pairs of states. The share of world GDP pairs that can exchange data freely, for instance,
comes from GDP sums per regime plus the adequacy holders, not from pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from connsim.decisions import vendors

__all__ = [
    "per_option",
    "regime_shares",
    "convergence_index",
    "free_pairs",
    "free_flow_gdp_pair_share",
    "largest_compatible_component",
    "largest_compatible_component_graph",
    "weighted_share",
    "hhi",
    "access_share",
    "viable_trusted_vendors",
    "strongest_partner",
]


def _steps(a: np.ndarray) -> tuple[np.ndarray, bool]:
    """``a`` as (steps, n), and whether it had no step axis."""
    a = np.asarray(a)
    return (a[None], True) if a.ndim == 1 else (a, False)


def per_option(choice: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum of ``weights``) of states holding each of ``k`` options.

    Parameters
    ----------
    choice : (n,) or (steps, n) integer array of option indices in ``0..k-1``.
    k : number of options.
    weights : (n,) or (steps, n) array, optional (GDP, population); counts if None.

    Returns
    -------
    (k,) or (steps, k) float array.

    Notes
    -----
    One ``bincount`` over all steps (each step's options offset by ``k`` times the step): O(steps x n).
    """
    c, single = _steps(choice)
    steps, n = c.shape
    flat = (c.astype(np.intp) + k * np.arange(steps)[:, None]).ravel()
    w = None if weights is None else np.broadcast_to(weights, c.shape).ravel()
    out = np.bincount(flat, weights=w, minlength=k * steps).reshape(steps, k).astype(float)
    return out[0] if single else out


def regime_shares(regime: np.ndarray, weights: np.ndarray | None = None, n_regimes: int = 4) -> np.ndarray:
    """Share of states (or of ``weights``: GDP, population) in each regime.

    Parameters
    ----------
    regime : (n,) or (steps, n) regime (or position) indices in ``0..n_regimes-1``.
    weights : (n,) or (steps, n), optional; shares of states if None.
    n_regimes : number of regimes.

    Returns
    -------
    (n_regimes,) or (steps, n_regimes) shares, summing to 1 over the last axis.

    Notes
    -----
    :func:`per_option` normalised: O(steps x n).
    """
    totals = per_option(regime, n_regimes, weights)
    return totals / totals.sum(axis=-1, keepdims=True)


def convergence_index(shares: np.ndarray) -> np.ndarray | float:
    """Norm convergence: 1 - normalised Shannon entropy of shares over the last axis, 1 when every
    state holds one option, 0 when states are spread evenly over all options.

    Parameters
    ----------
    shares : (k,) or (steps, k) shares summing to 1 over the last axis (k >= 2).

    Returns
    -------
    float, or (steps,) values in 0..1. O(steps x k).
    """
    p = np.asarray(shares, dtype=float)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    out = 1.0 + plogp.sum(axis=-1) / np.log(p.shape[-1])
    return float(out) if out.ndim == 0 else out


def free_pairs(compatibility: np.ndarray, threshold: float) -> np.ndarray:
    """Which regime pairs exchange data freely: compatibility at or above the threshold.

    Parameters
    ----------
    compatibility : (k, k) or (steps, k, k) compatibility of regimes, 0..1.
    threshold : the compatibility at which data flow freely.

    Returns
    -------
    Booleans of the shape of ``compatibility``. O(steps x k^2).
    """
    return np.asarray(compatibility) >= threshold


def _adequacy_links(position, flow, adequacy, gdpr_area, gdp):
    """Per step, each adequacy holder's mass of GDPR-area GDP it reaches through adequacy beyond
    what its position already exchanges freely: (steps,)."""
    k = flow.shape[-1]
    eu_by_position = per_option(position[:, gdpr_area], k, gdp[gdpr_area])  # (steps, k)
    # for a holder in position r: the GDPR area's GDP times how far r does not already flow freely with it
    apart = np.matmul(1.0 - flow, eu_by_position[:, :, None])[:, :, 0]  # (steps, k)
    holders = adequacy & ~gdpr_area
    reached = np.take_along_axis(apart, position.astype(np.intp), axis=1)  # (steps, n)
    return (np.where(holders, reached, 0.0) * gdp).sum(axis=1)


def free_flow_gdp_pair_share(
    position: np.ndarray, gdp: np.ndarray, *, flow: np.ndarray, adequacy: np.ndarray, gdpr_area: np.ndarray
) -> np.ndarray | float:
    """Share of world GDP pairs (i != j, weighted g_i * g_j) that exchange personal data freely,
    weighted by how freely they do.

    Parameters
    ----------
    position : (n,) or (steps, n) position indices (a law's orientation, or none).
    gdp : (n,) GDP.
    flow : (k, k) or (steps, k, k): how freely positions exchange data, 0..1 (booleans work too).
    adequacy : (n,) or (steps, n) booleans: holds an EU adequacy decision.
    gdpr_area : (n,) booleans: EU member states and the EEA.

    Returns
    -------
    float, or (steps,) shares in 0..1 (nan for fewer than two states).

    Notes
    -----
    A pair flows as freely as its positions do (``flow``), and fully when one holds an EU adequacy
    decision and the other applies the GDPR. O(steps x n): GDP sums per position, and for each
    adequacy holder the GDPR-area GDP it reaches through adequacy alone.
    """
    reg, single = _steps(position)
    adequacy = np.broadcast_to(adequacy, reg.shape)
    flow = np.broadcast_to(np.asarray(flow, dtype=float), (reg.shape[0],) + np.shape(flow)[-2:])
    k = flow.shape[-1]
    g = per_option(reg, k, gdp)
    sq = per_option(reg, k, gdp**2)
    free_mass = np.einsum("tr,trs,ts->t", g, flow, g) - (sq * np.diagonal(flow, axis1=1, axis2=2)).sum(axis=1)
    extra = _adequacy_links(reg, flow, adequacy, gdpr_area, gdp)
    with np.errstate(invalid="ignore", divide="ignore"):  # one state: no pairs, nan
        out = (free_mass + 2.0 * extra) / (gdp.sum() ** 2 - (gdp**2).sum())
    return float(out[0]) if single else out


def largest_compatible_component(
    regime: np.ndarray, free: np.ndarray, *, adequacy: np.ndarray, gdpr_area: np.ndarray
) -> np.ndarray | int:
    """Number of states in the largest group linked by free data flows.

    Parameters
    ----------
    regime : (n,) or (steps, n) regime (or position) indices in ``0..k-1``.
    free : (k, k) or (steps, k, k) booleans: the regimes exchange data freely.
    adequacy : (n,) or (steps, n) booleans: holds an EU adequacy decision.
    gdpr_area : (n,) booleans: EU member states and the EEA.

    Returns
    -------
    int, or (steps,) integers.

    Notes
    -----
    Two states are linked when their regimes exchange data freely (``free``), or when one holds
    an EU adequacy decision and the other is an EU member state. On a graph of the states plus
    one hub per regime and one adequacy hub, a state joins its regime's hub when the regime links
    it to anyone (it exchanges freely within itself, or with another held regime), hubs of held
    regimes join when their regimes exchange freely, and adequacy holders and EU members join the
    adequacy hub. The groups of the k + 1 hubs are found by boolean matrix powers (reachability)
    and sized from counts per regime: O(steps x n), no graph of states.
    :func:`largest_compatible_component_graph` builds the graph explicitly (the reference).
    """
    reg, single = _steps(regime)
    steps, n = reg.shape
    k = np.shape(free)[-1]
    if n == 0:
        return 0 if single else np.zeros(steps, dtype=np.int64)
    free = np.broadcast_to(free, (steps, k, k))
    adequacy = np.broadcast_to(adequacy, reg.shape)
    count = per_option(reg, k).astype(np.int64)
    held = count > 0
    eye = np.eye(k, dtype=bool)
    linked = held & (np.diagonal(free, axis1=1, axis2=2) | (free & ~eye & held[:, None, :]).any(axis=2))
    hubs = np.zeros((steps, k + 1, k + 1), dtype=bool)
    upper = np.triu(np.ones((k, k), dtype=bool), 1) & free & held[:, :, None] & held[:, None, :]
    hubs[:, :k, :k] = upper | upper.transpose(0, 2, 1)
    holders = adequacy & ~gdpr_area
    sizes = np.zeros((steps, k + 1), dtype=np.int64)
    sizes[:, :k] = np.where(linked, count, 0)
    if gdpr_area.any():
        # states per step and regime that hold adequacy or are EU members (exact integers)
        touching = per_option(reg, k, (holders | gdpr_area).astype(float)).astype(np.int64)
        touching[~holders.any(axis=1)] = 0
        joins = (touching > 0) & linked
        hubs[:, k, :k] = hubs[:, :k, k] = joins
        sizes[:, k] = np.where(linked, 0, touching).sum(axis=1)  # states linked by adequacy only
    reach = hubs | np.eye(k + 1, dtype=bool)
    for _ in range(int(np.ceil(np.log2(k + 1)))):  # paths of up to 2**i hubs
        reach = reach @ reach
    totals = (reach * sizes[:, None, :]).sum(axis=2)  # size of the group of each hub
    out = np.maximum(totals.max(axis=1), 1)  # every other state is a group of one
    return int(out[0]) if single else out


def largest_compatible_component_graph(
    regime: np.ndarray, free: np.ndarray, *, adequacy: np.ndarray, gdpr_area: np.ndarray
) -> int:
    """Reference for :func:`largest_compatible_component` of one step, on the explicit hub graph
    (scipy's connected components); kept for tests and teaching.

    ``regime`` (n,), ``free`` (k, k), ``adequacy`` and ``gdpr_area`` (n,) booleans; returns an int.
    O(n + k^2) for the sparse graph of n + k + 1 nodes.
    """
    regime = regime.astype(np.intp)
    n, k = regime.shape[0], free.shape[0]
    if n == 0:
        return 0
    count = np.bincount(regime, minlength=k)
    held = count > 0
    off = free & ~np.eye(k, dtype=bool)
    linked = held & (np.diag(free) | (off & held[None, :]).any(axis=1))
    members = np.nonzero(linked[regime])[0]
    rows, cols = [members], [n + regime[members]]
    a, b = np.nonzero(np.triu(free, 1) & held[:, None] & held[None, :])
    rows.append(n + a)
    cols.append(n + b)
    holders = adequacy & ~gdpr_area
    if holders.any() and gdpr_area.any():
        touching = np.nonzero(holders | gdpr_area)[0]
        rows.append(touching)
        cols.append(np.full(touching.shape, n + k))
    r_, c_ = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.coo_matrix((np.ones(r_.shape[0]), (r_, c_)), shape=(n + k + 1, n + k + 1))
    _, labels = connected_components(graph, directed=False)
    return int(np.bincount(labels[:n]).max())


def weighted_share(values: np.ndarray, *, weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray | float:
    """Weighted mean of ``values`` over the states of ``mask`` (all states if None).

    Parameters
    ----------
    values : (n,) or (steps, n), for instance booleans (a high-risk core) as a share.
    weights : (n,) weights, 0 or more (GDP, population).
    mask : (n,) or (steps, n) booleans, optional: the states to average over.

    Returns
    -------
    float, or (steps,) means; nan where the selected states weigh nothing. O(steps x n).
    """
    values = np.asarray(values, dtype=float)
    if mask is None:
        mask = np.ones(values.shape, dtype=bool)
    w = np.where(mask, weights, 0.0)
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, (values * w).sum(axis=-1) / np.where(total > 0, total, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def hhi(shares: np.ndarray) -> np.ndarray | float:
    """Herfindahl-Hirschman index of market shares over the last axis (0..1; 1 = a single vendor).

    ``shares`` (v,) or (..., v), normalised here to sum to 1; returns a float or (...,). O(size).
    """
    s = np.asarray(shares, dtype=float)
    s = s / s.sum(axis=-1, keepdims=True)
    out = (s**2).sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def access_share(regime_of: int, position: np.ndarray, gdp: np.ndarray, flow: np.ndarray) -> np.ndarray | float:
    """Share of world GDP whose position exchanges data freely with ``regime_of``, weighted by how freely.

    Parameters
    ----------
    regime_of : the index of the regime (position) the access is to.
    position : (n,) or (steps, n) position indices in ``0..k-1``.
    gdp : (n,) GDP.
    flow : (k, k) or (steps, k, k): how freely positions exchange data, 0..1 (booleans work too).

    Returns
    -------
    float, or (steps,) shares in 0..1. O(steps x n).
    """
    reg, single = _steps(position)
    flow = np.broadcast_to(np.asarray(flow, dtype=float), (reg.shape[0],) + np.shape(flow)[-2:])
    with_it = np.take_along_axis(flow[:, regime_of, :], reg.astype(np.intp), axis=1)
    out = (with_it * gdp).sum(axis=1) / gdp.sum()
    return float(out[0]) if single else out


def viable_trusted_vendors(
    high_risk: np.ndarray, quality: np.ndarray, *, reach: np.ndarray, origin_index: np.ndarray, n_states: int, w
) -> tuple[Any, Any]:
    """How many trusted vendors are a real option for a state (the rule of
    :func:`connsim.decisions.vendors.viable_trusted_vendors`): the mean over states and the fewest.

    Parameters
    ----------
    high_risk : (v,) booleans: high-risk vendors (they are not counted).
    quality : (v,) or (steps, v) vendors' quality, 0..1.
    reach : (v,) or (steps, v) vendors' reach, 0..1.
    origin_index : (v,) the state each vendor comes from (-1 for none).
    n_states : n, the number of states.
    w : weights; reads ``viable_quality`` and ``viable_reach``.

    Returns
    -------
    mean, fewest : two floats, or two (steps,) arrays. O(steps x (v + n)).
    """
    q, single = _steps(quality)
    r = np.broadcast_to(reach, q.shape)
    counts = vendors.viable_trusted_vendors(high_risk, q, reach=r, origin_index=origin_index, n_states=n_states, w=w)
    mean, fewest = counts.mean(axis=1), counts.min(axis=1).astype(float)
    return (float(mean[0]), float(fewest[0])) if single else (mean, fewest)


def strongest_partner(strength: np.ndarray) -> np.ndarray:
    """Each state's strongest ODA partner: a donor index, -1 for none.

    Parameters
    ----------
    strength : (n, d) or (steps, n, d) partnership strength with each donor.

    Returns
    -------
    (n,) or (steps, n) donor indices (np.intp), -1 where no partnership is positive.

    Notes
    -----
    ``argmax`` over the last axis (the first of equal strengths), written as a chain over the few
    donors: numpy's reductions along a short last axis are several times slower. O(size)."""
    top = strength[..., 0].copy()
    best = np.zeros(top.shape, np.intp)
    for j in range(1, strength.shape[-1]):
        better = strength[..., j] > top
        np.copyto(top, strength[..., j], where=better)
        best[better] = j
    best[~(top > 0)] = -1
    return best
