"""The server and the CLI command: the dashboard's API over HTTP on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from dashboard_studies import dump

import tftune
from tftune.cli import main
from tftune.dashboard import DashboardServer
from tftune.storages import RDBStorage


def _request(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


@pytest.fixture
def server(studies_copy):
    running = DashboardServer(f"sqlite:///{studies_copy}", port=0).start()
    yield running
    running.stop()


def test_the_api_lists_studies_and_their_trials(server):
    api = server.url.replace("/dashboard", "/api")
    assert server.url.startswith("http://127.0.0.1:")
    status, body = _request(f"{api}/studies")
    assert status == 200
    assert [s["study_name"] for s in body["study_summaries"]][:2] == ["mixed", "two-goals"]
    status, detail = _request(f"{api}/studies/1?after=0")
    assert status == 200 and len(detail["trials"]) == 14
    states = {t["state"] for t in detail["trials"]}
    assert states == {"Complete", "Pruned", "Fail", "Running"}
    status, after = _request(f"{api}/studies/1?after=10")
    assert [t["number"] for t in after["trials"]] == [10, 11, 12, 13]


def test_read_only_refuses_a_note_with_a_reason_and_writes_nothing(server, studies_copy):
    before = dump(studies_copy)
    api = server.url.replace("/dashboard", "/api")
    status, body = _request(f"{api}/studies/1/note", "PUT", {"version": 1, "body": "hello"})
    assert status == 403
    assert "read-only: set_study_system_attr" in body["reason"]
    assert "--allow-write" in body["reason"]
    status, body = _request(f"{api}/studies/1", "DELETE", {})
    assert status == 403 and "delete_study" in body["reason"]
    assert dump(studies_copy) == before


def test_allow_write_saves_a_note_in_tftunes_storage(studies_copy):
    running = DashboardServer(f"sqlite:///{studies_copy}", port=0, allow_write=True).start()
    try:
        api = running.url.replace("/dashboard", "/api")
        status, _ = _request(f"{api}/studies/1/note", "PUT", {"version": 1, "body": "hello"})
        assert status == 204
    finally:
        running.stop()
    storage = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)
    try:
        assert "hello" in json.dumps(storage.get_study_attrs(1, system=True))
    finally:
        storage.close()


def test_a_remote_host_needs_allow_remote(studies_copy):
    with pytest.raises(ValueError, match=r"`host` '0.0.0.0' is not a loopback"):
        DashboardServer(f"sqlite:///{studies_copy}", "0.0.0.0", 0)


def test_cli_refuses_a_remote_host_a_bad_port_and_a_missing_file(capsys, studies_copy, tmp_path):
    url = f"sqlite:///{studies_copy}"
    assert main(["dashboard", "--storage", url, "--host", "0.0.0.0"]) == 1
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["dashboard", "--storage", url, "--port", "70000"]) == 1
    assert "`port` must be an integer 0..65535" in capsys.readouterr().err
    missing = tmp_path / "none.db"
    assert main(["dashboard", "--storage", f"sqlite:///{missing}"]) == 1
    assert "there is no SQLite database file" in capsys.readouterr().err
    assert not missing.exists()


def test_importing_tftune_and_its_cli_loads_no_optuna():
    code = (
        "import sys, tftune, tftune.cli, tftune.dashboard; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('optuna', 'optuna_dashboard', 'bottle')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert tftune.__name__ == "tftune"
