"""The seed tables, installed as the package data ``connsim._seeds`` (see pyproject.toml, ``package-dir``).

Read them through :func:`connsim.seeds.seeds_dir` / :func:`connsim.seeds.load_seeds`; ``build.py`` rebuilds them
from ``reference/``. This file only makes the folder a regular package, so that ``importlib.resources`` finds it
the same way in a wheel, an editable install and a source checkout.
"""
