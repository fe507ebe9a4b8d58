"""Where connsim finds its data: the seed tables and the scenario library, as package data.

The repository keeps ``seeds/`` and ``scenarios/`` at its top level; ``pyproject.toml`` maps them into the package
as ``connsim._seeds`` and ``connsim._scenarios`` (setuptools ``package-dir``), so every file exists once and is
read with :mod:`importlib.resources` in each of the three ways connsim is used:

- a built wheel, installed: the folders are ``site-packages/connsim/_seeds`` and ``.../_scenarios``;
- an editable install (``pip install -e .``): setuptools' editable finder maps the two packages to the
  checkout's ``seeds/`` and ``scenarios/``;
- a source checkout put on ``sys.path`` without installing (the benchmarks do this): the two packages cannot be
  imported, and the checkout's own folders are used.

A source checkout always reads its own folders, even when a different checkout is installed editable in the same
environment (otherwise a second worktree would silently load the first one's seeds).

Imports only the standard library.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["package_folder", "as_path"]

#: The folder holding the ``connsim`` package: the repository root in a checkout, ``site-packages`` when installed.
_ROOT = Path(__file__).resolve().parents[1]
_EXTRACTED = contextlib.ExitStack()  # folders extracted from a zipped install, removed at exit
atexit.register(_EXTRACTED.close)


def _is_checkout() -> bool:
    return (_ROOT / "pyproject.toml").is_file() and (_ROOT / "connsim" / "_data.py").is_file()


def package_folder(package: str, folder: str) -> Traversable:
    """The data folder of ``package`` (e.g. ``"connsim._seeds"``), or the checkout's ``folder`` (e.g. ``"seeds"``).

    Parameters
    ----------
    package : str
        Dotted name of the data package (``connsim._seeds`` or ``connsim._scenarios``).
    folder : str
        Its folder at the repository root (``seeds`` or ``scenarios``), used when connsim runs from a checkout.

    Returns
    -------
    importlib.resources.abc.Traversable
        A :class:`pathlib.Path` whenever the package sits on the file system (all three installs above); glob it
        with ``.iterdir()``, which every Traversable has.
    """
    checkout = _ROOT / folder
    try:
        found = importlib.resources.files(package)
    except ModuleNotFoundError:  # a checkout on sys.path, not installed
        return checkout
    if _is_checkout() and not (isinstance(found, Path) and found.resolve() == checkout.resolve()):
        return checkout  # this checkout, although another one is installed editable
    return found


def as_path(folder: Traversable) -> Path:
    """A file-system path for ``folder``: itself if it is one, else a copy extracted until the interpreter exits.

    Only a zipped install needs the copy (``importlib.resources.as_file``, which extracts folders on Python 3.12+).
    """
    if isinstance(folder, Path):
        return folder
    return Path(_EXTRACTED.enter_context(importlib.resources.as_file(folder)))
