"""PostgreSQL timeouts: defaults, who wins (URL > connect_args > default), and the messages."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from tftune.exceptions import StorageError
from tftune.storages import RDBStorage
from tftune.storages._rdb import _engine

URL = "postgresql+psycopg://u:pw@db.example:5432/tf"


def _args(url: str = URL, connect_args=None):
    return _engine.postgres_connect_args(sa.make_url(url), connect_args)


def test_the_defaults_bound_connecting_and_every_answer(monkeypatch):
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    monkeypatch.delenv("PGOPTIONS", raising=False)
    url, args, client_timeout = _args()
    assert url == sa.make_url(URL)
    assert args == {
        **_engine.POSTGRES_DEFAULTS,
        "options": "-c statement_timeout=60000",
    }
    assert args["connect_timeout"] == "10" and args["tcp_user_timeout"] == "30000"
    assert client_timeout == 62.0


def test_the_url_query_wins_over_connect_args_which_win_over_the_defaults():
    url, args, _ = _args(
        URL + "?connect_timeout=3&tcp_user_timeout=500",
        {"connect_timeout": 7, "keepalives_idle": 4, "application_name": "x"},
    )
    assert "connect_timeout" not in args and "tcp_user_timeout" not in args  # the URL's apply
    assert url.query["connect_timeout"] == "3" and url.query["tcp_user_timeout"] == "500"
    assert args["keepalives_idle"] == 4 and args["application_name"] == "x"
    assert args["keepalives_count"] == _engine.POSTGRES_DEFAULTS["keepalives_count"]


def test_statement_timeout_is_tftunes_own_and_never_reaches_libpq():
    url, args, client_timeout = _args(
        URL + "?statement_timeout=5&options=-csearch_path%3Ds1", {"statement_timeout": 9}
    )
    assert "statement_timeout" not in url.query and "statement_timeout" not in args
    assert args["options"] == "-csearch_path=s1 -c statement_timeout=5000"  # the URL's 5 s
    assert client_timeout == 5 + _engine.CLIENT_TIMEOUT_MARGIN
    _, args, client_timeout = _args(URL, {"statement_timeout": 0.5})
    assert args["options"].endswith("-c statement_timeout=500") and client_timeout == 2.5


@pytest.mark.parametrize(
    ("options", "seconds"),
    [
        ("-c statement_timeout=3000", 3.0),
        ("-cstatement_timeout=90s", 90.0),
        ("-c search_path=a -c statement_timeout='2min'", 120.0),
    ],
)
def test_a_statement_timeout_in_options_is_kept_and_bounds_the_client(options, seconds):
    _, args, client_timeout = _args(URL, {"options": options})
    assert args["options"] == options
    assert client_timeout == seconds + _engine.CLIENT_TIMEOUT_MARGIN


def test_zero_turns_the_statement_timeout_off():
    _, args, client_timeout = _args(URL + "?statement_timeout=0")
    assert args["options"] == "-c statement_timeout=0" and client_timeout is None


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_bad_statement_timeout_is_refused_by_name(value):
    with pytest.raises(ValueError, match="`statement_timeout` must be a number of seconds"):
        _args(URL + f"?statement_timeout={value}")


def test_the_environment_is_respected(monkeypatch):
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "42")
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=64MB")
    _, args, _ = _args()
    assert "connect_timeout" not in args  # libpq reads PGCONNECT_TIMEOUT
    assert args["options"] == "-c work_mem=64MB -c statement_timeout=60000"


def test_sqlite_gets_none_of_it(tmp_path):
    engine = _engine.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert "options" not in str(engine.url)
    engine.dispose()


def test_the_engine_connects_with_the_timed_connection_class():
    engine = _engine.create_engine(
        _engine.normalise_url("postgresql://u@127.0.0.1:1/tf?statement_timeout=3")
    )
    assert "statement_timeout" not in engine.url.query
    assert issubclass(_engine._timed_connection_class(), psycopg.Connection)
    engine.dispose()


def test_timeout_messages_name_the_url_without_password_and_the_setting():
    wait = _engine._timeout_error(
        psycopg.OperationalError, "no answer within 62 s", "statement_timeout", 62.0
    )
    message = str(_engine.connection_error(URL, sa.exc.OperationalError("SELECT", {}, wait)))
    assert message.startswith("The PostgreSQL server at postgresql+psycopg://u:***@db.example")
    assert "did not answer within 62 s (statement_timeout 60 s + 2 s)" in message
    assert "raise `statement_timeout`" in message and "pw" not in message
    connect = _engine._timeout_error(
        psycopg.errors.ConnectionTimeout, "no answer", "connect_timeout", 10.0
    )
    assert isinstance(connect, psycopg.errors.ConnectionTimeout)
    message = str(_engine.connection_error(URL, connect))
    assert "did not answer a new connection within 10 s (connect_timeout)" in message
    assert "raise `connect_timeout`" in message
    assert _engine.timeout_setting(connect) == "connect_timeout"
    assert _engine.timeout_setting(psycopg.OperationalError("server closed")) is None


def test_a_statement_the_server_cancels_names_statement_timeout(postgres_url):
    storage = RDBStorage(postgres_url + "&statement_timeout=0.3", heartbeat_interval=None)
    started = []

    def slow(conn: sa.Connection) -> None:
        started.append(1)
        conn.execute(sa.text("SELECT pg_sleep(5)"))

    with pytest.raises(StorageError, match="cancelled a statement that ran longer than its"):
        storage._run(slow)
    assert started == [1]  # not retried
    storage.close()
