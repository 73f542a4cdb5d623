"""Engines for SQLite and PostgreSQL, tuned for many concurrent workers.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a finished trial survives a killed process),
a long busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so that two writers never
deadlock on a lock upgrade ("database is locked").
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from tftune.exceptions import StorageError

SUPPORTED_SCHEMES = ("sqlite", "postgresql")
#: Execution option that marks a transaction as one that writes.
WRITE_OPTION = "tftune_write"


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
        if parsed.database in (None, "", ":memory:"):
            kwargs.setdefault("poolclass", StaticPool)
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql+psycopg":
        _require_psycopg()
    # No pre-ping (a round trip per transaction): a connection found dead is invalidated and the
    # transaction retried instead (see RDBStorage._run and _run_raw).
    return sa.create_engine(url, **kwargs)


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ImportError(
            "PostgreSQL storage needs the psycopg driver: pip install 'tftune[postgres]'."
        ) from None


def _configure_sqlite(engine: sa.Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
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


def connection_error(url: str, error: Exception) -> StorageError:
    """A StorageError that says which database could not be used, and why."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return StorageError(f"Cannot use the database at {safe_url(url)}: {reason}")
