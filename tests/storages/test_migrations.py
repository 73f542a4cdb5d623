"""Schema versions: old databases are refused until upgraded, newer ones always."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import tftune
from tftune.exceptions import SchemaVersionError
from tftune.storages import RDBStorage
from tftune.storages._rdb import _migrations, _schema


def _set_version(url: str, version: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(_schema.schema_info).values(version=version))
    engine.dispose()


def test_new_database_gets_the_current_version(sqlite_url):
    RDBStorage(sqlite_url).close()
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert _migrations.read_version(conn) == _schema.SCHEMA_VERSION
    engine.dispose()


def test_older_schema_is_refused_with_the_upgrade_command(sqlite_url):
    tftune.create_study(study_name="kept", storage=sqlite_url)
    _set_version(sqlite_url, _schema.SCHEMA_VERSION - 1)
    with pytest.raises(
        SchemaVersionError,
        match=r"older than 1\. Run `tftune storage upgrade --storage sqlite:///",
    ):
        RDBStorage(sqlite_url)


def test_newer_schema_is_refused(sqlite_url):
    RDBStorage(sqlite_url).close()
    _set_version(sqlite_url, _schema.SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match="schema version 2, newer than the version 1"):
        RDBStorage(sqlite_url)
    with pytest.raises(SchemaVersionError, match="cannot be downgraded"):
        _migrations.upgrade_database(sqlite_url)


def test_upgrade_applies_each_step_in_order_and_keeps_the_data(sqlite_url, monkeypatch):
    tftune.create_study(study_name="kept", storage=sqlite_url).optimize(lambda t: 1.0, n_trials=2)
    _set_version(sqlite_url, _schema.SCHEMA_VERSION - 1)
    applied = []

    def add_note_column(conn):
        applied.append(_migrations.read_version(conn))
        conn.execute(sa.text("ALTER TABLE tftune_studies ADD COLUMN note TEXT"))

    monkeypatch.setitem(_migrations.MIGRATIONS, _schema.SCHEMA_VERSION - 1, add_note_column)
    assert _migrations.upgrade_database(sqlite_url) == (
        _schema.SCHEMA_VERSION - 1,
        _schema.SCHEMA_VERSION,
    )
    assert applied == [_schema.SCHEMA_VERSION - 1]
    assert len(tftune.load_study("kept", sqlite_url).trials) == 2


def test_a_missing_step_is_reported(sqlite_url):
    RDBStorage(sqlite_url).close()
    _set_version(sqlite_url, _schema.SCHEMA_VERSION - 1)
    with pytest.raises(SchemaVersionError, match="No migration step from schema version 0 to 1"):
        _migrations.upgrade_database(sqlite_url)
    with pytest.raises(SchemaVersionError):  # the failed upgrade rolled back: still refused
        RDBStorage(sqlite_url)


def test_optuna_style_version_methods_on_an_up_to_date_database(sqlite_url):
    storage = RDBStorage(sqlite_url)
    head = str(_schema.SCHEMA_VERSION)
    assert storage.get_current_version() == storage.get_head_version() == head
    assert storage.get_all_versions()[0] == head
    storage.upgrade()  # nothing to do
    assert storage.get_current_version() == head
    storage.close()


def test_the_storage_method_upgrades_an_old_schema_it_was_allowed_to_open(sqlite_url, monkeypatch):
    tftune.create_study(study_name="kept", storage=sqlite_url).optimize(lambda t: 1.0, n_trials=1)
    _set_version(sqlite_url, _schema.SCHEMA_VERSION - 1)
    monkeypatch.setitem(_migrations.MIGRATIONS, _schema.SCHEMA_VERSION - 1, lambda conn: None)
    storage = RDBStorage(sqlite_url, skip_compatibility_check=True)
    assert storage.get_current_version() == str(_schema.SCHEMA_VERSION - 1)
    storage.upgrade()
    assert storage.get_current_version() == storage.get_head_version()
    storage.close()
    assert len(tftune.load_study("kept", sqlite_url).trials) == 1
