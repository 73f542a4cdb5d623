"""The analytics page in a real headless Chromium: its slice, rank and EDF plots are drawn
once, not again at each render of the page, and again for a change (the slice's parameter,
the rank plot's x axis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_browser import DRAWS_JS, Page
from dashboard_studies import N_COMPLETE

from tftune.dashboard._server import DashboardServer

#: the plots that pass through the draw-once patch on this page (the contour plot does not)
ONCE = ("plot-slice", "graph-rank", "plot-edf-0")


@pytest.fixture
def served(studies_copy: Path) -> Iterator[str]:
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0).start()
    yield server.url
    server.stop()


def _once(page: Page) -> tuple[dict[str, int], dict[str, int]]:
    """The draws of the plots in ``ONCE``: all of them, and those that held traces (the slice
    plot is drawn empty once, before its data)."""
    drawn, filled = page.draws(), page.draws(filled=True)
    return {k: drawn[k] for k in ONCE if k in drawn}, {k: filled[k] for k in ONCE if k in filled}


def _choose(page: Page, dom_id: str, current: str, option: str) -> None:
    """Pick ``option`` in the select of the card of plot ``dom_id`` that shows ``current``."""
    card = page.page.locator(".MuiCard-root, .MuiPaper-root").filter(
        has=page.page.locator(f"#{dom_id}")
    )
    card.last.get_by_role("combobox").filter(has_text=current).first.click()
    page.page.get_by_role("option", name=option, exact=True).click()


def _wait_draws(page: Page, dom_id: str, count: int) -> None:
    page.page.wait_for_function(f"() => (window.__filled['{dom_id}'] || 0) >= {count}")


def test_the_slice_rank_and_edf_plots_are_drawn_once_and_again_for_a_change(page, served):
    page.page.add_init_script(DRAWS_JS)
    page.page.goto(f"{served}/studies/1/analytics")
    page.wait_for_plot("plot-slice", f"d.reduce((n, t) => n + t.x.length, 0) >= {N_COMPLETE}")
    page.wait_for_plot("graph-rank")
    page.wait_for_plot("plot-edf-0")
    page.settle(1)  # the page's renders after its first draws, and a poll
    assert _once(page) == (
        {"plot-slice": 2, "graph-rank": 1, "plot-edf-0": 1},
        {"plot-slice": 1, "graph-rank": 1, "plot-edf-0": 1},
    )

    before = page.page.evaluate("() => document.getElementById('plot-slice').data[1].x")
    _choose(page, "plot-slice", "Param act", "Param lr")
    _wait_draws(page, "plot-slice", 2)
    page.settle(1)
    assert _once(page) == (
        {"plot-slice": 3, "graph-rank": 1, "plot-edf-0": 1},
        {"plot-slice": 2, "graph-rank": 1, "plot-edf-0": 1},
    )
    after = page.page.evaluate("() => document.getElementById('plot-slice').data[1].x")
    assert after != before and all(1e-4 <= x <= 1e-1 for x in after)  # lr's values

    _choose(page, "graph-rank", "act", "units")
    _wait_draws(page, "graph-rank", 2)
    page.settle(1)
    assert _once(page) == (
        {"plot-slice": 3, "graph-rank": 2, "plot-edf-0": 1},
        {"plot-slice": 2, "graph-rank": 2, "plot-edf-0": 1},
    )
    assert len(page.plots()["graph-rank"]) == 2
    assert page.errors == []
