"""Schema versions and the steps between them.

A database records its schema version in ``tftune_schema``. Opening a database whose version is
older than this tftune's raises SchemaVersionError until ``tftune storage upgrade`` (or
``upgrade_database(url)``) applies the steps in ``MIGRATIONS``; a newer one is refused outright.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from tftune import __version__
from tftune.exceptions import SchemaVersionError
from tftune.storages._rdb import _engine, _schema

#: ``MIGRATIONS[v]`` upgrades a database from version ``v`` to ``v + 1``, inside one transaction.
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {}


def read_version(conn: sa.Connection) -> int | None:
    """The schema version stored in the database, or ``None`` for an empty database."""
    if not sa.inspect(conn).has_table(_schema.schema_info.name):
        return None
    return conn.execute(sa.select(_schema.schema_info.c.version)).scalar_one_or_none()


def optuna_revision(conn: sa.Connection) -> str | None:
    """The schema revision of an Optuna database (its ``alembic_version``), ``"unknown"`` when
    it has Optuna's ``version_info`` table without one, or ``None`` if it is not Optuna's."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("version_info") or not inspector.has_table("studies"):
        return None
    if inspector.has_table("alembic_version"):
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if revision is not None:
            return str(revision)
    return "unknown"


def optuna_database_error(url: str, revision: str) -> str:
    """Why tftune will not open an Optuna database, and how to bring its studies over."""
    return (
        f"The database at {url} holds Optuna's schema (revision {revision}), which tftune does "
        "not read or change. Copy its studies into a journal file that both read, with Optuna: "
        "optuna.copy_study(from_study_name=..., from_storage=URL, to_storage=optuna.storages."
        "JournalStorage(optuna.storages.journal.JournalFileBackend(PATH))), then open PATH with "
        "tftune's JournalStorage."
    )


def check_version(version: int, url: str, current: int = _schema.SCHEMA_VERSION) -> None:
    """Raise SchemaVersionError unless ``version`` is the one this tftune writes."""
    if version > current:
        raise SchemaVersionError(
            f"The database at {url} has schema version {version}, "
            f"newer than the version {current} this tftune understands. Upgrade tftune to open it."
        )
    if version < current:
        raise SchemaVersionError(
            f"The database at {url} has schema version {version}, older than {current}. "
            f"Run `tftune storage upgrade --storage {url}` to migrate it (back it up first)."
        )


def upgrade(
    conn: sa.Connection,
    library_version: str,
    migrations: Mapping[int, Callable[[sa.Connection], None]] = MIGRATIONS,
    target: int = _schema.SCHEMA_VERSION,
) -> list[int]:
    """Apply every step from the stored version to ``target``; return the versions passed."""
    version = read_version(conn)
    if version is None:
        raise SchemaVersionError("There is no tftune schema to upgrade in this database.")
    if version > target:
        raise SchemaVersionError(
            f"The database has schema version {version}, "
            f"newer than the version {target} this tftune understands; "
            "it cannot be downgraded. Upgrade tftune to open it."
        )
    passed = []
    while version < target:
        if version not in migrations:
            raise SchemaVersionError(
                f"No migration step from schema version {version} to {version + 1}."
            )
        migrations[version](conn)
        version += 1
        passed.append(version)
    conn.execute(
        sa.update(_schema.schema_info).values(version=version, library_version=library_version)
    )
    return passed


def upgrade_database(url: str, *, engine_kwargs: dict[str, Any] | None = None) -> tuple[int, int]:
    """Migrate the database at ``url`` to this tftune's schema; return (version before, after).

    ``RDBStorage(url)`` refuses an old schema, so this opens its own engine instead. A schema
    newer than this tftune's is refused (SchemaVersionError), an empty database too.
    """
    normalised = _engine.normalise_url(url)
    engine = _engine.create_engine(normalised, engine_kwargs=engine_kwargs)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(**{_engine.WRITE_OPTION: True})
            with conn.begin():
                before = read_version(conn)
                if before is None:
                    raise SchemaVersionError(
                        f"The database at {_engine.safe_url(normalised)} "
                        "holds no tftune schema to upgrade."
                    )
                upgrade(conn, __version__)
    except sa.exc.DBAPIError as error:
        raise _engine.connection_error(normalised, error) from error
    finally:
        engine.dispose()
    return before, _schema.SCHEMA_VERSION
