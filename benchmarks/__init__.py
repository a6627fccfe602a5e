"""Reproducible benchmarks: `python -m benchmarks NAME`. Each prints a ratio to a baseline run
side by side in the same process, plus the absolute figures."""
