"""optuna-dashboard over tftune's storage in a real headless Chromium.

One dashboard, started by the CLI in a subprocess, serves a copy of the test studies for the
whole module; the last test stops it and checks the database is byte-for-byte the same
(every table's rows). The live test serves its own database from a thread while two worker
processes write to it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import CliDashboard, Page
from dashboard_studies import (
    HTML_ATTR,
    HTML_PARAM,
    HTML_STUDY,
    N_COMPLETE,
    N_FAIL,
    N_PRUNED,
    N_STEPS_COMPLETE,
    N_STEPS_PRUNED,
    PARAMS,
    dump,
)

import tftune
from tftune.dashboard import DashboardServer


@pytest.fixture(scope="module")
def served(studies_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The test studies (a copy) served read-only by the CLI, with a dump taken before."""
    path = tmp_path_factory.mktemp("served") / "studies.db"
    shutil.copy(studies_file, path)
    before = dump(path)
    dashboard = CliDashboard(f"sqlite:///{path}")
    dashboard.path, dashboard.before = path, before  # type: ignore[attr-defined]
    yield dashboard
    dashboard.stop()


def test_the_study_list_shows_every_study(page, served):
    page.page.goto(served.url)
    for number, name in enumerate(("mixed", "two-goals", HTML_STUDY), 1):
        page.page.get_by_text(f"{number}. {name}", exact=True).wait_for()
    assert page.page.get_by_text("Direction: MINIMIZE, MAXIMIZE").count() == 1
    assert page.errors == []


def test_a_study_shows_history_timeline_and_intermediate_values(page, served):
    page.page.goto(f"{served.url}/studies/1")
    page.page.get_by_text("mixed (id=1)").wait_for()
    page.wait_for_plot("plot-history")
    page.wait_for_plot("graph-intermediate-values")
    page.wait_for_plot("graph-timeline")
    plots = page.plots()
    history = {trace["name"]: trace["n"] for trace in plots["plot-history"]}
    assert history["Objective 0 of mixed"] == N_COMPLETE + N_PRUNED  # pruned ones have values
    curves = [trace["n"] for trace in plots["graph-intermediate-values"]]
    assert curves == [N_STEPS_COMPLETE] * N_COMPLETE + [N_STEPS_PRUNED] * N_PRUNED + [0]
    timeline = {trace["name"]: trace["n"] for trace in plots["graph-timeline"]}
    assert timeline == {"Complete": N_COMPLETE, "Pruned": N_PRUNED, "Fail": N_FAIL, "Running": 1}
    assert page.errors == []


def test_parallel_coordinates_and_the_trial_table_filter(page, served):
    page.page.goto(f"{served.url}/studies/1/smartSelection")
    page.wait_for_plot("plot-parallel-coordinate", "d[0].dimensions.length > 0")
    (parcoords,) = page.plots()["plot-parallel-coordinate"]
    assert parcoords["type"] == "parcoords"
    labels = [label for label, _ in parcoords["dims"]]
    assert labels == ["Objective 0", *sorted(PARAMS)]
    assert {n for _, n in parcoords["dims"]} == {N_COMPLETE + N_PRUNED}

    counter = page.page.get_by_text(" of ", exact=False).filter(has_text="–")
    total = N_COMPLETE + N_PRUNED + N_FAIL + 1
    counter.get_by_text(f"1–{total} of {total}").wait_for()
    page.page.locator("th", has_text="State").locator("button").click()
    page.page.locator("[role=menuitem]", has_text="Complete").click()
    page.page.keyboard.press("Escape")
    shown = total - N_COMPLETE
    counter.get_by_text(f"1–{shown} of {shown}").wait_for()
    states = page.page.evaluate(
        "() => Array.from(document.querySelectorAll('tbody tr'))"
        ".map(r => r.querySelectorAll('td')[1].innerText)"
    )
    assert sorted(states) == sorted(["Pruned"] * N_PRUNED + ["Fail"] * N_FAIL + ["Running"])
    assert page.errors == []


#: Elements the probe's HTML would have made, had the page parsed it as HTML.
INJECTED_JS = (
    '() => document.querySelectorAll(\'img[src="x"], img[src="y"], script:not([src]), b\').length'
)


def test_html_in_names_and_attributes_is_shown_as_text(page, served):
    pages = [
        ("", f"3. {HTML_STUDY}"),
        ("/studies/3/trials", HTML_PARAM),
        ("/studies/3/trials", HTML_ATTR),
        ("/studies/3/smartSelection", f"Param {HTML_PARAM}"),
    ]
    for path, text in pages:
        if not page.page.url.endswith(path or "/dashboard"):
            page.page.goto(f"{served.url}{path}")
        page.page.get_by_text(text, exact=False).first.wait_for()  # shown, as text
        time.sleep(0.3)  # an injected onerror handler would fire as soon as its image fails
        assert page.page.evaluate(INJECTED_JS) == 0, path
    page.wait_for_plot("plot-history")
    assert page.dialogs == []
    assert page.errors == []


def test_a_note_saved_through_the_dashboard_is_refused(page, served):
    page.page.goto(served.url)
    page.page.get_by_text("1. mixed", exact=True).wait_for()
    status, body = page.page.evaluate(
        """async () => { const r = await fetch('/api/studies/1/note', {method: 'PUT',
             headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({version: 1, body: 'a note'})});
           return [r.status, await r.json()]; }"""
    )
    assert status == 403
    assert "read-only: set_study_system_attr" in body["reason"]
    assert "--allow-write" in body["reason"]
    assert dump(served.path) == served.before


def test_the_database_is_unchanged_after_the_session(served):
    served.stop()
    assert served.process.returncode in (0, 130)
    assert dump(served.path) == served.before
    assert "Traceback" not in served.stderr and "locked" not in served.stderr


SCROLL_DOWN_JS = """() => document.querySelectorAll('*').forEach(e => {
  if (e.scrollHeight > e.clientHeight + 10) { e.scrollTop = e.scrollHeight; } })"""
WORKER = """
import sys, time, tftune
tftune.logging.set_verbosity(tftune.logging.ERROR)
study = tftune.load_study("live", storage=sys.argv[1])
def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    for step in range(3):
        trial.report(x * step, step)
        time.sleep(0.02)
    return x
study.optimize(objective, n_trials=int(sys.argv[2]))
"""


def test_workers_write_while_the_dashboard_polls(browser, tmp_path, capfd):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    tftune.logging.set_verbosity(tftune.logging.ERROR)
    study = tftune.create_study(study_name="live", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    per_worker = 12
    last = 3 + 2 * per_worker - 1
    server = DashboardServer(url, port=0).start()
    page = Page(browser)
    statuses: list[int] = []
    problems: list[str] = []
    workers: list[subprocess.Popen[str]] = []
    try:
        page.page.goto(f"{server.url}/studies/1/trials")
        page.page.get_by_text("Trial 2", exact=True).wait_for()
        page.page.evaluate("() => { window.__not_reloaded = true; }")
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, url, str(per_worker)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        api = server.url.replace("/dashboard", "/api")
        deadline = time.monotonic() + 60
        for _ in range(2000):  # poll like the dashboard does, while the workers write
            if all(w.poll() is not None for w in workers) or time.monotonic() > deadline:
                break
            for path in ("/studies", "/studies/1?after=0"):
                with urllib.request.urlopen(api + path, timeout=30) as response:
                    statuses.append(response.status)
                    text = response.read().decode()
                    if "locked" in text or "reason" in json.loads(text):
                        problems.append(text[:200])
            time.sleep(0.05)
        outputs = [w.communicate(timeout=60) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        assert all("locked" not in out + err for out, err in outputs)
        # The page asks only for trials after those it has: once it asks for those after the
        # last one, it holds every trial; the (virtualised) list then shows the last one.
        with page.page.expect_request(
            lambda request: request.url.endswith(f"/api/studies/1?after={last + 1}"),
            timeout=30_000,
        ):
            pass
        page.page.evaluate(SCROLL_DOWN_JS)
        page.page.get_by_text(f"Trial {last}", exact=True).wait_for()
        assert page.page.evaluate("() => window.__not_reloaded === true")
        assert len(statuses) >= 4 and set(statuses) == {200}
        assert problems == []
        assert page.errors == []
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=15)
        page.page.close()
        server.stop()
    captured = capfd.readouterr()
    assert "locked" not in captured.err and "Traceback" not in captured.err
