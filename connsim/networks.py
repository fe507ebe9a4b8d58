"""The model's networks as networkx graphs, built from the state arrays on request.

The model itself never builds them (the rules run on arrays, sparse matrices and per-regime sums);
they are for users who want networkx's algorithms: ``model.trade_graph()`` and the others call
these functions.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from connsim.names import DONORS
from connsim.world import WorldState

__all__ = ["trade_graph", "security_graph", "data_flow_graph", "oda_graph"]


def trade_graph(st: WorldState):
    """Directed trade network: edge i -> j weighted by j's share of i's trade.

    Parameters
    ----------
    st : the world's state; reads ``iso3`` (n,) and ``trade``, a sparse (n, n) matrix of trade shares.

    Returns
    -------
    networkx.DiGraph on the n ISO3 codes, edge attribute ``weight``.

    Notes
    -----
    O(n + trade edges).
    """
    g = nx.DiGraph()
    g.add_nodes_from(st.iso3)
    coo = st.trade.tocoo()
    g.add_weighted_edges_from(zip(st.iso3[coo.row], st.iso3[coo.col], coo.data))
    return g


def security_graph(st: WorldState):
    """Security alignment: states tied when they share a bloc (NATO, SCO, ...), plus each state's
    ties to the US and China weighted by its alignment.

    Parameters
    ----------
    st : the world's state; reads ``iso3`` (n,), ``blocs`` (a sparse (n, blocs) membership matrix),
        ``bloc_names`` (blocs,), ``align_us`` and ``align_cn`` (n,).

    Returns
    -------
    networkx.Graph on the n ISO3 codes; edge attributes ``blocs`` (the blocs two states share)
    and ``align_usa`` / ``align_chn`` on the edges to the US and China.

    Notes
    -----
    O(n + the sum over blocs of members^2): a bloc is a clique.
    """
    g = nx.Graph()
    g.add_nodes_from(st.iso3)
    coo = st.blocs.tocsc()
    for b, name in enumerate(st.bloc_names):
        members = st.iso3[coo.indices[coo.indptr[b] : coo.indptr[b + 1]]]
        for i, a in enumerate(members):
            for c in members[i + 1 :]:
                blocs = g.edges[a, c]["blocs"] + (name,) if g.has_edge(a, c) else (name,)
                g.add_edge(a, c, blocs=blocs)
    for i, c in enumerate(st.iso3):
        for power, align in (("USA", st.align_us[i]), ("CHN", st.align_cn[i])):
            if c != power:
                g.add_edge(
                    c,
                    power,
                    **{**g.edges[c, power], f"align_{power.lower()}": float(align)}
                    if g.has_edge(c, power)
                    else {f"align_{power.lower()}": float(align)},
                )
    return g


def data_flow_graph(st: WorldState, flow: np.ndarray):
    """Data-flow compatibility: states that exchange personal data freely at least half-way, or
    through an EU adequacy decision with a state of the GDPR area.

    Parameters
    ----------
    st : the world's state; reads ``iso3``, ``position``, ``adequacy`` and ``gdpr_area`` (n,).
    flow : (k, k) how freely positions exchange data, 0..1 (``model.flow``, k = 5).

    Returns
    -------
    networkx.Graph on the n ISO3 codes; edge attributes ``via`` ("position" or "adequacy")
    and ``flow`` (the positions' free-flow intensity; 1 for adequacy).

    Notes
    -----
    Quadratic in the size of a position's group (a group that flows freely is a clique): for
    outcomes use :mod:`connsim.metrics`, which never builds it, O(n) per step.
    """
    g = nx.Graph()
    g.add_nodes_from(st.iso3)
    position = st.position
    by_position = [np.nonzero(position == r)[0] for r in range(flow.shape[0])]
    for r in range(flow.shape[0]):
        for q in range(r, flow.shape[0]):
            if flow[r, q] < 0.5:
                continue
            for x in by_position[r]:
                for y in by_position[q]:
                    if x < y or (r != q and x != y):
                        g.add_edge(st.iso3[x], st.iso3[y], via="position", flow=float(flow[r, q]))
    for x in np.nonzero(st.adequacy)[0]:
        for y in np.nonzero(st.gdpr_area)[0]:
            g.add_edge(st.iso3[x], st.iso3[y], via="adequacy", flow=1.0)
    return g


def oda_graph(st: WorldState, year: float, *, tied_finance_years: float):
    """Digital-ODA partnerships: donor -> recipient for active partnerships, with the partnership's
    strength and whether it carries infrastructure finance.

    Parameters
    ----------
    st : the world's state; reads ``iso3`` (n,), ``partnership_active``, ``strength`` and
        ``last_infra`` (n, d).
    year : the current year.
    tied_finance_years : years an infrastructure programme lasts (``Weights.tied_finance_years``).

    Returns
    -------
    networkx.DiGraph on the d donors (node attribute ``kind="donor"``) and the n ISO3 codes;
    edge attributes ``strength`` and ``infrastructure``.

    Notes
    -----
    O(n x d).
    """
    g = nx.DiGraph()
    g.add_nodes_from(DONORS, kind="donor")
    g.add_nodes_from(st.iso3)
    infra = (year - st.last_infra) < tied_finance_years
    rows, cols = np.nonzero(st.partnership_active | infra)
    for i, j in zip(rows, cols):
        g.add_edge(DONORS[j], st.iso3[i], strength=float(st.strength[i, j]), infrastructure=bool(infra[i, j]))
    return g
