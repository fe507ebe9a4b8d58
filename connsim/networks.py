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
    """Directed trade network (networkx): edge i -> j weighted by j's share of i's trade."""
    g = nx.DiGraph()
    g.add_nodes_from(st.iso3)
    coo = st.trade.tocoo()
    g.add_weighted_edges_from(zip(st.iso3[coo.row], st.iso3[coo.col], coo.data))
    return g


def security_graph(st: WorldState):
    """Security alignment (networkx): states tied when they share a bloc (NATO, SCO, ...),
    plus each state's ties to the US and China weighted by its alignment."""
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
    """Data-flow compatibility (networkx): states that exchange personal data freely at least
    half-way (their positions' free-flow intensity, ``flow`` (5, 5), on the edge as ``flow``), or
    through an EU adequacy decision with a state of the GDPR area. Quadratic in the size of a
    position's group: for outcomes use :mod:`connsim.metrics`, which never builds it."""
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


def oda_graph(st: WorldState, year: float, tied_finance_years: float):
    """Digital-ODA partnerships (networkx): donor -> recipient for active partnerships, with
    the partnership's strength and whether it carries infrastructure finance."""
    g = nx.DiGraph()
    g.add_nodes_from(DONORS, kind="donor")
    g.add_nodes_from(st.iso3)
    infra = (year - st.last_infra) < tied_finance_years
    rows, cols = np.nonzero(st.partnership_active | infra)
    for i, j in zip(rows, cols):
        g.add_edge(DONORS[j], st.iso3[i], strength=float(st.strength[i, j]), infrastructure=bool(infra[i, j]))
    return g
