"""Build the connsim seed tables from the reference data in ``seeds/reference/``.

Usage::

    python seeds/build.py [--reference PATH] [--out DIR]

``--reference`` (alias ``--shared``) defaults to ``seeds/reference/`` beside this file: the project's copy of the
sourced reference data (from ``../shared/data/``, copied unchanged with its README and SOURCES files), so the seed
tables rebuild from the repository alone. ``--out`` defaults to this ``seeds/`` folder. The script is
deterministic: the same inputs give byte-identical CSVs (``python seeds/build.py && git diff --exit-code seeds/``).
Installed, it runs as ``python -m connsim._seeds.build --out DIR`` (the wheel ships ``reference/`` too).

This file is also the documentation of the method: every sourced figure is given here with its source and every
estimated figure with its formula. ``seeds/SOURCES.md`` describes the same in prose, and ``seeds/columns.csv``
(written from ``COLUMNS`` below) holds the provenance of every column. The model loads only the committed CSVs
(``connsim/seeds.py``); it never reads ``reference/``.

Imports: numpy, pandas and the standard library only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_REFERENCE = HERE / "reference"

POWERS = ("EUU", "JPN", "USA", "CHN")
REGIMES = ("protect", "trust", "open", "sovereign")
POSITIONS = REGIMES + ("none",)  # a state's data-flow position: its law's orientation, or no law (connsim.names)

# ---------------------------------------------------------------------------------------------------------------
# 1. Paper regions (the regions named in the Elcano paper / the 2019 EU-Japan Connectivity Partnership:
#    "W. Balkans, E. Europe, Central Asia, Indo-Pacific, Africa"), as data. Rule: explicit ISO3 lists first, then
#    UN M49 sub-region defaults. build_countries() asserts every state gets exactly one.
# ---------------------------------------------------------------------------------------------------------------
PAPER_REGION_EXPLICIT = {
    "Power": ["USA", "JPN", "CHN"],  # + EUU (the EU itself)
    "Western Balkans": ["ALB", "BIH", "MNE", "MKD", "SRB"],
    "Eastern Europe": ["BLR", "UKR", "MDA", "RUS", "GEO", "ARM", "AZE"],
    "Like-minded": ["GBR", "NOR", "CHE", "ISL", "LIE", "AND", "MCO", "SMR", "CAN", "AUS", "NZL"],
    "Indo-Pacific": ["KOR", "PRK", "MNG"],
    "Middle East": ["IRN"],
}
# eu_member == 1 -> "EU" (checked before the sub-region defaults; CYP is UN Western Asia but EU).
PAPER_REGION_BY_SUBREGION = {
    "Central Asia": "Central Asia",
    "South-eastern Asia": "Indo-Pacific",
    "Melanesia": "Indo-Pacific",
    "Micronesia": "Indo-Pacific",
    "Polynesia": "Indo-Pacific",
    "Southern Asia": "South Asia",
    "Sub-Saharan Africa": "Africa",
    "Northern Africa": "Africa",
    "Latin America and the Caribbean": "Latin America",
    "Western Asia": "Middle East",
}
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

# Missing 2019 GDP (ERI PRK SSD VEN YEM). Default rule: median GDP per capita of the same UN sub-region x population.
# The rule is kept for ERI, SSD (Sub-Saharan median ~USD1,195) and VEN (Latin America median ~USD8,876), but it gives
# ~USD21,000 per head for North Korea (Eastern Asia = CHN JPN KOR MNG) and ~USD14,200 for Yemen (Western Asia incl.
# the Gulf), 15-20x the published estimates, which would make PRK and YEM large gravity partners. For these two a
# sourced per-capita figure replaces the sub-region median (still listed in `imputed`):
GDP_PC_OVERRIDES = {
    # Bank of Korea estimate of North Korea's 2019 nominal GNI, KRW 35.6tn (Korea MND 2020 Defence White Paper,
    # appendix p.43, source Bank of Korea; mnd.go.kr) / population 25.25m = KRW 1.41m per head, at ~1,166 KRW/USD
    # (approx. 2019 average rate) = ~USD1,209. GNI is used as the proxy for GDP.
    "PRK": (
        35.6e12 / 25.25e6 / 1166.0,
        "Bank of Korea 2019 GNI estimate (KRW 35.6tn) via Korea MND 2020 Defence White Paper appendix; KRW/USD ~1,166",
    ),
    # World Bank WDI NY.GDP.PCAP.CD for Yemen, 2018 (latest year with a value in the 2019-20 vintages): USD633.89
    # (read from the countrydatahub.com mirror of World Bank Open Data); applied to the 2019 population.
    "YEM": (633.89, "World Bank WDI NY.GDP.PCAP.CD 2018 value (latest available), applied to 2019 population"),
}

# ---------------------------------------------------------------------------------------------------------------
# 2. Blocs at end-2019 (public membership lists; source named per bloc).
# ---------------------------------------------------------------------------------------------------------------
BLOCS = {
    "nato": (
        [
            "ALB",
            "BEL",
            "BGR",
            "CAN",
            "HRV",
            "CZE",
            "DNK",
            "EST",
            "FRA",
            "DEU",
            "GRC",
            "HUN",
            "ISL",
            "ITA",
            "LVA",
            "LTU",
            "LUX",
            "MNE",
            "NLD",
            "NOR",
            "POL",
            "PRT",
            "ROU",
            "SVK",
            "SVN",
            "ESP",
            "TUR",
            "GBR",
            "USA",
        ],
        "nato.int member list (2019): 29 members at end-2019 (Montenegro 2017; North Macedonia only from 27 Mar 2020)",
    ),
    "five_eyes": (["USA", "GBR", "CAN", "AUS", "NZL"], "UKUSA Agreement parties (Five Eyes), public record"),
    "us_treaty_ally": (
        ["JPN", "KOR", "PHL", "THA", "AUS", "NZL"],
        "state.gov U.S. Collective Defense Arrangements: bilateral treaties with JPN KOR PHL, "
        "Manila Pact/Thanat-Rusk (THA), ANZUS (AUS NZL; US obligations to NZL suspended since 1986 "
        "but the treaty stands). NATO is a separate bloc; the Rio Treaty is deliberately not "
        "counted",
    ),
    "us_mnna": (
        ["ARG", "AUS", "BHR", "BRA", "EGY", "ISR", "JPN", "JOR", "KOR", "KWT", "MAR", "NZL", "PAK", "PHL", "THA", "TUN", "AFG"],
        "22 U.S.C. 2321k designations as listed in 22 CFR 120.32 (81 FR 66805, 2016; Taiwan not a UN "
        "state) plus Brazil (presidential memorandum 31 Jul 2019)",
    ),
    "quad": (
        ["USA", "JPN", "AUS", "IND"],
        "Quadrilateral Security Dialogue: officials' meetings from Nov 2017, first ministerial New York 26 Sep 2019 (state.gov)",
    ),
    "sco": (
        ["CHN", "RUS", "KAZ", "KGZ", "TJK", "UZB", "IND", "PAK"],
        "sectsco.org member states (India and Pakistan full members since Jun 2017)",
    ),
    "csto": (["RUS", "ARM", "BLR", "KAZ", "KGZ", "TJK"], "odkb-csto.org member states (2019)"),
    "eu27": (None, "seeds/reference countries_2019.csv eu_member (country_converter EU27 column, post-Brexit)"),
    "eea": (["NOR", "ISL", "LIE"], "EEA Agreement: EFTA states party to the EEA (efta.int)"),
}

# ---------------------------------------------------------------------------------------------------------------
# 3. Instruments (seeds/reference/data_regimes_2019.csv), G20 membership.
# ---------------------------------------------------------------------------------------------------------------
LOCALISATION_2019 = ["CHN", "RUS", "VNM", "IDN", "IND"]  # in force by 2019 (data_regimes_2019.csv rows 1-5)
NON_UN_ADEQUACY = {"GGY", "IMN", "JEY", "FRO"}
#: The G20's 19 member states (and the EU) in 2019, the forum of Japan's DFFT push (Osaka, June 2019):
#: https://www.g20.org/en/about-g20/ (membership unchanged 1999-2022; the African Union joined in 2023).
G20 = {
    "ARG",
    "AUS",
    "BRA",
    "CAN",
    "CHN",
    "FRA",
    "DEU",
    "IND",
    "IDN",
    "ITA",
    "JPN",
    "KOR",
    "MEX",
    "RUS",
    "SAU",
    "ZAF",
    "TUR",
    "GBR",
    "USA",
}

# ---------------------------------------------------------------------------------------------------------------
# 4. High-risk-vendor (Huawei + ZTE) installed 4G base: regional priors, then one common scale factor.
# ---------------------------------------------------------------------------------------------------------------
HR_RAN_FIXED = {"CHN": 0.85}  # not scaled
HR_RAN_OVERRIDES = {"KOR": 0.10, "JPN": 0.10, "AUS": 0.15, "NZL": 0.15, "CAN": 0.20, "USA": 0.02}
HR_RAN_BY_UN_SUBREGION = {"Sub-Saharan Africa": 0.70, "Northern Africa": 0.55}
HR_RAN_BY_PAPER_REGION = {
    "Middle East": 0.50,
    "Indo-Pacific": 0.50,
    "South Asia": 0.40,
    "Central Asia": 0.60,
    "Eastern Europe": 0.50,
    "Western Balkans": 0.50,
    "Latin America": 0.40,
    "EU": 0.35,
    "Like-minded": 0.35,
}
HR_BAN_FACTOR = 0.5  # BAN / BAN_DEFACTO: prior x 0.5 before scaling
HR_CAP = 0.95
HR_TARGET_EX_CHINA = 0.26  # Dell'Oro RAN excl. China 2019: Huawei 23 + ZTE 3 (vendor_shares_2019.csv)

POLICY_MAP = {"BAN": "banned", "BAN_DEFACTO": "banned", "RESTRICTED": "core_excluded", "FRAMEWORK_ONLY": "open", "NONE": "open"}
STRICT_STATUSES = {"FRAMEWORK_ONLY", "RESTRICTED", "BAN_DEFACTO", "BAN"}
#: Security culture (theta0, the threat perception a state starts from and returns to), ESTIMATED, with no
#: alignment in it (alignment reaches the 5G decision once, as the alignment pressure of its utility):
#: SC_BASE + SC_FREE x free + SC_STRICT x [5G status FRAMEWORK_ONLY or stricter] + SC_BAN x [BAN or BAN_DEFACTO].
#: Freer societies are warier of vendors tied to a one-party state (the paper: "an operator that cannot be seen
#: to be independent from the Chinese state"); a 2019 legal framework or restriction shows the culture (the paper:
#: France treats operators as critical actors, others as a commercial issue).
SC_BASE, SC_FREE, SC_STRICT, SC_BAN = 0.1, 0.3, 0.2, 0.2
#: Alignment (ESTIMATED weights of sourced inputs): half from 2019 UNGA voting (the ideal-point alignment of
#: unga_alignment), half from security ties: with the US, membership of NATO, the US treaty alliances or the
#: Five Eyes (1) or Major Non-NATO Ally status (0.5); with China, a quarter from SCO or CSTO membership (the
#: security organisations China or its partner Russia lead; weaker ties than a treaty alliance).
ALIGN_VOTES, ALIGN_TIES, ALIGN_CN_TIES = 0.5, 0.5, 0.25

# ---------------------------------------------------------------------------------------------------------------
# 5. Small hand-made tables.
# ---------------------------------------------------------------------------------------------------------------
EST = "ESTIMATED"
VENDORS = [
    # vendor, origin, high_risk, ran % (Dell'Oro 2019 worldwide RAN revenue; NEC/Fujitsu estimated),
    # telecom-equipment % (Dell'Oro total SP equipment 2019; Samsung/NEC/Fujitsu estimated), price, quality, reach
    ("Huawei", "CHN", 1, 32, 28, 1.00, 1.00, 0.95),
    ("ZTE", "CHN", 1, 8, 10, 0.95, 0.70, 0.70),
    ("Ericsson", "SWE", 0, 29, 14, 1.20, 0.90, 1.00),
    ("Nokia", "FIN", 0, 21, 16, 1.18, 0.85, 1.00),
    ("Samsung", "KOR", 0, 8, 3, 1.12, 0.75, 0.50),
    ("NEC", "JPN", 0, 1, 1, 1.25, 0.55, 0.15),
    ("Fujitsu", "JPN", 0, 1, 1, 1.25, 0.50, 0.10),
]
VENDOR_SOURCED_RAN = {"Huawei", "ZTE", "Ericsson", "Nokia", "Samsung"}
VENDOR_SOURCED_CORE = {"Huawei", "ZTE", "Ericsson", "Nokia"}

REGIMES_TABLE = [
    ("protect", "GDPR-like, rights-based", 0.60, "EUU"),
    ("trust", "Data Free Flow with Trust / APPI", 0.45, "JPN"),
    ("open", "commercial free flow, CBPR-style", 0.15, "USA"),
    ("sovereign", "localisation and state control", 0.30, "CHN"),
]
COMPAT_PAIRS = {
    ("protect", "protect"): 1.0,
    ("trust", "trust"): 1.0,
    ("open", "open"): 1.0,
    ("sovereign", "sovereign"): 0.3,
    ("protect", "trust"): 0.7,
    ("protect", "open"): 0.3,
    ("protect", "sovereign"): 0.0,
    ("trust", "open"): 0.6,
    ("trust", "sovereign"): 0.2,
    ("open", "sovereign"): 0.2,
    # a state without a data-protection law (ESTIMATED, after how each regime treats transfers to it):
    ("none", "none"): 0.8,  # no legal barrier on either side (and no protection)
    ("none", "protect"): 0.0,  # GDPR Chapter V: transfers only with adequate protection or safeguards
    ("none", "trust"): 0.2,  # APPI art. 24: transfers abroad need an equivalent system or consent
    ("none", "open"): 0.7,  # CBPR-style accountability: few restrictions on transfers
    ("none", "sovereign"): 0.1,
}  # localisation

EU_ODA_GNI_2019 = 0.0046  # EU + member states collective ODA = 0.46% of GNI in 2019 (European Commission press
#                            release 16 Apr 2020 on OECD-DAC preliminary data). GDP is used as the proxy for GNI.
MS_DIGITAL_SHARE = 0.02  # ESTIMATED share of member states' ODA that is digital
DONORS = [
    # donor, kind, budget, staffing, capacity, fin_inclusion, infrastructure, speed, conditionality, source
    (
        "EUU",
        "Power",
        0.4e9,
        0.45,
        0.45,
        0.25,
        0.30,
        0.4,
        0.7,
        "ESTIMATED (EU institutions, Digital4Development): budget an order-of-magnitude assumption, no EU digital-ODA "
        "budget line in seeds/reference; staffing 0.45 set low because the paper says digital ODA is not 'properly "
        "budgeted and staffed (which is not the case today at the EU-level)'; shares, speed and conditionality are "
        "judgement (capacity-building emphasis of the paper; EU aid conditionality)",
    ),
    (
        "JPN",
        "Power",
        1.2e9,
        0.80,
        0.30,
        0.15,
        0.55,
        0.6,
        0.5,
        "ESTIMATED: anchored to Japan's Partnership for Quality Infrastructure USD110bn/5y (2015, mofa.go.jp) and "
        "the expanded USD200bn/5y initiative (2016, japan.kantei.go.jp) in seeds/reference "
        "connectivity_projects_to_2019.csv: USD200bn/5y = USD40bn/y x an assumed 3% digital/ICT share = USD1.2bn; "
        "staffing, shares (infrastructure-heavy PQI), speed and conditionality are judgement",
    ),
    (
        "USA",
        "Power",
        0.6e9,
        0.70,
        0.30,
        0.40,
        0.30,
        0.6,
        0.6,
        "ESTIMATED: no US digital-ODA figure in seeds/reference; order-of-magnitude assumption; fin_inclusion share set "
        "high for US digital-finance programmes (judgement); staffing, speed, conditionality judgement",
    ),
    (
        "CHN",
        "Power",
        4.0e9,
        0.90,
        0.05,
        0.15,
        0.80,
        0.9,
        0.1,
        "ESTIMATED (Digital Silk Road, state credit): no aggregate figure in seeds/reference; project-level anchors in "
        "connectivity_projects_to_2019.csv (Kenya Konza DC ~USD170m 2019, Pakistan fibre USD44m 2018, Exim-loan "
        "financed); order-of-magnitude assumption with an infrastructure-heavy mix, high speed and low "
        "conditionality (judgement)",
    ),
    (
        "MS",
        "MemberStates",
        None,
        0.70,
        0.40,
        0.30,
        0.30,
        0.5,
        0.7,
        "ESTIMATED (EU member states' own digital ODA, pooled): budget = sum over EU27 of GDP 2019 (seeds/reference, "
        "WDI) x 0.0046 (EU collective ODA/GNI 2019, European Commission 16 Apr 2020 on OECD-DAC preliminary data; "
        "GDP as proxy for GNI) x 0.02 (assumed digital share); staffing, shares, speed and conditionality judgement",
    ),
]

ODA_PROJECTS = [
    # donor, iso3, program, year, amount_usd, source
    (
        "CHN",
        "KEN",
        "infrastructure",
        2019,
        170e6,
        "seeds/reference connectivity_projects_to_2019.csv: Konza National Data Centre & Smart City (Huawei; China Exim "
        "loan) 2019-04, KSh17.5bn (~USD170m)",
    ),
    (
        "CHN",
        "PAK",
        "infrastructure",
        2018,
        44e6,
        "seeds/reference connectivity_projects_to_2019.csv: CPEC Pakistan-China optical fibre cable, inaugurated "
        "2018-07-13, USD44m",
    ),
    (
        "CHN",
        "KHM",
        "infrastructure",
        2019,
        50e6,
        "seeds/reference connectivity_projects_to_2019.csv: Government-Huawei 5G MoU 2019-04; amount ESTIMATED USD50m "
        "(no value in source)",
    ),
    (
        "CHN",
        "SRB",
        "infrastructure",
        2017,
        50e6,
        "seeds/reference connectivity_projects_to_2019.csv: Huawei safe-city Belgrade 2017-20, ~EUR45m; converted at an "
        "ESTIMATED ~1.12 USD/EUR (2019 average) = ~USD50m",
    ),
] + [
    (
        "CHN",
        iso,
        "infrastructure",
        2017,
        20e6,
        "seeds/reference connectivity_projects_to_2019.csv: co-launched Belt and Road Digital Economy International "
        "Cooperation Initiative, Wuzhen 2017-12-03; program and amount ESTIMATED (USD20m placeholder, no value in "
        "source)",
    )
    for iso in ["EGY", "LAO", "SAU", "THA", "TUR", "ARE"]
]

# ---------------------------------------------------------------------------------------------------------------
# 6. Each state's own starting point (issue 11): the inputs of alignment (UN General Assembly voting; the security
#    ties are blocs), installed high-risk shares from Strand Consult's country figures, the data-protection law in
#    force at end-2019 and telecom investment. Method and checks in SOURCES.md (countries.csv).
# ---------------------------------------------------------------------------------------------------------------
UNGA = "seeds/reference un_voting_alignment_2019.csv"
RAN = "seeds/reference installed_chinese_ran_2019.csv"
DPL = "seeds/reference data_protection_laws.csv"
CAPEX = "seeds/reference telecom_capex_2019.csv"
# Strand Consult's "31 European countries" (2020 4G RAN study) are not listed in the reference data; taken to be
# the EU27 + GBR NOR ISL CHE (the EEA plus the UK and Switzerland: 31 states, the count Strand gives).
EUROPE_31_EXTRA = ["GBR", "NOR", "ISL", "CHE"]
# Operator rows give a country figure only where they cover every national mobile network operator (MNO). Of the
# countries with operator rows and no Strand country figure, only Canada's rows do: Bell, Telus and Rogers, its
# three national MNOs (public record). Their equal-weight mean is the country figure (no subscriber shares in the
# reference data). MNO_COUNT_2019 (national MNOs with their own network in 2019, from memory) is used only to
# check that rule and to decide against using partial operator rows (SOURCES.md): never in a table value.
MNO_COUNT_2019 = {
    "CAN": 3,
    "BEL": 3,
    "DEU": 3,
    "ESP": 4,
    "ITA": 4,
    "GBR": 4,
    "HUN": 3,
    "POL": 4,
    "CZE": 3,
    "GRC": 3,
    "ROU": 4,
    "DNK": 4,
    "CHE": 3,
    "NLD": 3,
    "AUT": 3,
}
OPERATOR_COUNTRIES = {"CAN"}
HR_RAN_MAX = 1.0  # a country figure may be 100% Chinese (BEL CYP MLT); regional estimates keep HR_CAP
DP_LAW_END = 2019  # a law counts at end-2019 if year_enacted <= 2019
EU_DP_LAW_YEAR = 1995  # the EU itself: Directive 95/46/EC (1995), replaced by the GDPR (enacted 2016)
CAPEX_WORLD_2019 = "world_operator_capex_annual"
CAPEX_CN_SHARE = ("china_operator_capex_forecast", "world_operator_capex_forecast")  # same period, 2020-2025

# ---------------------------------------------------------------------------------------------------------------
# 7. Provenance of every column of every file (written to columns.csv).
# ---------------------------------------------------------------------------------------------------------------
SH = "seeds/reference countries_2019.csv"
COLUMNS: dict[str, list[tuple[str, str, str, str]]] = {
    "countries.csv": [
        ("iso3", "ISO 3166-1 alpha-3", f"{SH} (country_converter); EUU added for the EU as a power", "no"),
        ("name", "text", f"{SH} (country_converter name_short); 'European Union' for EUU", "no"),
        ("region", "UN M49 sub-region", f"{SH} (datasets/country-codes); 'Europe' for EUU", "no"),
        (
            "paper_region",
            "category",
            "mapping written as data in seeds/build.py (PAPER_REGION_*), after the "
            "regions named in the Elcano paper / 2019 EU-Japan Connectivity Partnership",
            "no",
        ),
        ("kind", "Power|MemberState|ThirdCountry", "Power = EUU JPN USA CHN; MemberState = eu_member 1", "no"),
        ("eu_member", "0/1", f"{SH} (EU27 post-Brexit composition; GBR coded 0); EUU row 0", "no"),
        ("lat", "degrees", f"{SH} (360-info largest-polygon centroid); EUU = EU27 GDP-weighted mean", "partly"),
        ("lon", "degrees", f"{SH} (360-info largest-polygon centroid); EUU = EU27 GDP-weighted mean", "partly"),
        ("population", "persons, 2019", f"{SH} (WDI SP.POP.TOTL); EUU = EU27 sum", "no"),
        (
            "gdp_usd",
            "current USD, 2019",
            f"{SH} (WDI NY.GDP.MKTP.CD); EUU = EU27 sum; ERI PRK SSD VEN YEM "
            "imputed = population x median GDP per capita of the UN sub-region (ERI SSD VEN) or a sourced per-capita "
            "estimate (PRK: Bank of Korea GNI 2019; YEM: WDI 2018 per capita) - see build.py GDP_PC_OVERRIDES",
            "partly",
        ),
        ("gdp_per_capita", "current USD per person", "gdp_usd / population (recomputed)", "partly"),
        (
            "rule_of_law",
            "WGI estimate, about -2.5..2.5",
            f"{SH} (WGI 2020 update, 2019 estimate); MCO SMR imputed = median of UN sub-region; EUU = EU27 GDP-weighted mean",
            "partly",
        ),
        (
            "fh_political_rights",
            "1 (most free)..7",
            f"{SH} (Freedom House FIW 2020, year 2019); EUU = EU27 GDP-weighted mean (float)",
            "partly",
        ),
        (
            "fh_civil_liberties",
            "1 (most free)..7",
            f"{SH} (Freedom House FIW 2020, year 2019); EUU = EU27 GDP-weighted mean (float)",
            "partly",
        ),
        ("fh_status", "F|PF|NF", f"{SH} (Freedom House FIW 2020); EUU = EU27 GDP-weighted mode", "partly"),
        (
            "trade_share_eu27",
            "share of gravity trade 0..1",
            "ESTIMATED gravity model: sum_{j in EU27, j!=i} "
            "GDP_j/d_ij / sum_{j!=i} GDP_j/d_ij, d = great-circle centroid distance km, floor 500; EUU 0",
            "yes",
        ),
        (
            "trade_share_usa",
            "share 0..1",
            "ESTIMATED gravity model as trade_share_eu27 (USA row 0); EUU = EU27 GDP-weighted mean of members' extra-EU shares",
            "yes",
        ),
        (
            "trade_share_chn",
            "share 0..1",
            "ESTIMATED gravity model as trade_share_eu27 (CHN row 0); EUU as trade_share_usa",
            "yes",
        ),
        (
            "trade_share_jpn",
            "share 0..1",
            "ESTIMATED gravity model as trade_share_eu27 (JPN row 0); EUU as trade_share_usa",
            "yes",
        ),
        (
            "align_us",
            "0..1",
            f"ESTIMATED combination of sourced inputs: {ALIGN_VOTES} x voting + {ALIGN_TIES} x ties; "
            f"voting = {UNGA}: clip(1 - d_USA / d(USA,CHN), 0, 1), d = distance between 2019 Bailey-Strezhnev-Voeten "
            "UNGA ideal points (Harvard Dataverse doi:10.7910/DVN/LEJUQZ), d(USA,CHN) = 3.2058; ties = 1 for NATO, US "
            "treaty allies and Five Eyes, 0.5 for Major Non-NATO Allies (blocs.csv); USA 1; EUU = EU27 GDP-weighted mean",
            "partly",
        ),
        (
            "align_cn",
            "0..1",
            f"ESTIMATED combination: {ALIGN_VOTES} x voting (clip(1 - d_CHN / d(USA,CHN), 0, 1), as "
            f"align_us) + {ALIGN_CN_TIES} x [SCO or CSTO member] (blocs.csv); CHN 1; EUU = EU27 GDP-weighted mean",
            "partly",
        ),
        (
            "dp_law",
            "0/1",
            f"{DPL}: 1 if the state's first comprehensive data-protection law covering the "
            "private sector was enacted by end-2019 (year_enacted <= 2019); states not in the table 0 (not yet "
            "checked there; most probably none by 2023)",
            "partly",
        ),
        ("dp_law_source", "text", f"the law and its row in {DPL}, or why the state has none", "no"),
        (
            "dp_capacity",
            "0..1",
            "ESTIMATED: clip(0.1 + 0.55 (rule_of_law+2.5)/5 + 0.25 dp_law + 0.1 free, 0, 1); EUU = EU27 GDP-weighted mean",
            "yes",
        ),
        (
            "security_culture",
            "0..1 (theta0)",
            f"ESTIMATED: clip({SC_BASE} + {SC_FREE} free + {SC_STRICT} [5G status "
            f"FRAMEWORK_ONLY or stricter] + {SC_BAN} [BAN or BAN_DEFACTO], 0, 1), statuses from seeds/reference "
            "5g_policy_2019.csv, free = (14-PR-CL)/12; no alignment term (build.py SC_*); EUU = EU27 GDP-weighted mean",
            "yes",
        ),
        (
            "hr_ran_share",
            "share of installed 4G RAN 0..1",
            f"{RAN}: Strand Consult 2020 country figure "
            "(11 UN states) > equal-weight mean of operator figures covering all national MNOs (CAN) > ESTIMATED "
            "Europe residual (Strand's European 0.51 less the country figures, population-weighted) > ESTIMATED "
            "regional prior x one factor (GDP-weighted ex-China mean 0.26, Dell'Oro 2019); CHN 0.85; see "
            "hr_share_status and hr_share_method per row; EUU = EU27 GDP-weighted mean",
            "partly",
        ),
        (
            "hr_core_share",
            "share of installed core 0..1",
            "ESTIMATED: hr_ran_share x 0.95 (Chinese "
            "vendors' share of all service-provider telecom equipment / of RAN, Dell'Oro 2019: (28+10)/(32+8), "
            "seeds/reference vendor_shares_2019.csv; no per-country core source); 0 if 5G status BAN; x0.5 if "
            "RESTRICTED; EUU = EU27 GDP-weighted mean",
            "yes",
        ),
        (
            "policy_5g_2019",
            "open|core_excluded|banned",
            "seeds/reference 5g_policy_2019.csv (BAN, BAN_DEFACTO -> "
            "banned; RESTRICTED -> core_excluded; FRAMEWORK_ONLY, NONE -> open); states not listed assumed open",
            "partly",
        ),
        ("policy_5g_source", "text", "the row's source or assumption", "no"),
        (
            "regime_2019",
            "protect|trust|open|sovereign",
            "instrument rule (data_regimes_2019.csv: EU27/EEA/GBR/"
            "adequacy -> protect, JPN trust, USA and other CBPR -> open, localisation -> sovereign) else ESTIMATED "
            "from dp_law and FH status",
            "partly",
        ),
        ("regime_source", "text", "'instrument: ...' or 'estimated: ...'", "no"),
        ("adequacy_2019", "0/1", "seeds/reference data_regimes_2019.csv: EU adequacy decision in force end-2019", "no"),
        ("imputed", "';'-separated column names", "columns imputed for this row (see SOURCES.md)", "no"),
        (
            "hr_share_status",
            "sourced|derived|estimated",
            "how hr_ran_share was obtained: sourced = a "
            "published country figure; derived = computed from published operator figures; estimated = the rest",
            "no",
        ),
        ("hr_share_method", "text", "the source or the estimation method of the row's hr_ran_share", "no"),
        ("dp_law_year", "year, empty if no law", f"{DPL} year_enacted where dp_law = 1; EUU 1995 (Directive 95/46/EC)", "no"),
        (
            "eea",
            "0/1",
            "EEA Agreement: the EFTA states party to the EEA, which apply the GDPR like member states "
            "(NOR ISL LIE; efta.int, blocs.csv eea)",
            "no",
        ),
        ("g20", "0/1", "G20 member state in 2019 (g20.org; build.py G20); EUU 1 (the EU is a member)", "no"),
        (
            "telecom_capex_usd_2019",
            "US$ per year, 2019",
            f"ESTIMATED: {CAPEX} world mobile-operator capex "
            "US$160bn (GSMA 2019) split by GDP, except CHN = 160bn x 180/1100 (GSMA forecasts for 2020-25: China "
            "over US$180bn of US$1.1tn; a lower bound); EUU = EU27 sum",
            "yes",
        ),
    ],
    "trade_partners.csv": [
        ("iso3", "ISO3", "the 193 UN states of countries.csv", "no"),
        ("partner", "ISO3", "top 20 partners of iso3 by gravity flow GDP_j/d_ij (j != i, states only)", "yes"),
        ("weight", "share 0..1", "ESTIMATED gravity model: GDP_j/d_ij / sum_{k!=i} GDP_k/d_ik (d floor 500 km)", "yes"),
    ],
    "blocs.csv": [
        ("bloc", "name", "nato five_eyes us_treaty_ally us_mnna quad sco csto eu27 eea", "no"),
        ("iso3", "ISO3", "membership at end-2019, see source", "no"),
        ("source", "text", "public membership list per bloc", "no"),
    ],
    "vendors.csv": [
        ("vendor", "name", "the seven RAN vendors modelled", "no"),
        ("origin_iso3", "ISO3", "headquarters country (public record)", "no"),
        ("high_risk", "0/1", "Huawei and ZTE (Chinese vendors at the centre of the 5G security debate in the paper)", "no"),
        (
            "ran_share_2019",
            "share 0..1",
            "Dell'Oro 2019 worldwide RAN revenue (seeds/reference "
            "vendor_shares_2019.csv): Huawei 32 ZTE 8 Ericsson 29 Nokia 21 Samsung 8; NEC 1 Fujitsu 1 ESTIMATED (residual ~2%); renormalised "
            "to sum 1",
            "partly",
        ),
        (
            "core_share_2019",
            "share 0..1",
            "proxy: Dell'Oro total telecom equipment (SP) 2019: Huawei 28 Ericsson 14 "
            "Nokia 16 ZTE 10; Samsung 3 NEC 1 Fujitsu 1 ESTIMATED; renormalised to sum 1 over the seven",
            "partly",
        ),
        ("price_index", "Huawei = 1", "ESTIMATED from press reports of Chinese vendors bidding 20-30% lower", "yes"),
        ("quality_2019", "0..1", "ESTIMATED from relative R&D spend 2019 (judgement)", "yes"),
        ("reach_2019", "0..1", "ESTIMATED global presence (judgement)", "yes"),
        ("source", "text", "method per row", "no"),
    ],
    "regimes.csv": [
        (
            "regime",
            "name",
            "the four data regimes of the paper: EU protect, JPN trust (DFFT), US commercial, China control",
            "no",
        ),
        ("description", "text", "short description", "no"),
        ("capacity_need", "0..1", "ESTIMATED relative institutional capacity a state needs to run the regime (judgement)", "yes"),
        ("champion", "ISO3", "the power promoting the regime (paper)", "no"),
    ],
    "regime_compatibility.csv": [
        ("regime", "name", "row: a regime, or none (no data-protection law)", "no"),
        (
            "protect",
            "0..1",
            "ESTIMATED compatibility with protect (expert judgement after the paper: EU and "
            "Japan 'share the understanding that data are to be protected', US commercialised, China controlled)",
            "yes",
        ),
        ("trust", "0..1", "ESTIMATED compatibility with trust (as protect)", "yes"),
        ("open", "0..1", "ESTIMATED compatibility with open (as protect)", "yes"),
        ("sovereign", "0..1", "ESTIMATED compatibility with sovereign (as protect)", "yes"),
        (
            "none",
            "0..1",
            "ESTIMATED compatibility with a state without a data-protection law: protect 0 (GDPR "
            "Chapter V: transfers need adequate protection or safeguards), trust 0.2 (APPI art. 24), open 0.7 (CBPR-style "
            "accountability, few transfer rules), sovereign 0.1 (localisation), none 0.8 (no legal barrier and no "
            "protection); build.py COMPAT_PAIRS",
            "yes",
        ),
    ],
    "adequacy.csv": [
        ("iso3", "ISO3", "seeds/reference data_regimes_2019.csv (UN states only; GGY IMN JEY FRO skipped)", "no"),
        ("name", "text", "jurisdiction as given in data_regimes_2019.csv", "no"),
        ("decision", "text", "instrument as given in data_regimes_2019.csv", "no"),
        ("year", "year", "first four digits of the date in data_regimes_2019.csv", "no"),
        ("source", "text", "source as given in data_regimes_2019.csv", "no"),
    ],
    "donors.csv": [
        ("donor", "EUU|JPN|USA|CHN|MS", "the four powers plus the pooled EU member states", "no"),
        (
            "kind",
            "Power|MemberStates",
            "Power = one of the four powers; MemberStates = the pooled EU27 member states' own bilateral digital ODA",
            "no",
        ),
        ("digital_oda_usd_2019", "USD per year", "ESTIMATED, see source per row", "yes"),
        ("staffing", "0..1", "ESTIMATED (EU-level from the paper's statement on staffing)", "yes"),
        ("share_capacity", "0..1", "ESTIMATED programme mix (three shares sum 1)", "yes"),
        ("share_fin_inclusion", "0..1", "ESTIMATED programme mix", "yes"),
        ("share_infrastructure", "0..1", "ESTIMATED programme mix", "yes"),
        ("speed", "0..1", "ESTIMATED delivery speed", "yes"),
        ("conditionality", "0..1", "ESTIMATED governance conditions attached", "yes"),
        ("source", "text", "estimation logic per row", "no"),
    ],
    "oda_projects_2019.csv": [
        ("donor", "EUU|JPN|USA|CHN|MS", "seeds/reference connectivity_projects_to_2019.csv (actor)", "no"),
        ("iso3", "ISO3", "seeds/reference connectivity_projects_to_2019.csv (UN states only)", "no"),
        ("program", "capacity|fin_inclusion|infrastructure", "classified from the project description", "partly"),
        ("year", "year", "seeds/reference connectivity_projects_to_2019.csv (start year)", "no"),
        (
            "amount_usd",
            "USD",
            "seeds/reference connectivity_projects_to_2019.csv where given, else ESTIMATED (see source)",
            "partly",
        ),
        ("source", "text", "project and source per row", "no"),
    ],
    "calibration_targets.csv": [
        (
            "pattern",
            "law_count|law_adopted|adequacy_granted|localisation_countries",
            "the pattern of the 2019-2023 data-flow record a row belongs to (docs/calibration.md)",
            "no",
        ),
        ("key", "world or ISO3", "world for a world count, else the state the row is about", "no"),
        (
            "year",
            "year",
            "the end of the year the figure refers to (law_adopted: the year enacted, or 2023 for none by then)",
            "no",
        ),
        (
            "value",
            "count or 0/1",
            f"law_count: states of the 193 with year_enacted <= year in {DPL} (states not in it: none); law_adopted: 1 if "
            "the first law was enacted 2020-2023, 0 if none by end-2023; adequacy_granted: 1 (an EU adequacy decision "
            "in 2020-2023, seeds/reference adequacy_and_transfer_frameworks.csv); localisation_countries: ITIF's count "
            "(seeds/reference data_protection_law_counts.csv)",
            "no",
        ),
        ("unit", "text", "unit of value", "no"),
        (
            "use",
            "fit|compare",
            "fit: the calibration's distance uses the row; compare: reported beside the fit, not fitted",
            "no",
        ),
        ("source", "text", "the reference file and row the figure comes from, with that row's own source", "no"),
        ("confidence", "high|medium|low", "the reference row's confidence (low for states assumed to have no law)", "no"),
        ("note", "text", "how the figure was counted, where needed", "no"),
    ],
    "columns.csv": [
        ("file", "file name", "seeds file described", "no"),
        ("column", "column name", "column described", "no"),
        ("unit", "text", "unit or value set", "no"),
        ("source_or_method", "text", "source or estimation method", "no"),
        ("estimated", "yes|no|partly", "whether the column's values are estimated", "no"),
    ],
}


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Haversine distance matrix (km, R = 6371.0088)."""
    la, lo = np.radians(lat), np.radians(lon)
    dla = la[:, None] - la[None, :]
    dlo = lo[:, None] - lo[None, :]
    a = np.sin(dla / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(dlo / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def gravity_flows(df: pd.DataFrame) -> np.ndarray:
    """F[i, j] = GDP_j / max(d_ij, 500) for i != j, 0 on the diagonal."""
    d = np.maximum(great_circle_km(df["lat"].to_numpy(float), df["lon"].to_numpy(float)), 500.0)
    f = df["gdp_usd"].to_numpy(float)[None, :] / d
    np.fill_diagonal(f, 0.0)
    return f


def free_index(pr, cl):
    return (14.0 - np.asarray(pr, float) - np.asarray(cl, float)) / 12.0


def wmean(values: pd.Series, weights: pd.Series) -> float:
    return float(np.average(values.to_numpy(float), weights=weights.to_numpy(float)))


def hr_prior(r) -> float:
    """Regional prior of the high-risk share of installed 4G radio (row ``r`` of the countries frame)."""
    if r.iso3 in HR_RAN_FIXED:
        return HR_RAN_FIXED[r.iso3]
    if r.iso3 in HR_RAN_OVERRIDES:
        return HR_RAN_OVERRIDES[r.iso3]
    if r.region in HR_RAN_BY_UN_SUBREGION:
        return HR_RAN_BY_UN_SUBREGION[r.region]
    return HR_RAN_BY_PAPER_REGION[r.paper_region]


def bisect_scale(mean_at, target: float, hi: float = 10.0) -> float:
    """The s in [0, hi] with mean_at(s) = target, for a continuous non-decreasing ``mean_at`` (200 halvings)."""
    lo = 0.0
    assert mean_at(lo) <= target < mean_at(hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        if mean_at(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def leading_number(x) -> float:
    """The number a cell starts with: ``"10 (9 per itwire)"`` -> 10.0."""
    return float(str(x).split()[0])


def read_reference(ref: Path) -> dict[str, pd.DataFrame]:
    kw = dict(keep_default_na=False, na_values=[""])
    return {
        "countries": pd.read_csv(ref / "countries_2019.csv", **kw),
        "policy": pd.read_csv(ref / "5g_policy_2019.csv", **kw),
        "regimes": pd.read_csv(ref / "data_regimes_2019.csv", **kw),
        "vendors": pd.read_csv(ref / "vendor_shares_2019.csv", **kw),
        "projects": pd.read_csv(ref / "connectivity_projects_to_2019.csv", **kw),
        "voting": pd.read_csv(ref / "un_voting_alignment_2019.csv", **kw),
        "ran": pd.read_csv(ref / "installed_chinese_ran_2019.csv", **kw),
        "dp_laws": pd.read_csv(ref / "data_protection_laws.csv", **kw),
        "capex": pd.read_csv(ref / "telecom_capex_2019.csv", **kw),
        "dp_counts": pd.read_csv(ref / "data_protection_law_counts.csv", **kw),
        "transfers": pd.read_csv(ref / "adequacy_and_transfer_frameworks.csv", **kw),
    }


# ---------------------------------------------------------------------------------------------------------------
# countries
# ---------------------------------------------------------------------------------------------------------------
def paper_region(iso3: str, subregion: str, eu_member: int) -> str:
    hits = [reg for reg, isos in PAPER_REGION_EXPLICIT.items() if iso3 in isos]
    assert len(hits) <= 1, (iso3, hits)
    if hits:
        return hits[0]
    if eu_member == 1:
        return "EU"
    if subregion in PAPER_REGION_BY_SUBREGION:
        return PAPER_REGION_BY_SUBREGION[subregion]
    raise AssertionError(f"no paper_region for {iso3} ({subregion})")


def bloc_members(eu_isos: list[str]) -> dict[str, list[str]]:
    out = {}
    for bloc, (isos, _src) in BLOCS.items():
        out[bloc] = sorted(eu_isos) if bloc == "eu27" else list(isos)
    assert len(out["nato"]) == 29 and len(out["eu27"]) == 27
    return out


# ---------------------------------------------------------------------------------------------------------------
# starting points from data (section 6)
# ---------------------------------------------------------------------------------------------------------------
def unga_alignment(vote: pd.DataFrame, iso_list: list[str]) -> tuple[np.ndarray, np.ndarray, dict]:
    """Alignment with the US and with China from 2019 UN General Assembly ideal points.

    ``align_X = clip(1 - d_X / d_USA_CHN, 0, 1)``: the distance d_X of the state's 2019 Bailey-Strezhnev-Voeten
    ideal point to X's, in units of the US-China distance. The two powers get 1 with themselves and 0 with each
    other; a state between them has align_us + align_cn = 1 (its position on the China = 0, US = 1 scale and its
    complement); a state beyond China (more opposed to the US than China is) or beyond the US is less aligned with
    both. These are the voting half of ``align_us`` / ``align_cn``; build_countries adds the security ties.
    """
    v = vote[vote["year"] == 2019]
    assert not v.duplicated(["iso3", "measure"]).any(), "one value per state and measure"
    w = v.pivot(index="iso3", columns="measure", values="value")
    assert set(w.index) == set(iso_list), "the voting table covers the 193 states"
    w = w.loc[iso_list]
    ip = w["bsv_ideal_point_all"]
    d_us, d_cn = w["bsv_ideal_point_distance_to_USA"], w["bsv_ideal_point_distance_to_CHN"]
    # check the reference file's derived columns against the ideal points they come from (4-dp rounding)
    assert np.allclose(d_us, (ip - ip["USA"]).abs(), atol=2e-4)
    assert np.allclose(d_cn, (ip - ip["CHN"]).abs(), atol=2e-4)
    assert np.allclose(w["bsv_position_CHN0_USA1"], (ip - ip["CHN"]) / (ip["USA"] - ip["CHN"]), atol=2e-4)
    span = float(d_us["CHN"])
    assert span == float(d_cn["USA"]) > 0
    a_us = np.clip(1 - d_us.to_numpy(float) / span, 0, 1)
    a_cn = np.clip(1 - d_cn.to_numpy(float) / span, 0, 1)
    coin = w["us_vote_coincidence_all_contested_unga"]  # State Department, 2019; no row for the US itself
    ok = coin.notna().to_numpy()
    rho = float(pd.Series(a_us[ok]).rank().corr(coin[ok].reset_index(drop=True).rank()))
    assert rho > 0.9, f"voting-based alignment and US vote coincidence disagree (Spearman {rho:.3f})"
    pos = w["bsv_position_CHN0_USA1"]
    return (
        a_us,
        a_cn,
        dict(span=span, rho_coincidence=rho, beyond_cn=sorted(pos.index[pos < 0]), beyond_us=sorted(pos.index[pos > 1])),
    )


def hr_shares_2019(
    df: pd.DataFrame, ran_ref: pd.DataFrame, vendor_ref: pd.DataFrame, status: pd.Series, eu_isos: list[str]
) -> tuple[pd.DataFrame, dict]:
    """High-risk (Huawei + ZTE) shares of installed 4G radio and core per state, with status and method.

    Radio, in order of precedence: (1) sourced: Strand Consult's 2020 country figure; (2) derived: the
    equal-weight mean of operator figures that cover all national MNOs (Canada); (3) estimated, Europe: the
    residual r that makes the population-weighted mean over Strand's 31 European countries equal Strand's 0.51,
    for every one of them without (1); (4) estimated, elsewhere: the regional prior (x0.5 under a 5G ban) times one
    factor that makes the GDP-weighted mean over the 192 non-China states 0.26 (Dell'Oro 2019 RAN ex-China), the
    states of (1)-(3) held; CHN 0.85. Core = radio x (Chinese share of all service-provider telecom equipment /
    their share of RAN, Dell'Oro 2019), 0 under a BAN, halved where RESTRICTED (kept out of the core).
    """
    iso = df["iso3"]
    states = set(iso)
    pop = pd.Series(df["population"].to_numpy(float), index=iso)
    gdp = pd.Series(df["gdp_usd"].to_numpy(float), index=iso)
    country = ran_ref[ran_ref["scope"] == "country"]
    assert len(country) == 12 and country["iso3"].is_unique, "the 12 Strand Consult 2020 country figures"
    dropped = sorted(set(country["iso3"]) - states)
    assert dropped == ["FRO"], dropped  # the Faroe Islands are not a UN state
    country = country[country["iso3"].isin(states)].set_index("iso3")
    ops = ran_ref[(ran_ref["scope"] == "operator") & ran_ref["chinese_ran_share"].notna()]
    europe = ran_ref[(ran_ref["scope"] == "region") & ran_ref["country"].str.startswith("Europe (31 countries, 102 operators")]
    assert len(europe) == 1
    europe_share = float(europe["chinese_ran_share"].iloc[0])
    europe31 = sorted(eu_isos + EUROPE_31_EXTRA)
    assert len(europe31) == 31

    ran = pd.Series(np.nan, index=iso)
    st = pd.Series("", index=iso, dtype=object)
    how = pd.Series("", index=iso, dtype=object)

    def op_text(i: str) -> str:
        rows = ops[ops["iso3"] == i]
        return "; ".join(
            f"{n.split(';')[0].split(':')[0].strip()} {v:.2f}" for n, v in zip(rows["note"].fillna(""), rows["chinese_ran_share"])
        )

    for i, r in country.iterrows():  # (1)
        ran[i] = float(r["chinese_ran_share"])
        st[i] = "sourced"
        bound = " (reported as 'just over 50%': a lower bound)" if "lower bound" in str(r["note"]) else ""
        how[i] = f"Strand Consult 2020 country figure{bound} ({RAN}, confidence {r['confidence']})"
    for i in sorted(OPERATOR_COUNTRIES):  # (2)
        rows = ops[ops["iso3"] == i]
        assert i not in country.index and len(rows) == MNO_COUNT_2019[i], (i, len(rows))
        ran[i] = float(rows["chinese_ran_share"].mean())
        st[i] = "derived"
        how[i] = (
            f"equal-weight mean of the operator figures of its {len(rows)} national MNOs ({op_text(i)}; "
            f"{RAN}); no subscriber shares in the reference data"
        )

    def residual(fixed: pd.Series) -> float:
        known = [i for i in europe31 if not np.isnan(fixed[i])]
        rest = [i for i in europe31 if np.isnan(fixed[i])]
        r = (europe_share * pop[europe31].sum() - (fixed[known] * pop[known]).sum()) / pop[rest].sum()
        assert 0 <= r <= 1, r
        return float(r)

    r_eu = residual(ran)
    before_residual = ran.copy()
    for i in europe31:  # (3)
        if np.isnan(ran[i]):
            ran[i] = r_eu
            st[i] = "estimated"
            extra = f"; operator rows, not a country figure: {op_text(i)}" if (ops["iso3"] == i).any() else ""
            how[i] = (
                f"Europe residual: Strand 2020 share of European subscribers on Chinese 4G RAN "
                f"({europe_share:.2f}, 31 countries taken as EU27 + GBR NOR ISL CHE) less the "
                f"{len(country)} country figures, population as the subscriber weight{extra}"
            )

    # check of rule (3) against the rule not used (partial operator rows): states with a country figure and
    # operator rows, their figure left out. Partial rule: known operators + the residual for the other MNOs.
    check = {}
    for i in sorted(set(ops["iso3"]) & set(country.index)):
        loo = before_residual.copy()
        loo[i] = np.nan
        r_loo = residual(loo)
        rows = ops[ops["iso3"] == i]["chinese_ran_share"]
        n = MNO_COUNT_2019[i]
        partial = (rows.sum() + (n - len(rows)) * r_loo) / n if len(rows) < n else rows.mean()
        check[i] = dict(
            truth=float(country.loc[i, "chinese_ran_share"]), residual=r_loo, operators=float(partial), n_rows=len(rows), n_mno=n
        )

    # (4) regional priors, one factor
    base = np.array([hr_prior(r) for r in df.itertuples()])
    banned = status.isin(["BAN", "BAN_DEFACTO"]).to_numpy()
    prior = np.where(banned, base * HR_BAN_FACTOR, base)
    free_ = ran.isna().to_numpy() & (iso != "CHN").to_numpy()
    non_cn = (iso != "CHN").to_numpy()
    fixed_vals = np.nan_to_num(ran.to_numpy(float))
    w = gdp.to_numpy(float)

    def mean_ex_cn(sc: float) -> float:
        vals = np.where(free_, np.clip(sc * prior, 0, HR_CAP), fixed_vals)
        return float(np.average(vals[non_cn], weights=w[non_cn]))

    scale = bisect_scale(mean_ex_cn, HR_TARGET_EX_CHINA)
    for k, i in enumerate(iso):
        if i == "CHN":
            ran[i], st[i] = HR_RAN_FIXED["CHN"], "estimated"
            how[i] = f"home market of Huawei and ZTE: {HR_RAN_FIXED['CHN']} (judgement, as hr_ran_share)"
        elif free_[k]:
            ran[i], st[i] = min(scale * prior[k], HR_CAP), "estimated"
            ban = f" x {HR_BAN_FACTOR} (5G ban at end-2019)" if banned[k] else ""
            how[i] = (
                f"regional prior {base[k]:.2f}{ban} x {scale:.4f}, the factor that makes the "
                "GDP-weighted mean over the 192 non-China states 0.26 (Dell'Oro 2019 RAN ex-China; priors in "
                "build.py HR_RAN_*)"
            )
    assert not ran.isna().any() and (st != "").all()

    vs = vendor_ref.set_index("market")
    tot = vs.loc["Total telecom equipment (service-provider)"]
    rn = vs.loc["RAN (2G-5G) worldwide revenue"]
    ratio = (leading_number(tot["Huawei"]) + leading_number(tot["ZTE"])) / (
        leading_number(rn["Huawei"]) + leading_number(rn["ZTE"])
    )
    core = (ratio * ran).to_numpy()
    core = np.where(status.eq("BAN").to_numpy(), 0.0, core)
    core = np.where(status.eq("RESTRICTED").to_numpy(), 0.5 * core, core)
    out = pd.DataFrame(
        {
            "hr_ran_share_2019": ran.to_numpy(),
            "hr_core_share_2019": np.clip(core, 0, 1),
            "hr_share_2019_status": st.to_numpy(),
            "hr_share_2019_method": how.to_numpy(),
        },
        index=df.index,
    )
    return out, dict(
        europe_residual=r_eu,
        scale=scale,
        core_ratio=ratio,
        check=check,
        mean_ex_china=mean_ex_cn(scale),
        counts=st.value_counts().to_dict(),
    )


def dp_law_2019(df: pd.DataFrame, laws: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """A comprehensive data-protection law in force at end-2019 where one was enacted by then (year_enacted)."""
    iso = df["iso3"]
    laws = laws[laws["iso3"].isin(set(iso))]  # drops Taiwan, not a UN state
    assert laws["iso3"].is_unique
    t = laws.set_index("iso3")
    year = iso.map(t["year_enacted"])
    has = (year <= DP_LAW_END).to_numpy()
    src = []
    for i, y, h in zip(iso, year, has):
        if i not in t.index:
            src.append(
                f"not in {DPL} (not yet checked there): assumed no law at end-2019 (its README: most probably none by 2023)"
            )
            continue
        r = t.loc[i]
        ref = f"{DPL}: {r['law_name']} ({r['law_type']}; confidence {r['confidence']})"
        if h:
            src.append(f"law enacted {int(y)}; {ref}")
        elif pd.notna(y):
            src.append(f"no law at end-2019: first comprehensive law enacted {int(y)}; {ref}")
        else:
            src.append(f"no law at end-2019: {ref}")
    out = pd.DataFrame(
        {
            "dp_law_2019": has.astype("int64"),
            "dp_law_year": pd.array(np.where(has, year, np.nan), dtype="Int64"),
            "dp_law_2019_source": src,
        },
        index=df.index,
    )
    return out, dict(n_law=int(has.sum()), n_table=len(t), n_missing=int((~iso.isin(t.index)).sum()))


def telecom_capex_2019(df: pd.DataFrame, capex: pd.DataFrame) -> np.ndarray:
    """Yearly mobile-operator capex per state, US$ (2019): the world total split by GDP, China by its own share."""
    c = capex.set_index("series")["value"].astype(float)
    world = c[CAPEX_WORLD_2019] * 1e9
    cn_share = c[CAPEX_CN_SHARE[0]] / c[CAPEX_CN_SHARE[1]]
    is_cn = (df["iso3"] == "CHN").to_numpy()
    gdp = df["gdp_usd"].to_numpy(float)
    out = np.where(is_cn, world * cn_share, world * (1 - cn_share) * gdp / gdp[~is_cn].sum())
    assert np.isclose(out.sum(), world)
    return out


def build_countries(sh: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    src = sh["countries"].copy()
    assert len(src) == 193 and src["iso3"].is_unique
    df = pd.DataFrame(
        {
            "iso3": src["iso3"].astype(str),
            "name": src["name"].astype(str),
            "region": src["region"].astype(str),
            "eu_member": src["eu_member"].astype(int),
            "lat": src["lat"].astype(float),
            "lon": src["lon"].astype(float),
            "population": src["population_2019"].astype("int64"),
            "gdp_usd": src["gdp_usd_2019"].astype(float),
            "rule_of_law": src["wgi_rule_of_law_2019"].astype(float),
            "fh_political_rights": src["fh_political_rights_2019"].astype(float),
            "fh_civil_liberties": src["fh_civil_liberties_2019"].astype(float),
            "fh_status": src["fh_status_2019"],
        }
    )
    assert df["eu_member"].sum() == 27
    imputed: dict[str, list[str]] = {iso: [] for iso in df["iso3"]}
    report: dict = {}

    # --- imputation -------------------------------------------------------------------------------------------
    pc = df["gdp_usd"] / df["population"]
    med_pc = pc.groupby(df["region"]).median()  # NaN skipped
    miss = df["gdp_usd"].isna()
    pc_fill = df.loc[miss, "region"].map(med_pc).astype(float)
    report["gdp_rule_per_capita"] = {i: float(v) for i, v in zip(df.loc[miss, "iso3"], pc_fill)}
    pc_fill = pd.Series(
        [GDP_PC_OVERRIDES[i][0] if i in GDP_PC_OVERRIDES else v for i, v in zip(df.loc[miss, "iso3"], pc_fill)],
        index=pc_fill.index,
    )
    df.loc[miss, "gdp_usd"] = (pc_fill * df.loc[miss, "population"]).round(0)
    report["gdp_imputed"] = {
        r.iso3: (r.region if r.iso3 not in GDP_PC_OVERRIDES else "override", float(v))
        for r, v in zip(df[miss].itertuples(), pc_fill)
    }
    for iso in df.loc[miss, "iso3"]:
        imputed[iso] += ["gdp_usd", "gdp_per_capita"]
    for col in ["rule_of_law", "fh_political_rights", "fh_civil_liberties"]:
        med = df[col].groupby(df["region"]).median()
        miss = df[col].isna()
        if miss.any():
            df.loc[miss, col] = df.loc[miss, "region"].map(med).astype(float)
        report[f"{col}_imputed"] = {r.iso3: (r.region, float(med[r.region])) for r in df[miss].itertuples()}
        for iso in df.loc[miss, "iso3"]:
            imputed[iso].append(col)
    miss = df["fh_status"].isna()
    if miss.any():
        mode = df["fh_status"].groupby(df["region"]).agg(lambda s: sorted(s.dropna().mode())[0])
        df.loc[miss, "fh_status"] = df.loc[miss, "region"].map(mode)
        for iso in df.loc[miss, "iso3"]:
            imputed[iso].append("fh_status")
    assert not df[["gdp_usd", "rule_of_law", "fh_political_rights", "fh_civil_liberties", "fh_status"]].isna().any().any()
    df["gdp_per_capita"] = df["gdp_usd"] / df["population"]

    # --- classification -----------------------------------------------------------------------------------------
    df["paper_region"] = [paper_region(i, r, e) for i, r, e in zip(df["iso3"], df["region"], df["eu_member"])]
    assert set(df["paper_region"]) <= set(PAPER_REGIONS)
    df["kind"] = np.where(df["iso3"].isin(POWERS), "Power", np.where(df["eu_member"] == 1, "MemberState", "ThirdCountry"))
    eu = df["eu_member"] == 1
    eu_isos = df.loc[eu, "iso3"].tolist()
    blocs = bloc_members(eu_isos)
    for isos in blocs.values():
        assert set(isos) <= set(df["iso3"]), isos

    # --- gravity trade shares -----------------------------------------------------------------------------------
    F = gravity_flows(df)
    tot = F.sum(axis=1)
    iso_list = df["iso3"].tolist()
    idx = {iso: k for k, iso in enumerate(iso_list)}
    eu_mask = eu.to_numpy()
    df["trade_share_eu27"] = F[:, eu_mask].sum(axis=1) / tot
    for p in ["USA", "CHN", "JPN"]:
        df[f"trade_share_{p.lower()}"] = F[:, idx[p]] / tot
    extra_eu_tot = F[:, ~eu_mask].sum(axis=1)

    # --- alignment: 2019 UN General Assembly voting and security ties ---------------------------------------
    free = free_index(df["fh_political_rights"], df["fh_civil_liberties"])
    unga_us, unga_cn, report["unga"] = unga_alignment(sh["voting"], iso_list)

    def member(b):  # noqa: E306
        return df["iso3"].isin(blocs[b]).to_numpy().astype(float)

    us_tie = np.maximum.reduce([member("nato"), member("us_treaty_ally"), member("five_eyes"), 0.5 * member("us_mnna")])
    cn_tie = np.maximum(member("sco"), member("csto"))
    df["align_us"] = np.clip(ALIGN_VOTES * unga_us + ALIGN_TIES * us_tie, 0, 1)
    df["align_cn"] = np.clip(ALIGN_VOTES * unga_cn + ALIGN_CN_TIES * cn_tie, 0, 1)
    df.loc[df["iso3"] == "USA", ["align_us", "align_cn"]] = (1.0, 0.0)
    df.loc[df["iso3"] == "CHN", ["align_us", "align_cn"]] = (0.0, 1.0)

    # --- instruments ------------------------------------------------------------------------------------------------
    reg = sh["regimes"]
    adequacy = set(reg.loc[reg["item"] == "GDPR adequacy", "iso3"]) - NON_UN_ADEQUACY
    cbpr = set(reg.loc[reg["item"] == "APEC CBPR participant", "iso3"]) & set(iso_list)  # TWN is not a UN state
    loc_rows = set(reg.loc[reg["item"] == "Data localisation", "iso3"])
    assert set(LOCALISATION_2019) <= loc_rows
    localisation = set(LOCALISATION_2019)
    eea = set(blocs["eea"])
    df["adequacy_2019"] = df["iso3"].isin(adequacy).astype(int)

    # --- data-protection law in force at end-2019 (enacted by 2019) ----------------------------------------------
    laws, report["dp_law"] = dp_law_2019(df, sh["dp_laws"])
    df["dp_law"], df["dp_law_year"], df["dp_law_source"] = laws["dp_law_2019"], laws["dp_law_year"], laws["dp_law_2019_source"]
    must = eu | df["iso3"].isin(eea | {"GBR"} | adequacy)  # the GDPR, the EEA, the UK and adequacy need a law
    assert (df.loc[must, "dp_law"] == 1).all(), sorted(df.loc[must & df["dp_law"].eq(0), "iso3"])

    df["dp_capacity"] = np.clip(0.1 + 0.55 * (df["rule_of_law"] + 2.5) / 5 + 0.25 * df["dp_law"] + 0.1 * free, 0, 1)

    # --- 5G policy ------------------------------------------------------------------------------------------------
    pol = sh["policy"].set_index("iso3")
    assert pol.index.is_unique and set(pol.index) <= set(iso_list)
    status = df["iso3"].map(pol["status_end2019"])
    assert set(status.dropna()) <= set(POLICY_MAP)
    df["policy_5g_2019"] = status.map(POLICY_MAP).fillna("open")
    df["policy_5g_source"] = [
        f"seeds/reference 5g_policy_2019.csv ({pol.loc[i, 'confidence']})"
        if i in pol.index
        else (
            "assumed: home market of Huawei and ZTE, no restriction"
            if i == "CHN"
            else "assumed: no known restriction at end-2019"
        )
        for i in iso_list
    ]
    strict = status.isin(STRICT_STATUSES).to_numpy().astype(float)
    ban = status.isin(["BAN", "BAN_DEFACTO"]).to_numpy().astype(float)
    df["security_culture"] = np.clip(SC_BASE + SC_FREE * free + SC_STRICT * strict + SC_BAN * ban, 0, 1)

    # --- high-risk vendors' installed base: sourced country figures, else estimated (see hr_shares_2019) -------
    hr, report["hr"] = hr_shares_2019(df, sh["ran"], sh["vendors"], status, eu_isos)
    df["hr_ran_share"], df["hr_core_share"] = hr["hr_ran_share_2019"], hr["hr_core_share_2019"]
    df["hr_share_status"], df["hr_share_method"] = hr["hr_share_2019_status"], hr["hr_share_2019_method"]

    # --- data regime ----------------------------------------------------------------------------------------------
    regime, rsrc = [], []
    for r in df.itertuples():
        i = r.iso3
        if i == "JPN":
            regime.append("trust")
            rsrc.append("instrument: APPI + EU mutual adequacy 2019 + DFFT (Osaka Track)")
        elif i == "USA":
            regime.append("open")
            rsrc.append("instrument: APEC CBPR, no federal omnibus privacy law")
        elif r.eu_member == 1:
            regime.append("protect")
            rsrc.append("instrument: GDPR (EU member)")
        elif i in eea:
            regime.append("protect")
            rsrc.append("instrument: GDPR via EEA Agreement")
        elif i == "GBR":
            regime.append("protect")
            rsrc.append("instrument: GDPR (EU member until 31 Jan 2020) + DPA 2018")
        elif i in adequacy:
            regime.append("protect")
            rsrc.append("instrument: EU adequacy decision (data_regimes_2019.csv)")
        elif i in cbpr:
            regime.append("open")
            rsrc.append("instrument: APEC CBPR participant (data_regimes_2019.csv)")
        elif i in localisation:
            regime.append("sovereign")
            rsrc.append("instrument: data-localisation law in force by 2019 (data_regimes_2019.csv)")
        else:
            law = "with a law at end-2019" if r.dp_law == 1 else "without a law at end-2019 (the orientation it would adopt)"
            if r.dp_law == 1:
                reg_ = {"F": "protect", "PF": "trust", "NF": "sovereign"}[r.fh_status]
            else:
                reg_ = "sovereign" if r.fh_status == "NF" else "open"
            regime.append(reg_)
            rsrc.append(f"estimated: {law}, FH status {r.fh_status}")
    df["regime_2019"] = regime
    df["regime_source"] = rsrc
    df["imputed"] = [";".join(imputed[i]) for i in iso_list]

    df["eea"] = df["iso3"].isin(eea).astype("int64")
    df["g20"] = df["iso3"].isin(G20).astype("int64")
    df["telecom_capex_usd_2019"] = telecom_capex_2019(df, sh["capex"])

    # --- the EU as a power -----------------------------------------------------------------------------------------
    m = df[eu]
    wm = m["gdp_usd"]
    euu = {
        "iso3": "EUU",
        "name": "European Union",
        "region": "Europe",
        "paper_region": "Power",
        "kind": "Power",
        "eu_member": 0,
        "population": int(m["population"].sum()),
        "gdp_usd": float(m["gdp_usd"].sum()),
    }
    euu["gdp_per_capita"] = euu["gdp_usd"] / euu["population"]
    for col in [
        "lat",
        "lon",
        "rule_of_law",
        "fh_political_rights",
        "fh_civil_liberties",
        "align_us",
        "align_cn",
        "dp_capacity",
        "security_culture",
        "hr_ran_share",
        "hr_core_share",
    ]:
        euu[col] = wmean(m[col], wm)
    euu["fh_status"] = m.groupby("fh_status")["gdp_usd"].sum().sort_values(ascending=False).index[0]
    euu["trade_share_eu27"] = 0.0
    for p_ in ["USA", "CHN", "JPN"]:
        extra_share = F[eu_mask, idx[p_]] / extra_eu_tot[eu_mask]
        euu[f"trade_share_{p_.lower()}"] = float(np.average(extra_share, weights=wm.to_numpy(float)))
    euu.update(
        dp_law=1,
        adequacy_2019=0,
        policy_5g_2019="open",
        policy_5g_source="assumed: no EU-level restriction at end-2019 (the EU 5G toolbox came in Jan 2020, per the paper)",
        regime_2019="protect",
        regime_source="instrument: GDPR",
        imputed="",
        hr_share_status="estimated",
        hr_share_method="EU27 GDP-weighted mean of the members' values",
        dp_law_year=EU_DP_LAW_YEAR,
        dp_law_source="the EU's own law: Directive 95/46/EC (1995), replaced by the GDPR (Regulation "
        "(EU) 2016/679, enacted 2016, applied from 25 May 2018)",
        eea=0,
        g20=1,
        telecom_capex_usd_2019=float(m["telecom_capex_usd_2019"].sum()),
    )
    df = pd.concat([df, pd.DataFrame([euu])], ignore_index=True)
    df = df.sort_values("iso3").reset_index(drop=True)

    # --- rounding, order ----------------------------------------------------------------------------------------------
    df["gdp_usd"] = df["gdp_usd"].round(0)
    df["gdp_per_capita"] = df["gdp_per_capita"].round(2)
    df["lat"] = df["lat"].round(4)
    df["lon"] = df["lon"].round(4)
    for col in ["rule_of_law", "fh_political_rights", "fh_civil_liberties"]:
        df[col] = df[col].round(4)
    for col in [
        "trade_share_eu27",
        "trade_share_usa",
        "trade_share_chn",
        "trade_share_jpn",
        "align_us",
        "align_cn",
        "dp_capacity",
        "security_culture",
        "hr_ran_share",
        "hr_core_share",
    ]:
        df[col] = df[col].astype(float).round(6)
    df["telecom_capex_usd_2019"] = df["telecom_capex_usd_2019"].astype(float).round(0)
    df["dp_law_year"] = df["dp_law_year"].astype("Int64")
    for col in ["eu_member", "population", "dp_law", "adequacy_2019", "eea", "g20"]:
        df[col] = df[col].astype("int64")
    order = [c for c, *_ in COLUMNS["countries.csv"]]
    df = df[order]

    # --- trade partners (states only) -----------------------------------------------------------------------------
    rows = []
    for k, iso in enumerate(iso_list):
        share = F[k] / tot[k]
        cand = sorted((-share[j], iso_list[j]) for j in range(len(iso_list)) if j != k)[:20]
        rows += [(iso, partner, round(-neg, 6)) for neg, partner in cand]
    tp = pd.DataFrame(rows, columns=["iso3", "partner", "weight"]).sort_values(
        ["iso3", "weight", "partner"], ascending=[True, False, True]
    )
    bl = pd.DataFrame(
        [(b, iso, BLOCS[b][1]) for b, isos in blocs.items() for iso in sorted(isos)], columns=["bloc", "iso3", "source"]
    )

    # --- checks -----------------------------------------------------------------------------------------------------
    assert len(df) == 194 and df["iso3"].is_unique
    assert (df["kind"] == "MemberState").sum() == 27 and (df["kind"] == "Power").sum() == 4
    report["blocs"] = bl
    return df, tp.reset_index(drop=True), report


# ---------------------------------------------------------------------------------------------------------------
# small tables
# ---------------------------------------------------------------------------------------------------------------
def build_vendors() -> pd.DataFrame:
    v = pd.DataFrame(
        VENDORS, columns=["vendor", "origin_iso3", "high_risk", "ran", "core", "price_index", "quality_2019", "reach_2019"]
    )
    v["ran_share_2019"] = v["ran"] / v["ran"].sum()
    v["core_share_2019"] = v["core"] / v["core"].sum()
    src = []
    for r in v.itertuples():
        ran = (
            f"ran: Dell'Oro 2019 worldwide RAN revenue {r.ran}% (seeds/reference vendor_shares_2019.csv)"
            if r.vendor in VENDOR_SOURCED_RAN
            else f"ran: ESTIMATED {r.ran}% (half of the ~2% residual)"
        )
        core = (
            f"core: proxy Dell'Oro 2019 total telecom equipment (SP) {r.core}% (vendor_shares_2019.csv)"
            if r.vendor in VENDOR_SOURCED_CORE
            else f"core: ESTIMATED {r.core}%"
        )
        src.append(
            f"{ran}; {core}; both renormalised to sum 1 over the seven vendors (ran sum {v['ran'].sum()}%, "
            f"core sum {v['core'].sum()}%); price_index ESTIMATED (press reports of Chinese vendors "
            "bidding 20-30% lower; Huawei = 1); quality_2019 ESTIMATED from relative R&D spend 2019; "
            "reach_2019 ESTIMATED global presence"
        )
    v["source"] = src
    return v[[c for c, *_ in COLUMNS["vendors.csv"]]]


def build_small(countries: pd.DataFrame, sh: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    out["regimes.csv"] = pd.DataFrame(REGIMES_TABLE, columns=["regime", "description", "capacity_need", "champion"])
    mat = pd.DataFrame(index=list(POSITIONS), columns=list(POSITIONS), dtype=float)
    for (a, b), val in COMPAT_PAIRS.items():
        mat.loc[a, b] = val
        mat.loc[b, a] = val
    assert not mat.isna().any().any()
    mat.index.name = "regime"
    out["regime_compatibility.csv"] = mat.reset_index()

    reg = sh["regimes"]
    ad = reg[(reg["item"] == "GDPR adequacy") & ~reg["iso3"].isin(NON_UN_ADEQUACY)]
    assert set(ad["iso3"]) <= set(countries["iso3"])
    out["adequacy.csv"] = (
        pd.DataFrame(
            {
                "iso3": ad["iso3"],
                "name": ad["jurisdiction"],
                "decision": ad["instrument"],
                "year": ad["date"].str[:4].astype(int),
                "source": ad["source"],
            }
        )
        .sort_values("iso3")
        .reset_index(drop=True)
    )

    eu_gdp = countries.loc[countries["kind"] == "MemberState", "gdp_usd"].sum()
    rows = []
    for d in DONORS:
        d = list(d)
        if d[0] == "MS":
            d[2] = round(eu_gdp * EU_ODA_GNI_2019 * MS_DIGITAL_SHARE, -6)
        rows.append(d)
    donors = pd.DataFrame(rows, columns=[c for c, *_ in COLUMNS["donors.csv"]])
    assert np.allclose(donors[["share_capacity", "share_fin_inclusion", "share_infrastructure"]].sum(axis=1), 1)
    out["donors.csv"] = donors
    proj = pd.DataFrame(ODA_PROJECTS, columns=[c for c, *_ in COLUMNS["oda_projects_2019.csv"]])
    assert set(proj["iso3"]) <= set(countries["iso3"])
    out["oda_projects_2019.csv"] = proj.sort_values(["donor", "iso3", "year"]).reset_index(drop=True)
    return out


CALIBRATION_YEARS = range(2019, 2024)  # the data-flow record of the calibration: end-2019 to end-2023
ADEQUACY_FRAMEWORK = "EU adequacy decision (Directive 95/46 art 25(6) / GDPR art 45)"
ITIF_SERIES = "itif_countries_with_data_localisation_measures"


def build_calibration_targets(countries: pd.DataFrame, sh: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The 2019-2023 data-flow record the calibration fits (docs/calibration.md), one row per figure.

    Only the data-flow side: the 5G side after 2019 is the out-of-sample check and is not read here."""
    un = countries.loc[countries["kind"] != "Power", "iso3"].tolist() + ["CHN", "JPN", "USA"]
    assert len(un) == 193
    laws = sh["dp_laws"]
    laws = laws[laws["iso3"].isin(un)].set_index("iso3")
    year = pd.Series(un, index=un).map(laws["year_enacted"])
    rows = []
    for y in CALIBRATION_YEARS:
        rows.append(
            (
                "law_count",
                "world",
                y,
                float((year <= y).sum()),
                "states of the 193",
                "fit",
                f"{DPL}: states with year_enacted <= {y} (first comprehensive private-sector law)",
                "medium",
                "counted over the model's 193 UN states; the 29 states not yet checked in the table count as none",
            )
        )
    for iso in sorted(i for i in un if not year[i] <= 2019):
        if iso not in laws.index:
            rows.append(
                (
                    "law_adopted",
                    iso,
                    2023,
                    0.0,
                    "1 adopted / 0 not",
                    "fit",
                    f"not in {DPL} (not yet checked there): assumed no law by end-2023 (its README: most probably none)",
                    "low",
                    "",
                )
            )
            continue
        r = laws.loc[iso]
        conf, _, qualifier = str(r["confidence"]).partition(";")  # e.g. "low; from memory"
        conf, qualifier = conf.strip(), f"confidence {r['confidence']}" if qualifier else ""
        adopted = pd.notna(r["year_enacted"]) and 2020 <= r["year_enacted"] <= 2023
        rows.append(
            (
                "law_adopted",
                iso,
                int(r["year_enacted"]) if adopted else 2023,
                1.0 if adopted else 0.0,
                "1 adopted / 0 not",
                "fit",
                f"{DPL}: {r['law_name']} ({r['law_type']}); {r['source']}",
                conf,
                "; ".join(
                    x
                    for x in (
                        ""
                        if adopted
                        else ("first law enacted after 2023" if pd.notna(r["year_enacted"]) else "no law by end-2023"),
                        qualifier,
                    )
                    if x
                ),
            )
        )
    tr = sh["transfers"]
    ad = tr[(tr["framework"] == ADEQUACY_FRAMEWORK) & tr["event"].str.startswith("granted")]
    ad = ad[ad["date"].str[:4].astype(int).between(2020, 2023)]
    for r in ad.sort_values("iso3").itertuples():
        rows.append(
            (
                "adequacy_granted",
                r.iso3,
                int(r.date[:4]),
                1.0,
                "decision",
                "fit",
                f"seeds/reference adequacy_and_transfer_frameworks.csv: {r.event} {r.date}; {r.source}",
                r.confidence,
                "the US decision is the EU-US Data Privacy Framework" if r.iso3 == "USA" else "",
            )
        )
    counts = sh["dp_counts"]
    for r in counts[counts["series"] == ITIF_SERIES].itertuples():
        rows.append(
            (
                "localisation_countries",
                "world",
                int(r.year),
                float(r.value),
                "countries",
                "compare",
                f"seeds/reference data_protection_law_counts.csv ({ITIF_SERIES}): {r.source}",
                r.confidence,
                "countries with at least one data-localisation measure (any sector); the model has no such count: "
                "compared with its sovereign-oriented laws, not fitted",
            )
        )
    return pd.DataFrame(rows, columns=[c for c, *_ in COLUMNS["calibration_targets.csv"]])


def build_all(reference: Path = DEFAULT_REFERENCE) -> tuple[dict[str, pd.DataFrame], dict]:
    sh = read_reference(reference)
    countries, tp, report = build_countries(sh)
    files = {
        "countries.csv": countries,
        "trade_partners.csv": tp,
        "blocs.csv": report.pop("blocs"),
        "vendors.csv": build_vendors(),
    }
    files.update(build_small(countries, sh))
    files["calibration_targets.csv"] = build_calibration_targets(countries, sh)
    cols = pd.DataFrame(
        [(f, c, u, s, e) for f, rows in COLUMNS.items() for c, u, s, e in rows],
        columns=["file", "column", "unit", "source_or_method", "estimated"],
    )
    files["columns.csv"] = cols
    for fname, frame in files.items():  # provenance must be complete and exact
        declared = [c for c, *_ in COLUMNS[fname]]
        assert list(frame.columns) == declared, (fname, list(frame.columns), declared)
    assert set(files) == set(COLUMNS)
    return files, report


def write_all(files: dict[str, pd.DataFrame], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for fname, frame in files.items():
        frame.to_csv(out / fname, index=False, lineterminator="\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--reference",
        "--shared",
        dest="reference",
        type=Path,
        default=DEFAULT_REFERENCE,
        help="reference data folder (read-only input; default seeds/reference/)",
    )
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: seeds/)")
    a = ap.parse_args(argv)
    files, report = build_all(a.reference)
    write_all(files, a.out)
    u, h, d = report["unga"], report["hr"], report["dp_law"]
    print(f"wrote {len(files)} files to {a.out}")
    print("sub-region-median rule would give (per capita):", {i: round(v, 2) for i, v in report["gdp_rule_per_capita"].items()})
    for k in ["gdp_imputed", "rule_of_law_imputed", "fh_political_rights_imputed", "fh_civil_liberties_imputed"]:
        print(k, {i: (r, round(v, 4)) for i, (r, v) in report[k].items()})
    print(
        f"UNGA alignment: d(USA,CHN) {u['span']}; Spearman with US vote coincidence 2019 "
        f"{u['rho_coincidence']:.3f}; {len(u['beyond_cn'])} states beyond China {u['beyond_cn']}; beyond the US "
        f"{u['beyond_us']}"
    )
    print(
        f"installed high-risk shares: {h['counts']}; Europe residual {h['europe_residual']:.6f}; regional factor "
        f"{h['scale']:.6f}; GDP-weighted ex-China RAN {h['mean_ex_china']:.6f}; core/RAN ratio {h['core_ratio']:.4f}"
    )
    chk = h["check"]
    for i, c in chk.items():
        print(
            f"  check {i}: Strand {c['truth']:.2f}; residual without it {c['residual']:.3f}; operator rule "
            f"{c['operators']:.3f} ({c['n_rows']} of {c['n_mno']} MNOs)"
        )
    partial = [c for c in chk.values() if c["n_rows"] < c["n_mno"]]
    residual = np.mean([abs(c["residual"] - c["truth"]) for c in partial])
    operators = np.mean([abs(c["operators"] - c["truth"]) for c in partial])
    print(
        f"  mean abs error over the {len(partial)} partial cases: residual {residual:.3f}, partial-operator rule {operators:.3f}"
    )
    print(
        f"dp_law: {d['n_law']} of 193 states with a law at end-2019 ({d['n_law'] / 193:.4f}); table rows "
        f"{d['n_table']}, not in the table {d['n_missing']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
