"""``python -m connsim``: the same as the ``connsim`` command."""

import sys

try:
    from connsim.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: quiet, like the command itself
    sys.stderr.write("connsim: interrupted; nothing was written\n")
    exec("None")  # (see connsim.cli._forget_interrupt)
    raise SystemExit(130) from None

if __name__ == "__main__":
    raise SystemExit(main())
