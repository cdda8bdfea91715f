"""Edge extraction from every place a listing records lineage, normalisation, problems,
conflicts and the inferred relation — on a crafted listing and on the real trending one."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weightwatch.lineage.build import compute_lineage
from weightwatch.lineage.ids import install_macros, normalize_id, normalize_ids
from weightwatch.store import Store


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Qwen/Qwen3-8B", ("Qwen/Qwen3-8B", None)),
        (" https://huggingface.co/Qwen/Qwen3-8B/tree/main ", ("Qwen/Qwen3-8B", None)),
        ("hf.co/meta-llama/Llama-3.1-8B@abc123", ("meta-llama/Llama-3.1-8B", None)),
        ("huggingface.co/google/gemma-3-4b-it/", ("google/gemma-3-4b-it", None)),
        ("https://www.hf.co/a/b/resolve/main/model.gguf", ("a/b", None)),
        ("https://huggingface.co/models/x/y.git", ("x/y", None)),
        ("hf://a/b", ("a/b", None)),
        ('"Qwen/Qwen3-8B"', ("Qwen/Qwen3-8B", None)),
        ("gpt2", ("gpt2", None)),
        ("N/A", (None, "placeholder")),
        ("none", (None, "placeholder")),
        ("", (None, "empty")),
        (None, (None, "empty")),
        (42, (None, "not_a_string")),
        ("./models/x", (None, "local_path")),
        ("/home/me/ckpt", (None, "local_path")),
        ("C:\\x\\y", (None, "local_path")),
        ("https://github.com/foo/bar", (None, "not_a_hub_url")),
        ("datasets/foo/bar", (None, "not_a_model")),
        ("X (Merge)", (None, "invalid")),
        ("a/b/c", (None, "invalid")),
    ],
)
def test_normalize_id(raw: Any, expected: tuple[str | None, str | None]) -> None:
    assert normalize_id(raw) == expected


def test_normalisation_is_idempotent() -> None:
    once = [i for i, _ in normalize_ids(["https://hf.co/A/B/tree/x", "q/W@r", "gpt2"])]
    assert [i for i, _ in normalize_ids(once)] == once


def _by(table: Any, key: str) -> dict[str, Any]:
    return {r[key]: r for r in table.to_pylist()}


def test_crafted_listing(crafted_store: Store) -> None:
    build = compute_lineage(crafted_store)
    nodes = _by(build.nodes, "model_key")
    edges = build.edges.to_pylist()
    by_pair = {(e["model_key"], e["parent_key"]): e for e in edges if e["parent_key"]}

    # card (URL with revision) and tags agree: one edge, both sources
    ft = by_pair[("u/ft", "org/base")]
    assert ft["sources"] == ["card", "tag"] and ft["raw_parent"].startswith("https://")
    assert ft["relation_declared"] == "finetune" and ft["status"] == "ok" and ft["is_primary"]
    # card says finetune, tag says quantized: card wins, both reported; repo evidence: gguf
    gguf = by_pair[("u/ft-gguf", "u/ft")]
    assert gguf["relation_declared"] == "finetune"
    assert gguf["problem"] == "relation differs between sources: card=finetune, tag=quantized"
    assert nodes["u/ft-gguf"]["relation"] == "quantized"
    assert nodes["u/ft-gguf"]["relation_evidence"] == "gguf files"
    assert nodes["u/ft-gguf"]["path"] == ["u/ft-GGUF", "u/ft", "org/base"]
    # card and tags name different parents: both kept, conflict reported
    conflict = nodes["u/conflict"]
    assert conflict["conflict"] == "card: org/base | tags: other/model"
    assert conflict["n_parents"] == 2 and conflict["relation"] == "finetune"
    assert {("u/conflict", "org/base"), ("u/conflict", "other/model")} <= set(by_pair)
    # nothing parseable: every value reported, the model is unresolved, and so is its child
    bad = [e for e in edges if e["model_key"] == "u/bad"]
    assert sorted(e["problem"] for e in bad) == [
        "empty", "local_path", "local_path", "not_a_string", "placeholder",
    ]  # fmt: skip
    assert all(e["status"] == "unparseable" and e["parent_id"] is None for e in bad)
    assert nodes["u/bad"]["status"] == "unresolved" and nodes["u/bad"]["unparseable_bases"] == 5
    assert nodes["u/child-of-bad"]["unresolved_reason"].startswith("ancestor u/bad")
    assert build.stats["unparseable_by_problem"] == {
        "empty": 1, "local_path": 2, "not_a_string": 1, "placeholder": 1,
    }  # fmt: skip
    # a model naming itself is a root; the edge is reported
    assert nodes["u/self"]["status"] == "root"
    assert by_pair[("u/self", "u/self")]["status"] == "self_loop"
    # a merge keeps all parents; the dangling one is a node of its own
    merge = nodes["u/merge"]
    assert merge["n_parents"] == 3 and merge["relation"] == "merge"
    assert merge["relation_evidence"] == "tag:merge" and merge["primary_parent"] == "org/base"
    assert merge["roots"] == ["org/base", "gone/missing"]
    assert nodes["gone/missing"]["status"] == "dangling"
    assert by_pair[("u/merge", "gone/missing")]["parent_in_snapshot"] is False
    # evidence beats declarations
    assert nodes["u/lora"]["relation"] == "adapter"
    assert nodes["u/lora"]["relation_evidence"] == "library_name=peft"
    assert nodes["mlx-community/ft-4bit"]["relation_evidence"] == "library_name=mlx"
    assert nodes["u/ft-awq"]["relation"] == "quantized"
    assert nodes["u/ft-awq"]["relation_evidence"] == "name:awq"
    # the API's base-model expansion alone
    assert by_pair[("u/api-only", "org/base")]["sources"] == ["api"]
    assert by_pair[("u/api-only", "org/base")]["relation_declared"] == "finetune"
    # ids match case-insensitively; the snapshot's spelling is kept
    assert by_pair[("u/upper", "org/base")]["parent_id"] == "org/base"
    # a 2-cycle: the edge to the newer model is cut
    assert nodes["u/cyc-a"]["status"] == "root" and nodes["u/cyc-a"]["cycle_broken"]
    assert nodes["u/cyc-b"]["primary_root"] == "u/cyc-a"
    # every node: one primary root or a reason
    for row in nodes.values():
        assert (row["primary_root"] is None) != (row["unresolved_reason"] is None)


def test_real_trending_tags(demo_store: Store) -> None:
    """The real top-1,000 listing: lineage only in tags (536 models carry one)."""
    build = compute_lineage(demo_store)
    models = [r for r in build.nodes.to_pylist() if r["in_snapshot"]]
    assert len(models) == 1000
    with_parent = {r["model_key"] for r in build.edges.to_pylist() if r["status"] != "unparseable"}
    assert len(with_parent) == 536
    derived = [r for r in models if r["status"] == "derived"]
    assert len(derived) == 535  # one model only names itself
    assert build.stats["mentions_by_source"] == {"tag": 1119}
    assert build.stats["unparseable_by_problem"] == {}
    by_key = {r["model_key"]: r for r in models}
    # a merge of six community fine-tunes and Mistral-Nemo: all parents kept, primary is
    # the oldest one present, the root is Mistral's
    merged = by_key["darkartsforge/morbid-miasma-12b"]
    assert merged["n_parents"] == 7 and merged["relation"] == "merge"
    assert merged["family"] == "Mistral"
    # GGUF repos declared as merges count as quantized
    assert by_key["jackrong/qwopus-glm-18b-merged-gguf"]["relation"] == "quantized"
    fam = {r["family"] for r in derived}
    assert {"Qwen", "Gemma", "Mistral", "DeepSeek", "Llama", "MiniMax", "Kimi", "GLM"} <= fam


_ID_PIECES = st.sampled_from(
    ["Qwen", "qwen3", "/", ".", "-", "_", "git", ".git", "hf.co/", "HF.CO/", "www.",
     "huggingface.co/", "https://", "datasets/", "spaces/", "models/", "@main", "/tree/main",
     "/raw", "/tree", " ", "'", "\\", "~", "N/A", "NA", "base", ":", "é", "a", "7", ""]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_ID_PIECES, max_size=6).map("".join), min_size=1, max_size=40))
def test_plain_id_shortcut_never_changes_an_answer(values: list[str]) -> None:
    con = duckdb.connect()
    install_macros(con)
    rows = con.execute(
        "SELECT x, ww_id(x), ww_id_full(x), ww_id_problem(x), ww_id_problem_full(x) "
        "FROM unnest($1) AS t(x)",
        [values],
    ).fetchall()
    for x, fast, full, problem, problem_full in rows:
        assert (fast, problem) == (full, problem_full), x
