"""tftune's additions to optuna-dashboard's front end, over HTTP: the page loads tftune's
script, the bundle is served patched, the study route's ETag names the study's state."""

from __future__ import annotations

import gzip
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from dashboard_browser import CliDashboard
from test_fast_api import _call

from tftune.cli._parser import build_parser
from tftune.dashboard import _front_end, wsgi
from tftune.dashboard._fast_api import BUNDLE_FILE, StudyDetailApi
from tftune.dashboard._server import DashboardServer, make_app
from tftune.storages import RDBStorage
from tftune.trial import TrialState


def _get(app: Any, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    """``GET path`` (with its query) straight through the WSGI app: status, headers, body."""
    path, _, query = path.partition("?")
    return _call(app, path, query, **headers)


@pytest.fixture
def storage(studies_copy: Path):
    opened = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)
    yield opened
    opened.close()


def test_every_patch_is_found_once_in_the_bundle_and_made():
    text = BUNDLE_FILE.read_text(encoding="utf-8")
    patched = _front_end.patch_bundle(text)
    assert patched is not None
    for old, new in _front_end.PATCHES:
        assert text.count(old) == 1 and patched.count(new) == 1 and old not in patched
    # anything else in the bundle unchanged
    rest = patched
    for old, new in _front_end.PATCHES:
        rest = rest.replace(new, old)
    assert rest == text


def test_a_bundle_without_the_texts_is_served_unchanged():
    text = BUNDLE_FILE.read_text(encoding="utf-8")
    first_old = _front_end.PATCHES[1][0]
    assert _front_end.patch_bundle(text.replace(first_old, "x")) is None
    doubled = text + _front_end.PATCHES[0][0]
    assert _front_end.patch_bundle(doubled) is None


def test_an_unknown_bundle_is_served_as_it_is_with_a_warning(tmp_path, caplog):
    other = tmp_path / "bundle.js"
    other.write_text("console.log('another version');", encoding="utf-8")
    with caplog.at_level("WARNING", logger=_front_end.__name__):
        plain, packed, _ = _front_end.FrontEnd(10, other).bundle()
    assert plain == other.read_bytes() and gzip.decompress(packed) == plain
    assert "served unpatched, so polls redraw every plot" in caplog.text
    assert "--webgl-above do not apply (scatter plots stay SVG)" in caplog.text
    assert "the rank plot's ranks stay quadratic in the trials" in caplog.text


def test_the_page_loads_the_script_before_the_app_and_keeps_its_csp(storage):
    app = make_app(storage, max_lines=7)
    status, headers, body = _get(app, "/dashboard/studies/1")
    assert status.startswith("200")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert int(headers["Content-Length"]) == len(body)
    script_v = _front_end.etag(_front_end.script(7)).strip('"')
    script_at = body.index(f'<script src="{_front_end.SCRIPT_PATH}?v={script_v}">'.encode())
    bundle_v = app.front_end.bundle()[2].strip('"')
    assert script_at < body.index(f'<script defer src="/static/bundle.js?v={bundle_v}">'.encode())
    assert _front_end.BUNDLE_TAG not in body
    status, headers, script = _get(app, f"{_front_end.SCRIPT_PATH}?v={script_v}")
    assert status.startswith("200") and headers["Content-Type"] == "text/javascript"
    assert headers["Cache-Control"].startswith("max-age=")  # its name changes with it
    assert b"var MAX_LINES = 7;" in script
    assert _get(app, _front_end.SCRIPT_PATH)[1]["Cache-Control"] == "no-cache"


def test_the_bundle_is_served_patched_gzipped_and_revalidated(storage):
    app = make_app(storage)
    status, headers, body = _get(app, _front_end.BUNDLE_PATH, accept_encoding="gzip")
    assert status.startswith("200") and headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body).decode()
    assert text == _front_end.patch_bundle(BUNDLE_FILE.read_text(encoding="utf-8"))
    status, _, body = _get(app, _front_end.BUNDLE_PATH, if_none_match=headers["ETag"])
    assert status.startswith("304") and body == b""


def test_the_etag_names_the_state_whatever_after_and_changes_with_a_trial(storage):
    app = make_app(storage)
    status, headers, full = _get(app, "/api/studies/1?after=0")
    tag = headers["ETag"]
    assert status.startswith("200") and headers["Cache-Control"] == "no-cache"
    status, later, tail = _get(app, "/api/studies/1?after=13")
    assert later["ETag"] == tag and len(tail) < len(full)
    status, _, body = _get(app, "/api/studies/1?after=0", if_none_match=tag)
    assert status.startswith("304") and body == b""
    assert _get(app, "/api/studies/1?after=0", if_none_match='"other"')[2] == full
    study_id = storage.get_study_id_from_name("mixed")
    trial = storage.create_new_trial(study_id)
    storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, [0.5])
    assert _get(app, "/api/studies/1?after=13")[1]["ETag"] != tag


def test_the_answer_under_an_etag_is_the_same_body(storage):
    ours = make_app(storage)
    assert _get(ours, "/api/studies/1?after=0")[2] == _call(ours, "/api/studies/1")[2]


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_a_bad_limit_is_refused_before_the_storage_is_opened(bad, tmp_path):
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    for name in ("max_lines", "max_curves"):
        pattern = rf"`{name}` must be an int >= 0 \(0: no limit\), got "
        with pytest.raises(ValueError, match=pattern):
            wsgi(missing, **{name: bad})
        with pytest.raises(ValueError, match=pattern):
            DashboardServer(missing, port=0, **{name: bad})
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_a_bad_webgl_above_is_refused_before_the_storage_is_opened(bad, tmp_path):
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    pattern = r"`webgl_above` must be an int >= 1 \(a trial count; .*\), got "
    with pytest.raises(ValueError, match=pattern + re.escape(repr(bad))):
        wsgi(missing, webgl_above=bad)
    with pytest.raises(ValueError, match=pattern):
        DashboardServer(missing, port=0, webgl_above=bad)
    assert not (tmp_path / "missing.db").exists()


def test_the_script_names_its_webgl_threshold_and_a_bad_one_is_refused(storage):
    assert b"var WEBGL_ABOVE = 1000;" in _front_end.script(7)
    assert b"var WEBGL_ABOVE = 3;" in _front_end.script(7, 3)
    served = _get(make_app(storage, webgl_above=25), _front_end.SCRIPT_PATH)[2]
    assert b"var WEBGL_ABOVE = 25;" in served
    app = make_app(storage)
    with pytest.raises(ValueError, match=r"`webgl_above` must be an int >= 1 .*got -1"):
        StudyDetailApi(app.app, app.storage, webgl_above=-1)


def test_the_webgl_above_flag_reaches_the_served_script(studies_copy):
    dashboard = CliDashboard(f"sqlite:///{studies_copy}", "--webgl-above", "7")
    try:
        base = dashboard.url.removesuffix("/dashboard")
        with urllib.request.urlopen(base + _front_end.SCRIPT_PATH, timeout=30) as answer:
            served = answer.read()
    finally:
        dashboard.stop()
    assert b"var WEBGL_ABOVE = 7;" in served


def test_the_webgl_above_cli_flag(capsys):
    parser = build_parser()
    args = parser.parse_args(["dashboard", "--storage", "sqlite:///x.db", "--webgl-above", "7"])
    assert args.webgl_above == 7
    assert parser.parse_args(["dashboard", "--storage", "sqlite:///x.db"]).webgl_above is None
    for bad in ("0", "-3", "x"):
        with pytest.raises(SystemExit):
            parser.parse_args(["dashboard", "--storage", "sqlite:///x.db", "--webgl-above", bad])
        assert f"--webgl-above: must be an int >= 1, got '{bad}'" in capsys.readouterr().err


def test_a_bundle_whose_timeline_has_another_name_is_served_unchanged():
    text = BUNDLE_FILE.read_text(encoding="utf-8")
    assert (
        _front_end.patch_bundle(text.replace('Ib="graph-timeline"', 'Jb="graph-timeline"')) is None
    )
    patched = _front_end.patch_bundle(text)
    assert patched is not None and patched.count("window.__tftuneScatter") == 7
