"""Benchmarks (``make bench``): speed and memory targets, checked here and not in timed tests."""
