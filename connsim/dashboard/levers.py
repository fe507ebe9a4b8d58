"""What the dashboard shows and moves, without a browser: lever controls from the scenario schema,
the model a page runs, each power's levers now, and a country's choices with their reasons.

Nothing here imports Solara: the page (:mod:`connsim.dashboard.page`) draws these, and the tests
check them directly.

A control is a Mesa ``model_params`` entry (a dict with ``type``, ``value``, ``min``, ``max``,
``step``, ``label``), made from the field metadata of :class:`~connsim.scenario.Scenario` (range
and unit) or :class:`~connsim.weights.Weights` (range). A table lever takes one control per donor
under its key path, ``oda_budget_scale.EUU``. A control left at its starting value keeps the
scenario's own value, schedules included: moving ``us_china_conflict`` replaces the scenario's
schedule by the number chosen, leaving it alone keeps the schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types as atypes
import numpy as np
import pandas as pd

from connsim import dynamics
from connsim.decisions import powers as _powers
from connsim.model import WorldModel
from connsim.names import DONORS, POLICIES, POSITIONS, POWERS
from connsim.scenario import Range, Scenario, ScenarioError, load_scenario
from connsim.weights import Weights

__all__ = [
    "MAIN_LEVERS",
    "POWER_LEVERS",
    "WORLD_LEVERS",
    "meaning",
    "LABELS",
    "lever_label",
    "DashboardModel",
    "controls",
    "control",
    "control_default",
    "lever_changes",
    "lever_value",
    "power_view",
    "NOW",
    "now_rows",
    "country_choices",
    "reason",
]

#: The levers on the page, in the order of the sidebar (scenario fields and table key paths).
MAIN_LEVERS = (
    "us_china_conflict",
    "us_pressure",
    "eu_toolbox_strength",
    "adequacy_openness",
    "eu_japan_cooperation",
    "japan_vendor_push",
    "dfft_multilateral_push",
    "digital_silk_road_intensity",
    "eu_jp_oda_coordination",
    "open_connected_ring",
    "india_trilateral",
    "oda_budget_scale.EUU",
    "oda_staffing.EUU",
    "oda_budget_scale.JPN",
)

#: Short labels of the levers (the unit from the schema is added to each).
LABELS = {
    "us_china_conflict": "US-China conflict",
    "us_pressure": "US pressure on partners",
    "eu_toolbox_strength": "EU 5G toolbox strength",
    "adequacy_openness": "EU adequacy openness",
    "eu_japan_cooperation": "EU-Japan cooperation",
    "japan_vendor_push": "Japan's vendor push (NEC, Fujitsu)",
    "dfft_multilateral_push": "Japan's DFFT push (G20, WTO)",
    "digital_silk_road_intensity": "Digital Silk Road intensity",
    "eu_jp_oda_coordination": "EU-Japan ODA coordination",
    "open_connected_ring": "ODA focus on the ring around Europe",
    "india_trilateral": "EU/Japan programmes with Indian partners",
    "oda_budget_scale": "digital-ODA budget",
    "oda_staffing": "digital-ODA staffing",
}

#: Which levers belong to which power, for the page's panel of each power and the classroom
#: player's decisions: the powers' own decisions (connsim.decisions.powers).
POWER_LEVERS = _powers.POWER_LEVERS  # each power's own decisions (connsim.decisions.powers)
POWER_NAMES = {"EUU": "European Union", "JPN": "Japan", "USA": "United States", "CHN": "China"}
#: The levers no single power holds: the conflict, and the focus of EU and Japanese ODA.
WORLD_LEVERS = ("us_china_conflict", "open_connected_ring", "india_trilateral")


def lever_label(name: str) -> str:
    """A lever's short label, a donor table's key named (``oda_budget_scale.JPN``: "JPN digital-ODA budget")."""
    head, _, key = name.partition(".")
    label = LABELS.get(head, head.replace("_", " "))
    return f"{'EU' if key == 'EUU' else key} {label}" if key else label


#: Slider steps where a twentieth of the range is not fine enough (refined further where the
#: scenario's value would not lie on the grid).
_STEPS = {"adequacy_openness": 0.005, "oda_budget_scale": 0.1}
_SEED_MAX = 99


# --- controls from the schema ----------------------------------------------------------------------


def _field(name: str):
    """(owner class, field info, table key or None) of a lever, weight or table key path."""
    head, _, key = name.partition(".")
    if head in Scenario.model_fields:
        if key and key not in DONORS:
            raise ScenarioError("dashboard", [f"{name}: {key!r} is not a donor; allowed {', '.join(DONORS)}"])
        return Scenario, Scenario.model_fields[head], key or None
    if head in Weights.model_fields and not key:
        return Weights, Weights.model_fields[head], None
    raise ScenarioError("dashboard", [f"{name}: not a scenario lever or weight; allowed the keys that 'connsim show' lists"])


def _bounds(info, table: bool) -> tuple[float, float, bool] | None:
    """(lo, hi, lo_open) of a numeric field, or of the values of a table field (its value type)."""
    metadata = list(info.metadata)
    annotation = info.annotation
    if table:  # dict[Donor, value]: the bounds are on the value type
        metadata = list(getattr(get_args(annotation)[1], "__metadata__", ()))
        value = get_args(annotation)[1]
        for arg in get_args(value):  # a Scale schedule: Annotated[Union[...], ..., Range]
            metadata += list(getattr(arg, "__metadata__", ()))
    for m in metadata:
        if isinstance(m, Range):
            return float(m.lo), float(m.hi), bool(m.lo_open)
    lo = hi = None
    lo_open = False
    for m in metadata:
        if isinstance(m, atypes.Ge):
            lo = m.ge
        elif isinstance(m, atypes.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, atypes.Le):
            hi = m.le
        elif isinstance(m, atypes.Interval):
            lo, hi, lo_open = m.ge if m.gt is None else m.gt, m.le, m.gt is not None
    return None if lo is None or hi is None else (float(lo), float(hi), lo_open)


def control_default(spec: Scenario, name: str) -> Any:
    """The value a control starts at: the scenario's value at its start year (a schedule's first
    value), a table's entry for the donor (or the seed value: staffing from ``seeds/donors.csv``,
    budget scale 1)."""
    owner, info, key = _field(name)
    head = name.partition(".")[0]
    if owner is Weights:
        return getattr(spec.weights, head)
    value = getattr(spec, head)
    if key is not None:
        if key in value:
            value = value[key]
        elif head == "oda_staffing":
            from connsim.seeds import load_seeds

            donors = load_seeds().donors.set_index("donor")
            return float(donors.loc[key, "staffing"])
        else:
            return 1.0
    if isinstance(value, dict):
        return float(spec.at(head, spec.start_year))
    return value


def meaning(name: str) -> str:
    """What a lever or weight means, from the schema (its description)."""
    _, info, key = _field(name)
    text = info.description or ""
    if key is not None:
        text = text.split(" (donors")[0].replace("donor -> ", f"{key}: ")
    return text


def control(spec: Scenario, name: str) -> dict:
    """The Mesa ``model_params`` entry of one lever or weight: a slider over the schema's range,
    a select over a choice's options, a checkbox for a switch; labelled with the unit.

    Raises :class:`~connsim.scenario.ScenarioError` for a name that is no lever or weight."""
    owner, info, key = _field(name)
    head = name.partition(".")[0]
    value = control_default(spec, name)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit = extra.get("unit", "")
    label = lever_label(name)
    if unit and unit not in ("0..1",):
        label = f"{label} ({unit})"
    if get_origin(info.annotation) is Literal:
        return {"type": "Select", "value": value, "values": list(get_args(info.annotation)), "label": label}
    if info.annotation is bool:
        return {"type": "Checkbox", "value": bool(value), "label": label}
    bounds = _bounds(info, table=key is not None)
    if bounds is None:
        raise ScenarioError("dashboard", [f"{name}: has no range to make a slider of"])
    lo, hi, lo_open = bounds
    step = _STEPS.get(head, _nice_step((hi - lo) / 20))
    if lo_open:
        lo = lo + step  # "above 0": the slider starts one step up
    # a finer step where the start (a calibrated value, a scenario's own) does not lie on the grid
    while step > 1e-6 and abs(round((float(value) - lo) / step) * step - (float(value) - lo)) > 1e-9:
        step = _nice_step(step * 0.999)
    return {"type": "SliderFloat", "value": float(value), "min": lo, "max": hi, "step": step, "label": label}


def _nice_step(x: float) -> float:
    """1, 2 or 5 times a power of ten, at most ``x``."""
    e = math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * 10**e <= x:
            return float(f"{m * 10**e:.12g}")
    return 10.0**e


def controls(spec: str | Path | Scenario | dict = "baseline", levers: Iterable[str] = MAIN_LEVERS, seed: int = 0) -> dict:
    """The ``model_params`` of a SolaraViz page for :class:`DashboardModel`: the scenario (fixed),
    the seed, and one control per lever (:func:`control`)."""
    spec = load_scenario(spec)
    params: dict[str, Any] = {
        "spec": spec,
        "seed": {"type": "SliderInt", "value": int(seed), "min": 0, "max": _SEED_MAX, "step": 1, "label": "seed"},
    }
    for name in levers:
        params[name] = control(spec, name)
    return params


def lever_changes(spec: Scenario, values: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario changes that control values ask for, as :func:`~connsim.scenario.with_parameters`
    takes them: values equal to the control's start are left out (the scenario keeps its own, a
    schedule included), table key paths merge into their table."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        _field(name)
        if isinstance(value, np.generic):
            value = value.item()
        if _same(value, control_default(spec, name)):
            continue
        head, _, key = name.partition(".")
        if key:
            changes.setdefault(head, {})[key] = value
        else:
            changes[name] = value
    return changes


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
    return a == b


class DashboardModel(WorldModel):
    """The model of one dashboard session: :class:`~connsim.model.WorldModel` built from a scenario,
    a seed and the page's control values (:func:`lever_changes`), recording every state's
    choices and their terms (for the country table).

    Mesa's Reset button builds a new one with the controls' values; Mesa 3.5 passes its own
    ``scenario=`` too (only its rng would be read, and the seed is given here)."""

    def __init__(
        self,
        spec: str | Path | Scenario | dict = "baseline",
        *,
        seed: int = 0,
        scenario: Any = None,
        strategies: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ScenarioError("dashboard", [f"seed: got {seed!r}; allowed a whole number from 0"])
        base = load_scenario(spec)
        self.run_seed = int(seed)
        self.controls_given = dict(kwargs)
        # ``strategies`` (issue 12's interface, for classroom mode) goes to WorldModel only when given
        extra = {} if strategies is None else {"strategies": strategies}
        super().__init__(base, rng=self.run_seed, scenario=scenario, record_agents=True, **extra, **lever_changes(base, kwargs))


# --- what the page reads from a model --------------------------------------------------------------


def lever_value(model: WorldModel, name: str) -> Any:
    """A lever's value in force during the model's next step (its last, once the run has ended)."""
    _field(name)
    head, _, key = name.partition(".")
    lv = model.levers[min(model.t, model.n_steps - 1)]
    if model.state.decided:  # the powers' decisions of the year, in force until the next
        lv = dynamics.in_force(lv, model.state.decided, model.constants)
    values = dynamics.course_of(lv, model.constants)
    if name in values:
        return values[name]
    if head == "oda_budget_scale":
        return float(lv.oda_scale[DONORS.index(key)])
    if hasattr(lv, head) and np.ndim(getattr(lv, head)) == 0:
        return float(getattr(lv, head))
    return control_default(model.spec, name)


#: The outcomes of the page's Now panel and how each is shown.
NOW = (
    ("convergence_index", "{:.3f}"),
    ("law_share", "{:.1%}"),
    ("eu_restricting", "{:.1%}"),
    ("us_allies_restricting", "{:.1%}"),
    ("hr_core_share_eu", "{:.1%}"),
    ("hr_core_share_third", "{:.1%}"),
    ("free_flow_gdp_pair_share", "{:.1%}"),
    ("anchored_eu_jpn", "{:.0f}"),
    ("anchored_china", "{:.0f}"),
)


def now_rows(model: WorldModel) -> list[tuple[str, str]]:
    """The Now panel's rows: (label, value as shown) of each of :data:`NOW` at the last recorded step."""
    from connsim.outcomes import label

    last = model.recorder.model_frame().iloc[-1]
    return [(label(name), fmt.format(last[name])) for name, fmt in NOW]


def power_view(model: WorldModel, power: str) -> dict:
    """What the page shows of a power: the year and step, its levers' values now, and its
    strategic-autonomy scorecard at the last recorded step (a mapping of plain values)."""
    if power not in POWERS:
        raise KeyError(f"no power {power!r}; powers are {', '.join(POWERS)}")
    last = model.recorder.model_frame().iloc[-1]
    return {
        "power": power,
        "name": POWER_NAMES[power],
        "year": float(model.year),
        "step": int(model.t),
        "levers": {name: lever_value(model, name) for name in POWER_LEVERS[power]},
        "scorecard": {
            "security": float(last[f"scorecard_security_{power}"]),
            "cost_usd_bn": float(last[f"scorecard_cost_usd_bn_{power}"]),
            "data_access": float(last[f"scorecard_data_access_{power}"]),
            "norm_reach": float(last[f"scorecard_norm_reach_{power}"]),
        },
    }


def _result(model: WorldModel):
    """A :class:`~connsim.runner.RunResult` over the model's record so far (for ``explain``)."""
    from connsim.runner import RunResult

    rec = model.recorder
    return RunResult(model.spec, getattr(model, "run_seed", 0), None, rec.agent_record(copy=False), powers=rec.power_log())


def country_choices(model: WorldModel, iso3: str) -> dict:
    """A state's situation and its choices at the last step, with their reasons.

    Returns a mapping: ``iso3``, ``name``, ``kind``, ``status`` (its law, orientation, 5G policy,
    adequacy, main ODA partner, threat perception, capacity, high-risk shares now), ``decisions``
    (decision -> the frame of :meth:`~connsim.runner.RunResult.explain` for that decision: one row
    per option with its utility terms, utility, probability and whether it is held), ``revised``
    (decision -> whether the state could revise it in that step) and ``note`` (why there is no
    table, when there is none)."""
    agent = model.agent(iso3)
    st = model.state
    out: dict[str, Any] = {"iso3": iso3, "name": agent.name, "kind": type(agent).__name__, "decisions": {}, "revised": {}}
    if iso3 != "EUU":
        i = agent.index
        partner = int(np.argmax(st.strength[i])) if st.strength[i].max() > 0 else -1
        out["status"] = {
            "data-protection law": "yes" if st.has_law[i] else "no",
            "orientation": POSITIONS[st.position[i]],
            "5G policy": POLICIES[st.policy[i]],
            "EU adequacy": "yes" if st.adequacy[i] else "no",
            "main ODA partner": DONORS[partner] if partner >= 0 else "none",
            "threat perception": f"{st.threat[i]:.2f}",
            "capacity": f"{st.capacity[i]:.2f}",
            "high-risk share, core / radio": f"{st.hr_core[i]:.0%} / {st.hr_ran[i]:.0%}",
        }
    else:
        out["status"] = {"adequacy decisions": int(st.adequacy.sum())}
    if model.t == 0:
        out["note"] = "No choice yet: step the model (step 0 is the start of 2019)."
        return out
    result = _result(model)
    if iso3 in POWERS:  # a power: its yearly decisions (and, for the EU, its adequacy assessments)
        frame = result.explain_power(iso3, model.t)
        out["decisions"]["yearly decisions"] = frame
        out["note"] = f"{iso3} decides once a year ({frame.attrs['strategy']}); its decisions of {frame.attrs['year']:g}."
        if iso3 == "EUU":
            try:
                out["decisions"]["adequacy"] = result.explain_adequacy(model.t)
            except ValueError:
                pass
        return out
    try:
        frame = result.explain(iso3, model.t)
    except ValueError as e:  # nothing to explain at this step
        out["note"] = str(e)
        return out
    attrs = frame.attrs
    for decision, rows in frame.groupby("decision", sort=False):
        rows = rows.dropna(axis=1, how="all").drop(columns="decision").set_index("option")
        out["decisions"][decision] = rows
        field = {"vendor_policy": "revised_policy", "law": "revised_law", "regime": "revised_regime"}.get(
            decision, "assessed_adequacy"
        )
        out["revised"][decision] = bool(attrs.get(field, False))
    return out


def reason(decision: str, rows: pd.DataFrame, revised: bool) -> str:
    """One sentence: the option held, its probability, and the utility term that separates it most
    from the best other option; for a state that could not revise, that it kept its choice."""
    if decision == "adequacy" and "log_odds" in rows.columns:  # the EU's assessments of the year
        holding = rows.index[rows["granted"].astype(bool)].tolist()
        return f"{len(rows)} candidates assessed; holding adequacy after it: {', '.join(holding) if holding else 'none'}."
    held = rows.index[rows["held"].astype(bool)]
    if held.empty:
        return ""
    chosen = held[0]
    terms = [c for c in rows.columns if c not in ("utility", "probability", "held")]
    others = rows.drop(index=chosen)
    if decision == "adequacy":  # the EU's decision on this state: the terms are log-odds of a grant
        granted = chosen == "grant"
        text = f"the EU {'grants' if granted else 'withholds'} adequacy (probability of a grant {rows.loc['grant', 'probability']:.1%})"
        if terms:
            top = rows.loc["grant", terms].abs().idxmax()
            text += f"; the largest term of its log-odds is {top} ({rows.loc['grant', top]:+.2f})"
        return text + "."
    text = f"holds {chosen} (probability {rows.loc[chosen, 'probability']:.0%} when it revises)"
    if not others.empty and terms:
        rival = others["utility"].idxmax()
        gap = rows.loc[chosen, terms] - rows.loc[rival, terms]
        top = gap.abs().idxmax()
        side = "in favour of" if gap[top] > 0 else "against"
        text += f"; over {rival}, the term that separates them most is {top}: {gap[top]:+.2f} {side} {chosen}"
    if not revised:
        text += "; it did not revise this step (policy inertia), so it kept its choice"
    return text + "."
