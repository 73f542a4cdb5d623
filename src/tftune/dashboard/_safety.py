"""The dashboard's safe defaults: loopback only, and a database opened read-only.

The dashboard has no authentication, so it binds a loopback address unless told otherwise.
Read-only, a SQLite file is opened with ``mode=ro`` (SQLite itself refuses any write, and a
reader in WAL mode never blocks the workers writing the study) and a PostgreSQL session with
``default_transaction_read_only``; with ``allow_write`` the URL is used as it is.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from typing import Any

import sqlalchemy as sa

from tftune.storages._rdb import _engine

#: The PostgreSQL session setting that makes every transaction read-only.
READ_ONLY_POSTGRES = "-c default_transaction_read_only=on"
#: Host names that always mean this machine.
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: Any, allow_remote: bool) -> None:
    """Refuse a host other than a loopback address unless ``allow_remote``."""
    if not isinstance(host, str) or not host:
        raise ValueError(f"`host` must be a host name or IP address, got {host!r}.")
    if not allow_remote and not is_loopback(host):
        raise ValueError(
            f"`host` {host!r} is not a loopback address: the dashboard has no authentication, "
            "so anyone who can reach that address could read the studies; pass "
            "--allow-remote (allow_remote=True) to serve it there anyway."
        )


def remote_warning(host: str) -> str:
    """The warning printed when the dashboard is served beyond this machine."""
    return (
        f"WARNING: the tftune dashboard listens on {host}, beyond this machine, with no "
        "authentication: anyone who can reach it can read every study in this storage."
    )


def check_port(port: Any) -> int:
    """A TCP port number 0..65535 (0: any free port)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"`port` must be an integer 0..65535 (0: any free port), got {port!r}.")
    return port


def sqlite_file(url: str) -> str | None:
    """The absolute path of the SQLite file a (normalised) URL names; None for another
    database, an in-memory one or a ``file:`` URI."""
    parsed = sa.make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return os.path.abspath(database)


def read_only_options(url: str) -> tuple[str, dict[str, Any]]:
    """The URL and engine arguments that open ``url`` (normalised) for reading only."""
    path = sqlite_file(url)
    if path is not None:
        parsed = sa.make_url(url)
        uri = parsed.set(database=f"file:{urllib.parse.quote(path)}").update_query_dict(
            {"mode": "ro", "uri": "true"}
        )
        return uri.render_as_string(hide_password=False), {}
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":  # kept with any options the URL has
        given = parsed.query.get("options", "")
        given = given[-1] if isinstance(given, tuple) else given
        options = f"{given} {READ_ONLY_POSTGRES}".strip()
        read_only = parsed.update_query_dict({"options": options})
        return read_only.render_as_string(hide_password=False), {}
    return url, {}


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return _engine.safe_url(url)
