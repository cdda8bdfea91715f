"""Compute the report's metrics over a store and render them: the main job's last step."""

from __future__ import annotations

from pathlib import Path

from weightwatch.metrics import MetricContext, get_or_raise
from weightwatch.metrics.download_share import DownloadShareParams
from weightwatch.orgs import OrgRegistry
from weightwatch.report.render import Attribution, render_report
from weightwatch.store import Store

#: The public tables the bundled org registry was seeded from (see weightwatch/orgs/data).
REGISTRY_ATTRIBUTIONS: tuple[Attribution, ...] = (
    Attribution(
        name="ATOM Project tracked-models, organization_regions.csv (Interconnects-AI)",
        licence="Apache-2.0",
        url="https://github.com/Interconnects-AI/tracked-models",
        note="Seed of the organisation registry's account → region rows.",
    ),
    Attribution(
        name="Epoch AI, 'Data on AI Models' (notable models table)",
        licence="CC-BY-4.0",
        url="https://epoch.ai/data/ai-models",
        note="Organisation → country facts used in the organisation registry.",
    ),
)


def snapshot_attributions(store: Store) -> list[Attribution]:
    """The data credits recorded in the manifests of the store's snapshots, deduplicated."""
    seen: dict[str, Attribution] = {}
    for manifest in store.manifests():
        credit = manifest.extra.get("attribution")
        if isinstance(credit, dict) and credit.get("name") and credit["name"] not in seen:
            seen[credit["name"]] = Attribution(
                name=str(credit["name"]),
                licence=str(credit.get("licence", "")),
                url=credit.get("url"),
                note=credit.get("note"),
            )
    return list(seen.values())


def build_report(
    store: Store,
    out: Path,
    registry: OrgRegistry,
    *,
    lang: str = "en",
    engine: str = "duckdb",
) -> Path:
    """Download share by country (latest snapshot, uploader attribution, 30-day counter)
    rendered as one self-contained HTML file at ``out``."""
    ctx = MetricContext(store, registry, engine)
    share = get_or_raise("download_share")
    results = [share.compute(ctx, DownloadShareParams(group_by="country"))]
    credits = [*snapshot_attributions(store), *REGISTRY_ATTRIBUTIONS]
    return render_report(results, out, lang=lang, attributions=credits)
