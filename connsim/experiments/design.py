"""What an ensemble runs: the levers one may vary, designs over them, per-run seeds, the plan.

A *lever* here is any named input a sweep may vary: a scenario lever (``us_china_conflict``,
``eu_japan_cooperation``...), a behavioural parameter (``beta_policy``...), a weight of the
decision rules (``w_peer`` or ``weights.w_peer``) or one donor's entry of an ODA table
(``oda_budget_scale.EUU``, ``oda_staffing.JPN``). Its kind and allowed range come from the
scenario schema (the pydantic field metadata that ``connsim show`` prints), so a value outside
it is refused before anything runs, with the lever's name and what is allowed.

A *plan* is the list of runs: design points (a base scenario and the lever values changed on
it) times replications. Replication ``r`` of every point runs with the same seed (common random
numbers), so that differences between points are the levers' doing, not noise; the spread over
replications measures the noise.

Seeds: ``spawn_seeds(root, n)[r] = int(SeedSequence(root).spawn(n)[r].generate_state(1, uint64)[0] >> 1)``,
a plain non-negative Python int below 2**63, so that ``connsim.run(scenario, seed)`` reproduces
any run alone, and the seeds of the first ``n`` replications do not change when more are asked for.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types as atypes
import numpy as np

from connsim.scenario import LEVERS, Range, Scenario, ScenarioError, load_scenario
from connsim.weights import Weights

__all__ = [
    "DesignError",
    "Lever",
    "lever",
    "lever_names",
    "spawn_seeds",
    "factorial",
    "latin_hypercube",
    "Plan",
    "stop_at",
    "parse_levers",
]

#: Behavioural parameters a sweep may vary besides the levers.
BEHAVIOUR = ("beta_policy", "beta_regime", "beta_oda", "revision_probability")
TABLES = ("oda_budget_scale", "oda_staffing")
DONOR_KEYS = ("EUU", "MS", "JPN", "USA", "CHN")
#: entropy added to the root seed for the design's own random numbers (LHS, SALib), so that the
#: design and the runs draw from different streams of the same root
DESIGN_STREAM = 0x5EED


class DesignError(ValueError):
    """An ensemble, sweep or analysis asked for something not allowed (one line: key and what is allowed)."""


# --- levers -----------------------------------------------------------------------------------------


def _fmt(x) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _bounds(items) -> tuple[float | None, float | None, bool]:
    lo = hi = None
    lo_open = False
    for m in items:
        if isinstance(m, Range):
            return m.lo, m.hi, m.lo_open
        if isinstance(m, atypes.Ge):
            lo = m.ge
        elif isinstance(m, atypes.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, atypes.Le):
            hi = m.le
    return lo, hi, lo_open


@dataclass(frozen=True)
class Lever:
    """One input a sweep may vary, with its kind and allowed values from the scenario schema.

    ``kind``: ``real`` (a number in ``lo..hi``), ``integer``, ``categorical`` (one of
    ``options``) or ``boolean``. ``path``: where it lives in the scenario (``("w_peer",)`` under
    ``weights``, ``("oda_budget_scale", "EUU")``...).
    """

    name: str
    kind: Literal["real", "integer", "categorical", "boolean"]
    path: tuple[str, ...]
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    options: tuple = ()
    meaning: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("real", "integer")

    @property
    def allowed(self) -> str:
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "categorical":
            return "one of " + ", ".join(map(str, self.options))
        what = "an integer" if self.kind == "integer" else "a number"
        return f"{what} in {'above ' if self.lo_open else ''}{_fmt(self.lo)}..{_fmt(self.hi)}"

    def check(self, value: Any, where: str) -> Any:
        """``value`` as a plain Python value of this lever's kind, or :class:`DesignError`."""
        if isinstance(value, np.generic):
            value = value.item()
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise DesignError(f"{where}: got {value!r} for {self.name}; allowed {self.allowed}")
            return value
        if self.kind == "categorical":
            if value not in self.options:
                hint = difflib.get_close_matches(str(value), [str(o) for o in self.options], n=1)
                did = f"did you mean {hint[0]!r}? " if hint else ""
                raise DesignError(f"{where}: got {value!r} for {self.name}; {did}allowed {self.allowed}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise DesignError(f"{where}: got {value!r} for {self.name}; allowed {self.allowed}")
        if self.kind == "integer":
            if float(value) != int(value):
                raise DesignError(f"{where}: got {value!r} for {self.name}; allowed {self.allowed}")
            value = int(value)
        else:
            value = float(value)
        below = value <= self.lo if self.lo_open else value < self.lo
        if below or value > self.hi:
            raise DesignError(f"{where}: {_fmt(value)} is outside the allowed range of {self.name}; allowed {self.allowed}")
        return value

    def change(self, value: Any) -> dict:
        """The :meth:`Scenario.replace` argument that sets this lever to ``value``."""
        if self.path[0] == "weights":
            return {"weights": {self.path[1]: value}}
        if self.path[0] in TABLES:
            return {self.path[0]: {self.path[1]: value}}
        return {self.path[0]: value}


def _scenario_lever(name: str) -> Lever:
    info = Scenario.model_fields[name]
    ann = info.annotation
    if typing.get_origin(ann) is Literal:
        return Lever(name, "categorical", (name,), options=tuple(typing.get_args(ann)), meaning=info.description or "")
    if ann is bool:
        return Lever(name, "boolean", (name,), options=(False, True), meaning=info.description or "")
    lo, hi, lo_open = _bounds(info.metadata)
    kind = "integer" if ann is int else "real"
    return Lever(name, kind, (name,), lo, hi, lo_open, meaning=info.description or "")


def _table_lever(table: str, donor: str) -> Lever:
    info = Scenario.model_fields[table]
    value_type = typing.get_args(info.annotation)[1]
    lo, hi, lo_open = _bounds(getattr(value_type, "__metadata__", ()))
    return Lever(f"{table}.{donor}", "real", (table, donor), lo, hi, lo_open, meaning=f"{donor}: {info.description or ''}")


def _weight_lever(name: str) -> Lever:
    info = Weights.model_fields[name]
    lo, hi, lo_open = _bounds(info.metadata)
    return Lever(name, "real", ("weights", name), lo, hi, lo_open, meaning=info.description or "")


def lever_names() -> list[str]:
    """Every name a sweep accepts: scenario levers, behaviour, ODA table entries, weights."""
    names = [n for n in LEVERS if n not in TABLES] + list(BEHAVIOUR)
    names += [f"{t}.{d}" for t in TABLES for d in DONOR_KEYS]
    return names + list(Weights.model_fields)


def lever(name: str) -> Lever:
    """The :class:`Lever` called ``name`` (a weight may be given as ``weights.NAME``)."""
    if not isinstance(name, str):
        raise DesignError(f"levers: {name!r} is not a lever name; allowed a name such as 'us_china_conflict' or 'w_peer'")
    if name.startswith("weights.") and name[8:] in Weights.model_fields:
        return _weight_lever(name[8:])
    if name in Weights.model_fields:
        return _weight_lever(name)
    if "." in name:
        table, _, donor = name.partition(".")
        if table in TABLES:
            if donor not in DONOR_KEYS:
                raise DesignError(f"levers: unknown donor {donor!r} in {name}; allowed donors {', '.join(DONOR_KEYS)}")
            return _table_lever(table, donor)
    if name in TABLES:
        raise DesignError(f"levers: {name} is a table of donors; allowed one entry such as {name}.EUU")
    if (name in LEVERS or name in BEHAVIOUR) and name in Scenario.model_fields:
        return _scenario_lever(name)
    hint = difflib.get_close_matches(name, lever_names(), n=1, cutoff=0.6)
    did = f"did you mean {hint[0]!r}? " if hint else ""
    raise DesignError(
        f"levers: unknown lever {name!r}; {did}allowed a scenario lever, behaviour parameter or weight "
        "(connsim show baseline lists them), or an ODA table entry such as oda_budget_scale.EUU"
    )


def parse_levers(levers: Mapping[str, Any], *, ranges_only: bool = False) -> list[tuple[Lever, Any]]:
    """Check a ``{name: values or (lo, hi)}`` mapping against the schema.

    A tuple of two numbers is a range ``(lo, hi)`` (for a numeric lever); any other sequence
    (a list, an array) is the values themselves. Returns ``[(lever, ("range", lo, hi) |
    ("values", [v, ...]))]`` in the order given. ``ranges_only``: every lever must be a numeric
    range (sensitivity analysis).
    """
    if not isinstance(levers, Mapping) or not levers:
        raise DesignError("levers: give at least one lever, e.g. levers={'us_china_conflict': (0.2, 1.0)}")
    out, seen = [], set()
    for name, spec in levers.items():
        lv = lever(name)
        if lv.name in seen:
            raise DesignError(f"levers: {lv.name} is given twice")
        seen.add(lv.name)
        where = f"levers[{name!r}]"
        if (
            isinstance(spec, tuple)
            and len(spec) == 2
            and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in spec)
        ):
            if not lv.numeric:
                raise DesignError(f"{where}: {lv.name} is {lv.kind}; give its values as a list; allowed {lv.allowed}")
            lo, hi = (lv.check(v, where) for v in spec)
            if not lo < hi:
                raise DesignError(
                    f"{where}: the range ({_fmt(lo)}, {_fmt(hi)}) is empty; allowed (lo, hi) with lo < hi within {lv.allowed}"
                )
            out.append((lv, ("range", lo, hi)))
            continue
        if ranges_only:
            raise DesignError(f"{where}: give a range (lo, hi) of numbers; allowed for {lv.name} {lv.allowed}")
        if isinstance(spec, tuple):
            raise DesignError(f"{where}: a tuple is a range (lo, hi) of two numbers; give values as a list")
        if isinstance(spec, (str, bytes)) or not isinstance(spec, (Sequence, np.ndarray)) or len(spec) == 0:
            raise DesignError(f"{where}: got {spec!r}; allowed a list of values or a range (lo, hi)")
        values = [lv.check(v, where) for v in spec]
        if len(set(map(repr, values))) != len(values):
            raise DesignError(f"{where}: a value is listed twice in {values!r}")
        out.append((lv, ("values", values)))
    return out


# --- designs ------------------------------------------------------------------------------------------


def factorial(specs: list[tuple[Lever, Any]], n: int | None = None) -> list[dict]:
    """Every combination of the levers' values (the first lever varies slowest).

    A range gives ``n`` evenly spaced levels from lo to hi (to 12 decimals, so that 0.2..1 in
    3 levels gives 0.6, not 0.6000000000000001; integers rounded, repeats dropped).
    Returns one ``{lever name: value}`` per design point. Cost: the product of the level counts.
    """
    levels = []
    for lv, spec in specs:
        if spec[0] == "values":
            levels.append(list(spec[1]))
            continue
        if n is None or n < 2:
            raise DesignError(f"n: a factorial design over the range of {lv.name} needs n (levels per range) of at least 2")
        grid = np.linspace(spec[1], spec[2], n)
        vals = [float(np.round(v, 12)) for v in grid] if lv.kind == "real" else sorted({int(round(v)) for v in grid})
        levels.append(vals)
    return [dict(zip([lv.name for lv, _ in specs], combo)) for combo in itertools.product(*levels)]


def latin_hypercube(specs: list[tuple[Lever, Any]], n: int, seed: int = 0) -> list[dict]:
    """``n`` points of a Latin hypercube over the levers (scipy.stats.qmc).

    Each lever's range is cut into ``n`` equal strata and each stratum is used once; a list of
    values is sampled the same way over its positions (each value about ``n / len`` times).
    The design's random numbers come from ``SeedSequence([seed, DESIGN_STREAM])``.
    Returns ``n`` dicts ``{lever name: value}``.
    """
    from scipy.stats import qmc

    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise DesignError(f"n: got {n!r}; allowed a whole number of design points from 1")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), DESIGN_STREAM]))
    u = qmc.LatinHypercube(d=len(specs), seed=rng).random(int(n))  # (n, levers) in [0, 1)
    points = [dict() for _ in range(int(n))]
    for j, (lv, spec) in enumerate(specs):
        col = u[:, j]
        if spec[0] == "values":
            vals = spec[1]
            idx = np.minimum((col * len(vals)).astype(int), len(vals) - 1)
            column = [vals[k] for k in idx]
        elif lv.kind == "integer":
            lo, hi = spec[1], spec[2]
            column = [int(v) for v in np.minimum(lo + np.floor(col * (hi - lo + 1)), hi)]
        else:
            column = [float(v) for v in spec[1] + col * (spec[2] - spec[1])]
        for p, v in zip(points, column):
            p[lv.name] = v
    return points


# --- seeds ------------------------------------------------------------------------------------------


def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` independent run seeds from ``root``: plain ints in 0..2**63-1 (module docstring)."""
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or root < 0:
        raise DesignError(f"seed: got {root!r}; allowed a whole number from 0")
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in np.random.SeedSequence(int(root)).spawn(int(n))]


# --- horizon ----------------------------------------------------------------------------------------


def stop_at(spec: Scenario, until: int | None) -> Scenario:
    """``spec`` stopped at the start of year ``until`` (its events from then on dropped), as
    ``connsim.run(..., until=)`` does; ``None`` keeps it whole."""
    if until is None:
        return spec
    if isinstance(until, bool) or not isinstance(until, (int, np.integer)) or not spec.start_year < until <= spec.end_year + 1:
        raise DesignError(
            f"until: got {until!r}; allowed a whole year in {spec.start_year + 1}..{spec.end_year + 1} "
            f"(the horizon of {spec.name!r})"
        )
    until = int(until)
    if until == spec.end_year + 1:
        return spec
    kept = [e.model_dump() for e in spec.events if e.year < until]
    return spec.replace(end_year=until - 1, events=kept)


# --- the plan ---------------------------------------------------------------------------------------


def _plain(value):
    """A lever value as JSON-able plain Python (numpy scalars and schedule keys included)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def merge_changes(parts) -> dict:
    """Several :meth:`Lever.change` results as one :meth:`Scenario.replace` argument."""
    out: dict = {}
    for part in parts:
        for k, v in part.items():
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = {**out[k], **v}
            else:
                out[k] = v
    return out


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Plan:
    """The runs of an ensemble: design points times replications (point-major run ids).

    ``bases``: base key -> resolved scenario JSON. ``points``: one ``(label, base key,
    changes)`` per design point, ``changes`` a :meth:`Scenario.replace` argument. ``values``:
    per point, the lever columns of ``experiments``. ``seeds``: one per replication, shared by
    every point. Run ``i`` is point ``i // R``, replication ``i % R``.
    """

    bases: dict[str, str]
    points: list[tuple[str, str, dict]]
    values: list[dict]
    columns: list[str]
    seeds: list[int]
    root_seed: int | None
    options: dict = field(default_factory=dict)
    #: {name: f(result)} end-of-run measures computed in the workers (their names are in options)
    reporters: dict | None = None

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def n_runs(self) -> int:
        return len(self.points) * len(self.seeds)

    def run(self, i: int) -> tuple[str, dict, int]:
        """(base key, changes, seed) of run ``i``."""
        label, base, changes = self.points[i // self.replications]
        return base, changes, self.seeds[i % self.replications]

    def experiments(self):
        """One row per run: run_id, scenario, the lever columns, replication, seed."""
        import pandas as pd

        R = self.replications
        n = self.n_runs
        data = {
            "run_id": np.arange(n, dtype=np.int64),
            "scenario": np.repeat(np.array([p[0] for p in self.points], dtype=object), R),
        }
        for c in self.columns:
            col = [_cell(v.get(c)) for v in self.values]
            if any(isinstance(x, str) for x in col) and not all(isinstance(x, str) for x in col):
                col = [json.dumps(_plain(v.get(c)), sort_keys=True, separators=(", ", ": ")) for v in self.values]
            data[c] = np.repeat(np.array(col, dtype=object), R) if col else np.array([], dtype=object)
        data["replication"] = np.tile(np.arange(R, dtype=np.int64), len(self.points))
        data["seed"] = np.tile(np.array(self.seeds, dtype=np.int64), len(self.points))
        df = pd.DataFrame(data)
        for c in self.columns:  # numbers and booleans as such, not objects
            df[c] = df[c].infer_objects()
        df["scenario"] = df["scenario"].astype(str)
        return df

    def header(self) -> dict:
        """What determines the results (the store's identity), with a digest for each part."""
        points = json.dumps([[p[0], p[1], p[2]] for p in self.points], sort_keys=True, separators=(",", ":"))
        return {
            "scenarios": {k: sha(v) for k, v in self.bases.items()},
            "design": sha(points),
            "n_points": len(self.points),
            "root_seed": self.root_seed,
            "seeds": sha(json.dumps(self.seeds)),
            "replications": self.replications,
            "options": self.options,
        }

    def digest(self) -> str:
        return sha(json.dumps(self.header(), sort_keys=True))


def _cell(v):
    """An experiments cell: scalars as they are, schedules and tables as compact JSON text."""
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(_plain(v), sort_keys=True, separators=(", ", ": "))
    return v


def _canonical(spec: Scenario) -> str:
    return spec.model_dump_json()


def _flat(spec: Scenario) -> dict:
    """A scenario's inputs as flat columns: fields, weights by name, ODA table entries, events."""
    d = spec.model_dump(mode="json")
    out = {}
    for k, v in d.items():
        if k in ("name", "description", "extends"):
            continue
        if k == "weights":
            out.update(v)
        elif k in TABLES:
            for donor, x in v.items():
                out[f"{k}.{donor}"] = x
        elif k == "events":
            out[k] = v
        else:
            out[k] = v
    return out


def plan_scenarios(named: list[tuple[str, Scenario]], seeds: list[int], root_seed: int | None, options: dict) -> Plan:
    """A plan that runs each named scenario ``len(seeds)`` times; the lever columns are the
    inputs that differ between the scenarios."""
    bases, points, flats = {}, [], []
    for label, spec in named:
        text = _canonical(spec)
        key = sha(text)[:16]
        bases[key] = text
        points.append((label, key, {}))
        flats.append(_flat(spec))
    keys = list(dict.fromkeys(k for f in flats for k in f))
    columns = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flats}) > 1]
    values = [{c: f.get(c) for c in columns} for f in flats]
    return Plan(bases, points, values, columns, list(seeds), root_seed, dict(options))


def plan_points(
    base: Scenario,
    label: str,
    specs: list[tuple[Lever, Any]],
    points: list[dict],
    seeds: list[int],
    root_seed: int | None,
    options: dict,
) -> Plan:
    """A plan of design ``points`` (``{lever name: value}``) on ``base``."""
    text = _canonical(base)
    key = sha(text)[:16]
    by_name = {lv.name: lv for lv, _ in specs}
    rows = []
    for p in points:
        changes = merge_changes(by_name[k].change(_plain(v)) for k, v in p.items())
        rows.append((label, key, changes))
    values = [{k: _plain(v) for k, v in p.items()} for p in points]
    return Plan({key: text}, rows, values, list(by_name), list(seeds), root_seed, dict(options))


def resolve_scenarios(scenarios) -> list[tuple[str, Scenario]]:
    """(label, scenario) pairs from one scenario, a list of them, or a ``{label: scenario}`` mapping.

    Labels are the scenarios' names; a name given twice is numbered (``baseline#2``)."""
    if isinstance(scenarios, Mapping) and not _looks_like_scenario_dict(scenarios):
        pairs = [(str(k), load_scenario(v)) for k, v in scenarios.items()]
    else:
        items = (
            [scenarios]
            if isinstance(scenarios, (str, Scenario, Mapping)) or not isinstance(scenarios, Sequence)
            else list(scenarios)
        )
        specs = [load_scenario(s) for s in items]
        seen: dict[str, int] = {}
        pairs = []
        for s in specs:
            seen[s.name] = seen.get(s.name, 0) + 1
            pairs.append((s.name if seen[s.name] == 1 else f"{s.name}#{seen[s.name]}", s))
    if not pairs:
        raise DesignError("scenarios: give at least one scenario (a library name, a TOML path or a Scenario)")
    labels = [p[0] for p in pairs]
    if len(set(labels)) != len(labels):
        raise DesignError(f"scenarios: the label {next(label for label in labels if labels.count(label) > 1)!r} is given twice")
    return pairs


def _looks_like_scenario_dict(d: Mapping) -> bool:
    """A dict of scenario fields (load_scenario accepts one) rather than {label: scenario}:
    every key is a scenario field and no value is a Scenario."""
    return bool(d) and all(k in Scenario.model_fields for k in d) and not any(isinstance(v, Scenario) for v in d.values())


__all__ += ["plan_scenarios", "plan_points", "resolve_scenarios", "merge_changes", "ScenarioError"]
