"""Write the pictures of docs/plots.md, docs/dashboard.md and the README into docs/img/.

``python docs/make_images.py`` writes the plots: connsim.plots' own, saved at a lower resolution.
``python docs/make_images.py --dashboard`` writes the dashboard's screenshots instead
(``dashboard.png``, ``classroom.png``): it runs the browser test (tests/test_dashboard_browser.py,
so the pictures are the page the test checks, after its lever move, steps and classroom decision),
which saves its screenshots into ``$CONNSIM_SCREENSHOTS``; it needs the viz and browser extras and
a Chromium (``pip install -e ".[viz,browser,test]"``, ``apt-get install chromium``). Every picture
is reduced to 256 colours so that each file stays small (under 200 KB).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402 (Pillow: a dependency of matplotlib)

import connsim  # noqa: E402
from connsim import plots  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"


def save_small(fig, name: str, dpi: int = 80) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    plt.close(fig)
    buf.seek(0)
    image = Image.open(buf).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    path = IMG / name
    image.save(path, optimize=True)
    return path


#: The browser test's screenshots that the docs show: its file -> the picture in docs/img/.
SCREENSHOTS = {"dashboard-stepped.png": "dashboard.png", "classroom-decided.png": "classroom.png"}


def small_png(source: Path, name: str) -> Path:
    """A screenshot as a 256-colour PNG in docs/img/ (no dithering: flat colours stay flat)."""
    image = Image.open(source).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    path = IMG / name
    image.save(path, optimize=True)
    return path


def dashboard_screenshots() -> list[Path]:
    """Run the browser test with ``$CONNSIM_SCREENSHOTS`` set and keep the pictures of :data:`SCREENSHOTS`."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "CONNSIM_SCREENSHOTS": folder}
        test = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/test_dashboard_browser.py"]
        done = subprocess.run(test, cwd=root, env=env)
        missing = [f for f in SCREENSHOTS if not (Path(folder) / f).is_file()]
        if done.returncode or missing:
            sys.exit(f"the browser test did not pass or was skipped (exit status {done.returncode}); no screenshot written")
        return [small_png(Path(folder) / f, name) for f, name in SCREENSHOTS.items()]


def main() -> None:
    IMG.mkdir(exist_ok=True)
    if "--dashboard" in sys.argv[1:]:
        for p in dashboard_screenshots():
            print(f"{p.relative_to(IMG.parent.parent)}: {p.stat().st_size / 1024:.0f} KB")
        return
    result = connsim.run("baseline", seed=0)
    written = [
        save_small(result.plot("baseline, seed 0"), "run_overview.png"),
        save_small(plots.world_map(result.agent_vars, layers=["orientation", "vendor_policy"]), "world_map.png"),
    ]
    ens = connsim.run_ensemble(["baseline", "hardening_conflict"], replications=20, until=2026)
    keys = ["us_allies_restricting", "eu_restricting", "hr_core_share_third"]
    written.append(save_small(plots.comparison(ens.model_vars, keys), "comparison.png"))
    for p in written:
        print(f"{p.relative_to(IMG.parent.parent)}: {p.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
