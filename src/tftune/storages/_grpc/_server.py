"""The gRPC server that holds one storage for many worker processes (Optuna's names).

Every worker's :class:`GrpcStorageProxy` sends its storage calls here; the server runs them on
its one storage object, so thousands of workers share one database connection pool (or one
SQLite file that only this process opens) instead of one each. It has no authentication: keep
it on a private network.
"""

from __future__ import annotations

import ipaddress
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tftune._experimental import experimental_func
from tftune.storages._base import BaseStorage
from tftune.storages._grpc._codec import describe_error, dumps, loads
from tftune.storages._remote import dispatch

SERVICE = "tftune.StorageProxy"
METHOD = "Call"
#: No message size limit: a study's trials travel in one answer.
CHANNEL_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
_logger = logging.getLogger("tftune")


def _answer(storage: BaseStorage, request: bytes) -> bytes:
    try:
        method, args, kwargs = loads(request)
        return dumps((True, dispatch(storage, method, args, kwargs)))
    except Exception as error:  # noqa: BLE001 - handed to the caller, raised there
        return dumps((False, describe_error(error)))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def get_server(
    storage: BaseStorage | str,
    *,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> Any:
    """A ``grpc.Server`` serving ``storage`` (a storage or a database URL) on ``host:port``,
    not yet started; ``port=0`` picks a free port (``server.tftune_port`` tells which)."""
    import grpc

    from tftune.storages import get_storage

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"`port` must be an int in [0, 65535], got {port!r}.")
    if not isinstance(host, str) or not host:
        raise ValueError(f"`host` must be a host name or address, got {host!r}.")
    served = get_storage(storage)
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {METHOD: grpc.unary_unary_rpc_method_handler(lambda r, _: _answer(served, r))}
    )
    server = grpc.server(
        thread_pool or ThreadPoolExecutor(max_workers=16), options=CHANNEL_OPTIONS
    )
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"The storage server could not listen on {host}:{port}.")
    if not _is_loopback(host):
        _logger.warning(
            "The storage server listens on %s:%d, beyond this machine, and has no "
            "authentication: any process that reaches the port can read and change studies.",
            host,
            bound,
        )
    server.tftune_port = bound
    return server


@experimental_func("4.2.0")
def run_grpc_proxy_server(
    storage: BaseStorage | str,
    *,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> None:
    """Serve ``storage`` to :class:`GrpcStorageProxy` clients until interrupted (Ctrl-C)."""
    server = get_server(storage, host=host, port=port, thread_pool=thread_pool)
    server.start()
    _logger.info("Storage server listening on %s:%d.", host, server.tftune_port)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(grace=1.0).wait()
