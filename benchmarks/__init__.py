"""Benchmarks of connsim (see run.py and README.md); not part of the installed package."""
