"""``tftune dashboard --max-curves`` in a real headless Chromium: past the limit the top page
draws its other plots, leaves the intermediate-values plot out and shows why; ``0`` draws it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_studies import N_COMPLETE, N_PRUNED, N_STEPS_COMPLETE, N_STEPS_PRUNED
from dashboard_browser import CliDashboard, Page

TIMEOUT_MS = 90_000  # a loaded machine: the 6 MB script of a fresh page takes its time
NOTICE = "not drawn: 12 trials would each be a line, over the limit of 11"


@pytest.fixture
def studies(studies_file: Path, tmp_path: Path) -> str:
    path = tmp_path / "studies.db"
    shutil.copy(studies_file, path)
    return f"sqlite:///{path}"


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    opened = Page(browser)
    opened.page.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.page.close()


def _top_page(page: Page, dashboard: CliDashboard) -> None:
    page.page.goto(f"{dashboard.url}/studies/1")
    page.page.get_by_text("mixed (id=1)").wait_for()
    for plot in ("plot-history", "graph-timeline"):
        _wait_for_plot(page, plot)


def _wait_for_plot(page: Page, dom_id: str) -> None:
    page.page.wait_for_function(
        f"() => {{ const e = document.getElementById('{dom_id}'); return !!(e && e.data"
        " && e.data.length); }",
        timeout=TIMEOUT_MS,
    )


def test_past_the_limit_the_plot_is_left_out_and_the_page_says_so(page, studies):
    dashboard = CliDashboard(studies, "--max-curves", "11")
    try:
        _top_page(page, dashboard)
        page.page.get_by_text(NOTICE, exact=False).wait_for()
        page.page.get_by_text("tftune: intermediate values plot").wait_for()
        assert page.page.locator("#graph-intermediate-values").count() == 0
        history = {trace["name"]: trace["n"] for trace in page.plots()["plot-history"]}
        assert history["Objective 0 of mixed"] == N_COMPLETE + N_PRUNED
        assert page.errors == []
    finally:
        dashboard.stop()


def test_no_limit_draws_every_curve(page, studies):
    dashboard = CliDashboard(studies, "--max-curves", "0")
    try:
        _top_page(page, dashboard)
        _wait_for_plot(page, "graph-intermediate-values")
        curves = [trace["n"] for trace in page.plots()["graph-intermediate-values"]]
        assert curves == [N_STEPS_COMPLETE] * N_COMPLETE + [N_STEPS_PRUNED] * N_PRUNED + [0]
        assert page.page.get_by_text("tftune: intermediate values plot").count() == 0
        assert page.errors == []
    finally:
        dashboard.stop()
