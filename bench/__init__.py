"""Benchmarks: `make bench` prints our figures beside the peer's, measured in one run."""
