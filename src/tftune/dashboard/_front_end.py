"""tftune's additions to optuna-dashboard's front end, served with its pages.

optuna-dashboard 0.21.0's front end asks the study route again at every poll (every 2 to 10 s)
and on every page it opens, and it replaces the study's state with any 2xx answer, even one
that holds nothing new: every plot of the page is then drawn again (at 10,000 trials the
parallel coordinates take seconds a time). Its parallel coordinates plot draws one line per
trial (software WebGL here: 11 s at 10,000 trials).

* **Unchanged answers are not drawn again.** The study route sends an ``ETag`` (a hash of the
  answer) and answers ``304`` to a browser that holds it (``_fast_api``). A small script
  (``SCRIPT_PATH``, loaded by the dashboard's page before the app) wraps ``window.fetch`` in
  each tab: the ETag names the study's whole state (its fields and every trial, whatever the
  ``after``); when the study route's answer carries the ETag of the answer this tab's app
  last took for the same study, the app gets a non-2xx answer without a
  ``reason`` instead, which it only logs to the console: its state, and every plot, stay as
  they are. The memory is the tab's own (a page load starts afresh), so a tab never misses
  what another tab saw. Any other answer is handed over untouched.
  The app also keeps a flag of the poll in flight in React state, so every component drew
  again when a poll began and when it ended; the bundle is served with that flag a plain
  object (``PATCHES``), which also makes it a true guard against overlapping polls.
* **Parallel coordinates draw at most ``max_lines`` trials.** The app's bundle is served with
  one call wrapped (``PATCHES``): the trials its parallel coordinates would draw pass through
  ``window.__tftuneCap``, which past ``max_lines`` keeps the best fifth of the limit (by the
  first objective) and spreads the rest evenly over the other trials, in trial order, and
  shows a notice saying so. The trial table below the plot still lists every trial; at or
  under the limit the plot gets the very same trials. Selecting ranges on the plot picks
  among the drawn lines.
* **The timeline draws at most ``max_lines`` trials.** It draws one SVG bar per trial (about a
  second at 10,000) but opens on the last 100: its trials pass through
  ``window.__tftuneLast``, which past ``max(max_lines, 100)`` keeps that many last ones and
  every running or waiting one, in trial order (so the last 100 it opens on are the newest),
  and shows a notice saying so (notices of two plots stack).
* **Large scatter plots are drawn with WebGL.** The history, slice and rank plots draw one SVG
  shape per trial (at 10,000 trials over a second each, most of it styling each point); past
  ``WEBGL_ABOVE`` trials (``_limits``) their point traces are plotly's ``scattergl`` (the same
  points, colours and hover texts on one canvas), and a notice says so and how to keep them
  SVG (``--webgl-above``). The rank plot's ranks, quadratic in the
  trials in the bundle, are computed in one pass (``window.__tftuneRanks``, the same numbers).

* **A plot is drawn once for the same data.** The app draws each plot from an effect that
  runs again whenever its component renders with new objects (a new array of the same
  trials, a new empty theme, the page's graph state moving on): at 10,000 trials the smart
  selection page drew its parallel coordinates (three WebGL layers, about 2 s of software
  WebGL) and its history plot twice, and the analytics page its slice, rank and EDF plots
  twice, the second time while the next page waited. The parallel coordinates', history,
  slice, rank and EDF draws pass through ``window.__tftuneOnce``: a draw whose arguments
  equal those of the last draw on the same element (the same objects, or arrays and plain
  objects holding equal ones) is skipped and the plot left as it is; a new element or any
  changed argument (new trials, a dimension left out, another axis) is drawn.

If the bundle is not optuna-dashboard 0.21.0's (a patched text is not found once) it is
served unchanged: every trial is drawn, as SVG, and every poll and render draws again.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tftune.dashboard._limits import WEBGL_ABOVE

StartResponse = Callable[..., Any]

SCRIPT_PATH = "/static/tftune-dashboard.js"
BUNDLE_PATH = "/static/bundle.js"
#: the page names the script and the bundle with their ETag (``?v=``): a browser keeps them
#: this long without asking again, and a changed file comes under a new name
VERSIONED_MAX_AGE_S = 7 * 24 * 3600
PLOT_ID = "plot-parallel-coordinate"
#: the timeline's element id, and the bundle's name for it (checked in ``patch_bundle``)
TIMELINE_ID, TIMELINE_VAR = "graph-timeline", "Ib"
#: what a patched scatter trace's type becomes: the script's choice for its trial count
_SCATTER = '(window.__tftuneScatter||(()=>"scatter"))'
#: a plot's draw with the arguments of its last draw on the same element is skipped
_ONCE = "(window.__tftuneOnce||((p,a,d)=>d()))"
#: the plots whose point traces are patched, by their element ids (their notices' keys)
HISTORY_ID, SLICE_ID, RANK_ID = "plot-history", "plot-slice", "graph-rank"
#: the bundle's text (0.21.0) -> what it becomes: the trials its parallel coordinates draw pass
#: through the cap; its flag of a study's poll in flight is a plain object, not React state
#: (every component of the page drew again when a poll began and when it ended)
PATCHES: tuple[tuple[str, str], ...] = (
    ("f=lv(e,d,!1,i,a)", f'f=(window.__tftuneCap||((p,t)=>t))("{PLOT_ID}",lv(e,d,!1,i,a),e)'),
    (
        "updateStudyDetail:r=>{if(d[r])return;p(M_(C_({},d),{[r]:!0}));",
        "updateStudyDetail:r=>{const __tb=window.__tftuneBusy=window.__tftuneBusy||{};"
        "if(__tb[r])return;__tb[r]=!0;",
    ),
    ("p(M_(C_({},d),{[r]:!1}));const t=r in i?", "window.__tftuneBusy[r]=!1;const t=r in i?"),
    (
        "p(M_(C_({},d),{[r]:!1}));const i=null==(n=e.response)",
        "window.__tftuneBusy[r]=!1;const i=null==(n=e.response)",
    ),
    *(
        (old.replace("@", '"scatter"'), old.replace("@", f'{_SCATTER}("{plot}",{count})'))
        for old, plot, count in (
            # the history plot's feasible, infeasible and unselected trials (of study r)
            ('mode:"markers",type:@,text:o.map(e=>pb(e))', HISTORY_ID, "r.trials.length"),
            ('mode:"markers",type:@,text:l.map(e=>pb(e))', HISTORY_ID, "r.trials.length"),
            ('mode:"markers",type:@,text:n.map(e=>pb(e))', HISTORY_ID, "r.trials.length"),
            # the slice plot's infeasible and feasible trials (of e)
            ("h=[{type:@,x:p,y:u,", SLICE_ID, "e.length"),
            ('{type:@,x:d,y:c,mode:"markers",name:"Feasible Trial"', SLICE_ID, "e.length"),
            # the rank plot's infeasible and feasible trials (of n, the x values)
            ("a=[{type:@,x:n.filter((t,r)=>!e.is_feasible[r])", RANK_ID, "n.length"),
            ("{type:@,x:n.filter((t,r)=>e.is_feasible[r])", RANK_ID, "n.length"),
        )
    ),
    # the timeline's trials (e) pass through the cap of the last max_lines (and the active)
    (
        f"Lb=(e,t)=>{{if(null===document.getElementById({TIMELINE_VAR}))return;",
        f'Lb=(e,t)=>{{e=(window.__tftuneLast||((p,e)=>e))("{TIMELINE_ID}",e);'
        f"if(null===document.getElementById({TIMELINE_VAR}))return;",
    ),
    # the parallel coordinates and the history plot are drawn from effects that run at every
    # render of their component (their arguments are new objects each time): the same
    # arguments as the last draw on the same element leave the plot as it is
    (
        "if(qb(e,f,d,p,u)?.then(l),o){",
        f'if({_ONCE}("{PLOT_ID}",[e,f,d,p,u],()=>qb(e,f,d,p,u))?.then(l),o){{',
    ),
    (
        "vb(k,w,h,void 0===t?m:t,p,b)?.then(u);",
        f'{_ONCE}("{HISTORY_ID}",[k,w,h,void 0===t?m:t,p,b],()=>vb(k,w,h,void 0===t?m:t,p,b))'
        "?.then(u);",
    ),
    # the slice, rank and EDF plots: the same, drawn again when the page's graph state changes
    (
        '"componentWillMount"!==i&&Mb(b,c,h,d.find(e=>e.name===h?.key)||null,m,s)?.then(a)',
        f'"componentWillMount"!==i&&{_ONCE}("{SLICE_ID}",[b,c,h,d,m,s],'
        "()=>Mb(b,c,h,d.find(e=>e.name===h?.key)||null,m,s))?.then(a)",
    ),
    (
        "const t=LE(e,s,u,p);null==(r=NE(t,o))||r.then(i)",
        f'null==(r={_ONCE}("{RANK_ID}",[e,s,u,p,o],()=>NE(LE(e,s,u,p),o)))||r.then(i)',
    ),
    ("gv(p,u,c,l)?.then(o)", f"{_ONCE}(c,[p,u,l],()=>gv(p,u,c,l))?.then(o)"),
    # the rank plot's ranks: an indexOf and a lastIndexOf in the sorted values for each value
    # (quadratic: 10,000 trials, 10^8 steps) become one pass over the sorted values
    (
        "DE=e=>{const t=e.slice().sort((e,t)=>e-t),r=[];",
        "DE=e=>{if(window.__tftuneRanks)return window.__tftuneRanks(e);"
        "const t=e.slice().sort((e,t)=>e-t),r=[];",
    ),
)
#: the page's tag that loads the app: the script goes before it
BUNDLE_TAG = b'<script defer src="/static/bundle.js"></script>'

SCRIPT = """/* tftune dashboard: see tftune.dashboard._front_end */
(function () {
  "use strict";
  var MAX_LINES = %(max_lines)d;
  var WEBGL_ABOVE = %(webgl_above)d;
  var ROUTE = /\\/api\\/studies\\/([0-9]+)\\?after=([0-9]+)$/;
  var realFetch = window.fetch.bind(window);
  var taken = {};
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var method = (init && init.method) || (typeof input === "object" && input.method) || "GET";
    var match = ROUTE.exec(String(url));
    var sent = realFetch(input, init);
    if (match === null || String(method).toUpperCase() !== "GET") { return sent; }
    return sent.then(function (response) {
      var tag = response.headers.get("ETag");
      if (!response.ok || !tag) { return response; }
      var seen = taken[match[1]];
      taken[match[1]] = tag;
      if (seen !== tag) { return response; }
      if (response.body) { response.body.cancel().catch(function () {}); }
      return new Response('{"tftune": "unchanged"}', {
        status: 412, statusText: "unchanged (tftune: nothing new to draw)",
        headers: {"Content-Type": "application/json"}});
    });
  };

  var capped = new WeakMap(), notices = {};
  var NAMES = {"plot-history": "History plot", "plot-slice": "Slice plot",
    "graph-rank": "Rank plot"};
  function number(n) { return n.toLocaleString("en-US"); }
  function choose(trials, study) {
    var n = trials.length, sign = 1, i;
    if (study && study.directions && study.directions[0] === "maximize") { sign = -1; }
    var ranked = [];
    for (i = 0; i < n; i++) {
      var v = trials[i].values;
      if (v && typeof v[0] === "number" && v[0] === v[0]) { ranked.push(i); }
    }
    ranked.sort(function (a, b) {
      return sign * (trials[a].values[0] - trials[b].values[0]) || a - b; });
    var best = Math.min(Math.floor(MAX_LINES / 5), ranked.length);
    var keep = new Uint8Array(n), rest = [];
    for (i = 0; i < best; i++) { keep[ranked[i]] = 1; }
    for (i = 0; i < n; i++) { if (!keep[i]) { rest.push(i); } }
    var room = MAX_LINES - best;
    for (i = 0; i < room; i++) { keep[rest[Math.floor(i * rest.length / room)]] = 1; }
    var drawn = trials.filter(function (_, index) { return keep[index] === 1; });
    var text = "Parallel coordinates: " + number(drawn.length) + " of " + number(n) +
      " trials drawn, the " + number(best) + " best (first objective) and " +
      number(drawn.length - best) + " spread evenly over the rest (limit " +
      number(MAX_LINES) + "; `tftune dashboard --max-lines 0` draws every trial). " +
      "The trial table lists all " + number(n) + "; a range selected on the plot picks " +
      "among the drawn lines.";
    return {trials: drawn, notice: text};
  }
  window.__tftuneCap = function (plotId, trials, study) {
    if (!MAX_LINES || !Array.isArray(trials) || trials.length <= MAX_LINES) {
      notices[plotId] = null;
      return trials;
    }
    var known = capped.get(trials);
    if (known === undefined) { known = choose(trials, study); capped.set(trials, known); }
    notices[plotId] = known.notice;
    setTimeout(show, 0);
    return known.trials;
  };
  var latest = new WeakMap(), ACTIVE = {Running: 1, Waiting: 1};
  function last(trials, keep) {
    var n = trials.length, from = n - keep;
    var drawn = trials.filter(function (t, i) { return i >= from || ACTIVE[t.state] === 1; });
    var text = "Timeline: " + number(drawn.length) + " of " + number(n) + " trials drawn, " +
      "the last " + number(keep) + " and every running or waiting one (limit " +
      number(MAX_LINES) + ", at least the 100 it opens on; `tftune dashboard --max-lines 0` " +
      "draws every trial). It opens on the last 100, as before.";
    return {trials: drawn, notice: text};
  }
  window.__tftuneLast = function (plotId, trials) {
    var keep = Math.max(MAX_LINES, 100);  /* the app opens on the last 100 (e.slice(-100)) */
    if (!MAX_LINES || !Array.isArray(trials) || trials.length <= keep) {
      notices[plotId] = null;
      return trials;
    }
    var known = latest.get(trials);
    if (known === undefined) { known = last(trials, keep); latest.set(trials, known); }
    notices[plotId] = known.notice;
    setTimeout(show, 0);
    return known.trials;
  };
  function show() {
    var bottom = 16;
    Object.keys(notices).forEach(function (plotId) {
      var id = "tftune-notice-" + plotId, box = document.getElementById(id);
      var text = document.getElementById(plotId) ? notices[plotId] : null;
      if (!text) { if (box) { box.hidden = true; } return; }
      if (!box) {
        box = document.createElement("div");
        box.id = id;
        box.setAttribute("role", "status");
        box.style.cssText = "position:fixed;left:16px;bottom:16px;z-index:2000;" +
          "max-width:720px;padding:8px 12px;background:#fff8e1;color:#333;" +
          "border:1px solid #e0b000;border-radius:4px;font:14px sans-serif";
        document.body.appendChild(box);
      }
      if (box.textContent !== text) { box.textContent = text; }
      box.hidden = false;
      box.style.bottom = bottom + "px";  // notices of two plots one above the other
      bottom += box.offsetHeight + 8;
    });
  }
  setInterval(show, 500);

  window.__tftuneScatter = function (plotId, n) {
    var webgl = n > WEBGL_ABOVE;
    notices[plotId] = webgl ? NAMES[plotId] + ": " + number(n) + " trials drawn with WebGL " +
      "(scattergl: the same points on one canvas), as there are more than " +
      number(WEBGL_ABOVE) + " (`tftune dashboard --webgl-above " + String(n) +
      "` or more draws them as SVG)." : null;
    setTimeout(show, 0);
    return webgl ? "scattergl" : "scatter";
  };
  /* the app draws a plot from an effect that runs at every render of its component, with
     new arrays and objects each time: a draw whose arguments equal those of the last draw on
     the same element (the same objects, or arrays and plain objects holding equal ones) is
     skipped, the plot left as it is; a new element, or any changed argument, is drawn */
  var drawnWith = new WeakMap();
  function plain(v) {
    if (v === null || typeof v !== "object") { return false; }
    var proto = Object.getPrototypeOf(v);
    return Array.isArray(v) || proto === Object.prototype || proto === null;
  }
  function same(a, b, depth) {
    if (a === b || (typeof a === "number" && a !== a && typeof b === "number" && b !== b)) {
      return true;
    }
    if (depth > 8 || !plain(a) || !plain(b) || Array.isArray(a) !== Array.isArray(b)) {
      return false;
    }
    var i;
    if (Array.isArray(a)) {
      if (a.length !== b.length) { return false; }
      for (i = 0; i < a.length; i++) { if (!same(a[i], b[i], depth + 1)) { return false; } }
      return true;
    }
    var keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) { return false; }
    for (i = 0; i < keys.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(b, keys[i]) ||
          !same(a[keys[i]], b[keys[i]], depth + 1)) { return false; }
    }
    return true;
  }
  window.__tftuneOnce = function (plotId, args, draw) {
    var element = document.getElementById(plotId);
    if (element === null) { return draw(); }
    var last = drawnWith.get(element);
    if (last !== undefined && element.data && same(args, last, 0)) { return undefined; }
    drawnWith.set(element, args);
    return draw();
  };
  /* the app's ranks (ties: the mean of their first and last index in the sorted values, as
     indexOf and lastIndexOf find them: NaN matches nothing), in one pass */
  window.__tftuneRanks = function (values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var first = new Map(), last = new Map(), i;
    for (i = 0; i < sorted.length; i++) {
      if (!first.has(sorted[i])) { first.set(sorted[i], i); }
      last.set(sorted[i], i);
    }
    return values.map(function (v) {
      var n = v === v ? first.get(v) : -1, m = v === v ? last.get(v) : -1;
      return (n + m) * (m - n + 1) / 2 / (m - n + 1);
    });
  };
})();
"""


def script(max_lines: int, webgl_above: int = WEBGL_ABOVE) -> bytes:
    """The script the dashboard's page loads before the app (``max_lines``: 0, no limit;
    past ``webgl_above`` trials, at least 1, the scatter plots are WebGL)."""
    return (SCRIPT % {"max_lines": max_lines, "webgl_above": webgl_above}).encode()


def patch_bundle(text: str) -> str | None:
    """The app's bundle with ``PATCHES`` made; None (serve it as it is) unless each text is
    found exactly once (and the first just after the parallel coordinates' id)."""
    at = text.find(PATCHES[0][0])
    if f'"{PLOT_ID}"' not in text[max(0, at - 800) : max(0, at)]:
        return None
    if text.count(f'{TIMELINE_VAR}="{TIMELINE_ID}"') != 1:
        return None
    for old, new in PATCHES:
        if text.count(old) != 1:
            return None
        text = text.replace(old, new)
    return text


def etag(body: bytes) -> str:
    """A strong ETag for ``body``."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


_BUILT: dict[tuple[Path, float], tuple[bytes, bytes, str, bool]] = {}
_BUILD_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


def _served_bundle(path: Path) -> tuple[bytes, bytes, str, bool]:
    """``path``'s bundle patched (or as it is), gzipped, its ETag, whether it was patched;
    made once per process while the file is unchanged (a few seconds of a core)."""
    key = (path, path.stat().st_mtime)
    with _BUILD_LOCK:
        made = _BUILT.get(key)
        if made is None:
            text = path.read_text(encoding="utf-8")
            patched = patch_bundle(text)
            if patched is None:
                _LOG.warning(
                    "%s is not optuna-dashboard 0.21.0's front end: it is served unpatched, so "
                    "polls redraw every plot, --max-lines and --webgl-above do not apply "
                    "(scatter plots stay SVG) and the rank plot's ranks stay quadratic in the "
                    "trials",
                    path,
                )
            plain = (patched if patched is not None else text).encode("utf-8")
            packed = gzip.compress(plain, compresslevel=6, mtime=0)
            made = _BUILT[key] = (plain, packed, etag(plain), patched is not None)
        return made


def _wants_gzip(environ: dict[str, Any]) -> bool:
    return "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")


class FrontEnd:
    """Serves the script, the patched bundle and the page that loads the script (thread-safe);
    ``answer`` returns None for any other request."""

    def __init__(self, max_lines: int, bundle: Path, *, webgl_above: int = WEBGL_ABOVE) -> None:
        self.max_lines = max_lines
        self._bundle_file = bundle
        self._script = script(max_lines, webgl_above)

    def bundle(self) -> tuple[bytes, bytes, str]:
        """The bundle as served: plain, gzipped, its ETag (made once per process and file)."""
        return _served_bundle(self._bundle_file)[:3]

    def answer(
        self, environ: dict[str, Any], start_response: StartResponse, app: Any
    ) -> Iterable[bytes] | None:
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        path = environ.get("PATH_INFO", "")
        if path == SCRIPT_PATH:
            return self._send(environ, start_response, self._script, None, "text/javascript")
        if path == BUNDLE_PATH:
            plain, packed, _ = self.bundle()
            return self._send(environ, start_response, plain, packed, "application/javascript")
        if path == "/dashboard" or path.startswith("/dashboard/"):
            return self._page(environ, start_response, app)
        return None

    def _send(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        plain: bytes,
        packed: bytes | None,
        content_type: str,
    ) -> list[bytes]:
        tag = etag(plain) if packed is None else self.bundle()[2]
        versioned = environ.get("QUERY_STRING", "") == "v=" + tag.strip('"')
        keep = f"max-age={VERSIONED_MAX_AGE_S}, immutable" if versioned else "no-cache"
        headers = [("ETag", tag), ("Cache-Control", keep), ("Vary", "Accept-Encoding")]
        if environ.get("HTTP_IF_NONE_MATCH") == tag:
            start_response("304 Not Modified", headers)
            return []
        body = plain
        if packed is not None and _wants_gzip(environ):
            body = packed
            headers.append(("Content-Encoding", "gzip"))
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body]

    def _page(
        self, environ: dict[str, Any], start_response: StartResponse, app: Any
    ) -> list[bytes]:
        """optuna-dashboard's page (its headers, its CSP) with the script's tag added."""
        caught: dict[str, Any] = {}

        def catch(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            caught["status"], caught["headers"] = status, headers
            return lambda data: None

        answer = app(dict(environ, HTTP_IF_MODIFIED_SINCE=""), catch)
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        status, headers = caught["status"], caught["headers"]
        if status.startswith("200") and BUNDLE_TAG in body:
            script_v, bundle_v = etag(self._script).strip('"'), self.bundle()[2].strip('"')
            tags = (
                f'<script src="{SCRIPT_PATH}?v={script_v}"></script>'
                f'<script defer src="{BUNDLE_PATH}?v={bundle_v}"></script>'
            )
            body = body.replace(BUNDLE_TAG, tags.encode(), 1)
            headers = [
                (k, v)
                for k, v in headers
                if k.lower() not in ("content-length", "last-modified", "etag")
            ]
            headers += [("Content-Length", str(len(body))), ("Cache-Control", "no-cache")]
        start_response(status, headers)
        return [body]
