"""Model lineage: edges from every place the Hub records them, resolution to roots, families.

Pipeline: :mod:`~weightwatch.lineage.extract` (card, tags, API expansion → normalised edges,
problems, conflicts, inferred relation) → :mod:`~weightwatch.lineage.resolve` (primary
parent, roots, depth, path, cycles, dangling parents) → :mod:`~weightwatch.lineage.families`
(root → family) → :mod:`~weightwatch.lineage.build` (the ``lineage`` and ``lineage_edges``
tables in the store, built lazily).  The resolver itself is
``weightwatch.lineage.resolve.resolve`` (not re-exported: it would shadow its module).
"""

from weightwatch.lineage.build import (
    EDGES_SCHEMA,
    EDGES_TABLE,
    LINEAGE_SCHEMA,
    LINEAGE_VERSION,
    NODES_TABLE,
    LineageBuild,
    build_lineage,
    compute_lineage,
    ensure_lineage,
    lineage_tables,
    read_lineage,
)
from weightwatch.lineage.families import FamilyRules, load_families
from weightwatch.lineage.ids import normalize_id, normalize_ids

__all__ = [
    "EDGES_SCHEMA",
    "EDGES_TABLE",
    "LINEAGE_SCHEMA",
    "LINEAGE_VERSION",
    "NODES_TABLE",
    "FamilyRules",
    "LineageBuild",
    "build_lineage",
    "compute_lineage",
    "ensure_lineage",
    "lineage_tables",
    "load_families",
    "normalize_id",
    "normalize_ids",
    "read_lineage",
]
