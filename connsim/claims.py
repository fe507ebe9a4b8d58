"""The paper's claims as checks that run: each names its mechanism, a switch that turns it off, and an effect.

The claims table is ``seeds/claims.csv`` (one row per claim of the paper, :data:`COLUMNS`). A row's
``status`` is

* ``modelled``: the model carries the claim. The row names an **effect**, the paired difference of
  one outcome (a column of ``model_vars``) at a year between a ``treatment`` and a ``reference``
  world, each a scenario with overrides (``baseline + eu_toolbox_strength=1``), and a **switch**,
  overrides that turn the mechanism off (``weights.w_jp=0``), applied to both worlds;
* ``structural``: the claim is carried by the seed data or the model's structure (four regimes, the
  end-2019 starting points); there is no weight to switch off, and a named test checks it;
* ``not_modelled``: the model does not carry it; ``note`` says why.

:func:`check_claims` runs every modelled claim's effect with and without its switch over the same
seeds and decides (:data:`Z`, :data:`FRACTION`; ``docs/claims.md`` states it in words)

* **present**: ``direction * mean(d) > Z * se(d)`` and ``direction * mean(d) >= min_effect``, where
  ``d`` are the per-seed differences treatment minus reference with the mechanism on;
* **gone**: ``direction * mean(d') + Z * se(d') < FRACTION * direction * mean(d)``, ``d'`` the
  differences with the switch on (the remaining effect is confidently below a quarter of it);
* **bites**: present and gone. A present effect whose remainder is confidently at least that
  fraction *survives the switch* (a defect); anything between is *undecided* (more seeds). An
  effect that is significant but below ``min_effect`` is *too small*; one that is not significant
  in the claimed direction is *not present*.

A claim whose reference world *is* its treatment with the switch on is an **ablation** (``kind``):
its effect is the mechanism's own contribution, and "gone" holds by construction (the switched
worlds are the same world); only "present" is tested. A **contrast** compares two different worlds.

>>> from connsim.claims import load_claims, check_claims
>>> table = load_claims()                                    # validated; ClaimsError otherwise
>>> check_claims(["C10"], seeds=8)[["claim_id", "effect_with", "effect_without", "bites"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "STATUSES",
    "Z",
    "FRACTION",
    "ClaimsError",
    "World",
    "load_claims",
    "parse_world",
    "parse_overrides",
    "check_claims",
    "claims_table_text",
    "claims_markdown",
    "results_text",
    "results_markdown",
    "CLAIMS_FILE",
]

#: The columns of the claims table, in order.
COLUMNS = (
    "claim_id",
    "section",
    "claim",
    "status",
    "mechanism",
    "parameters",
    "scenario",
    "treatment",
    "reference",
    "switch",
    "outcome",
    "year",
    "direction",
    "min_effect",
    "test",
    "note",
)
STATUSES = ("modelled", "structural", "not_modelled")
#: Standard errors an effect must clear to be present, and the remainder's bound to be gone.
Z = 2.0
#: The share of the effect with the mechanism below which the effect without it counts as gone.
FRACTION = 0.25
#: The file name of the table in the seed folder.
CLAIMS_FILE = "claims.csv"
_ID = re.compile(r"^C\d+[a-z]?$")
_KEY = re.compile(r"^(weights\.)?[a-z_][a-z0-9_]*$")


class ClaimsError(ValueError):
    """A claims table that cannot be used: the message names the file, the row and the column."""


# --- worlds and overrides ---------------------------------------------------------------------------


def parse_overrides(text: str) -> dict[str, Any]:
    """``"weights.w_jp=0; eu_japan_cooperation=\\"none\\""`` as ``{"weights.w_jp": 0, ...}``.

    Overrides are separated by ``;``; each is ``KEY=VALUE`` with a TOML value (a number, a quoted
    string, ``true``/``false``, an inline table ``{EUU = 0.85}`` or an array of tables for
    ``events``). A bare word that is not TOML (``none``) is read as a string. ``KEY`` is a scenario
    field (``connsim show``) or ``weights.NAME``. Raises ValueError naming the bad part.
    """
    out: dict[str, Any] = {}
    for part in _split(text):
        if "=" not in part:
            raise ValueError(f"{part!r} is not KEY=VALUE")
        key, value = (s.strip() for s in part.split("=", 1))
        if not _KEY.match(key):
            raise ValueError(f"{key!r} is not a scenario field or weights.NAME")
        if key in out:
            raise ValueError(f"{key!r} is given twice")
        try:
            out[key] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
                out[key] = value
            else:
                raise ValueError(f"{key}: {value!r} is not a TOML value") from None
    return out


def _split(text: str) -> list[str]:
    """Split on ``;`` outside brackets and quotes."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == ";" and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def check_keys(overrides: dict[str, Any]) -> list[str]:
    """The keys of ``overrides`` that name no scenario lever or parameter and no weight."""
    from connsim.scenario import Scenario
    from connsim.weights import Weights

    bad = []
    for key in overrides:
        if key.startswith("weights."):
            if key.removeprefix("weights.") not in Weights.model_fields:
                bad.append(key)
        elif key not in Scenario.model_fields or key in ("name", "description", "extends", "weights"):
            bad.append(key)
    return bad


def _changes(overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides as keyword arguments of :meth:`Scenario.replace` (weights gathered in one table)."""
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key.startswith("weights."):
            changes.setdefault("weights", {})[key.removeprefix("weights.")] = value
        else:
            changes[key] = value
    return changes


@dataclass(frozen=True)
class World:
    """A world of a claim: a library scenario (or a scenario file) and overrides on it."""

    scenario: str
    overrides: dict[str, Any]

    def build(self, switch: dict[str, Any] | None = None):
        """The validated :class:`~connsim.scenario.Scenario`, with ``switch`` applied last."""
        from connsim.scenario import load_scenario

        spec = load_scenario(self.scenario)
        if self.overrides:
            spec = spec.replace(**_changes(self.overrides))
        if switch:
            spec = spec.replace(**_changes(switch))
        return spec


def parse_world(text: str) -> World:
    """``"baseline + eu_toolbox_strength=1; us_pressure=0.8"`` (or just ``"beyond_bilateral"``) as a :class:`World`."""
    head, _, tail = text.partition("+")
    name = head.strip()
    if not name:
        raise ValueError("no scenario named before the overrides")
    return World(name, parse_overrides(tail) if tail.strip() else {})


# --- the table --------------------------------------------------------------------------------------------


def _default_path() -> Path:
    from connsim.seeds import SEEDS_DIR

    return Path(SEEDS_DIR) / CLAIMS_FILE


def load_claims(path: str | Path | None = None, *, resolve: bool = True) -> pd.DataFrame:
    """The claims table, validated: one row per claim, :data:`COLUMNS` as strings, ``year`` as an
    integer, ``min_effect`` as a float (both empty for rows that are not modelled).

    ``resolve``: also build every modelled claim's four worlds (scenarios validated against the
    seeds; about 10 ms a claim). Raises :class:`ClaimsError` naming the file, the row (its line in
    the file and its claim id) and the column, for every problem found (the first 20).
    """
    path = Path(path) if path is not None else _default_path()
    where = str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ClaimsError(f"{where}: no such file; allowed the claims table seeds/{CLAIMS_FILE}") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ClaimsError(f"{where}: cannot read the table ({' '.join(str(e).split())})") from None
    if list(table.columns) != list(COLUMNS):
        missing = [c for c in COLUMNS if c not in table.columns]
        extra = [c for c in table.columns if c not in COLUMNS]
        raise ClaimsError(
            f"{where}: the header must be {','.join(COLUMNS)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
            + ("; the columns are out of order" if not missing and not extra else "")
        )
    problems: list[str] = []
    for i, row in table.iterrows():
        problems += [
            f"{where}, line {int(i) + 2} ({row['claim_id'] or 'no id'}), column {p}" for p in _row_problems(row, resolve)
        ]
    dup = table["claim_id"][table["claim_id"].duplicated() & (table["claim_id"] != "")]
    for i, cid in dup.items():
        problems.append(f"{where}, line {int(i) + 2} ({cid}), column claim_id: {cid} is given twice; allowed a unique id")
    if problems:
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ClaimsError(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the claims table:\n  " + "\n  ".join(shown) + more
        )
    table = table.copy()
    table["year"] = [int(y) if y else pd.NA for y in table["year"]]
    table["year"] = table["year"].astype("Int64")
    table["min_effect"] = [float(x) if x else math.nan for x in table["min_effect"]]
    return table


def _row_problems(row: pd.Series, resolve: bool) -> list[str]:
    out: list[str] = []
    cid = row["claim_id"]
    if not _ID.match(cid):
        out.append(f"claim_id: got {cid!r}; allowed C followed by a number (C1, C2, ...)")
    for col in ("section", "claim"):
        if not row[col].strip():
            out.append(f"{col}: empty; allowed the paper's section and its words")
    status = row["status"]
    if status not in STATUSES:
        return out + [f"status: got {status!r}; allowed one of {', '.join(STATUSES)}"]
    run_cols = ("treatment", "reference", "switch", "outcome", "year", "direction", "min_effect")
    if status == "not_modelled":
        if not row["note"].strip():
            out.append("note: empty; allowed why the claim is not modelled (status not_modelled)")
        for col in run_cols:
            if row[col].strip():
                out.append(f"{col}: given for a claim that is not modelled; allowed empty")
        return out
    if not row["mechanism"].strip():
        out.append(f"mechanism: empty; allowed what carries the claim (status {status})")
    if row["scenario"].strip():
        from connsim.scenario import list_scenarios

        library = list_scenarios()
        if row["scenario"].strip() not in library:
            out.append(f"scenario: {row['scenario']!r} is not a library scenario; allowed empty or one of {', '.join(library)}")
    out += _parameter_problems(row["parameters"])
    if status == "structural":
        if not row["test"].strip():
            out.append("test: empty; allowed the test that checks a structural claim (tests/FILE.py::NAME)")
        if not row["note"].strip():
            out.append("note: empty; allowed why a structural claim has no switch")
        for col in run_cols:
            if row[col].strip():
                out.append(f"{col}: given for a structural claim; allowed empty (or make it modelled)")
        return out
    # modelled
    worlds: dict[str, World] = {}
    for col in ("treatment", "reference"):
        try:
            worlds[col] = parse_world(row[col])
        except ValueError as e:
            out.append(f"{col}: {e}; allowed SCENARIO or SCENARIO + KEY=VALUE; KEY=VALUE")
            continue
        bad = check_keys(worlds[col].overrides)
        if bad:
            out.append(f"{col}: {', '.join(bad)} not a scenario lever or weights.NAME; allowed the keys of 'connsim show'")
    switch: dict[str, Any] | None = None
    try:
        switch = parse_overrides(row["switch"])
    except ValueError as e:
        out.append(f"switch: {e}; allowed KEY=VALUE; KEY=VALUE")
    if switch is not None:
        if not switch:
            out.append("switch: empty; allowed the overrides that turn the mechanism off (weights.NAME=0; LEVER=VALUE)")
        bad = check_keys(switch)
        if bad:
            out.append(f"switch: {', '.join(bad)} not a scenario lever or weights.NAME; allowed the keys of 'connsim show'")
    year = None
    if not re.fullmatch(r"\d{4}", row["year"]):
        out.append(f"year: got {row['year']!r}; allowed a whole year (the outcome is read at the start of it)")
    else:
        year = int(row["year"])
    if row["direction"] not in ("+", "-"):
        out.append(f"direction: got {row['direction']!r}; allowed + (the treatment raises the outcome) or -")
    try:
        m = float(row["min_effect"])
        if not (m >= 0 and math.isfinite(m)):
            raise ValueError
    except ValueError:
        out.append(f"min_effect: got {row['min_effect']!r}; allowed a number from 0 (in the outcome's unit)")
    if row["outcome"] not in _outcome_names():
        out.append(f"outcome: {row['outcome']!r} is not a column of model_vars; allowed a name of docs/outcomes.md")
    if resolve and not out:
        from connsim.scenario import ScenarioError

        for col, world in worlds.items():
            for label, sw in (("", None), (" with the switch", switch)):
                try:
                    spec = world.build(sw)
                except ScenarioError as e:
                    out.append(f"{col}{label}: {' '.join(str(e).split())}")
                    break
                if year is not None and not spec.start_year < year <= spec.end_year + 1:
                    out.append(f"year: {year} is outside {col}'s horizon; allowed {spec.start_year + 1}..{spec.end_year + 1}")
                    break
    return out


def _parameter_problems(text: str) -> list[str]:
    from connsim.scenario import Scenario
    from connsim.seeds import SEEDS_DIR
    from connsim.weights import Weights

    out = []
    params = [p.strip() for p in text.split(",") if p.strip()]
    if not params:
        return ["parameters: empty; allowed weights.NAME, a scenario lever, seeds/FILE or decisions.MODULE, comma-separated"]
    for p in params:
        if p.startswith("weights."):
            ok = p.removeprefix("weights.") in Weights.model_fields
        elif p.startswith("seeds/"):
            ok = (Path(SEEDS_DIR) / p.removeprefix("seeds/").split(" ")[0]).exists()
        elif p.startswith("decisions."):
            ok = find_spec(f"connsim.{p}") is not None
        else:
            ok = p in Scenario.model_fields
        if not ok:
            out.append(f"parameters: {p!r} names nothing; allowed weights.NAME, a scenario lever, seeds/FILE or decisions.MODULE")
    return out


def _outcome_names() -> frozenset[str]:
    from connsim import outcomes
    from connsim.seeds import load_seeds

    return frozenset(outcomes.columns(tuple(load_seeds().vendors["vendor"])))


# --- the check ----------------------------------------------------------------------------------------------


def _select(table: pd.DataFrame, claims: Sequence[str] | str | None) -> pd.DataFrame:
    modelled = table[table["status"] == "modelled"]
    if claims is None:
        return modelled
    if isinstance(claims, str):
        claims = [c.strip() for c in claims.split(",") if c.strip()]
    known = set(table["claim_id"])
    unknown = [c for c in claims if c not in known]
    if unknown:
        raise ClaimsError(f"claims: unknown claim {', '.join(unknown)}; allowed ids of the claims table (connsim claims)")
    not_run = [c for c in claims if c not in set(modelled["claim_id"])]
    if not_run:
        raise ClaimsError(f"claims: {', '.join(not_run)} not modelled (no switch to check); allowed a modelled claim")
    return modelled.set_index("claim_id").loc[list(dict.fromkeys(claims))].reset_index()


def check_claims(
    claims: Sequence[str] | str | None = None,
    *,
    seeds: int = 30,
    first_seed: int = 0,
    workers: int | None = None,
    executor=None,
    progress: bool = False,
    table: pd.DataFrame | str | Path | None = None,
) -> pd.DataFrame:
    """Run each modelled claim's effect with its mechanism and with its switch; one row per claim.

    Parameters
    ----------
    claims : claim ids (a list or ``"C1,C5"``); default every modelled claim.
    seeds : seeds ``first_seed .. first_seed + seeds - 1``, the same for every world (common random
        numbers: the effect of a seed is a paired difference). At least 2.
    workers, executor, progress : as in :func:`connsim.run_ensemble`.
    table : the claims table (a frame from :func:`load_claims`, or its path); default ``seeds/claims.csv``.

    Returns
    -------
    DataFrame, one row per claim: ``claim_id``, ``kind`` (contrast / ablation), ``outcome``, ``year``,
    ``direction``, ``min_effect``, ``effect_with`` (mean paired difference, outcome units), ``se_with``,
    ``spread`` (standard deviation of the paired differences over seeds), ``effect_without``,
    ``se_without``, ``spread_without``, ``seeds``, ``present``, ``gone``, ``bites``, ``verdict``.

    Notes
    -----
    Each distinct world (scenario after overrides and switch) runs once per seed, however many
    claims share it: about 4 x claims x seeds runs of 30 ms, fewer where claims share a reference.
    """
    from connsim.experiments import run_ensemble
    from connsim.experiments.design import DesignError

    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 2:
        raise ClaimsError(f"seeds: got {seeds!r}; allowed a whole number from 2 (a spread needs two seeds)")
    if isinstance(first_seed, bool) or not isinstance(first_seed, (int, np.integer)) or first_seed < 0:
        raise ClaimsError(f"first_seed: got {first_seed!r}; allowed a whole number from 0")
    frame = table if isinstance(table, pd.DataFrame) else load_claims(table)
    chosen = _select(frame, claims)
    seed_list = list(range(int(first_seed), int(first_seed) + int(seeds)))

    # every distinct world of every claim, grouped by the year its outcome is read at
    keys: dict[tuple[str, int], str] = {}
    specs: dict[int, dict[str, Any]] = {}
    plan = []
    for _, row in chosen.iterrows():
        year = int(row["year"])
        switch = parse_overrides(row["switch"])
        labels = {}
        for col in ("treatment", "reference"):
            world = parse_world(row[col])
            for arm, sw in (("with", None), ("without", switch)):
                spec = world.build(sw)
                key = (spec.model_dump_json(exclude={"name", "description", "extends"}), year)
                if key not in keys:
                    keys[key] = f"w{len(keys)}"
                    specs.setdefault(year, {})[keys[key]] = spec
                labels[(col, arm)] = keys[key]
        plan.append((row, labels))

    values: dict[str, pd.Series] = {}  # world label -> outcome per seed, per outcome
    for year, named in specs.items():
        outcomes_needed = sorted({r["outcome"] for r, lab in plan if int(r["year"]) == year})
        some = next(iter(named.values()))
        until = None if year == some.end_year + 1 else year
        try:
            ens = run_ensemble(
                named,
                seeds=seed_list,
                until=until,
                workers=workers,
                executor=executor,
                progress=progress,
                outcomes=outcomes_needed,
            )
        except DesignError as e:
            raise ClaimsError(str(e)) from None
        if ens.n_failed:
            first = ens.failures.iloc[0]
            raise RuntimeError(f"claim runs failed: world {first['scenario']}, seed {first['seed']}: {first['error']}")
        ends = ens.ends(float(year))
        for label, group in ends.groupby("scenario"):
            g = group.set_index("seed").loc[seed_list]
            for o in outcomes_needed:
                # an outcome named like a lever column of the ensemble (eu_toolbox_strength) is <name>_outcome
                values[(label, o)] = g[f"{o}_outcome" if f"{o}_outcome" in g.columns else o].to_numpy(float)

    rows = []
    for row, labels in plan:
        o, sign = row["outcome"], 1.0 if row["direction"] == "+" else -1.0
        d_with = values[(labels[("treatment", "with")], o)] - values[(labels[("reference", "with")], o)]
        d_wo = values[(labels[("treatment", "without")], o)] - values[(labels[("reference", "without")], o)]
        ablation = labels[("reference", "with")] == labels[("treatment", "without")]
        rows.append(_judge(row, d_with, d_wo, sign, "ablation" if ablation else "contrast"))
    return pd.DataFrame(rows)


def _judge(row, d_with: np.ndarray, d_wo: np.ndarray, sign: float, kind: str) -> dict[str, Any]:
    n = len(d_with)
    e_with, e_wo = float(d_with.mean()), float(d_wo.mean())
    sd_with, sd_wo = float(d_with.std(ddof=1)), float(d_wo.std(ddof=1))
    se_with, se_wo = sd_with / math.sqrt(n), sd_wo / math.sqrt(n)
    present = bool(sign * e_with > Z * se_with and sign * e_with >= float(row["min_effect"]))
    bound = FRACTION * sign * e_with
    gone = bool(present and sign * e_wo + Z * se_wo < bound)
    if not present:
        significant = sign * e_with > Z * se_with
        verdict = "too small (below min_effect)" if significant else "not present"
    elif gone:
        verdict = "bites" + (" (ablation)" if kind == "ablation" else "")
    elif sign * e_wo - Z * se_wo >= bound:
        verdict = "survives the switch"
    else:
        verdict = "undecided (more seeds)"
    return {
        "claim_id": row["claim_id"],
        "kind": kind,
        "outcome": row["outcome"],
        "year": int(row["year"]),
        "direction": row["direction"],
        "min_effect": float(row["min_effect"]),
        "effect_with": e_with,
        "se_with": se_with,
        "spread": sd_with,
        "effect_without": e_wo,
        "se_without": se_wo,
        "spread_without": sd_wo,
        "seeds": n,
        "present": present,
        "gone": gone,
        "bites": present and gone,
        "verdict": verdict,
    }


# --- reading it --------------------------------------------------------------------------------------------


def claims_table_text(table: pd.DataFrame, width: int = 100) -> str:
    """The claims table for a terminal: one block per claim (id, status, section, the paper's words,
    the mechanism, and for a modelled claim its effect and switch; otherwise its test or reason)."""
    import textwrap

    counts = table["status"].value_counts()
    lines = [
        f"{len(table)} claims: " + ", ".join(f"{int(counts.get(s, 0))} {s.replace('_', ' ')}" for s in STATUSES),
        "",
    ]

    def wrap(label: str, text: str) -> list[str]:
        return textwrap.wrap(text, width=width, initial_indent=f"  {label:<11}", subsequent_indent=" " * 13) or [f"  {label}"]

    for _, r in table.iterrows():
        lines.append(f"{r['claim_id']}  [{r['status'].replace('_', ' ')}]  {r['section']}")
        lines += wrap("paper", f'"{r["claim"]}"')
        if r["status"] != "not_modelled":
            lines += wrap("mechanism", r["mechanism"])
            lines += wrap("parameters", r["parameters"])
        if r["scenario"]:
            lines += wrap("scenario", r["scenario"])
        if r["status"] == "modelled":
            sign = "raises" if r["direction"] == "+" else "lowers"
            lines += wrap(
                "effect",
                f"{_short_world(r['treatment'])}  vs  {_short_world(r['reference'])}: {sign} {r['outcome']} at {r['year']} "
                f"(by >= {r['min_effect']:g})",
            )
            lines += wrap("switch", r["switch"])
        if r["test"]:
            lines += wrap("test", r["test"])
        if r["note"]:
            lines += wrap("note" if r["status"] != "not_modelled" else "why not", r["note"])
        lines.append("")
    return "\n".join(lines)


def _short_world(text: str) -> str:
    """A world for a terminal, its events summarised (``events: core_excluded (vendor_policy) in DEU FRA from 2020``)."""
    world = parse_world(text)
    events = world.overrides.get("events")
    if not events:
        return text
    groups: dict[tuple, list[str]] = {}
    for ev in events:
        groups.setdefault((ev.get("kind"), ev.get("value"), ev.get("year")), []).append(str(ev.get("iso3", "")))
    said = "; ".join(f"{value} ({kind}) in {' '.join(states)} from {year:g}" for (kind, value, year), states in groups.items())
    rest = "; ".join(f"{k}={v}" for k, v in world.overrides.items() if k != "events")
    return f"{world.scenario} + " + "; ".join(x for x in (rest, f"events: {said}") if x)


def results_text(results: pd.DataFrame) -> str:
    """The results of :func:`check_claims` as an aligned table for a terminal."""
    shown = results[
        ["claim_id", "kind", "outcome", "year", "effect_with", "spread", "effect_without", "spread_without", "seeds", "verdict"]
    ]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        body = shown.to_string(index=False, float_format=lambda x: f"{x:.4g}")
    n_bite = int(results["bites"].sum())
    return (
        f"{body}\n\n{n_bite} of {len(results)} claims bite (present with the mechanism, gone without it); "
        f"present: mean paired effect > {Z:g} standard errors and >= min_effect; gone: the effect without the "
        f"mechanism plus {Z:g} standard errors is below {FRACTION:g} of the effect with it"
    )


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def results_markdown(results: pd.DataFrame) -> str:
    """The results of :func:`check_claims` as a Markdown table (``docs/claims.md``)."""
    lines = [
        "| claim | kind | outcome at year | effect with (se) | spread | effect without (se) | seeds | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.itertuples():
        lines.append(
            f"| {r.claim_id} | {r.kind} | `{r.outcome}` {r.year} ({r.direction}) | {r.effect_with:.4g} ({r.se_with:.2g}) | "
            f"{r.spread:.3g} | {r.effect_without:.4g} ({r.se_without:.2g}) | {r.seeds} | {r.verdict} |"
        )
    return "\n".join(lines)


def claims_markdown(table: pd.DataFrame) -> str:
    """The claims table as Markdown: one row per claim with its status, section, words, and its check
    (treatment vs reference, switch) or why it has none."""
    lines = ["| claim | status | section | the paper | carried by | check or reason |", "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        if r["status"] == "modelled":
            check = (
                f"{_short_world(r['treatment'])} vs {_short_world(r['reference'])}, `{r['outcome']}` {r['year']} "
                f"({r['direction']}); switch `{r['switch']}`"
            )
        elif r["status"] == "structural":
            check = f"{r['test']}: {r['note']}"
        else:
            check = r["note"]
        carried = r["mechanism"] if r["status"] != "not_modelled" else "-"
        lines.append(
            f'| {r["claim_id"]} | {r["status"]} | {_md(r["section"])} | "{_md(r["claim"])}" | {_md(carried)} | {_md(check)} |'
        )
    return "\n".join(lines)
