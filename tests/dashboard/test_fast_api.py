"""The fast study route: the same answer as optuna-dashboard's own, byte for byte and field by
field, on studies with every field kind; fresh after changes; unusual requests left to it."""

from __future__ import annotations

import gzip
import io
import json
import math
import urllib.request
from pathlib import Path
from typing import Any

import optuna_dashboard
import pytest
from dashboard_studies import HTML_STUDY

import tftune
from tftune.dashboard import DashboardServer
from tftune.dashboard._adapter import OptunaView
from tftune.dashboard._fast_api import GZIP_MIN_BYTES, StudyDetailApi
from tftune.dashboard._server import make_app
from tftune.storages import RDBStorage

CHOICES = [1, 1.5, "a", None, False]


def _call(
    app: Any, path: str, query: str = "", method: str = "GET", body: Any = None, **headers: str
) -> tuple[str, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    seen: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], _: Any = None
    ) -> None:
        seen["status"], seen["headers"] = status, dict(response_headers)

    answer = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], answer


def _theirs(storage: RDBStorage) -> Any:
    """optuna-dashboard's own app over the same adapter, made fresh (its trials cache empty)."""
    return optuna_dashboard.wsgi(OptunaView(storage))


def _normalised(detail: dict[str, Any]) -> dict[str, Any]:
    """The answer with a merged categorical's choices sorted: optuna-dashboard takes them from a
    set (their order follows Python's hash seed and the order the trials were fed)."""
    for key in ("intersection_search_space", "union_search_space"):
        for entry in detail[key]:
            distribution = entry["distribution"]
            if distribution["type"] == "CategoricalDistribution":
                distribution["choices"].sort(key=lambda c: (c["pytype"], c["value"]))
    return detail


def _assert_same(ours: bytes, theirs: bytes) -> None:
    """Field by field (the first difference named), then byte for byte up to the order of a
    merged categorical's choices (see ``_normalised``)."""
    mine, reference = _normalised(json.loads(ours)), _normalised(json.loads(theirs))
    assert list(mine) == list(reference)
    for key in reference:
        if key == "trials":
            assert len(mine[key]) == len(reference[key])
            for a, b in zip(mine[key], reference[key], strict=True):
                for field in b:
                    assert a[field] == b[field], (b["number"], field)
                assert list(a) == list(b)
        else:
            assert mine[key] == reference[key], key
    assert json.dumps(mine) == json.dumps(reference)  # every key in the same order
    assert json.dumps(json.loads(ours)).encode() == ours  # written as optuna-dashboard's bottle
    assert json.dumps(json.loads(theirs)).encode() == theirs  # writes it


def _build_edges(storage: RDBStorage) -> int:
    """Infinite and NaN values, a constraint, fixed params, attrs of every JSON kind, a
    categorical of mixed types, and a trial and a study note; returns the study id."""
    study = tftune.create_study(study_name="edges", storage=storage)
    study_id = storage.get_study_id_from_name("edges")

    def suggest(trial: tftune.Trial) -> None:
        trial.suggest_float("x", -1, 1)
        trial.suggest_categorical("c", CHOICES)

    first = study.ask()
    suggest(first)
    for step, value in enumerate([math.nan, math.inf, -math.inf, 0.25]):
        first.report(value, step)
    for key, value in {"n": 3, "f": 0.5, "b": True, "s": "text", "long": list(range(600))}.items():
        first.set_user_attr(key, value)
    trial_id = storage.get_trial_id_from_number(study_id, first.number)
    storage.set_trial_attr(trial_id, "constraints", [0.5, -1.0], system=True)
    study.tell(first, math.inf)
    study.enqueue_trial({"x": 0.5, "c": "a"})
    for value in (-math.inf, 0.1):
        trial = study.ask()
        suggest(trial)
        study.tell(trial, value)
    return study_id


@pytest.fixture
def storage(studies_copy: Path):
    opened = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)
    yield opened
    opened.close()


def test_every_study_and_after_answers_as_optuna_dashboard(storage):
    _build_edges(storage)
    app = make_app(storage)
    assert isinstance(app, StudyDetailApi)
    names = [s.study_name for s in storage.get_all_studies()]
    assert names == ["mixed", "two-goals", HTML_STUDY, "edges"]
    for study_id in (1, 2, 3, 4):
        for query in ("", "after=0", "after=1", "after=3", "after=14", "after=500"):
            status, headers, ours = _call(app, f"/api/studies/{study_id}", query)
            reference = _call(_theirs(storage), f"/api/studies/{study_id}", query)
            assert (status, headers["Content-Type"]) == (reference[0], "application/json")
            _assert_same(ours, reference[2])
    edges = json.loads(_call(app, "/api/studies/4")[2])["trials"]
    assert edges[0]["intermediate_values"][:3] == [
        {"step": 0, "value": "nan"},
        {"step": 1, "value": "inf"},
        {"step": 2, "value": "-inf"},
    ]
    assert [t["values"] for t in edges] == [["inf"], ["-inf"], [0.1]]
    assert edges[0]["constraints"] == [0.5, -1.0]
    assert edges[1]["fixed_params"] == [
        {"name": "x", "param_external_value": "0.5"},
        {"name": "c", "param_external_value": "a"},
    ]


def test_answers_follow_new_trials_notes_and_finished_trials(storage, studies_copy):
    writable = make_app(storage, allow_write=True)
    first = _call(writable, "/api/studies/1")[2]
    _assert_same(first, _call(_theirs(storage), "/api/studies/1")[2])
    running = json.loads(first)["trials"][13]
    assert running["state"] == "Running"

    note = {"version": 1, "body": "study note"}
    status, _, _ = _call(writable, "/api/studies/1/note", method="PUT", body=note)
    assert status == "204 No Content"
    path = f"/api/studies/1/{running['trial_id']}/note"
    status, _, _ = _call(writable, path, method="PUT", body={"version": 1, "body": "trial note"})
    assert status == "204 No Content"
    storage.set_trial_state_values(running["trial_id"], tftune.trial.TrialState.COMPLETE, [0.5])
    study = tftune.load_study(study_name="mixed", storage=storage)
    trial = study.ask()
    trial.suggest_float("lr", 1e-3, 1e-2, log=True)
    trial.suggest_categorical("new", ["p", "q"])
    study.tell(trial, 0.01)

    _call(writable, "/api/studies/2")  # its Pareto front kept, then a trial that changes it
    two = tftune.load_study(study_name="two-goals", storage=storage)
    two.enqueue_trial({"x": 0.0, "y": 9})  # after the WAITING one the study holds
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("y", 0, 9)), n_trials=2)
    for study_id, query in ((1, ""), (1, "after=13"), (2, "")):
        ours = _call(writable, f"/api/studies/{study_id}", query)[2]
        _assert_same(ours, _call(_theirs(storage), f"/api/studies/{study_id}", query)[2])
    assert {"x": 0.0, "y": 9} in [
        {p["name"]: json.loads(p["param_external_value"]) for p in t["params"]}
        for t in json.loads(_call(writable, "/api/studies/2")[2])["best_trials"]
    ]
    detail = json.loads(_call(writable, "/api/studies/1")[2])
    assert detail["note"] == {"version": 1, "body": "study note"}
    assert detail["trials"][13]["note"] == {"version": 1, "body": "trial note"}
    assert [t["state"] for t in detail["trials"][13:]] == ["Complete", "Complete"]
    assert "new" in [p["name"] for p in detail["union_search_space"]]


def test_unusual_requests_are_answered_by_optuna_dashboard(storage):
    app = make_app(storage)
    theirs = _theirs(storage)
    for path, query in [
        ("/api/studies/1", "after=-1"),
        ("/api/studies/1", "after=x"),
        ("/api/studies/99", ""),
        ("/api/studies/-1", ""),
        ("/api/studies", ""),
        ("/api/studies/1/param_importances", ""),
    ]:
        assert _call(app, path, query) == _call(theirs, path, query), (path, query)
    assert _call(app, "/api/studies/1", "after=-1")[0].startswith("400")
    assert json.loads(_call(app, "/api/studies/99")[2]) == {"reason": "study_id=99 is not found"}


def detail_trial_id(answer: bytes, index: int) -> int:
    """The trial id of the answer's trial at ``index``."""
    trial_id: int = json.loads(answer)["trials"][index]["trial_id"]
    return trial_id


def test_large_answers_are_gzipped_for_a_browser_that_takes_it(storage):
    app = make_app(storage)
    _, plain_headers, plain = _call(app, "/api/studies/1")
    assert len(plain) >= GZIP_MIN_BYTES and "Content-Encoding" not in plain_headers
    _, headers, packed = _call(app, "/api/studies/1", Accept_Encoding="gzip, deflate")
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert headers["Content-Length"] == str(len(packed)) and len(packed) < len(plain) / 3
    assert gzip.decompress(packed) == plain
    assert _call(app, "/api/studies/1", Accept_Encoding="gzip")[2] == packed  # kept, the same
    storage.set_trial_state_values(
        detail_trial_id(plain, 13), tftune.trial.TrialState.COMPLETE, [0.5]
    )  # the answer changes: so does its gzip
    changed = gzip.decompress(_call(app, "/api/studies/1", Accept_Encoding="gzip")[2])
    assert changed == _call(app, "/api/studies/1")[2] != plain
    _, small_headers, small = _call(app, "/api/studies/1", "after=13", Accept_Encoding="gzip")
    assert "Content-Encoding" not in small_headers and json.loads(small)["trials"]


def test_the_server_warms_its_answers_and_serves_them_over_http(studies_copy):
    server = DashboardServer(f"sqlite:///{studies_copy}", port=0).start()
    try:
        url = server.url.replace("/dashboard", "/api/studies/1?after=0")
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            detail = json.loads(gzip.decompress(response.read()))
        assert [t["number"] for t in detail["trials"]] == list(range(14))
    finally:
        server.stop()


def _optuna_trial(number: int, state: str, attrs: dict[str, Any], **params: Any) -> Any:
    import optuna

    from tftune.dashboard._convert import to_optuna_distribution
    from tftune.distributions import CategoricalDistribution, FloatDistribution

    spaces = {"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["p", "q", "r"])}
    trial = optuna.trial.create_trial(
        state=optuna.trial.TrialState[state],
        value=0.5 if state == "COMPLETE" else None,
        params=params,
        distributions={k: to_optuna_distribution(spaces[k]) for k in params},
        user_attrs=attrs,
        intermediate_values={0: 1.0} if number == 2 else None,
    )
    trial.number = number
    return trial


def _space(space: list[tuple[str, Any]]) -> list[tuple[str, str, Any]]:
    """A search space with a categorical's choices as a set (optuna-dashboard merges them
    through one)."""
    return [
        (name, type(d).__name__, set(d.choices) if hasattr(d, "choices") else repr(d))
        for name, d in space
    ]


def test_search_spaces_are_optuna_dashboards_of_the_trials_as_they_are_now():
    from optuna_dashboard._inmemory_cache import _CachedExtraStudyProperty

    from tftune.dashboard._search_spaces import SearchSpaces

    history = [
        [_optuna_trial(0, "COMPLETE", {"a": 1}, x=0.2), _optuna_trial(1, "WAITING", {})],
        [
            _optuna_trial(0, "COMPLETE", {"a": 1}, x=0.2),
            _optuna_trial(1, "RUNNING", {"b": True, "a": 2.5}, x=0.9),
            _optuna_trial(2, "COMPLETE", {"c": "s"}, x=0.1, c="q"),
        ],
        [
            _optuna_trial(0, "COMPLETE", {"a": 1}, x=0.2),
            _optuna_trial(1, "FAIL", {"b": True, "a": "text"}, x=0.9),
            _optuna_trial(2, "COMPLETE", {"c": "s"}, x=0.1, c="q"),
            _optuna_trial(3, "COMPLETE", {"d": 4, "a": 0}, x=0.5, c="r"),
        ],
    ]
    kept = SearchSpaces()
    for trials in history:
        fresh = _CachedExtraStudyProperty()
        fresh.update(trials)
        expected = (
            fresh.intersection_search_space,
            fresh.union_search_space,
            fresh.union_user_attrs,
            fresh.has_intermediate_values,
        )
        found = kept.update(trials)
        assert [_space(s) for s in found[:2]] == [_space(s) for s in expected[:2]]
        assert found[2:] == expected[2:]
    assert expected[2] == [("d", True), ("a", False), ("c", False), ("b", False)]
    assert [name for name, _ in expected[0]] == ["x"] and expected[3] is True


def test_named_constraints_reach_the_trials_constraints(storage):
    """``Trial.set_constraint`` stores each constraint apart ("constraints:<name>"), where
    optuna-dashboard does not look (it answers ``[]``): the route lists their values."""
    study = tftune.create_study(study_name="named", storage=storage)
    study_id = storage.get_study_id_from_name("named")
    for x in (0.2, 0.9):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.set_constraint("x_over", x - 0.5)
        trial.set_constraint("budget", -1.0)
        study.tell(trial, x)
    plain = study.ask()
    plain.suggest_float("x", 0, 1)
    study.tell(plain, 0.5)
    listed = study.ask()  # a sampler's constraints_func list and a named one: both
    listed.suggest_float("x", 0, 1)
    trial_id = storage.get_trial_id_from_number(study_id, listed.number)
    storage.set_trial_attr(trial_id, "constraints", [0.25], system=True)
    listed.set_constraint("late", 2.0)
    study.tell(listed, 0.5)
    trials = json.loads(_call(make_app(storage), f"/api/studies/{study_id}")[2])["trials"]
    assert [sorted(t["constraints"]) for t in trials[:2]] == [
        [-1.0, pytest.approx(-0.3)],
        [-1.0, pytest.approx(0.4)],
    ]
    assert [t["constraints"] for t in trials[2:]] == [[], [0.25, 2.0]]  # the list's first
    theirs = json.loads(_call(_theirs(storage), f"/api/studies/{study_id}")[2])["trials"]
    assert [t["constraints"] for t in theirs] == [[], [], [], [0.25]]
