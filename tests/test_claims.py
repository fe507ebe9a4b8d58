"""The claims table: every claim of the paper names a mechanism, its parameters and a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import connsim
from connsim.scenario import Scenario
from connsim.weights import Weights

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = pd.read_csv(ROOT / "seeds" / "claims.csv")
PAPER = Path(connsim.__file__).resolve().parents[2] / "shared" / "seed" / "elcano-eu-japan-digital-connectivity.txt"


def test_claims_table_is_complete():
    assert list(CLAIMS.columns) == ["claim_id", "section", "claim", "mechanism", "parameters", "test"]
    assert CLAIMS["claim_id"].is_unique and len(CLAIMS) >= 10
    assert not CLAIMS.isna().any().any()


def test_every_named_test_exists():
    for ref in CLAIMS["test"]:
        named = re.findall(r"(tests/\w+\.py)(?:::(\w+))?", ref)
        assert named, f"claim test reference names no test file: {ref!r}"
        for path, name in named:
            source = (ROOT / path).read_text()
            if name:
                assert re.search(rf"def {re.escape(name)}\b", source), f"{path} has no test {name}"


def test_every_named_parameter_exists():
    for params in CLAIMS["parameters"]:
        for p in (x.strip() for x in params.split(",")):
            if p.startswith("weights."):
                assert p.removeprefix("weights.") in Weights.model_fields, p
            elif p.startswith("seeds/"):
                assert (ROOT / p.split(" ")[0]).exists(), p
            else:
                assert p in Scenario.model_fields, p


def test_quotes_come_from_the_paper():
    if not PAPER.exists():  # the paper sits in ../shared beside the checkout
        import pytest

        pytest.skip("source paper not beside the checkout")
    text = re.sub(r"\s+", " ", PAPER.read_text()).replace("’", "'").replace("‘", "'").replace("–", "-")
    for claim in CLAIMS["claim"]:
        for fragment in re.split(r"\s*\.\.\.\s*", claim.strip('"')):
            fragment = fragment.strip(" .'\"")
            if len(fragment) > 25:
                assert fragment[:60] in text, fragment[:60]
