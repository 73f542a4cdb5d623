"""tftune's front-end additions in a real headless Chromium: a poll that finds nothing new
draws nothing again, one that finds a new trial draws it; past ``max_lines`` the parallel
coordinates draw the best trials and an even sample, say so, and the table keeps them all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import Page
from dashboard_studies import N_COMPLETE, N_FAIL, N_PRUNED

import tftune
from tftune.dashboard import DashboardServer
from tftune.storages import RDBStorage
from tftune.trial import TrialState

POLL_MS = 30_000  # the top page polls every 10 s
COUNT_DRAWS_JS = """(ids) => { window.__draws = {}; ids.forEach(id => {
  window.__draws[id] = 0;
  document.getElementById(id).on('plotly_afterplot', () => { window.__draws[id]++; }); }); }"""
PLOTS = ("plot-history", "graph-intermediate-values", "graph-timeline")


@pytest.fixture
def served(studies_copy: Path, request: Any) -> Iterator[DashboardServer]:
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0, **request.param).start()
    yield server
    server.stop()


def _history_points(page: Page) -> int:
    traces = {trace["name"]: trace["n"] for trace in page.plots()["plot-history"]}
    return int(traces["Objective 0 of mixed"])


def _poll(page: Page) -> None:
    with page.page.expect_response(lambda r: "/api/studies/1?after=" in r.url, timeout=POLL_MS):
        pass
    page.page.wait_for_timeout(1500)  # the app has taken the answer (or been told: unchanged)


@pytest.mark.parametrize("served", [{}], indirect=True)
def test_a_poll_with_nothing_new_draws_nothing_again_and_a_new_trial_is_drawn(
    page, served, studies_copy
):
    page.page.goto(f"{served.url}/studies/1")
    for plot in PLOTS:
        page.wait_for_plot(plot)
    page.page.wait_for_timeout(1500)  # the page's own first poll, on opening, answered
    page.page.evaluate(COUNT_DRAWS_JS, list(PLOTS))
    _poll(page)
    assert page.page.evaluate("() => window.__draws") == dict.fromkeys(PLOTS, 0)
    assert _history_points(page) == N_COMPLETE + N_PRUNED

    writer = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)
    try:  # another process's trial, finished while the page is open
        trial = writer.create_new_trial(writer.get_study_id_from_name("mixed"))
        writer.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, [0.25])
    finally:
        writer.close()
    more = N_COMPLETE + N_PRUNED + 1
    page.wait_for_plot(
        "plot-history", f"d.some(t => t.name === 'Objective 0 of mixed' && t.x.length === {more})"
    )
    assert page.page.evaluate("() => window.__draws['plot-history']") >= 1
    assert page.errors == []


def _best_trial_number(path: Path) -> int:
    storage = RDBStorage(f"sqlite:///{path}", heartbeat_interval=None, skip_table_creation=True)
    try:
        study_id = storage.get_study_id_from_name("mixed")
        drawn = [t for t in storage.get_all_trials(study_id) if t.values]  # complete, pruned
    finally:
        storage.close()
    return min(drawn, key=lambda t: t.values[0]).number


@pytest.mark.parametrize("served", [{"max_lines": 5}], indirect=True)
def test_past_max_lines_the_parallel_coordinates_draw_a_sample_and_say_so(
    page, served, studies_copy
):
    page.page.goto(f"{served.url}/studies/1/smartSelection")
    page.wait_for_plot("plot-parallel-coordinate", "d[0].dimensions.length > 0")
    (parcoords,) = page.plots()["plot-parallel-coordinate"]
    assert {n for _, n in parcoords["dims"]} == {5}
    drawn = page.page.evaluate(
        "() => document.getElementById('plot-parallel-coordinate').data[0].customdata.map(Number)"
    )
    assert drawn == sorted(drawn) and len(set(drawn)) == 5
    assert _best_trial_number(studies_copy) in drawn
    notice = page.page.locator("#tftune-notice-plot-parallel-coordinate")
    notice.wait_for()
    assert notice.inner_text().startswith(
        f"Parallel coordinates: 5 of {N_COMPLETE + N_PRUNED} trials drawn, the 1 best"
    )
    assert "--max-lines 0" in notice.inner_text()
    total = N_COMPLETE + N_PRUNED + N_FAIL + 1
    counter = page.page.get_by_text(" of ", exact=False).filter(has_text="–")
    counter.get_by_text(f"1–{total} of {total}").wait_for()  # the table keeps every trial
    page.page.goto(f"{served.url}/studies/1/trials")  # no plot of its own: no notice
    page.page.get_by_text("Trial 0", exact=True).first.wait_for()
    page.page.wait_for_timeout(800)
    assert not notice.is_visible()
    assert page.errors == []


LONG_TRIALS = 130  # study "long" (the 4th): trial 0 left RUNNING, then 129 COMPLETE
TIMELINE_RANGE_JS = "() => document.getElementById('graph-timeline').layout.yaxis.range"


def _add_long_study(path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{path}", heartbeat_interval=None)
    try:
        tftune.create_study(study_name="long", storage=storage)
        study_id = storage.get_study_id_from_name("long")
        storage.create_new_trial(study_id)  # stale: it stays RUNNING
        for number in range(1, LONG_TRIALS):
            trial = storage.create_new_trial(study_id)
            assert trial is not None
            storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, [number / 10])
    finally:
        storage.close()


@pytest.fixture
def long_served(studies_copy: Path, request: Any) -> Iterator[DashboardServer]:
    _add_long_study(studies_copy)
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0, **request.param).start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("long_served", "kept"),
    [({"max_lines": 5}, 100), ({"max_lines": 110}, 110)],
    indirect=["long_served"],
)
def test_past_max_lines_the_timeline_draws_the_last_trials_and_the_running_and_says_so(
    page, long_served, kept
):
    page.page.goto(f"{long_served.url}/studies/4")
    page.wait_for_plot("graph-timeline")
    bars = sum(trace["n"] for trace in page.plots()["graph-timeline"])
    assert bars == kept + 1  # the last ones and the early running trial
    # it opens on the last 100 trials: the newest, not the early running one
    assert page.page.evaluate(TIMELINE_RANGE_JS) == [LONG_TRIALS - 100, LONG_TRIALS]
    notice = page.page.locator("#tftune-notice-graph-timeline")
    notice.wait_for()
    assert notice.inner_text().startswith(
        f"Timeline: {bars} of {LONG_TRIALS} trials drawn, the last {kept} and every running"
    )
    assert "--max-lines 0" in notice.inner_text()
    assert page.errors == []


@pytest.mark.parametrize("served", [{"max_lines": 5}], indirect=True)
def test_under_100_trials_a_small_max_lines_leaves_the_timeline_whole(page, served):
    page.page.goto(f"{served.url}/studies/1")
    page.wait_for_plot("graph-timeline")
    assert sum(trace["n"] for trace in page.plots()["graph-timeline"]) == (
        N_COMPLETE + N_PRUNED + N_FAIL + 1
    )
    page.page.wait_for_timeout(800)
    assert page.page.locator("#tftune-notice-graph-timeline").count() == 0
    assert page.errors == []


@pytest.mark.parametrize("served", [{}], indirect=True)
def test_under_max_lines_the_timeline_draws_every_trial_without_a_notice(page, served):
    page.page.goto(f"{served.url}/studies/1")
    page.wait_for_plot("graph-timeline")
    page.wait_for_plot("plot-history")
    assert sum(trace["n"] for trace in page.plots()["graph-timeline"]) == (
        N_COMPLETE + N_PRUNED + N_FAIL + 1
    )
    page.page.wait_for_timeout(800)
    assert page.page.locator("#tftune-notice-graph-timeline").count() == 0
    assert page.errors == []
