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
  ancestors over *all* edges (primary root first, then by lowercased id).
* A node whose declared bases were all unparseable (``blocked``) has no known root: it and the
  descendants whose primary path ends at it are ``unresolved`` with the reason.
* Every node thus gets exactly one primary root or an ``unresolved_reason``; nothing depends
  on the order of the input rows (ties are broken on ids, never on positions).

Algorithm (why it is fast)
--------------------------
Strings are touched only by DuckDB and Arrow kernels; all graph work is on integer arrays
(int32 node codes) with numpy, and no step loops in Python per node or per edge.  Three
threads: models and edges are hashed on two DuckDB connections at once, and the families
and the paths are computed on workers while the main thread does the rest.

1. *Encode*: DuckDB lowercases every id and hashes it to a 128-bit identity (the 64-bit
   hashes of the id and of its reverse, streamed into numpy).  One pandas hash table over
   the models turns edge ids into dense node codes (the second half is checked on every
   hit); ids no model has become dangling nodes.  Distinct ``(child, parent)`` code
   pairs, sorted by child (a stable sort, linear on edges listed child by child), are the
   graph.
2. *Cycles without traversing the graph*: order the nodes by ``(created_at, lowercased
   id)``.  An edge to an older parent goes down that order, so every cycle contains a
   *backward* edge (to a newer parent).  Backward edges are found vectorised; a cycle lies
   among the ancestors of its backward edge's parent and among the descendants of its
   child, so two frontier-at-a-time searches from the backward edges (2% of the benchmark's
   edges, mostly to dangling parents, which have no creation time) bound the candidates,
   and only that residue — 421 nodes on the benchmark — goes to an exact
   strongly-connected-components pass (iterative Tarjan).  The backward edges inside
   a component are the cut ones.
3. *Primary parent*: one ``lexsort`` over the edges of multi-parent children only.
4. *Depth, primary root and first merge by pointer jumping* over the primary-parent array:
   ``depth += depth[up]; up = up[up]`` for the nodes whose ``up`` is not a root yet, so
   ⌈log₂(longest path)⌉ + 1 vectorised passes (5 on the benchmark graph, depth 19) over a
   shrinking set — the set-based pointer jumping of the issue, done with numpy gathers.
   The same passes carry the first merge (multi-parent node) on each primary path.
5. *Paths* as one Arrow list array: every node's first slot is itself; derived nodes,
   sorted by depth (radix sort), get their k-th ancestor in one gather / scatter pass per
   level k (the nodes at least k deep are a prefix of that order).
6. *Root sets*: a node's roots are those of the first merge on its primary path, or just
   its primary root.  Sets are therefore built for the merges only (70k of 3M nodes on the
   benchmark), by frontier rounds over the DAG of merges, and shared below each merge.
7. *Families* are matched on the distinct roots only — the nodes no edge gives a parent,
   known right after encoding, plus any made roots by cutting cycles — on a worker while
   steps 2 to 6 run: RE2 (Arrow) over the ids and a zero-copy account/name split of them,
   and the identity hashes for listed ids, pick the candidates; only those run the exact
   :meth:`~weightwatch.lineage.families.FamilyRules.match` (or its names step) in Python.
8. Ids come back zero-copy: references (primary parent/root, path, roots) are Arrow
   dictionary arrays whose dictionary is the node-id array itself.

Why this algorithm: the issue measured networkx at ~24 s on 3M integer nodes and set-based
pointer jumping in DuckDB at ~2 s.  Pointer jumping is the right shape (O(log depth)
passes, each a flat gather), but once ids are integer codes in memory a SQL pass is a hash
join over millions of rows, while a numpy pass is one gather (a few ms per million nodes),
so DuckDB keeps the string work, where it is strong and multi-threaded, and numpy does the
passes.  The previous version peeled the graph Kahn-style (one round per level, with
scatter-adds and hash-uniques over every frontier) to find the topological order it needed
for cycles and root sets; backward edges make cycles local, and first merges make root
sets local, so no topological order is needed.  Paths stay materialised because they are
a column of the published lineage table.  A plain networkx implementation (DiGraph, SCCs,
topological sort, Python per node) is the benchmark baseline
(:mod:`weightwatch.bench.lineage`).

Measured (``weightwatch bench lineage -p repeat=5``: 3M models / 1.5M edges, Parquet read
included, quiet 2-core machine): 4.29 s wall (median of five fresh processes, 3.73-4.68 s),
6.3 s CPU, 1.29 GiB peak, against networkx's 200 s wall and 4.9 GiB (47x faster, 31x in
CPU).  On the same machine shared with other jobs (load average 5-8) wall time rose to
14-18 s for 6.9-8.6 s of CPU: wall time follows the neighbours' load, CPU time much less.
The previous Kahn-peeling version took 17-18 s wall, 11-12 s CPU and 1.9 GiB head to head
under such load, this one 9-11 s, 5.6-6.8 s and 1.2-1.3 GiB.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from weightwatch.errors import WeightwatchError
from weightwatch.lineage.families import FAMILY_RULES, FamilyRules, load_families

pd: Any = importlib.import_module("pandas")  # hash tables (ibis[duckdb] depends on pandas)

IntArray = npt.NDArray[np.signedinteger[Any]]  # node codes: int32, or int64 past 2**31
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

FAMILY_RULE_NAMES: tuple[str, ...] = FAMILY_RULES  # ("id", "account", "name", "org")

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


def _numpy_bools(values: pa.Array | pa.ChunkedArray) -> BoolArray:
    """An Arrow boolean result as numpy (null → False)."""
    out: BoolArray = np.asarray(
        pc.fill_null(values, False).to_numpy(zero_copy_only=False), np.bool_
    )
    return out


def _single(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous Arrow array (no copy when there is a single chunk)."""
    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 1:
            return values.chunk(0)
        if values.num_chunks == 0:
            return pa.array([], values.type)
        return pa.concat_arrays(values.chunks)
    return values


def _key_rank(display: pa.Array, nodes: IntArray) -> IntArray:
    """For each node code in ``nodes``, its rank among them by lowercased id."""
    if nodes.size == 0:
        return np.zeros(0, np.int64)
    codes, inverse = np.unique(nodes, return_inverse=True)
    keys = pc.utf8_lower(display.take(pa.array(codes, pa.int64())))
    order = np.asarray(pc.sort_indices(keys).to_numpy(), np.int64)
    rank = np.empty(codes.size, np.int64)
    rank[order] = np.arange(codes.size, dtype=np.int64)
    out: IntArray = rank[inverse.reshape(-1)]
    return out


def _unique_inverse(values: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(values, return_inverse=True)`` by a stable sort (timsort: linear on the
    nearly sorted input of edges listed child by child)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(ordered.size, np.bool_)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    group = np.cumsum(new) - 1
    inverse = np.empty(values.size, np.int64)
    inverse[order] = group
    uniques: IntArray = ordered[new]
    return uniques, inverse


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


def _cycle_candidates(child: IntArray, parent: IntArray, back: IntArray, n: int) -> IntArray:
    """Edges (indices) among the nodes that can lie on a cycle through a backward edge:
    ancestors of a backward edge's parent that are also descendants of a backward edge's
    child.  ``child`` is sorted (a node's edges: one ``searchsorted``)."""
    up = np.zeros(n, np.bool_)
    frontier = np.unique(parent[back])
    up[frontier] = True
    while frontier.size:  # upwards: parents of the frontier
        starts = np.searchsorted(child, frontier, "left")
        found = parent[_ranges(starts, np.searchsorted(child, frontier, "right") - starts)]
        frontier = np.unique(found[~up[found]])
        up[frontier] = True
    sub = np.flatnonzero(up[child] & up[parent])
    sc, sp = child[sub], parent[sub]
    by_parent = np.argsort(sp, kind="stable")
    sp_sorted = sp[by_parent]
    down = np.zeros(n, np.bool_)
    seeds = child[back]
    frontier = np.unique(seeds[up[seeds]])
    down[frontier] = True
    while frontier.size:  # downwards, inside the ancestors: children of the frontier
        lo = np.searchsorted(sp_sorted, frontier, "left")
        hi = np.searchsorted(sp_sorted, frontier, "right")
        found = sc[by_parent[_ranges(lo, hi - lo)]]
        frontier = np.unique(found[~down[found]])
        down[frontier] = True
    keep: IntArray = sub[down[sc] & down[sp]]
    return keep


def _jump(primary: IntArray, is_merge: BoolArray) -> tuple[IntArray, IntArray, IntArray, int]:
    """(primary root, depth, first merge, passes) of every node by pointer jumping on
    ``primary`` (-1: a root).  ``up[v]`` is an ancestor ``depth[v]`` steps up and ``first[v]``
    the first merge (multi-parent node) from ``v`` (included) to ``up[v]`` (excluded), -1
    if none; a pass appends ``up[v]``'s segment to ``v``'s, doubling it, for the nodes whose
    ``up`` is not a root yet.  ``primary`` must be acyclic (checked: a cycle never ends)."""
    n = primary.size
    has = primary >= 0
    nodes = np.arange(n, dtype=primary.dtype)
    up = np.where(has, primary, nodes)
    depth = has.astype(np.int32)
    first = np.where(is_merge, nodes, -1).astype(primary.dtype)
    del nodes
    active = np.flatnonzero(has)
    active = active[has[up[active]]]  # pointing at a node that is not a root yet
    passes = 0
    limit = max(int(n).bit_length(), 1) + 2
    while active.size:
        passes += 1
        if passes > limit:  # only a cycle in the primary parents could get here
            raise WeightwatchError("lineage: primary parents contain a cycle (internal error)")
        target = up[active]
        # read everything before writing: the passes are synchronous
        gained, further, beyond, mine = depth[target], up[target], first[target], first[active]
        depth[active] += gained
        up[active] = further
        first[active] = np.where(mine >= 0, mine, beyond)
        active = active[has[further]]
    return up, depth, first, passes


def _paths(primary: IntArray, depth: IntArray, unresolved: BoolArray) -> tuple[IntArray, IntArray]:
    """(offsets, values) of every node's primary path, itself first (empty when unresolved):
    each node's first slot is itself; the derived nodes, sorted by depth (deepest first, a
    radix sort), then get their k-th ancestor in one pass per level k — the nodes at least
    k deep being a prefix of that order, each pass is a gather and a scatter."""
    n = primary.size
    lengths = depth + 1
    lengths[unresolved] = 0
    total = int(lengths.sum(dtype=np.int64))
    kind: type[np.signedinteger[Any]] = np.int32 if total < 2**31 - 1 else np.int64
    offsets = np.zeros(n + 1, kind)
    np.cumsum(lengths, out=offsets[1:])
    del lengths
    values = np.empty(total, primary.dtype)
    first = offsets[:-1]
    if unresolved.any():
        kept = np.flatnonzero(~unresolved)
        values[first[kept]] = kept
        derived = np.flatnonzero((depth > 0) & ~unresolved)
    else:
        values[first] = np.arange(n, dtype=primary.dtype)
        derived = np.flatnonzero(depth > 0)
    if derived.size == 0:
        return offsets, values
    levels = depth[derived]
    max_depth = int(levels.max())
    sortable = (-levels).astype(np.int16) if max_depth < 2**15 else -levels
    nodes = derived[np.argsort(sortable, kind="stable")]  # radix sort for small ints
    del derived, sortable
    at_least = np.cumsum(np.bincount(levels, minlength=max_depth + 1)[::-1])[::-1]
    pos = first[nodes] + 1
    cur = primary[nodes]
    del nodes
    values[pos] = cur
    for k in range(2, max_depth + 1):
        m = int(at_least[k])
        cur = primary[cur[:m]]
        pos = pos[:m]
        pos += 1
        values[pos] = cur
    return offsets, values


class _Index:
    """128-bit identities → node code: a hash table on the first half (pandas), the second
    half checked on every hit.  First halves shared by different identities (a 64-bit
    collision: never seen) are left out of the table and looked up by a scan."""

    def __init__(
        self, h1: IntArray, h2: IntArray, codes: IntArray | None, index: pd.Index | None = None
    ) -> None:
        """``codes``: the node code of each entry (None: its position)."""
        self.h1, self.h2, self.codes = h1, h2, codes
        self.index = pd.Index(h1) if index is None else index
        self.clean: _Index | None = None
        self.shared = np.empty(0, np.int64)
        if not self.index.is_unique:
            dup = np.asarray(self.index.duplicated(keep=False), np.bool_)
            rest = np.flatnonzero(~dup)
            self.clean = _Index(h1[rest], h2[rest], rest if codes is None else codes[rest])
            self.shared = np.unique(h1[dup])

    def lookup(self, q1: IntArray, q2: IntArray) -> IntArray:
        if self.h1.size == 0:
            return np.full(q1.size, -1, np.int64)
        if self.clean is not None:
            out = self.clean.lookup(q1, q2)
            suspects = np.flatnonzero(np.isin(q1, self.shared))
        else:
            pos = np.asarray(self.index.get_indexer(q1), np.int64)
            found = pos >= 0
            np.maximum(pos, 0, out=pos)
            hit = found & (self.h2[pos] == q2)
            out = pos if self.codes is None else self.codes[pos]
            out[~hit] = -1
            suspects = np.empty(0, np.int64)  # (a found first half is unique: no other)
        for j in suspects.tolist():  # compare both halves
            match = np.flatnonzero((self.h1 == q1[j]) & (self.h2 == q2[j]))
            if match.size:
                out[j] = match[0] if self.codes is None else self.codes[match[0]]
        return out


# --------------------------------------------------------------------------- ids → codes

# the lowercased id's hash and its reverse's: DuckDB's string hash keeps a 64-bit state, so
# two ids colliding would also collide once extended by the same suffix (``k || 'x'``); the
# reverse feeds the bytes in another order (and costs a third of the concatenation)
_IDENTITY = "hash({k}) AS {p}1, hash(reverse({k})) AS {p}2"
_MODEL_SQL = (
    "SELECT " + _IDENTITY.format(k="k", p="h") + " FROM (SELECT lower(model_id) AS k FROM t)"
)
_EDGE_SQL = (
    f"SELECT {_IDENTITY.format(k='ck', p='c')}, {_IDENTITY.format(k='pk', p='p')} "
    "FROM (SELECT lower(model_id) AS ck, lower(parent_id) AS pk FROM t)"
)


def _model_identities(model_ids: pa.ChunkedArray) -> tuple[IntArray, IntArray, pd.Index]:
    """(h1, h2, hash table on h1) of the model ids; uniqueness is computed here too."""
    hashes = _hash_ids(pa.table({"model_id": model_ids}), _MODEL_SQL)
    index = pd.Index(hashes["h1"])
    _ = index.is_unique  # builds the hash table (cached on the index)
    return hashes["h1"], hashes["h2"], index


def _hash_ids(table: pa.Table, sql: str) -> dict[str, IntArray]:
    """Run one hashing statement over ``table`` (registered as ``t``) on a connection of its
    own, so models and edges hash in parallel; columns come back in row order, streamed
    into preallocated arrays (DuckDB does not materialise the result: half the memory)."""
    rows = table.num_rows
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")  # (the default, relied upon)
        con.register("t", table)
        reader = con.sql(sql).to_arrow_reader(1 << 17)
        names = list(reader.schema.names)
        out = {name: np.empty(rows, np.uint64) for name in names}
        at = 0
        for batch in reader:
            size = batch.num_rows
            for i, name in enumerate(names):
                column = batch.column(i)
                if column.null_count:
                    column = pc.fill_null(column, 0)
                out[name][at : at + size] = column.to_numpy()
            at += size
    finally:
        con.close()
    if at != rows:
        raise WeightwatchError(f"lineage: hashing returned {at} rows for {rows}")
    return {name: values.view(np.int64) for name, values in out.items()}


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
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ww-lineage") as pool:
        return _resolve(pool, models, edges, families, organisations, blocked)


def _resolve(
    pool: ThreadPoolExecutor,
    models: pa.Table,
    edges: pa.Table,
    families: FamilyRules | None,
    organisations: pa.Table | None,
    blocked: list[str] | None,
) -> Resolution:
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    rules = families or load_families()
    n_models = models.num_rows
    n_edges = edges.num_rows
    model_ids = models.column("model_id").cast(pa.string())  # chunked: no copy

    # 1. identities: models (and their hash table) on a worker, edges here, each on a
    # DuckDB connection of its own
    hashing = pool.submit(_model_identities, model_ids)
    eh = _hash_ids(
        pa.table({"model_id": edges.column("model_id"), "parent_id": edges.column("parent_id")}),
        _EDGE_SQL,
    )
    if "created_at" in models.column_names:
        created = pc.cast(models.column("created_at"), pa.timestamp("us", tz="UTC"))
        filled = pc.fill_null(pc.cast(created, pa.int64()), _NO_TIME)
        times = np.array(filled.to_numpy(), dtype=np.int64, copy=True)
    else:
        times = np.full(n_models, _NO_TIME, np.int64)
    c1, c2, p1, p2 = eh["c1"], eh["c2"], eh["p1"], eh["p2"]
    del eh
    m1, m2, m_index = hashing.result()
    lap("hash")

    # 2. nodes: snapshot models (case-duplicates merge: smallest spelling), then dangling ids
    keep = np.ones(n_models, np.bool_)
    display_fix: dict[int, str] = {}
    if not m_index.is_unique:  # case-duplicates (same 128-bit identity) merge into one node
        groups: dict[tuple[int, int], list[int]] = {}
        for r in np.flatnonzero(m_index.duplicated(keep=False)).tolist():
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
    if keep.all():  # the usual case: the hash table is built once
        index = _Index(m1, m2, None, m_index if m_index.is_unique else None)
    else:
        kept = np.flatnonzero(keep)
        index = _Index(m1[kept], m2[kept], kept)
    e_child = index.lookup(c1, c2)
    e_parent = index.lookup(p1, p2)
    lap("index")
    # ids named by edges but absent from the snapshot: codes in (h1, h2) order, so they do
    # not depend on the input order; display = smallest spelling
    missing_c = np.flatnonzero(e_child < 0)
    missing_p = np.flatnonzero(e_parent < 0)
    q1 = np.concatenate([c1[missing_c], p1[missing_p]])
    q2 = np.concatenate([c2[missing_c], p2[missing_p]])
    uniq, inverse = np.unique(np.stack([q1, q2], axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n_dangling = uniq.shape[0]
    # (filter, not take: Arrow's take concatenates the chunks first)
    spellings = (
        edges.column("model_id").filter(pa.array(e_child < 0)).to_pylist()
        + edges.column("parent_id").filter(pa.array(e_parent < 0)).to_pylist()
    )
    dangling_display: list[str | None] = [None] * n_dangling
    for j, text in zip(inverse.tolist(), spellings, strict=True):
        current = dangling_display[j]
        if current is None or text < current:
            dangling_display[j] = text
    e_child[missing_c] = n_models + inverse[: missing_c.size]
    e_parent[missing_p] = n_models + inverse[missing_c.size :]
    n = n_models + n_dangling
    dangling_h1 = uniq[:, 0]  # (families: the listed ids)

    def id_hashes(codes: IntArray) -> IntArray:
        model = codes < n_models
        out = np.empty(codes.size, np.int64)
        out[model] = m1[codes[model]]
        out[~model] = dangling_h1[codes[~model] - n_models]
        return out

    del c1, c2, p1, p2, q1, q2, m2, uniq, inverse
    dangling_ids = pa.array(dangling_display, pa.string())
    if display_fix:  # (rare) a case-duplicate shows its smallest spelling
        fixed = model_ids.to_pylist()
        for at, text in display_fix.items():
            fixed[at] = text
        display_ch = pa.chunked_array([pa.array(fixed, pa.string()), dangling_ids])
    else:
        display_ch = pa.chunked_array([*model_ids.chunks, dangling_ids], pa.string())
    # the node ids as one array (the dictionary of every reference column and what ids are
    # taken from: Arrow's take on a chunked array concatenates it every time), meanwhile
    display_job = pool.submit(_single, display_ch)
    del display_ch
    times = np.concatenate([times, np.full(n_dangling, _NO_TIME, np.int64)])
    in_snapshot = np.zeros(n, np.bool_)
    in_snapshot[:n_models] = keep
    blocked_mask = np.zeros(n, np.bool_)
    if blocked:
        bh = _hash_ids(pa.table({"model_id": pa.array(blocked, pa.string())}), _MODEL_SQL)
        found = index.lookup(bh["h1"], bh["h2"])
        blocked_mask[found[found >= 0]] = True
    del index, m_index
    self_loop = e_child == e_parent
    edge_rows = np.flatnonzero(~self_loop)
    # families of the nodes no edge gives a parent (roots whatever the cycles: nearly all
    # roots), on a worker from now on; roots made by cutting cycles are added at the end
    declares = np.zeros(n, np.bool_)
    declares[e_child[edge_rows]] = True
    root_codes = np.flatnonzero(~declares)
    family_job = pool.submit(
        _families, rules, display_job.result, root_codes, id_hashes(root_codes), organisations
    )
    lap("lookup")

    # 3. the graph: distinct (child, parent) pairs sorted by child; self-loops out.  Node
    # codes are int32 from here on (half the memory traffic of int64)
    code: type[np.signedinteger[Any]] = np.int32 if n < 2**31 - 1 else np.int64
    status = np.zeros(n_edges, np.int8)  # index into EDGE_STATUSES
    status[self_loop] = 1
    pairs, pair_of_edge = _unique_inverse(e_child[edge_rows] * n + e_parent[edge_rows])
    child = (pairs // n).astype(code)
    parent = (pairs % n).astype(code)
    del pairs, e_child, e_parent
    lap("pairs")

    # 4. cycles: only through backward edges (to a newer parent); exact SCCs on the residue
    broken = np.zeros(child.size, np.bool_)
    n_cycles = 0
    t_child, t_parent = times[child], times[parent]
    backward = t_parent > t_child
    tie = np.flatnonzero(t_parent == t_child)
    if tie.size:  # same created_at (or both missing): the lowercased id decides
        rank = _key_rank(display_job.result(), np.concatenate([child[tie], parent[tie]]))
        backward[tie] = rank[tie.size :] > rank[: tie.size]
    del t_child, t_parent, tie
    back = np.flatnonzero(backward)
    if back.size:
        sub = _cycle_candidates(child, parent, back, n)
        succ: dict[int, list[int]] = {}
        for c, p in zip(child[sub].tolist(), parent[sub].tolist(), strict=True):
            succ.setdefault(c, []).append(p)
        components = _tarjan(sorted(succ), succ)
        n_cycles = len(components)
        if components:  # component of each residue edge's ends (-1: none)
            members = np.array([v for comp in components for v in comp], np.int64)
            label = np.repeat(np.arange(n_cycles), [len(comp) for comp in components])
            order = np.argsort(members)
            members, label = members[order], label[order]

            def comp_of(nodes: IntArray) -> IntArray:
                at = np.minimum(np.searchsorted(members, nodes), members.size - 1)
                out: IntArray = np.where(members[at] == nodes, label[at], -1)
                return out

            cc = comp_of(child[sub])
            inside = sub[(cc >= 0) & (cc == comp_of(parent[sub]))]
            broken[inside[backward[inside]]] = True
    del backward
    lap("cycles")

    # 5. primary parent among live edges: in the snapshot, oldest, most used, smallest id
    if broken.any():
        live = np.flatnonzero(~broken)
        lc, lp = child[live], parent[live]  # still sorted by child
    else:
        lc, lp = child, parent
    n_parents = np.zeros(n, np.int32)
    heads = np.flatnonzero(np.diff(lc, prepend=-1, append=n))  # lc is sorted: runs
    n_parents[lc[heads[:-1]]] = np.diff(heads)
    primary = np.full(n, -1, code)
    single = n_parents[lc] == 1
    primary[lc[single]] = lp[single]
    mc, mp = lc[~single], lp[~single]
    if mc.size:
        used = np.unique(mp)  # fan-out (live derivatives) of the candidate parents only
        fanout = np.bincount(pd.Index(used).get_indexer(lp) + 1, minlength=used.size + 1)[1:]
        fanout = fanout[np.searchsorted(used, mp)]
        rank = _key_rank(display_job.result(), mp)
        srt = np.lexsort((rank, -fanout, times[mp], ~in_snapshot[mp], mc))
        mc, mp = mc[srt], mp[srt]
        head = np.ones(mc.size, np.bool_)
        head[1:] = mc[1:] != mc[:-1]
        primary[mc[head]] = mp[head]
        del used, fanout, rank, srt, head
    del single
    blocked_mask &= primary < 0  # a node with a usable parent is not blocked
    orphans = np.flatnonzero((primary < 0) & declares)  # every parent edge cut (rare)
    orphan_h1 = id_hashes(orphans)
    del declares
    lap("primary")

    # 6. depth, primary root and the first merge on the primary path: pointer jumping
    is_merge = n_parents > 1
    root, depth, rep, passes = _jump(primary, is_merge)
    unresolved = blocked_mask[root]
    lap("jump")

    # 7. paths on a worker (numpy releases the GIL) while the root sets are built here
    paths_job = pool.submit(_paths, primary, depth, unresolved)

    # 8. root sets: those of the first merge on the primary path, else the primary root
    merges, set_start, set_len, sorted_flat, n_merge_rounds = _merge_root_sets(
        lc, lp, is_merge, rep, root, display_job.result(), n
    )
    # every node lists its primary root; a node below a merge lists that merge's set
    multi_nodes = np.flatnonzero((rep >= 0) & ~unresolved)
    of = np.searchsorted(merges, rep[multi_nodes])
    root_len = (~unresolved).astype(np.int32)
    root_len[multi_nodes] = set_len[of]
    listed = int(root_len.sum(dtype=np.int64))
    roff = np.zeros(n + 1, np.int32 if listed < 2**31 - 1 else np.int64)
    np.cumsum(root_len, out=roff[1:])
    if multi_nodes.size or unresolved.any():
        root_values = np.repeat(root, root_len)
        root_values[_ranges(roff[multi_nodes], set_len[of])] = sorted_flat[
            _ranges(set_start[of], set_len[of])
        ]
    else:
        root_values = root
    del multi_nodes, of, rep, merges, set_start, set_len, sorted_flat
    lap("roots")

    # 9. assemble: dictionary arrays over the node ids (no string copies)
    display = display_job.result()
    offsets, path_values = paths_job.result()
    labels, fam_of_root, rule_of_root, family_seconds = family_job.result()
    timings["families_worker"] = round(family_seconds, 3)
    lap("families_wait")
    fam = np.full(n, -1, np.int32)
    rule = np.full(n, -1, np.int32)
    fam[root_codes] = fam_of_root
    rule[root_codes] = rule_of_root
    if orphans.size:
        _, fam[orphans], rule[orphans], _ = _families(
            rules, lambda: display, orphans, orphan_h1, organisations
        )
    fam = np.where(unresolved, -1, fam[root])  # a blocked root has no family
    rule = np.where(unresolved, -1, rule[root])

    bits = 32 if n < 2**31 else 64

    def ref(codes: IntArray, valid: BoolArray | None = None) -> pa.Array:
        return pa.DictionaryArray.from_arrays(_ints(codes, valid, bits), display)

    def ref_list(offs: IntArray, values: IntArray) -> pa.Array:
        return pa.ListArray.from_arrays(
            _ints(offs, None, 32 if offs[-1] < 2**31 else 64),
            pa.DictionaryArray.from_arrays(_ints(values, None, bits), display),
        )

    def small_dict(codes: IntArray, values: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(_ints(codes, codes >= 0), pa.array(values))

    node_status = np.zeros(n, np.int32)  # STATUS_ROOT
    node_status[primary >= 0] = 1  # derived
    node_status[n_models:] = 2  # dangling
    node_status[unresolved] = 3
    reasons = pa.nulls(n, pa.string())
    unresolved_nodes = np.flatnonzero(unresolved)
    if unresolved_nodes.size:
        own = root[unresolved_nodes] == unresolved_nodes
        ancestors = display.take(pa.array(root[unresolved_nodes], pa.int64()))
        texts = pc.if_else(
            pa.array(own),
            "declares only unparseable base models",
            pc.binary_join_element_wise(
                "ancestor ", ancestors, " declares only unparseable base models", ""
            ),
        )
        slot = np.zeros(n, np.int64)
        slot[unresolved_nodes] = np.arange(1, unresolved_nodes.size + 1)
        reasons = pa.concat_arrays([pa.nulls(1, pa.string()), texts]).take(pa.array(slot))
    cycle_nodes = np.zeros(n, np.bool_)
    cycle_nodes[child[broken]] = True
    created_col = _ints(times, times != _NO_TIME, 64).view(pa.timestamp("us", tz="UTC"))
    has_parent = primary >= 0
    resolved = ~unresolved
    nodes = pa.table(
        {
            "model_id": display,
            "in_snapshot": _bools(in_snapshot),
            "created_at": created_col,
            "n_parents": _ints(n_parents),
            "primary_parent": ref(np.maximum(primary, 0), has_parent),
            "depth": _ints(depth, resolved),
            "primary_root": ref(root, resolved),
            "root_in_snapshot": _bools(in_snapshot[root], resolved),
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
        "max_depth": int(depth[resolved].max()) if resolved.any() else 0,
        "rounds": passes,
        "merge_rounds": n_merge_rounds,
        "merges": int(is_merge.sum()),
    }
    return Resolution(
        nodes=nodes,
        edge_status=small_dict(status.astype(np.int32), list(EDGE_STATUSES)),
        edge_primary=_bools(is_primary),
        stats=stats,
        timings=timings,
    )


def _merge_root_sets(
    lc: IntArray,
    lp: IntArray,
    is_merge: BoolArray,
    rep: IntArray,
    root: IntArray,
    display: pa.Array,
    n: int,
) -> tuple[IntArray, IntArray, IntArray, IntArray, int]:
    """The root set of every merge node, by frontier rounds over the DAG of merges (a merge
    waits for the merges its parents' sets come from), in a dense numbering of the merges.

    Returns (merge codes (sorted), start, length, members, rounds): merge ``merges[i]``
    has the roots ``members[start[i]:start[i] + length[i]]``, its primary root first, then
    by lowercased id.  ``rep``: the first merge on each node's primary path, or -1."""
    merges = np.flatnonzero(is_merge)
    count = merges.size
    edge = np.flatnonzero(is_merge[lc])  # live edges of merge nodes, sorted by child
    ec = np.searchsorted(merges, lc[edge]).astype(np.int64)
    ep = lp[edge]
    via = rep[ep]  # the parent's set: that of the first merge on its primary path…
    direct = via < 0  # …or just its primary root
    dir_c, dir_m = ec[direct], root[ep[direct]].astype(np.int64)
    dep = np.unique(ec[~direct] * count + np.searchsorted(merges, via[~direct]))
    dep_c, dep_m = dep // count, dep % count  # sorted by the waiting merge
    waits = np.bincount(dep_c, minlength=count)
    by_dep = np.argsort(dep_m, kind="stable")
    dep_m_sorted = dep_m[by_dep]
    start = np.zeros(count, np.int64)
    length = np.zeros(count, np.int64)
    frontier = np.flatnonzero(waits == 0)
    members: list[IntArray] = []
    owners: list[IntArray] = []
    flat = np.empty(0, np.int64)
    flat_len = rounds = done = 0
    while frontier.size:
        rounds += 1
        done += frontier.size
        lo = np.searchsorted(dir_c, frontier, "left")
        hi = np.searchsorted(dir_c, frontier, "right")
        idx = _ranges(lo, hi - lo)
        parts = [dir_c[idx] * n + dir_m[idx]]
        lo = np.searchsorted(dep_c, frontier, "left")
        hi = np.searchsorted(dep_c, frontier, "right")
        idx = _ranges(lo, hi - lo)
        if idx.size:
            if flat.size != flat_len:
                flat = np.concatenate(members)
            of = dep_m[idx]
            parts.append(
                np.repeat(dep_c[idx], length[of]) * n + flat[_ranges(start[of], length[of])]
            )
        combo = np.unique(np.concatenate(parts))
        owner, member = combo // n, combo % n
        heads, first, counts = np.unique(owner, return_index=True, return_counts=True)
        start[heads] = flat_len + first
        length[heads] = counts
        members.append(member)
        owners.append(owner)
        flat_len += member.size
        lo = np.searchsorted(dep_m_sorted, frontier, "left")
        hi = np.searchsorted(dep_m_sorted, frontier, "right")
        ready, counts = np.unique(dep_c[by_dep[_ranges(lo, hi - lo)]], return_counts=True)
        waits[ready] -= counts
        frontier = ready[waits[ready] == 0]
    if done != count:  # only a cycle among merges could get here
        raise WeightwatchError("lineage: merge dependencies contain a cycle (internal error)")
    flat = np.concatenate(members) if members else np.empty(0, np.int64)
    owner_of = np.concatenate(owners) if owners else np.empty(0, np.int64)
    rank = _key_rank(display, flat)
    srt = np.lexsort((rank, flat != root[merges[owner_of]], owner_of))
    flat, owner_of = flat[srt], owner_of[srt]
    heads, first = np.unique(owner_of, return_index=True)
    start[heads] = first
    return merges, start, length, flat, rounds


# --------------------------------------------------------------------------- families


def _families(
    rules: FamilyRules,
    display: Callable[[], pa.Array],
    roots: IntArray,
    id_hashes: IntArray,
    organisations: pa.Table | None,
) -> tuple[list[str], IntArray, IntArray, float]:
    """(labels, label index per root, rule index per root (FAMILY_RULE_NAMES), seconds) for
    the node codes ``roots`` (ids in ``display()``, waited for only once needed).

    Exactly :meth:`FamilyRules.match` for every root, run only where it can find something:
    the roots whose id is listed (by the first half of the identity hash, ``id_hashes``) or
    whose account is listed (RE2 over the ids, Arrow, case-insensitive) — and ids with
    non-ASCII characters, which Python lowercases beyond ASCII — go to the Python matcher.
    The others can only be claimed by the ``names`` heuristic: RE2 runs it over a zero-copy
    split of the ids (one offsets array alternating account and name over the same bytes)
    and Python decides the family of the names that pass."""
    started = time.perf_counter()
    orgs: dict[str, str] = {}
    org_names: list[str] = []
    if organisations is not None and organisations.num_rows:
        for k, o in zip(
            organisations.column("account_key").to_pylist(),
            organisations.column("organisation").to_pylist(),
            strict=True,
        ):
            if k and o:
                orgs[str(k).lower()] = str(o)
                org_names.append(str(o))
    labels: list[str] = []
    label_of: dict[str, int] = {}
    for label in [*(f.family for f in rules.families), *sorted(set(org_names))]:
        if label not in label_of:
            label_of[label] = len(labels)
            labels.append(label)
    rule_of = {name: i for i, name in enumerate(FAMILY_RULE_NAMES)}
    ids = display().take(pa.array(roots, pa.int64())).cast(pa.string())
    n = len(ids)
    fam = np.full(n, -1, np.int64)
    rule = np.full(n, -1, np.int64)
    if n == 0:
        return labels, fam, rule, time.perf_counter() - started
    valid = _numpy_bools(ids.is_valid())
    # 1. ids, accounts (families and organisations) and non-ASCII ids: the full matcher
    full = ~_numpy_bools(pc.string_is_ascii(ids))
    listed = sorted({i.lower() for f in rules.families for i in f.ids})
    if listed:
        keys = _hash_ids(pa.table({"model_id": pa.array(listed, pa.string())}), _MODEL_SQL)
        full |= np.isin(id_hashes, keys["h1"])
    accounts = rules.account_prefilter(orgs)
    if accounts is not None:
        full |= _numpy_bools(pc.match_substring_regex(ids, accounts, ignore_case=True))
    full &= valid
    rows = np.flatnonzero(full)
    for i, text in zip(rows.tolist(), ids.take(pa.array(rows)).to_pylist(), strict=True):
        family, how = rules.match(str(text), orgs)
        if family is not None and how is not None:
            fam[i] = label_of[family]
            rule[i] = rule_of[how]
    # 2. the names heuristic for the rest: RE2 on the names, then Python on the hits
    named = rules.named()
    if named:
        _, offsets_buf, data_buf = ids.buffers()
        offs = np.frombuffer(offsets_buf, np.int32, count=n + 1, offset=ids.offset * 4)
        slash = np.asarray(pc.fill_null(pc.find_substring(ids, "/"), -1).to_numpy(), np.int32)
        split_offs = np.empty(2 * n + 1, np.int32)
        split_offs[0:-1:2] = offs[:-1]
        split_offs[1:-1:2] = offs[:-1] + slash + 1  # (no slash: an empty account)
        split_offs[-1] = offs[-1]
        split = pa.StringArray.from_buffers(2 * n, pa.py_buffer(split_offs), data_buf, None, 0)
        hits = _numpy_bools(
            pc.match_substring_regex(split, rules.combined_names(), ignore_case=True)
        )[1::2]
        rows = np.flatnonzero(hits & ~full & valid)
        names = split.take(pa.array(2 * rows + 1)).to_pylist()
        group = np.asarray(rules.name_groups(names), np.int64)
        group_label = np.array([-1, *(label_of[f.family] for f in named)], np.int64)
        fam[rows] = group_label[group]
        rule[rows] = np.where(group > 0, rule_of["name"], -1)
    return labels, fam, rule, time.perf_counter() - started


def default_organisations(registry: Any) -> pa.Table:
    """``account_key, organisation`` from an :class:`~weightwatch.orgs.OrgRegistry`."""
    table: pa.Table = registry.to_arrow().select(["account_key", "organisation"])
    return table
