"""The model's vocabulary: every axis of the arrays and every label, defined once.

Floor 1 of the package (imports nothing of connsim). An array's axis follows the order of its
tuple here: ``state.regime`` holds indices into :data:`REGIMES`, ``state.strength[:, j]`` is
the partnership with donor ``DONORS[j]``, and so on.
"""

from __future__ import annotations

__all__ = [
    "POWERS",
    "DONORS",
    "KINDS",
    "PAPER_REGIONS",
    "POLICIES",
    "REGIMES",
    "POSITIONS",
    "NO_LAW",
    "LAW_OPTIONS",
    "ADEQUACY_OPTIONS",
    "PROGRAMS",
    "BLOC_NAMES",
    "US_ALLY_BLOCS",
    "COOPERATION_LEVELS",
    "EVENT_KINDS",
    "LAYERS",
    "POWER_REGIME",
    "DONOR_REGIME",
    "DONOR_CAMP",
]

#: The four powers whose strategic autonomy is scored: the EU itself, Japan, the US, China.
POWERS = ("EUU", "JPN", "USA", "CHN")
#: Donors of digital ODA: the EU itself, EU member states (pooled), Japan, the US, China.
DONORS = ("EUU", "MS", "JPN", "USA", "CHN")
#: The kinds of state agent (``state.kind`` indexes this).
KINDS = ("Power", "MemberState", "ThirdCountry")
#: The regions the paper and the 2019 Connectivity Partnership name, plus the rest of the world.
PAPER_REGIONS = (
    "EU",
    "Western Balkans",
    "Eastern Europe",
    "Central Asia",
    "Indo-Pacific",
    "South Asia",
    "Africa",
    "Latin America",
    "Middle East",
    "Like-minded",
    "Power",
)
#: 5G security policy toward high-risk vendors: no restriction, kept out of the core network
#: (the Western European compromise), banned from the whole network (Japan's trusted operators).
POLICIES = ("open", "core_excluded", "banned")
#: Data-flow regimes: GDPR-like, Data Free Flow with Trust, commercial free flow, state control.
REGIMES = ("protect", "trust", "open", "sovereign")
#: A state's data-flow position: the orientation of its data-protection law, or no law at all
#: (``none``: a state without a law has no orientation in force). Axis of the compatibility matrix.
POSITIONS = REGIMES + ("none",)
NO_LAW = len(REGIMES)  # the position of a state without a law
#: The law decision's options.
LAW_OPTIONS = ("no_law", "law")
#: The EU's adequacy decision about a candidate: its options.
ADEQUACY_OPTIONS = ("withhold", "grant")
#: Digital-ODA programmes.
PROGRAMS = ("capacity", "fin_inclusion", "infrastructure")
#: Security blocs of the seed data (the security-peer network).
BLOC_NAMES = ("nato", "five_eyes", "us_treaty_ally", "us_mnna", "quad", "sco", "csto", "eu27", "eea")
#: The blocs whose members count as allies of the US: NATO, its treaty allies, the Five Eyes, its Major
#: Non-NATO Allies (blocs.csv); the US itself is not its own ally.
US_ALLY_BLOCS = ("nato", "us_treaty_ally", "five_eyes", "us_mnna")
#: Depth of EU-Japan cooperation (as a number: 0, 0.5, 1).
COOPERATION_LEVELS = ("none", "bilateral", "beyond_bilateral")
#: What a timed event of a scenario may do.
EVENT_KINDS = ("vendor_policy", "regime", "adequacy", "conflict_shock")
#: The two layers of a 5G network (first axis of ``state.installed``).
LAYERS = ("core", "ran")

#: The regime each power stands for (its "norm reach" is the share of the world in it).
POWER_REGIME = {"EUU": "protect", "JPN": "trust", "USA": "open", "CHN": "sovereign"}
#: The regime each donor's partnerships pull their recipients toward.
DONOR_REGIME = {"EUU": "protect", "MS": "protect", "JPN": "trust", "USA": "open", "CHN": "sovereign"}
#: Western donors (+1) and China (-1): ODA partnerships move threat perception by camp.
DONOR_CAMP = {"EUU": 1.0, "MS": 1.0, "JPN": 1.0, "USA": 1.0, "CHN": -1.0}
