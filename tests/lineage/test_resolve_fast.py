"""The vectorised pieces of lineage resolution (pointer jumping, paths, first merges, cycle
candidates, the families pre-filters) against plain Python, and whole resolutions of larger
random graphs — dense with cycles, or Hub-shaped — against a networkx reference."""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest

from weightwatch.lineage.families import load_families
from weightwatch.lineage.resolve import (
    _cycle_candidates,
    _Index,
    _jump,
    _paths,
    _unique_inverse,
    resolve,
)
from weightwatch.orgs import load_registry
from weightwatch.testing.graphs import graph_tables


def random_forest(rng: np.random.Generator, n: int) -> np.ndarray:
    """A primary-parent array (-1: root): every node points to an earlier one, then the
    codes are shuffled so parents are not always smaller."""
    parent = np.array([-1] + [int(rng.integers(-1, i)) if i else -1 for i in range(1, n)])
    parent[rng.random(n) < 0.05] = -1
    perm = rng.permutation(n)
    out = np.full(n, -1, np.int32)
    out[perm] = np.where(parent >= 0, perm[np.maximum(parent, 0)], -1)
    return out


def walk(primary: np.ndarray, v: int) -> list[int]:
    path = [v]
    while primary[path[-1]] >= 0:
        path.append(int(primary[path[-1]]))
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pointer_jumping_first_merges_and_paths_match_a_walk(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3000
    primary = random_forest(rng, n)
    is_merge = (rng.random(n) < 0.1) & (primary >= 0)  # (a merge has parents)
    root, depth, first, passes = _jump(primary, is_merge)
    unresolved = np.zeros(n, np.bool_)
    unresolved[rng.choice(n, 50, replace=False)] = True
    offsets, values = _paths(primary, depth, unresolved)
    assert passes <= int(depth.max()).bit_length() + 1
    for v in range(n):
        path = walk(primary, v)
        assert root[v] == path[-1] and depth[v] == len(path) - 1
        merges = [u for u in path if is_merge[u]]
        assert first[v] == (merges[0] if merges else -1)
        got = values[offsets[v] : offsets[v + 1]].tolist()
        assert got == ([] if unresolved[v] else path)


def test_pointer_jumping_refuses_a_cycle() -> None:
    with pytest.raises(Exception, match="cycle"):
        _jump(np.array([1, 2, 0, -1], np.int32), np.zeros(4, np.bool_))


def test_unique_inverse_matches_numpy() -> None:
    rng = np.random.default_rng(5)
    for values in (rng.integers(0, 50, 1000), np.sort(rng.integers(0, 10**9, 1000)), np.zeros(0)):
        values = values.astype(np.int64)
        uniq, inverse = _unique_inverse(values)
        want, want_inverse = np.unique(values, return_inverse=True)
        assert uniq.tolist() == want.tolist()
        assert inverse.tolist() == want_inverse.reshape(-1).tolist()


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_cycle_candidates_hold_every_cycle(seed: int) -> None:
    """Every edge inside a strongly connected component is among the candidates found from
    the backward edges (to a later node in the order), however dense the cycles."""
    rng = np.random.default_rng(seed)
    n = 400
    pairs = np.unique(rng.integers(0, n, (900, 2)), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    child, parent = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)
    rank = rng.permutation(n)  # the (created_at, id) order
    back = np.flatnonzero(rank[parent] > rank[child])
    candidates = set(_cycle_candidates(child, parent, back, n).tolist())
    graph = nx.DiGraph(list(zip(child.tolist(), parent.tolist(), strict=True)))
    comp = {v: i for i, c in enumerate(nx.strongly_connected_components(graph)) for v in c}
    inside = {
        i
        for i, (c, p) in enumerate(zip(child.tolist(), parent.tolist(), strict=True))
        if comp[c] == comp[p]
    }
    assert inside and inside <= candidates


# --------------------------------------------------------------------------- whole graphs


def networkx_reference(
    models: list[tuple[str, int | None]], edges: list[tuple[str, str]]
) -> dict[str, dict[str, Any]]:
    """The documented rules with networkx: SCCs, topological order, Python per node."""
    spelling: dict[str, str] = {}
    created: dict[str, float] = {}
    snap: set[str] = set()
    for mid, t in models:
        k = mid.lower()
        spelling[k] = min(spelling.get(k, mid), mid)
        created[k] = min(created.get(k, float("inf")), float("inf") if t is None else t)
        snap.add(k)
    graph = nx.DiGraph()
    graph.add_nodes_from(spelling)
    for c, p in edges:
        ck, pk = c.lower(), p.lower()
        for k, s in ((ck, c), (pk, p)):
            if k not in snap:
                spelling[k] = min(spelling.get(k, s), s)
                created.setdefault(k, float("inf"))
                graph.add_node(k)
        if ck != pk:
            graph.add_edge(pk, ck)  # parent → child

    def order(v: str) -> tuple[float, str]:
        return (created[v], v)

    cut: set[tuple[str, str]] = set()
    for comp in nx.strongly_connected_components(graph):
        if len(comp) > 1:
            cut |= {
                (c, p)
                for p in comp
                for c in graph.successors(p)
                if c in comp and order(p) > order(c)
            }
    graph.remove_edges_from([(p, c) for c, p in cut])
    out: dict[str, dict[str, Any]] = {}
    for v in nx.topological_sort(graph):
        parents = sorted(graph.predecessors(v))
        if not parents:
            out[v] = {"primary": None, "depth": 0, "root": v, "roots": {v}}
            continue
        pp = min(
            parents,
            key=lambda p: (p not in snap, created[p], -graph.out_degree(p), p),
        )
        out[v] = {
            "primary": pp,
            "depth": out[pp]["depth"] + 1,
            "root": out[pp]["root"],
            "roots": set().union(*(out[p]["roots"] for p in parents)),
        }
    for v, row in out.items():
        row["cut"] = any(c == v for c, _ in cut)
        row["spelling"] = spelling[v]
    return out


def random_graph(
    seed: int, n: int, dense_cycles: bool
) -> tuple[list[tuple[str, int | None]], list[tuple[str, str]]]:
    rnd = random.Random(seed)
    accounts = ["Qwen", "meta-llama", "u1", "U2", "google", "zz"]
    ids = [f"{rnd.choice(accounts)}/m{i}-{rnd.choice(['llama', 'x', 'gemma'])}" for i in range(n)]
    ids += ["gpt2", "Bert-Base-Cased"]
    models = [(i, None if rnd.random() < 0.1 else rnd.randrange(n // 3)) for i in ids]
    edges: list[tuple[str, str]] = []
    for j, (child, _) in enumerate(models):
        for _ in range(rnd.choice([0, 1, 1, 1, 2, 3])):
            if rnd.random() < 0.05:
                parent = f"gone/p{rnd.randrange(20)}"
            elif dense_cycles or j == 0 or rnd.random() < 0.02:
                parent = rnd.choice(ids)
            else:
                parent = ids[rnd.randrange(j)]
            edges.append((child, parent.upper() if rnd.random() < 0.1 else parent))
    edges += [(ids[3], ids[3].upper())]  # a self-loop
    return models, edges


@pytest.mark.parametrize(("seed", "dense"), [(21, True), (22, True), (23, False), (24, False)])
def test_random_graphs_match_networkx_and_ignore_input_order(seed: int, dense: bool) -> None:
    models, edges = random_graph(seed, 600, dense)
    res = resolve(*graph_tables(models, edges))
    got = {r["model_id"].lower(): r for r in res.nodes.to_pylist()}
    want = networkx_reference(models, edges)
    assert set(got) == set(want)
    if dense:
        assert res.stats["cycles"] > 0
    for key, ref in want.items():
        row = got[key]
        assert row["model_id"] == ref["spelling"]
        assert row["cycle_broken"] == ref["cut"], key
        assert (row["primary_parent"] or "").lower() == (ref["primary"] or ""), key
        assert row["depth"] == ref["depth"] == len(row["path"]) - 1
        assert row["primary_root"].lower() == ref["root"]
        assert [r.lower() for r in row["path"]][-1] == ref["root"]
        assert row["roots"][0] == row["primary_root"]
        assert {r.lower() for r in row["roots"]} == ref["roots"]
        rest = [r.lower() for r in row["roots"][1:]]
        assert rest == sorted(rest) and row["n_roots"] == len(ref["roots"])
    shuffled_m, shuffled_e = models[:], edges[:]
    random.Random(seed).shuffle(shuffled_m)
    random.Random(seed + 1).shuffle(shuffled_e)
    again = resolve(*graph_tables(shuffled_m, shuffled_e))
    assert {r["model_id"].lower(): r for r in again.nodes.to_pylist()} == got
    assert again.stats == res.stats


def test_unresolved_nodes_have_no_path_and_no_roots() -> None:
    models = [("a/lost", 1), ("b/child", 2), ("c/m", 3), ("d/x", 0)]
    edges = [("b/child", "a/lost"), ("c/m", "b/child"), ("c/m", "d/x")]
    res = resolve(*graph_tables(models, edges), blocked=["a/lost"])
    rows = {r["model_id"]: r for r in res.nodes.to_pylist()}
    # c/m: primary parent d/x (older), so it resolves; its roots include the blocked one
    assert rows["c/m"]["primary_root"] == "d/x" and rows["c/m"]["roots"] == ["d/x", "a/lost"]
    for key in ("a/lost", "b/child"):
        assert rows[key]["path"] == [] and rows[key]["roots"] == [] and rows[key]["n_roots"] == 0
        assert rows[key]["family"] is None and rows[key]["status"] == "unresolved"


def test_families_prefilters_agree_with_the_python_matcher() -> None:
    """Ids the RE2 pre-filters must not miss: listed ids and accounts in any case, non-ASCII
    ids (Python lowercases beyond ASCII), ids without an account, names that only the
    heuristic matches, family words only in the account, the org fallback."""
    rules = load_families()
    registry = load_registry()
    orgs = {r.key: r.organisation for r in registry}
    ids = [
        "GPT2", "Bert-Base-Cased", "HUGGYLLAMA/LLAMA-7B", "GOOGLE/gemma-2-9b",
        "google/t5-small", "Google/T5-Large", "META-LLAMA/foo", "Qwen/QwQ-32B", "qwen/not-it",
        "someone/tinyllama-chat", "someone/Qwen2.5-7B-llama-distill", "qwen-fan/model",
        "llama-fan/model", "Ünïcode/Qwen-x", "ÄBC/model", "someone/ÄQwen", "İ/llama",
        "mistral-7b", "someone/my-model", "/leading-slash", "trailing/", "a.b-c/d",
        "MiniMaxAI/MiniMax-M2", "x/phi-3", "x/phi-33", "deepseek-ai/DeepSeek-V3",
        "01-ai/Yi-34B", "OpenAI/gpt-oss-20b", "MICROSOFT/Phi-4", "microsoft/resnet-50",
    ]  # fmt: skip
    res = resolve(
        pa.table({"model_id": pa.array(ids)}),
        pa.table({"model_id": pa.array([], pa.string()), "parent_id": pa.array([], pa.string())}),
        organisations=registry.to_arrow().select(["account_key", "organisation"]),
    )
    got = {r["model_id"]: (r["family"], r["family_rule"]) for r in res.nodes.to_pylist()}
    for model_id in ids:
        assert got[model_id] == rules.match(model_id, orgs), model_id


def test_identity_index_survives_64_bit_collisions() -> None:
    """Two identities sharing the first 64-bit half (never seen, but possible) both resolve,
    and a query matching only a first half is not found."""
    h1 = np.array([5, 7, 5, 9], np.int64)
    h2 = np.array([1, 2, 3, 4], np.int64)
    for codes in (None, np.array([10, 11, 12, 13])):
        index = _Index(h1, h2, codes)
        got = index.lookup(np.array([5, 5, 7, 7, 9, 5, 4]), np.array([1, 3, 2, 9, 4, 8, 1]))
        base = [0, 2, 1, -1, 3, -1, -1]
        want = base if codes is None else [-1 if b < 0 else int(codes[b]) for b in base]
        assert got.tolist() == want
