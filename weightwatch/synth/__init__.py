"""Synthetic data shaped like the public dumps, for benchmarks and scale tests.

Generated vectorised (numpy + Arrow), deterministic for a seed; never bundled as data.
"""
