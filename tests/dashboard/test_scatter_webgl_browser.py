"""Large scatter plots in a real headless Chromium: past ``webgl_above`` trials the history,
slice and rank plots draw the same points with WebGL; the rank plot's one-pass ranks are the
bundle's own, number for number."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from dashboard_studies import N_COMPLETE, N_PRUNED

from tftune.dashboard import _front_end
from tftune.dashboard._fast_api import BUNDLE_FILE
from tftune.dashboard._front_end import FrontEnd
from tftune.dashboard._server import make_app
from tftune.storages import RDBStorage

DRAWN = N_COMPLETE + N_PRUNED  # the history and slice plots' points of study "mixed"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(studies_copy: Path, request: Any) -> Iterator[str]:
    """The dashboard over the test studies with ``webgl_above`` = ``request.param``."""
    storage = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)
    app = make_app(storage)
    app.front_end = FrontEnd(app.max_lines, BUNDLE_FILE, webgl_above=request.param)
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dashboard"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    storage.close()


def _types(page: Any, dom_id: str) -> dict[str, tuple[str, int]]:
    return {t["name"]: (t["type"], t["n"]) for t in page.plots()[dom_id] if t["name"]}


@pytest.mark.parametrize(
    ("served", "kind"), [(3, "scattergl"), (0, "scatter")], indirect=["served"]
)
def test_past_webgl_above_the_scatter_plots_draw_the_same_points_with_webgl(page, served, kind):
    page.page.goto(f"{served}/studies/1")
    page.wait_for_plot("plot-history", f"d.some(t => t.x.length === {DRAWN})")
    history = _types(page, "plot-history")
    assert history["Objective 0 of mixed"] == (kind, DRAWN)
    assert history["Best Value of mixed"][0] == "scatter"  # a line of a few points: SVG
    page.page.goto(f"{served}/studies/1/analytics")
    page.wait_for_plot("plot-slice", f"d.some(t => t.x.length === {DRAWN})")
    assert _types(page, "plot-slice")["Feasible Trial"] == (kind, DRAWN)
    page.wait_for_plot("graph-rank", "d.length === 2")
    rank = page.plots()["graph-rank"]
    assert [t["type"] for t in rank] == [kind, kind]
    assert sum(t["n"] for t in rank) == N_COMPLETE  # the complete trials
    if kind == "scattergl":  # drawn on a WebGL canvas of the plot
        assert page.page.locator("#plot-slice canvas.gl-canvas-context").count() == 1
    assert page.errors == []


def _bundle_ranks() -> str:
    """The bundle's own rank function (``DE``), as text."""
    text = BUNDLE_FILE.read_text(encoding="utf-8")
    start = text.index("DE=e=>{const t=e.slice()")
    return text[start + 3 : text.index(",NE=(e,t)=>", start)]


RANKS_JS = """() => { const DE = %s;
  const cases = [[], [1], [3, 1, 2], [2, 2, 2], [0.5, -1, 0.5, 7, -1, 0.5], [0, -0, 1, 0],
    [NaN, 1, NaN, 2], [Infinity, -Infinity, 1, Infinity]];
  let seed = 7; const random = () => { seed = (seed * 16807) %% 2147483647; return seed; };
  for (let i = 0; i < 20; i++) {
    cases.push(Array.from({length: 200 + i}, () => random() %% (5 + i * 10)));
  }
  return cases.map(c => [JSON.stringify(DE(c)), JSON.stringify(window.__tftuneRanks(c))]); }"""


def test_the_one_pass_ranks_are_the_bundles_own(browser):
    page = browser.new_page()
    try:
        page.add_script_tag(content=_front_end.script(0).decode())
        found = page.evaluate(RANKS_JS % _bundle_ranks())
    finally:
        page.close()
    assert len(found) == 28
    for theirs, ours in found:
        assert ours == theirs
