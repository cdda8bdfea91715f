"""The metrics that sum facts per model before labelling them (top_models, size_mix,
relative_adoption's default models) give what labelling every facts row gives (the
metrics' first formulation, restated here over ``model_facts``), under the conventions
that change which rows count and how they are labelled."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pytest

from weightwatch.metrics import relative_adoption, size_mix, top_models
from weightwatch.metrics.base import MetricContext
from weightwatch.metrics.conventions import size_class, size_params
from weightwatch.metrics.derivative_share import snapshot_models
from weightwatch.metrics.frame import model_facts
from weightwatch.orgs import load_registry
from weightwatch.store import Store
from weightwatch.testing.stores import model, write_snapshot

TOP_CASES: list[dict[str, Any]] = [
    {"n": 40},
    {
        "window": "14d",
        "llm_only": True,
        "group_by": "size_class",
        "size_basis": "active",
        "exclude_suspected_automated": True,
        "n": 40,
    },
    {
        "attribution": "developer",
        "group_by": "org",
        "min_downloads": 1000,
        "exclude_requantized": True,
        "n": 40,
    },
    {
        "window": "first-year",
        "attribution": "family",
        "group_by": "family",
        "pipeline_tag": ["text-generation"],
        "n": 40,
    },
    {"as_of": "2026-02-01", "window": "21d", "group_by": "org_type", "n": 10**6},
]


def labelled_every_row_top(ctx: MetricContext, params: top_models.TopModelsParams) -> list[dict]:
    """The ranking from every facts row labelled (the first formulation): the group of the
    latest listing (listed rows first, then the latest interval), the largest author (one
    per model in these stores), downloads summed, ties by id."""
    rows = model_facts(ctx, params)
    latest = ibis.window(
        group_by=rows.model_id,
        order_by=[rows.vanished.fill_null(False), ibis.desc(rows.interval_end)],
    )
    rows = rows.mutate(ww_latest=ibis.row_number().over(latest))
    models = rows.group_by("model_id").aggregate(
        author=rows.author.max(),
        group=ibis.ifelse(rows.ww_latest == 0, rows.group, ibis.null("string")).max(),
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
    )
    ranked = [m for m in models.to_pyarrow().to_pylist() if m["downloads"] > 0]
    ranked.sort(key=lambda m: (-m["downloads"], m["model_id"]))
    total = sum(m["downloads"] for m in ranked)
    return [
        {
            "rank": rank,
            "model_id": m["model_id"],
            "author": m["author"],
            "group": m["group"],
            "downloads": m["downloads"],
            "share": pytest.approx(m["downloads"] / total, rel=1e-12),
        }
        for rank, m in enumerate(ranked[: params.n], 1)
    ]


@pytest.mark.parametrize("params", TOP_CASES, ids=str)
def test_top_models_as_labelling_every_row(
    realistic_ctx: MetricContext, params: dict[str, Any]
) -> None:
    resolved = top_models.TopModelsParams(**params).resolved(realistic_ctx.store)
    result = top_models.METRIC.compute(realistic_ctx, top_models.TopModelsParams(**params))
    want = labelled_every_row_top(realistic_ctx, resolved)
    assert len(want) > 10
    assert result.to_records() == want


SIZE_CASES: list[dict[str, Any]] = [
    {},
    {"group_by": "country", "window": "21d", "min_downloads": 500},
    {"group_by": "org", "exclude_suspected_automated": True, "size_basis": "active"},
    {"attribution": "developer", "group_by": "org", "llm_only": True, "exclude_requantized": True},
]


@pytest.mark.parametrize("params", SIZE_CASES, ids=str)
def test_size_mix_downloads_as_labelling_every_row(
    realistic_ctx: MetricContext, params: dict[str, Any]
) -> None:
    resolved = size_mix.SizeMixParams(**params).resolved(realistic_ctx.store)
    rows = model_facts(realistic_ctx, resolved)
    rows = rows.mutate(size_class=size_class(size_params(rows, resolved.size_basis)))
    sums = rows.group_by(["group", "size_class"]).aggregate(
        downloads=rows.downloads.sum().fill_null(0).cast("int64"),
        unknown=rows.downloads.isnull().cast("int64").sum(),
    )
    want = {(r["group"], r["size_class"]): r for r in sums.to_pyarrow().to_pylist()}
    result = size_mix.METRIC.compute(realistic_ctx, size_mix.SizeMixParams(**params))
    got = {(r["group"], r["size_class"]): r for r in result.to_records()}
    # every class with downloads or an unknown interval is listed (one with neither only
    # when the as_of snapshot lists models in it)
    assert {k for k, r in want.items() if r["downloads"] or r["unknown"]} <= set(got)
    assert all(r["models"] or r["downloads"] or k in want for k, r in got.items())
    assert sum(r["downloads"] for r in want.values()) > 0
    for key, row in got.items():
        assert row["downloads"] == (want[key]["downloads"] if key in want else 0)
    unknown = sum(r["unknown"] for r in want.values())
    assert any(str(unknown) in note for note in result.notes) == (unknown > 0)


DEFAULT_MODEL_CASES: list[dict[str, Any]] = [
    {},
    {"n": 5000},  # more than the models with downloads: models without any make up n
    {"window": "14d", "llm_only": True, "min_downloads": 1000},
    {"window": "first-year", "exclude_requantized": True, "n": 50},
]


@pytest.mark.parametrize("params", DEFAULT_MODEL_CASES, ids=str)
def test_relative_adoption_default_models_as_labelling_every_row(
    realistic_ctx: MetricContext, params: dict[str, Any]
) -> None:
    resolved = relative_adoption.RelativeAdoptionParams(**params).resolved(realistic_ctx.store)
    facts = model_facts(realistic_ctx, resolved)
    totals = facts.group_by("model_id").aggregate(total=facts.downloads.sum().fill_null(0))
    pool = snapshot_models(realistic_ctx, resolved)
    listed = {m.lower() for m in pool.select("model_id").to_pyarrow()["model_id"].to_pylist()}
    ranked = [t for t in totals.to_pyarrow().to_pylist() if t["model_id"].lower() in listed]
    ranked.sort(key=lambda t: (-t["total"], t["model_id"]))
    want = [t["model_id"] for t in ranked[: resolved.n]]
    assert len(want) == min(resolved.n, len(ranked)) > 10
    assert relative_adoption.top_models(realistic_ctx, resolved) == want


# ------------------------------------------------- the latest listing has no downloads


def test_group_of_a_listing_after_the_last_downloads(tmp_path: Path) -> None:
    """Qwen/a stops downloading after the second week, then its listing says 8B (was 3B);
    meta-llama/b vanishes in the last week (its listing before says 70B): the groups
    are those of the latest listings, though those intervals add no downloads."""
    days = [date(2026, 1, 4) + timedelta(days=7 * i) for i in range(4)]
    weeks = {
        "Qwen/a": [(100, 3 * 10**9), (300, 3 * 10**9), (300, 3 * 10**9), (300, 8 * 10**9)],
        "meta-llama/b": [(50, None), (60, None), (70, 70 * 10**9), None],
        "google/c": [(10, None)] * 4,
    }
    store = Store.create(tmp_path / "store")
    for i, day in enumerate(days):
        listed = [(m, week) for m, w in weeks.items() if (week := w[i]) is not None]
        rows = [
            model(m, counter, pipeline_tag="text-generation", params_total=params)
            for m, (counter, params) in listed
        ]
        write_snapshot(store, day, rows)
    ctx = MetricContext(store, load_registry())
    params = top_models.TopModelsParams(group_by="size_class")
    rows = top_models.METRIC.compute(ctx, params).to_records()
    got = [(r["model_id"], r["group"], r["downloads"]) for r in rows]
    assert got == [
        ("Qwen/a", "7-30B", 300),
        ("meta-llama/b", "30-100B", 70),
        ("google/c", "unknown", 10),
    ]
