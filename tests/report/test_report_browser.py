"""Open a rendered report in Debian's chromium (offline) and check the chart is drawn."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from weightwatch.metrics.result import MetricResult
from weightwatch.report import Attribution, render_report

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/weightwatch-report.png")


def _open(browser: Any, html: Path) -> tuple[Any, Any, list[str], list[str]]:
    """Open ``html`` with every non-file request blocked: (context, page, blocked, errors)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    page.goto(html.as_uri(), wait_until="load")
    return context, page, blocked, errors


def test_report_renders_chart_offline(
    browser: Any, share_result: MetricResult, tmp_path: Path
) -> None:
    html = render_report(
        [share_result],
        tmp_path / "report.html",
        attributions=[
            Attribution(
                name="Hugging Face Hub",
                licence="Hub terms of service",
                url="https://huggingface.co/docs/hub/api",
                note="model metadata and download counters",
            )
        ],
    )
    context, page, blocked, errors = _open(browser, html)
    try:
        chart = page.locator('[data-testid="chart"]')
        try:
            page.wait_for_selector('[data-testid="chart"][data-rendered="true"]', timeout=15_000)
        except Exception as exc:
            raise AssertionError(
                f"the chart was not drawn; console errors: {errors}; blocked: {blocked}"
            ) from exc

        n_rows = share_result.rows.num_rows
        assert chart.locator("svg .mark-rect path").count() == n_rows
        assert page.locator('[data-testid="data-table"] tbody tr').count() == n_rows
        # the bars are labelled with every group, the table shows the numbers
        svg_text = chart.locator("svg").text_content() or ""
        for group in ("CN", "US", "FR", "KR", "unattributed"):
            assert group in svg_text
        table_text = page.locator('[data-testid="data-table"]').inner_text()
        assert "41,200,000" in table_text
        assert page.locator('[data-testid="chart-fallback"]').is_hidden()

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        shutil.copyfile(shot, SCREENSHOT)
    finally:
        context.close()

    assert blocked == [], f"the report tried to load non-file URLs: {blocked}"
    assert errors == [], f"console errors: {errors}"


def test_report_shows_table_without_javascript(
    browser: Any, share_result: MetricResult, tmp_path: Path
) -> None:
    html = render_report([share_result], tmp_path / "report.html")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(html.as_uri())
        assert page.locator('[data-testid="data-table"] tbody tr').count() == (
            share_result.rows.num_rows
        )
        assert page.locator('[data-testid="chart-fallback"]').is_visible()
        assert page.locator('[data-testid="chart"] svg').count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_demo_report_on_real_data_draws_every_group(
    browser: Any, demo_store: Any, tmp_path: Path, lang: str
) -> None:
    """The report `scripts/demo` writes: real Hub data, bundled registry, drawn offline."""
    from weightwatch.orgs import load_registry
    from weightwatch.report.build import build_report

    html = build_report(demo_store, tmp_path / f"report-{lang}.html", load_registry(), lang=lang)
    context, page, blocked, errors = _open(browser, html)
    try:
        page.wait_for_selector('[data-testid="chart"][data-rendered="true"]', timeout=15_000)
        rows = page.locator('[data-testid="data-table"] tbody tr')
        bars = page.locator('[data-testid="chart"] svg .mark-rect path')
        assert rows.count() == bars.count() > 5
        table_text = page.locator('[data-testid="data-table"]').inner_text()
        assert "1,153,768,795" in table_text  # all 30-day downloads of the real snapshot
        assert "hub-trending-2026-05-04.json.gz" in page.content()  # provenance footer
        assert page.locator("html").get_attribute("lang") == lang
    finally:
        context.close()
    assert blocked == [] and errors == []
