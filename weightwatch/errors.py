"""Every exception weightwatch raises on purpose.

The tree::

    WeightwatchError                 root: the CLI prints its message and exits non-zero
    ├── InputError                   a user-supplied file or argument is wrong
    │   ├── ParseError               a file cannot be parsed as a whole (has .path, .position)
    │   └── ConfigError              an org overlay, claim or config file is invalid
    ├── SchemaError                  data does not fit the canonical schema
    ├── StoreError                   the snapshot store refused or failed an operation
    │   ├── SnapshotExists           publishing a date that is already there without replace
    │   ├── SnapshotNotFound         asking for a date or store that is not there
    │   └── IntegrityError           a manifest, checksum or row count does not match
    ├── MetricError                  unknown metric or invalid metric parameters
    └── SourceError                  a remote source failed (HTTP errors, bad pages)
        ├── RateLimited              the source asked us to slow down (has .retry_after)
        └── SourceRefused            a non-retryable answer, e.g. 404 (has .url, .status)

Each message says what was wrong, where (file, line, field), and what to do about it.
"""

from __future__ import annotations

from pathlib import Path


class WeightwatchError(Exception):
    """Root of every error weightwatch raises deliberately."""

    exit_code = 1


class InputError(WeightwatchError):
    """A user-supplied file or argument is wrong."""

    exit_code = 2


class ParseError(InputError):
    """A file cannot be parsed as a whole: truncated, not JSON, wrong container."""

    def __init__(self, path: Path | str, position: str, reason: str) -> None:
        self.path = Path(path)
        self.position = position
        self.reason = reason
        super().__init__(
            f"{self.path}: cannot parse at {position}: {reason}. "
            "Nothing was written; fix or re-download the file and run again."
        )


class ConfigError(InputError):
    """An org overlay, claim or config file is invalid."""


class SchemaError(WeightwatchError):
    """Data does not fit the canonical schema."""


class StoreError(WeightwatchError):
    """The snapshot store refused or failed an operation."""


class SnapshotExists(StoreError):
    """A snapshot for that date is already published (use replace to overwrite it)."""


class SnapshotNotFound(StoreError):
    """The requested store or snapshot does not exist."""


class IntegrityError(StoreError):
    """A manifest, checksum or row count does not match the files on disk."""


class MetricError(WeightwatchError):
    """An unknown metric, or parameters a metric cannot accept."""

    exit_code = 2


class SourceError(WeightwatchError):
    """A remote source failed: HTTP errors, malformed pages."""


class RateLimited(SourceError):
    """The source asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class SourceRefused(SourceError):
    """The source answered with a status that retrying will not change (4xx but 408/429)."""

    def __init__(self, message: str, *, url: str, status: int) -> None:
        self.url = url
        self.status = status
        super().__init__(message)
