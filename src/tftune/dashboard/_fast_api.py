"""optuna-dashboard's study route, ``GET /api/studies/<id>``, answered fast and the same.

Every page of a study asks this route for the whole study (then, while it polls, for the
trials from the first unfinished one on: ``?after=``). optuna-dashboard builds each answer in
Python from every trial: at 10,000 trials about 15 MB of JSON and 2 s of a core, plus 1.3 s to
derive the search spaces from every trial again (``_search_spaces``), on every request; polls
that overlap build it again side by side. ``StudyDetailApi`` wraps optuna-dashboard's WSGI app
and answers this one route itself: the study's fields from optuna-dashboard's own functions,
each trial's JSON text kept while the trial is unchanged (``_trial_json``), the search spaces
fed each finished trial once, one build at a time per study (a poll that waits finds the texts
made), gzip when the browser takes it (15 MB to 1.2 MB). Anything unusual (a bad ``after``, an
unknown study, a preferential study, any other route or method) goes to optuna-dashboard's own
handler. An answer is the one a freshly started optuna-dashboard gives for the trials as they
are now, byte for byte (the tests compare them) but for the order of a merged categorical's
choices, which optuna-dashboard takes from a set, and for the constraints set by name, which
it leaves out (``_trial_json``); optuna-dashboard reuses its read of the
trials for up to 10 s, this route reads the storage (the adapter's incremental read) each time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import optuna
import optuna_dashboard
from optuna.trial import FrozenTrial, TrialState
from optuna_dashboard._custom_plot_data import get_plotly_graph_objects
from optuna_dashboard._pareto_front import get_pareto_front_trials
from optuna_dashboard._serializer import serialize_study_detail
from optuna_dashboard._storage import get_study
from optuna_dashboard.preferential._study import _SYSTEM_ATTR_PREFERENTIAL_STUDY

from tftune.dashboard._curves import DEFAULT_MAX_CURVES, apply_limit, check_max_curves
from tftune.dashboard._front_end import FrontEnd
from tftune.dashboard._limits import (
    DEFAULT_MAX_LINES,
    WEBGL_ABOVE,
    check_limit,
    check_webgl_above,
)
from tftune.dashboard._search_spaces import SearchSpaces
from tftune.dashboard._trial_json import TrialTexts

BUNDLE_FILE = Path(optuna_dashboard.__file__).parent / "public" / "bundle.js"
_ROUTE = re.compile(r"/api/studies/([0-9]+)/*")
_DIGITS = re.compile(r"[0-9]+")
#: smaller answers go uncompressed (gzip would cost more than it saves)
GZIP_MIN_BYTES = 16 * 1024
GZIP_LEVEL = 1  # 10,000 trials: 15 MB of JSON to about 1.5 MB in a tenth of a second

StartResponse = Callable[..., Any]


class _Study:
    """What is kept of one study between answers."""

    def __init__(self, study_id: int, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.first_trial_id: int | None = None
        self.reset(study_id)

    def reset(self, study_id: int) -> None:
        """Forget every trial kept (call with ``lock`` held)."""
        self.texts = TrialTexts(study_id)
        self.extra = SearchSpaces()
        self._pareto: tuple[list[FrozenTrial], list[FrozenTrial]] | None = None

    def pareto_front(
        self, trials: list[FrozenTrial], directions: list[optuna.study.StudyDirection]
    ) -> list[FrozenTrial]:
        """optuna-dashboard's Pareto front (of the COMPLETE trials: quadratic in them past two
        objectives), made again only when a COMPLETE trial changed (call with ``lock`` held)."""
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        known = self._pareto
        if (
            known is not None
            and len(known[0]) == len(complete)
            and all(a is b for a, b in zip(known[0], complete, strict=True))
        ):
            return known[1]
        front: list[FrozenTrial] = get_pareto_front_trials(trials=complete, directions=directions)
        self._pareto = (complete, front)
        return front


class StudyDetailApi:
    """optuna-dashboard's WSGI ``app`` over ``storage``, with ``GET /api/studies/<id>``
    answered from kept trial texts (thread-safe); past ``max_curves`` lines (0: no limit) the
    intermediate-values plot is left out and said so (``_curves``); the page, the app's
    bundle and tftune's script come from ``FrontEnd`` (past ``max_lines`` trials, 0: no limit,
    the parallel coordinates draw a sample; unchanged answers are not drawn again; past
    ``webgl_above`` trials, at least 1, the scatter plots are drawn with WebGL)."""

    def __init__(
        self,
        app: Any,
        storage: optuna.storages.BaseStorage,
        *,
        max_curves: int = DEFAULT_MAX_CURVES,
        max_lines: int = DEFAULT_MAX_LINES,
        webgl_above: int = WEBGL_ABOVE,
    ) -> None:
        self.app = app
        self.storage = storage
        self.max_curves = check_max_curves(max_curves)
        self.max_lines = check_limit("max_lines", max_lines)
        webgl_above = check_webgl_above(webgl_above)
        self.front_end = FrontEnd(self.max_lines, BUNDLE_FILE, webgl_above=webgl_above)
        self._studies: dict[int, _Study] = {}
        self._lock = threading.Lock()
        self._packed: dict[int, tuple[bytes, bytes]] = {}  # study: its last large answer, gzipped

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            match = _ROUTE.fullmatch(environ.get("PATH_INFO", ""))
            after = _after(environ.get("QUERY_STRING", ""))
            if match is not None and after is not None:
                study_id = int(match.group(1))
                answer = self.study_answer(study_id, after)
                if answer is not None:
                    return self._respond(study_id, *answer, environ, start_response)
        served = self.front_end.answer(environ, start_response, self.app)
        if served is not None:
            return served
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

    def warm(self) -> None:
        """Build every study's trial texts now (a server calls it from a thread as it starts,
        so that the first page finds them made), and the app's bundle as served."""
        self.front_end.bundle()
        for study in self.storage.get_all_studies():
            self.study_detail(study._study_id, 0)

    def study_detail(self, study_id: int, after: int) -> bytes | None:
        """The route's JSON for ``study_id`` with the trials from index ``after`` on; None
        where optuna-dashboard's own handler should answer (unknown or preferential study)."""
        answer = self.study_answer(study_id, after)
        return None if answer is None else answer[0]

    def study_answer(self, study_id: int, after: int) -> tuple[bytes, str] | None:
        """``study_detail``'s JSON and its ETag: a hash of the study's fields and of every
        trial's text, not only those from ``after`` on, so that it names the state a page
        holds once it has taken the answer (the same for every ``after``); the trials' part
        is ``TrialTexts``' running digest (each finished trial's text hashed once)."""
        study = get_study(self.storage, study_id)
        if study is None:
            return None
        system_attrs: dict[str, Any] = study.system_attrs
        if system_attrs.get(_SYSTEM_ATTR_PREFERENTIAL_STUDY, False):
            return None
        kept = self._kept(study_id, study.study_name)
        with kept.lock:
            trials = self.storage.get_all_trials(study_id, deepcopy=False)
            first = trials[0]._trial_id if trials else None
            if first != kept.first_trial_id:  # new, or deleted and made again under its id
                kept.reset(study_id)
                kept.first_trial_id = first
            if len(study.directions) == 1:
                complete = any(t.state == TrialState.COMPLETE for t in trials)
                best_trials = [self.storage.get_best_trial(study_id)] if complete else []
            else:
                best_trials = kept.pareto_front(trials, study.directions)
            intersection, union, union_user_attrs, has_intermediate_values = kept.extra.update(
                trials
            )
            detail = serialize_study_detail(
                study,
                best_trials,
                [],
                intersection,
                union,
                union_user_attrs,
                has_intermediate_values,
                get_plotly_graph_objects(system_attrs),
                [],  # skipped trials: only in a preferential study's answer
            )
            apply_limit(detail, trials, self.max_curves)
            every = kept.texts.texts(trials, system_attrs)
            trials_digest = kept.texts.digest()
        texts = every[after:]
        parts = []
        state = hashlib.blake2b(digest_size=16)
        for key, value in detail.items():
            if key == "trials":
                text = "[" + ", ".join(texts) + "]"
                state.update(b"trials " + trials_digest + b"\n")
            else:
                text = json.dumps(value)
                state.update(json.dumps(key).encode() + text.encode() + b"\n")
            parts.append(json.dumps(key) + ": " + text)
        return ("{" + ", ".join(parts) + "}").encode(), f'"{state.hexdigest()}"'

    def _respond(
        self,
        study_id: int,
        body: bytes,
        tag: str,
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> list[bytes]:
        # the browser revalidates (no-cache): 304 for the answer it holds
        headers = [("ETag", tag), ("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")]
        if environ.get("HTTP_IF_NONE_MATCH") == tag:
            start_response("304 Not Modified", headers)
            return []
        headers.insert(0, ("Content-Type", "application/json"))
        if len(body) >= GZIP_MIN_BYTES and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            with self._lock:
                packed = self._packed.get(study_id)
            if packed is None or packed[0] != body:  # the same answer as last time: its gzip
                packed = (body, gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
                with self._lock:
                    self._packed[study_id] = packed
            body = packed[1]
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [body]

    def _kept(self, study_id: int, name: str) -> _Study:
        with self._lock:
            kept = self._studies.get(study_id)
            if kept is None or kept.name != name:
                kept = self._studies[study_id] = _Study(study_id, name)
            return kept


def _after(query: str) -> int | None:
    """The ``after`` of a query string (0 without one); None if it is not a plain number
    (optuna-dashboard answers those itself: 400 or 500)."""
    values = parse_qs(query, keep_blank_values=True).get("after")
    if values is None:
        return 0
    value = values[-1]
    return int(value) if _DIGITS.fullmatch(value) else None
