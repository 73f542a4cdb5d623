"""Dashboard benchmark: how fast optuna-dashboard draws a large study in a real Chromium.

For each size, one study of ``size`` COMPLETE trials (four parameters: float log, float step,
int log, categorical; three reported steps each) is built twice with the same trials:

* **tftune**: through tftune's storage API on SQLite (``RDBStorage.create_new_trial``,
  ``set_trial_param``, ``set_trial_intermediate_value``, ``set_trial_state_values``), served by
  ``tftune.dashboard.wsgi`` (the read-only adapter over tftune's storage);
* **optuna**: the same trials (same values, params and times, read back from tftune) in
  Optuna's own SQLite schema, served by ``optuna_dashboard.wsgi`` over
  ``optuna.storages.RDBStorage``. The study is made by ``optuna.create_study``; its trials are
  bulk-inserted with SQL into Optuna's tables (``study.add_trials`` commits each trial on its
  own: 60 ms per trial here, 50 minutes for 50,000), then checked by reading them back through
  Optuna's storage (count and sum of values).

Both apps run in the same threaded ``wsgiref`` server on 127.0.0.1. One visit: a Chromium
page opens the dashboard (the study list, a full page load) and then goes to each page of the
study inside the app, as its links do: the top page (history plot), analytics (slice plot),
smart selection (parallel coordinates, with the history and the trial table), the trial list.
Each page's time runs until its first plot holds every trial (read from plotly's data in the
DOM) or its list is drawn. The first visit after the server starts is reported apart ("cold":
the server's first read of the study); then each page's median over the repeats (at 50,000
trials only the cold visit). Also timed outside the browser: the storage read of each poll
(``get_all_trials`` on the storage the dashboard holds), first and repeated.

Results: ``benchmarks/results/dashboard.{md,json}`` (``--quick``: ``dashboard.quick.*``).

Run:  .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--sizes 1000,10000,50000]
      [--repeats 2] [--browser-max-size 50000] [--merge]
(The committed results: a run of 1,000 and 10,000, then ``--sizes 50000 --browser-max-size
10000 --merge``.)

``--profile``: where each page's front-end time goes (Chrome's CPU profiler, tftune only:
``dashboard.profile.*``). ``--against REF --sizes 10000 [--repeats N]``: a change measured on a
shared machine: the working tree's ``tftune dashboard`` and ``REF``'s (its ``src`` from git),
each its own process over the same study, visited in turns (``dashboard_against.*``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import json
import logging
import os
import platform
import random
import re
import signal
import socketserver
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from _chromium import VIEWPORT, available, launch  # noqa: E402
from _chromium import MISSING as CHROMIUM_MISSING  # noqa: E402
from _environment import cpu_model, dist_version, git  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
FULL_SIZES = (1_000, 10_000, 50_000)
QUICK_SIZES = (500, 2_000)
N_STEPS = 3
GOAL_S = 3.0  # every page of the 10,000-trial study
GOAL_SIZE = 10_000
PAGE_TIMEOUT_S = 45.0
STUDY = "bench"

#: page name -> (path after /dashboard, JS predicate on the page, with N the study's size and
#: L the lines the parallel coordinates draw: N, or tftune's --max-lines where N is larger)
PAGES: dict[str, tuple[str, str]] = {
    "study list": ("", f"document.body.innerText.includes('1. {STUDY}')"),
    "top (history)": (
        "/studies/1",
        "(() => { const e = document.getElementById('plot-history'); return !!(e && e.data &&"
        " e.data.some(t => (t.name || '').startsWith('Objective 0') && t.x.length == N)); })()",
    ),
    "analytics (slice)": (
        "/studies/1/analytics",
        "(() => { const e = document.getElementById('plot-slice'); return !!(e && e.data &&"
        " e.data.some(t => t.name == 'Feasible Trial' && t.x.length == N)); })()",
    ),
    "smart selection (parallel coordinates)": (
        "/studies/1/smartSelection",
        "(() => { const e = document.getElementById('plot-parallel-coordinate');"
        " const d = e && e.data; return !!(d && d.length && d[0].dimensions &&"
        " d[0].dimensions.length && d[0].dimensions[0].values.length == L); })()",
    ),
    "trial list": ("/studies/1/trials", "document.body.innerText.includes('Trial 0 (trial_id=')"),
}


def quiet() -> None:
    """Silence every library's logging alike."""
    import optuna

    import tftune

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    tftune.logging.set_verbosity(tftune.logging.ERROR)
    logging.getLogger("optuna_dashboard").setLevel(logging.ERROR)


# --- the studies ---------------------------------------------------------------------------
def build_tftune(path: Path, size: int, seed: int = 0) -> float:
    """``size`` COMPLETE trials through tftune's storage API; returns the seconds it took."""
    import tftune
    from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from tftune.storages import RDBStorage
    from tftune.trial import TrialState

    rng = random.Random(seed)
    space = {
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "dropout": FloatDistribution(0.0, 0.5, step=0.05),
        "units": IntDistribution(16, 512, log=True),
        "activation": CategoricalDistribution(["relu", "tanh", "gelu"]),
    }
    start = time.perf_counter()
    storage = RDBStorage(f"sqlite:///{path}", heartbeat_interval=None)
    study_id = storage.create_new_study([tftune.StudyDirection.MINIMIZE], STUDY)
    for _ in range(size):
        trial = storage.create_new_trial(study_id)
        assert trial is not None
        values = {
            "lr": 10 ** rng.uniform(-5, -1),
            "dropout": rng.randrange(11) * 0.05,
            "units": rng.randint(16, 512),
            "activation": rng.choice(["relu", "tanh", "gelu"]),
        }
        for name, value in values.items():
            distribution = space[name]
            storage.set_trial_param(
                trial.trial_id, name, distribution.to_internal_repr(value), distribution
            )
        loss = rng.random()
        for step in range(N_STEPS):
            storage.set_trial_intermediate_value(trial.trial_id, step, loss + 1 / (step + 1))
        storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, [loss])
    storage.close()
    return time.perf_counter() - start


def _sql_time(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_optuna(source: Path, path: Path) -> tuple[float, float]:
    """The trials of the tftune study at ``source`` in Optuna's own SQLite schema; returns the
    seconds it took and the sum of the values read back through Optuna's storage."""
    import optuna

    from tftune.dashboard._convert import to_optuna_distribution
    from tftune.storages import RDBStorage

    start = time.perf_counter()
    ours = RDBStorage(f"sqlite:///{source}", heartbeat_interval=None, skip_table_creation=True)
    trials = ours.get_all_trials(ours.get_study_id_from_name(STUDY), deepcopy=False)
    ours.close()
    url = f"sqlite:///{path}"
    theirs = optuna.storages.RDBStorage(url)
    optuna.create_study(study_name=STUDY, storage=theirs)
    study_id = theirs.get_study_id_from_name(STUDY)
    theirs.remove_session()
    theirs.engine.dispose()
    jsons: dict[Any, str] = {}
    rows_trials, rows_params, rows_values, rows_steps = [], [], [], []
    for i, trial in enumerate(trials, 1):
        rows_trials.append(
            (
                i,
                trial.number,
                study_id,
                "COMPLETE",
                _sql_time(trial.datetime_start),
                _sql_time(trial.datetime_complete),
            )
        )
        for name, distribution in trial.distributions.items():
            if distribution not in jsons:
                jsons[distribution] = optuna.distributions.distribution_to_json(
                    to_optuna_distribution(distribution)
                )
            internal = distribution.to_internal_repr(trial.params[name])
            rows_params.append((i, name, internal, jsons[distribution]))
        assert trial.values is not None
        rows_values.append((i, 0, trial.values[0], "FINITE"))
        for step, value in trial.intermediate_values.items():
            rows_steps.append((i, step, value, "FINITE"))
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany("INSERT INTO trials VALUES (?, ?, ?, ?, ?, ?)", rows_trials)
        connection.executemany(
            "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
            "VALUES (?, ?, ?, ?)",
            rows_params,
        )
        connection.executemany(
            "INSERT INTO trial_values (trial_id, objective, value, value_type) "
            "VALUES (?, ?, ?, ?)",
            rows_values,
        )
        connection.executemany(
            "INSERT INTO trial_intermediate_values "
            "(trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, ?, ?)",
            rows_steps,
        )
    connection.close()
    seconds = time.perf_counter() - start
    check = optuna.storages.RDBStorage(url)
    read = check.get_all_trials(study_id, deepcopy=False)
    assert len(read) == len(trials), (len(read), len(trials))
    assert [t.params for t in read[:50]] == [t.params for t in trials[:50]]
    total = sum(t.value for t in read)
    assert abs(total - sum(t.values[0] for t in trials if t.values)) < 1e-6 * len(trials)
    check.engine.dispose()
    return seconds, total


# --- serving -------------------------------------------------------------------------------
class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(app: Any) -> tuple[_Server, str]:
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    ).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/dashboard"


def apps(
    backend: str, path: Path, warm: bool = True
) -> tuple[Any, Callable[[], Any], Callable[[], None]]:
    """The WSGI app, a function that reads all trials as each dashboard poll does, a closer.
    tftune's is what ``tftune dashboard`` serves (``make_app``: the adapter, the fast study
    route; with ``warm`` its answers built from a thread as the server starts)."""
    url = f"sqlite:///{path}"
    if backend == "tftune":
        from tftune.dashboard._server import make_app, open_storage, start_warming

        storage, _ = open_storage(url, allow_write=False)
        app = make_app(storage)
        warmer = start_warming(app) if warm else None

        def close() -> None:
            if warmer is not None:
                warmer.join(timeout=300)
            storage.close()

        return app, lambda: app.storage.get_all_trials(1, deepcopy=False), close
    import optuna
    import optuna_dashboard

    theirs = optuna.storages.RDBStorage(url)
    return (
        optuna_dashboard.wsgi(theirs),
        lambda: theirs.get_all_trials(1, deepcopy=False),
        theirs.engine.dispose,
    )


def api_times(base: str, repeats: int = 3) -> dict[str, float]:
    """The study route over HTTP from a client (no browser): the first answer of a server
    that has not read the study yet, the median of ``repeats`` more, and its size plain and
    as a browser gets it (with ``Accept-Encoding: gzip``)."""
    url = base.replace("/dashboard", "/api/studies/1?after=0")

    def get(gzip: bool = False) -> tuple[float, int]:
        headers = {"Accept-Encoding": "gzip"} if gzip else {}
        start = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            size = len(response.read())
        return time.perf_counter() - start, size

    first, plain = get()
    again = statistics.median(get()[0] for _ in range(repeats))
    return {"first_s": first, "again_s": again, "bytes": plain, "bytes_gzip": get(True)[1]}


BROWSER_FETCH_JS = """async (url) => {
  const t0 = performance.now(); const r = await fetch(url); const t1 = performance.now();
  const text = await r.text(); const t2 = performance.now();
  const d = JSON.parse(text); const t3 = performance.now();
  return [t1 - t0, t2 - t1, t3 - t2, d.trials.length]; }"""


def browser_fetch(browser: Browser, base: str, size: int) -> dict[str, float]:
    """The study route fetched and parsed in the page, as the dashboard does (median of 3, ms):
    until its headers (the server's work), the body, JSON.parse."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(base.replace("/dashboard", "/api/meta"), timeout=PAGE_TIMEOUT_S * 1000)
    url = base.replace("/dashboard", "/api/studies/1?after=0")
    runs = [page.evaluate(BROWSER_FETCH_JS, url) for _ in range(3 if size < 10_000 else 1)]
    context.close()
    assert all(r[3] == size for r in runs), runs
    return {
        key: statistics.median(r[i] for r in runs)
        for i, key in enumerate(("server_ms", "body_ms", "parse_ms"))
    }


SPA_GO_JS = """(path) => { window.history.pushState({}, '', path);
  window.dispatchEvent(new PopStateEvent('popstate', {state: {}})); return true; }"""


def _renderers() -> list[int]:
    """The process ids of the Chromium renderers this process started (its descendants)."""
    parents: dict[int, int] = {}
    renderers = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if b"--type=renderer" in cmdline.read():
                    renderers.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    me, mine = os.getpid(), []
    for pid in renderers:
        seen, up = 0, pid
        while up in parents and up != me and seen < 64:
            up, seen = parents[up], seen + 1
        if up == me:
            mine.append(pid)
    return mine


def _guarded(call: Callable[[], Any]) -> bool:
    """Run a wait on the page; False if it timed out. A renderer busy drawing (a plot of
    10,000 lines, drawn again at each poll) keeps even a timed-out wait waiting: past
    PAGE_TIMEOUT_S + 15 s this process's renderers are killed (the wait then fails)."""

    def kill() -> None:
        for pid in _renderers():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    watchdog = threading.Timer(PAGE_TIMEOUT_S + 15, kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        call()
        return True
    except Exception as error:  # a page that never draws is a result
        text = f"{type(error).__name__} {error}".lower()
        if not any(word in text for word in ("timeout", "crash", "closed")):
            raise
        return False
    finally:
        watchdog.cancel()


def _go(page: Any, path: str) -> bool:
    """Go to ``path`` inside the app, as its links do; False if the page's renderer is still
    busy (drawing the last page) after PAGE_TIMEOUT_S (``evaluate`` would wait for ever)."""
    return _guarded(
        lambda: page.wait_for_function(SPA_GO_JS, arg=path, timeout=PAGE_TIMEOUT_S * 1000)
    )


def _wait(page: Any, predicate: str, size: int, lines: int | None = None) -> bool:
    drawn = size if lines is None else lines
    return _guarded(
        lambda: page.wait_for_function(
            f"() => {{ const N = {size}, L = {drawn}; return {predicate}; }}",
            timeout=PAGE_TIMEOUT_S * 1000,
            polling=50,
        )
    )


class Browser:
    """Headless Chromium, relaunched after a page that did not draw in time (its renderer may
    still be busy for minutes, which would slow every later measurement)."""

    def __init__(self, playwright: Any) -> None:
        self.playwright = playwright
        self.browser = self._launch()

    def _launch(self) -> Any:
        return launch(self.playwright)

    def new_context(self) -> Any:
        return self.browser.new_context(viewport=VIEWPORT)

    def restart(self) -> None:
        with contextlib.suppress(Exception):  # a browser stuck in a page: its processes go
            self.browser.close()
        self.browser = self._launch()

    def close(self) -> None:
        self.browser.close()


def visit(
    browser: Browser, base: str, size: int, lines: int | None = None
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """One user's visit: open the dashboard (its study list, a full page load), then go to
    each page of the study in the app, as its links do; seconds until each page is drawn
    (None past PAGE_TIMEOUT_S; the browser is then relaunched and the visit goes on at the
    next page in a new one), and seconds until the page's last answer of the study route
    arrived (None: the page asked none)."""
    finished: list[float] = []

    def on_finished(request: Any) -> None:
        if "/api/studies/1?" in request.url:
            finished.append(time.perf_counter())

    def new_page() -> tuple[Any, Any]:
        context = browser.new_context()
        page = context.new_page()
        page.on("requestfinished", on_finished)
        # the script into the cache (a busy server may not answer in time: the next page's
        # own load then counts it)
        _guarded(lambda: page.goto(base + "/nothing", timeout=PAGE_TIMEOUT_S * 1000))
        return context, page

    context, page = new_page()
    times: dict[str, float | None] = dict.fromkeys(PAGES)
    data: dict[str, float | None] = dict.fromkeys(PAGES)
    fresh = True
    for name, (path, predicate) in PAGES.items():
        start = time.perf_counter()
        navigated = True
        if name == "study list" or fresh:
            page.goto(base + path, wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        else:
            navigated = _go(page, "/dashboard" + path)
        fresh = False
        drawn = navigated and _wait(page, predicate, size, lines)
        end = time.perf_counter()
        arrived = [t - start for t in finished if start <= t <= end]
        data[name] = max(arrived) if arrived else None
        if drawn:
            times[name] = end - start
        else:
            browser.restart()
            context, page = new_page()
            fresh = True
    context.close()
    return times, data


def prepare(backend: str, path: Path, size: int) -> dict[str, Any]:
    """The study route over HTTP and the storage reads, each from a fresh server."""
    app, read_all, close = apps(backend, path, warm=False)
    server, base = serve(app)
    result: dict[str, Any] = {"pages": {}}
    try:
        result["api"] = api_times(base, 3 if size < 10_000 else 2)
        print(
            f"  {backend:6s} {size:>7,} study route first {result['api']['first_s']:.2f} s, "
            f"again {result['api']['again_s']:.3f} s, {result['api']['bytes'] / 1e6:.1f} MB "
            f"({result['api']['bytes_gzip'] / 1e6:.2f} MB gzip)",
            flush=True,
        )
    finally:
        close()  # a fresh server for the storage reads: its first read of the study
        server.shutdown()
        server.server_close()
    app, read_all, close = apps(backend, path, warm=False)
    try:
        start = time.perf_counter()
        read_all()
        result["read_first_ms"] = (time.perf_counter() - start) * 1000
        reads = []
        for _ in range(5 if size < 10_000 else 3):
            start = time.perf_counter()
            read_all()
            reads.append((time.perf_counter() - start) * 1000)
        result["read_again_ms"] = statistics.median(reads)
    finally:
        close()
    print(
        f"  {backend:6s} {size:>7,} get_all_trials first {result['read_first_ms']:.0f} ms, "
        f"again {result['read_again_ms']:.1f} ms",
        flush=True,
    )
    return result


REDRAW_JS = """() => { window.__draws = 0; window.__busy = 0;
  document.querySelectorAll('.js-plotly-plot').forEach(e => e.on('plotly_afterplot',
    () => { window.__draws++; }));
  new PerformanceObserver(l => l.getEntries().forEach(e => { window.__busy += e.duration; }))
    .observe({entryTypes: ['longtask']}); return true; }"""
REDRAW_WINDOW_S = 25.0


def redraws(browser: Browser, base: str, size: int) -> dict[str, float] | None:
    """The top page, once drawn, left alone for REDRAW_WINDOW_S (its polls find nothing
    new): plots drawn again, and the main thread's long tasks (ms); None if it never drew."""
    context = browser.new_context()
    page = context.new_page()
    try:
        path, predicate = PAGES["top (history)"]
        page.goto(base + path, wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        if not _wait(page, predicate, size) or not _guarded(lambda: page.evaluate(REDRAW_JS)):
            browser.restart()
            return None
        polls: list[str] = []
        page.on("response", lambda r: polls.append(r.url) if "?after=" in r.url else None)
        time.sleep(REDRAW_WINDOW_S)
        found: list[float] = []
        if not _guarded(lambda: found.extend(page.evaluate("() => [__draws, __busy]"))):
            browser.restart()
            return None
        return {"draws": found[0], "busy_ms": found[1], "polls": len(polls)}
    finally:
        with contextlib.suppress(Exception):
            context.close()


def _webgl_above() -> int:
    from tftune.dashboard._limits import WEBGL_ABOVE

    return WEBGL_ABOVE


def lines_drawn(backend: str, size: int) -> int:
    """How many lines the parallel coordinates draw: tftune's --max-lines default caps it."""
    if backend != "tftune":
        return size
    from tftune.dashboard._limits import DEFAULT_MAX_LINES

    return size if DEFAULT_MAX_LINES == 0 else min(size, DEFAULT_MAX_LINES)


def measure_pair(
    browser: Browser, paths: dict[str, Path], size: int, repeats: int, visits_too: bool
) -> dict[str, dict[str, Any]]:
    """Both storages at one size: the route and the reads (``prepare``), then a cold visit
    of each (its server just started), then ``repeats`` rounds of one warm visit each, in
    alternating order (tftune first in even rounds), with the load average at each visit;
    then the poll redraws and the route fetched in the page."""
    results = {backend: prepare(backend, path, size) for backend, path in paths.items()}
    for result in results.values():
        result["browser"] = visits_too
    if not visits_too:
        for result in results.values():
            result["cold"] = dict.fromkeys(PAGES)
            result["pages"] = {name: {"median_s": None, "times_s": []} for name in PAGES}
        return results
    running: dict[str, tuple[Any, Callable[[], None], Any, str]] = {}
    try:
        for backend, path in paths.items():  # a server each, its cold visit before the next
            app, _, close = apps(backend, path)
            server, base = serve(app)
            running[backend] = (app, close, server, base)
            results[backend]["cold"], results[backend]["cold_data"] = visit(
                browser, base, size, lines_drawn(backend, size)
            )
            print(f"  {backend:6s} {size:>7,} cold   {_row(results[backend]['cold'])}", flush=True)
        visits: dict[str, list[Any]] = {backend: [] for backend in paths}
        loads: list[float] = []
        for i in range(repeats):
            order = list(paths) if i % 2 == 0 else list(reversed(list(paths)))
            for backend in order:
                loads.append(os.getloadavg()[0])
                times, data = visit(browser, running[backend][3], size, lines_drawn(backend, size))
                visits[backend].append((times, data))
                print(f"  {backend:6s} {size:>7,} warm {i} {_row(times)}", flush=True)
                print(f"  {backend:6s} {size:>7,} data {i} {_row(data, _data)}", flush=True)
        for backend, result in results.items():
            result["visit_loads"] = loads
            for name in PAGES:
                done = [v[0][name] for v in visits[backend]] or [result["cold"][name]]
                data_at = [v[1][name] for v in visits[backend] if v[1][name] is not None]
                result["pages"][name] = {
                    "median_s": statistics.median(done) if None not in done else None,
                    "times_s": done,
                    "data_median_s": statistics.median(data_at) if data_at else None,
                }
        for backend in paths:
            result = results[backend]
            result["redraws"] = redraws(browser, running[backend][3], size)
            print(f"  {backend:6s} {size:>7,} redraws {result['redraws']}", flush=True)
            with contextlib.suppress(Exception):  # a page that never answers in time
                result["browser_fetch_ms"] = browser_fetch(browser, running[backend][3], size)
            print(f"  {backend:6s} {size:>7,} in the page {result.get('browser_fetch_ms')}")
    finally:
        for _, close, server, _ in running.values():
            close()
            server.shutdown()
            server.server_close()
    return results


def _row(times: dict[str, float | None], fmt: Callable[[float | None], str] | None = None) -> str:
    shown = fmt or _fmt
    return "  ".join(f"{name.split()[0]} {shown(t)}" for name, t in times.items())


# --- the report ----------------------------------------------------------------------------
def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _default_max_curves() -> int:
    from tftune.dashboard._curves import DEFAULT_MAX_CURVES

    return DEFAULT_MAX_CURVES


def _fmt(seconds: float | None, visited: bool = True) -> str:
    if not visited:
        return "not run"
    return f"> {PAGE_TIMEOUT_S:.0f} s" if seconds is None else f"{seconds:.2f} s"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or a == 0:
        return "n/a"
    return f"{b / a:.2f}x"


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def _data(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"


def _split_tables(results: dict[str, Any]) -> list[str]:
    """Where a page's time goes: the study route's answer (server), its transfer and parse
    in the page, and when each page had its data against when it was drawn."""
    lines = [
        "",
        "The study route every page asks (`GET /api/studies/1?after=0`: every trial), from a "
        "Python HTTP client: the first answer of a server that has not read the study (no "
        "warm-up), then the median of 3 more; its size, plain and gzipped (tftune's route "
        "gzips for a browser; optuna-dashboard's does not).",
        "",
        "| trials | tftune first | tftune again | optuna first | optuna again "
        "| ratio (again) | JSON | tftune gzip |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, by_backend in results["sizes"].items():
        ours, theirs = by_backend["tftune"].get("api"), by_backend["optuna"].get("api")
        if ours is None or theirs is None:
            continue
        lines.append(
            f"| {int(size):,} | {_ms(ours['first_s'])} | {_ms(ours['again_s'])} | "
            f"{_ms(theirs['first_s'])} | {_ms(theirs['again_s'])} | "
            f"{theirs['again_s'] / max(ours['again_s'], 1e-9):.0f}x | "
            f"{ours['bytes'] / 1e6:.1f} MB | {ours['bytes_gzip'] / 1e6:.2f} MB |"
        )
    lines += [
        "",
        "The same route fetched and parsed inside the page (warm server, median of 3): until "
        "its headers (the server's work and the wait), reading the body, `JSON.parse`.",
        "",
        "| trials | storage | headers | body | JSON.parse |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for size, by_backend in results["sizes"].items():
        for backend in ("tftune", "optuna"):
            fetched = by_backend[backend].get("browser_fetch_ms")
            if fetched is not None:
                lines.append(
                    f"| {int(size):,} | {backend} | {fetched['server_ms']:.0f} ms | "
                    f"{fetched['body_ms']:.0f} ms | {fetched['parse_ms']:.0f} ms |"
                )
    lines += [
        "",
        "Each page's data against its drawing (warm visits, medians): *data* is when the "
        "page's last answer of the study route arrived (n/a: the page asked none, it drew "
        "what the app already held); the rest, up to *drawn*, is the front end (React, "
        "plotly).",
        "",
        "| trials | page | tftune data | tftune drawn | optuna data | optuna drawn |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for size, by_backend in results["sizes"].items():
        ours, theirs = by_backend["tftune"], by_backend["optuna"]
        if not ours.get("browser", True) or "data_median_s" not in next(
            iter(ours["pages"].values())
        ):
            continue
        for name in PAGES:
            a, b = ours["pages"][name], theirs["pages"][name]
            lines.append(
                f"| {int(size):,} | {name} | {_data(a['data_median_s'])} | "
                f"{_fmt(a['median_s'])} | {_data(b['data_median_s'])} | {_fmt(b['median_s'])} |"
            )
    lines += ["", "Load average (1 minute) at the start of each warm visit, in order:", ""]
    for size, by_backend in results["sizes"].items():
        loads = by_backend["tftune"].get("visit_loads")
        if loads:
            lines.append(f"- {int(size):,} trials: " + ", ".join(f"{x:.1f}" for x in loads))
    lines += [
        "",
        f"Poll redraws: the top page, once drawn, left alone for {REDRAW_WINDOW_S:g} s (its "
        "polls find nothing new): how many times its plots were drawn again, and the page's "
        "main-thread long tasks (> 50 ms) in that time. tftune's front end takes an "
        "unchanged answer without drawing again (`_front_end`).",
        "",
        "| trials | storage | polls | plots drawn again | long tasks |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for size, by_backend in results["sizes"].items():
        for backend in ("tftune", "optuna"):
            if "redraws" not in by_backend[backend]:
                continue
            found = by_backend[backend]["redraws"]
            lines.append(
                f"| {int(size):,} | {backend} | "
                + (
                    "not drawn | n/a | n/a |"
                    if found is None
                    else f"{found['polls']} | {found['draws']:.0f} | {found['busy_ms']:.0f} ms |"
                )
            )
    return lines


def write_report(results: dict[str, Any], quick: bool) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = "dashboard.quick" if quick else "dashboard"
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    env = results["environment"]
    lines = [
        "# Dashboard: optuna-dashboard over tftune's storage vs over Optuna's",
        "",
        f"Machine: {env['cpu']} ({env['cores']} cores, shared), Python {env['python']}, "
        f"Chromium headless (software rendering). tftune {env['git']}; optuna "
        f"{env['optuna']}, optuna-dashboard {env['optuna_dashboard']}, playwright "
        f"{env['playwright']}. {env['date']}"
        + (
            f" (earlier sizes: tftune {env['earlier']['git']}, {env['earlier']['date']})."
            if "earlier" in env
            else "."
        ),
        "",
        "Each study: COMPLETE trials with 4 parameters (float log, float step, int log, "
        f"categorical) and {N_STEPS} reported steps; the same trials in both storages "
        "(SQLite). One visit = open the dashboard (the study list: a full page load, the "
        "6 MB script from the browser cache but parsed again), then go to each page of the "
        "study in the app, as its links do; each time runs until the page's first plot holds "
        "every trial (read from plotly's data in the DOM) or its list is drawn. *cold*: the "
        "first visit after the server started (its first read of the study); then medians of "
        f"{results['repeats']} warm visits (at 50,000 the cold visit only). "
        f"Pages not drawn within {PAGE_TIMEOUT_S:g} s are shown as such. Ratio: optuna's time "
        "/ tftune's (> 1: tftune faster).",
        "",
        f"tftune serves its default `--max-curves {env.get('max_curves', 'n/a')}`: past that "
        "many trials the top page leaves its intermediate-values plot out (and says so); "
        "optuna-dashboard draws it; and its default `--max-lines "
        f"{env.get('max_lines', 'n/a')}`: past that many trials the parallel coordinates "
        "draw that many lines (the best fifth and an even sample of the rest, with a notice; "
        "the trial table below lists every trial), so tftune's smart-selection row counts "
        "until that many lines are drawn, optuna-dashboard's until every trial is; its "
        "timeline draws the last that many trials (and every running one, with a notice; it "
        "opens on the last 100, as optuna-dashboard's). Past "
        f"{env.get('webgl_above', 'n/a')} trials tftune's history, slice and rank plots "
        "draw every point with WebGL (plotly's scattergl), optuna-dashboard's one SVG shape "
        "per point. Visits "
        "interleaved: a cold visit each, then warm rounds alternating which goes first. "
        "Load average at the start "
        + (
            ", ".join(f"{x:.1f}" for x in env["load_average"])
            if "load_average" in env
            else "not recorded"
        )
        + f", at the end {_load()}.",
        "",
        "| trials | page | tftune cold | tftune | optuna cold | optuna | ratio |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, by_backend in results["sizes"].items():
        ours, theirs = by_backend["tftune"], by_backend["optuna"]
        shown = ours.get("browser", True)
        for name in PAGES:
            a, b = ours["pages"][name]["median_s"], theirs["pages"][name]["median_s"]
            warm = bool(ours["pages"][name]["times_s"]) and shown
            lines.append(
                f"| {int(size):,} | {name} | {_fmt(ours['cold'][name], shown)} | "
                f"{_fmt(a, warm)} | {_fmt(theirs['cold'][name], shown)} | {_fmt(b, warm)} | "
                f"{_ratio(a, b)} |"
            )
    skipped = [
        f"{int(n):,}" for n, r in results["sizes"].items() if not r["tftune"].get("browser", True)
    ]
    if skipped:
        lines += [
            "",
            f"*not run*: the {', '.join(skipped)}-trial studies were built and their storage "
            "reads timed (below), without the browser (`--browser-max-size`): a visit of the "
            "10,000-trial study already takes minutes, its top page never drawing in 45 s.",
        ]
    lines += _split_tables(results)
    lines += [
        "",
        "The storage read behind every dashboard poll (`get_all_trials` of the storage the "
        "dashboard holds; optuna-dashboard caches it 2 to 10 s, then reads again): tftune's "
        "adapter reads only what changed since its last read and converts each finished trial "
        "once; Optuna's RDBStorage reads the whole study each time.",
        "",
        "| trials | tftune first | tftune again | optuna first | optuna again | ratio (again) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, by_backend in results["sizes"].items():
        ours, theirs = by_backend["tftune"], by_backend["optuna"]
        lines.append(
            f"| {int(size):,} | {ours['read_first_ms']:.0f} ms | {ours['read_again_ms']:.1f} ms "
            f"| {theirs['read_first_ms']:.0f} ms | {theirs['read_again_ms']:.0f} ms | "
            f"{theirs['read_again_ms'] / max(ours['read_again_ms'], 1e-9):.0f}x |"
        )
    lines += ["", "Building the studies (seconds):", ""]
    lines += ["| trials | tftune (storage API) | optuna (bulk SQL into its schema) |"]
    lines += ["| ---: | ---: | ---: |"]
    for size, built in results["build_s"].items():
        lines.append(f"| {int(size):,} | {built['tftune']:.1f} | {built['optuna']:.1f} |")
    goal = results["sizes"].get(str(GOAL_SIZE))
    if goal is not None:
        ours, theirs = goal["tftune"], goal["optuna"]
        worst = [ours["pages"][n]["median_s"] for n in PAGES] + list(ours["cold"].values())
        met_time = all(t is not None and t < GOAL_S for t in worst)
        met_peer = all(
            ours["pages"][n]["median_s"] is not None
            and (
                theirs["pages"][n]["median_s"] is None
                or ours["pages"][n]["median_s"] <= theirs["pages"][n]["median_s"] * 1.10
            )
            for n in PAGES
        )
        lines += [
            "",
            f"Goal at {GOAL_SIZE:,} trials: every page under {GOAL_S:g} s: "
            f"{'met' if met_time else 'NOT met'} (slowest "
            f"{_fmt(None if None in worst else max(t for t in worst if t is not None))}); "
            "no slower than "
            f"optuna-dashboard on Optuna's storage (within 10 % noise): "
            f"{'met' if met_peer else 'NOT met'}.",
        ]
    (RESULTS_DIR / f"{stem}.md").write_text("\n".join(lines) + "\n")


# --- where the front end's time goes --------------------------------------------------------
PLOT_CHECK = re.compile(r"if\(null===document\.getElementById\((\w+)\)\)return")
BUNDLE = "optuna_dashboard/public/bundle.js"


def _plot_ids(bundle: list[str]) -> dict[str, str]:
    """The dashboard's plot element ids by the minified name that holds them."""
    found: dict[str, str] = {}
    for line in bundle:
        for name, value in re.findall(r"[,;{ ](\w+)=\"((?:plot|graph)-[a-z-]+)\"", line):
            found.setdefault(name, value)
    return found


def served_bundle_lines() -> list[str]:
    """optuna-dashboard's bundle as tftune's server serves it (patched; as it is when it is
    not 0.21.0's), by line: Chrome's profile positions are in that text."""
    import optuna_dashboard

    from tftune.dashboard._front_end import patch_bundle

    text = (Path(optuna_dashboard.__file__).parent / "public" / "bundle.js").read_text("utf-8")
    patched = patch_bundle(text)
    return (text if patched is None else patched).split("\n")


def summarise_profile(profile: dict[str, Any], bundle: list[str]) -> dict[str, float]:
    """A CPU profile's milliseconds: idle (waiting), garbage collection, each plot drawn
    (a dashboard function that starts by finding its plot's element, all it calls included),
    and the rest of the JS (React, the app)."""
    ids = _plot_ids(bundle)
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    plot_of: dict[int, str | None] = {}

    def plot(node_id: int) -> str | None:
        frame = nodes[node_id]["callFrame"]
        line, column = frame["lineNumber"], frame["columnNumber"]
        if 0 <= line < len(bundle) and bundle[line][column : column + 1] == "(":
            match = PLOT_CHECK.search(bundle[line], column, column + 400)  # its first statements
            if match is not None:
                return ids.get(match.group(1), match.group(1))
        return None

    totals: dict[str, float] = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        name = nodes[sample]["callFrame"]["functionName"]
        if name in ("(idle)", "(garbage collector)", "(program)"):
            totals[name.strip("()")] += delta / 1000
            continue
        node: int | None = sample
        where = "other JS"
        while node is not None:
            if node not in plot_of:
                plot_of[node] = plot(node)
            if plot_of[node] is not None:
                where = f"plot {plot_of[node]}"
                break
            node = parent.get(node)
        totals[where] += delta / 1000
    return dict(totals)


def profile_pages(browser: Browser, base: str, size: int, bundle: list[str]) -> dict[str, Any]:
    """Each page of the study loaded on its own (a warm server) under Chrome's CPU profiler."""
    result: dict[str, Any] = {}
    for name, (path, predicate) in PAGES.items():
        if name == "study list":
            continue
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/nothing", timeout=PAGE_TIMEOUT_S * 1000)
        finished: list[float] = []

        def on_finished(request: Any, finished: list[float] = finished) -> None:
            if "/api/studies/1?" in request.url:
                finished.append(time.perf_counter())

        page.on("requestfinished", on_finished)
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        cdp.send("Profiler.start")
        start = time.perf_counter()
        page.goto(base + path, wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        drawn = _wait(page, predicate, size, lines_drawn("tftune", size))
        seconds = time.perf_counter() - start
        data = [t - start for t in finished if t >= start]
        if not drawn:  # its renderer is busy: no profile to take from it
            result[name] = {"drawn_s": None, "data_s": min(data) if data else None}
            browser.restart()
            continue
        profile = cdp.send("Profiler.stop")["profile"]
        result[name] = {
            "drawn_s": seconds,
            "data_s": min(data) if data else None,
            "ms": summarise_profile(profile, bundle),
        }
        print(f"  profile {size:>7,} {name}: {seconds:.2f} s {result[name]}", flush=True)
        context.close()
    return result


def run_profile(sizes: list[int]) -> int:
    """``--profile``: where each page's time goes, for tftune's server, written to
    ``results/dashboard.profile.{md,json}``."""
    from playwright.sync_api import sync_playwright

    bundle = served_bundle_lines()
    results: dict[str, Any] = {"git": git("rev-parse", "--short", "HEAD"), "sizes": {}}
    with (
        tempfile.TemporaryDirectory(prefix="tftune-bench-dashboard-") as folder,
        sync_playwright() as playwright,
    ):
        browser = Browser(playwright)
        for size in sizes:
            path = Path(folder) / f"tftune-{size}.db"
            build_tftune(path, size)
            app, _, close = apps("tftune", path, warm=False)
            app.warm()  # the server's side ready: the profile is the front end's
            server, base = serve(app)
            try:
                results["sizes"][str(size)] = profile_pages(browser, base, size, bundle)
            finally:
                close()
                server.shutdown()
                server.server_close()
        browser.close()
    (RESULTS_DIR / "dashboard.profile.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Dashboard: where each page's time goes (tftune's server, Chrome's CPU profiler)",
        "",
        f"tftune {results['git']}. Each page loaded on its own (a full page load: the 6 MB "
        "script parsed again) from a server whose answers are built; sampled every 1 ms. "
        "*data*: the study route's first answer arrived; *idle*: the page's main thread "
        "waiting (for the network, timers); *program*: the browser's own native work outside "
        "JS (layout, painting, software WebGL); *plot X*: drawing plot X (plotly, all it "
        "calls); *other JS*: React and the app.",
        "",
        "| trials | page | drawn | data | idle | program | GC | plots | other JS |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for size, pages in results["sizes"].items():
        for name, found in pages.items():
            ms = found.get("ms", {})
            plots = ", ".join(
                f"{key[5:]} {value / 1000:.2f} s"
                for key, value in sorted(ms.items(), key=lambda kv: -kv[1])
                if key.startswith("plot ") and value >= 50
            )
            lines.append(
                f"| {int(size):,} | {name} | {_fmt(found['drawn_s'])} | "
                f"{_data(found['data_s'])} | "
                + " | ".join(
                    f"{ms[key] / 1000:.2f} s" if key in ms else "n/a"
                    for key in ("idle", "program", "garbage collector")
                )
                + f" | {plots or 'n/a'} | "
                + (f"{ms['other JS'] / 1000:.2f} s |" if "other JS" in ms else "n/a |")
            )
    (RESULTS_DIR / "dashboard.profile.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


# --- tftune's front end against an earlier commit's ----------------------------------------
def _cli_dashboard(src: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    """``tftune dashboard`` of the package under ``src`` over ``url``, on a free port of
    127.0.0.1, in a subprocess; its page's address once it says so (within 120 s). One that
    does not start raises with its exit code and the last lines of its stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tftune", "dashboard", "--storage", url, "--port", "0"],
        env=dict(os.environ, PYTHONPATH=str(src)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    found: list[str] = []
    errors: collections.deque[str] = collections.deque(maxlen=20)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if " at http://" in line and not found:
                found.append(line.rsplit(" at ", 1)[1].strip())

    def read_errors() -> None:  # read all along, so that a full pipe never blocks it
        assert process.stderr is not None
        for line in process.stderr:
            errors.append(line.rstrip("\n"))

    readers = [threading.Thread(target=f, daemon=True) for f in (read, read_errors)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 120
    while not found and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    if not found:
        _stop(process)
        readers[1].join(timeout=5)
        tail = "\n".join(errors) or "(no stderr)"
        raise RuntimeError(
            f"tftune dashboard of {src} did not start (exit code {process.returncode}); "
            f"the last lines of its stderr:\n{tail}"
        )
    return process, found[0]


def _stop(process: subprocess.Popen[str]) -> None:
    """Ctrl+C (the command closes its storage), then a kill after 15 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _src_state() -> str:
    """``git status --porcelain src`` in words: "src clean", or the changed files under it."""
    status = git("status", "--porcelain", "src")
    if status is None:
        return "src state unknown: git status failed"
    changed = status.splitlines()
    if not changed:
        return "src clean"
    return f"src changed: {'; '.join(line.strip() for line in changed)}"


def run_against(ref: str, size: int, repeats: int) -> int:
    """``--against REF``: the working tree's dashboard and ``REF``'s (its ``src`` from git),
    each its own ``tftune dashboard`` over the same study of ``size`` trials, visited in
    turns (a visit each, then ``repeats`` rounds in alternating order, the load average at
    each visit): written to ``results/dashboard_against.{md,json}``."""
    from playwright.sync_api import sync_playwright

    sides = {"before": ref, "after": "working tree"}
    revision = git("rev-parse", "--short", ref)
    results: dict[str, Any] = {
        "before": f"{ref} ({revision})",
        "after": f"working tree on {git('rev-parse', '--short', 'HEAD')} ({_src_state()})",
        "size": size,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "visits": [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="tftune-bench-dashboard-") as folder,
        sync_playwright() as playwright,
    ):
        archive = subprocess.run(
            ["git", "archive", ref, "src"], cwd=HERE.parent, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        db = Path(folder) / f"tftune-{size}.db"
        build_tftune(db, size)
        sources = {"before": Path(folder) / "src", "after": HERE.parent / "src"}
        running: dict[str, tuple[subprocess.Popen[str], str]] = {}
        browser = Browser(playwright)
        try:
            for side, src in sources.items():
                running[side] = _cli_dashboard(src, f"sqlite:///{db}")
                api = running[side][1].replace("/dashboard", "/api/studies/1?after=0")
                with urllib.request.urlopen(api, timeout=300) as answer:  # its study read
                    answer.read()
            for i in range(repeats + 1):
                order = list(sides) if i % 2 == 0 else list(reversed(list(sides)))
                for side in order:
                    load = os.getloadavg()[0]
                    times, _ = visit(browser, running[side][1], size, lines_drawn("tftune", size))
                    results["visits"].append({"side": side, "load": load, "times_s": times})
                    print(f"  {side:6s} {i} load {load:.1f} {_row(times)}", flush=True)
        finally:
            browser.close()
            for process, _ in running.values():
                _stop(process)
    write_against(results)
    return 0


#: what every ``--against`` table says of how its pages are timed
AGAINST_CAVEAT = (
    "A page is timed until its first plot is drawn (or its list): a draw the page makes "
    "after that (a second draw of a plot, say) runs while the next page is timed, and is "
    "charged to the next page. A ratio whose two min-max ranges overlap lies inside the "
    "spread of the visits: it does not show a change."
)


def _spread(times: list[float]) -> str:
    return f"{min(times):.2f}-{max(times):.2f} s" if times else "n/a"


def write_against(results: dict[str, Any]) -> None:
    """``run_against``'s table: each page's median over each side's visits, their min-max
    ranges, and the ratio; ``results["note"]``, when there is one, below the caveat."""
    (RESULTS_DIR / "dashboard_against.json").write_text(json.dumps(results, indent=2) + "\n")
    loads = [v["load"] for v in results["visits"]]
    lines = [
        "# Dashboard: the front end before and after a change, visited in turns",
        "",
        f"{results['size']:,} COMPLETE trials (the study of `bench_dashboard.py`), "
        f"{results['date']}. *before*: `tftune dashboard` of {results['before']}; *after*: "
        f"of the {results['after']}; each its own process over the same SQLite file, its "
        "study read once before the first visit. A visit as in `bench_dashboard.py` (the study "
        "list, a full page load, then each page inside the app, until its first plot holds "
        "every trial it draws); one visit each, then rounds in alternating order; medians of "
        "every visit (the first one's included), and the fastest and slowest visit. Load "
        "average (1 minute) at each visit, in order: "
        f"{', '.join(f'{x:.1f}' for x in loads)}.",
        "",
        AGAINST_CAVEAT,
        "",
    ]
    if results.get("note"):
        lines += [results["note"], ""]
    lines += [
        "| page | before | before min-max | after | after min-max | before / after "
        "| ranges overlap | visits each |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: | ---: |",
    ]
    for name in PAGES:
        medians, spreads, ranges = {}, {}, {}
        for side in ("before", "after"):
            times = [v["times_s"][name] for v in results["visits"] if v["side"] == side]
            drawn = bool(times) and None not in times
            medians[side] = statistics.median(times) if drawn else None
            spreads[side] = _spread(times) if drawn else "n/a"
            ranges[side] = (min(times), max(times)) if drawn else None
        before, after = ranges["before"], ranges["after"]
        overlap = (
            "n/a"
            if before is None or after is None
            else ("yes" if before[0] <= after[1] and after[0] <= before[1] else "no")
        )
        count = sum(v["side"] == "after" for v in results["visits"])
        lines.append(
            f"| {name} | {_fmt(medians['before'])} | {spreads['before']} | "
            f"{_fmt(medians['after'])} | {spreads['after']} | "
            f"{_ratio(medians['after'], medians['before'])} | {overlap} | {count} |"
        )
    (RESULTS_DIR / "dashboard_against.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--sizes", help="comma-separated study sizes")
    parser.add_argument("--repeats", type=int, default=2, help="warm visits (none at 50,000)")
    parser.add_argument(
        "--browser-max-size",
        type=int,
        default=50_000,
        help="larger studies are built and their storage reads timed, without the browser",
    )
    parser.add_argument(
        "--merge", action="store_true", help="add these sizes to the existing results file"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile each page's front end (tftune only)"
    )
    parser.add_argument(
        "--against",
        metavar="REF",
        help="the working tree's dashboard against REF's, visited in turns (one size)",
    )
    args = parser.parse_args()
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else list(QUICK_SIZES if args.quick else FULL_SIZES)
    )
    if not available():
        print(CHROMIUM_MISSING, file=sys.stderr)
        return 1
    if args.profile:
        quiet()
        return run_profile(sizes)
    if args.against:
        quiet()
        return run_against(args.against, sizes[0], args.repeats)
    quiet()
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {
        "environment": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "git": git("rev-parse", "--short", "HEAD"),
            "optuna": dist_version("optuna"),
            "optuna_dashboard": dist_version("optuna-dashboard"),
            "playwright": dist_version("playwright"),
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "load_average": os.getloadavg(),
            "max_curves": _default_max_curves(),
            "max_lines": lines_drawn("tftune", 10**9),
            "webgl_above": _webgl_above(),
        },
        "repeats": args.repeats,
        "sizes": {},
        "build_s": {},
    }
    stem = "dashboard.quick" if args.quick else "dashboard"
    if args.merge and (RESULTS_DIR / f"{stem}.json").exists():
        earlier = json.loads((RESULTS_DIR / f"{stem}.json").read_text())
        results["sizes"], results["build_s"] = earlier["sizes"], earlier["build_s"]
        results["environment"]["earlier"] = earlier["environment"]
    with (
        tempfile.TemporaryDirectory(prefix="tftune-bench-dashboard-") as folder,
        sync_playwright() as playwright,
    ):
        browser = Browser(playwright)
        for size in sizes:
            ours_path = Path(folder) / f"tftune-{size}.db"
            theirs_path = Path(folder) / f"optuna-{size}.db"
            built_ours = build_tftune(ours_path, size)
            built_theirs, _ = build_optuna(ours_path, theirs_path)
            results["build_s"][str(size)] = {"tftune": built_ours, "optuna": built_theirs}
            print(f"built {size:,}: tftune {built_ours:.1f} s, optuna {built_theirs:.1f} s")
            repeats = 0 if size >= 50_000 else args.repeats
            results["sizes"][str(size)] = measure_pair(
                browser,
                {"tftune": ours_path, "optuna": theirs_path},
                size,
                repeats,
                size <= args.browser_max_size,
            )
            write_report(results, args.quick)  # after each size: a long run keeps its results
        browser.close()
    print((RESULTS_DIR / ("dashboard.quick.md" if args.quick else "dashboard.md")).read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
