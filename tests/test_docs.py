"""The documentation's examples are current: the levers they name exist, and their Python runs.

The README's blocks run in the default suite (tests/test_readme.py). The pages of docs/ with Python
examples run here, each page's blocks in order in one namespace (as a reader pastes them into one
session), in a temporary folder; they run thousands of simulations (the Sobol example alone 2,560),
so they are marked slow. The fast check parses every ``--lever NAME=SPEC`` of the command-line
examples and every ``levers={...}`` of the Python examples in the README and docs/ and validates it
against the scenario schema, so that a renamed weight (``w_us``, gone in issue 11) fails at once.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from connsim.experiments.cli import _parse_levers
from connsim.experiments.design import parse_levers

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON_PAGES = ["experiments.md", "plots.md"]


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def command_levers(page: Path) -> list[str]:
    """Every ``--lever name=spec`` of a page's command lines (not the placeholders ``NAME=LO:HI``)."""
    return re.findall(r"--lever[ =]([a-z][\w.]*=[^\s`]+)", page.read_text(encoding="utf-8"))


def python_levers(page: Path) -> list[dict]:
    """Every literal ``levers={...}`` keyword of a page's Python examples."""
    found = []
    for code in python_blocks(page):
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "levers" and isinstance(kw.value, ast.Dict):
                        found.append(ast.literal_eval(kw.value))
    return found


def test_the_docs_name_levers():
    """The parsers find the examples (else the checks below would pass on nothing)."""
    assert len([x for p in PAGES for x in command_levers(p)]) >= 10
    assert len([x for p in PAGES for x in python_levers(p)]) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_docs_levers_are_current(page):
    for item in command_levers(page):
        _parse_levers([item])  # a UserError names the lever and what is allowed
    for levers in python_levers(page):
        parse_levers(levers)


@pytest.mark.slow
@pytest.mark.parametrize("name", PYTHON_PAGES)
def test_docs_python_examples_run(name, tmp_path, monkeypatch):
    """Each block of the page runs, in order, in one namespace (minutes: thousands of runs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)  # the examples write to out/...
    namespace: dict = {}
    ran = 0
    for i, code in enumerate(python_blocks(ROOT / "docs" / name)):
        if "dask.distributed" in code and importlib.util.find_spec("distributed") is None:
            continue  # the Dask example needs connsim[dask]; the executor is tested in tests/test_experiments_extras.py
        if ("connsim.discover(" in code or "ema_workbench" in code) and importlib.util.find_spec("ema_workbench") is None:
            continue
        exec(compile(code, f"docs/{name}[python block {i}]", "exec"), namespace)
        plt.close("all")
        ran += 1
    assert ran, f"docs/{name}: no Python example ran"
