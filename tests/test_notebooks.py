"""The notebooks run: their code cells execute in order without error (no Jupyter needed)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_code_cells_run(path):
    cells = json.loads(path.read_text())["cells"]
    code = [("".join(c["source"])) for c in cells if c["cell_type"] == "code"]
    assert code, "a notebook without code"
    namespace: dict = {}
    for i, source in enumerate(code):
        exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)
