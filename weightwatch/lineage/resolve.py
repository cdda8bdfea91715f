"""Resolve a lineage graph: every node's primary parent, primary root, all roots, depth,
path and family, with cycles broken and dangling parents kept.

Input: the models of one snapshot (``model_id``, ``created_at``) and the parseable edges
(``model_id`` → ``parent_id``), ids already normalised (:mod:`weightwatch.lineage.ids`).
Ids match case-insensitively (the Hub treats repo ids so).

Rules
-----
* **Self-loops** (a model naming itself as its base) are dropped and reported.
* **Dangling parents** (named but not in the snapshot) become nodes of their own, status
  ``dangling``, depth 0; their descendants keep them as root (``root_in_snapshot`` false).
* **Cycles** are broken inside each strongly connected component only: an edge whose parent
  is *newer* than its child — by ``created_at`` (missing last), then by lowercased id — is
  dropped (``cycle_broken``).  Within a component every remaining edge points to a strictly
  older node, so one pass leaves a DAG; edges outside components are never touched.
* **Primary parent** (merges keep all parents): the parent present in the snapshot over a
  dangling one, then the oldest (``created_at``), then the one with the most direct
  derivatives (fan-out), then the smallest lowercased id.  The oldest ingredient of a merge
  is usually the foundation the others were tuned from, and creation times do not change
  between snapshots, so the choice is stable over time; fan-out decides between parents
  missing from the snapshot (no creation time), where the widely used base (e.g. Mistral-Nemo
  among six community merges of it) beats one-off ingredients.
* **Primary root / depth / path** follow primary parents; **roots** are all parentless
  ancestors over *all* edges (primary root first, then by id).
* A node whose declared bases were all unparseable (``blocked``) has no known root: it and the
  descendants whose primary path ends at it are ``unresolved`` with the reason.
* Every node thus gets exactly one primary root or an ``unresolved_reason``; nothing depends
  on the order of the input rows (ties are broken on ids, never on positions).

Algorithm (why it is fast)
--------------------------
Strings are touched only by DuckDB (vectorised, multi-threaded): lowercasing, the hash joins
that turn ids into dense integer codes, and the family rules.  The graph work is on integer
arrays with numpy:

1. *Level peeling* (Kahn's algorithm, vectorised by frontier): a node is settled once all its
   parents are; each round handles a whole frontier with a CSR gather and one ``np.unique``,
   so the cost is O(E log E) in total and the number of rounds is the longest path (Hub
   lineages are a few dozen deep at most).  Rounds are a topological order.
2. Whatever the peeling cannot settle lies on or below a cycle.  Only that residue goes to an
   exact strongly-connected-components pass (iterative Tarjan in Python; the residue is tiny
   on real data), the rule above breaks the cycles, and peeling resumes.
3. Depth, primary root and the root sets are then one vectorised step per round
   (``x[nodes] = f(x[parent[nodes]])``); root *sets* are only materialised for nodes below a
   merge, everyone else has exactly their primary root.
4. Ids come back zero-copy: references (primary parent/root, path, roots, family) are Arrow
   dictionary arrays whose dictionary is the node-id array itself.

A straightforward networkx implementation (DiGraph, SCCs, topological sort, Python per node)
is the benchmark baseline (:mod:`weightwatch.bench.lineage`).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from weightwatch.lineage.families import FamilyRules, load_families

pd: Any = importlib.import_module("pandas")  # hash tables (ibis[duckdb] depends on pandas)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STATUS_ROOT = "root"
STATUS_DERIVED = "derived"
STATUS_DANGLING = "dangling"
STATUS_UNRESOLVED = "unresolved"
NODE_STATUSES: tuple[str, ...] = (STATUS_ROOT, STATUS_DERIVED, STATUS_DANGLING, STATUS_UNRESOLVED)

EDGE_OK = "ok"
EDGE_SELF_LOOP = "self_loop"
EDGE_CYCLE_BROKEN = "cycle_broken"
EDGE_UNPARSEABLE = "unparseable"
EDGE_STATUSES: tuple[str, ...] = (EDGE_OK, EDGE_SELF_LOOP, EDGE_CYCLE_BROKEN, EDGE_UNPARSEABLE)

_NO_TIME = np.iinfo(np.int64).max  # missing created_at sorts last ("newest")

NODE_COLUMNS: tuple[str, ...] = (
    "model_id",
    "in_snapshot",
    "created_at",
    "n_parents",
    "primary_parent",
    "depth",
    "primary_root",
    "root_in_snapshot",
    "roots",
    "n_roots",
    "path",
    "family",
    "family_rule",
    "status",
    "unresolved_reason",
    "cycle_broken",
)


@dataclass
class Resolution:
    """The resolved graph.

    ``nodes``: one row per node (snapshot models, then dangling parents), columns
    :data:`NODE_COLUMNS`; id references are dictionary-encoded over ``model_id``.
    ``edge_status`` / ``edge_primary`` are aligned with the input edge rows.
    """

    nodes: pa.Table
    edge_status: pa.Array
    edge_primary: pa.Array
    stats: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def _ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + l)`` for every (s, l), vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, np.int64)
    ends = np.cumsum(lengths)
    offsets = np.repeat(starts - (ends - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _ints(values: npt.NDArray[Any], valid: BoolArray | None = None, bits: int = 32) -> pa.Array:
    """A numpy integer array as Arrow int32/int64 without a Python pass; ``valid`` False → null."""
    dtype = np.int32 if bits == 32 else np.int64
    data = np.ascontiguousarray(values, dtype=dtype)
    if valid is None or valid.all():
        return pa.array(data)
    data = np.where(valid, data, 0).astype(dtype, copy=False)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    kind = pa.int32() if bits == 32 else pa.int64()
    return pa.Array.from_buffers(kind, data.size, [bitmap, pa.py_buffer(data)])


def _bools(values: BoolArray, valid: BoolArray | None = None) -> pa.Array:
    """A numpy bool array as Arrow booleans (bit-packed directly; ``pa.array`` is slow)."""
    data = pa.py_buffer(np.packbits(np.ascontiguousarray(values, np.bool_), bitorder="little"))
    if valid is None or valid.all():
        return pa.Array.from_buffers(pa.bool_(), values.size, [None, data])
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), values.size, [bitmap, data])


def _csr(keys: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """(order, ptr): ``order[ptr[k]:ptr[k+1]]`` are the positions whose key is k."""
    order = np.argsort(keys, kind="stable").astype(np.int64)
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return order, ptr


def _tarjan(nodes: list[int], succ: Mapping[int, list[int]]) -> list[list[int]]:
    """Strongly connected components (iterative Tarjan); only those of size > 1."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[int, int]] = [(start, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            children = succ.get(v, [])
            recursed = False
            while i < len(children):
                w = children[i]
                i += 1
                if w not in index:
                    work.append((v, i))
                    work.append((w, 0))
                    recursed = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if recursed:
                continue
            if low[v] == index[v]:
                comp: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


class _Peeler:
    """Vectorised Kahn peeling over child→parent edges, resumable after edges are cut."""

    def __init__(self, n: int, child: IntArray, parent: IntArray) -> None:
        self.child = child
        self.alive = np.ones(child.size, np.bool_)
        self.remaining = np.bincount(child, minlength=n).astype(np.int64)
        self.by_parent, self.ptr = _csr(parent, n)
        self.rounds: list[IntArray] = []

    def run(self, frontier: IntArray) -> None:
        while frontier.size:
            self.rounds.append(frontier)
            starts = self.ptr[frontier]
            edges = self.by_parent[_ranges(starts, self.ptr[frontier + 1] - starts)]
            edges = edges[self.alive[edges]]
            if edges.size == 0:
                break
            kids = self.child[edges]
            np.subtract.at(self.remaining, kids, 1)
            frontier = np.asarray(pd.unique(kids[self.remaining[kids] == 0]), np.int64)

    def cut(self, edge_ids: IntArray) -> IntArray:
        """Remove edges (cycle breaking); return the nodes this frees."""
        self.alive[edge_ids] = False
        kids, counts = np.unique(self.child[edge_ids], return_counts=True)
        self.remaining[kids] -= counts
        freed: IntArray = kids[self.remaining[kids] == 0]
        return freed


# --------------------------------------------------------------------------- ids → codes


def _hashes(res: dict[str, Any], rows: IntArray, name: str, n: int) -> IntArray:
    """A fetched 64-bit hash column scattered by row index (NULL → _NO_ACCOUNT)."""
    values = res[name]
    out = np.empty(n, np.uint64)
    if np.ma.isMaskedArray(values):
        out[rows] = np.ma.filled(values, 0).astype(np.uint64)
        out[rows[np.ma.getmaskarray(values)]] = np.uint64(_NO_ACCOUNT)
    else:
        out[rows] = np.asarray(values, np.uint64)
    return out.view(np.int64)


def _identities(con: Any, sql: str, n: int) -> tuple[IntArray, IntArray]:
    """128-bit identities (two 64-bit DuckDB hashes of the lowercased id), by row index."""
    res = con.sql(sql).fetchnumpy()
    rows = np.asarray(res["row"], np.int64)
    return _hashes(res, rows, "h1", n), _hashes(res, rows, "h2", n)


_NO_ACCOUNT = 0  # hash "value" of a legacy id without a namespace
_ACCOUNT = "CASE WHEN contains({k}, '/') THEN hash(split_part({k}, '/', 1)) END"


class _Index:
    """128-bit identities → node code: a hash table on the first half (pandas), the second
    half checked on every hit; a 64-bit collision (never seen) falls back to a scan."""

    def __init__(
        self, h1: IntArray, h2: IntArray, codes: IntArray, index: pd.Index | None = None
    ) -> None:
        self.h1, self.h2, self.codes = h1, h2, codes
        self.index = pd.Index(h1) if index is None else index
        self.unique = bool(self.index.is_unique)

    def lookup(self, q1: IntArray, q2: IntArray) -> IntArray:
        if self.h1.size == 0:
            return np.full(q1.size, -1, np.int64)
        if self.unique:
            pos = np.asarray(self.index.get_indexer(q1), np.int64)
            found = pos >= 0
            hit = found.copy()
            hit[found] = self.h2[pos[found]] == q2[found]
            out = np.where(hit, self.codes[np.maximum(pos, 0)], -1)
            suspects = np.flatnonzero(found & ~hit)
        else:
            out = np.full(q1.size, -1, np.int64)
            suspects = np.arange(q1.size)
        for j in suspects.tolist():  # a 64-bit collision: compare both halves
            match = np.flatnonzero((self.h1 == q1[j]) & (self.h2 == q2[j]))
            if match.size:
                out[j] = self.codes[match[0]]
        return out


# --------------------------------------------------------------------------- resolve


def resolve(
    models: pa.Table,
    edges: pa.Table,
    *,
    families: FamilyRules | None = None,
    organisations: pa.Table | None = None,
    blocked: list[str] | None = None,
) -> Resolution:
    """Resolve ``edges`` (``model_id`` → ``parent_id``) over ``models`` (``model_id``,
    optional ``created_at``).  ``organisations`` (``account_key, organisation``) is the
    family fallback; ``blocked``: ids whose declared bases were all unparseable."""
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    rules = families or load_families()
    con = duckdb.connect()
    n_models = models.num_rows
    n_edges = edges.num_rows
    model_ids = models.column("model_id").cast(pa.string())  # chunked: no copy
    if "created_at" in models.column_names:
        created = pc.cast(models.column("created_at"), pa.timestamp("us", tz="UTC"))
        filled = pc.fill_null(pc.cast(created, pa.int64()), _NO_TIME)
        times = np.array(filled.to_numpy(), dtype=np.int64, copy=True)
    else:
        times = np.full(n_models, _NO_TIME, np.int64)
    con.register("ww_m", pa.table({"model_id": model_ids, "row": pa.array(np.arange(n_models))}))
    con.register(
        "ww_e",
        pa.table(
            {
                "model_id": edges.column("model_id"),
                "parent_id": edges.column("parent_id"),
                "row": pa.array(np.arange(n_edges)),
            }
        ),
    )
    identity = "hash({k}) AS {p}1, hash({k} || chr(31)) AS {p}2"
    mres = con.sql(
        f"SELECT row, hash(k) AS h1, hash(k || chr(31)) AS h2, {_ACCOUNT.format(k='k')} AS a "
        "FROM (SELECT row, lower(model_id) AS k FROM ww_m)"
    ).fetchnumpy()
    mrow = np.asarray(mres["row"], np.int64)
    m1, m2, m_acct = (_hashes(mres, mrow, name, n_models) for name in ("h1", "h2", "a"))
    del mres, mrow
    lap("hash_models")
    eh = con.sql(
        f"SELECT row, {identity.format(k='ck', p='c')}, {identity.format(k='pk', p='p')}, "
        f"{_ACCOUNT.format(k='ck')} AS ca, {_ACCOUNT.format(k='pk')} AS pa "
        "FROM (SELECT row, lower(model_id) AS ck, lower(parent_id) AS pk FROM ww_e)"
    ).fetchnumpy()
    erow = np.asarray(eh["row"], np.int64)
    c1, c2, p1, p2, c_acct, p_acct = (
        _hashes(eh, erow, name, n_edges) for name in ("c1", "c2", "p1", "p2", "ca", "pa")
    )
    del eh, erow
    lap("hash_edges")

    # 1. nodes: snapshot models (case-duplicates merge: smallest spelling), then dangling ids
    keep = np.ones(n_models, np.bool_)
    display_fix: dict[int, str] = {}
    m_index = pd.Index(m1)
    dup_rows = np.flatnonzero(m_index.duplicated(keep=False))
    if dup_rows.size:  # case-duplicates (same 128-bit identity) merge into one node
        groups: dict[tuple[int, int], list[int]] = {}
        for r in dup_rows.tolist():
            groups.setdefault((int(m1[r]), int(m2[r])), []).append(r)
        for codes in groups.values():
            if len(codes) < 2:
                continue
            spelling = {c: str(model_ids[c].as_py()) for c in codes}  # (rare)
            first = min(codes, key=lambda c: (spelling[c], c))
            for c in codes:
                keep[c] = c == first
            times[first] = min(int(times[c]) for c in codes)
            display_fix[first] = spelling[first]
    kept = np.flatnonzero(keep)
    if kept.size == n_models:  # the usual case: the hash table is built once
        index = _Index(m1, m2, kept, m_index if m_index.is_unique else None)
    else:
        index = _Index(m1[kept], m2[kept], kept)
    lap("index")
    e_child = index.lookup(c1, c2)
    e_parent = index.lookup(p1, p2)
    # ids named by edges but absent from the snapshot: codes in (h1, h2) order, so they do
    # not depend on the input order; display = smallest spelling
    missing_c = np.flatnonzero(e_child < 0)
    missing_p = np.flatnonzero(e_parent < 0)
    q1 = np.concatenate([c1[missing_c], p1[missing_p]])
    q2 = np.concatenate([c2[missing_c], p2[missing_p]])
    uniq, inverse = np.unique(np.stack([q1, q2], axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n_dangling = uniq.shape[0]
    spellings = (
        edges.column("model_id").take(pa.array(missing_c)).to_pylist()
        + edges.column("parent_id").take(pa.array(missing_p)).to_pylist()
    )
    dangling_display: list[str | None] = [None] * n_dangling
    for j, text in zip(inverse.tolist(), spellings, strict=True):
        current = dangling_display[j]
        if current is None or text < current:
            dangling_display[j] = text
    e_child[missing_c] = n_models + inverse[: missing_c.size]
    e_parent[missing_p] = n_models + inverse[missing_c.size :]
    n = n_models + n_dangling
    lap("lookup")
    display = pa.concat_arrays([*model_ids.chunks, pa.array(dangling_display, pa.string())])
    if display_fix:
        fixed = display.to_pylist()
        for code, text in display_fix.items():
            fixed[code] = text
        display = pa.array(fixed, pa.string())
    times = np.concatenate([times, np.full(n_dangling, _NO_TIME, np.int64)])
    in_snapshot = np.zeros(n, np.bool_)
    in_snapshot[:n_models] = keep
    node_h1 = np.concatenate([m1, uniq[:, 0]])
    node_h2 = np.concatenate([m2, uniq[:, 1]])
    node_acct = np.concatenate([m_acct, np.zeros(n_dangling, np.int64)])
    node_acct[n_models + inverse] = np.concatenate([c_acct[missing_c], p_acct[missing_p]])
    del c1, c2, p1, p2, m1, m2, c_acct, p_acct, m_acct

    def keys_of(codes: list[int]) -> dict[int, str]:
        values = display.take(pa.array(codes, pa.int64())).to_pylist() if codes else []
        return {c: str(v).lower() for c, v in zip(codes, values, strict=True)}

    lap("encode")

    # 2. edge statuses: self-loops out; the graph is the set of distinct (child, parent) pairs
    status = np.zeros(n_edges, np.int8)  # index into EDGE_STATUSES
    self_loop = e_child == e_parent
    status[self_loop] = 1
    edge_rows = np.flatnonzero(~self_loop)
    pair = e_child[edge_rows] * n + e_parent[edge_rows]
    pair_codes, pairs = pd.factorize(pair)
    pair_of_edge = np.asarray(pair_codes, np.int64)
    pairs = np.asarray(pairs, np.int64)
    child = pairs // n
    parent = pairs % n
    del pair, e_child, e_parent
    lap("pairs")

    # 3. peel; break the cycles found in the residue; resume
    peel = _Peeler(n, child, parent)
    peel.run(np.flatnonzero(peel.remaining == 0))
    broken = np.zeros(child.size, np.bool_)
    n_cycles = 0
    residual = np.flatnonzero(peel.remaining > 0)
    if residual.size:
        in_res = np.zeros(n, np.bool_)
        in_res[residual] = True
        sub = np.flatnonzero(in_res[child] & in_res[parent])
        succ: dict[int, list[int]] = {}
        for c, p in zip(child[sub].tolist(), parent[sub].tolist(), strict=True):
            succ.setdefault(c, []).append(p)
        components = _tarjan(sorted(succ), succ)
        n_cycles = len(components)
        comp_of = np.full(n, -1, np.int64)
        for i, comp in enumerate(components):
            comp_of[comp] = i
        keys = keys_of(sorted({v for comp in components for v in comp}))
        inside = sub[(comp_of[child[sub]] >= 0) & (comp_of[child[sub]] == comp_of[parent[sub]])]
        cut = [
            i
            for i in inside.tolist()
            if (times[parent[i]], keys[int(parent[i])]) > (times[child[i]], keys[int(child[i])])
        ]
        cut_ids = np.array(cut, np.int64)
        broken[cut_ids] = True
        peel.run(peel.cut(cut_ids))
    stuck = peel.remaining > 0  # never: the cut leaves a DAG (kept as a guard)
    lap("peel")

    # 4. primary parent among live edges: in the snapshot, oldest, smallest id
    live = np.flatnonzero(~broken)
    lc, lp = child[live], parent[live]
    n_parents = np.bincount(lc, minlength=n)
    primary = np.full(n, -1, np.int64)
    single = n_parents[lc] == 1
    primary[lc[single]] = lp[single]
    mc, mp = lc[~single], lp[~single]
    if mc.size:
        fanout = np.bincount(lp, minlength=n)
        srt = np.lexsort((mp, -fanout[mp], times[mp], ~in_snapshot[mp], mc))
        mc, mp = mc[srt], mp[srt]
        head = np.ones(mc.size, np.bool_)
        head[1:] = mc[1:] != mc[:-1]
        primary[mc[head]] = mp[head]
        # exact ties on (in snapshot, created_at, fan-out): decide on the lowercased id
        same_rank = (
            (mc[1:] == mc[:-1])
            & (times[mp[1:]] == times[mp[:-1]])
            & (in_snapshot[mp[1:]] == in_snapshot[mp[:-1]])
            & (fanout[mp[1:]] == fanout[mp[:-1]])
        )
        tie = np.zeros(mc.size, np.bool_)
        tie[1:] = same_rank & head[:-1]
        tied = np.unique(mc[tie])
        if tied.size:
            rows = np.isin(mc, tied)

            def rank_of(p: int) -> tuple[bool, int, int]:
                return (not bool(in_snapshot[p]), int(times[p]), -int(fanout[p]))

            best = {
                int(c): rank_of(p)
                for c, p in zip(mc[rows & head].tolist(), mp[rows & head].tolist(), strict=True)
            }
            cand = [
                (c, p)
                for c, p in zip(mc[rows].tolist(), mp[rows].tolist(), strict=True)
                if rank_of(p) == best[c]
            ]
            keys = keys_of(sorted({p for _, p in cand}))
            chosen: dict[int, int] = {}
            for c, p in cand:
                if c not in chosen or keys[p] < keys[chosen[c]]:
                    chosen[c] = p
            for c, p in chosen.items():
                primary[c] = p
    lap("primary")

    # 5. depth, primary root, root sets, round by round (a topological order)
    depth = np.zeros(n, np.int64)
    root = np.arange(n, dtype=np.int64)
    multi = np.zeros(n, np.bool_)
    set_start = np.zeros(n, np.int64)
    set_len = np.zeros(n, np.int64)
    chunks: list[IntArray] = []
    flat = np.empty(0, np.int64)
    flat_len = 0
    merge_edge = n_parents[lc] > 1
    by_child, cptr = _csr(lc[merge_edge], n)
    mlc, mlp = lc[merge_edge], lp[merge_edge]
    for nodes in peel.rounds:
        kids = nodes[primary[nodes] >= 0]
        if kids.size == 0:
            continue
        pp = primary[kids]
        depth[kids] = depth[pp] + 1
        root[kids] = root[pp]
        inherit = kids[multi[pp] & (n_parents[kids] == 1)]
        if inherit.size:  # one parent below a merge: share the parent's root set
            multi[inherit] = True
            set_start[inherit] = set_start[primary[inherit]]
            set_len[inherit] = set_len[primary[inherit]]
        merged = kids[n_parents[kids] > 1]
        if merged.size == 0:
            continue
        multi[merged] = True
        starts = cptr[merged]
        e_idx = by_child[_ranges(starts, cptr[merged + 1] - starts)]
        ec, ep = mlc[e_idx], mlp[e_idx]
        plain = ~multi[ep]
        parts = [ec[plain] * n + root[ep[plain]]]
        if (~plain).any():
            if flat.size != flat_len:
                flat = np.concatenate(chunks)
            mp_, mc_ = ep[~plain], ec[~plain]
            parts.append(
                np.repeat(mc_, set_len[mp_]) * n + flat[_ranges(set_start[mp_], set_len[mp_])]
            )
        combo = np.unique(np.concatenate(parts))
        owner, members = combo // n, combo % n
        uc, first_pos, counts = np.unique(owner, return_index=True, return_counts=True)
        set_start[uc] = flat_len + first_pos
        set_len[uc] = counts
        chunks.append(members)
        flat_len += members.size
    if flat.size != flat_len:
        flat = np.concatenate(chunks)
    lap("walk")

    # 6. unresolved: blocked nodes (only unparseable bases) and what hangs below them
    blocked_mask = np.zeros(n, np.bool_)
    if blocked:
        con.register("ww_blocked", pa.table({"model_id": pa.array(blocked, pa.string())}))
        b1, b2 = _identities(
            con,
            "SELECT row, hash(k) AS h1, hash(k || chr(31)) AS h2 FROM (SELECT "
            "row_number() OVER () - 1 AS row, lower(model_id) AS k FROM ww_blocked)",
            len(blocked),
        )
        found = index.lookup(b1, b2)
        blocked_mask[found[found >= 0]] = True
        blocked_mask &= primary < 0  # a node with a usable parent is not blocked
    unresolved = blocked_mask[root] | stuck
    lap("unresolved")

    # 7. families of the primary roots (set-based, DuckDB)
    root_codes = np.flatnonzero((primary < 0) & ~unresolved)  # every root is its own root
    labels, fam_of_root, rule_of_root = _families(
        con, rules, display, root_codes, (node_h1, node_h2, node_acct), organisations
    )
    fam_by_code = np.full(n, -1, np.int64)
    rule_by_code = np.full(n, -1, np.int64)
    fam_by_code[root_codes] = fam_of_root
    rule_by_code[root_codes] = rule_of_root
    fam = np.where(unresolved, -1, fam_by_code[root])
    rule = np.where(unresolved, -1, rule_by_code[root])
    con.close()
    lap("families")

    # 8. assemble: dictionary arrays over the node ids (no string copies)
    lengths = np.where(unresolved, 0, depth + 1)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    path_values = np.empty(int(offsets[-1]), np.int64)
    active = np.flatnonzero(lengths > 0)
    cur = active.copy()
    k = 0
    while active.size:
        path_values[offsets[active] + k] = cur
        more = depth[active] > k
        active, cur = active[more], primary[cur[more]]
        k += 1
    lap("paths")
    root_len = np.where(unresolved, 0, np.where(multi, set_len, 1))
    roff = np.zeros(n + 1, np.int64)
    np.cumsum(root_len, out=roff[1:])
    root_values = np.empty(int(roff[-1]), np.int64)
    plain_nodes = np.flatnonzero(~multi & ~unresolved)
    root_values[roff[plain_nodes]] = root[plain_nodes]
    multi_nodes = np.flatnonzero(multi & ~unresolved)
    if multi_nodes.size:  # the primary root first, then the others by id
        owner = np.repeat(multi_nodes, set_len[multi_nodes])
        members = flat[_ranges(set_start[multi_nodes], set_len[multi_nodes])]
        distinct = np.unique(members)
        keys = keys_of(distinct.tolist())
        rank = np.zeros(n, np.int64)
        rank[np.array(sorted(distinct.tolist(), key=keys.__getitem__), np.int64)] = np.arange(
            distinct.size
        )
        srt = np.lexsort((rank[members], members != root[owner], owner))
        root_values[_ranges(roff[multi_nodes], set_len[multi_nodes])] = members[srt]

    index_type = pa.int32() if n < 2**31 else pa.int64()

    bits = 32 if index_type == pa.int32() else 64

    def ref(codes: IntArray, valid: BoolArray | None = None) -> pa.Array:
        return pa.DictionaryArray.from_arrays(_ints(codes, valid, bits), display)

    def ref_list(offs: IntArray, values: IntArray) -> pa.Array:
        return pa.ListArray.from_arrays(
            _ints(offs, None, 32 if offs[-1] < 2**31 else 64),
            pa.DictionaryArray.from_arrays(_ints(values, None, bits), display),
        )

    def small_dict(codes: IntArray, values: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(_ints(codes, codes >= 0), pa.array(values))

    lap("roots")
    is_model = np.arange(n) < n_models
    node_status = np.where(
        unresolved, 3, np.where(~is_model, 2, np.where(primary >= 0, 1, 0))
    ).astype(np.int64)
    reasons = pa.nulls(n, pa.string())
    if unresolved.any():
        texts: list[str | None] = [None] * n
        for i in np.flatnonzero(unresolved).tolist():
            if stuck[i]:
                texts[i] = "cycle could not be broken"
            elif root[i] == i:
                texts[i] = "declares only unparseable base models"
            else:
                texts[i] = (
                    f"ancestor {display[int(root[i])].as_py()} declares only unparseable "
                    "base models"
                )
        reasons = pa.array(texts, pa.string())
    cycle_nodes = np.zeros(n, np.bool_)
    cycle_nodes[child[broken]] = True
    created_col = _ints(times, times != _NO_TIME, 64).view(pa.timestamp("us", tz="UTC"))
    nodes = pa.table(
        {
            "model_id": display,
            "in_snapshot": _bools(in_snapshot),
            "created_at": created_col,
            "n_parents": _ints(n_parents),
            "primary_parent": ref(np.maximum(primary, 0), primary >= 0),
            "depth": _ints(depth, ~unresolved),
            "primary_root": ref(root, ~unresolved),
            "root_in_snapshot": _bools(in_snapshot[root], ~unresolved),
            "roots": ref_list(roff, root_values),
            "n_roots": _ints(root_len),
            "path": ref_list(offsets, path_values),
            "family": small_dict(fam, labels),
            "family_rule": small_dict(rule, list(FAMILY_RULE_NAMES)),
            "status": small_dict(node_status, list(NODE_STATUSES)),
            "unresolved_reason": reasons,
            "cycle_broken": _bools(cycle_nodes),
        }
    )
    lap("table")
    if not keep.all():
        nodes = nodes.filter(pa.array(np.concatenate([keep, np.ones(n_dangling, np.bool_)])))
    pair_child = child[pair_of_edge]
    status[edge_rows] = np.where(broken[pair_of_edge], 2, 0)
    is_primary = np.zeros(n_edges, np.bool_)
    is_primary[edge_rows] = (primary[pair_child] == parent[pair_of_edge]) & ~broken[pair_of_edge]
    lap("assemble")
    stats = {
        "nodes": int(nodes.num_rows),
        "models": int(keep.sum()),
        "dangling": int(n_dangling),
        "edges": int(child.size),
        "self_loops": int(self_loop.sum()),
        "cycles": int(n_cycles),
        "cycle_broken_edges": int(broken.sum()),
        "unresolved": int(unresolved.sum()),
        "max_depth": int(depth[~unresolved].max()) if (~unresolved).any() else 0,
        "rounds": len(peel.rounds),
        "merges": int((n_parents > 1).sum()),
    }
    return Resolution(
        nodes=nodes,
        edge_status=small_dict(status.astype(np.int64), list(EDGE_STATUSES)),
        edge_primary=_bools(is_primary),
        stats=stats,
        timings=timings,
    )


FAMILY_RULE_NAMES: tuple[str, ...] = ("id", "account", "name", "org")


def _families(
    con: Any,
    rules: FamilyRules,
    display: pa.Array,
    roots: IntArray,
    hashes: tuple[IntArray, IntArray, IntArray],
    organisations: pa.Table | None,
) -> tuple[list[str], IntArray, IntArray]:
    """(labels, label index per root, rule index per root), rules as in FAMILY_RULE_NAMES.

    Ids and accounts are compared by hash (with the strings checked on every hit); only
    the ``names`` heuristic reads the roots' names: one RE2 pre-filter pass in DuckDB, then
    :meth:`FamilyRules.match_name` on the (few) names that pass."""
    node_h1, _, node_acct = hashes
    org_labels: list[str] = []
    org_keys: list[str] = []
    org_names: list[str] = []
    if organisations is not None and organisations.num_rows:
        pairs = [
            (str(k).lower(), str(o))
            for k, o in zip(
                organisations.column("account_key").to_pylist(),
                organisations.column("organisation").to_pylist(),
                strict=True,
            )
            if k and o
        ]
        org_keys = [k for k, _ in pairs]
        org_names = [o for _, o in pairs]
        org_labels = sorted(set(org_names))
    labels: list[str] = []
    label_of: dict[str, int] = {}
    for label in [*(f.family for f in rules.families), *org_labels]:
        if label not in label_of:
            label_of[label] = len(labels)
            labels.append(label)
    fam = np.full(roots.size, -1, np.int64)
    rule = np.full(roots.size, -1, np.int64)

    def hash_strings(values: list[str], suffix: str = "") -> IntArray:
        if not values:
            return np.empty(0, np.int64)
        rows = con.execute(
            f"SELECT hash(v{suffix}) FROM unnest($1) WITH ORDINALITY AS t(v, i) ORDER BY i",
            [values],
        ).fetchall()
        return np.array([r[0] for r in rows], np.uint64).view(np.int64)

    def member(values: IntArray, among: IntArray) -> BoolArray:
        """``np.isin`` with a hash table (the ``among`` side is small)."""
        found: BoolArray = np.asarray(pd.Index(np.unique(among)).get_indexer(values)) >= 0
        return found

    def split(codes: IntArray) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = []
        for text in display.take(pa.array(codes, pa.int64())).to_pylist():
            account, slash, name = str(text).partition("/")
            out.append((account.lower(), name) if slash else (None, str(text)))
        return out

    acct = node_acct[roots]
    # 4. the organisation of the root's account (lowest precedence: written first)
    if org_keys:
        cand = np.flatnonzero(member(acct, hash_strings(org_keys)))
        where = {k: i for i, k in enumerate(org_keys)}
        for i, (account, _) in zip(cand.tolist(), split(roots[cand]), strict=True):
            j = where.get(account or "")
            if j is not None:
                fam[i] = label_of[org_names[j]]
                rule[i] = 3
    # 3. the names heuristic, for roots whose name passes the RE2 pre-filter
    if rules.named():
        con.register(
            "ww_roots",
            pa.table(
                {"i": pa.array(np.arange(roots.size)), "model_id": display.take(pa.array(roots))}
            ),
        )
        name = (
            "CASE WHEN contains(model_id, '/') THEN split_part(model_id, '/', 2) ELSE model_id END"
        )
        hits = con.sql(
            f"SELECT i, name FROM (SELECT i, {name} AS name FROM ww_roots) "
            f"WHERE {rules.name_prefilter_sql('name')}"
        ).to_arrow_table()
        match = rules.match_name
        found = [match(text) for text in hits.column("name").to_pylist()]
        named_label = {f.family: label_of[f.family] for f in rules.named()}
        hit_rows = hits.column("i").to_numpy()
        for i, family in zip(hit_rows.tolist(), found, strict=True):
            if family is not None:
                fam[i] = named_label[family]
                rule[i] = 2
    # 2. accounts (optionally narrowed by a name pattern), in file order
    account_keys = sorted({a.lower() for f in rules.families for a in f.accounts})
    cand = np.flatnonzero(member(acct, hash_strings(account_keys)))
    for i, (account, text) in zip(cand.tolist(), split(roots[cand]), strict=True):
        family = rules.match_account(account, text)
        if family is not None:
            fam[i] = label_of[family]
            rule[i] = 1
    # 1. exact ids
    id_keys = sorted({i.lower() for f in rules.families for i in f.ids})
    cand = np.flatnonzero(member(node_h1[roots], hash_strings(id_keys)))
    for i, (account, text) in zip(cand.tolist(), split(roots[cand]), strict=True):
        family = rules.match_id(f"{account}/{text}" if account else text)
        if family is not None:
            fam[i] = label_of[family]
            rule[i] = 0
    return labels, fam, rule


def default_organisations(registry: Any) -> pa.Table:
    """``account_key, organisation`` from an :class:`~weightwatch.orgs.OrgRegistry`."""
    table: pa.Table = registry.to_arrow().select(["account_key", "organisation"])
    return table
