"""Benchmark: lineage resolution at Hub scale vs a straightforward networkx implementation.

``run(models=3_000_000, edges=1_500_000)`` writes a synthetic snapshot graph (string ids,
Hub-like shape, see :func:`generate`) to Parquet once, then measures two cases, each in a
fresh process (:func:`weightwatch.bench.runner.measure`, wall time and VmHWM peak):

``weightwatch``  :func:`weightwatch.lineage.resolve.resolve` — primary parent, depth, path,
                 primary root, all roots, cycle breaking, families (with the org-registry
                 fallback); the result stays in memory as Arrow.
``networkx``     the same rules written plainly: a ``DiGraph``, SCCs to break cycles,
                 ``topological_sort`` and a Python loop over the nodes (networkx is a dev
                 dependency; the case is skipped when it is not installed).

Both read the same Parquet files (time included) and return the same summary figures (sum of
depths, derived count, roots per family…), which ``run`` compares: ``agree`` must be true.
Both report ``cpu_seconds`` (all threads) too: on a shared machine wall times move with
the neighbours' load, CPU times much less.  The target is ≤ 5 s and ≤ 4 GiB at 3M models /
1.5M edges and at least 10 times the networkx speed.
"""

from __future__ import annotations

import importlib
import importlib.util
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from weightwatch.bench.runner import measure, ratio
from weightwatch.errors import WeightwatchError
from weightwatch.lineage.families import load_families
from weightwatch.lineage.resolve import resolve
from weightwatch.orgs import load_registry

# (account, name stem) of synthetic foundation models; the stems hit the family rules
_LABS: tuple[tuple[str, str], ...] = (
    ("Qwen", "Qwen3"),
    ("meta-llama", "Llama-3.1"),
    ("google", "gemma-3"),
    ("mistralai", "Mistral-Small"),
    ("deepseek-ai", "DeepSeek-V3"),
    ("microsoft", "Phi-4"),
    ("zai-org", "GLM-4.5"),
    ("moonshotai", "Kimi-K2"),
    ("MiniMaxAI", "MiniMax-M2"),
    ("internlm", "internlm3"),
    ("01-ai", "Yi-1.5"),
    ("tiiuae", "Falcon3"),
    ("openai", "gpt-oss"),
    ("ibm-granite", "granite-4.0"),
    ("allenai", "OLMo-2"),
    ("LGAI-EXAONE", "EXAONE-4.0"),
    ("naver-hyperclovax", "HyperCLOVAX-SEED"),
    ("kakaocorp", "kanana-1.5"),
    ("upstage", "SOLAR-10.7B"),
    ("stabilityai", "stable-diffusion-3.5"),
    ("black-forest-labs", "FLUX.1"),
    ("nvidia", "Nemotron-H"),
    ("HuggingFaceTB", "SmolLM3"),
    ("sentence-transformers", "all-MiniLM"),
)
_COMMUNITY_STEMS = (
    "model",
    "bert-ner",
    "llama-chat",
    "sdxl-lora",
    "whisper-ft",
    "mix",
    "vit-base-pets",
    "t5-small-sum",
    "ppo-LunarLander",
    "distil-classifier",
)


def generate(directory: Path, models: int, edges: int, seed: int = 7) -> dict[str, int]:
    """Write ``models.parquet`` (model_id, created_at) and ``edges.parquet`` (model_id,
    parent_id) with about ``models`` models and ``edges`` edges.

    Shape: 0.1% foundation models under lab accounts; derived models pick a foundation
    (45%, Zipf-like) or an earlier derived model (55%) — mean depth ≈ 2, max ≈ 25; 3% are
    merges with 1 to 3 extra parents; 2% of edges name a parent missing from the snapshot; a
    few self-loops and 2-/3-cycles; 10% of parent ids spelled in another case.  The rest of
    the models are parentless community uploads.  ``created_at`` grows with the index.
    """
    rng = np.random.default_rng(seed)
    edges = min(edges, models // 2)  # (``weightwatch bench --size`` sets only models)
    n_found = max(len(_LABS), models // 1000)
    n_children = min(models - n_found, int(edges * 0.975 / 1.06))
    children = np.sort(rng.choice(np.arange(n_found, models), n_children, replace=False))
    # parents of every child: a foundation or an earlier child
    to_found = rng.random(n_children) < 0.45
    found_pick = (n_found * rng.random(n_children) ** 3).astype(np.int64)
    earlier = np.arange(n_children)  # children[j] may pick among children[:j]
    child_pick = children[(rng.random(n_children) * earlier).astype(np.int64)]
    parent = np.where(to_found | (earlier == 0), found_pick, child_pick)
    e_child = [children]
    e_parent = [parent]
    merges = rng.random(n_children) < 0.03
    for extra in range(1, 4):
        sel = merges & (rng.random(n_children) < 1.0 / extra)
        js = np.flatnonzero(sel)
        pick = np.where(
            rng.random(js.size) < 0.5,
            (n_found * rng.random(js.size)).astype(np.int64),
            children[(rng.random(js.size) * js).astype(np.int64)],
        )
        e_child.append(children[js])
        e_parent.append(pick)
    child = np.concatenate(e_child)
    par = np.concatenate(e_parent)
    budget = max(edges - child.size, 0)
    n_dangling = min(budget, int(edges * 0.02))
    n_cycles = min(200, max(budget - n_dangling, 0) // 3)
    n_self = min(max(budget - n_dangling - 3 * n_cycles, 0), max(edges // 1000, 1))
    # dangling parents: ids outside the snapshot (negative markers)
    d_child = rng.choice(children, n_dangling)
    d_par = -(rng.integers(1, max(n_dangling // 2, 2), n_dangling))
    # cycles: child → parent plus parent → child (2-cycles), and a few 3-cycles
    cyc = rng.choice(np.flatnonzero(~to_found & (earlier > 0)), n_cycles, replace=False)
    c_child = parent[cyc]
    c_par = children[cyc]
    s_nodes = rng.choice(children, n_self)
    child = np.concatenate([child, d_child, c_child, s_nodes])
    par = np.concatenate([par, d_par, c_par, s_nodes])
    lower = rng.random(child.size) < 0.10
    labs = np.array([a for a, _ in _LABS])
    stems = np.array([s for _, s in _LABS])
    con = duckdb.connect()
    con.register(
        "ids",
        pa.table(
            {
                "i": pa.array(np.arange(models)),
                "lab": pa.array(labs[np.arange(models) % len(_LABS)]),
                "stem": pa.array(stems[np.arange(models) % len(_LABS)]),
                "acct": pa.array(rng.integers(0, max(models // 10, 1), models)),
                "cstem": pa.array(
                    np.array(_COMMUNITY_STEMS)[rng.integers(0, len(_COMMUNITY_STEMS), models)]
                ),
            }
        ),
    )
    name_sql = (
        f"CASE WHEN i < {n_found} THEN lab || '/' || stem || '-' || i::VARCHAR || 'B' "
        "ELSE 'User' || acct::VARCHAR || '/' || cstem || '-v' || i::VARCHAR END"
    )
    con.execute(
        f"CREATE TABLE m AS SELECT i, {name_sql} AS model_id, "
        "TIMESTAMPTZ '2022-03-01 00:00:00+00' + to_seconds(i * 20) AS created_at FROM ids"
    )
    con.register("e", pa.table({"c": pa.array(child), "p": pa.array(par), "low": pa.array(lower)}))
    directory.mkdir(parents=True, exist_ok=True)
    # written by Arrow with large row groups: what a snapshot part looks like
    for name, sql in (
        ("models", "SELECT model_id, created_at FROM m ORDER BY i"),
        (
            "edges",
            "SELECT mc.model_id, "
            "CASE WHEN e.p < 0 THEN 'gone' || (-e.p)::VARCHAR || '/Deleted-Model' "
            "WHEN e.low THEN lower(mp.model_id) ELSE mp.model_id END AS parent_id "
            "FROM e JOIN m mc ON mc.i = e.c LEFT JOIN m mp ON mp.i = e.p ORDER BY e.c, e.p",
        ),
    ):
        pq.write_table(
            con.sql(sql).to_arrow_table(),
            directory / f"{name}.parquet",
            compression="lz4",
            row_group_size=1 << 20,
        )
    con.close()
    return {
        "models": models,
        "edges": int(child.size),
        "foundations": n_found,
        "derived": int(np.unique(children).size),
        "dangling_edges": n_dangling,
        "cycles": n_cycles,
        "self_loops": n_self,
    }


def _organisations() -> pa.Table:
    return load_registry().to_arrow().select(["account_key", "organisation"])


def _summary(
    depth_sum: int, derived: int, roots: int, max_depth: int, fam: dict[str, int]
) -> dict[str, Any]:
    top = dict(sorted(fam.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
    return {
        "depth_sum": depth_sum,
        "derived": derived,
        "distinct_roots": roots,
        "max_depth": max_depth,
        "families_top": top,
    }


def case_weightwatch(directory: str) -> dict[str, Any]:
    """Resolve the synthetic graph with :func:`weightwatch.lineage.resolve.resolve`."""
    cpu = time.process_time()
    models = pq.read_table(Path(directory) / "models.parquet")
    edges = pq.read_table(Path(directory) / "edges.parquet")
    res = resolve(models, edges, organisations=_organisations())
    nodes = res.nodes
    depth = nodes.column("depth").to_numpy(zero_copy_only=False)
    family = nodes.column("family").combine_chunks()
    counts = np.bincount(
        family.indices.fill_null(-1).to_numpy()[family.indices.is_valid().to_numpy(False)],
        minlength=len(family.dictionary),
    )
    labels = family.dictionary.to_pylist()
    fam = {str(labels[i]): int(c) for i, c in enumerate(counts) if c}
    status = nodes.column("status").combine_chunks()
    parentless = int(np.isin(status.indices.to_numpy(), [0, 2]).sum())  # root, dangling
    return {
        **_summary(
            int(np.nansum(depth)),
            int((depth > 0).sum()),
            parentless,
            res.stats["max_depth"],
            fam,
        ),
        "stats": res.stats,
        "timings": res.timings,
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


def case_networkx(directory: str) -> dict[str, Any]:
    """The same resolution, written plainly with networkx."""
    cpu = time.process_time()
    import re

    nx: Any = importlib.import_module("networkx")
    rules = load_families()
    orgs = {r["account_key"]: r["organisation"] for r in _organisations().to_pylist()}
    models = pq.read_table(Path(directory) / "models.parquet").to_pydict()
    edges = pq.read_table(Path(directory) / "edges.parquet").to_pydict()
    graph = nx.DiGraph()
    display: dict[str, str] = {}
    for model_id, created in zip(models["model_id"], models["created_at"], strict=True):
        key = model_id.lower()
        display[key] = model_id
        graph.add_node(key, t=created.timestamp() if created else float("inf"), snap=True)
    for child_id, parent_id in zip(edges["model_id"], edges["parent_id"], strict=True):
        c, p = child_id.lower(), parent_id.lower()
        if c == p:
            continue
        if p not in graph:
            graph.add_node(p, t=float("inf"), snap=False)
        display[p] = min(display.get(p, parent_id), parent_id)
        graph.add_edge(p, c)  # parent → child

    def order(v: str) -> tuple[float, str]:
        return (graph.nodes[v]["t"], v)

    for comp in list(nx.strongly_connected_components(graph)):
        if len(comp) > 1:
            cut = [
                (p, c)
                for p in comp
                for c in graph.successors(p)
                if c in comp and order(p) > order(c)
            ]
            graph.remove_edges_from(cut)
    depth: dict[str, int] = {}
    root: dict[str, str] = {}
    roots: dict[str, frozenset[str]] = {}
    for v in nx.topological_sort(graph):
        parents = list(graph.predecessors(v))
        if not parents:
            depth[v], root[v], roots[v] = 0, v, frozenset((v,))
            continue
        pp = min(
            parents,
            key=lambda p: (
                not graph.nodes[p]["snap"],
                graph.nodes[p]["t"],
                -graph.out_degree(p),
                p,
            ),
        )
        depth[v], root[v] = depth[pp] + 1, root[pp]
        roots[v] = (
            roots[pp] if len(parents) == 1 else frozenset().union(*(roots[p] for p in parents))
        )

    ids = {i.lower(): f.family for f in rules.families for i in f.ids}
    by_account: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
    for f in rules.families:
        for a in f.accounts:
            pattern = re.compile(f.account_names, re.I) if f.account_names else None
            by_account.setdefault(a.lower(), []).append((f.family, pattern))
    named = [f.family for f in rules.named()]
    combined = re.compile(rules.combined_names(), re.I)

    def family(root_key: str) -> str | None:
        if root_key in ids:
            return ids[root_key]
        account, slash, name = root_key.partition("/")
        if not slash:
            account, name = "", root_key
        for fam_name, pattern in by_account.get(account, []):
            if pattern is None or pattern.search(name):
                return fam_name
        hit = combined.search(name)
        if hit is not None and hit.lastindex is not None:
            return named[hit.lastindex - 1]
        return orgs.get(account)

    fam_of_root = {r: family(r) for r in set(root.values())}
    fam: dict[str, int] = {}
    for v in graph:
        label = fam_of_root[root[v]]
        if label is not None:
            fam[label] = fam.get(label, 0) + 1
    return {
        **_summary(
            sum(depth.values()),
            sum(1 for d in depth.values() if d > 0),
            len(set(root.values())),
            max(depth.values(), default=0),
            fam,
        ),
        "cpu_seconds": round(time.process_time() - cpu, 3),
    }


def run(models: int = 3_000_000, edges: int = 1_500_000, repeat: int = 1) -> dict[str, Any]:
    """Measure both cases on the same synthetic graph; ratios are same-run.  With
    ``repeat`` > 1 the weightwatch case runs that many times (each in a fresh process) and
    its median run is the one reported; every run's time is listed."""
    if repeat < 1:
        raise WeightwatchError(f"repeat must be at least 1, got {repeat}")
    with tempfile.TemporaryDirectory(prefix="ww-bench-lineage-") as tmp:
        data = Path(tmp)
        shape = generate(data, models, edges)
        runs = sorted(
            (
                measure(
                    "weightwatch", "weightwatch.bench.lineage:case_weightwatch", directory=str(data)
                )
                for _ in range(repeat)
            ),
            key=lambda m: m.seconds,
        )
        ours = runs[len(runs) // 2]
        out: dict[str, Any] = {"graph": shape, "weightwatch": ours.to_dict()}
        if repeat > 1:
            out["weightwatch_runs"] = [
                {"seconds": round(m.seconds, 3), "peak_mib": round(m.peak_mib, 1)} for m in runs
            ]
        if importlib.util.find_spec("networkx") is None:
            out["networkx"] = "skipped: networkx not installed (pip install -e '.[dev]')"
            return out
        base = measure("networkx", "weightwatch.bench.lineage:case_networkx", directory=str(data))
        out["networkx"] = base.to_dict()
        out["speedup_vs_networkx"] = round(ratio(base, ours), 2)
        # CPU time (user + system, all threads): less sensitive to other load on the machine
        cpu_ours, cpu_base = ours.result.get("cpu_seconds"), base.result.get("cpu_seconds")
        if cpu_ours and cpu_base:
            out["cpu_ratio_vs_networkx"] = round(cpu_base / cpu_ours, 2)
        keys = ("depth_sum", "derived", "distinct_roots", "max_depth", "families_top")
        out["agree"] = all(ours.result.get(k) == base.result.get(k) for k in keys)
        return out
