"""The smart selection page in a real headless Chromium: its parallel coordinates are drawn
once, not again at each render of the page, and again for a change (a dimension left out,
then back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_browser import Page

from tftune.dashboard._server import DashboardServer

#: each plot's draws: plotly keeps a plot's traces in its element's ``data``, a new array at
#: each draw (``Plotly.react``); an accessor counts the new ones by element id
DRAWS_JS = """(() => { window.__draws = {};
  const held = new WeakMap();
  Object.defineProperty(HTMLElement.prototype, "data", {configurable: true,
    get() { return held.get(this); },
    set(value) {
      if (value !== held.get(this) && Array.isArray(value) && this.id) {
        window.__draws[this.id] = (window.__draws[this.id] || 0) + 1;
      }
      held.set(this, value);
    }}); })();"""


@pytest.fixture
def served(studies_copy: Path) -> Iterator[str]:
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0).start()
    yield server.url
    server.stop()


def test_the_parallel_coordinates_are_drawn_once_and_again_for_a_change(page: Page, served):
    page.page.add_init_script(DRAWS_JS)
    page.page.goto(f"{served}/studies/1/smartSelection")
    page.wait_for_plot("plot-parallel-coordinate", "d[0].dimensions.length === 6")
    page.page.wait_for_timeout(3000)  # the page's renders after its first draw, and a poll
    draws = "() => window.__draws"
    assert page.page.evaluate(draws) == {"plot-parallel-coordinate": 1, "plot-history": 1}
    checkbox = page.page.get_by_label("Param lr", exact=True)
    checkbox.uncheck()
    page.wait_for_plot(
        "plot-parallel-coordinate",
        "d[0].dimensions.length === 5 && d[0].dimensions.every(x => x.label !== 'lr')",
    )
    checkbox.check()
    page.wait_for_plot("plot-parallel-coordinate", "d[0].dimensions.length === 6")
    assert page.page.evaluate(draws) == {"plot-parallel-coordinate": 3, "plot-history": 1}
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
