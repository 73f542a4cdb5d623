"""optuna-dashboard over tftune's own storage: ``tftune dashboard`` or ``run_server``.

The dashboard's pages (study list, history, parallel coordinates, intermediate values, trial
table, notes) read a tftune storage through an adapter that presents it as an Optuna storage;
nothing is copied and no Optuna table is ever created. Read-only by default, bound to
127.0.0.1 by default. Needs the ``dashboard`` extra (``pip install 'tftune[dashboard]'``);
Optuna and optuna-dashboard are imported only when a dashboard is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tftune.dashboard._server import DashboardServer

__all__ = ["DashboardServer", "run_server", "wsgi"]

INSTALL_HINT = "the tftune dashboard needs optuna-dashboard: pip install 'tftune[dashboard]'"


def _server_module() -> Any:
    try:
        import optuna  # noqa: F401
        import optuna_dashboard  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from error
    from tftune.dashboard import _server

    return _server


def run_server(
    storage: Any,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    allow_write: bool = False,
    allow_remote: bool = False,
    max_curves: int | None = None,
    max_lines: int | None = None,
    webgl_above: int | None = None,
) -> None:
    """Serve optuna-dashboard over a tftune storage (a URL or a storage object) until
    interrupted; the arguments are those of :func:`tftune.dashboard._server.run_server`."""
    _server_module().run_server(
        storage,
        host,
        port,
        allow_write=allow_write,
        allow_remote=allow_remote,
        max_curves=max_curves,
        max_lines=max_lines,
        webgl_above=webgl_above,
    )


def wsgi(
    storage: Any,
    *,
    allow_write: bool = False,
    max_curves: int | None = None,
    max_lines: int | None = None,
    webgl_above: int | None = None,
) -> Any:
    """optuna-dashboard's WSGI app over a tftune storage (a URL, opened read-only unless
    ``allow_write`` and never closed, or a storage object), for a WSGI server of your choice
    (there is no authentication: put one in front of it before exposing it); ``allow_write``,
    ``max_curves``, ``max_lines`` and ``webgl_above`` as in :func:`run_server`."""
    return _server_module().wsgi(
        storage,
        allow_write=allow_write,
        max_curves=max_curves,
        max_lines=max_lines,
        webgl_above=webgl_above,
    )


def __getattr__(name: str) -> Any:
    if name == "DashboardServer":
        return _server_module().DashboardServer
    raise AttributeError(f"module 'tftune.dashboard' has no attribute {name!r}")
