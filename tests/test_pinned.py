"""Refactoring keeps the numbers: every library scenario x 3 seeds gives the pinned outcomes.

The pins (``tests/pins.py``) hold every outcome of every step and every state's choices. Choices
must be identical; outcomes equal within 1e-12 (relative and absolute: a rearranged sum may
differ in its last bits, nothing more).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests import pins

#: Outcome columns renamed since the pins were made: old name -> new name (one naming order:
#: the measure first, then what it is measured over).
RENAMED: dict[str, str] = {
    f"{p}_{old}": f"scorecard_{new}_{p}"
    for p in ("EUU", "JPN", "USA", "CHN")
    for old, new in (
        ("security", "security"),
        ("cost_usd_bn", "cost_usd_bn"),
        ("data_access", "data_access"),
        ("norm_reach", "norm_reach"),
        ("norm_reach_gdp", "norm_reach_gdp"),
        ("oda_partnerships", "oda_partners"),
    )
}


@pytest.fixture(scope="module")
def computed():
    return pins.compute()


def test_every_library_scenario_is_pinned():
    pinned = pd.read_parquet(pins.DATA / "pinned.parquet", columns=["scenario"])
    assert set(pinned["scenario"]) == set(pins.library())


def test_outcomes_equal_the_pins(computed):
    table, _ = computed
    pinned = pd.read_parquet(pins.DATA / "pinned.parquet").rename(columns=RENAMED)
    assert set(pinned.columns) <= set(table.columns), sorted(set(pinned.columns) - set(table.columns))
    key = ["scenario", "seed", "step"]
    merged = pinned.merge(table, on=key, suffixes=("_pinned", ""), validate="one_to_one")
    assert len(merged) == len(pinned) == len(table)
    for col in pinned.columns:
        if col in key:
            continue
        np.testing.assert_allclose(merged[col], merged[f"{col}_pinned"], rtol=1e-12, atol=1e-12, err_msg=col)


def test_choices_equal_the_pins(computed):
    _, choices = computed
    with np.load(pins.DATA / "pinned_choices.npz") as pinned:
        assert set(pinned.files) == set(choices)
        for name in pinned.files:
            np.testing.assert_array_equal(choices[name], pinned[name], err_msg=name)
