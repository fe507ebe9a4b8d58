"""The scenario library, installed as the package data ``connsim._scenarios`` (see pyproject.toml, ``package-dir``).

The ``*.toml`` files are the library (``connsim list``); the ``*.py`` files are example scripts, shipped to be read
and run (``python scenarios/NAME.py``), never imported by connsim. Read the folder through
:func:`connsim.scenario.library_dir`. This file only makes the folder a regular package, so that
``importlib.resources`` finds it the same way in a wheel, an editable install and a source checkout.
"""
