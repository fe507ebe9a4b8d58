"""The model in the ODD protocol (``docs/odd.md``), written from the code's own registries.

The prose (purpose, entities, process overview, design concepts) is hand-written in
``docs/odd.template.md``; :func:`odd_markdown` fills its ``{{name}}`` fields from the registries:
the levers and behaviour parameters of :mod:`connsim.scenario`, the weights of
:mod:`connsim.weights` (grouped by the section comments of its source), the outcomes of
:mod:`connsim.outcomes`, the decisions of :data:`connsim.dynamics.RULES` and ``OPTIONS`` with each
rule's terms and each decision module's docstring, the vocabulary of :mod:`connsim.names`, the seed
tables (their estimated columns from ``seeds/columns.csv``), the scenario library and the claims
table. ``tests/test_odd.py`` checks that the committed page is what this writes now, so the page
cannot drift from the code.

    python -m connsim.odd            # write docs/odd.md
    python -m connsim.odd --check    # exit 1 if docs/odd.md is not current
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

__all__ = ["odd_markdown", "write", "TEMPLATE", "TARGET"]

DOCS = Path(__file__).resolve().parents[1] / "docs"
#: The hand-written prose with its ``{{name}}`` fields, and the page written from it.
TEMPLATE = DOCS / "odd.template.md"
TARGET = DOCS / "odd.md"
_FIELD = re.compile(r"\{\{(\w+)\}\}")

#: Who takes each decision of :data:`connsim.dynamics.RULES` (a decision not listed: see its module).
WHO = {
    "vendor_policy": "member states and third countries",
    "law": "third countries (outside the EEA)",
    "regime": "third countries (outside the EEA)",
    "adequacy": "the EU, for each candidate, once a year",
}
#: The decision module whose ``*_TERMS`` names a rule's terms.
TERMS_MODULE = {"vendor_policy": "vendors", "law": "laws", "regime": "regimes", "adequacy": "adequacy"}


def _fmt(x) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, (dict, list, tuple)) and not x:
        return "{}" if isinstance(x, dict) else "[]"
    return str(x)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _codes(items) -> str:
    return ", ".join(f"`{i}`" for i in items)


def _rst_to_md(text: str) -> str:
    """A docstring as Markdown: ``code`` as `code`, :func:`x` / :data:`x` / :mod:`x` as `x`."""
    text = inspect.cleandoc(text)
    text = re.sub(r":(?:func|data|mod|class|meth|attr):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


# --- the fields -----------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _scenario_fields(keys) -> str:
    from connsim.scenario import Scenario, allowed_text, load_scenario

    base, defaults = load_scenario("baseline"), Scenario()
    rows = []
    for k in keys:
        info = Scenario.model_fields[k]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append(
            [
                f"`{k}`",
                extra.get("unit", ""),
                allowed_text(Scenario, k, short=True),
                _fmt(getattr(defaults, k)),
                _fmt(getattr(base, k)),
                info.description or "",
            ]
        )
    return _table(["lever", "unit", "allowed", "default", "baseline", "meaning"], rows)


def _weight_groups() -> list[tuple[str, list[str]]]:
    """The weights in the order of ``connsim/weights.py``, under its ``# --- section ---`` comments."""
    from connsim import weights
    from connsim.weights import Weights

    groups: list[tuple[str, list[str]]] = [("weights", [])]
    for line in inspect.getsource(weights).splitlines():
        header = re.match(r"\s*# -+ (.+?) -+\s*$", line)
        if header:
            groups.append((header.group(1), []))
            continue
        field = re.match(r"\s{4}(\w+): float = ", line)
        if field and field.group(1) in Weights.model_fields:
            groups[-1][1].append(field.group(1))
    listed = {n for _, names in groups for n in names}
    missing = [n for n in Weights.model_fields if n not in listed]
    if missing:
        groups.append(("other", missing))
    return [(title, names) for title, names in groups if names]


def _weights() -> str:
    from connsim.weights import Weights

    out = []
    for title, names in _weight_groups():
        rows = []
        for n in names:
            info = Weights.model_fields[n]
            lo = next(m.ge for m in info.metadata if hasattr(m, "ge"))
            hi = next(m.le for m in info.metadata if hasattr(m, "le"))
            rows.append([f"`{n}`", _fmt(float(info.default)), f"{_fmt(float(lo))}..{_fmt(float(hi))}", info.description or ""])
        out.append(f"**{title[0].upper() + title[1:]}**\n\n" + _table(["weight", "default", "range", "meaning"], rows))
    return "\n\n".join(out)


def _decisions() -> str:
    from connsim.dynamics import OPTIONS, RULES

    rows = []
    for name, rule in RULES.items():
        module = TERMS_MODULE.get(name)
        terms: tuple = ()
        if module:
            mod = importlib.import_module(f"connsim.decisions.{module}")
            terms = next((v for k, v in vars(mod).items() if k.endswith("_TERMS") and isinstance(v, tuple)), ())
        doc = (inspect.getdoc(rule) or "").splitlines()[0] if inspect.getdoc(rule) else ""
        rows.append(
            [
                f"`{name}`",
                WHO.get(name, "see its module"),
                _codes(OPTIONS.get(name, ())),
                _codes(terms) if terms else "see its module",
                _rst_to_md(doc),
            ]
        )
    return _table(["decision", "who decides", "options", "utility terms", "rule"], rows)


def _decision_docs() -> str:
    import connsim.decisions as pkg

    out = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"connsim.decisions.{info.name}")
        if mod.__doc__:
            out.append(f"#### `connsim.decisions.{info.name}`\n\n{_rst_to_md(mod.__doc__)}")
    return "\n\n".join(out)


def _step_order() -> str:
    from connsim import dynamics

    doc = inspect.cleandoc(dynamics.__doc__ or "")
    items, current = [], None
    for line in doc.splitlines():
        if re.match(r"\d+\. ", line):
            current = [line]
            items.append(current)
        elif current is not None and line.startswith("   "):
            current.append(line.strip())
        elif current is not None:
            current = None
            if items and not line.strip():
                break
    return "\n".join(_rst_to_md(" ".join(item)) for item in items)


def _powers_decide() -> str:
    from connsim.decisions import powers

    return _rst_to_md((powers.__doc__ or "").split("\n\n")[0]).rstrip(".") + " (`connsim/decisions/powers.py`)."


def _estimated() -> str:
    import pandas as pd

    from connsim.seeds import SEEDS_DIR

    cols = pd.read_csv(Path(SEEDS_DIR) / "columns.csv", dtype=str, keep_default_na=False)
    est = cols[cols["estimated"].str.strip().str.lower().isin(("yes", "partly", "true", "1"))]
    parts = []
    for file, group in est.groupby("file", sort=True):
        shown = [f"`{r.column}`" + (" (partly)" if r.estimated.strip().lower() == "partly" else "") for r in group.itertuples()]
        parts.append(f"`{file}` ({len(group)}): " + ", ".join(shown))
    marks = est["estimated"].str.strip().str.lower()
    head = (
        f"{int((marks != 'partly').sum())} estimated and {int((marks == 'partly').sum())} partly estimated of {len(cols)} columns"
    )
    return head + ". " + "; ".join(parts) if parts else "none"


def _fields() -> dict[str, str]:
    from connsim import names
    from connsim.claims import STATUSES, load_claims
    from connsim.dynamics import RULES
    from connsim.outcomes import OUTCOMES, columns
    from connsim.scenario import BEHAVIOUR_KEYS, LEVERS, list_scenarios
    from connsim.seeds import load_seeds

    seeds = load_seeds()
    kinds = seeds.countries["kind"].value_counts()
    vendors = seeds.vendors
    claims = load_claims(resolve=False)
    counts = claims["status"].value_counts()
    library = list_scenarios()
    n_rows = int((seeds.countries["iso3"] != "EUU").sum())
    return {
        "generated_notice": "Written by `python -m connsim.odd` from `docs/odd.template.md`: edit the template, not this page.",
        "claims_summary": f"{len(claims)} claims of the paper, "
        + ", ".join(f"{int(counts.get(s, 0))} {s.replace('_', ' ')}" for s in STATUSES),
        "entity_counts": f"{int(kinds.get('Power', 0))} powers ({_codes(names.POWERS)}), "
        f"{int(kinds.get('MemberState', 0))} EU member states and {int(kinds.get('ThirdCountry', 0))} third countries "
        f"({n_rows} state rows: the EU itself has none)",
        "vendors": f"{len(vendors)} network-equipment vendors: "
        + ", ".join(f"{r.vendor} ({r.origin_iso3}{', high-risk' if int(r.high_risk) else ''})" for r in vendors.itertuples()),
        "donors": _codes(names.DONORS) + " (`MS`: the member states' own digital ODA, pooled)",
        "blocs": _codes(names.BLOC_NAMES),
        "regions": _codes(names.PAPER_REGIONS),
        "policies": _codes(names.POLICIES),
        "regimes": _codes(names.REGIMES),
        "law_options": _codes(names.LAW_OPTIONS),
        "adequacy_options": _codes(names.ADEQUACY_OPTIONS),
        "programs": _codes(names.PROGRAMS),
        "cooperation_levels": _codes(names.COOPERATION_LEVELS),
        "event_kinds": _codes(names.EVENT_KINDS),
        "step_order": _step_order(),
        "n_outcomes": str(len(columns(tuple(vendors["vendor"])))),
        "outcome_names": _codes(o.name for o in OUTCOMES),
        "powers_decide": _powers_decide(),
        "rule_names": _codes(RULES),
        "estimated_columns": _estimated(),
        "n_scenarios": str(len(library)),
        "scenarios": "\n".join(f"- `{k}`: {v}" for k, v in library.items()),
        "levers": _scenario_fields(LEVERS),
        "behaviour": _scenario_fields(BEHAVIOUR_KEYS),
        "decisions": _decisions(),
        "decision_docs": _decision_docs(),
        "weights": _weights(),
    }


def odd_markdown(template: str | Path | None = None) -> str:
    """``docs/odd.md`` as the template and the registries say now. Raises KeyError for a field
    of the template that nothing fills."""
    text = Path(template or TEMPLATE).read_text(encoding="utf-8")
    fields = _fields()
    unknown = sorted(set(_FIELD.findall(text)) - set(fields))
    if unknown:
        raise KeyError(f"{template or TEMPLATE}: unknown fields {', '.join(unknown)}; allowed {', '.join(sorted(fields))}")
    out = _FIELD.sub(lambda m: fields[m.group(1)], text)
    return out.rstrip("\n") + "\n"


def write(path: str | Path | None = None) -> Path:
    """Write the page (default ``docs/odd.md``) and return its path."""
    target = Path(path or TARGET)
    target.write_text(odd_markdown(), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != odd_markdown():
            print(f"{TARGET} is not current: run python -m connsim.odd", file=sys.stderr)
            return 1
        print(f"{TARGET} is current")
        return 0
    if args:
        print("usage: python -m connsim.odd [--check]", file=sys.stderr)
        return 2
    print(f"wrote {write()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
