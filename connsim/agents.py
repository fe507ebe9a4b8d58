"""The Mesa agents: thin views on the model's arrays.

State lives in arrays on the model (``model.state``) so that the decisions run for all states
at once; each agent exposes its own slice as attributes, so ``model.agents.select(...)``,
``groupby`` and ``agg`` work as with any Mesa model::

    model.agents_by_type[ThirdCountry].select(lambda a: a.regime == "protect")
    model.agents.groupby("paper_region").agg("capacity", np.mean)

Setting a decision or its state writes through to the arrays (``kenya.vendor_policy = "banned"``,
``kenya.capacity = 0.8``); the fixed attributes (GDP, population) and the derived exposure
shares cannot be set.
"""

from __future__ import annotations

import mesa

from connsim.seeds import POLICIES, REGIMES

__all__ = ["State", "Power", "MemberState", "ThirdCountry", "Vendor"]


class _StateView:
    """An attribute reading (and writing) ``model.state.<array>[self.index]``; ``read_only``
    says why it cannot be set."""

    def __init__(self, array: str, labels: tuple[str, ...] | None = None, doc: str = "", read_only: str = ""):
        self.array, self.labels, self.read_only, self.__doc__ = array, labels, read_only, doc

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(agent.model.state, self.array)[agent.index]
        return self.labels[value] if self.labels is not None else value.item()

    def __set__(self, agent, value) -> None:
        if self.read_only:
            raise AttributeError(f"{type(agent).__name__}.{self.name} cannot be set: {self.read_only}")
        getattr(agent.model.state, self.array)[agent.index] = self.labels.index(value) if self.labels is not None else value


_FIXED = "it is fixed for a run (from the seed data); change seeds/ or the scenario and build a new model"
_DERIVED = "it follows from the installed network, which procurement renews each step"


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
    threat = _StateView("threat", doc="threat perception of high-risk vendors")
    capacity = _StateView("capacity", doc="data-protection capacity, 0..1")
    adequacy = _StateView("adequacy", doc="holds an EU adequacy decision")
    hr_core_share = _StateView("hr_core", doc="high-risk vendors' share of the installed core network", read_only=_DERIVED)
    hr_ran_share = _StateView("hr_ran", doc="high-risk vendors' share of the installed radio network", read_only=_DERIVED)
    gdp = _StateView("gdp", doc="GDP, current US$ (2019)", read_only=_FIXED)
    population = _StateView("population", doc="population (2019)", read_only=_FIXED)

    @property
    def oda_partners(self) -> list[str]:
        """Donors with an active digital-ODA partnership with this state."""
        s = self.model.state
        return [d for j, d in enumerate(self.model.donors) if s.partnership_active[self.index, j]]

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


def _union_aware(name: str):
    state_view = getattr(State, name)

    def get(self):
        return self.model.union_view(name) if self.index < 0 else state_view.__get__(self, type(self))

    def set_(self, value):
        if self.index < 0:  # the EU has no row of its own: writing row -1 would change the last state
            raise AttributeError(f"the EU's {name} answers for the Union as a whole and cannot be set: set it on member states")
        state_view.__set__(self, value)

    return property(get, set_, doc=state_view.__doc__)


for _name in ("vendor_policy", "regime", "threat", "capacity", "adequacy", "hr_core_share", "hr_ran_share", "gdp", "population", "oda_partners"):
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
    and its quality follows its revenue, weighted toward the core."""

    def __init__(self, model, index: int, name: str, origin: str, high_risk: bool):
        super().__init__(model)
        self.index = index
        self.name = name
        self.origin = origin
        self.high_risk = bool(high_risk)
        self.trusted_vendor = not self.high_risk

    kind = property(lambda self: "Vendor")
    quality = property(lambda self: float(self.model.state.quality[self.index]), doc="quality, 0..1.5")
    reach = property(lambda self: float(self.model.state.reach[self.index]), doc="global reach, 0..1")
    world_core_share = property(lambda self: float(self.model.world_vendor_shares("core")[self.index]))
    world_ran_share = property(lambda self: float(self.model.world_vendor_shares("ran")[self.index]))

    def __repr__(self) -> str:
        return f"<Vendor {self.name} ({self.origin}{', high-risk' if self.high_risk else ''})>"
