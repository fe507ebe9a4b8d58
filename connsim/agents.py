"""The Mesa agents: thin views on the model's arrays.

State lives in arrays on the model (``model.state``) so that the decisions run for all states
at once (:func:`connsim.dynamics.step`); each agent exposes its own slice as attributes, so
``model.agents.select(...)``, ``groupby`` and ``agg`` work as with any Mesa model::

    model.agents_by_type[ThirdCountry].select(lambda a: a.regime == "protect")
    model.agents.groupby("paper_region").agg("capacity", np.mean)

``model.agents`` holds the states (and the EU itself); the vendors, which are firms, are in
``model.vendors``. Setting a decision or its state writes through to the arrays
(``kenya.vendor_policy = "banned"``, ``kenya.capacity = 0.8``), checked against its domain; the
fixed attributes (GDP, population) and the derived exposure shares cannot be set.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from connsim.names import DONORS, POLICIES, REGIMES

__all__ = ["State", "Power", "MemberState", "ThirdCountry", "Vendor", "union_view"]


class _StateView:
    """An attribute reading (and writing) ``model.state.<array>[self.index]``.

    ``labels``: the array holds indices into these; ``domain``: (lo, hi) of a number, or
    ``bool``; ``read_only``: why it cannot be set.
    """

    def __init__(self, array: str, labels: tuple[str, ...] | None = None, doc: str = "", read_only: str = "", domain=None):
        self.array, self.labels, self.read_only, self.domain, self.__doc__ = array, labels, read_only, domain, doc

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(agent.model.state, self.array)[agent.index]
        return self.labels[value] if self.labels is not None else value.item()

    def __set__(self, agent, value) -> None:
        getattr(agent.model.state, self.array)[agent.index] = self.checked(type(agent).__name__, value)

    def checked(self, owner: str, value):
        """``value`` as the array stores it, or a ValueError naming the attribute and its domain."""
        where = f"{owner}.{self.name}"
        if self.read_only:
            raise AttributeError(f"{where} cannot be set: {self.read_only}")
        if self.labels is not None:
            if value not in self.labels:
                raise ValueError(f"{where}: got {value!r}; allowed one of {', '.join(self.labels)}")
            return self.labels.index(value)
        if self.domain is bool:
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{where}: got {value!r}; allowed True or False")
            return bool(value)
        lo, hi = self.domain
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        if not ok or not math.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"{where}: got {value!r}; allowed a number in {lo:g}..{hi:g}")
        return float(value)


_FIXED = "it is fixed for a run (from the seed data); change seeds/ or the scenario and build a new model"
_DERIVED = "it follows from the installed network, which procurement renews each step"
_FIRMS = (
    "connsim's states decide together, in WorldModel.step (connsim.dynamics.step, with the rules of "
    "connsim/decisions/): call model.step(), not the agents' step"
)


class State(mesa.Agent):
    """A state of the world: it sets its 5G security policy and its data-flow regime, and
    accepts or declines digital-ODA offers. Its data are row ``index`` of the model's arrays."""

    def __init__(self, model, index: int, iso3: str, name: str, region: str, paper_region: str):
        super().__init__(model)
        self.index = index
        self.iso3 = iso3
        self.name = name
        self.region = region
        self.paper_region = paper_region

    kind = property(lambda self: type(self).__name__)
    vendor_policy = _StateView("policy", POLICIES, "security policy toward high-risk vendors")
    regime = _StateView("regime", REGIMES, "data-flow regime")
    threat = _StateView("threat", doc="threat perception of high-risk vendors, 0..2", domain=(0.0, 2.0))
    capacity = _StateView("capacity", doc="data-protection capacity, 0..1", domain=(0.0, 1.0))
    adequacy = _StateView("adequacy", doc="holds an EU adequacy decision", domain=bool)
    hr_core_share = _StateView("hr_core", doc="high-risk vendors' share of the installed core network", read_only=_DERIVED)
    hr_ran_share = _StateView("hr_ran", doc="high-risk vendors' share of the installed radio network", read_only=_DERIVED)
    gdp = _StateView("gdp", doc="GDP, current US$ (2019)", read_only=_FIXED)
    population = _StateView("population", doc="population (2019)", read_only=_FIXED)

    @property
    def oda_partners(self) -> list[str]:
        """Donors with an active digital-ODA partnership with this state."""
        s = self.model.state
        return [d for j, d in enumerate(DONORS) if s.partnership_active[self.index, j]]

    def step(self) -> None:
        """States do not step one by one: see :meth:`connsim.model.WorldModel.step`."""
        raise RuntimeError(_FIRMS)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.iso3}: {self.vendor_policy}, {self.regime}>"


class Power(State):
    """A great power: Japan, the US or China (a state with its own network), or the EU itself
    (``EUU``, no network of its own: it sets the 5G toolbox, grants adequacy and gives ODA; its
    attributes answer for the Union as a whole). Powers hold their own policy and regime as
    levers and act through pressure, adequacy and ODA."""

    @property
    def is_union(self) -> bool:
        """True for the EU itself, which has no row in the state arrays."""
        return self.index < 0


def union_view(model, name: str):
    """An attribute of the EU itself, answered for the Union as a whole (its member states):
    GDP and population summed, threat, capacity and exposure GDP-weighted."""
    st, m = model.state, model.state.member
    g = st.gdp[m]
    fixed = {"vendor_policy": "toolbox", "regime": "protect", "adequacy": True}
    if name in fixed:
        return fixed[name]
    if name == "oda_partners":
        return list(st.iso3[st.partnership_active[:, DONORS.index("EUU")]])
    if name in ("gdp", "population"):
        return float(getattr(st, name)[m].sum())
    arr = {"threat": st.threat, "capacity": st.capacity, "hr_core_share": st.hr_core, "hr_ran_share": st.hr_ran}[name]
    return float((arr[m] * g).sum() / g.sum())


def _union_aware(name: str):
    state_view = getattr(State, name)

    def get(self):
        return union_view(self.model, name) if self.index < 0 else state_view.__get__(self, type(self))

    def set_(self, value):
        if self.index < 0:  # the EU has no row of its own: writing row -1 would change the last state
            raise AttributeError(f"the EU's {name} answers for the Union as a whole and cannot be set: set it on member states")
        state_view.__set__(self, value)

    return property(get, set_, doc=state_view.__doc__)


for _name in (
    "vendor_policy",
    "regime",
    "threat",
    "capacity",
    "adequacy",
    "hr_core_share",
    "hr_ran_share",
    "gdp",
    "population",
    "oda_partners",
):
    setattr(Power, _name, _union_aware(_name))


class MemberState(State):
    """An EU member state: 5G security is its national competence (it picks its own policy,
    pulled by the EU toolbox and by information sharing with Japan); its data regime follows
    the EU's (GDPR); it gives digital ODA of its own, pooled here as the donor ``MS``."""


class ThirdCountry(State):
    """Any other state: it picks its 5G policy and procurement, its data regime, and which ODA
    offers to accept."""


class Vendor(mesa.Agent):
    """A telecom equipment vendor (a firm, not a state): it sells core and radio equipment,
    and its quality follows its revenue, weighted toward the core. ``model.vendors`` holds them."""

    def __init__(self, model, index: int, name: str):
        super().__init__(model)
        c = model.constants
        self.index = index
        self.name = name
        self.origin = c.vendor_origin[index]
        self.high_risk = bool(c.high_risk[index])
        self.trusted_vendor = not self.high_risk

    kind = property(lambda self: "Vendor")
    quality = property(lambda self: float(self.model.state.quality[self.index]), doc="quality, 0..1.5")
    reach = property(lambda self: float(self.model.state.reach[self.index]), doc="global reach, 0..1")
    world_core_share = property(lambda self: float(self.model.world_vendor_shares("core")[self.index]))
    world_ran_share = property(lambda self: float(self.model.world_vendor_shares("ran")[self.index]))

    def step(self) -> None:
        """Vendors do not step one by one: see :meth:`connsim.model.WorldModel.step`."""
        raise RuntimeError(_FIRMS)

    def __repr__(self) -> str:
        return f"<Vendor {self.name} ({self.origin}{', high-risk' if self.high_risk else ''})>"
