"""``python -m connsim``: the same as the ``connsim`` command."""

from connsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
