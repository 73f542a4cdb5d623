"""Mistakes that used to surface as raw driver errors: each is a clear tftune error now."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import sqlalchemy as sa

import tftune
from tftune.exceptions import StorageError
from tftune.storages import RDBStorage
from tftune.storages._rdb import _engine
from tftune.trial._names import check_name


@pytest.fixture
def trial(sqlite_url):
    storage = RDBStorage(sqlite_url, heartbeat_interval=None)
    yield tftune.create_study("s", storage=storage).ask()
    storage.close()


def test_an_attr_key_of_none_is_a_type_error_not_an_integrity_error(trial):
    with pytest.raises(TypeError, match="An attribute key must be a string, got None"):
        trial.set_user_attr(None, 1)
    with pytest.raises(TypeError, match="An attribute key must be a string, got None"):
        trial.set_system_attr(None, 1)


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda t: t.suggest_float("\ud800", 0, 1), "A parameter name"),
        (lambda t: t.suggest_categorical("a\udfffb", ["x"]), "A parameter name"),
        (lambda t: t.set_user_attr("\ud800", 1), "An attribute key"),
        (lambda t: t.set_system_attr("\udc80", 1), "An attribute key"),
        (lambda t: t.study.enqueue_trial({"\ud800": 1.0}), "A parameter name"),
    ],
    ids=["suggest", "suggest-inner", "user-attr", "system-attr", "enqueue"],
)
def test_a_lone_surrogate_in_a_name_is_a_value_error_naming_it(trial, call, what):
    with pytest.raises(ValueError, match=f"{what} must be valid Unicode text") as raised:
        call(trial)
    assert "surrogate" in str(raised.value)
    trial.suggest_float("x", 0, 1)  # the trial and the storage are fine
    assert trial.params == {"x": trial.params["x"]}


def test_check_name_accepts_any_valid_unicode():
    for name in ("x", "é", "\U0001f600", "\ud7ff", "\ue000"):
        check_name(name)


@pytest.mark.parametrize("key", [None, "\ud800"], ids=["none", "surrogate"])
def test_a_study_attr_key_is_checked_like_a_trial_attr_key(sqlite_url, key):
    study = tftune.create_study("s", storage=sqlite_url)
    with pytest.raises((TypeError, ValueError), match="An attribute key"):
        study.set_user_attr(key, 1)


@pytest.mark.parametrize("scheme", ["SQLITE", "Sqlite", "SQLite+PySQLite"])
def test_the_url_scheme_is_case_insensitive(tmp_path, capsys, scheme):
    path = tmp_path / "tftune.db"
    tftune.create_study("s", storage=f"sqlite:///{path}")
    url = f"{scheme}:///{path}"
    assert _engine.normalise_url(url) == f"{scheme.lower()}:///{path}"
    assert len(tftune.load_study("s", storage=url).trials) == 0
    from tftune.cli import main

    assert main(["studies", "--storage", url]) == 0
    assert "s" in capsys.readouterr().out


def test_postgres_schemes_in_any_case_pick_psycopg():
    assert _engine.normalise_url("POSTGRESQL://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _engine.normalise_url("PostgreSQL+Psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


# --- a database this process cannot write -------------------------------------------------
def _as_unprivileged() -> list[str] | None:
    """A command prefix under which file permissions hold (root without CAP_DAC_OVERRIDE)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


READ_ALL = """
import sys, tftune
from tftune.cli import main
url = sys.argv[1]
for argv in (["studies"], ["trials", "s"], ["best", "s"], ["export", "s", "--format", "csv"]):
    code = main([*argv, "--storage", url])
    print("EXIT", argv[0], code, flush=True)
study = tftune.load_study("s", storage=url)
print("TRIALS", len(study.trials), study.best_value)
try:
    study.ask()
except tftune.exceptions.StorageError as error:
    print("WRITE", error)
"""


@pytest.mark.parametrize("writable_folder", [False, True], ids=["read-only-folder", "folder-rw"])
def test_a_read_only_database_can_be_read(tmp_path, writable_folder):
    prefix = _as_unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot make a file unwritable")
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "tftune.db"
    study = tftune.create_study("s", storage=f"sqlite:///{path}")
    study.optimize(lambda t: t.suggest_float("x", 2, 3), n_trials=2)
    study.storage.close()
    assert sorted(os.listdir(folder)) == ["tftune.db"]  # WAL files gone with the last connection
    path.chmod(0o444)
    if not writable_folder:
        folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-c", READ_ALL, f"sqlite:///{path}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    for command in ("studies", "trials", "best", "export"):
        assert f"EXIT {command} 0" in out, (out, result.stderr)
    assert "TRIALS 2 " in out
    assert "WRITE Cannot use the database at" in out and "readonly database" in out
    assert "immutable=1" in out if not writable_folder else "immutable" not in out


def test_a_writable_database_url_is_left_as_given(tmp_path):
    url = f"sqlite:///{tmp_path / 'tftune.db'}"
    tftune.create_study("s", storage=url)
    assert _engine.normalise_url(url) == url
    assert _engine.normalise_url("sqlite:///:memory:") == "sqlite:///:memory:"
    assert _engine.normalise_url(f"sqlite:///{tmp_path / 'new.db'}").endswith("new.db")


def test_an_unwritable_file_gets_a_read_only_uri(tmp_path, monkeypatch):
    path = tmp_path / "a b?.db"
    writer = tftune.create_study("s", storage=f"sqlite:///{path}").storage
    monkeypatch.setattr(_engine.os, "access", lambda p, mode: mode != os.W_OK)
    url = _engine.normalise_url(f"sqlite:///{path}")
    assert sa.make_url(url).query == {
        "mode": "ro",
        "uri": "true",
    }  # a writer is open: its -shm is there
    writer.close()
    url = _engine.normalise_url(f"sqlite:///{path}")
    assert sa.make_url(url).query == {"mode": "ro", "immutable": "1", "uri": "true"}
    storage = RDBStorage(url, heartbeat_interval=None)
    try:
        assert storage.get_all_studies()[0].study_name == "s"
        with pytest.raises(StorageError, match="readonly database"):
            tftune.create_study("t", storage=storage)
    finally:
        storage.close()


def test_a_study_name_with_a_lone_surrogate_or_nul_is_refused_up_front(sqlite_url):
    for name in ("\ud800", "a\x00b"):
        with pytest.raises(ValueError, match="`study_name`"):
            tftune.create_study(name, storage=sqlite_url)
    assert tftune.get_all_study_names(sqlite_url) == []


def test_an_attribute_nested_too_deeply_for_json_is_refused_with_its_key(sqlite_url):
    study = tftune.create_study("s", storage=sqlite_url)
    trial = study.ask()
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError, match="Attribute 'k' is nested too deeply"):
        trial.set_user_attr("k", deep)
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {}
