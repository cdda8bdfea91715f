"""Benchmarks: speed and memory measured against a baseline in the same run.

Each case runs in a fresh Python process (:func:`weightwatch.bench.runner.measure`) so its
peak memory is its own; ratios compare cases measured back to back on the same data.
"""
