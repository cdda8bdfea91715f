"""The DuckDB engine's memory cap: a share of the machine's memory, at most 6 GiB, or the
size given in ``$WEIGHTWATCH_DUCKDB_MEMORY``; it spills beyond it."""

from __future__ import annotations

from typing import Any

import pytest

from weightwatch.engine import DUCKDB_MEMORY_CAP, DUCKDB_MEMORY_ENV, connect, duckdb_memory_limit
from weightwatch.errors import ConfigError


def setting(con: Any, name: str) -> str:
    return str(con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0])


def test_default_cap_is_a_share_of_memory_at_most_6_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DUCKDB_MEMORY_ENV, raising=False)
    mib = int(duckdb_memory_limit().removesuffix("MiB"))
    assert 0 < mib <= DUCKDB_MEMORY_CAP // 2**20
    con = connect()
    assert setting(con, "memory_limit").endswith("iB")
    assert "weightwatch-duckdb-" in setting(con, "temp_directory")
    assert con.raw_sql("SELECT 42").fetchone()[0] == 42


def test_the_environment_sets_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DUCKDB_MEMORY_ENV, "1GiB")
    assert setting(connect(), "memory_limit") == "1.0 GiB"
    monkeypatch.setenv(DUCKDB_MEMORY_ENV, "plenty")
    with pytest.raises(ConfigError, match=DUCKDB_MEMORY_ENV):
        connect()
