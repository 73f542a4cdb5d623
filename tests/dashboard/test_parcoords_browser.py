"""The smart selection page in a real headless Chromium: its parallel coordinates are drawn
once, not again at each render of the page, and again for a change (a dimension left out,
then back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_browser import DRAWS_JS, Page

from tftune.dashboard._server import DashboardServer


@pytest.fixture
def served(studies_copy: Path) -> Iterator[str]:
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0).start()
    yield server.url
    server.stop()


def test_the_parallel_coordinates_are_drawn_once_and_again_for_a_change(page: Page, served):
    page.page.add_init_script(DRAWS_JS)
    page.page.goto(f"{served}/studies/1/smartSelection")
    page.wait_for_plot("plot-parallel-coordinate", "d[0].dimensions.length === 6")
    page.settle(1)  # the page's renders after its first draw, and a poll
    assert page.draws() == {"plot-parallel-coordinate": 1, "plot-history": 1}
    checkbox = page.page.get_by_label("Param lr", exact=True)
    checkbox.uncheck()
    page.wait_for_plot(
        "plot-parallel-coordinate",
        "d[0].dimensions.length === 5 && d[0].dimensions.every(x => x.label !== 'lr')",
    )
    checkbox.check()
    page.wait_for_plot("plot-parallel-coordinate", "d[0].dimensions.length === 6")
    assert page.draws() == {"plot-parallel-coordinate": 3, "plot-history": 1}
    labels = page.plots()["plot-parallel-coordinate"][0]["dims"]
    assert [label for label, _ in labels] == [
        "Objective 0",
        "act",
        "dropout",
        "layers",
        "lr",
        "units",
    ]
    assert page.errors == []
