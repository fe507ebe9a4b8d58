"""Load and validate the committed seed tables in ``seeds/``.

Floor 1 of the package: imports only numpy, pandas, the standard library and ``connsim.names``. The model loads its initial data only
from here (never from the shared reference folder); ``seeds/build.py`` documents how the CSVs were made and
``seeds/columns.csv`` gives the provenance of every column.

    >>> s = load_seeds()
    >>> s.countries.loc[s.countries["iso3"] == "JPN", "regime_2019"].item()
    'trust'

Every problem is a :class:`SeedError` naming the file, the 1-based data row (with its iso3 or key where there is
one), the column and what is allowed. No value is ever silently turned into NaN. The returned frames are cached per
directory and shared: treat them as read-only (``.copy()`` before changing them).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from connsim._data import as_path, package_folder
from connsim.names import BLOC_NAMES, DONORS, KINDS, PAPER_REGIONS, POLICIES, POSITIONS, POWERS, PROGRAMS, REGIMES

__all__ = [
    "SEEDS_DIR",
    "SeedError",
    "Seeds",
    "load_seeds",
    "REGIMES",
    "POLICIES",
    "PROGRAMS",
    "POWERS",
    "KINDS",
    "SCHEMAS",
    "FILES",
    "seeds_dir",
]


def seeds_dir() -> Traversable:
    """The folder of the seed tables: the package data ``connsim._seeds`` (the repository's ``seeds/``).

    A :class:`pathlib.Path` in a wheel, an editable install and a source checkout (see ``connsim/_data.py``).
    """
    return package_folder("connsim._seeds", "seeds")


#: The seed tables' folder as a path, found once at import (kept for code that joins or globs it).
SEEDS_DIR = as_path(seeds_dir())


class SeedError(ValueError):
    """A seed file is missing or malformed. The message names file, row and column."""


@dataclass(frozen=True)
class Col:
    """Schema of one column. ``kind``: 'str' | 'int' | 'float'. ``iso3``: value must be a countries.csv code."""

    kind: str = "str"
    required: bool = True
    lo: float | None = None
    hi: float | None = None
    allowed: tuple | None = None
    iso3: bool = False

    def describe(self) -> str:
        if self.allowed is not None:
            return "allowed " + ", ".join(map(str, self.allowed))
        if self.lo is not None or self.hi is not None:
            lo = "-inf" if self.lo is None else _fmt(self.lo)
            hi = "inf" if self.hi is None else _fmt(self.hi)
            return f"allowed {lo}..{hi}"
        if self.iso3:
            return "allowed: an iso3 code of countries.csv"
        return f"allowed: any {'text' if self.kind == 'str' else 'number'}"


def _fmt(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


S = Col
SHARE = Col("float", lo=0.0, hi=1.0)
UNIT = SHARE
BIN = Col("int", lo=0, hi=1)
ISO = Col("str", iso3=True)

# file -> (key column used in messages or None, {column: Col})
SCHEMAS: dict[str, tuple[str | None, dict[str, Col]]] = {
    "countries.csv": (
        "iso3",
        {
            "iso3": Col("str"),
            "name": S(),
            "region": S(),
            "paper_region": Col(allowed=PAPER_REGIONS),
            "kind": Col(allowed=KINDS),
            "eu_member": BIN,
            "lat": Col("float", lo=-90, hi=90),
            "lon": Col("float", lo=-180, hi=180),
            # upper bounds far above any real state (world GDP 2019: 8.8e13 US$, population 7.7e9) keep every
            # sum and product of the model finite
            "population": Col("int", lo=1, hi=1e10),
            "gdp_usd": Col("float", lo=1.0, hi=1e15),
            "gdp_per_capita": Col("float", lo=0.0, hi=1e7),
            "rule_of_law": Col("float", lo=-3.0, hi=3.0),
            "fh_political_rights": Col("float", lo=1, hi=7),
            "fh_civil_liberties": Col("float", lo=1, hi=7),
            "fh_status": Col(allowed=("F", "PF", "NF")),
            "trade_share_eu27": SHARE,
            "trade_share_usa": SHARE,
            "trade_share_chn": SHARE,
            "trade_share_jpn": SHARE,
            "align_us": UNIT,
            "align_cn": UNIT,
            "dp_law": BIN,
            "dp_law_source": S(),
            "dp_capacity": UNIT,
            "security_culture": UNIT,
            "hr_ran_share": SHARE,
            "hr_core_share": SHARE,
            "policy_5g_2019": Col(allowed=POLICIES),
            "policy_5g_source": S(),
            "regime_2019": Col(allowed=REGIMES),
            "regime_source": S(),
            "adequacy_2019": BIN,
            "imputed": Col(required=False),
            "hr_share_status": Col(allowed=("sourced", "derived", "estimated")),
            "hr_share_method": S(),
            "dp_law_year": Col("float", required=False, lo=1900, hi=2019),
            "eea": BIN,
            "g20": BIN,
            "telecom_capex_usd_2019": Col("float", lo=0.0),
        },
    ),
    "trade_partners.csv": ("iso3", {"iso3": ISO, "partner": ISO, "weight": Col("float", lo=0.0, hi=1.0)}),
    "blocs.csv": ("iso3", {"bloc": Col(allowed=BLOC_NAMES), "iso3": ISO, "source": S()}),
    "vendors.csv": (
        "vendor",
        {
            "vendor": S(),
            "origin_iso3": ISO,
            "high_risk": BIN,
            "ran_share_2019": SHARE,
            "core_share_2019": SHARE,
            "price_index": Col("float", lo=0.1, hi=10.0),
            "quality_2019": UNIT,
            "reach_2019": UNIT,
            "source": S(),
        },
    ),
    "regimes.csv": (
        "regime",
        {"regime": Col(allowed=REGIMES), "description": S(), "capacity_need": UNIT, "champion": Col(allowed=POWERS, iso3=True)},
    ),
    "regime_compatibility.csv": ("regime", {"regime": Col(allowed=POSITIONS), **{r: UNIT for r in POSITIONS}}),
    "adequacy.csv": ("iso3", {"iso3": ISO, "name": S(), "decision": S(), "year": Col("int", lo=1995, hi=2019), "source": S()}),
    "donors.csv": (
        "donor",
        {
            "donor": Col(allowed=DONORS),
            "kind": Col(allowed=("Power", "MemberStates")),
            "digital_oda_usd_2019": Col("float", lo=0.0, hi=1e12),
            "staffing": UNIT,
            "share_capacity": UNIT,
            "share_fin_inclusion": UNIT,
            "share_infrastructure": UNIT,
            "speed": UNIT,
            "conditionality": UNIT,
            "source": S(),
        },
    ),
    "oda_projects_2019.csv": (
        "iso3",
        {
            "donor": Col(allowed=DONORS),
            "iso3": ISO,
            "program": Col(allowed=PROGRAMS),
            "year": Col("int", lo=2000, hi=2019),
            "amount_usd": Col("float", lo=0.0, hi=1e12),
            "source": S(),
        },
    ),
    # the 2019-2023 data-flow record the calibration fits (connsim.calibration; not read by the model)
    "calibration_targets.csv": (
        "key",
        {
            "pattern": Col(allowed=("law_count", "law_adopted", "adequacy_granted", "localisation_countries")),
            "key": S(),
            "year": Col("int", lo=2017, hi=2023),
            "value": Col("float", lo=0.0, hi=193.0),
            "unit": S(),
            "use": Col(allowed=("fit", "compare")),
            "source": S(),
            "confidence": Col(allowed=("high", "medium", "low")),
            "note": Col(required=False),
        },
    ),
    "columns.csv": (
        "column",
        {
            "file": S(),
            "column": S(),
            "unit": Col(required=False),
            "source_or_method": S(),
            "estimated": Col(allowed=("yes", "no", "partly")),
        },
    ),
}
FILES = tuple(SCHEMAS)
# unique keys per file
UNIQUE: dict[str, tuple[str, ...]] = {
    "countries.csv": ("iso3",),
    "trade_partners.csv": ("iso3", "partner"),
    "blocs.csv": ("bloc", "iso3"),
    "vendors.csv": ("vendor",),
    "regimes.csv": ("regime",),
    "regime_compatibility.csv": ("regime",),
    "adequacy.csv": ("iso3",),
    "donors.csv": ("donor",),
    "oda_projects_2019.csv": ("donor", "iso3", "program"),
    "calibration_targets.csv": ("pattern", "key", "year"),
    "columns.csv": ("file", "column"),
}


@dataclass(frozen=True)
class Seeds:
    """All seed tables, validated. DataFrames have a RangeIndex except ``compatibility`` (indexed by regime)."""

    countries: pd.DataFrame
    trade_partners: pd.DataFrame
    blocs: pd.DataFrame
    vendors: pd.DataFrame
    regimes: pd.DataFrame
    compatibility: pd.DataFrame
    compatibility_matrix: np.ndarray
    adequacy: pd.DataFrame
    donors: pd.DataFrame
    oda_projects: pd.DataFrame
    calibration_targets: pd.DataFrame
    columns: pd.DataFrame
    directory: Path


# ---------------------------------------------------------------------------------------------------------------
class _File:
    """Helper that formats error messages for one file."""

    def __init__(self, directory: Path, fname: str, key: str | None, frame: pd.DataFrame | None = None):
        self.label = f"{directory.name}/{fname}"
        self.key = key
        self.frame = frame

    def where(self, pos: int | str | None = None, column: str | None = None) -> str:
        parts = [self.label]
        if isinstance(pos, str):  # e.g. "header row"
            parts.append(pos)
        elif pos is not None:
            row = f"row {pos + 1}"
            if self.frame is not None and self.key in self.frame.columns:
                k = self.frame[self.key].iloc[pos]
                if isinstance(k, str) and k:
                    row += f" ({k})"
            parts.append(row)
        if column is not None:
            parts.append(f"column '{column}'")
        return ", ".join(parts)

    def error(self, msg: str, pos: int | str | None = None, column: str | None = None) -> SeedError:
        return SeedError(f"{self.where(pos, column)}: {msg}")


def _read(directory: Path, fname: str) -> pd.DataFrame:
    key, schema = SCHEMAS[fname]
    path = directory / fname
    f = _File(directory, fname, key)
    if not path.is_file():
        raise f.error(f"file is missing (expected at {path})")
    _check_fields(path, f)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except Exception as exc:  # pragma: no cover - parse errors are rare but must be named
        raise f.error(f"cannot be parsed as CSV: {exc}") from exc
    f.frame = raw
    missing = [c for c in schema if c not in raw.columns]
    if missing:
        raise f.error(f"missing column(s) {missing}; expected columns {list(schema)}", "header row", missing[0])
    extra = [c for c in raw.columns if c not in schema]
    if extra:
        raise f.error(f"unexpected column(s) {extra}; expected columns {list(schema)}", "header row", extra[0])
    if raw.empty:
        raise f.error("has no data rows")

    out: dict[str, Any] = {}
    for col, spec in schema.items():
        s = raw[col].str.strip()
        empty = s.eq("")
        if spec.required and empty.any():
            pos = int(np.flatnonzero(empty.to_numpy())[0])
            raise f.error(f"empty value; {spec.describe()}", pos, col)
        if spec.kind == "str":
            if spec.allowed is not None:
                bad = ~s.isin(spec.allowed) & ~empty
                if bad.any():
                    pos = int(np.flatnonzero(bad.to_numpy())[0])
                    raise f.error(f"value {s.iloc[pos]!r} is not allowed; {spec.describe()}", pos, col)
            out[col] = s
            continue
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & ~empty
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise f.error(f"value {s.iloc[pos]!r} is not a number; {spec.describe()}", pos, col)
        vals = num.to_numpy(dtype=float)
        if not np.isfinite(vals[~empty.to_numpy()]).all():
            pos = int(np.flatnonzero(~np.isfinite(vals) & ~empty.to_numpy())[0])
            raise f.error(f"value {s.iloc[pos]!r} is not finite; {spec.describe()}", pos, col)
        if spec.kind == "int":
            frac = ~empty.to_numpy() & (vals != np.round(vals))
            if frac.any():
                pos = int(np.flatnonzero(frac)[0])
                raise f.error(f"value {s.iloc[pos]!r} is not an integer; {spec.describe()}", pos, col)
        lo = -np.inf if spec.lo is None else spec.lo
        hi = np.inf if spec.hi is None else spec.hi
        oor = ~empty.to_numpy() & ((vals < lo) | (vals > hi))
        if oor.any():
            pos = int(np.flatnonzero(oor)[0])
            raise f.error(f"value {s.iloc[pos]} is out of range; {spec.describe()}", pos, col)
        if spec.allowed is not None:
            bad = ~empty.to_numpy() & ~np.isin(vals, np.asarray(spec.allowed, dtype=float))
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise f.error(f"value {s.iloc[pos]} is not allowed; {spec.describe()}", pos, col)
        out[col] = pd.Series(vals.astype("int64") if spec.kind == "int" else vals, index=raw.index)
    frame = pd.DataFrame(out)

    dup = frame.duplicated(list(UNIQUE[fname]), keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        keys = ", ".join(f"{k}={frame[k].iloc[pos]}" for k in UNIQUE[fname])
        raise f.error(f"duplicate entry ({keys}); each must appear once", pos, UNIQUE[fname][-1])
    return frame


def _check_fields(path: Path, f: _File) -> None:
    """Every data row has one field per header column; a ragged row is named by its 1-based data
    row (blank lines do not count, as for every other message) and the column where it goes wrong."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None:
                raise f.error("is empty; expected a header row and data rows")
            key = header.index(f.key) if f.key in header else None
            n = 0
            for record in rows:
                if not record:  # a blank line
                    continue
                n += 1
                if len(record) == len(header):
                    continue
                name = record[key] if key is not None and key < len(record) and record[key] else None
                row = f"{f.label}, row {n}" + (f" ({name})" if name else "")
                if len(record) < len(header):
                    raise SeedError(
                        f"{row}, column '{header[len(record)]}': missing field; the row has {len(record)} "
                        f"fields and the header {len(header)}; allowed one field per column"
                    )
                raise SeedError(
                    f"{row}, field {len(header) + 1} (after column '{header[-1]}'): extra field; the row has "
                    f"{len(record)} fields and the header {len(header)}; allowed one field per column"
                )
    except UnicodeDecodeError as e:
        raise f.error(f"is not UTF-8 text (byte {e.start}); allowed a UTF-8 CSV file") from None
    except csv.Error as e:
        raise f.error(f"cannot be parsed as CSV: {e}") from None


def _check_iso(directory: Path, fname: str, frame: pd.DataFrame, known: set[str]) -> None:
    key, schema = SCHEMAS[fname]
    f = _File(directory, fname, key, frame)
    for col, spec in schema.items():
        if not spec.iso3:
            continue
        bad = ~frame[col].isin(known)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise f.error(f"unknown ISO3 code {frame[col].iloc[pos]!r}; allowed: an iso3 code of countries.csv", pos, col)


def _check_countries(directory: Path, c: pd.DataFrame) -> None:
    f = _File(directory, "countries.csv", "iso3", c)
    bad = ~c["iso3"].str.fullmatch(r"[A-Z]{3}")
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise f.error(f"value {c['iso3'].iloc[pos]!r} is not an ISO3 code; allowed three capital letters", pos, "iso3")
    for p in POWERS:
        if not (c["iso3"] == p).any():
            raise f.error(f"power {p} is missing; the four powers {POWERS} must each have a row", column="iso3")
    is_power = c["iso3"].isin(POWERS).to_numpy()
    expected = np.where(is_power, "Power", np.where(c["eu_member"].to_numpy() == 1, "MemberState", "ThirdCountry"))
    wrong = c["kind"].to_numpy() != expected
    if wrong.any():
        pos = int(np.flatnonzero(wrong)[0])
        raise f.error(
            f"value {c['kind'].iloc[pos]!r} is inconsistent with eu_member={c['eu_member'].iloc[pos]}; "
            f"allowed {expected[pos]!r} (Power for {', '.join(POWERS)}, MemberState iff eu_member 1)",
            pos,
            "kind",
        )
    n_ms = int((c["kind"] == "MemberState").sum())
    if n_ms != 27:
        raise f.error(f"{n_ms} MemberState rows; allowed exactly 27 (eu_member 1)", column="kind")
    share_sum = c[["trade_share_eu27", "trade_share_usa", "trade_share_chn", "trade_share_jpn"]].sum(axis=1)
    over = (share_sum > 1 + 1e-9).to_numpy()
    if over.any():
        pos = int(np.flatnonzero(over)[0])
        raise f.error(f"trade shares sum to {share_sum.iloc[pos]:.6f}; allowed at most 1", pos, "trade_share_jpn")
    sorted_ok = c["iso3"].is_monotonic_increasing
    if not sorted_ok:
        pos = int(np.flatnonzero((c["iso3"] < c["iso3"].shift(1)).to_numpy())[0])
        raise f.error("rows are not sorted by iso3; allowed: ascending iso3 order", pos, "iso3")
    law = c["dp_law"].to_numpy() == 1
    year_given = c["dp_law_year"].notna().to_numpy()
    if (law != year_given).any():
        pos = int(np.flatnonzero(law != year_given)[0])
        raise f.error(
            f"dp_law_year {'is empty' if law[pos] else 'is given'} but dp_law is "
            f"{int(law[pos])}; allowed a year exactly where dp_law is 1",
            pos,
            "dp_law_year",
        )
    imp = c["imputed"]
    cols = set(SCHEMAS["countries.csv"][1])
    for pos, v in enumerate(imp):
        for tok in filter(None, v.split(";")):
            if tok not in cols:
                raise f.error(
                    f"value {v!r} names unknown column {tok!r}; allowed ';'-separated countries.csv column names", pos, "imputed"
                )


def _check_compat(directory: Path, cm: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    f = _File(directory, "regime_compatibility.csv", "regime", cm)
    if list(cm["regime"]) != list(POSITIONS):
        raise f.error(
            f"rows are {list(cm['regime'])}; the matrix must be square with rows in order {list(POSITIONS)}", column="regime"
        )
    m = cm[list(POSITIONS)].to_numpy(dtype=float)
    for i in range(len(POSITIONS)):
        for j in range(i + 1, len(POSITIONS)):
            if abs(m[i, j] - m[j, i]) > 1e-12:
                raise f.error(
                    f"value {_fmt(m[i, j])} differs from row {j + 1} ({POSITIONS[j]}), column "
                    f"'{POSITIONS[i]}' = {_fmt(m[j, i])}; the matrix must be symmetric",
                    i,
                    POSITIONS[j],
                )
    m.setflags(write=False)
    return cm.set_index("regime"), m


def _check_sums(directory: Path, fname: str, frame: pd.DataFrame, cols: list[str], key: str) -> None:
    f = _File(directory, fname, key, frame)
    for col in cols:
        tot = float(frame[col].sum())
        if abs(tot - 1.0) > 1e-6:
            raise f.error(f"column sums to {tot:.9f}; allowed 1 (+-1e-6)", pos=len(frame) - 1, column=col)


def _check_vendor_risk(directory: Path, v: pd.DataFrame) -> None:
    """The rules need both kinds of vendor: high-risk ones for a restriction to mean anything, and
    trusted ones for a state that bans high-risk vendors to buy from."""
    f = _File(directory, "vendors.csv", "vendor", v)
    n_high = int(v["high_risk"].sum())
    if n_high == 0:
        raise f.error(
            "no vendor is high-risk; allowed at least one row with high_risk 1 (Huawei, ZTE) and one with 0", column="high_risk"
        )
    if n_high == len(v):
        raise f.error(
            "every vendor is high-risk; allowed at least one row with high_risk 0 (a trusted vendor, which a "
            "state banning high-risk vendors buys from) and one with 1",
            column="high_risk",
        )


def _check_columns(directory: Path, frames: dict[str, pd.DataFrame], columns: pd.DataFrame) -> None:
    f = _File(directory, "columns.csv", "column", columns)
    declared = set(zip(columns["file"], columns["column"]))
    for fname in FILES:
        for col in SCHEMAS[fname][1]:
            if (fname, col) not in declared:
                raise f.error(
                    f"no provenance row for {fname} column '{col}'; every column of every seeds file must be described",
                    column="column",
                )
    unknown = [(a, b) for a, b in zip(columns["file"], columns["column"]) if a not in SCHEMAS or b not in SCHEMAS[a][1]]
    if unknown:
        pos = list(zip(columns["file"], columns["column"])).index(unknown[0])
        raise f.error(f"describes {unknown[0][0]} column '{unknown[0][1]}', which does not exist", pos, "column")


def _load(directory: Path) -> Seeds:
    if not directory.is_dir():
        raise SeedError(f"{directory}: seeds directory does not exist")
    frames = {fname: _read(directory, fname) for fname in FILES}
    countries = frames["countries.csv"]
    _check_countries(directory, countries)
    known = set(countries["iso3"])
    for fname in FILES:
        if fname != "countries.csv":
            _check_iso(directory, fname, frames[fname], known)
    compat, matrix = _check_compat(directory, frames["regime_compatibility.csv"])
    _check_sums(directory, "vendors.csv", frames["vendors.csv"], ["ran_share_2019", "core_share_2019"], "vendor")
    _check_vendor_risk(directory, frames["vendors.csv"])
    d = frames["donors.csv"]
    mix = d[["share_capacity", "share_fin_inclusion", "share_infrastructure"]].sum(axis=1)
    if ((mix - 1).abs() > 1e-6).any():
        pos = int(np.flatnonzero(((mix - 1).abs() > 1e-6).to_numpy())[0])
        raise _File(directory, "donors.csv", "donor", d).error(
            f"programme shares sum to {mix.iloc[pos]:.6f}; allowed 1 (+-1e-6)", pos, "share_infrastructure"
        )
    reg = frames["regimes.csv"]
    if set(reg["regime"]) != set(REGIMES):
        raise _File(directory, "regimes.csv", "regime", reg).error(
            f"regimes are {sorted(reg['regime'])}; allowed exactly {list(REGIMES)}", column="regime"
        )
    _check_columns(directory, frames, frames["columns.csv"])
    return Seeds(
        countries=countries,
        trade_partners=frames["trade_partners.csv"],
        blocs=frames["blocs.csv"],
        vendors=frames["vendors.csv"],
        regimes=reg,
        compatibility=compat,
        compatibility_matrix=matrix,
        adequacy=frames["adequacy.csv"],
        donors=d,
        oda_projects=frames["oda_projects_2019.csv"],
        calibration_targets=frames["calibration_targets.csv"],
        columns=frames["columns.csv"],
        directory=directory,
    )


@functools.lru_cache(maxsize=8)
def _load_cached(resolved: str) -> Seeds:
    return _load(Path(resolved))


def load_seeds(directory: str | Path | None = None) -> Seeds:
    """Load and validate the seed tables (default: :func:`seeds_dir`, the shipped ``seeds/``). Cached per resolved
    directory."""
    path = Path(SEEDS_DIR) if directory is None else Path(directory)
    return _load_cached(str(path.resolve()))
