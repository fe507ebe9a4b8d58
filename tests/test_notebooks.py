"""The notebooks run top to bottom on a real Jupyter kernel, show their plots, and are stored current and small.

Each notebook in ``notebooks/`` is executed with nbclient in a fresh ``python3`` kernel (as a student
would run it, with ``notebooks/execute.py``, the script that stores them). A cell that raises fails
the test; so does a cell that draws (it calls a plotting function) and leaves no PNG image in its
output, as a library that switched matplotlib's backend behind the notebook's back would. The
notebooks are stored executed (``notebooks/execute.py`` says why): the stored outputs must have
every figure, no error, fit the size budget, and match a fresh run's text outputs when the stored
run used the same versions (after a change to the model, rerun ``python notebooks/execute.py``).

Cells tagged ``needs-ema`` (PRIM) run only where the ``ema`` extra is installed; elsewhere they are
left out and ``test_prim_cells_run_with_the_ema_extra`` is skipped, saying so.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat, nbclient and ipykernel (the test extra)")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (the test extra)")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (the test extra)")

FOLDER = Path(__file__).resolve().parents[1] / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_execute", FOLDER / "execute.py")
execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute)

NOTEBOOKS = execute.notebooks()
EXPECTED = ["01_quickstart", "02_strategic_autonomy", "03_sensitivity_and_discovery", "04_classroom_exercise"]
#: A call that draws a figure: connsim.plots' functions, a result's .plot(), matplotlib's figures.
DRAWS = re.compile(r"(\bplots\.\w+|\bplot_\w+|\.plot|\bfan_chart|\bplt\.(subplots|figure|plot))\s*\(")
#: What a stored notebook may weigh (bytes), and one stored figure (base64 characters).
MAX_NOTEBOOK, MAX_IMAGE = 300_000, 160_000
NO_PLOT = ("plots.differences(",)  # a table, not a figure


def draws(source: str) -> bool:
    """A cell that draws a figure: it calls a plotting function (imports and comments do not count)."""
    lines = [line.split("#")[0] for line in source.splitlines() if not line.lstrip().startswith(("import ", "from "))]
    return any(DRAWS.search(line) and not any(n in line for n in NO_PLOT) for line in lines)


def problems(nb) -> list[str]:
    """What is wrong with an executed notebook: errors, drawing cells without an image, no plot at all."""
    out = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code:
        out.append("a notebook without code")
    plotting = [c for c in code if draws(c.source)]
    if not plotting:
        out.append("a notebook without a plot")
    for cell in plotting:
        if not [o for o in cell.get("outputs", ()) if "image/png" in o.get("data", {})]:
            out.append(f"the cell that draws shows no image:\n{cell.source[:200]}")
    for cell in code:
        for o in cell.get("outputs", ()):
            if o.output_type == "error":
                out.append(f"{o.ename}: {o.evalue[:200]} in\n{cell.source[:200]}")
            if o.output_type == "stream" and o.name == "stderr":
                out.append(f"a warning or an error on stderr: {o.text[:300]}")
    return out


def texts(nb) -> list[list[str]]:
    """The text outputs of each code cell (streams and text/plain results; images and HTML left out)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        out.append(
            [
                (o.get("text") if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")).rstrip()
                for o in cell.get("outputs", ())
                if o.output_type in ("stream", "execute_result", "display_data")
            ]
        )
    return out


@cache
def executed(name: str):
    """The notebook ``name`` run fresh (PRIM cells left out without the ema extra): (notebook, seconds)."""
    drop = () if execute.has_ema() else (execute.EMA_TAG,)
    return execute.execute(FOLDER / f"{name}.ipynb", drop_tags=drop)


def test_the_four_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_on_a_kernel_and_its_plot_cells_show_plots(name):
    nb, seconds = executed(name)
    assert not problems(nb), "\n".join(problems(nb))


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_notebook_is_executed_small_and_current(name):
    path = FOLDER / f"{name}.ipynb"
    assert path.stat().st_size <= MAX_NOTEBOOK, f"{path.name}: {path.stat().st_size} bytes stored; rerun notebooks/execute.py"
    stored = nbformat.read(path, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), (
        f"{path.name} is not stored executed top to bottom: run python notebooks/execute.py"
    )
    assert not problems(stored), "\n".join(problems(stored))
    for cell in code:
        for o in cell.outputs:
            image = o.get("data", {}).get("image/png", "")
            assert len(image) <= MAX_IMAGE, f"{path.name}: a stored figure of {len(image)} characters:\n{cell.source[:120]}"
    made_with = stored.metadata.get("connsim", {}).get("executed_with")
    assert made_with, f"{path.name} was not stored by notebooks/execute.py"
    if made_with != execute.versions() or not execute.has_ema():
        pytest.skip(f"{path.name} was stored with {made_with}; this run has other versions or lacks the ema extra")
    fresh, _ = executed(name)
    for k, (was, now) in enumerate(zip(texts(stored), texts(fresh))):
        assert was == now, (
            f"{path.name}: code cell {k + 1} prints something else than what is stored: the model changed; "
            f"rerun python notebooks/execute.py {name} and commit it\nstored: {was}\nfresh:  {now}"
        )


def test_prim_cells_run_with_the_ema_extra():
    tagged = [
        c
        for c in nbformat.read(FOLDER / "03_sensitivity_and_discovery.ipynb", 4).cells
        if execute.EMA_TAG in c.metadata.get("tags", ())
    ]
    assert tagged and any(draws(c.source) for c in tagged)
    if not execute.has_ema():
        pytest.skip("PRIM needs the ema extra (pip install 'connsim[ema]'): notebook 03 ran without its PRIM cells")
    nb, _ = executed("03_sensitivity_and_discovery")
    assert len([c for c in nb.cells if execute.EMA_TAG in c.metadata.get("tags", ())]) == len(tagged)


# --- the checks bite -----------------------------------------------------------------------------------------


def _tiny(tmp_path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_notebook_that_raises_fails(tmp_path):
    path = _tiny(tmp_path, "import connsim", "connsim.run('no_such_scenario')")
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="no_such_scenario"):
        execute.execute(path)


def test_a_notebook_that_loses_its_plot_fails(tmp_path):
    drawn = "import matplotlib.pyplot as plt\nfrom connsim import plots\nimport connsim\nmv = connsim.run('baseline', seed=0, until=2020).model_vars\n"
    good, _ = execute.execute(_tiny(tmp_path, drawn + "plots.convergence(mv);"))
    assert not problems(good)
    # the figure drawn, then closed before Jupyter shows it; and a backend that shows nothing
    for lost in (
        drawn + "fig = plots.convergence(mv)\nplt.close(fig)",
        "import matplotlib\nmatplotlib.use('Agg')\n" + drawn + "plots.convergence(mv);",
    ):
        nb, _ = execute.execute(_tiny(tmp_path, lost))
        assert any("shows no image" in p for p in problems(nb)), lost
