"""Large scatter plots in a real headless Chromium: past ``webgl_above`` trials the history,
slice and rank plots draw the same points with WebGL; the rank plot's one-pass ranks are the
bundle's own, number for number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_studies import N_COMPLETE, N_PRUNED

import tftune
from tftune.dashboard import _front_end
from tftune.dashboard._fast_api import BUNDLE_FILE
from tftune.dashboard._server import DashboardServer
from tftune.storages import RDBStorage

DRAWN = N_COMPLETE + N_PRUNED  # the history and slice plots' points of study "mixed"
#: the constrained studies: x, feasible while x <= 0.5; the 4th's constraints recorded by a
#: sampler's constraints_func, the 5th's set by name in the objective (``Trial.set_constraint``)
XS = (0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.6)
INFEASIBLE = sum(x > 0.5 for x in XS)
LISTED, NAMED = 4, 5


def _named_constraint(trial: tftune.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    trial.set_constraint("x_over_half", x - 0.5)
    trial.set_constraint("always_met", -1.0)
    return x


def _add_constrained_studies(path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{path}", heartbeat_interval=None)
    try:
        # a sampler's constraints_func (deprecated) records the list where optuna-dashboard
        # looks
        with pytest.warns(FutureWarning, match="constraints_func"):
            sampler = tftune.samplers.TPESampler(
                seed=0, constraints_func=lambda t: [t.params["x"] - 0.5]
            )
        listed = tftune.create_study(study_name="constrained", storage=storage, sampler=sampler)
        named = tftune.create_study(study_name="named-constraints", storage=storage)
        for study, objective in (
            (listed, lambda t: t.suggest_float("x", 0, 1)),
            (named, _named_constraint),
        ):
            for x in XS:
                study.enqueue_trial({"x": x})
            study.optimize(objective, n_trials=len(XS))
    finally:
        storage.close()


@pytest.fixture
def served(studies_copy: Path, request: Any) -> Iterator[str]:
    """The dashboard over the test studies (and the constrained ones) with ``webgl_above`` =
    ``request.param``."""
    _add_constrained_studies(studies_copy)
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0, webgl_above=request.param)
    server.start()
    yield server.url
    server.stop()


def _types(page: Any, dom_id: str) -> dict[str, tuple[str, int]]:
    return {t["name"]: (t["type"], t["n"]) for t in page.plots()[dom_id] if t["name"]}


def _notice(page: Any, dom_id: str) -> str | None:
    """The text of ``dom_id``'s notice once shown, None when there is none after a while."""
    box = page.page.locator(f"#tftune-notice-{dom_id}")
    page.page.wait_for_timeout(800)  # the notices are shown within 500 ms
    return box.inner_text() if box.count() and box.is_visible() else None


@pytest.mark.parametrize(
    ("served", "kind"), [(3, "scattergl"), (1000, "scatter")], indirect=["served"]
)
def test_past_webgl_above_the_scatter_plots_draw_the_same_points_with_webgl(page, served, kind):
    page.page.goto(f"{served}/studies/1")
    page.wait_for_plot("plot-history", f"d.some(t => t.x.length === {DRAWN})")
    history = _types(page, "plot-history")
    assert history["Objective 0 of mixed"] == (kind, DRAWN)
    assert history["Best Value of mixed"][0] == "scatter"  # a line of a few points: SVG
    notice = _notice(page, "plot-history")
    page.page.goto(f"{served}/studies/1/analytics")
    page.wait_for_plot("plot-slice", f"d.some(t => t.x.length === {DRAWN})")
    assert _types(page, "plot-slice")["Feasible Trial"] == (kind, DRAWN)
    page.wait_for_plot("graph-rank", "d.length === 2")
    rank = page.plots()["graph-rank"]
    assert [t["type"] for t in rank] == [kind, kind]
    assert sum(t["n"] for t in rank) == N_COMPLETE  # the complete trials
    if kind == "scattergl":  # drawn on a WebGL canvas of the plot, and said so
        assert page.page.locator("#plot-slice canvas.gl-canvas-context").count() == 1
        assert notice == (
            f"History plot: {DRAWN} trials drawn with WebGL (scattergl: the same points on one "
            f"canvas), as there are more than 3 (`tftune dashboard --webgl-above {DRAWN}` or "
            "more draws them as SVG)."
        )
        assert (_notice(page, "plot-slice") or "").startswith("Slice plot: ")
        assert (_notice(page, "graph-rank") or "").startswith(f"Rank plot: {N_COMPLETE} trials")
    else:
        assert notice is None
        assert _notice(page, "plot-slice") is None and _notice(page, "graph-rank") is None
    assert page.errors == []


@pytest.mark.parametrize(
    ("study_id", "name"), [(LISTED, "constrained"), (NAMED, "named-constraints")]
)
@pytest.mark.parametrize(
    ("served", "kind"), [(3, "scattergl"), (1000, "scatter")], indirect=["served"]
)
def test_the_infeasible_trials_are_drawn_with_webgl_too(page, served, kind, study_id, name):
    page.page.goto(f"{served}/studies/{study_id}")
    page.wait_for_plot("plot-history", f"d.some(t => t.x.length === {INFEASIBLE})")
    history = _types(page, "plot-history")
    assert history[f"Objective 0 of {name}"] == (kind, len(XS) - INFEASIBLE)
    assert history[f"Infeasible Trial of {name}"] == (kind, INFEASIBLE)
    assert all(k == kind for label, (k, _) in history.items() if "Unselected" in label)
    page.page.goto(f"{served}/studies/{study_id}/analytics")
    page.wait_for_plot("plot-slice", f"d.some(t => t.x.length === {INFEASIBLE})")
    slice_plot = _types(page, "plot-slice")
    assert slice_plot["Infeasible Trial"] == (kind, INFEASIBLE)
    assert slice_plot["Feasible Trial"] == (kind, len(XS) - INFEASIBLE)
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
