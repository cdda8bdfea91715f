"""The bundled demo data, and the one function that builds a store from it.

Tests and ``weightwatch demo`` both use :func:`build_demo_store`, so the demo is exactly
what the test suite checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from weightwatch.ingest import ingest_listing
from weightwatch.store import Store


@dataclass(frozen=True)
class DemoListing:
    """One bundled listing file and the credit it needs."""

    file: str
    snapshot_date: date
    name: str
    licence: str
    url: str
    note: str

    def path(self) -> Path:
        return Path(str(resources.files("weightwatch.demo") / "data" / self.file))

    def attribution(self) -> dict[str, str]:
        return {"name": self.name, "licence": self.licence, "url": self.url, "note": self.note}


DEMO_LISTINGS: tuple[DemoListing, ...] = (
    DemoListing(
        file="hub-trending-2026-05-04.json.gz",
        snapshot_date=date(2026, 5, 4),
        name="starscreener: Hugging Face trending models (0motionguy/starscreener @ 650c160a)",
        licence="MIT, © 2026 Mirko Basil Dolger",
        url="https://github.com/0motionguy/starscreener",
        note="The Hub's top 1,000 trending models on 2026-05-04 with 30-day download counts.",
    ),
)


def build_demo_store(root: Path, *, replace: bool = True) -> Store:
    """Create (or refresh) a store at ``root`` holding every bundled demo listing."""
    store = Store.create(root)
    for listing in DEMO_LISTINGS:
        if replace or listing.snapshot_date not in store.snapshot_dates():
            ingest_listing(
                listing.path(),
                store,
                listing.snapshot_date,
                replace=True,
                attribution=listing.attribution(),
            )
    return store
