"""The notebooks run top to bottom on a real Jupyter kernel, and their plot cells show plots.

Each notebook is executed with nbclient in a fresh kernel (as a student would run it), so a cell
that draws must leave an image in its output: a library that switched matplotlib's backend
behind the notebook's back would leave none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat, nbclient and ipykernel (the test extra)")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (the test extra)")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (the test extra)")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
DRAWS = re.compile(r"(\bplot\w*|\bplt\.\w+|\.plot(\.\w+)?|\bfan_chart)\s*\(")


def draws(source: str) -> bool:
    """A cell that draws a figure: it calls a plotting function (imports do not count)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("import ", "from "))]
    return any(DRAWS.search(line) for line in lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_a_kernel_and_its_plot_cells_show_plots(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    plotting = [c for c in code if draws(c.source)]
    assert plotting, "a notebook without a plot"
    for cell in plotting:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert images, f"{path.name}: the cell that draws shows no image:\n{cell.source[:200]}"
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:200]
