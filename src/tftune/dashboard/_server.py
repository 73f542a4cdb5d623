"""Serving optuna-dashboard over a tftune storage: the WSGI app and a small threaded server."""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import sys
import threading
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tftune.dashboard import _safety
from tftune.dashboard._limits import resolve_limits
from tftune.storages import BaseStorage, RDBStorage
from tftune.storages._rdb import _engine

if TYPE_CHECKING:
    from tftune.dashboard._fast_api import StudyDetailApi


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to standard error."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per request (the page, its API calls and its polls overlap)."""

    daemon_threads = True
    allow_reuse_address = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


def open_storage(storage: str | BaseStorage, *, allow_write: bool) -> tuple[BaseStorage, bool]:
    """The tftune storage to show, and whether it was opened here (and is closed here).

    A URL opens an existing database without creating tables or migrating it (read-only
    unless ``allow_write``, see ``_safety``); a storage object is used as it is.
    """
    if isinstance(storage, BaseStorage):
        return storage, False
    if not isinstance(storage, str):
        raise TypeError(
            "`storage` must be a database URL such as 'sqlite:///tftune.db' or a tftune "
            f"storage object, got {storage!r} ({type(storage).__name__})."
        )
    url = _engine.normalise_url(storage)
    path = _safety.sqlite_file(url)
    if path is not None and not os.path.isfile(path):
        raise ValueError(f"`storage`: there is no SQLite database file at {path!r}.")
    engine_kwargs: dict[str, Any] = {}
    if not allow_write:
        url, engine_kwargs = _safety.read_only_options(url)
    opened = RDBStorage(
        url, heartbeat_interval=None, skip_table_creation=True, engine_kwargs=engine_kwargs
    )
    return opened, True


def make_app(
    storage: BaseStorage,
    *,
    allow_write: bool = False,
    max_curves: int | None = None,
    max_lines: int | None = None,
    webgl_above: int | None = None,
) -> StudyDetailApi:
    """optuna-dashboard's WSGI app over ``storage`` (read-only unless ``allow_write``), its
    study route answered by ``StudyDetailApi``; ``max_curves`` (see ``_curves``) and
    ``max_lines`` (see ``_front_end``): None, the default, 0: no limit; past ``webgl_above``
    trials (None: 1000) the scatter plots are drawn with WebGL."""
    max_curves, max_lines, webgl_above = resolve_limits(max_curves, max_lines, webgl_above)
    import optuna_dashboard

    from tftune.dashboard._adapter import OptunaView
    from tftune.dashboard._fast_api import StudyDetailApi

    view = OptunaView(storage, allow_write=allow_write)
    return StudyDetailApi(
        optuna_dashboard.wsgi(view),
        view,
        max_curves=max_curves,
        max_lines=max_lines,
        webgl_above=webgl_above,
    )


def wsgi(
    storage: str | BaseStorage,
    *,
    allow_write: bool = False,
    max_curves: int | None = None,
    max_lines: int | None = None,
    webgl_above: int | None = None,
) -> StudyDetailApi:
    """``make_app`` over a storage or a URL (opened as ``open_storage`` does, never closed);
    the limits are checked before anything is opened."""
    resolve_limits(max_curves, max_lines, webgl_above)
    opened, _ = open_storage(storage, allow_write=allow_write)
    return make_app(
        opened,
        allow_write=allow_write,
        max_curves=max_curves,
        max_lines=max_lines,
        webgl_above=webgl_above,
    )


def _warm(app: StudyDetailApi) -> None:
    with contextlib.suppress(Exception):  # the first request meets the error and reports it
        app.warm()


def start_warming(app: StudyDetailApi) -> threading.Thread:
    """Build every study's answer once from a daemon thread, so that the first page finds it
    made; returns the thread."""
    thread = threading.Thread(target=_warm, args=(app,), name="tftune-dashboard-warm", daemon=True)
    thread.start()
    return thread


class DashboardServer:
    """optuna-dashboard over a tftune storage on ``host:port`` (port 0: a free one).

    ``serve_forever()`` blocks; ``start()`` serves from a thread; ``stop()`` ends both and
    closes a storage this server opened.
    """

    def __init__(
        self,
        storage: str | BaseStorage,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        allow_write: bool = False,
        allow_remote: bool = False,
        max_curves: int | None = None,
        max_lines: int | None = None,
        webgl_above: int | None = None,
    ) -> None:
        _safety.check_host(host, allow_remote)
        port = _safety.check_port(port)
        resolve_limits(max_curves, max_lines, webgl_above)  # before the storage is opened
        self.remote = not _safety.is_loopback(host)
        self.allow_write = bool(allow_write)
        self.storage, self._owned = open_storage(storage, allow_write=self.allow_write)
        self._warmer: threading.Thread | None = None
        try:
            app = make_app(
                self.storage,
                allow_write=self.allow_write,
                max_curves=max_curves,
                max_lines=max_lines,
                webgl_above=webgl_above,
            )
            server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
            self._server = make_server(
                host.strip("[]"), port, app, server_class=server_class, handler_class=_QuietHandler
            )
        except BaseException:
            self._close_owned_storage()
            raise
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None
        self._warmer = start_warming(app)

    @property
    def url(self) -> str:
        """The dashboard's address, e.g. ``http://127.0.0.1:8080/dashboard``."""
        host = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/dashboard"

    def serve_forever(self) -> None:
        """Serve until ``stop()`` (from another thread) or KeyboardInterrupt."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def start(self) -> DashboardServer:
        """Serve from a daemon thread; return self."""
        self._thread = threading.Thread(
            target=self.serve_forever, name="tftune-dashboard", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the storage if this server opened it."""
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        """Release the socket, and the storage if this server opened it."""
        self._server.server_close()
        self._close_owned_storage()

    def _close_owned_storage(self) -> None:
        if self._warmer is not None and self._warmer.is_alive():  # not while it reads
            self._warmer.join(timeout=30)
        if self._owned:
            self._owned = False
            self.storage.close()


def run_server(
    storage: str | BaseStorage,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    allow_write: bool = False,
    allow_remote: bool = False,
    max_curves: int | None = None,
    max_lines: int | None = None,
    webgl_above: int | None = None,
) -> None:
    """Serve optuna-dashboard over a tftune storage until interrupted (Ctrl+C).

    Args:
        storage: a database URL (an existing database: no table is created) or a tftune
            storage object.
        host: the address to bind; anything but a loopback address needs ``allow_remote``.
        port: the TCP port (0: any free port; the address is printed).
        allow_write: let the dashboard save notes, delete studies, set attributes and finish
            running trials in the storage; without it every write is refused (HTTP 403).
        allow_remote: allow a non-loopback ``host`` (there is no authentication; a warning is
            printed).
        max_curves: past this many trials' lines the study page leaves its
            intermediate-values plot out and says so (None: 500; 0: no limit).
        max_lines: the parallel coordinates plot draws at most this many trials, the best
            and an even sample of the rest, the timeline the last ones (and every running
            one), and each says so (None: 1000; 0: no limit).
        webgl_above: past this many trials the history, slice and rank plots are drawn
            with WebGL and the page says so (None: 1000; at least 1).
    """
    server = DashboardServer(
        storage,
        host,
        port,
        allow_write=allow_write,
        allow_remote=allow_remote,
        max_curves=max_curves,
        max_lines=max_lines,
        webgl_above=webgl_above,
    )
    if server.remote:
        print(_safety.remote_warning(host), file=sys.stderr, flush=True)
    mode = "read-write" if server.allow_write else "read-only"
    where = (
        _safety.describe_url(storage)
        if isinstance(storage, str)
        else type(server.storage).__name__
    )
    print(f"tftune dashboard ({mode}) of {where} at {server.url}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
