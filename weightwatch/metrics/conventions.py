"""The counting conventions every adoption metric takes, validated and echoed in its output.

=============================  ===========================================================
``attribution``                ``uploader`` | ``developer`` | ``family``
                               (:mod:`weightwatch.attribution`)
``group_by``                   ``country`` | ``org`` | ``org_type`` | ``family`` |
                               ``size_class``
``window``                     ``all`` | ``Nd`` | ``YYYY-MM-DD..YYYY-MM-DD`` | ``first-year``
                               (:mod:`weightwatch.series.timeseries`: an interval counts
                               wholly in the window holding its end date)
``as_of``                      the last snapshot counted (default: the latest); lineage and
                               attribution are those of this snapshot
``pipeline_tag``               keep only models with one of these pipeline tags
``llm_only``                   keep only models whose pipeline tag is in :data:`LLM_TAGS`
``min_downloads``              keep only models with at least this many downloads in the
                               window
``exclude_requantized``        leave out suspected re-uploads (GGUF/quantized/MLX copies;
                               the deltas' ``suspected_reupload``)
``exclude_suspected_automated``leave out intervals whose downloads jump by orders of
                               magnitude (:mod:`weightwatch.series.rollup`)
``size_basis``                 ``total`` | ``active`` parameters for ``size_class`` (active:
                               MoE models by their active parameters where known)
=============================  ===========================================================

Model attributes (pipeline tag, parameters) are those the model had at the end of each
interval; a model that vanished has none, so attribute filters leave its (zero) last row
out and ``size_class`` puts it in ``unknown``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import ibis
from pydantic import BaseModel, ConfigDict, Field, field_validator

from weightwatch.attribution import UNKNOWN
from weightwatch.errors import InputError, SnapshotNotFound
from weightwatch.series.timeseries import Window, parse_window
from weightwatch.store import Store

Attribution = Literal["uploader", "developer", "family"]
GroupBy = Literal["country", "org", "org_type", "family", "size_class"]

#: Pipeline tags counted as language models by ``llm_only`` (text in, text out, including
#: vision-language chat models).
LLM_TAGS: tuple[str, ...] = (
    "text-generation",
    "text2text-generation",
    "image-text-to-text",
    "any-to-any",
)

#: Parameter classes (upper bounds exclusive), for ``group_by = size_class`` and size_mix.
SIZE_CLASSES: tuple[tuple[str, float], ...] = (
    ("<1B", 1e9),
    ("1-7B", 7e9),
    ("7-30B", 30e9),
    ("30-100B", 100e9),
    ("100B+", float("inf")),
)


class Conventions(BaseModel):
    """The shared convention parameters; each metric's parameter model extends it."""

    model_config = ConfigDict(extra="forbid")

    attribution: Attribution = "uploader"
    group_by: GroupBy = "country"
    window: str = "all"
    as_of: date | None = None
    pipeline_tag: list[str] | None = None
    llm_only: bool = False
    min_downloads: int = Field(default=0, ge=0)
    exclude_requantized: bool = False
    exclude_suspected_automated: bool = False
    size_basis: Literal["total", "active"] = "total"

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        try:
            return str(parse_window(value))
        except InputError as exc:
            raise ValueError(str(exc)) from None

    @property
    def parsed_window(self) -> Window:
        return parse_window(self.window)

    def resolved(self, store: Store) -> Any:
        """A copy with ``as_of`` set to an existing snapshot (default: the latest)."""
        dates = store.snapshot_dates()
        when = self.as_of or store.latest()
        if when not in dates:
            earlier = [d for d in dates if d <= when]
            if not earlier:
                listed = ", ".join(d.isoformat() for d in dates)
                raise SnapshotNotFound(
                    f"{store.root}: no snapshot on or before {when.isoformat()}; "
                    f"snapshots: {listed}"
                )
            when = earlier[-1]
        return self.model_copy(update={"as_of": when})

    @property
    def needs_lineage(self) -> bool:
        return self.attribution != "uploader" or self.group_by == "family"

    @property
    def filters_models(self) -> bool:
        """True when a filter needs per-model attributes or totals."""
        return bool(self.pipeline_tag) or self.llm_only or self.min_downloads > 0


def size_class(params: ibis.Value) -> ibis.Value:
    """The :data:`SIZE_CLASSES` label of a parameter count (``unknown`` when null)."""
    cases = [(params.isnull(), ibis.literal(UNKNOWN))]
    cases += [(params < bound, ibis.literal(label)) for label, bound in SIZE_CLASSES[:-1]]
    return ibis.cases(*cases, else_=ibis.literal(SIZE_CLASSES[-1][0]))


def size_params(table: ibis.Table, basis: str) -> ibis.Value:
    """Parameters counted for size: total, or active where known (MoE) for ``active``."""
    if basis == "active":
        return table.params_active.fill_null(table.params_total)
    return table.params_total
