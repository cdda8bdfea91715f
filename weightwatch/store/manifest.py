"""The manifest written beside each published snapshot (``_manifest.json``).

It records where the snapshot came from (source, input files and their checksums), what
was written (files, row counts, checksums) and what was refused (rejected rows, nulled
fields), so any number computed from the store can name its inputs.  Readers of the
Parquet files skip it: its name starts with ``_``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from weightwatch.errors import IntegrityError

MANIFEST_NAME = "_manifest.json"
REJECTS_NAME = "_rejects.jsonl"


class InputFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    sha256: str
    bytes: int
    container: str | None = None


class DataFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rows: int
    bytes: int
    sha256: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    snapshot_date: date
    source: str
    rows: int
    files: list[DataFile]
    inputs: list[InputFile] = Field(default_factory=list)
    rejected_rows: int = 0
    field_issues: int = 0
    partial: bool = False
    created_at: datetime
    tool_version: str
    schema_version: str
    extra: dict[str, Any] = Field(default_factory=dict)

    def write(self, directory: Path) -> Path:
        path = directory / MANIFEST_NAME
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_NAME
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise IntegrityError(
                f"{directory}: no {MANIFEST_NAME}; this is not a published snapshot"
            ) from None
        except (json.JSONDecodeError, ValidationError) as exc:
            raise IntegrityError(f"{path}: unreadable manifest ({exc})") from exc
