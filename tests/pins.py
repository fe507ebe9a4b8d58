"""The pinned numbers: every library scenario x 3 seeds, as the model gave them when they were pinned.

``python -m tests.pins`` writes ``tests/data/pinned.parquet`` (every outcome of every step) and
``tests/data/pinned_choices.npz`` (every state's 5G policy and data-flow regime at every step).
``tests/test_pinned.py`` checks that the model still gives them. Re-pin only for a change that is
meant to change the numbers, and say in the commit which change and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
SEEDS = (0, 1, 2)


def library() -> list[str]:
    import connsim

    return sorted(connsim.list_scenarios())


def compute() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    import connsim

    frames, choices = [], {}
    for name in library():
        for seed in SEEDS:
            result = connsim.run(name, seed=seed)
            frames.append(result.model_vars.assign(scenario=name, seed=seed))
            av = result.agent_vars
            n = int((av["step"] == 0).sum())
            for col in ("vendor_policy", "regime"):
                choices[f"{name}/{seed}/{col}"] = av[col].cat.codes.to_numpy(np.int8).reshape(-1, n)
    return pd.concat(frames, ignore_index=True), choices


def main() -> None:
    DATA.mkdir(exist_ok=True)
    table, choices = compute()
    table.to_parquet(DATA / "pinned.parquet", index=False, compression="zstd")
    np.savez_compressed(DATA / "pinned_choices.npz", **choices)
    print(f"pinned {table.shape[0]} rows x {table.shape[1]} columns and {len(choices)} choice arrays in {DATA}")


if __name__ == "__main__":
    sys.exit(main())
