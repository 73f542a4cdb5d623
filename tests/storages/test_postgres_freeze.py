"""A frozen or stopped PostgreSQL ends in a StorageError within a bound, never a call that hangs.

The server is the test's own: a fresh ``initdb`` in a temporary directory, listening on 127.0.0.1
and a free port (never the machine's server on 5432), frozen with SIGSTOP (the postmaster and
every backend: the kernel still accepts TCP connections and acknowledges every packet, so only
client-side timeouts help), and stopped by PID however the test ends. Fails, never skips, when
the PostgreSQL server binaries are missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import psycopg
import pytest

import tftune
from tftune.exceptions import StorageError
from tftune.storages import RDBStorage
from tftune.trial import TrialState

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

#: Short timeouts for the test (the defaults are 10 s to connect, 60 s + 2 s per answer).
TIMEOUTS = "connect_timeout=2&statement_timeout=2&tcp_user_timeout=2000"
#: The same, with the statement timeout set the libpq way (server option, in ms).
LIBPQ_TIMEOUTS = "connect_timeout=2&options=-cstatement_timeout%3D2000&tcp_user_timeout=2000"
#: How long a call may take to fail on a frozen server (4 s expected: 2 s + 2 s).
BOUND = 15.0

_IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
#: initdb refuses to run as root: then the server runs as the postgres user.
_SERVER_USER: dict[str, Any] = {"user": "postgres", "group": "postgres"} if _IS_ROOT else {}


def _bin_dir() -> str:
    """The newest /usr/lib/postgresql/*/bin holding initdb, else the one on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0,
    )
    if candidates:
        return os.path.dirname(candidates[-1])
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    pytest.fail(
        "PostgreSQL server binaries (initdb) not found in /usr/lib/postgresql/*/bin or PATH"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


class ThrowawayPostgres:
    """``initdb`` + ``postgres`` in a temporary directory; ``url``, ``freeze()``, ``thaw()``."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = tempfile.mkdtemp(prefix="tftune-pg-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        assert self.port != 5432
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None  # the postmaster's
        self._frozen: list[int] = []
        if _IS_ROOT:
            shutil.chown(self.root, "postgres", "postgres")
        try:
            self._as_server(
                [f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres"]
                + ["--no-sync"],
                timeout=120,
            )
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_server(self, argv: list[str], timeout: float) -> None:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, **_SERVER_USER)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr.decode(errors='replace')}")

    def start(self, timeout: float = 60.0) -> None:
        argv = [
            f"{self.bin}/postgres",
            "-D",
            self.data,
            "-p",
            str(self.port),
            "-k",
            self.root,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=40",
        ]
        with open(os.path.join(self.root, "server.log"), "ab") as log:
            # No runuser in between: it would stop itself when the server is stopped.
            self.process = subprocess.Popen(argv, stdout=log, stderr=log, **_SERVER_USER)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                with open(os.path.join(self.root, "server.log"), errors="replace") as text:
                    raise RuntimeError(f"postgres exited at start: {text.read()[-2000:]}")
            try:
                with open(os.path.join(self.data, "postmaster.pid")) as pidfile:
                    self.pid = int(pidfile.readline())
                psycopg.connect(
                    f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                    connect_timeout=2,
                ).close()
                return
            except (OSError, ValueError, psycopg.Error):
                if time.monotonic() > deadline:
                    raise RuntimeError("the throwaway PostgreSQL did not start in time") from None
                time.sleep(0.1)

    def freeze(self) -> None:
        """SIGSTOP the postmaster and every backend: the kernel still accepts connections."""
        assert self.pid is not None
        _signal([self.pid], signal.SIGSTOP)  # first, so that it forks no new backend
        children = _children(self.pid)
        _signal(children, signal.SIGSTOP)
        self._frozen = [self.pid, *children]

    def thaw(self) -> None:
        _signal(reversed(self._frozen), signal.SIGCONT)
        self._frozen = []

    def stop(self) -> None:
        """Thaw, then stop the server by PID (immediate shutdown; SIGKILL if it lingers)."""
        self.thaw()
        try:
            if self.pid is not None:
                _signal([*_children(self.pid), self.pid], signal.SIGCONT)
                _signal([self.pid], signal.SIGQUIT)  # what pg_ctl stop -m immediate sends
            if self.process is not None:
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    if self.pid is not None:
                        _signal([self.pid, *_children(self.pid)], signal.SIGKILL)
                    self.process.kill()
                    self.process.wait(timeout=20)
        finally:
            self.process, self.pid = None, None
            shutil.rmtree(self.root, ignore_errors=True)


def _signal(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


@pytest.fixture
def server() -> Iterator[ThrowawayPostgres]:
    pg = ThrowawayPostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()


def _fails_within(call: Callable[[], Any], bound: float = BOUND) -> tuple[BaseException, float]:
    """The exception ``call`` raises and after how long; fails the test if it blocks ``bound`` s.

    The call runs in a daemon thread, so that a call that hangs (the bug) cannot hang the test.
    """
    outcome: list[Any] = []

    def target() -> None:
        start = time.monotonic()
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome.append(error)
        outcome.append(time.monotonic() - start)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(bound)
    if thread.is_alive():
        pytest.fail(f"the call was still blocked after {bound:g} s on a frozen server")
    if outcome[0] is None:
        pytest.fail("the call succeeded on a frozen server")
    return outcome[0], outcome[1]


def _objective(trial: tftune.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


@pytest.mark.parametrize("timeouts", [TIMEOUTS, LIBPQ_TIMEOUTS], ids=["tftune", "libpq"])
def test_a_frozen_server_ends_in_a_storage_error_and_the_study_goes_on_after_it_thaws(
    server, timeouts
):
    url = server.url.replace("postgres@", "postgres:s3cret@", 1) + "?" + timeouts
    storage = RDBStorage(url, heartbeat_interval=None)
    study = tftune.create_study(study_name="freeze", storage=storage)
    study.optimize(_objective, n_trials=2)  # the pool now holds an open connection
    server.freeze()
    try:
        # An open pooled connection: the query is sent, the answer never comes.
        error, elapsed = _fails_within(lambda: study.optimize(_objective, n_trials=1))
        assert isinstance(error, StorageError), repr(error)
        message = str(error)
        assert "did not answer within 4 s" in message and "`statement_timeout`" in message
        assert f"127.0.0.1:{server.port}" in message and "s3cret" not in message
        assert 3.5 < elapsed < 8, elapsed
        # A new connection: the kernel accepts it, the server never answers the startup packet.
        error, elapsed = _fails_within(lambda: RDBStorage(url, heartbeat_interval=None))
        assert isinstance(error, StorageError), repr(error)
        message = str(error)
        assert "did not answer a new connection within 2 s" in message, message
        assert "`connect_timeout`" in message and "s3cret" not in message
        assert elapsed < 6, elapsed
    finally:
        server.thaw()
    study.optimize(_objective, n_trials=1)
    states = [trial.state for trial in study.trials]
    assert states == [TrialState.COMPLETE] * 3
    assert len(tftune.load_study("freeze", RDBStorage(url, heartbeat_interval=None)).trials) == 3
    storage.close()


def test_a_stopped_server_ends_in_a_storage_error_on_every_path(server):
    storage = RDBStorage(server.url + "?connect_timeout=2", heartbeat_interval=None)
    study_id = storage.create_new_study([tftune.StudyDirection.MINIMIZE], "stopped")
    storage.create_new_trial(study_id)  # the pool now holds an open connection
    server.stop()
    # The pooled connection is dead (retried), then the reconnect is refused.
    error, _ = _fails_within(lambda: storage.create_new_trial(study_id))  # _run_raw
    assert isinstance(error, StorageError), repr(error)
    assert f"127.0.0.1:{server.port}" in str(error)
    error, _ = _fails_within(lambda: storage.get_all_studies())  # _run
    assert isinstance(error, StorageError), repr(error)
    storage.close()
