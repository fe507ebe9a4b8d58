"""Scenarios: the paper's stories as validated, immutable data.

A scenario is a TOML file in ``scenarios/`` (or anywhere), read with ``tomllib`` and validated
into a frozen :class:`Scenario`. It may ``extends`` another (a library name or a path relative
to the file); tables merge key by key, events add up. Every lever has a unit, a range, a default
and a meaning (``connsim show``). A lever that may change over time takes a number or a
schedule ``{ 2019 = 0.5, 2025 = 1.0 }`` interpolated linearly between years and held constant
outside them.

A wrong scenario is refused before any run with one :class:`ScenarioError` naming the file, the
key path and what is allowed, all problems of the file at once.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from connsim.seeds import POLICIES, REGIMES, SeedError, load_seeds
from connsim.weights import Weights

__all__ = ["Scenario", "Event", "ScenarioError", "load_scenario", "list_scenarios", "SCENARIOS_DIR", "DONORS", "LEVERS"]

SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "scenarios"
#: Donors of digital ODA: the EU itself, EU member states (pooled), Japan, the US, China.
DONORS = ("EUU", "MS", "JPN", "USA", "CHN")
COOPERATION_LEVELS = ("none", "bilateral", "beyond_bilateral")


class ScenarioError(ValueError):
    """A scenario that cannot be run. ``problems`` lists each as 'key.path: what is allowed'."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


# --- schedules: a number, or {year: value} -----------------------------------------------------


def _schedule_in(lo: float, hi: float):
    def check(value):
        values = value.values() if isinstance(value, dict) else [value]
        for v in values:
            if not lo <= v <= hi:
                raise ValueError(f"value {v} is out of range; allowed {lo}..{hi}")
        if isinstance(value, dict):
            if not value:
                raise ValueError("a schedule needs at least one year")
            return {int(k): float(v) for k, v in sorted(value.items())}
        return float(value)

    return AfterValidator(check)


Schedule01 = Annotated[float | dict[int, float], _schedule_in(0.0, 1.0)]
Schedule02 = Annotated[float | dict[int, float], _schedule_in(0.0, 2.0)]
Scale = Annotated[float | dict[int, float], _schedule_in(0.0, 10.0)]


def schedule_at(value: float | dict[int, float], year: float) -> float:
    """Value of a lever in a (fractional) year: linear between scheduled years, flat outside."""
    if not isinstance(value, dict):
        return float(value)
    years = np.fromiter(value.keys(), float)
    return float(np.interp(year, years, np.fromiter(value.values(), float)))


class Event(BaseModel):
    """A timed event: a policy imposed on a named state, or a shock to the conflict.

    ``kind``: ``vendor_policy`` (value one of open / core_excluded / banned), ``regime``
    (protect / trust / open / sovereign), ``adequacy`` (true / false) on ``iso3``; or
    ``conflict_shock`` (value added to US-China conflict intensity, clipped to 0..1). The event
    applies at the first step on or after ``year`` (2022.5 = mid-2022) and, for imposed
    policies, holds for ``hold_years`` (default: to the end of the run).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: float = Field(description="when the event happens (fractional years allowed)")
    kind: Literal["vendor_policy", "regime", "adequacy", "conflict_shock"]
    iso3: str | None = Field(None, description="the state the event concerns")
    value: str | float | bool
    hold_years: float | None = Field(None, gt=0, description="years the imposed choice holds")

    @field_validator("iso3")
    @classmethod
    def _upper(cls, v):
        return v.upper() if isinstance(v, str) else v


def _meaning(default, meaning: str, unit: str = "", **bounds):
    return Field(default, description=f"{meaning}{f' [{unit}]' if unit else ''}", **bounds)


class Scenario(BaseModel):
    """A complete, validated scenario. Immutable: use :meth:`replace` for a changed copy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = _meaning("unnamed", "short name")
    description: str = _meaning("", "the story, and which claim of the paper it explores")
    extends: str | None = _meaning(None, "library name or path of the scenario this one builds on")
    # --- time --------------------------------------------------------------------------------
    start_year: int = _meaning(2019, "first year; step 0 is its first quarter", "year", ge=2019, le=2100)
    end_year: int = _meaning(2030, "last year simulated (inclusive)", "year", ge=2019, le=2200)
    steps_per_year: int = _meaning(4, "model steps per year (4 = quarterly)", "steps", ge=1, le=12)
    # --- levers ------------------------------------------------------------------------------
    us_china_conflict: Schedule01 = _meaning(0.5, "intensity of the US-China trade-tech conflict", "0..1")
    us_pressure: Schedule01 = _meaning(0.5, "US pressure on partners to exclude high-risk vendors and adopt open data flows", "0..1")
    eu_japan_cooperation: Literal["none", "bilateral", "beyond_bilateral"] = _meaning(
        "bilateral", "depth of EU-Japan cooperation: none, bilateral (the 2019 partnership), beyond_bilateral (multilateral settings and third countries)"
    )
    eu_toolbox_strength: Schedule01 = _meaning(0.3, "strength of the EU 5G toolbox pulling member states toward a common norm", "0..1")
    japan_vendor_push: Schedule01 = _meaning(0.2, "Japan's push to make NEC and Fujitsu global players (6G, Open RAN)", "0..1")
    digital_silk_road_intensity: Schedule02 = _meaning(1.0, "multiplier on China's Digital Silk Road finance and pull", "0..2")
    adequacy_openness: float = _meaning(0.15, "yearly probability that the EU grants adequacy to a qualifying state", "per year", ge=0, le=1)
    dfft_multilateral_push: Schedule01 = _meaning(0.3, "Japan's Data Free Flow with Trust push in the G20 and WTO", "0..1")
    eu_jp_oda_coordination: Schedule01 = _meaning(0.2, "EU-Japan coordination of digital ODA (JICA-EIB kind): pooling, no double targeting", "0..1")
    open_connected_ring: Schedule01 = _meaning(0.0, "focus of EU and Japanese ODA on the Open and Connected Ring around Europe", "0..1")
    india_trilateral: bool = _meaning(False, "EU/Japan financial-inclusion programs run with Indian partners")
    oda_budget_scale: dict[str, Scale] = _meaning({}, "donor -> multiplier on its 2019 digital-ODA budget (donors: EUU MS JPN USA CHN)", "x2019")
    oda_staffing: dict[str, Annotated[float, Field(gt=0, le=1)]] = _meaning({}, "donor -> staffing level replacing the seed value", "0..1")
    # --- behaviour ---------------------------------------------------------------------------
    beta_policy: float = _meaning(4.0, "rationality of 5G security-policy choices (logit beta)", "1/utility", ge=0, le=100)
    beta_regime: float = _meaning(4.0, "rationality of data-regime choices (logit beta)", "1/utility", ge=0, le=100)
    beta_oda: float = _meaning(3.0, "rationality of recipients choosing among ODA offers", "1/utility", ge=0, le=100)
    revision_probability: float = _meaning(0.35, "probability that a state revises a decision within a year (policy inertia)", "per year", ge=0, le=1)
    weights: Weights = _meaning(Weights(), "coefficients of the decision rules (see connsim.weights)")
    # --- events and scale --------------------------------------------------------------------
    events: tuple[Event, ...] = _meaning((), "timed events")
    synthetic_third_countries: int = _meaning(0, "third countries added, drawn from the real ones, to scale the world", "states", ge=0, le=1_000_000)

    @field_validator("oda_budget_scale", "oda_staffing")
    @classmethod
    def _known_donors(cls, v):
        unknown = [k for k in v if k not in DONORS]
        if unknown:
            raise ValueError(f"unknown donor {unknown[0]!r}; allowed {', '.join(DONORS)}")
        return v

    # --- derived -----------------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """Steps from the first quarter of ``start_year`` through the end of ``end_year``."""
        return (self.end_year - self.start_year + 1) * self.steps_per_year

    @property
    def dt(self) -> float:
        """Length of a step in years."""
        return 1.0 / self.steps_per_year

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

    def replace(self, **changes: Any) -> "Scenario":
        """A validated copy with ``changes``; dict values merge into dict fields (``weights``)."""
        data = _merge(self.model_dump(exclude_defaults=False), changes, concat_events=False)
        return _validate(data, f"{self.name} (replace)")


LEVERS = (
    "us_china_conflict", "us_pressure", "eu_japan_cooperation", "eu_toolbox_strength", "japan_vendor_push",
    "digital_silk_road_intensity", "adequacy_openness", "dfft_multilateral_push", "eu_jp_oda_coordination",
    "open_connected_ring", "india_trilateral", "oda_budget_scale", "oda_staffing",
)


# --- loading -----------------------------------------------------------------------------------


def list_scenarios(directory: str | Path | None = None) -> dict[str, str]:
    """Library scenarios in ``directory`` (default ``scenarios/``): name -> first line of description."""
    out = {}
    for path in sorted(Path(directory or SCENARIOS_DIR).glob("*.toml")):
        try:
            with path.open("rb") as f:
                desc = str(tomllib.load(f).get("description", ""))
        except (OSError, tomllib.TOMLDecodeError):
            desc = "(unreadable)"
        out[path.stem] = desc.strip().splitlines()[0] if desc.strip() else ""
    return out


def _resolve(ref: str | Path, relative_to: Path | None) -> Path:
    ref = str(ref)
    candidates = []
    if ref.endswith(".toml") or "/" in ref or "\\" in ref:
        p = Path(ref).expanduser()
        candidates.append(p if p.is_absolute() or relative_to is None else relative_to / p)
    else:
        candidates.append(SCENARIOS_DIR / f"{ref}.toml")
    for c in candidates:
        if c.is_file():
            return c.resolve()
    names = ", ".join(list_scenarios()) or "(none)"
    raise ScenarioError(str(ref), [f"no scenario file {candidates[0]}; library scenarios: {names}"])


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(str(path), [f"TOML syntax error: {e}"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(str(path), [f"cannot read the file: {e}"]) from None


def _merge(base: dict, child: dict, concat_events: bool = True) -> dict:
    out = dict(base)
    for key, value in child.items():
        if key == "events" and concat_events:
            out[key] = list(base.get(key, ())) + list(value if isinstance(value, (list, tuple)) else [value])
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, concat_events)
        else:
            out[key] = value
    return out


def _raw(path: Path, chain: tuple[Path, ...]) -> dict:
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(str(chain[0]), [f"extends: cycle {cycle}; a scenario cannot extend itself"])
    data = _read_toml(path)
    data.setdefault("name", path.stem)
    parent = data.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(str(path), [f"extends: {parent!r} is not a scenario name or path; allowed a string"])
    try:
        parent_path = _resolve(parent, path.parent)
    except ScenarioError as e:
        raise ScenarioError(str(path), [f"extends: {p}" for p in e.problems]) from None
    base = _raw(parent_path, (*chain, path))
    base.pop("description", None)
    return _merge(base, data)


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe(error: dict) -> str:
    loc = [str(p) for p in error["loc"]]
    # drop pydantic's union branch tags such as 'float' / 'dict[int,float]' / 'function-after[...]'
    loc = [p for p in loc if not (p in {"float", "str", "bool", "int"} or p.startswith(("dict[", "function-", "tuple[")))]
    key = ".".join(loc) or "(top level)"
    etype = error["type"]
    if etype == "extra_forbidden":
        owner: type[BaseModel] = Scenario
        if loc and loc[0] == "weights":
            owner = Weights
        elif loc and loc[0] == "events":
            owner = Event
        hint = difflib.get_close_matches(loc[-1], _field_names(owner), n=1)
        allowed = f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(_field_names(owner))}"
        return f"{key}: unknown key; {allowed}"
    if etype == "missing":
        return f"{key}: required key is missing"
    msg = error["msg"].removeprefix("Value error, ")
    return f"{key}: {msg} (got {error.get('input')!r})"


def _validate(data: dict, source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        seen, problems = set(), []
        for err in e.errors():
            text = _describe(err)
            if text not in seen:
                seen.add(text)
                problems.append(text)
        raise ScenarioError(source, problems) from None
    problems = _check_world(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def _check_world(s: Scenario) -> list[str]:
    """Checks that need the seeds or several fields at once."""
    problems = []
    if s.end_year < s.start_year:
        problems.append(f"end_year: {s.end_year} is before start_year {s.start_year}")
    try:
        known = set(load_seeds().countries["iso3"])
    except SeedError as e:  # a broken seed folder is reported, not raised as a traceback
        return problems + [f"(seeds) {e}"]
    allowed_values = {"vendor_policy": POLICIES, "regime": REGIMES}
    for i, ev in enumerate(s.events):
        where = f"events.{i}"
        if not s.start_year <= ev.year < s.end_year + 1:
            problems.append(f"{where}.year: {ev.year} is outside the horizon; allowed {s.start_year}..{s.end_year + 1} (exclusive)")
        if ev.kind == "conflict_shock":
            if isinstance(ev.value, (bool, str)) or not -1 <= float(ev.value) <= 1:
                problems.append(f"{where}.value: a conflict shock is a number in -1..1 (got {ev.value!r})")
            continue
        if ev.iso3 is None:
            problems.append(f"{where}.iso3: required for a {ev.kind} event; allowed an ISO3 code of seeds/countries.csv")
        elif ev.iso3 not in known or ev.iso3 == "EUU":
            hint = difflib.get_close_matches(ev.iso3, sorted(known), n=1)
            problems.append(f"{where}.iso3: unknown state {ev.iso3!r}{f'; did you mean {hint[0]!r}?' if hint else ''}")
        if ev.kind == "adequacy":
            if not isinstance(ev.value, bool):
                problems.append(f"{where}.value: an adequacy event takes true or false (got {ev.value!r})")
        elif ev.value not in allowed_values[ev.kind]:
            problems.append(f"{where}.value: {ev.value!r} is not allowed; allowed {', '.join(allowed_values[ev.kind])}")
    return problems


def load_scenario(scenario: "str | Path | Scenario | dict" = "baseline") -> Scenario:
    """A validated, immutable scenario from a library name, a TOML path, a dict or a Scenario.

    >>> load_scenario("baseline").end_year
    2030
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        data = dict(scenario)
        if "extends" in data and data["extends"] is not None:
            parent = load_scenario(data["extends"]).model_dump()
            parent.pop("description", None)
            data = _merge(parent, data)
        return _validate(data, str(data.get("name", "<dict>")))
    path = _resolve(scenario, Path.cwd())
    return _validate(_raw(path, ()), str(path))
