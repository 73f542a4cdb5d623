"""Safe defaults: loopback only, and a database that SQLite itself keeps read-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from dashboard_studies import dump

from tftune.dashboard import _safety
from tftune.dashboard._server import open_storage
from tftune import StudyDirection
from tftune.exceptions import StorageError
from tftune.storages import RDBStorage


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST", "::1"])
def test_loopback_hosts_need_nothing(host):
    assert _safety.is_loopback(host)
    _safety.check_host(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.7", "example.org", "::"])
def test_other_hosts_need_allow_remote(host):
    assert not _safety.is_loopback(host)
    with pytest.raises(ValueError, match=rf"`host` '{host}' is not a loopback.*--allow-remote"):
        _safety.check_host(host, allow_remote=False)
    _safety.check_host(host, allow_remote=True)
    assert "no authentication" in _safety.remote_warning(host)


@pytest.mark.parametrize("host", ["", None, 80])
def test_a_host_must_be_a_name(host):
    with pytest.raises(ValueError, match=r"`host` must be a host name or IP address, got"):
        _safety.check_host(host, allow_remote=True)


@pytest.mark.parametrize("port", [-1, 65536, 80.0, True, "8080"])
def test_a_port_must_be_an_integer_in_range(port):
    with pytest.raises(ValueError, match=r"`port` must be an integer 0..65535 .* got"):
        _safety.check_port(port)


def test_read_only_options_per_database():
    url, kwargs = _safety.read_only_options("sqlite:///some/dir/t.db")
    parsed = sa.make_url(url)
    assert parsed.database.startswith("file:/") and parsed.database.endswith("/some/dir/t.db")
    assert dict(parsed.query) == {"mode": "ro", "uri": "true"} and kwargs == {}
    url, kwargs = _safety.read_only_options("postgresql+psycopg://u@127.0.0.1/db?options=-cx%3D1")
    assert sa.make_url(url).query["options"] == "-cx=1 -c default_transaction_read_only=on"
    assert kwargs == {}


def test_a_read_only_storage_cannot_write_even_through_tftunes_own_api(studies_copy):
    before = dump(studies_copy)
    storage, owned = open_storage(f"sqlite:///{studies_copy}", allow_write=False)
    try:
        assert owned
        assert len(storage.get_all_trials(1)) > 0
        with pytest.raises(StorageError, match="readonly database"):
            storage.set_study_attr(1, "k", "v")
    finally:
        storage.close()
    assert dump(studies_copy) == before


def test_a_read_only_postgresql_session_refuses_writes(postgres_url):
    writer = RDBStorage(postgres_url, heartbeat_interval=None)
    study_id = writer.create_new_study([StudyDirection.MINIMIZE], "pg")
    writer.close()
    storage, _ = open_storage(postgres_url, allow_write=False)
    try:
        assert storage.get_study_name_from_id(study_id) == "pg"  # the URL's search_path kept
        with pytest.raises(StorageError, match="read-only transaction"):
            storage.set_study_attr(study_id, "k", "v")
    finally:
        storage.close()


def test_a_missing_file_is_not_created(tmp_path):
    missing = tmp_path / "nothing.db"
    with pytest.raises(ValueError, match=r"`storage`: there is no SQLite database file at"):
        open_storage(f"sqlite:///{missing}", allow_write=False)
    assert not missing.exists()
