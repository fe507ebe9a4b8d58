"""Write the pictures of docs/plots.md into docs/img/ (python docs/make_images.py).

The plots are connsim.plots' own, saved at a lower resolution and reduced to 256 colours so that
each file stays small (under 150 KB).
"""

from __future__ import annotations

import io
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


def main() -> None:
    IMG.mkdir(exist_ok=True)
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
