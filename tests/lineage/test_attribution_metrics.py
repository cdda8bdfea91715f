"""Lineage-aware attribution and the lineage metrics, on the real demo snapshot."""

from __future__ import annotations

import ibis
import pytest

from weightwatch.attribution import ATTRIBUTIONS, attribute, attribute_uploader, group_label
from weightwatch.errors import MetricError
from weightwatch.lineage.build import ensure_lineage, lineage_tables
from weightwatch.metrics import METRICS, MetricContext
from weightwatch.orgs import load_registry
from weightwatch.store import Store


@pytest.fixture(scope="module")
def ctx(demo_store: Store) -> MetricContext:
    return MetricContext(demo_store, load_registry())


def _shares(ctx: MetricContext, mode: str) -> dict[str, float]:
    when = ctx.store.latest()
    models = ctx.snapshots().filter(ibis._.snapshot_date == when)
    lineage = lineage_tables(ctx.con, ctx.store, when)[0] if mode != "uploader" else None
    attributed = attribute(models, ctx.registry_table(), mode, lineage)
    labelled = attributed.mutate(group=group_label(attributed, "country"))
    rows = labelled.group_by("group").aggregate(d=labelled.downloads_30d.fill_null(0).sum())
    table = rows.to_pyarrow().to_pylist()
    total = sum(r["d"] for r in table)
    return {r["group"]: r["d"] / total for r in table}


def test_attribution_modes(ctx: MetricContext) -> None:
    assert ATTRIBUTIONS == ("uploader", "developer", "family")
    when = ctx.store.latest()
    models = ctx.snapshots().filter(ibis._.snapshot_date == when)
    reg = ctx.registry_table()
    # uploader mode is attribute_uploader, unchanged
    same = attribute(models, reg).to_pyarrow().sort_by("model_id")
    assert same.equals(attribute_uploader(models, reg).to_pyarrow().sort_by("model_id"))
    with pytest.raises(MetricError, match="needs the lineage table"):
        attribute(models, reg, "developer")
    with pytest.raises(MetricError, match="unknown attribution"):
        attribute(models, reg, "nope", None)
    lineage = lineage_tables(ctx.con, ctx.store, when)[0]
    dev = {r["model_id"]: r for r in attribute(models, reg, "developer", lineage).to_pyarrow()
           .to_pylist()}  # fmt: skip
    fam = {r["model_id"]: r for r in attribute(models, reg, "family", lineage).to_pyarrow()
           .to_pylist()}  # fmt: skip
    assert len(dev) == len(fam) == 1000
    # a GGUF re-upload by an individual counts for the developer of its root
    gguf = "unsloth/gemma-4-31B-it-GGUF"
    assert dev[gguf]["organisation"] == "Google" and dev[gguf]["country"] == "US"
    assert (
        fam[gguf]["organisation"] == "Gemma" and fam[gguf]["root_model"] == "google/gemma-4-31B-it"
    )
    qwen_ft = [m for m, r in dev.items() if r["root_model"] and r["root_model"].startswith("Qwen/")
               and not m.startswith("Qwen/")]  # fmt: skip
    assert qwen_ft and all(dev[m]["country"] == "CN" for m in qwen_ft)
    # shares still sum to 1 in every mode, and following lineage moves share to roots' labs
    up, de = _shares(ctx, "uploader"), _shares(ctx, "developer")
    for shares in (up, de, _shares(ctx, "family")):
        assert sum(shares.values()) == pytest.approx(1.0)
    assert de["CN"] > up["CN"]


def test_metrics_are_registered_and_consistent(ctx: MetricContext) -> None:
    when = ensure_lineage(ctx.store)
    nodes = lineage_tables(ctx.con, ctx.store, when)[0].to_pyarrow().to_pylist()
    derived = [r for r in nodes if r["in_snapshot"] and r["status"] in ("derived", "unresolved")]

    counts = METRICS["derivative_counts"]
    total = counts.compute(ctx, counts.params())
    assert sum(r["derivatives"] for r in total.to_records()) == len(derived)
    assert total.params["relation_source"] == "inferred"
    assert total.provenance["lineage"]["families_version"]
    first = total.to_records()[0]
    assert first["family"] == "Qwen" and first["relation"] == "quantized"
    declared = counts.compute(ctx, counts.params(relation_source="declared")).to_records()
    assert sum(r["derivatives"] for r in declared) == len(derived)
    monthly = counts.compute(ctx, counts.params(by="month")).to_records()
    last: dict[tuple[str, str], int] = {}
    for r in monthly:  # cumulative grows month by month
        key = (r["family"], r["relation"])
        assert r["cumulative"] == last.get(key, 0) + r["derivatives"]
        last[key] = r["cumulative"]

    share = METRICS["new_derivative_share"]
    rows = share.compute(ctx, share.params(top=5)).to_records()
    months: dict[str, float] = {}
    for r in rows:
        months[r["month"]] = months.get(r["month"], 0.0) + r["share"]
    assert all(v == pytest.approx(1.0) for v in months.values())
    assert len({r["family"] for r in rows} - {"other"}) <= 5
    only = share.compute(ctx, share.params(relations=["finetune"], top=0)).to_records()
    assert sum(r["derivatives"] for r in only) == sum(
        1 for r in derived if r["relation"] == "finetune"
    )

    depth = METRICS["lineage_depth"]
    by_family = depth.compute(ctx, depth.params()).to_records()
    assert by_family[0]["family"] == "(all)" and by_family[0]["models"] == 1000
    assert by_family[0]["max_depth"] == max(r["depth"] or 0 for r in nodes if r["in_snapshot"])
    hist = depth.compute(ctx, depth.params(by="depth")).to_records()
    assert sum(r["models"] for r in hist) == 1000

    top = METRICS["top_intermediaries"]
    inter = top.compute(ctx, top.params(limit=5)).to_records()
    assert len(inter) == 5 and inter[0]["model_id"] == "Qwen/Qwen3.5-9B"
    assert [r["descendants"] for r in inter] == sorted((r["descendants"] for r in inter),
                                                        reverse=True)  # fmt: skip
    assert all(r["depth"] >= 1 and r["children"] >= 1 for r in inter)
