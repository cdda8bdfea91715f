"""The snapshot store (Hive-partitioned Parquet + manifests) and its query engine."""

from weightwatch.store.manifest import DataFile, InputFile, Manifest
from weightwatch.store.snapshots import SnapshotWriter, Store, partition_name

__all__ = ["DataFile", "InputFile", "Manifest", "SnapshotWriter", "Store", "partition_name"]
