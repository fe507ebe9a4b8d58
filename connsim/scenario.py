"""Scenarios: the paper's stories as validated, immutable data.

A scenario is a TOML file in ``scenarios/`` (or anywhere), read with ``tomllib`` and validated
into a frozen :class:`Scenario`. It may ``extends`` another (a library name or a path relative
to the file): the child's keys replace the parent's, except that the tables ``weights``,
``oda_budget_scale`` and ``oda_staffing`` merge key by key and ``events`` add up. Every lever
has a unit, a range, a default and a meaning (``connsim show``). A lever that may change over
time takes a number or a schedule ``{ 2019 = 0.5, 2023 = 0.9 }`` (a ramp), interpolated
linearly between the years given and held constant outside them.

A wrong scenario is refused before any run with one :class:`ScenarioError` naming the file, the
key path and what is allowed, all problems of the file at once (the first
:data:`MAX_PROBLEMS_SHOWN`, then a count). Values are checked strictly: a string or a boolean
where a number is expected is refused, not converted. Every way of making a :class:`Scenario`
validates: loading, :meth:`Scenario.replace`, :meth:`Scenario.model_copy`, ``Scenario(...)``
itself, and :func:`validate_scenario` (which :func:`load_scenario`, and so every run, applies to
a Scenario it is given, ``Scenario.model_construct`` included).

Limits on what a file may ask for (each refused with a message): a scenario file is at most
:data:`MAX_FILE_BYTES` (1 MiB), a chain of ``extends`` at most :data:`MAX_EXTENDS_DEPTH` links,
``extends`` names only ``.toml`` files, and the world's size times its steps is at most
:data:`MAX_STATE_STEPS` (the memory a run records grows with both).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import stat
import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types as atypes
import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from connsim._data import as_path, package_folder
from connsim.names import COOPERATION_LEVELS, DONORS, EVENT_KINDS, POLICIES, REGIMES
from connsim.seeds import SeedError, load_seeds
from connsim.weights import Weights

__all__ = [
    "Scenario",
    "Event",
    "ScenarioError",
    "load_scenario",
    "list_scenarios",
    "schedule_at",
    "parameter_table",
    "load_parent",
    "SCENARIOS_DIR",
    "DONORS",
    "LEVERS",
    "library_dir",
    "with_parameters",
    "validate_scenario",
    "MAX_FILE_BYTES",
    "MAX_EXTENDS_DEPTH",
    "MAX_PROBLEMS_SHOWN",
    "MAX_SYNTHETIC",
    "MAX_STATE_STEPS",
]


def library_dir() -> Traversable:
    """The folder of the scenario library: the package data ``connsim._scenarios`` (the repository's ``scenarios/``).

    A :class:`pathlib.Path` in a wheel, an editable install and a source checkout (see ``connsim/_data.py``).
    """
    return package_folder("connsim._scenarios", "scenarios")


#: The library's folder as a path, found once at import (kept for code that joins or globs it).
SCENARIOS_DIR = as_path(library_dir())
#: Tables that merge key by key under ``extends`` and :meth:`Scenario.replace`.
MERGED_TABLES = ("weights", "oda_budget_scale", "oda_staffing", "powers")

#: Largest scenario file read (bytes), for the file itself and every file of its ``extends`` chain.
MAX_FILE_BYTES = 1 << 20
#: Longest chain of ``extends`` (links: a file extending one that extends none is one link).
MAX_EXTENDS_DEPTH = 32
#: Problems listed in a :class:`ScenarioError`; the others are counted.
MAX_PROBLEMS_SHOWN = 20
#: Most synthetic third countries a scenario may add.
MAX_SYNTHETIC = 50_000
#: Most states x recorded steps (steps + 1) in a run. A run that records every state (the default)
#: peaks at about 0.37 MB per 1,000 state-steps, ``connsim run`` with its frames, plot and files at
#: about 0.56 MB (``benchmarks/memory.py``): this limit is about 1.4 GB above the interpreter's
#: 0.2 GB (1.5 GB measured for 50,000 synthetic states), and the 12-year quarterly horizon
#: (49 recorded steps) holds 193 + 50,000 states.
MAX_STATE_STEPS = 2_500_000


class ScenarioError(ValueError):
    """A scenario that cannot be run. ``problems`` lists each as 'key.path: what is allowed'.

    Only the first :data:`MAX_PROBLEMS_SHOWN` problems are kept and shown; ``more`` counts the
    others (one per key path beyond them)."""

    def __init__(self, source: str, problems: list[str], more: int = 0):
        self.source = str(source)
        problems = list(problems)
        self.problems = problems[:MAX_PROBLEMS_SHOWN]
        self.more = int(more) + len(problems) - len(self.problems)
        total = len(self.problems) + self.more
        lines = [f"{self.source}: {total} problem{'s' if total != 1 else ''}"]
        lines += [f"  - {p}" for p in self.problems]
        if self.more:
            lines.append(f"  ... and {self.more} more")
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return (type(self), (self.source, self.problems, self.more))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _custom(message: str) -> PydanticCustomError:
    # the message goes through the context so that braces in it are not read as a template
    return PydanticCustomError("connsim", "{message}", {"message": message})


# --- schedules: a number, or {year: value} -----------------------------------------------------

_NUMBER, _SCHEDULE = "<number>", "<schedule>"


def _year_or_none(key: Any) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.strip().isdigit() and len(key.strip()) <= 6:
        return int(key)
    return None


def _year_key(key: Any) -> int:
    year = _year_or_none(key)
    if year is None:
        raise _custom(f"{_short(key)} is not a year; a schedule maps years to values, e.g. {{2019 = 0.5, 2023 = 0.9}}")
    return year


def _unique_years(value):
    """Refuse a schedule that gives one year twice (``2019``, ``"02019"`` and ``" 2019"`` are one year)."""
    if isinstance(value, dict):
        keys: dict[int, list] = {}
        for key in value:
            year = _year_or_none(key)
            if year is not None:
                keys.setdefault(year, []).append(key)
        for year, given in keys.items():
            if len(given) > 1:
                raise _custom(
                    f"year {year} is given {len(given)} times ({', '.join(_short(k, 12) for k in given)}); "
                    "allowed each year once in a schedule"
                )
    return value


def _sorted_schedule(value):
    return dict(sorted(value.items())) if isinstance(value, dict) else value


class Range:
    """Metadata of a schedule lever: the range of its values (read by ``connsim show``)."""

    def __init__(self, lo: float, hi: float, lo_open: bool = False):
        self.lo, self.hi, self.lo_open = lo, hi, lo_open

    def __repr__(self):
        return f"Range({self.lo}, {self.hi})"

    @property
    def text(self) -> str:
        return f"{'above ' if self.lo_open else ''}{_fmt(self.lo)}..{_fmt(self.hi)}"


def _schedule(lo: float, hi: float):
    """A lever that may change over time: a number in lo..hi, or {year = value} with such values."""
    value = Annotated[float, atypes.Ge(lo), atypes.Le(hi)]
    table = Annotated[dict[Annotated[int, BeforeValidator(_year_key)], value], atypes.MinLen(1), BeforeValidator(_unique_years)]
    return Annotated[
        Annotated[value, Tag(_NUMBER)] | Annotated[table, Tag(_SCHEDULE)],
        Discriminator(lambda v: _SCHEDULE if isinstance(v, dict) else _NUMBER),
        AfterValidator(_sorted_schedule),
        Range(lo, hi),
    ]


Schedule01 = _schedule(0.0, 1.0)
Schedule02 = _schedule(0.0, 2.0)
Schedule05 = _schedule(0.0, 0.5)
Scale = _schedule(0.0, 10.0)
Donor = Literal["EUU", "MS", "JPN", "USA", "CHN"]


def schedule_at(value: float | dict[int, float], year):
    """Value of a lever in a (fractional) year: linear between scheduled years, flat outside.

    ``year`` may be an array of years; the answer is then an array of values."""
    if np.ndim(year):
        year = np.asarray(year, dtype=float)
        if not isinstance(value, dict):
            return np.full(year.shape, float(value))
        return np.interp(year, np.fromiter(value.keys(), float), np.fromiter(value.values(), float))
    if not isinstance(value, dict):
        return float(value)
    years = np.fromiter(value.keys(), float)
    return float(np.interp(year, years, np.fromiter(value.values(), float)))


def _field(default, meaning: str, unit: str = "", allowed: str | None = None, **bounds):
    extra = {"unit": unit}
    if allowed:
        extra["allowed"] = allowed
    return Field(default, description=meaning, json_schema_extra=extra, **bounds)


class Event(BaseModel):
    """A timed event: a policy imposed on a named state, or a shock to the conflict.

    ``kind``: ``vendor_policy`` (value one of open / core_excluded / banned), ``regime``
    (protect / trust / open / sovereign), ``adequacy`` (true / false) on ``iso3``; or
    ``conflict_shock`` (value added to US-China conflict intensity, clipped to 0..1). The event
    applies at the first step on or after ``year`` (2022.5 = mid-2022) and, for imposed
    policies, holds for ``hold_years`` (default: to the end of the run).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, revalidate_instances="always")

    year: float = _field(
        ...,
        "when the event happens (fractional years allowed)",
        "year",
        allowed="a year within the scenario's horizon, e.g. 2022 or 2022.5",
    )
    kind: Literal["vendor_policy", "regime", "adequacy", "conflict_shock"] = _field(..., "what happens")
    iso3: str | None = _field(None, "the state the event concerns", allowed="an ISO3 code of seeds/countries.csv, e.g. 'KEN'")
    value: str | float | bool = _field(
        ...,
        "the policy, regime, adequacy or shock imposed",
        allowed=f"for vendor_policy one of {', '.join(POLICIES)}; for regime one of {', '.join(REGIMES)}; "
        "for adequacy true or false; for conflict_shock a number in -1..1",
    )
    hold_years: float | None = _field(
        None,
        "years the imposed choice holds (default: to the end)",
        "years",
        allowed="a number of years above 0 (leave it out: to the end of the run)",
        gt=0,
    )

    @field_validator("iso3")
    @classmethod
    def _upper(cls, v):
        return v.upper() if isinstance(v, str) else v


def _decision_year(key: Any) -> int:
    year = _year_or_none(key)
    if year is None:
        raise _custom(f"{_short(key)} is not a year; allowed a table of years, each with the power's decisions of that year")
    return year


#: Allowed for a replay table (``[powers.EUU.decisions.2021]``), in messages.
_REPLAY_ALLOWED = "a table [powers.<power>.decisions.<year>] of {lever = value} for each year replayed"


class PowerSpec(BaseModel):
    """How a power takes its yearly decisions (``[powers.CHN] strategy = "adaptive"``).

    ``scripted``: it follows the scenario's levers and schedules; ``adaptive``: the model's
    utility-based response to what it observes (:mod:`connsim.decisions.powers`); ``replay``: the
    decisions of ``decisions``, a table year -> {lever: value} (``[powers.EUU.decisions.2021]``
    with ``eu_toolbox_strength = 0.8``...), as a saved classroom session writes it; a year not
    in it keeps the decisions in force. A person or a script plays a power through
    ``connsim.run(..., strategies={"EUU": f})``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    strategy: Literal["scripted", "adaptive", "replay"] = _field(
        "scripted", "how the power decides: scripted, adaptive, or replay (its decisions table)"
    )
    decisions: dict[Annotated[int, BeforeValidator(_decision_year)], dict[str, str | float]] = _field(
        {},
        "year -> {lever: value}: the power's decisions replayed (strategy replay only)",
        allowed=_REPLAY_ALLOWED,
    )


class Scenario(BaseModel):
    """A complete, validated scenario. Immutable: use :meth:`replace` for a changed copy.

    ``Scenario(...)`` validates its fields and, like every loaded scenario, its world: events
    name known states and fall within the horizon, ``end_year`` is not before ``start_year``,
    the world fits :data:`MAX_STATE_STEPS` and the seed tables are valid (a pydantic
    ``ValidationError`` otherwise; :func:`load_scenario` raises :class:`ScenarioError`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, revalidate_instances="always")

    name: str = _field("unnamed", "short name (default: the file name)")
    description: str = _field("", "the story, and which claim of the paper it explores")
    extends: str | None = _field(None, "library name or path of the scenario this one builds on")
    # --- time --------------------------------------------------------------------------------
    start_year: int = _field(2019, "first year; step 0 is its first quarter", "year", ge=2019, le=2100)
    end_year: int = _field(2030, "last year simulated (inclusive)", "year", ge=2019, le=2200)
    steps_per_year: int = _field(4, "model steps per year (4 = quarterly)", "steps", ge=1, le=12)
    # --- levers ------------------------------------------------------------------------------
    us_china_conflict: Schedule01 = _field(0.5, "intensity of the US-China trade-tech conflict", "0..1")
    us_pressure: Schedule01 = _field(
        0.5, "US pressure on partners to exclude high-risk vendors and adopt open data flows", "0..1"
    )
    eu_japan_cooperation: Literal["none", "bilateral", "beyond_bilateral"] = _field(
        "bilateral",
        "depth of EU-Japan cooperation: none, bilateral (the 2019 partnership), beyond_bilateral (multilateral settings and third countries); also sets 5G information sharing",
    )
    eu_toolbox_strength: Schedule01 = _field(
        0.3, "strength of the EU 5G toolbox pulling member states toward a common norm", "0..1"
    )
    japan_vendor_push: Schedule01 = _field(0.2, "Japan's push to make NEC and Fujitsu global players (6G, Open RAN)", "0..1")
    digital_silk_road_intensity: Schedule02 = _field(1.0, "multiplier on China's Digital Silk Road finance and pull", "x2019")
    adequacy_openness: float = _field(
        0.0158,  # calibrated (connsim/calibration.toml)
        "yearly probability that the EU grants adequacy to a candidate whose other terms sum to zero (the EU's openness)",
        "per year",
        ge=0,
        le=1,
    )
    us_data_framework: Schedule01 = _field(
        0.0,
        "a US framework of commitments on access to personal data (the 2023 Data Privacy Framework kind): "
        "from 0.5 in force, it makes the US eligible for an EU adequacy decision",
        "0..1",
    )
    us_export_controls: Schedule01 = _field(
        0.0, "US export controls on high-risk vendors' supplies, beyond what the conflict brings", "0..1"
    )
    hr_price_discount: Schedule05 = _field(0.0, "China's price cut on Huawei and ZTE equipment (a share of their price)", "share")
    china_retaliation: Schedule01 = _field(
        0.5,
        "China's readiness to answer restrictions of high-risk vendors with trade measures against the restricting "
        "state; its acts are readiness times the conflict's intensity",
        "0..1",
    )
    dfft_multilateral_push: Schedule01 = _field(0.3, "Japan's Data Free Flow with Trust push in the G20 and WTO", "0..1")
    eu_jp_oda_coordination: Schedule01 = _field(
        0.2, "EU-Japan coordination of digital ODA (JICA-EIB kind): pooling, no double targeting", "0..1"
    )
    open_connected_ring: Schedule01 = _field(
        0.0, "focus of EU and Japanese ODA on the Open and Connected Ring around Europe", "0..1"
    )
    india_trilateral: bool = _field(False, "EU/Japan financial-inclusion programs run with Indian partners")
    oda_budget_scale: dict[Donor, Scale] = _field(
        {},
        "donor -> multiplier on its 2019 digital-ODA budget (donors: EUU MS JPN USA CHN)",
        "x2019",
        allowed=f"a table {{donor = scale}}, donors {', '.join(DONORS)}, each scale a number in 0..10 or a schedule {{year = scale}}",
    )
    oda_staffing: dict[Donor, Annotated[float, atypes.Gt(0), atypes.Le(1)]] = _field(
        {},
        "donor -> staffing level of its digital ODA, replacing the seed value",
        "0..1",
        allowed=f"a table {{donor = staffing}}, donors {', '.join(DONORS)}, each staffing a number above 0 up to 1",
    )
    powers: dict[Literal["EUU", "JPN", "USA", "CHN"], PowerSpec] = _field(
        {},
        "power -> how it takes its yearly decisions (the powers not named follow the scenario: scripted)",
        allowed='tables [powers.EUU], [powers.JPN], [powers.USA], [powers.CHN], each with strategy = "scripted", '
        '"adaptive" or "replay" (with its decisions table [powers.<power>.decisions.<year>])',
    )
    # --- behaviour ---------------------------------------------------------------------------
    beta_power: float = _field(10.0, "rationality of the powers' adaptive decisions (logit beta)", "1/utility", ge=0, le=100)
    beta_policy: float = _field(4.0, "rationality of 5G security-policy choices (logit beta)", "1/utility", ge=0, le=100)
    beta_regime: float = _field(1.33, "rationality of data-regime choices (logit beta), calibrated", "1/utility", ge=0, le=100)
    beta_oda: float = _field(3.0, "rationality of recipients choosing among ODA offers", "1/utility", ge=0, le=100)
    revision_probability: float = _field(
        0.154, "probability that a state revises a decision within a year (policy inertia), calibrated", "per year", ge=0, le=1
    )
    weights: Weights = _field(
        Weights(),
        "coefficients of the decision rules (see connsim.weights)",
        allowed="a table [weights] of the coefficients in connsim.weights",
    )
    # --- events and scale --------------------------------------------------------------------
    events: tuple[Event, ...] = _field(
        (), "timed events", allowed="an array of tables [[events]], each with year, kind, iso3, value and optionally hold_years"
    )
    synthetic_third_countries: int = _field(
        0,
        "third countries added, drawn from the real ones, to scale the world (a run recording every state, "
        "as connsim run does, needs about 18 MB of memory per 1,000 states over the 12-year quarterly horizon, "
        "27 MB with its frames and files)",
        "states",
        ge=0,
        le=MAX_SYNTHETIC,
        allowed=f"a whole number in 0..{MAX_SYNTHETIC:,}, and (193 + it) x (steps + 1) at most {MAX_STATE_STEPS:,}",
    )

    #: set once this instance has passed validation (``model_construct`` leaves it False)
    _validated: bool = PrivateAttr(default=False)

    @field_validator("events", mode="before")
    @classmethod
    def _events_as_tuple(cls, v):
        return tuple(v) if isinstance(v, list) else v

    @model_validator(mode="after")
    def _check_world_of_instance(self, info: ValidationInfo):
        """The checks across fields and against the seeds, for a Scenario made directly
        (``Scenario(...)``, ``Scenario.model_validate``); loading runs them on the raw data."""
        if not (isinstance(info.context, dict) and info.context.get(_WORLD_CHECKED)):
            problems = _check_world({k: getattr(self, k) for k in _WORLD_KEYS})
            if problems:
                raise _custom(str(ScenarioError(self.name, problems)))
        self._validated = True  # (_validate raises if the raw data's world checks fail)
        return self

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Scenario:
        """A copy; with ``update`` a validated one (each value given replaces the old one whole,
        tables included; see :meth:`replace` to merge tables). Raises :class:`ScenarioError`."""
        if not update:
            return super().model_copy(deep=deep)
        data = {k: getattr(self, k) for k in type(self).model_fields}
        data.update(update)
        return _validate(data, f"{self.name} (model_copy)")

    # --- derived -----------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """Steps from the first quarter of ``start_year`` through the end of ``end_year``."""
        return (self.end_year - self.start_year + 1) * self.steps_per_year

    @property
    def dt(self) -> float:
        """Length of a step in years."""
        return 1.0 / self.steps_per_year

    @property
    def last_step_year(self) -> float:
        """Calendar time at the start of the last step: the latest year an event can apply."""
        return float(self.year_of(self.n_steps - 1))

    def year_of(self, step: int | np.ndarray):
        """Calendar time at the start of a step (2019.25 = 2019Q2)."""
        return self.start_year + np.asarray(step) / self.steps_per_year

    def at(self, lever: str, year: float) -> float:
        """Value of a (possibly scheduled) lever in a year."""
        return schedule_at(getattr(self, lever), year)

    @property
    def cooperation_level(self) -> float:
        """EU-Japan cooperation as a number: none 0, bilateral 0.5, beyond_bilateral 1."""
        return COOPERATION_LEVELS.index(self.eu_japan_cooperation) / 2

    def replace(self, **changes: Any) -> Scenario:
        """A validated copy with ``changes``.

        A lever given a schedule replaces the old value entirely:
        ``replace(us_china_conflict={2019: 0.5, 2022: 1.0})``. The tables ``weights``,
        ``oda_budget_scale`` and ``oda_staffing`` merge key by key: ``replace(weights={"w_peer": 0.3})``
        changes one weight. ``events`` replaces the events. Raises :class:`ScenarioError`.
        """
        data = _merge(self.model_dump(), changes, concat_events=False)
        return _validate(data, f"{self.name} (replace)")

    def _repr_html_(self) -> str:
        """Jupyter's view: name, years, the levers changed from the baseline, the events."""
        from connsim._html import scenario_html

        return scenario_html(self)

    def course(self):
        """The scenario's course: each power's levers in force at every step, as a table.

        What scripted powers keep (adaptive and person-played powers depart from it during a run:
        ``RunResult.power_vars`` records what they chose). Schedules are interpolated and the
        conflict includes the shocks of events so far.

        Returns
        -------
        pandas.DataFrame, (n_steps, ...): ``step``, ``year``, ``us_china_conflict`` and each lever
        of :data:`connsim.decisions.powers.POWER_LEVERS` by its name (``oda_budget_scale.EUU``);
        ``eu_japan_cooperation`` as a number (none 0, bilateral 0.5, beyond_bilateral 1);
        ``oda_staffing.<donor>`` only where the scenario sets it.
        """
        import pandas as pd

        from connsim.decisions.powers import POWER_LEVERS
        from connsim.dynamics import lever_table

        table = lever_table(self)
        names = list(dict.fromkeys(k for levers in POWER_LEVERS.values() for k in levers))
        columns: dict[str, Any] = {
            "step": np.arange(len(table)),
            "year": [lv.year for lv in table],
            "us_china_conflict": [lv.us_china_conflict for lv in table],
        }
        for name in names:
            if name == "eu_japan_cooperation":
                columns[name] = [lv.cooperation for lv in table]
            elif name.startswith(("oda_budget_scale.", "oda_staffing.")):
                kind, donor = name.split(".")
                if kind == "oda_budget_scale":
                    columns[name] = [float(lv.oda_scale[DONORS.index(donor)]) for lv in table]
                elif donor in self.oda_staffing:
                    columns[name] = float(self.oda_staffing[donor])
            else:
                columns[name] = [float(getattr(lv, name)) for lv in table]
        return pd.DataFrame(columns)

    def plot(self, levers=None, reference: str | Scenario | None = "baseline"):
        """The scenario's levers over time against ``reference`` (:func:`connsim.plots.levers`).

        ``levers``: the levers to draw (default: those whose course differs from the reference's,
        or the main levers if none does); ``reference``: a scenario (name, path or Scenario) drawn
        dashed, or None. Returns a matplotlib Figure, one panel per lever."""
        from connsim.plots import levers as draw

        ref = None if reference is None else load_scenario(reference)
        if ref is not None and ref == self:
            ref = None  # the reference itself: nothing to compare with
        return draw(
            self.course(),
            reference=None if ref is None else ref.course(),
            levers=levers,
            title=f"Scenario {self.name}: levers in force",
            reference_label=None if ref is None else f"{ref.name} (reference)",
        )


LEVERS = (
    "us_china_conflict",
    "us_pressure",
    "eu_japan_cooperation",
    "eu_toolbox_strength",
    "japan_vendor_push",
    "digital_silk_road_intensity",
    "adequacy_openness",
    "dfft_multilateral_push",
    "eu_jp_oda_coordination",
    "open_connected_ring",
    "india_trilateral",
    "oda_budget_scale",
    "oda_staffing",
    "us_data_framework",
    "us_export_controls",
    "hr_price_discount",
    "china_retaliation",
)
#: How each power takes its yearly decisions (``[powers.CHN] strategy = "adaptive"``).
POWER_KEYS = ("powers",)
TIME_KEYS = ("start_year", "end_year", "steps_per_year")
BEHAVIOUR_KEYS = ("beta_policy", "beta_regime", "beta_oda", "beta_power", "revision_probability", "synthetic_third_countries")


# --- what is allowed where (for messages and ``connsim show``) -------------------------------------


def _range_of(info) -> Range | None:
    for m in info.metadata:
        if isinstance(m, Range):
            return m
    lo = hi = None
    lo_open = False
    for m in info.metadata:
        if isinstance(m, atypes.Ge):
            lo = m.ge
        elif isinstance(m, atypes.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, atypes.Le):
            hi = m.le
    return Range(lo, hi, lo_open) if lo is not None and hi is not None else None


def _schedule_range(info) -> Range | None:
    """The value range of a schedule lever (None for other fields)."""
    meta = getattr(info, "metadata", ())
    return next((m for m in meta if isinstance(m, Range)), None)


def allowed_text(owner: type[BaseModel], name: str, short: bool = False) -> str:
    """What a field of ``owner`` accepts, in words (``short``: in a few, for tables)."""
    info = owner.model_fields[name]
    extra = info.json_schema_extra or {}
    sched = _schedule_range(info)
    rng = _range_of(info)
    ann = info.annotation
    args = getattr(ann, "__args__", ())
    if short:
        if name in ("oda_budget_scale", "oda_staffing"):
            inner = "0..10 or {year = scale}" if name == "oda_budget_scale" else "above 0..1"
            return f"{{donor = {inner}}}"
        if sched is not None:
            return f"{sched.text} or {{year = value}}"
        if getattr(ann, "__origin__", None) is Literal:
            return " | ".join(args)
        if ann is bool:
            return "true | false"
        if rng is not None:
            return rng.text
    if isinstance(extra, dict) and extra.get("allowed"):
        return str(extra["allowed"])
    if sched is not None:
        return (
            f"a number in {sched.text}, or a schedule {{year = value}} such as {{2019 = 0.5, 2023 = 0.9}} "
            f"with values in {sched.text}"
        )
    if getattr(ann, "__origin__", None) is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if ann is bool:
        return "true or false"
    if ann is int:
        return f"an integer in {rng.text}" if rng else "an integer"
    if ann is float:
        return f"a number in {rng.text}" if rng else "a number"
    if ann is str or ann == (str | None):
        return "a string"
    return str(ann)


def _owner_and_field(loc: list[str]) -> tuple[type[BaseModel] | None, str | None, list[str]]:
    """The model and field a (cleaned) key path points into, and the parts after the field."""
    if not loc:
        return None, None, []
    if loc[0] == "weights" and len(loc) > 1:
        return Weights, loc[1], loc[2:]
    if loc[0] == "events" and len(loc) > 2:
        return Event, loc[2], loc[3:]
    if loc[0] == "powers" and len(loc) > 2:
        return PowerSpec, loc[2], loc[3:]
    return Scenario, loc[0], loc[1:]


def _allowed_at(loc: list[str]) -> str:
    owner, name, rest = _owner_and_field(loc)
    if owner is None or name not in owner.model_fields:
        return "see connsim show baseline"
    if owner is PowerSpec and name == "decisions" and rest:
        return (
            "for a year a table {lever = value} of the power's decisions, each a number in its range "
            '(eu_japan_cooperation one of none, bilateral, beyond_bilateral; a donor\'s lever quoted: "oda_budget_scale.EUU" = 1.5)'
            if len(rest) == 1
            else "a number in the decision's range, or for eu_japan_cooperation one of none, bilateral, beyond_bilateral "
            '(a donor\'s lever quoted: "oda_budget_scale.EUU" = 1.5)'
        )
    if owner is Scenario and rest:
        info = Scenario.model_fields[name]
        if name == "events":
            return "a table with year, kind, iso3, value and optionally hold_years"
        if name == "oda_budget_scale":
            return "a scale in 0..10 or a schedule {year = scale}" if len(rest) == 1 else "a number in 0..10"
        if name == "oda_staffing":
            return "a number above 0 up to 1"
        sched = _schedule_range(info)
        if sched is not None:
            return f"a number in {sched.text}"
    return allowed_text(owner, name)


def _clean_loc(loc, data, missing: bool = False) -> list[str]:
    """The key path of an error: the parts of pydantic's ``loc`` that are keys or indices of the
    data, without the tags pydantic adds for union branches (``<schedule>``, ``str``...). A part
    not found in the data is such a tag, except the last part of a 'missing' error."""
    out, node = [], data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "[key]" and last:
            out.append(part)
        elif isinstance(node, dict) and part in node:
            out.append(str(part))
            node = node[part]
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
            out.append(str(part))
            node = node[part]
        elif isinstance(node, BaseModel) and isinstance(part, str) and part in type(node).model_fields:
            out.append(part)  # a model instance given as a value (Scenario(weights=Weights(...)))
            node = getattr(node, part)
        elif last and missing:
            out.append(str(part))
    return out


def _hint(word: str, options) -> str:
    hint = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"did you mean {hint[0]!r}? " if hint else ""


def _describe(error: dict, data: Any = None, listed: set | None = None) -> str:
    """One problem in words. ``listed``: the tables whose allowed keys a message has listed
    already (a file with many unknown keys lists them once)."""
    try:
        return _describe_unsafe(error, data, set() if listed is None else listed)
    except Exception:  # a message must never fail: fall back to pydantic's own words
        return f"{'.'.join(str(p) for p in error.get('loc', ())) or '(top level)'}: {error.get('msg', 'invalid')}"


def _describe_unsafe(error: dict, data: Any, listed: set) -> str:
    loc = _clean_loc(error["loc"], data, missing=error["type"] == "missing")
    etype = error["type"]
    if loc and loc[-1] == "[key]":  # a bad key of a table (an unknown donor, a year that is not one)
        loc = loc[:-1]
        key = ".".join(loc)
        if etype == "connsim":
            return f"{key}: {error['ctx']['message']}"
        table = loc[-2] if len(loc) >= 2 else ""
        if table in ("oda_budget_scale", "oda_staffing"):
            return f"{key}: unknown donor; {_hint(loc[-1], DONORS)}allowed donors {', '.join(DONORS)}"
        return f"{key}: not an allowed key; allowed {_allowed_at(loc[:-1])}"
    key = ".".join(loc) or "(top level)"
    if etype == "extra_forbidden":
        owner, name, _ = _owner_and_field(loc)
        options = list(owner.model_fields) if owner is not None else []
        hint = _hint(loc[-1], options)
        where = {Weights: "weights", Event: "an event", Scenario: "a scenario", PowerSpec: "a power"}.get(owner, "this table")
        if hint:
            allowed = hint.rstrip() + f" (see connsim show for the keys of {where})"
        elif where in listed:
            allowed = f"allowed keys of {where}: as listed above"
        else:
            listed.add(where)
            allowed = f"allowed keys of {where}: {', '.join(options)}"
        return f"{key}: unknown key; {allowed}"
    if etype == "missing":
        return f"{key}: required key is missing; allowed {_allowed_at(loc)}"
    if etype == "connsim":
        return f"{key}: {error['ctx']['message']}"
    if etype == "model_type" or etype == "model_attributes_type":
        return f"{key}: got {_short(error.get('input'))}; allowed {_allowed_at(loc)}"
    got = error.get("input")
    extra = ""
    if etype == "literal_error" and isinstance(got, str):
        owner, name, _ = _owner_and_field(loc)
        info = owner.model_fields.get(name) if owner is not None else None
        if info is not None:
            extra = _hint(got, getattr(info.annotation, "__args__", ()))
    if etype in ("value_error", "assertion_error"):
        return f"{key}: {error['msg'].removeprefix('Value error, ')} (got {_short(got)}); allowed {_allowed_at(loc)}"
    return f"{key}: got {_short(got)}; {extra}allowed {_allowed_at(loc)}"


# --- loading -----------------------------------------------------------------------------------


def list_scenarios(directory: str | Path | None = None) -> dict[str, str]:
    """Library scenarios in ``directory`` (default :func:`library_dir`): name -> first line of description.

    Only regular files ``NAME.toml`` count (a folder named ``x.toml`` is not a scenario)."""
    out = {}
    folder = Path(directory) if directory else Path(SCENARIOS_DIR)
    if not folder.is_dir():
        return out
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name):
        if not _is_file(path):
            continue
        try:
            desc = str(_read_data(path).get("description", ""))
        except ScenarioError:
            desc = "(unreadable)"
        out[path.name.removesuffix(".toml")] = desc.strip().splitlines()[0] if desc.strip() else ""
    return out


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


#: What a scenario reference may name: a TOML file, or the ``scenario.json`` that ``connsim run`` writes.
SCENARIO_SUFFIXES = (".toml", ".json")


def _resolve(ref: str | Path, relative_to: Path | None, extends: bool = False) -> Path:
    """The file a library name or a path names. ``extends``: only ``.toml`` files (a library
    name is ``scenarios/NAME.toml``); otherwise ``.json`` too. Nothing else is opened."""
    ref = str(ref)
    suffixes = (".toml",) if extends else SCENARIO_SUFFIXES
    allowed = "the path of a .toml file or a library name (connsim list)"
    if not extends:
        allowed = "the path of a .toml file (or of a scenario.json written by connsim run) or a library name (connsim list)"
    if Path(ref).suffix or "/" in ref or "\\" in ref or ref.startswith((".", "~")):
        p = Path(ref).expanduser() if ref.startswith("~") else Path(ref)
        candidate = p if p.is_absolute() or relative_to is None else relative_to / p
        if candidate.suffix.lower() not in suffixes:
            return _missing(ref, f"{candidate} is not a {' or '.join(suffixes)} file; allowed {allowed}")
        if _is_file(candidate):
            return candidate.resolve()
        return _missing(ref, f"no scenario file {candidate}; allowed {allowed}")
    candidate = Path(SCENARIOS_DIR) / f"{ref}.toml"
    if _is_file(candidate):
        return candidate.resolve()
    library = list(list_scenarios())
    return _missing(
        ref,
        f"not a library scenario; {_hint(ref, library)}library scenarios: {', '.join(library) or '(none)'} "
        "(or give the path of a .toml file)",
    )


def _missing(ref: str, problem: str):
    raise ScenarioError(ref, [problem])


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`, read without ever
    reading more (a huge, sparse or endless file is refused, a FIFO is not waited on)."""

    def refuse(problem: str):
        raise ScenarioError(str(path), [problem])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError) as e:
        refuse(f"cannot read the file: {getattr(e, 'strerror', None) or e}")
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            refuse("not a regular file; allowed a scenario file (.toml)")
        limit = f"allowed a scenario file of at most {MAX_FILE_BYTES:,} bytes (1 MiB)"
        if info.st_size > MAX_FILE_BYTES:
            refuse(f"the file is {info.st_size:,} bytes; {limit}")
        try:
            raw = f.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            refuse(f"cannot read the file: {e.strerror or e}")
    if len(raw) > MAX_FILE_BYTES:
        refuse(f"the file is larger than {MAX_FILE_BYTES:,} bytes; {limit}")
    return raw


_BOM = b"\xef\xbb\xbf"


def _read_data(path: Path) -> dict:
    """The raw table of a scenario file: TOML, or JSON for a ``.json`` file (a UTF-8 byte-order
    mark at the start is skipped). Every failure is a :class:`ScenarioError`."""
    raw = _read_bytes(path)
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(str(path), [f"not a text file (byte {e.start} is not UTF-8); allowed a UTF-8 TOML file"]) from None
    if path.suffix.lower() == ".json":
        return _read_json(path, text)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), [f"TOML syntax error: {e}; allowed TOML (https://toml.io)"]) from None
    except RecursionError:
        raise ScenarioError(str(path), ["TOML nested too deeply to read"]) from None


def _read_json(path: Path, text: str) -> dict:
    def unique(pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"key {k!r} given twice")
            out[k] = v
        return out

    try:
        data = json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as e:
        raise ScenarioError(
            str(path),
            [
                f"JSON syntax error: {e.msg} (at line {e.lineno}, column {e.colno}); "
                "allowed a JSON object such as connsim run writes to scenario.json"
            ],
        ) from None
    except ValueError as e:
        raise ScenarioError(str(path), [f"JSON: {e}; allowed each key once"]) from None
    except RecursionError:
        raise ScenarioError(str(path), ["JSON nested too deeply to read"]) from None
    if not isinstance(data, dict):
        raise ScenarioError(str(path), [f"got a JSON {type(data).__name__}; allowed a JSON object of scenario keys"])
    return data


def _merge(base: dict, child: dict, concat_events: bool = True) -> dict:
    """``child`` over ``base``: keys replace, ``MERGED_TABLES`` merge key by key, events add up."""
    out = dict(base)
    for key, value in child.items():
        if key == "events" and concat_events:
            out[key] = list(base.get(key, ())) + list(value if isinstance(value, (list, tuple)) else [value])
        elif key in MERGED_TABLES and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _raw(path: Path, chain: tuple[Path, ...]) -> dict:
    """The merged raw data of ``path`` and its ``extends`` chain; each parent is validated itself."""
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(
            str(chain[0]), [f"extends: cycle {cycle}; allowed a chain of extends that ends in a scenario extending none"]
        )
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            str(chain[0]),
            [
                f"extends: a chain of more than {MAX_EXTENDS_DEPTH} links ({chain[0].name} -> "
                f"{chain[1].name} -> ... -> {path.name}); allowed at most {MAX_EXTENDS_DEPTH} "
                "scenarios extending one another"
            ],
        )
    data = _read_data(path)
    data.setdefault("name", path.stem)
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(
            str(path),
            [f"extends: got {_short(parent)}; allowed a library name such as 'baseline' or a path relative to this file"],
        )
    try:
        parent_path = _resolve(parent, path.parent, extends=True)
    except ScenarioError as e:
        raise ScenarioError(str(path), [f"extends: {p}" for p in e.problems]) from None
    base = _raw(parent_path, (*chain, path))
    _validate(base, f"{parent_path} (extended by {path.name})")  # a parent must be valid on its own
    base.pop("description", None)
    return _merge(base, data)


def _plain(value):
    """Numpy scalars and arrays as plain Python values (Python users pass them to replace)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {(_plain(k) if isinstance(k, np.generic) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


#: Validation context telling Scenario that the raw data's world checks are done by :func:`_validate`.
_WORLD_CHECKED = "connsim_world_checked"
_WORLD_KEYS = ("start_year", "end_year", "steps_per_year", "events", "synthetic_third_countries", "powers")


def _validate(data: dict, source: str) -> Scenario:
    """A Scenario from raw data, or one :class:`ScenarioError` with every problem: the field
    errors (described for the first :data:`MAX_PROBLEMS_SHOWN` key paths, the rest counted)
    and the world checks."""
    data = _plain(data)
    problems: list[str] = []
    more = 0
    scenario = None
    try:
        scenario = Scenario.model_validate(data, strict=True, context={_WORLD_CHECKED: True})
    except ValidationError as e:
        by_key: dict[tuple, list[dict]] = {}  # one key path may fail several branches of a union
        for err in e.errors(include_url=False):
            loc = _clean_loc(err["loc"], data, missing=err["type"] == "missing")
            by_key.setdefault(tuple(loc[:-1] if loc and loc[-1] == "[key]" else loc), []).append(err)
        listed: set = set()
        for n, errors in enumerate(by_key.values()):
            if n == MAX_PROBLEMS_SHOWN:
                more = len(by_key) - n
                break
            texts: list[str] = []
            for err in errors:
                text = _describe(err, data, listed)
                if text not in texts:
                    texts.append(text)
            if len(texts) > 1 and all(": got " in t for t in texts):  # one value failing every branch of a union
                texts = texts[:1]
            problems += texts
    problems += _check_world(data)
    if problems or more:
        raise ScenarioError(source, problems, more)
    return scenario


def _int_or(value, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _year_text(x: float) -> str:
    """A year for a message, exact: 2030.75, or 2031 - 1/3 where a decimal would be rounded."""
    text = f"{x:.6g}"
    if float(text) == x:
        return text
    whole = math.ceil(x)
    k = round(1 / (whole - x)) if whole > x else 0
    return f"{whole} - 1/{k}" if k and abs(whole - 1 / k - x) < 1e-9 else repr(x)


def _check_world(data: dict) -> list[str]:
    """Checks that need the seeds or several fields at once, on the raw data (so that they are
    reported together with type errors); values of a wrong type are left to pydantic.

    The seed tables are loaded (and so validated) every time. An event must name a state whose
    choice it can set: a power's 5G policy and data-flow regime are not choices of the model,
    and a member state's regime is the EU's (nor is adequacy a question inside the EU); and it
    must fall on or before the start of the last step, since an event applies at the first
    step on or after its year."""
    problems = []
    defaults = Scenario.model_fields
    start = _int_or(data.get("start_year"), defaults["start_year"].default)
    end = _int_or(data.get("end_year"), defaults["end_year"].default)
    per_year = _int_or(data.get("steps_per_year"), defaults["steps_per_year"].default)
    if end < start:
        problems.append(f"end_year: {end} is before start_year {start}; allowed a year from {start}")
    try:
        countries = load_seeds().countries
    except SeedError as e:  # a broken seed folder is reported, not raised as a traceback
        return problems + [f"(seeds) {e}"]
    kinds = dict(zip(countries["iso3"], countries["kind"]))
    kinds.pop("EUU", None)
    synthetic = _int_or(data.get("synthetic_third_countries"), 0)
    if 0 <= synthetic <= MAX_SYNTHETIC and end >= start and 1 <= per_year <= 12:
        states, recorded = len(kinds) + synthetic, (end - start + 1) * per_year + 1
        if states * recorded > MAX_STATE_STEPS:
            problems.append(
                f"synthetic_third_countries: {states:,} states over {recorded:,} recorded steps are "
                f"{states * recorded:,} state-steps; allowed at most {MAX_STATE_STEPS:,} (about 1.4 GB of memory "
                "for connsim run): fewer synthetic states, or a shorter horizon or coarser steps"
            )
    problems += _check_replays(data.get("powers"), start, end)
    events = data.get("events", ())
    if not isinstance(events, (list, tuple)) or not events:
        return problems
    known = set(kinds)
    last = start + ((end - start + 1) * per_year - 1) / per_year if 1 <= per_year <= 12 else float(end)
    allowed_values = {"vendor_policy": POLICIES, "regime": REGIMES}
    for i, ev in enumerate(events):
        if isinstance(ev, Event):
            ev = ev.model_dump()
        if not isinstance(ev, dict):
            continue
        where = f"events.{i}"
        year, kind, iso3, value = ev.get("year"), ev.get("kind"), ev.get("iso3"), ev.get("value")
        if isinstance(year, (int, float)) and not isinstance(year, bool) and not start <= year <= last + 1e-9:
            window = (
                f"allowed {start} to {_year_text(last)}, the start of the last step (an event applies at the first "
                f"step on or after its year; the scenario runs from {start} through {end})"
            )
            if start <= year < end + 1:
                problems.append(
                    f"{where}.year: {_short(year)} is after the start of the last step, so it would never apply; {window}"
                )
            else:
                problems.append(f"{where}.year: {_short(year)} is outside the horizon; {window}")
        if kind not in EVENT_KINDS:
            continue
        if kind == "conflict_shock":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not -1 <= value <= 1:
                problems.append(f"{where}.value: got {_short(value)}; allowed for a conflict shock a number in -1..1")
            elif isinstance(value, (str, bool)):
                problems.append(f"{where}.value: got {_short(value)}; allowed for a conflict shock a number in -1..1")
            continue
        if iso3 is None:
            problems.append(f"{where}.iso3: required for a {kind} event; allowed an ISO3 code of seeds/countries.csv, e.g. 'KEN'")
        elif isinstance(iso3, str) and iso3.upper() not in known:
            problems.append(
                f"{where}.iso3: unknown state {iso3!r}; {_hint(iso3.upper(), sorted(known))}"
                "allowed an ISO3 code of a state in seeds/countries.csv (not EUU)"
            )
        elif isinstance(iso3, str):
            problem = _event_target_problem(kind, iso3.upper(), kinds[iso3.upper()])
            if problem:
                problems.append(f"{where}.iso3: {problem}")
        if kind == "adequacy":
            if not isinstance(value, bool) and value is not None:
                problems.append(f"{where}.value: got {_short(value)}; allowed for an adequacy event true or false")
        elif isinstance(value, (str, int, float)) and value not in allowed_values[kind]:
            problems.append(
                f"{where}.value: got {_short(value)}; {_hint(value, allowed_values[kind])}"
                f"allowed for a {kind} event one of {', '.join(allowed_values[kind])}"
            )
    return problems


def _check_replays(table: Any, start: int, end: int) -> list[str]:
    """The replay tables of ``[powers]``: a replay has decisions, only a replay has them, each year
    within the horizon, each decision one of the power's own (``POWER_LEVERS``) within its range
    (:func:`connsim.decisions.powers.decision_problem`). Values of a wrong type are left to pydantic
    where it refuses them (a list, a table)."""
    from connsim.decisions.powers import decision_problem

    problems: list[str] = []
    if not isinstance(table, dict):
        return problems
    for power, spec in table.items():
        if isinstance(spec, PowerSpec):
            spec = spec.model_dump()
        if power not in ("EUU", "JPN", "USA", "CHN") or not isinstance(spec, dict):
            continue
        where = f"powers.{power}"
        strategy, decisions = spec.get("strategy", "scripted"), spec.get("decisions")
        if strategy == "replay" and not decisions:
            problems.append(f"{where}.decisions: required (and not empty) for strategy replay; allowed {_REPLAY_ALLOWED}")
        elif decisions and strategy != "replay" and isinstance(strategy, str):
            problems.append(
                f'{where}.decisions: a decisions table is replayed only with strategy = "replay" (got strategy '
                f'{strategy!r}); allowed strategy = "replay", or no decisions table'
            )
        if not isinstance(decisions, dict):
            continue
        for key, chosen in decisions.items():
            year = _year_or_none(key)
            if year is None:
                continue  # pydantic's message: not a year
            if not start <= year <= end:
                problems.append(
                    f"{where}.decisions.{key}: {year} is outside the horizon; allowed a year from {start} to {end} "
                    "(the powers decide at the first step of each year)"
                )
            if not isinstance(chosen, dict):
                continue
            for lever, value in chosen.items():
                if isinstance(value, (dict, list, tuple, bool)) or value is None:
                    continue  # pydantic's message: a number or a string
                problem = decision_problem(power, str(lever), value)
                if problem:
                    problems.append(f"{where}.decisions.{key}.{lever}: {problem}")
    return problems


def _event_target_problem(kind: str, iso3: str, state_kind: str) -> str | None:
    """Why an event of ``kind`` cannot apply to a state of ``state_kind`` (None if it can)."""
    if state_kind == "Power" and kind in ("vendor_policy", "regime"):
        what = "5G security policy" if kind == "vendor_policy" else "data-flow regime"
        who = "a member state or a third country" if kind == "vendor_policy" else "a third country"
        return (
            f"{iso3} is a power: the powers hold their {what} for the whole run (a scenario setting, not a choice "
            f"of the model), so an event cannot impose one; allowed for a {kind} event {who}"
        )
    if state_kind == "MemberState" and kind == "regime":
        return f"{iso3} is an EU member state: its data-flow regime is the EU's; allowed for a regime event a third country"
    if state_kind == "MemberState" and kind == "adequacy":
        return (
            f"{iso3} is an EU member state: adequacy is the EU's decision on a state outside it; "
            "allowed for an adequacy event a third country or a power"
        )
    return None


def validate_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` itself if it is valid, however it was made (``Scenario.model_construct``
    included: every field is checked again); raises :class:`ScenarioError` otherwise.

    :func:`load_scenario`, and so every run, applies it to a Scenario it is given unless the
    instance was validated when it was made (loaded, ``replace``, ``model_copy`` or
    ``Scenario(...)``: frozen, it stays valid)."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"validate_scenario takes a Scenario, not {type(scenario).__name__}")
    data = {k: scenario.__dict__.get(k, info.default) for k, info in Scenario.model_fields.items()}
    extra = sorted(set(scenario.__dict__) - set(Scenario.model_fields))
    for k in extra:
        data[k] = scenario.__dict__[k]
    _validate(data, str(scenario.__dict__.get("name", "<Scenario>")))
    scenario._validated = True
    return scenario


def load_scenario(scenario: str | Path | Scenario | dict = "baseline") -> Scenario:
    """A validated, immutable scenario from a library name, a path, a dict or a Scenario.

    A path names a TOML file, or a ``scenario.json`` written by ``connsim run`` (the resolved
    scenario). A Scenario is checked again (:func:`validate_scenario`) and returned as it is.
    Raises :class:`ScenarioError` (naming the file, each key path and what is allowed).

    >>> load_scenario("baseline").end_year
    2030
    """
    if isinstance(scenario, Scenario):
        return scenario if scenario._validated else validate_scenario(scenario)
    if isinstance(scenario, dict):
        data = dict(scenario)
        source = str(data.get("name", "<dict>"))
        parent = data.get("extends")
        if parent is not None:
            if not isinstance(parent, (str, Path)):
                raise ScenarioError(source, [f"extends: got {_short(parent)}; allowed a library name or a path"])
            try:
                parent_path = _resolve(parent, Path.cwd(), extends=True)
            except ScenarioError as e:
                raise ScenarioError(source, [f"extends: {p}" for p in e.problems]) from None
            base = load_scenario(parent_path).model_dump()
            base.pop("description", None)
            base.pop("name", None)
            data = _merge(base, data)
        return _validate(data, source)
    if not isinstance(scenario, (str, Path)):
        raise TypeError(f"load_scenario takes a name, a path, a dict or a Scenario, not {type(scenario).__name__}")
    path = _resolve(scenario, Path.cwd())
    return _validate(_raw(path, ()), str(path))


# --- the resolved parameters, for ``connsim show`` ---------------------------------------------


def load_parent(scenario: str | Path) -> Scenario | None:
    """The validated scenario that a library name or file ``extends`` (None if it extends none)."""
    path = _resolve(scenario, Path.cwd())
    parent = _read_data(path).get("extends")
    if not isinstance(parent, str):
        return None
    return load_scenario(_resolve(parent, path.parent, extends=True))


def parameter_table(scenario: str | Path | Scenario | dict, reference: Scenario | None = None) -> list[dict]:
    """Every parameter of a resolved scenario, one dict per row: section (time, levers,
    behaviour, weights, events), key, value, unit, allowed (short), meaning, and ``changed``:
    whether it differs from ``reference`` (default: the built-in defaults). Events are listed
    one per row, ``changed`` if ``reference`` lacks them."""
    s = load_scenario(scenario)
    ref = reference if reference is not None else Scenario()
    rows = []

    def add(section, owner, name, value, default):
        info = owner.model_fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append(
            dict(
                section=section,
                key=name,
                value=value,
                unit=extra.get("unit", ""),
                allowed=allowed_text(owner, name, short=True),
                meaning=info.description or "",
                changed=value != default,
            )
        )

    for section, keys in (("time", TIME_KEYS), ("levers", LEVERS), ("behaviour", BEHAVIOUR_KEYS)):
        for k in keys:
            add(section, Scenario, k, getattr(s, k), getattr(ref, k))
    for power in ("EUU", "JPN", "USA", "CHN"):  # each power's strategy (scripted unless the scenario says)
        now = s.powers[power].strategy if power in s.powers else "scripted"
        was = ref.powers[power].strategy if power in ref.powers else "scripted"
        rows.append(
            dict(
                section="powers",
                key=f"powers.{power}.strategy",
                value=now,
                unit="",
                allowed="scripted | adaptive | replay",
                meaning=f"how {power} takes its yearly decisions (connsim.decisions.powers)",
                changed=now != was,
            )
        )
        if now == "replay":  # its table of decisions, in short (the file holds it whole)
            years = sorted(s.powers[power].decisions)
            rows.append(
                dict(
                    section="powers",
                    key=f"powers.{power}.decisions",
                    value=f"{len(years)} years, {years[0]}-{years[-1]}",
                    unit="",
                    allowed="{year = {lever = value}}",
                    meaning=f"{power}'s decisions replayed, year by year",
                    changed=True,
                )
            )
    for k in Weights.model_fields:
        add("weights", Weights, k, getattr(s.weights, k), getattr(ref.weights, k))
    for i, ev in enumerate(s.events):
        rows.append(
            dict(
                section="events",
                key=f"events.{i}",
                value=ev.model_dump(exclude_none=True),
                unit="",
                allowed="",
                meaning=Event.__doc__.splitlines()[0],
                changed=ev not in ref.events,
            )
        )
    return rows


def with_parameters(spec: Scenario, parameters: dict[str, Any]) -> Scenario:
    """``spec`` with scenario fields and weights changed by name, validated: the keywords of
    ``WorldModel(spec, us_pressure=0.8, w_peer=0.3)``, Mesa's ``batch_run`` parameters and
    SolaraViz sliders. A weight may be given by its name alone. Raises :class:`ScenarioError`."""
    if not parameters:
        return spec
    changes: dict[str, Any] = {}
    weights: dict[str, Any] = {}
    problems = []
    fields = [k for k in Scenario.model_fields if k not in ("extends",)]
    for key, value in parameters.items():
        if key in fields:
            changes[key] = value
        elif key in Weights.model_fields:
            weights[key] = value
        else:
            problems.append(
                f"{key}: not a scenario lever, parameter or weight; {_hint(key, fields + list(Weights.model_fields))}"
                "allowed the keys that 'connsim show' lists"
            )
    if problems:
        raise ScenarioError(f"{spec.name} (parameters)", problems)
    if weights:
        changes["weights"] = {**dict(changes.get("weights") or {}), **weights}
    return spec.replace(**changes)
