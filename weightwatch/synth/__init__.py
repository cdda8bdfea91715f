"""Synthetic data shaped like the public dumps, for benchmarks and scale tests.

Generated vectorised (numpy + Arrow), deterministic for a seed; never bundled as data.

* :mod:`weightwatch.synth.hub_stats`: one hub-stats-format ``models.parquet`` (and the next
  week's), the input of the ingest benchmark;
* :mod:`weightwatch.synth.hub`: a whole store of weekly snapshots with their deltas
  (:func:`weightwatch.synth.hub.generate_store`, ``weightwatch synth``).
"""
