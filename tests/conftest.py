"""Shared fixtures: every storage the engine supports, for contract tests to run over.

PostgreSQL is real: the server at 127.0.0.1:5432 (trust auth, database ``test``), one fresh
schema per test. When it is unreachable the tests that need it fail (they never skip in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

PG_BASE = os.environ.get(
    "TFTUNE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STORAGE_KINDS = ["memory", "sqlite", "postgres"]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see a fresh, empty schema of the test database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {PG_BASE} is unreachable: {error.orig}")
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tftune.db'}"


@pytest.fixture(params=STORAGE_KINDS)
def storage_url(request) -> str | None:
    """``None`` (in memory), a SQLite file (``sqlite_url``) or a PostgreSQL schema
    (``postgres_url``)."""
    if request.param == "memory":
        return None
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(params=STORAGE_KINDS)
def storage(request):
    """A storage object of each kind, closed after the test."""
    from tftune.storages import InMemoryStorage, RDBStorage

    if request.param == "memory":
        yield InMemoryStorage()
        return
    backend = RDBStorage(request.getfixturevalue(f"{request.param}_url"))
    yield backend
    backend.close()


@pytest.fixture(autouse=True)
def _quiet_log():
    import logging

    import tftune

    level = tftune.logging.get_verbosity()
    tftune.logging.set_verbosity(logging.WARNING)
    yield
    tftune.logging.set_verbosity(level)
