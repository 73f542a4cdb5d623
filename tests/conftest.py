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


# --- a real TensorBoard server (tests of the TensorBoard logs) --------------------------------
#: ``tensorboard.main`` in TensorBoard's own no-TensorFlow mode (the module its no_tensorflow
#: build provides): it reads logs with its stub file system, as where TensorFlow is not
#: installed, and starts in seconds instead of importing TensorFlow.
_SERVE_TENSORBOARD = """
import sys, types
sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")
from tensorboard.main import run_main
sys.argv[0] = "tensorboard"
run_main()
"""


class TensorBoardServer:
    """A TensorBoard process serving ``logdir`` at ``url`` (127.0.0.1, a free port)."""

    def __init__(self, logdir, output, *flags: str) -> None:
        import socket
        import subprocess
        import sys

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url, self.output = f"http://127.0.0.1:{port}", output
        command = [sys.executable, "-c", _SERVE_TENSORBOARD, "--logdir", str(logdir)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--load_fast=false", *flags]
        with open(output, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def wait_until(self, ready, timeout: float = 60.0) -> None:
        """Poll ``ready(url)`` (connection errors count as not ready) until it is true; fail
        when the server exits or ``timeout`` seconds pass."""
        import time
        import urllib.error

        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready(self.url):
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.process.poll() is not None:
                pytest.fail(f"TensorBoard exited: {self.output.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"TensorBoard was not ready in {timeout} s: {self.output.read_text()}")
            time.sleep(0.25)

    def stop(self) -> None:
        import subprocess

        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def tensorboard_server(tmp_path_factory):
    """``start(logdir, *flags) -> TensorBoardServer``; each is stopped (by PID) at the end of
    the module."""
    servers: list[TensorBoardServer] = []

    def start(logdir, *flags: str) -> TensorBoardServer:
        output = tmp_path_factory.mktemp("tensorboard") / "output.log"
        servers.append(TensorBoardServer(logdir, output, *flags))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
