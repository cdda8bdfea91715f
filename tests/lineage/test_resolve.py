"""Graph resolution: crafted graphs, then hypothesis-generated ones (cycles, merges, dangling
parents, ties) checked against a plain reference implementation of the documented rules."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weightwatch.lineage.resolve import resolve
from weightwatch.testing.graphs import T0, graph_tables


def rows(res: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for row in res.nodes.to_pylist():
        out[row["model_id"].lower()] = row
    return out


def test_chain_merge_dangling_and_primary_rule() -> None:
    models = [
        ("Qwen/Qwen3-8B-Base", 0),
        ("Qwen/Qwen3-8B", 1),
        ("a/ft", 2),
        ("b/merge", 5),
        ("c/old-ft", 1),
        ("d/q", 6),
    ]
    edges = [
        ("Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base"),
        ("a/ft", "qwen/qwen3-8b"),  # case differs: same repo
        ("b/merge", "a/ft"),
        ("b/merge", "c/old-ft"),  # older parent → primary
        ("b/merge", "meta-llama/Llama-3.1-8B"),  # dangling: never primary over a present one
        ("c/old-ft", "meta-llama/Llama-3.1-8B"),
        ("d/q", "b/merge"),
    ]
    res = resolve(*graph_tables(models, edges))
    r = rows(res)
    assert r["a/ft"]["primary_parent"] == "Qwen/Qwen3-8B"
    assert r["a/ft"]["path"] == ["a/ft", "Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base"]
    assert r["b/merge"]["primary_parent"] == "c/old-ft"
    assert r["b/merge"]["primary_root"] == "meta-llama/Llama-3.1-8B"
    assert r["b/merge"]["roots"] == ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-8B-Base"]
    assert r["d/q"]["depth"] == 3 and r["d/q"]["n_roots"] == 2
    assert r["d/q"]["family"] == "Llama" and r["d/q"]["root_in_snapshot"] is False
    assert r["meta-llama/llama-3.1-8b"]["status"] == "dangling"
    assert r["qwen/qwen3-8b-base"]["status"] == "root"
    assert r["qwen/qwen3-8b-base"]["family"] == "Qwen"
    assert res.stats["dangling"] == 1 and res.stats["merges"] == 1


def test_self_loops_cycles_and_case_duplicates() -> None:
    models = [("x/a", 1), ("x/b", 2), ("x/c", 3), ("y/self", 4), ("Dup/M", 9), ("dup/m", 8)]
    edges = [
        ("x/a", "x/c"),  # a ← c ← b ← a : a 3-cycle
        ("x/c", "x/b"),
        ("x/b", "x/a"),
        ("y/self", "Y/SELF"),
        ("dup/m", "x/c"),
    ]
    res = resolve(*graph_tables(models, edges))
    r = rows(res)
    # the only edge whose parent is newer than its child is a → c: it is cut
    assert r["x/a"]["status"] == "root" and r["x/a"]["cycle_broken"] is True
    assert r["x/c"]["path"] == ["x/c", "x/b", "x/a"]
    assert res.edge_status.to_pylist() == ["cycle_broken", "ok", "ok", "self_loop", "ok"]
    assert r["y/self"]["status"] == "root" and r["y/self"]["depth"] == 0
    # case duplicates are one node: smallest spelling, earliest time, parents of both rows
    assert r["dup/m"]["model_id"] == "Dup/M" and r["dup/m"]["primary_parent"] == "x/c"
    assert sum(1 for k in r if k == "dup/m") == 1 and res.stats["models"] == 5
    assert r["dup/m"]["created_at"] == T0 + timedelta(days=8)


def test_unparseable_only_bases_leave_an_explicit_reason() -> None:
    models = [("a/lost", 1), ("b/child", 2), ("c/ok", 3)]
    edges = [("b/child", "a/lost")]
    res = resolve(*graph_tables(models, edges), blocked=["A/LOST", "c/ok-not-blocked-id"])
    r = rows(res)
    assert r["a/lost"]["status"] == "unresolved" and r["a/lost"]["primary_root"] is None
    assert r["a/lost"]["unresolved_reason"] == "declares only unparseable base models"
    assert r["b/child"]["unresolved_reason"] == (
        "ancestor a/lost declares only unparseable base models"
    )
    assert r["b/child"]["family"] is None and r["b/child"]["depth"] is None
    assert r["c/ok"]["status"] == "root"


def test_empty_inputs() -> None:
    res = resolve(*graph_tables([], []))
    assert res.nodes.num_rows == 0
    res = resolve(*graph_tables([("a/b", None)], []))
    assert rows(res)["a/b"]["status"] == "root"


# --------------------------------------------------------------------------- reference


def reference(
    models: list[tuple[str, int | None]], edges: list[tuple[str, str]], blocked: set[str]
) -> dict[str, dict[str, Any]]:
    """The documented rules, written as plainly as possible (small graphs only)."""
    spelling: dict[str, str] = {}
    created: dict[str, float] = {}
    snap: set[str] = set()
    for mid, t in models:
        k = mid.lower()
        spelling[k] = min(spelling.get(k, mid), mid)
        created[k] = min(created.get(k, float("inf")), float("inf") if t is None else t)
        snap.add(k)
    pairs = set()
    for c, p in edges:
        ck, pk = c.lower(), p.lower()
        for k, s in ((ck, c), (pk, p)):
            if k not in snap:
                spelling[k] = min(spelling.get(k, s), s)
                created.setdefault(k, float("inf"))
        if ck != pk:
            pairs.add((ck, pk))
    nodes = sorted(spelling)

    def reach(a: str, b: str) -> bool:
        seen, todo = {a}, [a]
        while todo:
            v = todo.pop()
            for c, p in pairs:
                if c == v and p not in seen:
                    if p == b:
                        return True
                    seen.add(p)
                    todo.append(p)
        return False

    def order(v: str) -> tuple[float, str]:
        return (created[v], v)

    cut = {(c, p) for c, p in pairs if reach(p, c) and order(p) > order(c)}
    live = pairs - cut
    parents = {v: sorted(p for c, p in live if c == v) for v in nodes}
    kids = {v: sum(1 for _, p in live if p == v) for v in nodes}
    out: dict[str, dict[str, Any]] = {}

    def solve(v: str) -> dict[str, Any]:
        if v in out:
            return out[v]
        ps = parents[v]
        if not ps:
            res = {"primary": None, "depth": 0, "root": v, "roots": {v}}
        else:
            pp = min(ps, key=lambda p: (p not in snap, created[p], -kids[p], p))
            up = solve(pp)
            roots = set().union(*(solve(p)["roots"] for p in ps))
            res = {"primary": pp, "depth": up["depth"] + 1, "root": up["root"], "roots": roots}
        out[v] = res
        return res

    for v in nodes:
        solve(v)
    for v in nodes:
        blocked_root = out[v]["root"] in blocked and not parents[out[v]["root"]]
        out[v]["unresolved"] = blocked_root
        out[v]["cut"] = any(c == v for c, _ in cut)
        out[v]["spelling"] = spelling[v]
    return out


names = st.sampled_from(["a/x", "a/y", "B/z", "b/w", "c/v", "legacy", "d/u", "e/t", "F/s"])


@st.composite
def graphs(draw: Any) -> tuple[list[tuple[str, int | None]], list[tuple[str, str]], set[str]]:
    ids = draw(st.lists(names, min_size=1, max_size=9, unique_by=str.lower))
    models = [(i, draw(st.one_of(st.none(), st.integers(0, 4)))) for i in ids]
    pool = [*ids, "gone/p", "Gone/Q"]
    edges = draw(
        st.lists(
            st.tuples(st.sampled_from(ids), st.sampled_from(pool)).map(
                lambda e: (e[0], e[1].upper() if e[1].startswith("b") else e[1])
            ),
            max_size=18,
        )
    )
    blocked = set(draw(st.lists(st.sampled_from([i.lower() for i in ids]), max_size=2)))
    return models, edges, blocked


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.randoms(use_true_random=False))
def test_resolution_matches_reference_and_ignores_input_order(
    graph: tuple[list[tuple[str, int | None]], list[tuple[str, str]], set[str]],
    rnd: random.Random,
) -> None:
    models, edges, blocked = graph
    res = resolve(*graph_tables(models, edges), blocked=sorted(blocked))
    got = rows(res)
    ref = reference(models, edges, blocked)
    assert set(got) == set(ref)
    for key, want in ref.items():
        row = got[key]
        # exactly one primary root, or an explicit reason
        assert (row["primary_root"] is None) != (row["unresolved_reason"] is None)
        assert row["model_id"] == want["spelling"]
        assert row["cycle_broken"] == want["cut"]
        if want["unresolved"]:
            assert row["status"] == "unresolved" and row["depth"] is None
            continue
        assert row["primary_root"].lower() == want["root"]
        assert row["depth"] == want["depth"] == len(row["path"]) - 1
        assert (row["primary_parent"] or "").lower() == (want["primary"] or "")
        assert row["roots"][0] == row["primary_root"]
        assert {r.lower() for r in row["roots"]} == want["roots"]
        assert [r.lower() for r in row["roots"][1:]] == sorted(r.lower() for r in row["roots"][1:])
    # the same graph given in another order resolves to the same rows
    shuffled_models, shuffled_edges = models[:], edges[:]
    rnd.shuffle(shuffled_models)
    rnd.shuffle(shuffled_edges)
    again = rows(resolve(*graph_tables(shuffled_models, shuffled_edges), blocked=sorted(blocked)))
    assert again == got


@pytest.mark.parametrize("n", [200, 1000])
def test_long_chains_and_wide_fanout_terminate(n: int) -> None:
    models = [(f"c/m{i}", i) for i in range(n)] + [(f"w/k{i}", n) for i in range(n)]
    edges = [(f"c/m{i}", f"c/m{i - 1}") for i in range(1, n)]
    edges += [(f"w/k{i}", "c/m0") for i in range(n)]  # wide fan-out
    edges.append(("c/m0", f"c/m{n - 1}"))  # and one cycle through the whole chain
    res = resolve(*graph_tables(models, edges))
    r = rows(res)
    assert res.stats["cycles"] == 1 and res.stats["cycle_broken_edges"] == 1
    assert r["c/m0"]["status"] == "root" and r["c/m0"]["cycle_broken"] is True
    assert r[f"c/m{n - 1}"]["depth"] == n - 1 == res.stats["max_depth"]
    assert len(r[f"c/m{n - 1}"]["path"]) == n and r["w/k7"]["depth"] == 1
