"""Readable summaries in Jupyter: the ``_repr_html_`` of a Scenario, a RunResult and an EnsembleResult.

Each is a compact table with the numbers a student needs first, the registry's labels and units,
and a line on where to go next. Every text from the data is escaped.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from connsim import outcomes as registry

__all__ = ["scenario_html", "run_html", "ensemble_html", "HEADLINE"]

#: The outcomes a run's and an ensemble's summary show (labels and units from the registry).
HEADLINE = (
    "law_share",
    "convergence_index",
    "free_flow_gdp_pair_share",
    "us_allies_restricting",
    "eu_restricting",
    "hr_core_share_world",
    "hr_ran_share_world",
    "anchored_eu_jpn",
    "anchored_china",
)
_TABLE = 'style="border-collapse:collapse;font-size:90%"'
_CELL = 'style="padding:2px 8px;text-align:{align}"'


def _e(x: Any) -> str:
    return html.escape(str(x))


def _table(header: list[str], rows: list[list[Any]], numeric: tuple[int, ...] = ()) -> str:
    """An HTML table; the columns in ``numeric`` right-aligned."""

    def align(k: int) -> str:
        return _CELL.format(align="right" if k in numeric else "left")

    head = "".join(f"<th {align(k)}>{_e(h)}</th>" for k, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td {align(k)}>{_e(c)}</td>" for k, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table {_TABLE}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _num(v: float, kind: str) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:.0f}" if kind == "count" else f"{v:.1f}" if kind == "usd" else f"{v:.3f}"


def _value(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}" if v else "{}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def scenario_html(spec) -> str:
    """A scenario: name, years, the levers (and behaviour, weights) that differ from the baseline, events."""
    from connsim.scenario import Scenario, load_scenario, parameter_table

    try:
        baseline = load_scenario("baseline")
    except Exception:  # a patched library without a baseline: compare with the defaults
        baseline = Scenario()
    rows = parameter_table(spec, reference=baseline)
    base = {r["key"]: r["value"] for r in parameter_table(baseline)}
    changed = [r for r in rows if r["changed"] and r["section"] in ("levers", "behaviour", "weights")]
    parts = [
        f"<div><p><b>Scenario {_e(spec.name)}</b>"
        + (f" (extends {_e(spec.extends)})" if spec.extends else "")
        + f": {spec.start_year}-{spec.end_year}, {spec.steps_per_year} steps a year ({spec.n_steps} steps)</p>"
    ]
    if spec.description:
        text = spec.description if len(spec.description) <= 300 else spec.description[:297] + "..."
        parts.append(f"<p><i>{_e(text)}</i></p>")
    if changed:
        parts.append(f"<p>{len(changed)} setting{'s' if len(changed) != 1 else ''} differ from the baseline:</p>")
        parts.append(
            _table(
                ["setting", "value", "baseline", "unit"],
                [[r["key"], _value(r["value"]), _value(base.get(r["key"])), r["unit"]] for r in changed],
            )
        )
    else:
        parts.append("<p>No lever differs from the baseline.</p>")
    if spec.events:
        parts.append(f"<p>{len(spec.events)} event{'s' if len(spec.events) != 1 else ''}:</p>")
        parts.append(
            _table(
                ["year", "kind", "state", "value", "holds"],
                [
                    [
                        f"{e.year:g}",
                        e.kind,
                        e.iso3 or "",
                        _value(e.value),
                        f"{e.hold_years:g} years" if e.hold_years else "to the end",
                    ]
                    for e in spec.events
                ],
            )
        )
    else:
        parts.append("<p>No events.</p>")
    parts.append("<p>Run it: <code>connsim.run(scenario, seed=0)</code>.</p></div>")
    return "".join(parts)


def _when(year: float, end: bool) -> str:
    from connsim.plots import _year_text

    return _year_text(year, end=end)


def run_html(result) -> str:
    """A run: scenario, seed, years, headline outcomes at the start and the end, and how to go on."""
    mv = result.model_vars
    first, last = mv.iloc[0], mv.iloc[-1]
    rows = []
    for key in HEADLINE:
        if key not in mv:
            continue
        o = registry.outcome(key)
        rows.append([o.label, _num(first[key], o.kind), _num(last[key], o.kind), o.unit])
    agents = result.agents is not None
    steps = len(mv) - 1
    parts = [
        f"<div><p><b>Run of {_e(result.scenario.name)}, seed {result.seed}</b>: "
        f"{_when(first['year'], False)} to {_when(last['year'], True)}, {steps} steps"
        + (", every state's choices recorded" if agents else "")
        + "</p>",
        _table(["outcome", _when(first["year"], False), _when(last["year"], True), "unit"], rows, numeric=(1, 2)),
        f"<p>Frames: <code>result.model_vars</code> ({len(mv)} rows x {mv.shape[1]} columns, see docs/outcomes.md)"
        + (", <code>result.agent_vars</code> (one row per step and state)" if agents else "")
        + "; <code>result.summary()</code>; <code>result.plot()</code>"
        + (f"; why a state chose: <code>result.explain('KEN', step={steps})</code>" if agents else "")
        + ".</p></div>",
    ]
    return "".join(parts)


def ensemble_html(ens, outcomes=None) -> str:
    """An ensemble: scenarios, replications, runs done and failed, headline outcomes (median and 5-95%)."""
    exp = ens.experiments
    reps = int(exp["replication"].max()) + 1 if len(exp) else 0
    scenarios = list(dict.fromkeys(exp["scenario"])) if len(exp) else []
    pending = ens.n_runs - ens.n_done - ens.n_failed
    parts = [
        f"<div><p><b>{_e(type(ens).__name__)} ({_e(ens.kind)})</b>: {len(scenarios)} scenario"
        f"{'s' if len(scenarios) != 1 else ''} ({_e(', '.join(map(str, scenarios[:8])))}"
        f"{', ...' if len(scenarios) > 8 else ''}) x {reps} replication{'s' if reps != 1 else ''} = {ens.n_runs} runs: "
        f"<b>{ens.n_done} done</b>, {ens.n_failed} failed" + (f", {pending} pending" if pending else "") + "</p>"
    ]
    if ens.levers:
        parts.append(f"<p>Levers that differ between runs: {_e(', '.join(ens.levers))}</p>")
    if ens.n_failed:
        first = ens.failures.iloc[0]
        parts.append(
            f"<p>First failure: run {first['run_id']} ({_e(first['scenario'])}, seed {first['seed']}): {_e(first['error'])}"
            " (all: <code>.failures</code>)</p>"
        )
    if ens.n_done:
        from connsim.experiments.ensemble import KEY_OUTCOMES

        table = ens.summary(list(outcomes or KEY_OUTCOMES))
        rows = []
        for key in dict.fromkeys(table.index.get_level_values(0)):
            try:
                o = registry.outcome(key)
            except KeyError:  # a reporter, not an outcome
                o = None
            kind = o.kind if o else "level"
            cells = [o.label if o else key]
            for s in table.columns:
                med, lo, hi = (table.loc[(key, stat), s] for stat in ("median", "q05", "q95"))
                cells.append(f"{_num(med, kind)} [{_num(lo, kind)}, {_num(hi, kind)}]")
            cells.append(o.unit if o else "")
            rows.append(cells)
        parts.append("<p>End of run: median [5%, 95%] over runs</p>")
        parts.append(_table(["outcome", *map(str, table.columns), "unit"], rows, numeric=tuple(range(1, len(table.columns) + 1))))
    parts.append(
        "<p><code>.model_vars</code>, <code>.experiments</code>, <code>.summary()</code>, <code>.plot()</code> (fan chart)</p></div>"
    )
    return "".join(parts)
