"""Run the notebooks top to bottom on a fresh Jupyter kernel and store them with their outputs.

    python notebooks/execute.py                 # every notebook in this folder
    python notebooks/execute.py 02_strategic_autonomy

The notebooks are kept *executed*: a student or a teacher who opens one on the web sees its
tables and figures before running anything. To keep them small, each stored figure is re-encoded
as a 64-colour PNG (the plots use an 8-colour palette: the picture looks the same, at about a third
of the bytes) and the notebooks store no timing metadata. The model is deterministic for a given
seed, so a fresh run reproduces the stored text outputs exactly; ``tests/test_notebooks.py``
executes every notebook, checks it, and fails when the stored outputs are out of date (after a
change to the model's rules or weights): then run this script again and commit the notebooks.

Needs the ``test`` extra (nbclient, nbformat, ipykernel) and, for notebook 03's PRIM cells, ``ema``.
"""

from __future__ import annotations

import base64
import io
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The packages whose versions decide the text a notebook prints (stored in its metadata).
VERSIONED = ("connsim", "mesa", "numpy", "pandas", "scipy", "matplotlib", "SALib", "ema_workbench")
#: Colours of a stored figure (see the module docstring).
COLOURS = 64
#: Cells tagged so need the ``ema`` extra (EMA Workbench's PRIM).
EMA_TAG = "needs-ema"


def notebooks() -> list[Path]:
    """The notebooks of this folder, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def has_ema() -> bool:
    """Whether EMA Workbench (the ``ema`` extra) is installed (found, not imported)."""
    import importlib.util

    return importlib.util.find_spec("ema_workbench") is not None


def versions() -> dict[str, str]:
    """The Python and package versions outputs depend on (absent packages: "")."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def execute(path: Path, *, drop_tags: tuple[str, ...] = (), timeout: int = 600):
    """Execute the notebook at ``path`` in a fresh ``python3`` kernel, working in its folder.

    Cells tagged with one of ``drop_tags`` are left out. Returns ``(notebook, seconds)``; a cell
    that raises raises :class:`nbclient.exceptions.CellExecutionError` (naming the cell)."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not set(c.get("metadata", {}).get("tags", ())) & set(drop_tags)]
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(path.parent)}}
    )
    # Mesa imports tqdm.auto, which warns in a kernel without ipywidgets (a warning about progress
    # bars no notebook here shows, printed with this machine's paths): not stored, not a failure
    env = {**os.environ, "PYTHONWARNINGS": "ignore:IProgress not found"}
    start = time.perf_counter()
    client.execute(env=env)
    return nb, time.perf_counter() - start


def shrink_png(data: str, colours: int = COLOURS) -> str:
    """A base64 PNG re-encoded with a palette of ``colours`` (same size in pixels)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB").quantize(colors=colours)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def store(path: Path) -> tuple[float, int]:
    """Execute ``path`` whole and write it back with its outputs. Returns (seconds, bytes written)."""
    import nbformat

    if not has_ema():
        raise SystemExit(f"{path.name}: storing needs every cell run; install the ema extra (pip install -e '.[test,ema]')")
    nb, seconds = execute(path)
    for cell in nb.cells:
        for out in cell.get("outputs", ()):
            data = out.get("data", {})
            if "image/png" in data:
                data["image/png"] = shrink_png(data["image/png"])
    nb.metadata["connsim"] = {"executed_with": versions()}
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds, path.stat().st_size


def main(argv: list[str]) -> int:
    chosen = notebooks()
    if argv:
        by_name = {p.stem: p for p in chosen}
        unknown = [a for a in argv if Path(a).stem not in by_name]
        if unknown:
            print(f"execute.py: no notebook {unknown[0]!r}; allowed: {', '.join(by_name)}", file=sys.stderr)
            return 2
        chosen = [by_name[Path(a).stem] for a in argv]
    for path in chosen:
        seconds, size = store(path)
        print(f"{path.name}: {seconds:.1f} s, {size / 1024:.0f} KB stored")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
