"""Normalise the model ids people write as base models; name what cannot be parsed.

One implementation, in SQL (DuckDB macros), used set-wise by extraction and row-wise by
:func:`normalize_id` (CLI arguments, tests), so the two can never disagree.

Rules, in order:

1. surrounding whitespace, quotes, backticks and ``<>`` are stripped;
2. empty → problem ``empty``; ``N/A``, ``none``, ``null``, ``unknown``, ``-``… →
   ``placeholder``; a local path (``/…``, ``./``, ``../``, ``~``, ``C:\\``, any ``\\``) →
   ``local_path``;
3. Hub URL prefixes are removed — ``https://huggingface.co/``, ``huggingface.co/``,
   ``hf.co/``, ``hf://``, ``www.``, and ``models/`` right after them — then a revision:
   ``/tree/…``, ``/blob/…``, ``/resolve/…``, ``/commit/…`` after ``namespace/name`` (so a
   repo called ``tree`` keeps its name), ``@rev``, a ``.git`` suffix and trailing slashes;
4. any other URL → ``not_a_hub_url``; ``datasets/…``/``spaces/…`` → ``not_a_model``;
5. what is left must look like a Hub repo id, ``name`` or ``namespace/name`` with
   letters, digits, ``-``, ``_`` and ``.``; else ``invalid`` (e.g. ``X (Merge)``).

Most values are already plain ids (``namespace/name``, no URL prefix, no ``.git``, not a
placeholder): ``ww_id_plain`` recognises them with one match and they skip the rules above,
which cost some twenty regular expressions a value (extraction spent most of its time
there).  ``ww_id_full``/``ww_id_problem_full`` keep the rules alone, and a property test
checks that the shortcut never changes an answer.

Case is kept (it is how the Hub spells the repo); matching elsewhere is case-insensitive on
``lower(id)`` (the *key*), as the Hub's own repo lookups are.
"""

from __future__ import annotations

from typing import Any

import duckdb

PROBLEMS: tuple[str, ...] = (
    "empty",
    "placeholder",
    "local_path",
    "not_a_hub_url",
    "not_a_model",
    "invalid",
    "not_a_string",
)

PLACEHOLDERS: tuple[str, ...] = (
    "N/A", "NA", "NONE", "NULL", "NIL", "NAN", "UNKNOWN", "-", "--", "?", "TBD", "TODO",
    "BASE", "BASE_MODEL", "[]", "{}",
)  # fmt: skip

_STRIP = " \t\r\n\"'`<>"

MACROS_SQL = f"""
CREATE OR REPLACE TEMP MACRO ww_id_stripped(x) AS trim(x, '{_STRIP.replace("'", "''")}');
CREATE OR REPLACE TEMP MACRO ww_id_clean(x) AS
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    ww_id_stripped(x),
    '^(hf://|(https?://)?(www\\.)?(huggingface\\.co|hf\\.co)/)(models/)?', '', 'i'),
    '^([^/]+/[^/]+)/(tree|blob|resolve|commit|raw)(/.*)?$', '\\1', 'i'),
    '@[^/]*$', ''),
    '\\.git$', '', 'i'),
    '/+$', '');
CREATE OR REPLACE TEMP MACRO ww_id_problem_full(x) AS CASE
  WHEN x IS NULL OR ww_id_stripped(x) = '' THEN 'empty'
  WHEN upper(ww_id_stripped(x)) IN ({", ".join("'" + p + "'" for p in PLACEHOLDERS)})
    THEN 'placeholder'
  WHEN regexp_matches(ww_id_stripped(x), '^(\\.{{1,2}}/|~|/|[A-Za-z]:[/\\\\])')
       OR contains(x, chr(92)) THEN 'local_path'
  WHEN regexp_matches(ww_id_clean(x), '^[a-z][a-z0-9+.-]*:', 'i') THEN 'not_a_hub_url'
  WHEN regexp_matches(ww_id_clean(x), '^(datasets|spaces)/', 'i') THEN 'not_a_model'
  WHEN NOT regexp_full_match(ww_id_clean(x), '[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?')
    THEN 'invalid'
END;
CREATE OR REPLACE TEMP MACRO ww_id_plain(x) AS
  regexp_full_match(x, '[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?')
  AND NOT regexp_matches(x, '^(hf\\.co/|huggingface\\.co/|www\\.|datasets/|spaces/)|\\.git$', 'i')
  AND upper(x) NOT IN ({", ".join("'" + p + "'" for p in PLACEHOLDERS)});
CREATE OR REPLACE TEMP MACRO ww_id_problem(x) AS
  CASE WHEN ww_id_plain(x) THEN NULL ELSE ww_id_problem_full(x) END;
CREATE OR REPLACE TEMP MACRO ww_id_full(x) AS
  CASE WHEN ww_id_problem_full(x) IS NULL THEN ww_id_clean(x) END;
CREATE OR REPLACE TEMP MACRO ww_id(x) AS
  CASE WHEN ww_id_plain(x) THEN x ELSE ww_id_full(x) END;
"""


def install_macros(con: Any) -> None:
    """Define ``ww_id(x)`` (normalised id or NULL) and ``ww_id_problem(x)`` on ``con``."""
    for statement in MACROS_SQL.split(";"):
        if statement.strip():
            con.execute(statement)


def normalize_ids(values: list[Any]) -> list[tuple[str | None, str | None]]:
    """``(id, problem)`` per value: exactly one of the two is None.  Non-strings are
    ``not_a_string``."""
    con = duckdb.connect()
    install_macros(con)
    texts = [v if isinstance(v, str) else None for v in values]
    out: list[tuple[str | None, str | None]] = []
    if texts:
        rows = con.execute(
            "SELECT ww_id(x), ww_id_problem(x) FROM unnest($1) WITH ORDINALITY AS t(x, i) "
            "ORDER BY i",
            [texts],
        ).fetchall()
        out = [(r[0], r[1]) for r in rows]
    con.close()
    return [
        (None, "not_a_string") if v is not None and not isinstance(v, str) else res
        for v, res in zip(values, out, strict=True)
    ]


def normalize_id(value: Any) -> tuple[str | None, str | None]:
    """``(id, problem)`` for one value, e.g. ``"https://hf.co/Qwen/Qwen3-8B/tree/main"`` →
    ``("Qwen/Qwen3-8B", None)``; ``"N/A"`` → ``(None, "placeholder")``."""
    return normalize_ids([value])[0]
