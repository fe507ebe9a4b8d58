"""The world as arrays: the states' attributes and state, built from the seeds and a scenario.

:class:`WorldState` holds one row per state (the 193 UN members, plus any synthetic third
countries) and one column per vendor or donor. The EU itself is not a row: it has no network or
regime of its own; member states carry those. Everything the decisions read or write is here,
so a step is a handful of array operations over all states at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields

import numpy as np
from scipy import sparse

from connsim.choice import row_sum
from connsim.decisions import oda, regimes, vendors
from connsim.names import DONOR_CAMP, DONOR_REGIME, DONORS, KINDS, NO_LAW, POLICIES, PROGRAMS, REGIMES, US_ALLY_BLOCS
from connsim.scenario import Scenario, schedule_at
from connsim.seeds import Seeds, load_seeds

__all__ = [
    "WorldState",
    "Constants",
    "build_world",
    "derive_constants",
    "start_world",
    "DONOR_PRIORITY",
    "OCRE_REGIONS",
    "INDIA_LINKED_REGIONS",
]

_CP = {
    "Western Balkans": 1.0,
    "Eastern Europe": 1.0,
    "Central Asia": 1.0,
    "Indo-Pacific": 1.0,
    "Africa": 1.0,
    "South Asia": 0.7,
    "Middle East": 0.6,
    "Latin America": 0.5,
}
#: Donor priority by region (ESTIMATED): the EU, member states and Japan follow the regions the
#: 2019 Connectivity Partnership names; the US the Indo-Pacific and its hemisphere; China's Belt
#: and Road reaches everywhere, Africa and Asia first.
DONOR_PRIORITY = {
    "EUU": _CP,
    "MS": _CP,
    "JPN": _CP,
    "USA": {
        "Indo-Pacific": 1.0,
        "Latin America": 1.0,
        "South Asia": 0.8,
        "Africa": 0.7,
        "Middle East": 0.7,
        "Eastern Europe": 0.7,
        "Western Balkans": 0.5,
        "Central Asia": 0.5,
    },
    "CHN": {
        "Africa": 1.0,
        "South Asia": 1.0,
        "Central Asia": 1.0,
        "Indo-Pacific": 1.0,
        "Middle East": 0.9,
        "Western Balkans": 0.8,
        "Latin America": 0.8,
        "Eastern Europe": 0.7,
    },
}
#: The Open and Connected Ring around Europe: the EU's neighbourhood east and south.
OCRE_REGIONS = ("Western Balkans", "Eastern Europe", "Central Asia", "Middle East")
OCRE_UN_REGIONS = ("Northern Africa",)
#: Where trilateral work with Indian companies on financial inclusion helps (large Indian
#: diasporas and/or Muslim populations, after the paper): South Asia, the Middle East, Africa.
INDIA_LINKED_REGIONS = ("South Asia", "Middle East", "Africa")
EQUIPMENT_SPEND_SHARE = 0.001
"""The world's yearly network-equipment spend as a share of world GDP (ESTIMATED: about US$90bn of
service-provider equipment in 2019 (Dell'Oro) against about US$87tn of world GDP). Each state's
share of it is its share of the world's telecom investment (``telecom_capex_usd_2019``)."""
JAPAN_TIE_G20, JAPAN_TIE_PER_TRADE = 0.5, 5.0
"""A state's tie to Japan, 0..1, through which the DFFT push reaches it (ESTIMATED): half for a G20
member (the forum of the Osaka Track), plus 5 x its trade share with Japan (0.1 of trade: half)."""


#: Who each state is and what it brings to the start: fixed for a run. The model derives
#: constants from them once (market shares, dispositions, ODA eligibility, utility terms), so
#: after :func:`build_world` their arrays are read-only and cannot be replaced: a change would
#: silently not reach those constants. To change them, change the seeds or the scenario.
FIXED = frozenset(
    (
        "iso3",
        "name",
        "region",
        "paper_region",
        "kind",
        "member",
        "power",
        "third",
        "synthetic",
        "gdp",
        "population",
        "income",
        "gdp_per_capita",
        "freedom",
        "rule_of_law01",
        "align_us",
        "align_cn",
        "trade_jp",
        "security_culture",
        "eea",
        "gdpr_area",
        "g20",
        "us_ally",
        "capex",
    )
)


@dataclass
class WorldState:
    """All state of the world as arrays; row i is state ``iso3[i]``.

    The identity and fixed attributes (:data:`FIXED`) are read-only once the world is built;
    the decisions and their state change as the model runs (and a user may set them).
    """

    # identity
    iso3: np.ndarray
    name: np.ndarray
    region: np.ndarray
    paper_region: np.ndarray
    kind: np.ndarray  # index into KINDS
    member: np.ndarray  # EU member state
    power: np.ndarray  # JPN, USA, CHN
    third: np.ndarray
    synthetic: np.ndarray
    # fixed attributes
    gdp: np.ndarray
    population: np.ndarray
    income: np.ndarray  # GDP per capita / world median
    gdp_per_capita: np.ndarray
    freedom: np.ndarray  # (14 - PR - CL) / 12
    rule_of_law01: np.ndarray
    align_us: np.ndarray
    align_cn: np.ndarray
    trade_eu: np.ndarray
    trade_cn: np.ndarray
    security_culture: np.ndarray
    trade_jp: np.ndarray
    eea: np.ndarray  # Norway, Iceland, Liechtenstein: the GDPR through the EEA Agreement
    gdpr_area: np.ndarray  # member states and the EEA: one area of free personal-data flows
    g20: np.ndarray
    us_ally: np.ndarray  # a member of NATO, the US treaty allies, the Five Eyes or the Major Non-NATO Allies
    capex: np.ndarray  # yearly telecom investment, US$ (2019)
    # decisions and their state
    policy: np.ndarray
    regime: np.ndarray  # orientation of the state's data-protection law (the one it would adopt if it has none)
    has_law: np.ndarray  # a data-protection law in force
    law_year: np.ndarray  # year the law was enacted (nan: no law)
    threat: np.ndarray
    capacity: np.ndarray
    adequacy: np.ndarray
    installed: np.ndarray  # (layer, v, n): installed shares of the core (0) and radio (1) networks
    hr_core: np.ndarray  # high-risk share of the installed core
    hr_ran: np.ndarray
    finance: np.ndarray  # (n, v) tied finance: a view of the (v, n) array the step computes
    premium_paid: np.ndarray  # cumulative, US$
    rip_paid: np.ndarray  # cumulative, US$
    policy_locked_until: np.ndarray  # year until which an imposed policy holds
    regime_locked_until: np.ndarray
    adequacy_locked_until: np.ndarray
    # ODA (n, d)
    strength: np.ndarray
    last_accept: np.ndarray  # year of the last accepted offer (-inf: never)
    last_infra: np.ndarray
    partnership_active: np.ndarray
    # vendors (v,)
    quality: np.ndarray
    reach: np.ndarray
    # the powers (decisions/powers.py)
    policy_at_decision: np.ndarray  # (n,) each state's 5G policy at the powers' last yearly decision
    expected_retaliation: np.ndarray  # () states' expectation of Chinese retaliation, 0..1
    decided: dict  # power -> {lever: value} it holds (its last decision; empty: its course)
    observed_start: dict  # what the powers observed at their first decision (decisions/powers.py: observe)
    # networks (sparse)
    trade: sparse.csr_matrix  # row-normalised trade weights W
    blocs: sparse.csr_matrix  # (n, b) security-bloc membership
    bloc_names: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.iso3.shape[0]

    def __setattr__(self, name: str, value) -> None:
        if name in FIXED and self.__dict__.get("_fixed", False):
            raise AttributeError(
                f"state.{name} is fixed for a run: the model derived its constants from it when it was built. "
                "To change it, change the seed data (seeds/) or the scenario and build a new model."
            )
        object.__setattr__(self, name, value)

    def copy(self) -> WorldState:
        """A world whose state changes independently of this one: the fixed arrays (read-only)
        are shared, every other array and network copied."""
        new = object.__new__(WorldState)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in FIXED and isinstance(value, (np.ndarray, sparse.spmatrix)):
                value = value.copy()
            elif isinstance(value, dict):  # decided: power -> {lever: value}
                value = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
            object.__setattr__(new, f.name, value)
        object.__setattr__(new, "_fixed", self.__dict__.get("_fixed", False))
        return new

    def fix(self) -> None:
        """Make the identity and fixed attributes (:data:`FIXED`) read-only."""
        for name in FIXED:
            getattr(self, name).flags.writeable = False
        object.__setattr__(self, "_fixed", True)

    @property
    def position(self) -> np.ndarray:
        """Each state's data-flow position: its law's orientation, or ``NO_LAW`` without one (``names.POSITIONS``)."""
        return np.where(self.has_law, self.regime, NO_LAW).astype(np.int8)

    @property
    def core(self) -> np.ndarray:
        """(n, v) installed core shares: a view of ``installed[0]`` (setting it writes into that)."""
        return self.installed[0].T

    @core.setter
    def core(self, value) -> None:
        self.installed[0] = np.asarray(value, dtype=float).T

    @property
    def ran(self) -> np.ndarray:
        """(n, v) installed radio shares: a view of ``installed[1]``."""
        return self.installed[1].T

    @ran.setter
    def ran(self, value) -> None:
        self.installed[1] = np.asarray(value, dtype=float).T

    def refresh_exposure(self, high_risk: np.ndarray) -> None:
        """Recompute the high-risk shares of the installed core and radio networks."""
        self.hr_core = row_sum(self.core[:, high_risk])  # = .sum(axis=1), bit for bit
        self.hr_ran = row_sum(self.ran[:, high_risk])


#: Columns of the countries table copied per state (float unless named otherwise).
_FLOAT_COLUMNS = (
    "trade_share_jpn",
    "dp_law",
    "dp_law_year",
    "eea",
    "g20",
    "telecom_capex_usd_2019",
    "gdp_usd",
    "population",
    "fh_political_rights",
    "fh_civil_liberties",
    "rule_of_law",
    "align_us",
    "align_cn",
    "trade_share_eu27",
    "trade_share_chn",
    "security_culture",
    "dp_capacity",
    "hr_core_share",
    "hr_ran_share",
)
_OBJECT_COLUMNS = ("iso3", "name", "region", "paper_region")


def _prepare(seeds: Seeds) -> dict:
    """The real states' arrays and networks from the seed tables, once per seeds folder."""
    return _prepared(str(seeds.directory))


@functools.lru_cache(maxsize=8)
def _prepared(directory: str) -> dict:
    """:func:`_prepare`, cached (the seeds are cached per folder too, so a model is built from
    arrays, not from pandas). The arrays are read-only: :func:`build_world` copies."""
    seeds = load_seeds(directory)
    countries = seeds.countries[seeds.countries["iso3"] != "EUU"].reset_index(drop=True)
    index_of = {c: i for i, c in enumerate(countries["iso3"])}
    n_real = len(countries)
    cols = {c: countries[c].to_numpy(dtype=float) for c in _FLOAT_COLUMNS}
    cols.update({c: countries[c].to_numpy(dtype=object) for c in _OBJECT_COLUMNS})
    cols["kind"] = countries["kind"].map(KINDS.index).to_numpy()
    cols["policy"] = countries["policy_5g_2019"].map(POLICIES.index).to_numpy(np.int8)
    cols["regime"] = countries["regime_2019"].map(REGIMES.index).to_numpy(np.int8)
    cols["adequacy"] = countries["adequacy_2019"].to_numpy(bool)

    # trade network: the seeds' top partners, rows normalised to 1
    tp = seeds.trade_partners
    src = tp["iso3"].map(index_of).to_numpy()
    dst = tp["partner"].map(index_of).to_numpy()
    wts = tp["weight"].to_numpy(float)
    by_src = sparse.csr_matrix((wts, (src, dst)), shape=(n_real, n_real))
    trade = by_src[np.arange(n_real)]
    rowsum = np.asarray(trade.sum(axis=1)).ravel()
    trade = (sparse.diags(1.0 / np.where(rowsum > 0, rowsum, 1.0)) @ trade).tocsr()

    # security blocs (bipartite membership)
    bloc_names = tuple(sorted(seeds.blocs["bloc"].unique()))
    bl = seeds.blocs[seeds.blocs["iso3"].isin(index_of)]
    b_real = sparse.csr_matrix(
        (np.ones(len(bl)), (bl["iso3"].map(index_of).to_numpy(), bl["bloc"].map(bloc_names.index).to_numpy())),
        shape=(n_real, len(bloc_names)),
    )

    # ODA projects of 2019: partnership strength and the year of the last (infrastructure) offer
    d = len(DONORS)
    last_accept = np.full((n_real, d), -np.inf)
    last_infra = np.full((n_real, d), -np.inf)
    strength = np.zeros((n_real, d))
    for iso3, donor, year, program in zip(
        seeds.oda_projects["iso3"], seeds.oda_projects["donor"], seeds.oda_projects["year"], seeds.oda_projects["program"]
    ):
        if iso3 in index_of:
            i, j = index_of[iso3], DONORS.index(donor)
            strength[i, j] = 0.5
            last_accept[i, j] = max(last_accept[i, j], float(year))
            if program == "infrastructure":
                last_infra[i, j] = max(last_infra[i, j], float(year))

    vendors = seeds.vendors
    prepared = {
        "countries": countries,
        "n_real": n_real,
        "cols": cols,
        "pool": countries.index[countries["kind"] == "ThirdCountry"].to_numpy(),
        "trade": trade,
        "blocs": b_real,
        "bloc_names": bloc_names,
        "strength": strength,
        "last_accept": last_accept,
        "last_infra": last_infra,
        "high_risk": vendors["high_risk"].to_numpy(bool),
        "core_share_2019": vendors["core_share_2019"].to_numpy(float),
        "ran_share_2019": vendors["ran_share_2019"].to_numpy(float),
        "quality_2019": vendors["quality_2019"].to_numpy(float),
        "reach_2019": vendors["reach_2019"].to_numpy(float),
    }
    # what the constants of a run read of the small tables: arrays, so that a model is built without pandas
    dn = seeds.donors.set_index("donor").loc[list(DONORS)]
    high_risk = prepared["high_risk"]
    origin = tuple(vendors["origin_iso3"].tolist())
    eu_origin = set(seeds.countries.loc[seeds.countries["eu_member"] == 1, "iso3"])
    prepared.update(
        {
            "vendor_names": tuple(vendors["vendor"]),
            "vendor_origin": origin,
            "price": vendors["price_index"].to_numpy(float),
            "donor_budget": dn["digital_oda_usd_2019"].to_numpy(float),
            "donor_staffing": dn["staffing"].to_numpy(float),
            "donor_programs": dn[["share_" + p for p in PROGRAMS]].to_numpy(float),
            "donor_speed": dn["speed"].to_numpy(float),
            "donor_conditions": dn["conditionality"].to_numpy(float),
            "donor_vendor_tie": _donor_vendor_tie(origin, high_risk, eu_origin),
            "capacity_need": seeds.regimes.set_index("regime").loc[list(REGIMES), "capacity_need"].to_numpy(float),
            "compat_base": seeds.compatibility_matrix,
        }
    )
    for key in (
        "high_risk",
        "price",
        "donor_budget",
        "donor_staffing",
        "donor_programs",
        "donor_speed",
        "donor_conditions",
        "donor_vendor_tie",
        "capacity_need",
    ):
        prepared[key].flags.writeable = False
    for arr in cols.values():
        arr.flags.writeable = False  # shared by every model: build_world copies
    return prepared


def build_world(seeds: Seeds, scenario: Scenario, rng: np.random.Generator) -> WorldState:
    """Arrays of the end-2019 world (plus synthetic third countries) for a scenario.

    O(states + edges): synthetic third countries copy a template's rows of the prepared arrays
    and sparse networks (so edges grow linearly with states)."""
    prep = _prepare(seeds)
    real = prep["cols"]
    n_real = prep["n_real"]
    templates = np.arange(n_real)
    n_synth = scenario.synthetic_third_countries
    if n_synth:
        tmpl = rng.choice(prep["pool"], size=n_synth, replace=True)
        scale = rng.lognormal(0.0, 0.3, size=n_synth)
        templates = np.concatenate([templates, tmpl])
        cols = {c: np.concatenate([a, a[tmpl]]) for c, a in real.items()}
        cols["gdp_usd"][n_real:] = real["gdp_usd"][tmpl] * scale
        cols["population"][n_real:] = real["population"][tmpl] * scale
        width = len(str(n_synth))
        cols["iso3"][n_real:] = [f"S{i:0{width}d}" for i in range(1, n_synth + 1)]
        cols["name"][n_real:] = [f"Synthetic {i} (like {t})" for i, t in zip(range(1, n_synth + 1), real["iso3"][tmpl])]
    else:
        cols = {c: a.copy() for c, a in real.items()}
    n = n_real + n_synth
    col = cols.__getitem__

    high_risk = prep["high_risk"]

    # --- installed networks: each state's 2019 high-risk share split over HR vendors by their
    # world shares, the rest over trusted vendors by theirs (home vendors get a home bonus)
    def installed(hr_share: np.ndarray, world: np.ndarray) -> np.ndarray:
        hr_w = np.where(high_risk, world, 0.0)
        tr_w = np.where(~high_risk, world, 0.0)
        out = hr_share[:, None] * hr_w / hr_w.sum() + (1 - hr_share)[:, None] * tr_w / tr_w.sum()
        return out

    hr_core0, hr_ran0 = col("hr_core_share"), col("hr_ran_share")
    core = installed(hr_core0, prep["core_share_2019"])
    ran = installed(hr_ran0, prep["ran_share_2019"])
    layers = np.ascontiguousarray(np.stack([core.T, ran.T]))  # (layer, vendor, state)

    # --- trade network: synthetic rows copy their template's ties (to real states), so edges
    # grow linearly with states
    trade = prep["trade"]
    if n_synth:
        trade = trade[templates]
    trade = sparse.csr_matrix((trade.data.copy(), trade.indices.copy(), trade.indptr.copy()), shape=(n, n))

    # --- security blocs (bipartite membership)
    bloc_names = prep["bloc_names"]
    blocs = prep["blocs"][templates].tocsr() if n_synth else prep["blocs"].copy()
    synthetic = np.arange(n) >= n_real
    # synthetic states copy their template's alliances but are not members of the EU
    if synthetic.any() and "eu27" in bloc_names:
        row_of = np.repeat(np.arange(n), np.diff(blocs.indptr))
        blocs.data[synthetic[row_of] & (blocs.indices == bloc_names.index("eu27"))] = 0
        blocs.eliminate_zeros()

    kind = col("kind")
    member = kind == KINDS.index("MemberState")
    eea = col("eea") > 0
    allied = [bloc_names.index(b) for b in US_ALLY_BLOCS if b in bloc_names]
    us_ally = np.asarray(blocs[:, allied].sum(axis=1)).ravel() > 0
    power = kind == KINDS.index("Power")
    gdp = col("gdp_usd")
    pop = col("population")
    gdp_pc = gdp / pop
    freedom = (14.0 - col("fh_political_rights") - col("fh_civil_liberties")) / 12.0

    strength = prep["strength"][templates]
    last_accept = prep["last_accept"][templates]
    last_infra = prep["last_infra"][templates]

    world = WorldState(
        iso3=col("iso3"),
        name=col("name"),
        region=col("region"),
        paper_region=col("paper_region"),
        kind=kind,
        member=member,
        power=power,
        third=kind == KINDS.index("ThirdCountry"),
        synthetic=synthetic,
        gdp=gdp,
        population=pop,
        income=gdp_pc / np.median(gdp_pc[:n_real]),
        gdp_per_capita=gdp_pc,
        freedom=freedom,
        rule_of_law01=np.clip((col("rule_of_law") + 2.5) / 5.0, 0, 1),
        align_us=col("align_us"),
        align_cn=col("align_cn"),
        trade_eu=col("trade_share_eu27"),
        trade_cn=col("trade_share_chn"),
        trade_jp=col("trade_share_jpn"),
        security_culture=col("security_culture"),
        eea=eea,
        gdpr_area=member | eea,
        g20=col("g20") > 0,
        capex=col("telecom_capex_usd_2019"),
        us_ally=us_ally & (col("iso3") != "USA"),
        policy=col("policy"),
        regime=col("regime"),
        has_law=col("dp_law") > 0,
        law_year=col("dp_law_year"),
        threat=col("security_culture").copy(),
        capacity=col("dp_capacity"),
        adequacy=col("adequacy") & ~eea & ~member,  # inside the GDPR area there is nothing to grant
        installed=layers,
        hr_core=hr_core0.copy(),
        hr_ran=hr_ran0.copy(),
        finance=np.zeros_like(core),
        premium_paid=np.zeros(n),
        rip_paid=np.zeros(n),
        policy_locked_until=np.full(n, -np.inf),
        regime_locked_until=np.full(n, -np.inf),
        adequacy_locked_until=np.full(n, -np.inf),
        strength=strength,
        last_accept=last_accept,
        last_infra=last_infra,
        partnership_active=np.zeros((n, len(DONORS)), dtype=bool),
        policy_at_decision=col("policy").copy(),
        expected_retaliation=np.array(0.0),
        decided={},
        observed_start={},
        quality=prep["quality_2019"].copy(),
        reach=prep["reach_2019"].copy(),
        trade=trade,
        blocs=blocs,
        bloc_names=bloc_names,
    )
    world.refresh_exposure(high_risk)
    world.fix()
    return world


@dataclass(frozen=True)
class Constants:
    """What the rules read that stays fixed for a run, derived once from the seeds, the scenario
    and the starting world (vendors, donors, regions, blocs, dispositions, markets)."""

    # vendors (axis: the seed table's vendors)
    vendor_names: tuple[str, ...]
    vendor_origin: tuple[str, ...]  # ISO3 of each vendor's home
    high_risk: np.ndarray  # (v,) booleans
    price: np.ndarray  # (v,)
    origin_index: np.ndarray  # (v,) the state row of each vendor's home, -1 if none
    japanese: np.ndarray  # (v,) booleans: NEC, Fujitsu
    quality_2019: np.ndarray  # (v,)
    vendor_constant: np.ndarray  # (layer, v) calibrated so that 2019 purchases give 2019 shares
    revenue_share_2019: np.ndarray  # (v,)
    allowed: np.ndarray  # (layer, v, policy): vendors each policy allows
    sides: np.ndarray  # (2, v): trusted, high-risk indicator rows
    # regimes
    compat_base: np.ndarray  # (4, 4) compatibility of the seed table
    capacity_need: np.ndarray  # (4,)
    disposition: np.ndarray  # (n, 4)
    # donors
    donors: oda.Donors
    donor_vendor_tie: np.ndarray  # (d, v)
    western_donor: np.ndarray  # (d,) booleans
    oda_regime_pull: np.ndarray  # (d, 4): a full partnership's pull toward its donor's regime
    # states
    blocs: vendors.BlocWeights  # (n, b) dense 0/1 security-bloc membership and its weights (the security peers)
    policy_deciders: np.ndarray  # (n,) member states and third countries
    regime_deciders: np.ndarray  # (n,) third countries outside the EEA: their law and its orientation
    adequacy_scope: np.ndarray  # (n,) states the EU may assess for adequacy: all outside the GDPR area
    market: np.ndarray  # (n,) share of the world equipment market (the share of world telecom investment)
    spend: np.ndarray  # (n,) yearly network-equipment spend, US$
    network_value: np.ndarray  # (n,) replacement value of a state's network, US$ (lifecycle x spend)
    japan_tie: np.ndarray  # (n,) 0..1: the state's ties to Japan and the G20 (the DFFT push's reach)
    trade_rows: np.ndarray  # (edges,) the row of each edge of the trade network (its structure is fixed)
    shadow_price: np.ndarray  # (n,) what a unit of cost weighs for each state (vendors.shadow_price)
    japan: int  # row of Japan
    china: int  # row of China
    usa: int  # row of the US
    capacity_start: np.ndarray  # (n,) data-protection capacity at the start (what capacity building adds to)
    hr_ran_world_start: float  # high-risk vendors' world share of installed radio at the start


def _donor_vendor_tie(origin: tuple[str, ...], high_risk: np.ndarray, eu_origin: set[str]) -> np.ndarray:
    """(d, v): the vendors each donor's infrastructure finance buys from: EU donors the European
    vendors, Japan the Japanese, the US any trusted non-Japanese vendor, China Huawei and ZTE."""
    tie = np.zeros((len(DONORS), len(origin)))
    for j, d in enumerate(DONORS):
        for k, o in enumerate(origin):
            if d in ("EUU", "MS"):
                tie[j, k] = o in eu_origin
            elif d == "JPN":
                tie[j, k] = o == "JPN"
            elif d == "USA":
                tie[j, k] = (not high_risk[k]) and o != "JPN"
            else:
                tie[j, k] = o == "CHN"
    return tie


def _regional_targets(paper_region: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each donor's priority for each state's region (donors, n); the states of the Open and
    Connected Ring's regions; the states an India trilateral reaches."""
    regions, where = np.unique(paper_region.astype(str), return_inverse=True)
    priority = np.stack([np.array([DONOR_PRIORITY[d].get(r, 0.0) for r in regions], float)[where.ravel()] for d in DONORS])
    ocre = np.isin(paper_region, OCRE_REGIONS) | np.isin(region, OCRE_UN_REGIONS)
    return priority, ocre, np.isin(paper_region, INDIA_LINKED_REGIONS)


def _start_vendors(st: WorldState, high_risk, price, market, tie, year: float, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vendor constants (layer, v) calibrated so that purchases at the start reproduce the
    installed world shares; the installed networks after a procurement with no time passing
    (layer, v, n); and the 2019 revenue shares (v,) from those purchases."""
    finance = oda.tied_finance(year, st.last_infra, vendor_tie=tie, tied_years=w.tied_finance_years)  # (v, n)
    constant = vendors.calibrate_vendor_constants(
        st.core,
        st.ran,
        st.policy,
        finance.T,
        st.threat,
        price=price,
        quality=st.quality,
        reach=st.reach,
        high_risk=high_risk,
        market=market,
        w=w,
    )
    allowed = np.take(vendors.allowed_by_policy(high_risk), st.policy, axis=-1)
    per_vendor = vendors.vendor_terms(price, st.quality, st.reach, w, constant)[:, 0, :, None]
    fixed = per_vendor + (w.gamma_finance * finance - w.gamma_risk * high_risk.astype(float)[:, None] * st.threat)
    updated, new, _, _, _ = vendors.procure(st.installed, allowed, fixed, w.gamma_lockin, 0.0, 0.0)
    return constant, updated, vendors.revenue_shares(new @ market, w.omega_core)


def derive_constants(seeds: Seeds, scenario: Scenario, st: WorldState) -> tuple[Constants, np.ndarray]:
    """The constants of a run, and the installed networks after the start's (dt = 0) procurement.

    The vendor constants are calibrated so that purchases at the start reproduce the 2019 world
    shares (:func:`_start_vendors`); :func:`start_world` builds the start once for every seed of
    a world without synthetic states.
    """
    w = scenario.weights
    prep = _prepare(seeds)
    high_risk, price, origin, tie = prep["high_risk"], prep["price"], prep["vendor_origin"], prep["donor_vendor_tie"]
    real = st.iso3[: int((~st.synthetic).sum())]  # synthetic states (S001...) come last
    index_of = {code: i for i, code in enumerate(real)}
    staffing = np.array([scenario.oda_staffing.get(d, prep["donor_staffing"][j]) for j, d in enumerate(DONORS)], float)
    priority, ocre, india = _regional_targets(st.paper_region, st.region)
    camp = np.array([DONOR_CAMP[d] for d in DONORS])
    regime_pull = np.zeros((len(DONORS), len(REGIMES)))
    regime_pull[np.arange(len(DONORS)), [REGIMES.index(DONOR_REGIME[d]) for d in DONORS]] = w.kappa_oda_regime
    donors = oda.Donors(
        budget_2019=prep["donor_budget"],
        staffing=staffing,
        programs=prep["donor_programs"],
        speed=prep["donor_speed"],
        conditionality=prep["donor_conditions"],
        priority=priority,
        # a western donor's alignment with a recipient rises with its alignment with the US over
        # China, China's the other way (0.05..1)
        alignment=np.clip(0.5 + 0.5 * np.outer(camp, st.align_us - st.align_cn), 0.05, 1.0),
        eligible=st.third & (st.gdp_per_capita < w.oda_income_ceiling),
        pair=(DONORS.index("EUU"), DONORS.index("JPN")),
        ring_donor=np.isin(np.array(DONORS), ["EUU", "MS", "JPN"]),
        ring=ocre,
        india_linked=india,
        china=DONORS.index("CHN"),
    )
    market = st.capex / st.capex.sum()

    vendor_constant, installed, revenue_2019 = _start_vendors(st, high_risk, price, market, tie, float(scenario.start_year), w)
    constants = Constants(
        vendor_names=prep["vendor_names"],
        vendor_origin=origin,
        high_risk=high_risk,
        price=price,
        origin_index=np.array([index_of.get(o, -1) for o in origin]),
        japanese=np.array([o == "JPN" for o in origin]),
        quality_2019=st.quality.copy(),
        vendor_constant=vendor_constant,
        revenue_share_2019=revenue_2019,
        allowed=vendors.allowed_by_policy(high_risk),
        sides=np.stack([~high_risk, high_risk]).astype(float),
        compat_base=prep["compat_base"],
        capacity_need=prep["capacity_need"],
        disposition=regimes.dispositions(st.freedom, st.rule_of_law01, w),
        donors=donors,
        donor_vendor_tie=tie,
        western_donor=camp > 0,
        oda_regime_pull=regime_pull,
        blocs=vendors.bloc_weights(st.blocs.toarray().astype(float)),
        policy_deciders=~st.power,
        regime_deciders=st.third & ~st.eea,
        adequacy_scope=~st.gdpr_area,
        market=market,
        spend=EQUIPMENT_SPEND_SHARE * st.gdp.sum() * market,
        network_value=w.lifecycle_years * EQUIPMENT_SPEND_SHARE * st.gdp.sum() * market,
        japan_tie=np.clip(JAPAN_TIE_G20 * st.g20 + JAPAN_TIE_PER_TRADE * st.trade_jp, 0.0, 1.0),
        trade_rows=np.repeat(np.arange(st.n), np.diff(st.trade.indptr)),
        shadow_price=vendors.shadow_price(st.income, w),
        japan=index_of["JPN"],
        china=index_of["CHN"],
        usa=index_of["USA"],
        capacity_start=st.capacity.copy(),
        hr_ran_world_start=float((high_risk.astype(float) @ installed[1]) @ market),
    )
    return constants, installed


def start_world(seeds: Seeds, scenario: Scenario, rng: np.random.Generator) -> tuple[WorldState, Constants]:
    """The world at the start of a run and its constants: :func:`build_world`, then
    :func:`derive_constants`, the installed networks after the start's procurement, and the
    partnerships and tied finance in force at the start year.

    Notes
    -----
    Without synthetic states the start is a pure function of the seeds folder, the start year,
    the weights and the ODA staffing (``rng`` is not drawn from), so every seed of a scenario
    starts from the same world: it is built once (:func:`_shared_start`) and each run gets its
    own copy of the changing arrays (:meth:`WorldState.copy`) and the shared, read-only constants.
    """
    if scenario.synthetic_third_countries:  # a world of its own draw: nothing to share
        st, c = _start(seeds, scenario, rng)
    else:
        key = (str(seeds.directory), scenario.start_year, scenario.weights, tuple(sorted(scenario.oda_staffing.items())))
        st, c = _shared_start(_Key(key, lambda: _start(seeds, scenario, rng)))
        st = st.copy()
    # what states expect of China at the start: its readiness times the conflict of the start year
    year = float(scenario.start_year)
    st.expected_retaliation = np.array(
        schedule_at(scenario.china_retaliation, year) * schedule_at(scenario.us_china_conflict, year)
    )
    return st, c


def _start(seeds: Seeds, scenario: Scenario, rng: np.random.Generator) -> tuple[WorldState, Constants]:
    st = build_world(seeds, scenario, rng)
    c, installed = derive_constants(seeds, scenario, st)
    w, year = scenario.weights, float(scenario.start_year)
    st.installed = installed
    st.hr_core, st.hr_ran = c.sides[1] @ installed
    st.partnership_active = (year - st.last_accept) < w.partnership_years
    st.finance = oda.tied_finance(year, st.last_infra, vendor_tie=c.donor_vendor_tie, tied_years=w.tied_finance_years).T
    return st, c


class _Key:
    """A cache key that carries the computation it stands for (for :func:`_shared_start`)."""

    def __init__(self, key, compute):
        self.key, self.compute = key, compute

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Key) and self.key == other.key


@functools.lru_cache(maxsize=32)
def _shared_start(key: _Key) -> tuple[WorldState, Constants]:
    """The start of a world without synthetic states, once per (seeds folder, start year, weights,
    ODA staffing): the one cache of a model's set-up (``benchmarks/run.py`` measures what it buys).
    The constants' arrays are made read-only: every run of the key shares them."""
    st, c = key.compute()
    for value in vars(c).values():
        _read_only(value)
    return st, c


def _read_only(value) -> None:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):  # the donors and the bloc weights (named tuples)
        for item in value:
            _read_only(item)
