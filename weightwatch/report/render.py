"""Render metric results into one self-contained HTML report.

The file loads nothing from anywhere: the Vega, Vega-Lite and Vega-Embed builds in
``vendor/`` and the stylesheet are inlined, chart specs (built with altair) carry their
data inline, and a Content-Security-Policy forbids any network access. The table under
each chart holds the same numbers, so the report still reads without JavaScript.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
from markupsafe import Markup

from weightwatch import __version__
from weightwatch.errors import InputError
from weightwatch.metrics.result import MetricResult
from weightwatch.report.messages import check_lang, has_message, message

__all__ = ["Attribution", "render_report"]

_VENDOR_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
_SHARE_COLUMNS = {"group", "downloads", "share"}
_SPECIAL_GROUPS = ("unattributed", "unknown")
_FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", '
    '"Apple SD Gothic Neo", "Malgun Gothic", "Helvetica Neue", Arial, sans-serif'
)
_BAR_COLOR = "#2f6690"
_SPECIAL_COLOR = "#9aa5b1"
_SHA_RE = re.compile(r"^[0-9a-f]{40,}$")
_SOURCE_MAP_RE = re.compile(r"\n?//# sourceMappingURL=\S*\s*$")


@dataclass(frozen=True)
class Attribution:
    """A data source the report's numbers come from, credited in the footer."""

    name: str
    licence: str
    url: str | None = None
    note: str | None = None


def render_report(
    results: Sequence[MetricResult],
    out: Path,
    *,
    lang: str = "en",
    title: str | None = None,
    attributions: Sequence[Attribution] = (),
) -> Path:
    """Write ``results`` as one self-contained HTML file at ``out`` and return its path.

    The write is atomic (a temporary file in the same directory, then ``os.replace``);
    missing parent directories are created. ``lang`` picks the UI language
    (``weightwatch.report.messages.LANGS``); anything else raises :class:`InputError`.
    """
    check_lang(lang)
    out = Path(out)
    html = _render_html(list(results), lang=lang, title=title, attributions=list(attributions))
    _write_atomic(out, html)
    return out


# --- page model -----------------------------------------------------------------------


def _render_html(
    results: list[MetricResult],
    *,
    lang: str,
    title: str | None,
    attributions: list[Attribution],
) -> str:
    def t(key: str, **fields: Any) -> str:
        return message(lang, key, **fields)

    sections = [_section(i, result, lang) for i, result in enumerate(results)]
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    context = {
        "lang": lang,
        "t": t,
        "title": title or t("report.title"),
        "sections": sections,
        "snapshot_dates": sorted(
            {str(r.params["snapshot_date"]) for r in results if r.params.get("snapshot_date")}
        ),
        "provenance_blocks": _provenance_blocks(results, sections),
        "attributions": [_attribution(a) for a in attributions],
        "generated": t("footer.generated", version=__version__, time=generated),
        "vendor_js": Markup(_vendor_js()),
        "csp": _CSP,
    }
    return _environment().get_template("report.html.j2").render(context)


_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
    "connect-src 'none'; form-action 'none'; base-uri 'none'"
)


def _section(index: int, result: MetricResult, lang: str) -> dict[str, Any]:
    params = dict(result.params)
    rows = [_clean_row(r) for r in result.rows.to_pylist()]
    by = str(params.get("by", ""))
    section: dict[str, Any] = {
        "id": f"{_slug(result.metric)}-{index + 1}",
        "metric": result.metric,
        "heading": _heading(result.metric, by, lang),
        "conventions": [
            (_label(lang, "param." + str(k), str(k)), _scalar_text(v, lang))
            for k, v in params.items()
        ],
        "notes": list(result.notes),
        "chart_json": None,
        "share_table": None,
        "generic_table": None,
    }
    if set(result.rows.column_names) >= _SHARE_COLUMNS:
        group_header = _label(lang, f"table.{by}", message(lang, "table.group"))
        section["share_table"] = _share_table(rows, lang, group_header)
        if rows:
            section["chart_json"] = _script_json(_share_chart(rows, lang, group_header))
    else:
        section["generic_table"] = {
            "columns": list(result.rows.column_names),
            "rows": [
                [_scalar_text(r.get(c), lang) for c in result.rows.column_names] for r in rows
            ],
        }
    return section


def _heading(metric: str, by: str, lang: str) -> str:
    for key in (f"metric.{metric}.by_{by}", f"metric.{metric}"):
        if has_message(lang, key):
            return message(lang, key)
    return metric


def _label(lang: str, key: str, default: str) -> str:
    return message(lang, key) if has_message(lang, key) else default


def _group_label(group: Any, lang: str) -> str:
    if group is None:
        return message(lang, "group.unknown")
    text = str(group)
    if text in _SPECIAL_GROUPS:
        return message(lang, f"group.{text}")
    return text


def _share_table(rows: list[dict[str, Any]], lang: str, group_header: str) -> dict[str, Any]:
    total = sum(int(r["downloads"] or 0) for r in rows)
    return {
        "group_header": group_header,
        "rows": [
            {
                "group": "" if r["group"] is None else str(r["group"]),
                "label": _group_label(r["group"], lang),
                "special": r["group"] is None or str(r["group"]) in _SPECIAL_GROUPS,
                "downloads": _fmt_int(r["downloads"], lang),
                "share": _fmt_pct(r["share"], lang),
            }
            for r in rows
        ],
        "total_downloads": _fmt_int(total, lang),
        "total_share": _fmt_pct(1.0 if total > 0 else None, lang),
    }


def _share_chart(rows: list[dict[str, Any]], lang: str, group_header: str) -> dict[str, Any]:
    values = [
        {
            "group": r["group"],
            "label": _group_label(r["group"], lang),
            "special": r["group"] is None or str(r["group"]) in _SPECIAL_GROUPS,
            "downloads": r["downloads"],
            "share": r["share"],
        }
        for r in rows
    ]
    shares = [v["share"] for v in values if isinstance(v["share"], int | float)]
    top = max(shares, default=0.0) or 1.0
    downloads_title = message(lang, "table.downloads")
    share_title = message(lang, "table.share")
    # alt.Data keeps the values inline in the spec (InlineData would move them to "datasets")
    data = alt.Data(values=values)  # type: ignore[no-untyped-call]
    base = alt.Chart(data).encode(
        y=alt.Y(
            "label:N",
            sort=alt.EncodingSortField(field="share", op="max", order="descending"),
            title=None,
            axis=alt.Axis(labelLimit=220, labelFontSize=13, ticks=False, domain=False),
        ),
        x=alt.X(
            "share:Q",
            title=message(lang, "chart.axis.share"),
            # head-room on the right for the percentage labels
            scale=alt.Scale(domain=[0, top * 1.14], nice=False),
            axis=alt.Axis(format="%", tickCount=5, grid=True, labelFontSize=12),
        ),
        tooltip=[
            alt.Tooltip("label:N", title=group_header),
            alt.Tooltip("downloads:Q", title=downloads_title, format=",d"),
            alt.Tooltip("share:Q", title=share_title, format=".3~%"),
        ],
    )
    bars = base.mark_bar(cornerRadiusEnd=2, height={"band": 0.72}).encode(
        color=alt.condition(alt.datum.special, alt.value(_SPECIAL_COLOR), alt.value(_BAR_COLOR)),
    )
    labels = base.mark_text(align="left", baseline="middle", dx=5, fontSize=13).encode(
        text=alt.Text("share:Q", format=".1%"),
        color=alt.value("#1f2933"),
    )
    chart = (
        alt.layer(bars, labels)
        .properties(width=620, height=alt.Step(34), background="transparent")
        .configure(font=_FONT_STACK)
        .configure_view(stroke=None)
        .configure_axis(labelColor="#3e4c59", titleColor="#3e4c59", gridColor="#e4e7eb")
        .configure_axisX(titleFontWeight="normal", titlePadding=10, titleFontSize=13)
    )
    spec: dict[str, Any] = _strip_urls(chart.to_dict())
    return spec


def _strip_urls(spec: Any) -> Any:
    """Drop ``$schema`` (a URL) and refuse any spec that would make Vega load a URL."""
    if isinstance(spec, dict):
        if "url" in spec and isinstance(spec.get("url"), str):
            raise ValueError("chart specs must carry their data inline, not load a URL")
        return {k: _strip_urls(v) for k, v in spec.items() if k != "$schema"}
    if isinstance(spec, list):
        return [_strip_urls(v) for v in spec]
    return spec


def _script_json(spec: Any) -> Markup:
    """JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return Markup(text)  # every markup-significant character is escaped above


# --- provenance -----------------------------------------------------------------------


def _provenance_blocks(
    results: list[MetricResult], sections: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One block if every result has the same provenance, else one per result."""
    keys = [json.dumps(r.provenance, sort_keys=True, default=str) for r in results]
    if not results:
        return []
    if len(set(keys)) == 1:
        return [_provenance_block(results[0].provenance, None)]
    return [
        _provenance_block(r.provenance, s["heading"])
        for r, s in zip(results, sections, strict=True)
    ]


def _provenance_block(provenance: Mapping[str, Any], heading: str | None) -> dict[str, Any]:
    rest = dict(provenance)
    snapshots = rest.pop("snapshots", None)
    snapshot_node = None
    if isinstance(snapshots, list) and snapshots:
        snapshot_node = _node(snapshots)
    elif snapshots is not None:
        rest = {"snapshots": snapshots, **rest}
    return {"heading": heading, "snapshots": snapshot_node, "rest": _node(rest)}


def _node(value: Any) -> dict[str, Any]:
    """A render tree for any JSON value: ``map``, ``table``, ``list`` or ``scalar``."""
    if isinstance(value, Mapping):
        return {
            "kind": "map",
            "items": [(_humanize(str(k)), _node(v)) for k, v in value.items()],
        }
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) for v in value):
            columns: list[str] = []
            for item in value:
                columns.extend(str(k) for k in item if str(k) not in columns)
            return {
                "kind": "table",
                "columns": [_humanize(c) for c in columns],
                "rows": [[_node(item.get(c)) for c in columns] for item in value],
            }
        return {"kind": "list", "items": [_node(v) for v in value]}
    return _scalar_node(value)


def _scalar_node(value: Any) -> dict[str, Any]:
    if value is None:
        return {"kind": "scalar", "text": None, "title": None, "code": False}
    if isinstance(value, bool):
        return {"kind": "scalar", "text": str(value).lower(), "title": None, "code": True}
    if isinstance(value, int):
        return {"kind": "scalar", "text": f"{value:,}", "title": None, "code": False}
    text = str(value)
    if _SHA_RE.match(text):
        return {"kind": "scalar", "text": text[:12] + "…", "title": text, "code": True}
    return {"kind": "scalar", "text": text, "title": None, "code": False}


def _humanize(key: str) -> str:
    return key.replace("_", " ")


def _attribution(a: Attribution) -> dict[str, Any]:
    url = a.url if a.url and a.url.startswith(("https://", "http://")) else None
    return {"name": a.name, "licence": a.licence, "url": url, "raw_url": a.url, "note": a.note}


# --- formatting -----------------------------------------------------------------------


def _clean_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()
    }


def _fmt_int(value: Any, lang: str) -> str:
    if value is None:
        return message(lang, "value.not_available")
    return f"{int(value):,}"


def _fmt_pct(value: Any, lang: str) -> str:
    if value is None:
        return message(lang, "value.not_available")
    percent = float(value) * 100
    if 0 < percent < 0.1:  # small groups (e.g. Korea) must not read as zero
        return f"{percent:.2g}%"
    return f"{percent:.1f}%"


def _scalar_text(value: Any, lang: str) -> str:
    if value is None:
        return message(lang, "value.none")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "metric"


# --- resources and output -------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("weightwatch.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _vendor_js() -> str:
    """The vendored builds, concatenated, with source-map comments removed."""
    vendor = files("weightwatch.report").joinpath("vendor")
    parts = []
    for name in _VENDOR_SCRIPTS:
        code = _SOURCE_MAP_RE.sub("\n", vendor.joinpath(name).read_text(encoding="utf-8"))
        lowered = code.lower()
        if "</script" in lowered or "<!--" in lowered:
            raise RuntimeError(f"vendored {name} cannot be inlined in a <script> element")
        parts.append(f"/* {name}: see weightwatch/report/vendor/README.md */\n{code.strip()}\n")
    return "".join(parts)


def _write_atomic(out: Path, text: str) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out.parent}: cannot create the report directory: {exc}") from exc
    if out.is_dir():
        raise InputError(f"{out}: is a directory; give a file name such as {out / 'report.html'}")
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
