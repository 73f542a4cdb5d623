"""Engines for SQLite and PostgreSQL, tuned for many concurrent workers.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a finished trial survives a killed process),
a long busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so that two writers never
deadlock on a lock upgrade ("database is locked").

PostgreSQL gets timeouts, so that a server that is down, frozen or cut off by the network ends in
a StorageError instead of a call that blocks forever (see ``POSTGRES_DEFAULTS``):

* ``connect_timeout`` (seconds) bounds opening a connection: a frozen server's kernel still
  accepts the TCP connection, but the server never answers the startup packet;
* ``statement_timeout`` (seconds, tftune's own parameter, taken out of the URL before it reaches
  libpq) is sent to the server (``-c statement_timeout``) and also bounds, client side, each wait
  for the server's answer on an open connection (plus ``CLIENT_TIMEOUT_MARGIN``, so that a server
  that is alive cancels the statement itself first). Only this client-side bound helps against a
  frozen server on the same host: its kernel acknowledges every packet and answers keepalives;
* TCP keepalives and ``tcp_user_timeout`` (milliseconds) let the kernel drop a connection to a
  peer that is gone (a dead machine, a network partition) instead of waiting for it forever.

Each is overridden by the same key in the URL query (which wins) or in
``engine_kwargs["connect_args"]``; 0 turns a timeout off.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import urllib.parse
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from tftune.exceptions import StorageError

SUPPORTED_SCHEMES = ("sqlite", "postgresql")
#: Execution option that marks a transaction as one that writes.
WRITE_OPTION = "tftune_write"

#: libpq connection parameters tftune sets for PostgreSQL unless the URL or ``connect_args`` do.
POSTGRES_DEFAULTS: dict[str, str] = {
    "connect_timeout": "10",  # seconds to open a connection
    "keepalives": "1",
    "keepalives_idle": "30",  # seconds idle before the first keepalive probe
    "keepalives_interval": "10",  # seconds between unanswered probes
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",  # ms that sent data may stay unacknowledged (a dead peer)
}
#: Seconds a statement may run (server side) and a client may wait for an answer.
DEFAULT_STATEMENT_TIMEOUT = 60.0
#: Seconds the client waits past ``statement_timeout``, for a live server to cancel first.
CLIENT_TIMEOUT_MARGIN = 2.0
_LIBPQ_DRIVERS = ("postgresql+psycopg", "postgresql+psycopg2")
_STATEMENT_TIMEOUT_OPTION = re.compile(
    r"statement_timeout\s*=\s*'?(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?'?", re.IGNORECASE
)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def normalise_url(url: str) -> str:
    """Check the URL's scheme (in any case) and pick the driver tftune uses for it; an existing
    SQLite file this process cannot write is opened read-only (see :func:`_read_only_sqlite`)."""
    if not isinstance(url, str) or "://" not in url:
        raise ValueError(
            f"`storage` must be a database URL such as 'sqlite:///tftune.db' or "
            f"'postgresql://user@host/db', got {url!r}."
        )
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()  # URL schemes are case-insensitive; SQLAlchemy's plugin names are not
    dialect = scheme.split("+", 1)[0]
    if dialect == "postgres":
        dialect = "postgresql"
    if dialect not in SUPPORTED_SCHEMES:
        raise ValueError(
            f"`storage` URL scheme {scheme!r} is not supported; use 'sqlite:///path.db' or "
            f"'postgresql://user@host:port/db' (got {url!r})."
        )
    if dialect == "postgresql" and "+" not in scheme:
        scheme = "postgresql+psycopg"
    if dialect == "sqlite":
        return _read_only_sqlite(f"{scheme}://{rest}")
    return f"{scheme}://{rest}"


def _read_only_sqlite(url: str) -> str:
    """``url``, or a read-only URI for an existing SQLite file that this process cannot write, or
    whose directory it cannot write (WAL mode keeps its -wal and -shm files there).

    ``mode=ro`` reads a WAL database consistently while a writer works on it, but SQLite needs
    the -shm file for that: when it is missing and cannot be created, ``immutable=1`` is added
    (no writer can be working then; the file is read without locks). Writes then fail with
    "attempt to write a readonly database". A URL that is already a ``file:`` URI is kept.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return url
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = os.path.abspath(database)
    folder = os.path.dirname(path)
    if not os.path.isfile(path) or (os.access(path, os.W_OK) and os.access(folder, os.W_OK)):
        return url
    query = {"mode": "ro", "uri": "true"}
    shared = os.path.exists(f"{path}-shm") and os.path.exists(f"{path}-wal")
    if not shared and not os.access(folder, os.W_OK):
        query["immutable"] = "1"
    read_only = parsed.set(database=f"file:{urllib.parse.quote(path)}").update_query_dict(query)
    return read_only.render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return sa.make_url(url).render_as_string(hide_password=True)


def create_engine(
    url: str, *, busy_timeout: float = 60.0, engine_kwargs: dict[str, Any] | None = None
) -> sa.Engine:
    """An engine for ``url`` (already normalised) with tftune's connection settings."""
    kwargs = dict(engine_kwargs or {})
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).update(timeout=busy_timeout, check_same_thread=False)
        if parsed.database in (None, "", ":memory:") and "poolclass" not in kwargs:
            # one connection holds an in-memory database: StaticPool, whose size is fixed
            # (Optuna's callers may pass pool sizes; they mean nothing here)
            kwargs["poolclass"] = StaticPool
            for sizing in ("pool_size", "max_overflow", "pool_timeout"):
                kwargs.pop(sizing, None)
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout)
        return engine
    client_timeout = None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername in _LIBPQ_DRIVERS:
        if parsed.drivername == "postgresql+psycopg":
            _require_psycopg()
        parsed, kwargs["connect_args"], client_timeout = postgres_connect_args(
            parsed, kwargs.get("connect_args")
        )
    # No pre-ping (a round trip per transaction): a connection found dead is invalidated and the
    # transaction retried instead (see RDBStorage._run and _run_raw).
    engine = sa.create_engine(parsed, **kwargs)
    if parsed.drivername == "postgresql+psycopg":
        _configure_psycopg(engine, client_timeout)
    return engine


def _last(value: str | tuple[str, ...]) -> str:
    return value[-1] if isinstance(value, tuple) else value


def _seconds(name: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:
        raise ValueError(f"`{name}` must be a number of seconds >= 0 (0: none), got {value!r}.")
    return seconds


def postgres_connect_args(
    url: sa.URL, connect_args: dict[str, Any] | None
) -> tuple[sa.URL, dict[str, Any], float | None]:
    """The URL and ``connect_args`` with tftune's timeouts, and the client-side wait bound.

    A key of ``POSTGRES_DEFAULTS`` in the URL query wins over the same key in ``connect_args``,
    which wins over the default. ``statement_timeout`` (seconds) is taken out of both (libpq
    does not know it) and sent as ``-c statement_timeout=<ms>`` in ``options``, unless
    ``options`` already sets it, whose value is then used for the client-side bound.
    """
    args = dict(connect_args or {})
    query = {key: _last(value) for key, value in url.query.items()}
    for key, default in POSTGRES_DEFAULTS.items():
        if key in query:
            args.pop(key, None)  # the URL wins
        elif key not in args and not (
            key == "connect_timeout" and "PGCONNECT_TIMEOUT" in os.environ
        ):
            args[key] = default
    given = args.pop("statement_timeout", None)
    if "statement_timeout" in query:
        given = query["statement_timeout"]
        url = url.difference_update_query(["statement_timeout"])
    options = str(args.get("options", query.get("options", os.environ.get("PGOPTIONS", ""))))
    if given is not None:
        statement_timeout = _seconds("statement_timeout", given)
        options = f"{options} -c statement_timeout={int(statement_timeout * 1000)}".strip()
    elif match := _STATEMENT_TIMEOUT_OPTION.search(options):  # the user's own server setting
        statement_timeout = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "ms").lower()]
    else:
        statement_timeout = DEFAULT_STATEMENT_TIMEOUT
        options = f"{options} -c statement_timeout={int(statement_timeout * 1000)}".strip()
    args["options"] = options
    client_timeout = statement_timeout + CLIENT_TIMEOUT_MARGIN if statement_timeout else None
    return url, args, client_timeout


def _configure_psycopg(engine: sa.Engine, client_timeout: float | None) -> None:
    """Connections that give up waiting for the server after ``client_timeout`` seconds."""
    connection_class = _timed_connection_class()

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        import psycopg

        try:
            connection = connection_class.connect(*cargs, **cparams)
        except psycopg.errors.ConnectionTimeout as error:
            seconds = _connect_seconds(cparams)
            raise _timeout_error(
                psycopg.errors.ConnectionTimeout,
                f"no answer to a new connection within {seconds} s",
                "connect_timeout",
                seconds,
            ) from error
        if connection_class is not psycopg.Connection:
            connection.tftune_timeout = client_timeout
        return connection


def _connect_seconds(cparams: dict[str, Any]) -> float:
    """The connect timeout psycopg applies (libpq's rules: at least 2 s)."""
    try:
        from psycopg.conninfo import timeout_from_conninfo

        return float(timeout_from_conninfo(cparams))
    except Exception:  # pragma: no cover - another psycopg version
        return max(2.0, float(cparams.get("connect_timeout", 0) or 0))


_TIMEOUT_CLASSES: dict[type[Exception], type[Exception]] = {}


def _timeout_error(base: type[Exception], message: str, setting: str, seconds: float) -> Exception:
    """A driver error ``base`` (so that SQLAlchemy wraps it) that names the setting that expired
    (a subclass of ``base`` per ``base``, with the attribute ``tftune_timeout``)."""
    cls = _TIMEOUT_CLASSES.get(base)
    if cls is None:
        cls = _TIMEOUT_CLASSES.setdefault(base, type(f"Tftune{base.__name__}", (base,), {}))
    error = cls(message)
    error.tftune_timeout = (setting, seconds)  # type: ignore[attr-defined]
    return error


@functools.cache
def _timed_connection_class() -> type[Any]:
    """``psycopg.Connection`` whose waits for the server end after ``tftune_timeout`` seconds.

    Every exchange with the server (execute, fetch, commit, rollback) goes through
    ``Connection.wait``; its ``timeout`` argument exists from psycopg 3.2 on (with older ones
    the plain class is used and only the server-side and TCP timeouts apply).
    """
    import psycopg

    found = getattr(psycopg.errors, "_WaitTimeout", None)
    if found is None or "timeout" not in inspect.signature(psycopg.Connection.wait).parameters:
        return psycopg.Connection  # pragma: no cover - psycopg < 3.2
    wait_timeout: type[BaseException] = found

    class TimedConnection(psycopg.Connection[Any]):
        tftune_timeout: float | None = None

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is not None or self.tftune_timeout is None:
                return super().wait(gen, interval=interval, timeout=timeout)
            try:
                return super().wait(gen, interval=interval, timeout=self.tftune_timeout)
            except wait_timeout:
                # Half an exchange happened: the connection cannot be used again.
                self.pgconn.finish()
                raise _timeout_error(
                    psycopg.OperationalError,
                    f"no answer within {self.tftune_timeout:g} s",
                    "statement_timeout",
                    self.tftune_timeout,
                ) from None

    return TimedConnection


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ImportError(
            "PostgreSQL storage needs the psycopg driver: pip install 'tftune[postgres]'."
        ) from None


def decode_sqlite_text(data: bytes) -> str:
    """SQLite text as ``str``. SQLite keeps whatever bytes a row was given: text that is not
    UTF-8 keeps its bytes as lone surrogates (``surrogateescape``) instead of making every read
    of the study fail, and the loaders report the field it damages (``_schema.check_utf8``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape")


def _configure_sqlite(engine: sa.Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        dbapi_connection.text_factory = decode_sqlite_text
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_retryable(error: Exception) -> bool:
    """Whether a driver error (raw or wrapped) is a transient lock or serialization conflict."""
    text = str(getattr(error, "orig", None) or error).lower()
    return any(
        marker in text
        for marker in (
            "database is locked",
            "database is busy",
            "deadlock detected",
            "could not serialize",
            "could not obtain lock",
        )
    )


def timeout_setting(error: BaseException) -> str | None:
    """``connect_timeout`` or ``statement_timeout`` when a driver error (raw or wrapped) is one of
    tftune's PostgreSQL timeouts: never worth retrying, the next wait would be as long."""
    orig = getattr(error, "orig", None) or error
    expired = getattr(orig, "tftune_timeout", None)
    if expired is not None:
        return str(expired[0])
    if getattr(orig, "sqlstate", None) == "57014" and "statement timeout" in str(orig):
        return "statement_timeout"  # the server, alive but slow, cancelled the statement
    return None


def connection_error(url: str, error: BaseException) -> StorageError:
    """A StorageError that says which database could not be used, and why."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    setting = timeout_setting(error)
    if setting is not None:
        expired = getattr(getattr(error, "orig", None) or error, "tftune_timeout", None)
        if expired is None:
            what = "cancelled a statement that ran longer than its statement_timeout"
        elif setting == "connect_timeout":
            what = f"did not answer a new connection within {expired[1]:g} s (connect_timeout)"
        else:
            what = (
                f"did not answer within {expired[1]:g} s (statement_timeout "
                f"{expired[1] - CLIENT_TIMEOUT_MARGIN:g} s + {CLIENT_TIMEOUT_MARGIN:g} s)"
            )
        return StorageError(
            f"The PostgreSQL server at {safe_url(url)} {what}. If it is only slow or busy, "
            f"raise `{setting}` (seconds), e.g. '?{setting}=120' in the URL query; if it is "
            "down or frozen, bring it back and run again."
        )
    return StorageError(f"Cannot use the database at {safe_url(url)}: {reason}")
