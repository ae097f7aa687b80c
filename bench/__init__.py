"""Benchmarks of the hot paths, run by `make bench`; never imported by the app."""
