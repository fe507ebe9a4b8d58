"""The README's Python examples run as written (each block on its own)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples():
    assert BLOCKS, "the README has no Python example"


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_python_examples_run(i):
    code = BLOCKS[i]
    if "connsim.discover(" in code and importlib.util.find_spec("ema_workbench") is None:
        pytest.skip("this example runs PRIM: the EMA Workbench is not installed (pip install 'connsim[ema]')")
    exec(compile(code, f"README.md[python block {i}]", "exec"), {})
