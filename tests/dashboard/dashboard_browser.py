"""The dashboard's browser tests' shared parts: Debian's Chromium (launched by
``benchmarks/_chromium``), a recording page, and ``tftune dashboard`` run by the CLI in a
subprocess."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:  # the one home of the Chromium launch: _chromium
    sys.path.insert(0, str(BENCHMARKS))

from _chromium import MISSING, VIEWPORT, available, launch  # noqa: E402

__all__ = [
    "DRAWS_JS",
    "MISSING",
    "PLOTS_JS",
    "TIMEOUT_MS",
    "VIEWPORT",
    "CliDashboard",
    "Page",
    "available",
    "launch",
]
TIMEOUT_MS = 20_000
#: Every plot of the page: its DOM id and, per trace, name, type, number of x values and the
#: parallel coordinates' dimensions (label, number of values). Read from plotly's own data.
PLOTS_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot'))
  .map(e => [e.id, (e.data || []).map(d => ({name: d.name, type: d.type,
     n: (d.x || []).length,
     dims: (d.dimensions || []).map(x => [x.label, x.values.length])}))]))"""
#: each plot's draws (an init script; by element id): plotly keeps a plot's traces in its
#: element's ``data``, a new array at each draw (``Plotly.react``); an accessor counts the new
#: ones (``window.__draws``), and apart those that hold traces (``window.__filled``: a plot
#: first drawn empty, before its parameter is chosen, counts there once its traces come)
DRAWS_JS = """(() => { window.__draws = {}; window.__filled = {};
  const held = new WeakMap();
  Object.defineProperty(HTMLElement.prototype, "data", {configurable: true,
    get() { return held.get(this); },
    set(value) {
      if (value !== held.get(this) && Array.isArray(value) && this.id) {
        window.__draws[this.id] = (window.__draws[this.id] || 0) + 1;
        if (value.length) window.__filled[this.id] = (window.__filled[this.id] || 0) + 1;
      }
      held.set(this, value);
    }}); })();"""
#: no "Loading..." of a graph left on the page, then two animation frames (its renders done)
SETTLED_JS = """() => !document.body.innerText.includes("Loading...")"""
FRAMES_JS = """() => new Promise(done =>
  requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"""


class Page:
    """A fresh page that records every dialog (dismissed) and every JavaScript error."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def plots(self) -> dict[str, list[dict[str, Any]]]:
        return self.page.evaluate(PLOTS_JS)

    def wait_for_plot(self, dom_id: str, predicate: str = "true") -> None:
        """Wait until plot ``dom_id`` has data and the JS ``predicate`` (on ``d``, its data)
        holds."""
        self.page.wait_for_function(
            f"() => {{ const e = document.getElementById('{dom_id}');"
            f" const d = e && e.data; return !!(d && d.length) && ({predicate}); }}",
            timeout=TIMEOUT_MS,
        )

    def draws(self, filled: bool = False) -> dict[str, int]:
        """Each plot's draws so far (``DRAWS_JS`` added before the page opened); ``filled``:
        only those that held traces."""
        return self.page.evaluate(f"() => window.{'__filled' if filled else '__draws'}")

    def settle(self, study_id: int) -> None:
        """Wait for the page's next answer of study ``study_id`` (a poll: every 2 to 10 s),
        then until no graph says "Loading..."; each wait bounded by ``TIMEOUT_MS``."""
        route = re.compile(rf"/api/studies/{study_id}(\?|$)")
        self.page.wait_for_event(
            "response", lambda response: bool(route.search(response.url)), timeout=TIMEOUT_MS
        )
        self.page.wait_for_function(SETTLED_JS, timeout=TIMEOUT_MS)
        self.page.evaluate(FRAMES_JS)


class CliDashboard:
    """``tftune dashboard --port 0`` in a subprocess; its address read from its output."""

    def __init__(self, url: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tftune", "dashboard", "--storage", url, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + 60
        self.url = ""
        while not self.url and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if " at http://" in line:
                self.url = line.rsplit(" at ", 1)[1].strip()
        if not self.url:
            self.stop()
            pytest.fail(f"tftune dashboard did not start: {self.stderr}")
        self.api = self.url.replace("/dashboard", "/api")

    def _read(self, lines: queue.Queue[str]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            lines.put(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: the command's Ctrl+C, which closes the storage
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()
