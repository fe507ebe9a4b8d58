"""The dashboard page: Mesa's SolaraViz over a :class:`~connsim.dashboard.levers.DashboardModel`.

SolaraViz draws the sidebar: Mesa's controls (Reset, play / pause, Step, the play and render
intervals) and the levers (``model_params`` from :func:`~connsim.dashboard.levers.controls`);
Reset builds a new model with the levers' values. The main area holds connsim's panels
(:func:`panels`), laid out by the page in rows of two (Mesa's own draggable grid has cells of a
fixed height, too small for them), each re-drawn after every step through Mesa's
``update_counter``:

- **Now**: the quarter and step, and key outcomes at this step;
- **World map**: every state at its seed coordinates, coloured by the orientation of its
  data-protection law and marked by its 5G policy (a placeholder until ``connsim.plots`` has its
  map: see :data:`FIGURES`);
- four live plots drawn by Mesa's own ``make_plot_component`` over ``model.datacollector``
  (connsim's recorder), with connsim's labels, units and a colour-blind-safe palette: norm
  convergence, data-protection laws by orientation, high-risk vendor shares of the EU's and
  third countries' networks, and the world radio network by vendor (:data:`PLOTS`);
- **Powers and their levers**: one card per power (the EU, Japan, the US, China) with its levers in
  force and its strategic-autonomy scorecard (classroom mode will put a player's decisions here),
  and the shared levers;
- **A country's choices and their reasons**: pick a state; its situation now and, for each
  decision, the utility terms of every option, its probability and the option held, with a
  one-line reason.

Each browser tab is a Solara session with its own model (:func:`Page` builds it in the session).
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import force_update, update_counter

from connsim import outcomes
from connsim.dashboard import CLASSROOM_ENV, SCENARIO_ENV
from connsim.dashboard.levers import (
    POWER_LEVERS,
    POWER_NAMES,
    WORLD_LEVERS,
    DashboardModel,
    control,
    controls,
    country_choices,
    lever_label,
    lever_value,
    meaning,
    now_rows,
    power_view,
    reason,
)
from connsim.names import EVENT_KINDS, POLICIES, POSITIONS, POWERS
from connsim.scenario import Scenario, ScenarioError, load_scenario
from connsim.seeds import load_seeds

__all__ = ["Page", "panels", "PLOTS", "FIGURES", "PlotSpec", "world_map", "figure_component", "SCENARIO_ENV"]

#: Okabe and Ito's palette, safe for the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442")
#: Colours of the orientations of a data-protection law (and of no law).
POSITION_COLOURS = {"protect": "#0072B2", "trust": "#009E73", "open": "#E69F00", "sovereign": "#D55E00", "none": "#BBBBBB"}
POLICY_MARKERS = {"open": "o", "core_excluded": "s", "banned": "X"}


@dataclass(frozen=True)
class PlotSpec:
    """One live plot: its title, the ``model_vars`` columns with their short labels, the unit of
    the y-axis, and its y-range (``None``: from the data, at least ``min_span`` tall)."""

    title: str
    lines: dict[str, str]
    unit: str
    ylim: tuple[float, float] | str | None = (0.0, 1.0)  # "zero": from 0 to a little above the data
    min_span: float = 0.1
    dashed: tuple[str, ...] = field(default=())
    colours: tuple[str, ...] = OKABE_ITO


def _vendor_lines() -> dict[str, str]:
    names = load_seeds().vendors["vendor"].tolist()
    columns = [c for c in outcomes.columns(names) if c.startswith("vendor_share_ran_")]
    return {c: name for c, name in zip(columns, names)}


#: The live plots, in the order of the page (Mesa's ``make_plot_component`` draws each).
PLOTS = (
    PlotSpec(
        "Norm convergence of data-protection laws",
        {"convergence_index": "convergence index (states)", "convergence_index_gdp": "convergence index (GDP-weighted)"},
        "index, 0..1 (1 = one orientation)",
        ylim=None,
    ),
    PlotSpec(
        "Data-protection laws by orientation",
        {
            "law_share": "any law",
            "regime_share_protect": "protect",
            "regime_share_trust": "trust",
            "regime_share_open": "open",
            "regime_share_sovereign": "sovereign",
        },
        "share of states",
    ),
    PlotSpec(
        "High-risk vendors (Huawei, ZTE)",
        {
            "hr_core_share_eu": "EU core",
            "hr_ran_share_eu": "EU radio",
            "hr_core_share_third": "third countries' core",
            "hr_ran_share_third": "third countries' radio",
        },
        "share of the network (GDP-weighted)",
        ylim="zero",
        dashed=("hr_ran_share_eu", "hr_ran_share_third"),
        colours=(OKABE_ITO[0], OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[1]),  # colour: where; dashes: the radio layer
    ),
    PlotSpec("World radio network by vendor", _vendor_lines(), "share of the world radio network", ylim="zero"),
)


def _styled(plot: PlotSpec, spec: Scenario) -> Callable:
    """Mesa's ``post_process`` for one plot: labels, units, y-range, a year axis on top."""

    def post_process(ax) -> None:
        for line in ax.get_lines():
            column = line.get_label()
            if column in plot.dashed:
                line.set_linestyle("--")
            line.set_label(plot.lines.get(column, outcomes.label(column)))
            line.set_linewidth(1.8)
            if len(line.get_xdata()) == 1:  # the start alone: a dot, since a line needs two points
                line.set_marker("o")
        ax.set_ylabel(plot.unit)
        data = np.concatenate([np.asarray(line.get_ydata(), float) for line in ax.get_lines()])
        lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
        if plot.ylim == "zero":  # shares from 0, to the next tenth above the data
            ax.set_ylim(0.0, min(1.0, np.ceil(hi * 1.1 * 10 + 1e-9) / 10))
        elif plot.ylim is not None:
            ax.set_ylim(*plot.ylim)
        else:  # an index: centred on the data, at least min_span tall, within 0..1
            mid, half = (lo + hi) / 2, max(hi - lo, plot.min_span) / 2 * 1.15
            ax.set_ylim(max(0.0, mid - half), min(1.0, mid + half))
        ax.set_xlim(0, spec.n_steps)
        top = ax.secondary_xaxis(
            "top",
            functions=(
                lambda s: spec.start_year + s / spec.steps_per_year,
                lambda y: (y - spec.start_year) * spec.steps_per_year,
            ),
        )
        top.set_xlabel("year")
        ax.grid(alpha=0.3)
        # the legend below the axes (under Mesa's "Step" label), where it hides no line
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncol=4, frameon=False)
        ax.figure.set_size_inches(6.4, 3.6)

    return post_process


def world_map(model) -> Figure:
    """Every state at its seed coordinates (longitude, latitude): colour the orientation of its
    data-protection law (grey: no law), marker its 5G policy. A placeholder for ``connsim.plots``' map."""
    countries = load_seeds().countries.set_index("iso3")
    st = model.state
    known = np.isin(st.iso3, countries.index)
    lon = countries.loc[st.iso3[known], "lon"].to_numpy(float)
    lat = countries.loc[st.iso3[known], "lat"].to_numpy(float)
    position, policy = st.position[known], st.policy[known]
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.subplots()
    for p, policy_name in enumerate(POLICIES):
        for k, position_name in enumerate(POSITIONS):
            here = (policy == p) & (position == k)
            if here.any():
                ax.scatter(
                    lon[here],
                    lat[here],
                    s=22 if policy_name == "open" else 30,
                    c=POSITION_COLOURS[position_name],
                    marker=POLICY_MARKERS[policy_name],
                    edgecolors="#333333",
                    linewidths=0.4,
                )
    ax.set(xlim=(-180, 180), ylim=(-60, 80), xlabel="longitude (degrees)", ylabel="latitude (degrees)")
    ax.set_title(f"Data-protection laws and 5G policies, {_when(model)}", fontsize=11)
    from matplotlib.lines import Line2D

    colours = [
        Line2D([], [], ls="", marker="o", color=c, markeredgecolor="#333333", label=n) for n, c in POSITION_COLOURS.items()
    ]
    markers = [
        Line2D([], [], ls="", marker=m, color="white", markeredgecolor="#333333", label=n.replace("_", " "))
        for n, m in POLICY_MARKERS.items()
    ]
    ax.grid(alpha=0.2)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    kw = dict(fontsize=8, title_fontsize=8, frameon=False, columnspacing=1.0, handletextpad=0.3)
    fig.legend(handles=colours, title="data-protection law", loc="lower left", ncol=5, bbox_to_anchor=(0.0, 0.0), **kw)
    fig.legend(handles=markers, title="5G policy", loc="lower right", ncol=3, bbox_to_anchor=(1.0, 0.0), **kw)
    return fig


#: Figures drawn by the page's own functions, ``model -> matplotlib Figure``. The seam for
#: ``connsim.plots``: its functions take frames, so one plugs in as
#: ``FIGURES["World map"] = lambda model: plots.world_map(model.datacollector.get_model_vars_dataframe(), ...)``.
FIGURES: dict[str, Callable] = {"World map": world_map}


def figure_component(make_figure: Callable) -> Callable:
    """A SolaraViz component (a function of the model; Mesa re-draws it after every step)
    showing the matplotlib Figure ``make_figure(model)`` returns."""

    def FigurePanel(model):
        figure = solara.use_memo(lambda: make_figure(model), [model, model.t])  # drawn once per step
        solara.FigureMatplotlib(figure, format="png", bbox_inches="tight", dependencies=[model, model.t])

    FigurePanel.__name__ = f"Figure_{getattr(make_figure, '__name__', 'panel')}"
    return FigurePanel


def _when(model) -> str:
    year = float(model.year)
    quarter = int(round((year % 1) * model.spec.steps_per_year)) + 1
    return f"{int(year)} Q{quarter}" if model.spec.steps_per_year == 4 else f"{year:.2f}"


_CSS = """
<style>
.connsim table { border-collapse: collapse; font-size: 12px; margin: 2px 0 8px 0; }
.connsim th, .connsim td { padding: 1px 6px; border-bottom: 1px solid #ddd; text-align: right; }
.connsim th:first-child, .connsim td:first-child { text-align: left; }
.connsim tr.held td { font-weight: bold; background: #eef5fb; }
.connsim h4 { margin: 6px 0 2px 0; font-size: 13px; }
.connsim p { margin: 2px 0; font-size: 12px; }
.connsim .cards { display: flex; gap: 8px; flex-wrap: wrap; }
.connsim .card { flex: 1 1 0; min-width: 190px; border: 1px solid #ddd; border-radius: 4px; padding: 4px 6px; }
</style>
"""


def _table(rows, header=None, held=None) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
    for k, row in enumerate(rows):
        cls = ' class="held"' if held is not None and held[k] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    return "".join(out) + "</table>"


def now_html(model) -> str:
    """The Now panel: where the run is and the key outcomes at the last step."""
    rows = now_rows(model)
    head = (
        f'<p class="connsim-now"><b>{_when(model)}</b> &middot; step {model.t} of {model.n_steps} &middot; '
        f"seed {getattr(model, 'run_seed', '?')} &middot; scenario {html.escape(model.spec.name)}</p>"
    )
    return f'{_CSS}<div class="connsim">{head}{_table(rows, header=("outcome", "now"))}</div>'


def Now(model):
    solara.HTML(tag="div", unsafe_innerHTML=now_html(model))


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value.replace("_", " ") if isinstance(value, str) else f"{value:g}"


def _levers_table(model, names) -> str:
    rows = []
    for name in names:
        label = lever_label(name)
        tip = html.escape(meaning(name), quote=True)
        rows.append(
            f'<tr title="{tip}"><td>{html.escape(label)}</td><td class="connsim-lever" data-lever="{name}">'
            f"{html.escape(_shown(lever_value(model, name)))}</td></tr>"
        )
    return "<table><tr><th>lever in force</th><th>value</th></tr>" + "".join(rows) + "</table>"


def powers_html(model) -> str:
    """The Powers panel: each power's levers in force and its strategic-autonomy scorecard at the
    last step; then the levers that no single power holds. Hovering a lever shows its meaning."""
    cards = []
    for power in POWERS:
        s = power_view(model, power)["scorecard"]
        score = [
            ("trusted share of its sphere", f"{s['security']:.0%}"),
            ("cost of autonomy paid", f"US$ {s['cost_usd_bn']:.1f} bn"),
            ("data-flow access", f"{s['data_access']:.0%} of world GDP"),
            ("norm reach", f"{s['norm_reach']:.0%} of states"),
        ]
        cards.append(
            f'<div class="card connsim-power" data-power="{power}"><h4>{POWER_NAMES[power]} ({power})</h4>'
            f"{_levers_table(model, POWER_LEVERS[power])}{_table(score, header=('scorecard', 'now'))}"
            f"<p><i>{_strategy_note(model, power)}</i></p></div>"
        )
    cards.append(f'<div class="card connsim-power" data-power="world"><h4>Shared</h4>{_levers_table(model, WORLD_LEVERS)}</div>')
    tip = "<p>Move a slider in the sidebar, then press Reset: the run starts again from 2019 with it.</p>"
    return f'{_CSS}<div class="connsim">{tip}<div class="cards">{"".join(cards)}</div></div>'


def _strategy_note(model, power: str) -> str:
    strategy = getattr(model, "strategies", {}).get(power, "scripted")
    if getattr(model, "player", None) == power:
        return "Played on this page (classroom): its decisions are the player's."
    if strategy == "adaptive":
        return "It decides each year as the model's adaptive power (its country panel says why)."
    return "Its decisions follow the scenario and the sliders."


def Powers(model):
    solara.HTML(tag="div", unsafe_innerHTML=powers_html(model))


def _number(x, column: str = "") -> str:
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else ""
    if isinstance(x, (float, np.floating)):
        if np.isnan(x):
            return ""
        if column == "probability":
            return f"{x:.0%}" if x >= 0.01 or x == 0 else "<1%"
        return f"{round(float(x), 2) + 0.0:.2f}"  # + 0.0: no "-0.00"
    return str(x)


def country_html(model, iso3: str) -> str:
    """The country panel: the state's situation now and its decisions' terms and reasons."""
    info = country_choices(model, iso3)
    parts = [f"<h4>{html.escape(info['name'])} ({iso3}), {info['kind']}, {_when(model)}</h4>"]
    parts.append(_table(list(info["status"].items())))
    if info.get("note"):
        parts.append(f"<p>{html.escape(info['note'])}</p>")
    names = {"vendor_policy": "5G security policy", "law": "data-protection law", "regime": "orientation of the law"}
    names["adequacy"] = "the EU's adequacy decision"
    for decision, rows in info["decisions"].items():
        parts.append(f"<h4>{names.get(decision, decision)}</h4>")
        parts.append(f'<p class="connsim-reason">{html.escape(reason(decision, rows, info["revised"].get(decision, True)))}</p>')
        held = rows["held"].astype(bool).tolist() if "held" in rows.columns else None
        shown = rows.drop(columns=[c for c in ("held",) if c in rows.columns])
        body = [
            [str(k), *(_number(x, c) for x, c in zip(r, shown.columns))]
            for k, r in zip(shown.index, shown.itertuples(index=False))
        ]
        parts.append(_table(body, header=(shown.index.name or "", *shown.columns), held=held))
    return f'{_CSS}<div class="connsim">{"".join(parts)}</div>'


def _country_options(model) -> dict[str, str]:
    """label -> ISO3: the EU first, then every state by name."""
    options = {"European Union (EUU)": "EUU"}
    for a in sorted((a for a in model.agents if a.iso3 != "EUU"), key=lambda a: a.name):
        options[f"{a.name} ({a.iso3})"] = a.iso3
    return options


def CountryChoices(model):
    iso3, set_iso3 = solara.use_state("KEN")
    options = solara.use_memo(lambda: _country_options(model), [model.spec.synthetic_third_countries])
    by_code = {v: k for k, v in options.items()}
    iso3 = iso3 if iso3 in by_code else "EUU"

    def choose(label):
        if label in options:
            set_iso3(options[label])

    solara.v.Autocomplete(  # type to filter the 194 names
        label="country (type to search)",
        items=list(options),
        v_model=by_code[iso3],
        on_v_model=choose,
        dense=True,
        class_="connsim-country",
        style_="max-width: 420px",
    )
    solara.HTML(tag="div", unsafe_innerHTML=country_html(model, iso3))


# --- classroom mode --------------------------------------------------------------------------------


def classroom_html(model) -> str:
    """The classroom panel's tables: the player's decisions (set on the page, in force, the
    model's in the reference run) and the scorecard of the player's power, player against model."""
    from connsim.dashboard.classroom import decision_rows, scorecard_rows

    power = model.player
    nxt = model.next_decision
    if nxt is None:
        when = "The run has ended: the last decision was taken. Save the session, or press Reset."
    else:
        step, year = nxt
        steps = step - model.t
        when = (
            f"Your decisions for <b>{year:g}</b> are taken at step {step} (the start of {year:g}"
            + (", the next step" if steps == 0 else f", in {steps} steps")
            + "): the values set here at that moment, whether you press Step, ▶ or the button below."
        )
    rows = []
    for lever, chosen, held, theirs in decision_rows(model):
        label = html.escape(lever_label(lever))
        rows.append(
            f'<tr title="{html.escape(meaning(lever), quote=True)}"><td>{label}</td>'
            f'<td class="connsim-chosen" data-lever="{lever}">{html.escape(chosen)}</td>'
            f'<td class="connsim-player-held" data-lever="{lever}">{html.escape(held)}</td>'
            f'<td class="connsim-model-held" data-lever="{lever}">{html.escape(theirs)}</td></tr>'
        )
    decisions = (
        "<table><tr><th>decision</th><th>set here</th><th>in force (you)</th><th>in force (the model)</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    score = "".join(
        f'<tr><td>{html.escape(m)}</td><td class="connsim-score-player" data-measure="{k}">{a}</td>'
        f'<td class="connsim-score-model" data-measure="{k}">{b}</td><td>{d}</td></tr>'
        for k, (m, a, b, d) in enumerate(scorecard_rows(model))
    )
    scorecard = (
        f"<h4>{POWER_NAMES[power]}'s strategic-autonomy scorecard, {_when(model)}: you against the model</h4>"
        "<table><tr><th>measure</th><th>you</th><th>the model</th><th>you - the model</th></tr>" + score + "</table>"
        f"<p>The model: the same world, seed and events, with {POWER_NAMES[power]} deciding as the model's "
        f"{model.others} power. EU-Japan cooperation and ODA coordination are decided by both: the lower of the two is in force.</p>"
    )
    events = ""
    if model.injected:
        items = "".join(f"<li>{html.escape(_event_text(ev))}</li>" for ev in model.injected)
        events = f'<h4>Events injected</h4><ul class="connsim-events">{items}</ul>'
    return (
        f'{_CSS}<div class="connsim connsim-classroom" data-player="{power}">'
        f'<p class="connsim-next">{when}</p>{decisions}{scorecard}{events}</div>'
    )


def _event_text(ev) -> str:
    what = (
        f"US-China conflict {ev.value:+g}"
        if ev.kind == "conflict_shock"
        else f"{ev.iso3}: {ev.kind.replace('_', ' ')} {ev.value}"
    )
    return f"{what}, from {_year_quarter(ev.year)}"


def _year_quarter(year: float) -> str:
    quarter = (year % 1) * 4
    return f"{int(year)} Q{int(round(quarter)) + 1}" if abs(quarter - round(quarter)) < 1e-9 else f"{year:.2f}"


def _player_control(model, lever: str, on_change: Callable) -> None:
    """A slider (or a select) for one of the player's decisions, over the scenario schema's range."""
    c = control(model.spec, lever)
    c["label"] = f"your decision: {c['label']}"  # apart from the sidebar's lever of the same name (the scenario's)
    value = model.choices[lever]
    if c["type"] == "Select":
        solara.Select(label=c["label"], values=c["values"], value=value, on_value=lambda v: on_change(lever, v))
    else:
        solara.SliderFloat(
            label=c["label"],
            value=float(value),
            min=c["min"],
            max=c["max"],
            step=c["step"],
            on_value=lambda v: on_change(lever, v),
        )


def Classroom(model):
    """The classroom panel: the player's decisions, the scorecard against the model, the
    teacher's events and the saved session (see :mod:`connsim.dashboard.classroom`)."""
    _, redraw = solara.use_state(0)
    message, set_message = solara.use_state("")
    kind, set_kind = solara.use_state("conflict_shock")
    target, set_target = solara.use_state("Kenya (KEN)")
    value, set_value = solara.use_state(None)
    options = solara.use_memo(lambda: {k: v for k, v in _country_options(model).items() if v != "EUU"}, [])
    from connsim.dashboard.classroom import event_values

    values = event_values(kind)
    value = value if value in values else values[0]

    def change(lever, v):
        model.choose(lever, v)
        redraw(lambda n: n + 1)

    def play_year():
        model.play_year()
        force_update()

    def inject():
        try:
            iso3 = None if kind == "conflict_shock" else options.get(target)
            ev = model.inject_event(kind, value, iso3=iso3)
            set_message(f"Event added: {_event_text(ev)}.")
        except ScenarioError as e:
            set_message("Refused: " + "; ".join(e.problems))
        force_update()

    with solara.Column(classes=["connsim-player-controls"], gap="0px", style={"max-width": "900px"}):
        for lever in POWER_LEVERS[model.player]:  # one per row: the label beside the slider leaves it room
            _player_control(model, lever, change)
    solara.Button(
        "Decide and play the year",
        on_click=play_year,
        color="primary",
        disabled=model.next_decision is None,
        classes=["connsim-play-year"],
        style={"max-width": "420px"},
    )
    solara.HTML(tag="div", unsafe_innerHTML=classroom_html(model))
    with solara.Details("Teacher: inject an event, save the session", expand=True):
        with solara.Row(classes=["connsim-teacher"], style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.Select(label="event", values=list(EVENT_KINDS), value=kind, on_value=set_kind, style={"max-width": "200px"})
            if kind != "conflict_shock":
                solara.Select(
                    label="state", values=list(options), value=target, on_value=set_target, style={"max-width": "280px"}
                )
            solara.Select(label="value", values=values, value=value, on_value=set_value, style={"max-width": "200px"})
            solara.Button("Inject at the next step", on_click=inject, classes=["connsim-inject"])
        if message:
            solara.HTML(tag="p", unsafe_innerHTML=html.escape(message), classes=["connsim-message"])
        if model.recorder.power_records:
            filename = f"{model.spec.name}_session_{model.player}.toml".replace(" ", "_")
            solara.FileDownload(
                lambda: model.session_toml(filename),
                filename=filename,
                label="Save the session as a scenario (TOML)",
                mime_type="application/toml",
            )
            solara.HTML(tag="p", unsafe_innerHTML=html.escape(model.replay_command(filename)), classes=["connsim-replay"])
        else:
            solara.HTML(tag="p", unsafe_innerHTML="Save the session after the first step (the first yearly decision).")


def panels(spec: Scenario, classroom: bool = False) -> dict[str, Callable]:
    """The panels of the page by title, in order: each a SolaraViz component (a function of the
    model), the plots Mesa's own (see the module docstring); ``classroom``: the classroom panel first."""
    out: dict[str, Callable] = {"Classroom: your decisions against the model's": Classroom} if classroom else {}
    out["Now"] = Now
    out.update({name: figure_component(f) for name, f in FIGURES.items()})
    for p in PLOTS:
        colours = {c: p.colours[k % len(p.colours)] for k, c in enumerate(p.lines)}
        out[p.title] = make_plot_component(colours, post_process=_styled(p, spec))[0]
    out["Powers and their levers"] = Powers
    out["A country's choices and their reasons"] = CountryChoices
    return out


#: Panels that take the page's whole width (the others go two to a row).
WIDE = ("Classroom: your decisions against the model's", "Powers and their levers", "A country's choices and their reasons")


@solara.component
def Panels(model, components: dict):
    """The panels in rows of two (the wide ones alone), each re-drawn after every step: Mesa's
    controller bumps ``update_counter`` after each step and reset."""
    names = list(components)
    rows, pair = [], []
    for name in names:
        if name in WIDE:
            rows += [pair] if pair else []
            rows.append([name])
            pair = []
        else:
            pair.append(name)
            if len(pair) == 2:
                rows.append(pair)
                pair = []
    rows += [pair] if pair else []
    with solara.Column(classes=["connsim-panels"]):
        for row in rows:
            with solara.ColumnsResponsive(12, large=12 // len(row)):
                for name in row:
                    with solara.Card(name, margin=0, classes=["connsim-panel"]):
                        Live(components[name], model)


@solara.component
def Live(panel: Callable, model):
    """One panel, re-drawn after each step (and on its own, when its own state changes: picking a
    country draws only the country panel again)."""
    update_counter.get()
    panel(model)


def page_scenario() -> Scenario:
    """The scenario the page runs: ``$CONNSIM_DASHBOARD_SCENARIO`` (a library name or a path), else the baseline."""
    return load_scenario(os.environ.get(SCENARIO_ENV) or "baseline")


def classroom_mode() -> bool:
    """Whether the page runs in classroom mode (``connsim dashboard --classroom``: ``$CONNSIM_DASHBOARD_CLASSROOM``)."""
    return os.environ.get(CLASSROOM_ENV, "") not in ("", "0")


def classroom_controls(spec: Scenario) -> dict:
    """The sidebar of classroom mode: the power played and how the others decide, then the levers."""
    from connsim.dashboard.classroom import MODEL_STRATEGIES, PLAYABLE

    params = controls(spec)
    return {
        "spec": params.pop("spec"),
        "player": {"type": "Select", "value": "EUU", "values": list(PLAYABLE), "label": "the player plays"},
        "others": {"type": "Select", "value": "scripted", "values": list(MODEL_STRATEGIES), "label": "the other powers are"},
        **params,
    }


@solara.component
def Page():
    """The dashboard: one model per browser session, rebuilt by Reset with the sidebar's values."""
    spec = solara.use_memo(page_scenario, [])
    classroom = solara.use_memo(classroom_mode, [])

    def first_model():
        if classroom:
            from connsim.dashboard.classroom import ClassroomModel

            return ClassroomModel(spec, seed=0)
        return DashboardModel(spec, seed=0)

    first = solara.use_memo(first_model, [])
    model = solara.use_reactive(first)
    params = solara.use_memo(lambda: classroom_controls(spec) if classroom else controls(spec), [])
    components = solara.use_memo(lambda: panels(spec, classroom), [])

    def release_when_replaced():
        current = model.value
        return lambda: _release(current)

    solara.use_effect(release_when_replaced, [model.value])
    # SolaraViz draws the sidebar (controls, Reset / play / Step, the levers); the panels follow
    # in the main area, laid out by the page (Mesa's grid has fixed cells too small for them)
    name = f"connsim: {spec.name}" + (" (classroom)" if classroom else "")
    SolaraViz(model, components=[], model_params=params, name=name)
    Panels(model.value, components)


def _release(model) -> None:
    from connsim.runner import release

    release(model)
