"""Families (file, both matchers), and lineage on the other real data in ../shared/data:
the Open LLM Leaderboard's base models and generations, ATOM's tracked first-party models."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest

from weightwatch.errors import ConfigError
from weightwatch.lineage.families import load_families, parse_families
from weightwatch.lineage.ids import normalize_ids
from weightwatch.lineage.resolve import resolve
from weightwatch.orgs import load_registry


def test_family_rules_precedence() -> None:
    rules = load_families()
    orgs = {r.key: r.organisation for r in load_registry()}
    assert rules.match("Qwen/QwQ-32B", orgs) == ("Qwen", "account")
    assert rules.match("google/gemma-3-4b-it", orgs) == ("Gemma", "account")
    assert rules.match("google/t5-small", orgs) == ("Google", "org")  # fallback
    assert rules.match("gpt2", orgs) == ("GPT-2", "id")
    assert rules.match("TinyLlama/TinyLlama-1.1B", orgs) == ("TinyLlama", "account")
    assert rules.match("someone/tinyllama-chat", orgs) == ("TinyLlama", "name")
    # leftmost family name wins in community names
    assert rules.match("someone/Qwen2.5-7B-llama-distill", orgs) == ("Qwen", "name")
    assert rules.match("someone/llama-3-qwen-merge", orgs) == ("Llama", "name")
    assert rules.match("someone/my-model", orgs) == (None, None)
    for fam in ["Qwen", "Llama", "Gemma", "Mistral", "DeepSeek", "Phi", "GLM", "Kimi",
                "MiniMax", "InternLM", "Yi", "Falcon", "gpt-oss", "Granite", "OLMo", "EXAONE",
                "HyperCLOVA X", "Kanana", "Solar"]:  # fmt: skip
        assert fam in rules.names()
    assert rules.version.startswith(rules.data_version + "+")


def test_families_file_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="family #0, field names"):
        parse_families('version: "1"\nfamilies:\n  - family: X\n    names: "(a"\n', "f.yaml")
    with pytest.raises(ConfigError, match="look-arounds"):
        parse_families('version: "1"\nfamilies:\n  - family: X\n    names: "a(?!b)"\n', "f")
    with pytest.raises(ConfigError, match="needs 'accounts'"):
        parse_families('version: "1"\nfamilies:\n  - family: X\n    account_names: a\n', "f")
    with pytest.raises(ConfigError, match="matches the empty string"):
        parse_families('version: "1"\nfamilies:\n  - family: X\n    names: "a?"\n', "f")


def _ids(shared_data: Path) -> list[str]:
    trending = json.loads((shared_data / "starscreener" / "huggingface-trending.json").read_text())
    ids = [m["id"] for m in trending["models"]]
    ids += [t.split(":")[-1] for m in trending["models"] for t in m["tags"]
            if t.startswith("base_model:")]  # fmt: skip
    with (shared_data / "tracked-models" / "models.csv").open() as fh:
        ids += [r["modelId"] for r in csv.DictReader(fh)]
    return sorted(set(ids))


def test_set_based_and_python_family_matchers_agree_on_real_ids(shared_data: Path) -> None:
    rules = load_families()
    registry = load_registry()
    orgs = {r.key: r.organisation for r in registry}
    ids = _ids(shared_data)
    res = resolve(
        pa.table({"model_id": pa.array(ids)}),
        pa.table({"model_id": pa.array([], pa.string()), "parent_id": pa.array([], pa.string())}),
        organisations=registry.to_arrow().select(["account_key", "organisation"]),
    )
    got = {r["model_id"]: (r["family"], r["family_rule"]) for r in res.nodes.to_pylist()}
    assert len(got) == len(ids)
    for model_id in ids:
        assert got[model_id] == rules.match(model_id, orgs), model_id


def test_tracked_first_party_models_get_a_family(shared_data: Path) -> None:
    """ATOM's curated first-party checkpoints: every one of a listed family's labs maps to it
    or to its organisation — never to nothing when the lab is in the registry."""
    rules = load_families()
    orgs = {r.key: r.organisation for r in load_registry()}
    with (shared_data / "tracked-models" / "models.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    matched = [rules.match(r["modelId"], orgs) for r in rows]
    share = sum(1 for fam, _ in matched if fam is not None) / len(rows)
    assert share > 0.95
    by_id = dict(zip((r["modelId"] for r in rows), matched, strict=True))
    assert by_id["Qwen/Qwen2.5-7B-Instruct"][0] == "Qwen"
    assert by_id["meta-llama/Llama-3.1-8B"][0] == "Llama"


def test_leaderboard_base_models_and_generations(shared_data: Path) -> None:
    """Open LLM Leaderboard v2: ``metadata_base_model`` (self-references for originals,
    ``Removed``, ``X (Merge)``) and ``metadata_generation`` (depth from the root)."""
    with (shared_data / "llm-leaderboard-csv" / "huggingface_v2.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    names = sorted({r["model_name"] for r in rows})
    declared: dict[str, str] = {}
    generation: dict[str, int] = {}
    for r in rows:
        declared.setdefault(r["model_name"], r["metadata_base_model"])
        generation.setdefault(r["model_name"], int(r["metadata_generation"]))
    parsed = dict(zip(declared, normalize_ids(list(declared.values())), strict=True))
    problems: dict[str, int] = {}
    for _, problem in parsed.values():
        if problem:
            problems[problem] = problems.get(problem, 0) + 1
    assert problems.get("invalid", 0) > 50  # "X (Merge)": reported, not dropped
    edges = [(m, pid) for m, (pid, _) in parsed.items() if pid is not None]
    blocked = sorted(m for m, (pid, _) in parsed.items() if pid is None)
    res = resolve(
        pa.table({"model_id": pa.array(names)}),
        pa.table({"model_id": [c for c, _ in edges], "parent_id": [p for _, p in edges]}),
        blocked=blocked,
    )
    nodes = {r["model_id"].lower(): r for r in res.nodes.to_pylist()}  # case-dups merge
    assert res.stats["self_loops"] > 1000  # originals name themselves
    for row in nodes.values():
        assert (row["primary_root"] is None) != (row["unresolved_reason"] is None)
    # originals (generation 0 naming themselves) are roots
    originals = [m for m in names if generation[m] == 0 and declared[m] == m]
    assert originals and all(nodes[m.lower()]["status"] == "root" for m in originals)
    gen = {m.lower(): g for m, g in generation.items()}
    # the leaderboard's base model is often the root itself while its generation counts every
    # hop, so our depth over the declared bases can only be shorter: never longer
    complete = [
        k for k, r in nodes.items()
        if r["status"] == "derived" and r["root_in_snapshot"]
        and gen.get(r["primary_root"].lower()) == 0 and k in gen
    ]  # fmt: skip
    assert len(complete) > 500
    longer = [k for k in complete if nodes[k]["depth"] > gen[k]]
    assert len(longer) / len(complete) < 0.02, longer[:5]
