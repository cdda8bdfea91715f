"""Lineage edges from every place a snapshot row records them, and the relation rule.

Sources (``sources`` of an edge, sorted):

``card``  the model card's ``base_model`` (string or list) and ``base_model_relation``, kept
          whole in ``raw_json.cardData`` by ingest;
``tag``   the Hub's tags ``base_model:<relation>:<id>`` and ``base_model:<id>``;
``api``   entries of the snapshot's ``base_models`` column that neither the card nor the tags
          explain: the ``/api/models`` base-model expansion.

Every value is normalised (:mod:`weightwatch.lineage.ids`); what cannot be parsed is kept as
an edge with status ``unparseable`` and its ``problem``, never dropped.  One edge per
(model, parent key); its *declared* relation is the first specific one of card, api, tag
(``unknown`` otherwise), and sources naming different specific relations are reported in
``problem``.  A model whose card and tags name different parent sets gets a ``conflict``
(both sets are kept).

Inferred relation (the repo's own evidence; first rule that applies, evidence recorded):

1. ``adapter``   — ``library_name`` is ``peft`` or the repo has the ``peft`` tag;
2. ``quantized`` — the repo ships GGUF files (``is_gguf``); or ``library_name`` is a
   quantised/converted format (gguf, ggml, llama.cpp, mlx, exllamav2/3, ctranslate2, onnx,
   openvino, mlc-llm, transformers.js, litert-lm, Model Optimizer); or a tag names one
   (gguf, mlx, awq, gptq, exl2, exl3, bitsandbytes, 4-bit, 8-bit, fp8, nvfp4, mxfp4, int4,
   int8, compressed-tensors, ggml, quantized); or, when the repo has no ``safetensors``/
   ``pytorch`` weights tag, a conversion tag (onnx, openvino, coreml, tflite); or the repo
   name carries a format suffix (``-GGUF``, ``-AWQ``, ``-GPTQ``, ``-MLX``, ``-4bit``,
   ``-FP8``, ``-Q4_K_M``, ``-exl2``, ``-bnb-4bit``, ``-int4``…);
   (format evidence beats a declared ``adapter``: GGUF/MLX repos declared as adapters are
   nearly always full re-uploads of a LoRA-tuned model);
3. ``merge``     — tags ``merge`` or ``mergekit``;
4. the declared relation when it is specific (adapter, quantized, merge, finetune, in that
   order if the model's edges disagree);
5. ``merge`` when there are several parents, else ``finetune`` (the Hub's own default).

Derivative metrics count by the inferred relation unless asked for the declared one.
"""

from __future__ import annotations

from typing import Any

from weightwatch.lineage.ids import install_macros

QUANT_LIBRARIES: tuple[str, ...] = (
    "gguf", "ggml", "llama.cpp", "mlx", "exllamav2", "exllamav3", "ctranslate2", "onnx",
    "openvino", "mlc-llm", "transformers.js", "litert-lm", "model optimizer",
)  # fmt: skip
QUANT_TAGS: tuple[str, ...] = (
    "gguf", "mlx", "awq", "gptq", "exl2", "exl3", "bitsandbytes", "4-bit", "8-bit", "fp8",
    "nvfp4", "mxfp4", "int4", "int8", "compressed-tensors", "ggml", "quantized",
)  # fmt: skip
CONVERSION_TAGS: tuple[str, ...] = ("onnx", "openvino", "coreml", "tflite")
WEIGHT_TAGS: tuple[str, ...] = ("safetensors", "pytorch")
MERGE_TAGS: tuple[str, ...] = ("merge", "mergekit")
QUANT_NAME = (
    r"(^|[-_.])(gguf|ggml|awq|gptq|mlx|exl2|exl3|onnx|fp8|fp4|nvfp4|mxfp4|int4|int8|w4a16|"
    r"w8a8|w8a16|bnb|nf4|[2-8]-?bits?|i?q[1-8](_k)?(_[a-z0-9]+)?)([-_.]|$)"
)


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# mentions: one row per (model, source, raw value) as written
_MENTIONS = """
CREATE OR REPLACE TEMP TABLE ww_mentions AS
WITH tag_rows AS (
    SELECT model_id, substr(t, 12) AS rest
    FROM (SELECT model_id, unnest(tags) AS t FROM ww_snap WHERE tags IS NOT NULL)
    WHERE starts_with(t, 'base_model:')
),
tag_m AS (
    SELECT model_id, 'tag' AS source,
           CASE WHEN regexp_matches(rest, '^(finetune|adapter|quantized|merge|unknown):')
                THEN split_part(rest, ':', 1) ELSE 'unknown' END AS relation,
           CASE WHEN regexp_matches(rest, '^(finetune|adapter|quantized|merge|unknown):')
                THEN substr(rest, strpos(rest, ':') + 1) ELSE rest END AS raw,
           false AS not_string
    FROM tag_rows
),
card AS (
    SELECT model_id, json_extract(raw_json, '$.cardData.base_model') AS bm,
           json_extract_string(raw_json, '$.cardData.base_model_relation') AS rel
    FROM ww_snap
    WHERE raw_json IS NOT NULL AND contains(raw_json, 'base_model')
),
card_items AS (
    SELECT model_id, rel, unnest(from_json(bm, '["json"]')) AS item
    FROM card WHERE json_type(bm) = 'ARRAY'
    UNION ALL
    SELECT model_id, rel, bm FROM card WHERE bm IS NOT NULL AND json_type(bm) <> 'ARRAY'
),
card_m AS (
    SELECT model_id, 'card' AS source,
           CASE WHEN rel IN ('finetune', 'adapter', 'quantized', 'merge') THEN rel
                ELSE 'unknown' END AS relation,
           CASE WHEN json_type(item) = 'VARCHAR' THEN json_extract_string(item, '$')
                WHEN json_type(item) = 'NULL' THEN NULL ELSE item::VARCHAR END AS raw,
           json_type(item) NOT IN ('VARCHAR', 'NULL') AS not_string
    FROM card_items
),
api_m AS (
    SELECT model_id, 'api' AS source, coalesce(bm.relation, 'unknown') AS relation,
           bm.model_id AS raw, false AS not_string
    FROM (SELECT model_id, unnest(base_models) AS bm FROM ww_snap
          WHERE base_models IS NOT NULL AND len(base_models) > 0)
)
SELECT * FROM tag_m UNION ALL SELECT * FROM card_m UNION ALL SELECT * FROM api_m
"""

_NORMALISED = """
CREATE OR REPLACE TEMP TABLE ww_norm AS
SELECT model_id, lower(model_id) AS model_key, source, relation, raw,
       CASE WHEN not_string THEN NULL WHEN plain THEN raw ELSE ww_id_full(raw) END
           AS parent_id,
       CASE WHEN not_string THEN 'not_a_string' WHEN plain THEN NULL
            ELSE ww_id_problem_full(raw) END AS problem
FROM (SELECT *, coalesce(ww_id_plain(raw), false) AS plain FROM ww_mentions);
CREATE OR REPLACE TEMP TABLE ww_norm AS
SELECT * FROM ww_norm n
WHERE source <> 'api' OR NOT EXISTS (
    SELECT 1 FROM ww_norm o
    WHERE o.model_key = n.model_key AND o.source <> 'api'
      AND ((o.parent_id IS NOT NULL AND lower(o.parent_id) = lower(n.parent_id))
           OR (o.parent_id IS NULL AND n.parent_id IS NULL AND o.problem = n.problem))
)
"""

_EDGES = """
CREATE OR REPLACE TEMP TABLE ww_edges AS
SELECT min(model_id) AS model_id, model_key,
       min(parent_id) AS parent_id, lower(parent_id) AS parent_key,
       min(raw) AS raw_parent,
       list(DISTINCT source ORDER BY source) AS sources,
       coalesce(
           min(relation) FILTER (WHERE source = 'card' AND relation <> 'unknown'),
           min(relation) FILTER (WHERE source = 'api' AND relation <> 'unknown'),
           min(relation) FILTER (WHERE source = 'tag' AND relation <> 'unknown'),
           'unknown') AS relation_declared,
       CASE WHEN count(DISTINCT relation) FILTER (WHERE relation <> 'unknown') > 1
            THEN 'relation differs between sources: ' || string_agg(DISTINCT source || '='
                 || relation, ', ' ORDER BY source || '=' || relation)
                 FILTER (WHERE relation <> 'unknown') END AS problem,
       lower(parent_id) = model_key AS self_loop
FROM ww_norm WHERE parent_id IS NOT NULL
GROUP BY model_key, lower(parent_id);
CREATE OR REPLACE TEMP TABLE ww_unparsed AS
SELECT min(model_id) AS model_id, model_key, raw AS raw_parent,
       list(DISTINCT source ORDER BY source) AS sources,
       coalesce(
           min(relation) FILTER (WHERE source = 'card' AND relation <> 'unknown'),
           min(relation) FILTER (WHERE source = 'api' AND relation <> 'unknown'),
           min(relation) FILTER (WHERE source = 'tag' AND relation <> 'unknown'),
           'unknown') AS relation_declared,
       min(problem) AS problem
FROM ww_norm WHERE parent_id IS NULL
GROUP BY model_key, raw
"""

_MODELS = f"""
CREATE OR REPLACE TEMP TABLE ww_model_info AS
WITH parents AS (
    SELECT model_key,
           count(*) FILTER (WHERE NOT self_loop) AS n_parents,
           count(*) FILTER (WHERE self_loop) AS n_self,
           CASE WHEN bool_or(relation_declared = 'adapter' AND NOT self_loop) THEN 'adapter'
                WHEN bool_or(relation_declared = 'quantized' AND NOT self_loop) THEN 'quantized'
                WHEN bool_or(relation_declared = 'merge' AND NOT self_loop) THEN 'merge'
                WHEN bool_or(relation_declared = 'finetune' AND NOT self_loop) THEN 'finetune'
                WHEN count(*) FILTER (WHERE NOT self_loop) > 0 THEN 'unknown' END
               AS relation_declared
    FROM ww_edges GROUP BY model_key
),
sets AS (
    SELECT model_key,
           list(DISTINCT lower(parent_id) ORDER BY lower(parent_id))
               FILTER (WHERE source = 'card' AND parent_id IS NOT NULL) AS card_set,
           list(DISTINCT lower(parent_id) ORDER BY lower(parent_id))
               FILTER (WHERE source = 'tag' AND parent_id IS NOT NULL) AS tag_set
    FROM ww_norm GROUP BY model_key
),
unparsed AS (SELECT model_key, count(*) AS n_unparsed FROM ww_unparsed GROUP BY model_key),
ev AS (
    SELECT model_id, lower(model_id) AS model_key,
           lower(coalesce(library_name, '')) AS lib,
           list_transform(coalesce(tags, []), lambda t: lower(t)) AS tg,
           lower(CASE WHEN contains(model_id, '/') THEN split_part(model_id, '/', 2)
                 ELSE model_id END) AS nm,
           coalesce(is_gguf, false) AS gguf
    FROM ww_snap
),
facts AS (
    SELECT ev.*, coalesce(p.n_parents, 0) AS n_parents, p.relation_declared,
           coalesce(u.n_unparsed, 0) AS n_unparsed, s.card_set, s.tag_set,
           list_filter(tg, lambda t: list_contains({_list(QUANT_TAGS)}, t))[1] AS quant_tag,
           CASE WHEN NOT list_has_any(tg, {_list(WEIGHT_TAGS)})
                THEN list_filter(tg, lambda t: list_contains({_list(CONVERSION_TAGS)}, t))[1]
           END AS conversion_tag,
           list_filter(tg, lambda t: list_contains({_list(MERGE_TAGS)}, t))[1] AS merge_tag,
           nullif(regexp_extract(nm, '{QUANT_NAME}', 2), '') AS quant_name
    FROM ev LEFT JOIN parents p USING (model_key) LEFT JOIN unparsed u USING (model_key)
            LEFT JOIN sets s USING (model_key)
)
SELECT model_key, n_parents, n_unparsed, relation_declared,
       CASE WHEN n_parents = 0 THEN NULL
            WHEN lib = 'peft' OR list_contains(tg, 'peft') THEN 'adapter'
            WHEN gguf OR list_contains({_list(QUANT_LIBRARIES)}, lib) OR quant_tag IS NOT NULL
                 OR conversion_tag IS NOT NULL OR quant_name IS NOT NULL THEN 'quantized'
            WHEN merge_tag IS NOT NULL THEN 'merge'
            WHEN relation_declared <> 'unknown' THEN relation_declared
            WHEN n_parents > 1 THEN 'merge'
            ELSE 'finetune' END AS relation_inferred,
       CASE WHEN n_parents = 0 THEN NULL
            WHEN lib = 'peft' THEN 'library_name=peft'
            WHEN list_contains(tg, 'peft') THEN 'tag:peft'
            WHEN gguf THEN 'gguf files'
            WHEN list_contains({_list(QUANT_LIBRARIES)}, lib) THEN 'library_name=' || lib
            WHEN quant_tag IS NOT NULL THEN 'tag:' || quant_tag
            WHEN conversion_tag IS NOT NULL THEN 'tag:' || conversion_tag
            WHEN quant_name IS NOT NULL THEN 'name:' || quant_name
            WHEN merge_tag IS NOT NULL THEN 'tag:' || merge_tag
            WHEN relation_declared <> 'unknown' THEN 'declared'
            WHEN n_parents > 1 THEN 'default: several parents'
            ELSE 'default: one parent' END AS relation_evidence,
       CASE WHEN len(card_set) > 0 AND len(tag_set) > 0 AND card_set <> tag_set
            THEN 'card: ' || array_to_string(card_set, ', ') || ' | tags: '
                 || array_to_string(tag_set, ', ') END AS conflict
FROM facts
"""


def extract(con: Any) -> None:
    """Run extraction on ``con``, which must hold a view ``ww_snap`` of one snapshot.

    Creates ``ww_norm`` (every mention, normalised), ``ww_edges`` (one row per model and
    parseable parent, self-loops flagged), ``ww_unparsed`` (one row per model and value that
    could not be parsed) and ``ww_model_info`` (per model: parents, declared and inferred
    relation with its evidence, card/tag conflict)."""
    install_macros(con)
    # (api entries that the card or the tags explain are credited to those sources)
    for block in (_MENTIONS, _NORMALISED, _EDGES, _MODELS):
        for statement in block.split(";\n"):
            if statement.strip() and not statement.strip().startswith("--"):
                con.execute(statement)
