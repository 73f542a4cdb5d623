"""Opening the storage and the study named on the command line, with errors a user can act on."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import tftune
from tftune.cli._errors import CliError
from tftune.exceptions import StudyNotFoundError
from tftune.storages import DEFAULT_STORAGE_URL, RDBStorage
from tftune.storages._rdb import _engine

#: Environment variable read for the storage URL when ``--storage`` is not given.
STORAGE_ENV_VAR = "TFTUNE_STORAGE"
#: Seconds to wait for a PostgreSQL server before reporting it unreachable.
CONNECT_TIMEOUT_S = 10
_EXAMPLES = "'sqlite:///tftune.db' or 'postgresql://user@host:port/db'"


def resolve_storage_url(flag: str | None) -> str:
    """The URL to use: ``--storage``, else ``$TFTUNE_STORAGE``, else the default SQLite file."""
    if flag is not None:
        return flag
    return os.environ.get(STORAGE_ENV_VAR) or DEFAULT_STORAGE_URL


def masked(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe to print."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def checked_url(url: str) -> str:
    """The URL with tftune's driver for its scheme; CliError for a scheme tftune cannot use."""
    try:
        normalised = _engine.normalise_url(url)
        sa.make_url(normalised)
    except (ValueError, sa.exc.ArgumentError):
        if "://" not in url:
            raise CliError(
                f"--storage must be a database URL such as {_EXAMPLES}, got {masked(url)!r}"
            ) from None
        scheme = url.split("://", 1)[0]
        raise CliError(
            f"--storage URL scheme {scheme!r} is not supported; "
            f"use {_EXAMPLES} (got {masked(url)!r})"
        ) from None
    return normalised


def require_existing_sqlite_file(url: str, given: str) -> None:
    """Refuse a SQLite URL whose file does not exist, rather than create an empty database."""
    parsed = sa.make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:") or Path(database).is_file():
        return
    raise CliError(
        f"--storage {masked(given)!r}: "
        f"there is no SQLite database file at '{Path(database).absolute()}'"
    )


def engine_options(url: str) -> dict[str, Any]:
    """Engine arguments for the CLI: give up on an unreachable PostgreSQL server after a while."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return {}
    return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}}


@contextlib.contextmanager
def opened_storage(flag: str | None) -> Iterator[RDBStorage]:
    """An existing database's storage, heartbeats off (the CLI runs no trials); closed
    after use.
    """
    given = resolve_storage_url(flag)
    url = checked_url(given)
    require_existing_sqlite_file(url, given)
    try:
        storage = RDBStorage(
            url,
            heartbeat_interval=None,
            skip_table_creation=True,
            engine_kwargs=engine_options(url),
        )
    except ImportError as error:
        raise CliError(f"--storage {masked(given)!r} needs a database driver: {error}") from None
    try:
        yield storage
    finally:
        storage.close()


def describe(storage: RDBStorage) -> str:
    """The storage's URL without its password, for messages."""
    return _engine.safe_url(storage.url)


def open_study(storage: RDBStorage, study_name: str) -> tftune.Study:
    """Load a study; CliError naming the study and the storage when there is none of that name."""
    try:
        return tftune.load_study(study_name, storage=storage)
    except StudyNotFoundError:
        raise no_such_study(storage, study_name) from None


def no_such_study(storage: RDBStorage, study_name: str) -> CliError:
    """The error for an unknown study name."""
    return CliError(
        f"no study named {study_name!r} in {describe(storage)} "
        "(`tftune studies` lists the studies there)"
    )
