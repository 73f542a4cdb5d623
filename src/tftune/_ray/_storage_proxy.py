"""A storage that lives in one Ray actor, and the proxy through which workers reach it.

A SQLite file sits on the driver's machine and an in-memory storage in the driver's process;
workers on other machines cannot open either. The driver starts a :class:`StorageServer`
actor on its own node that holds the storage, and workers get a :class:`RayStorageProxy`:
a storage whose every call is a call to that actor. Exceptions raised by the storage reach the
caller as themselves (a ``UpdateFinishedTrialError`` stays one).
"""

from __future__ import annotations

from typing import Any

from collections.abc import Sequence

from tftune.storages._base import BaseStorage
from tftune.storages._batch_writer import BatchWriter, Write
from tftune.storages._remote import ForwardingStorage, apply_writes, dispatch


class StorageServer:
    """The actor's class: runs storage methods by name on the storage it holds."""

    def __init__(self, storage: BaseStorage) -> None:
        self._storage = storage

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``(True, result)``, or ``(False, exception)`` when the storage raised."""
        try:
            # The storage keeps beating for the trials it creates: Ray, not a heartbeat,
            # reports a dead worker, and the workers' proxies send none.
            return True, dispatch(self._storage, method, args, kwargs, caller_beats=False)
        except Exception as error:  # noqa: BLE001 - handed to the caller, raised there
            return False, error

    def call_batch(self, writes: Sequence[Write]) -> tuple[bool, Any]:
        """Run a batch of trial writes in order (in one transaction on a database):
        ``(True, None)``, or ``(False, exception)`` for the first that raised (the rest are not
        run)."""
        try:
            apply_writes(self._storage, writes)
            return True, None
        except Exception as error:  # noqa: BLE001 - handed to the caller, raised there
            return False, error

    def snapshot(self) -> BaseStorage:
        """The storage itself (pickled by value when it is in memory)."""
        return self._storage


def start_storage_server(storage: BaseStorage) -> Any:
    """Start a :class:`StorageServer` for ``storage`` on this (the driver's) node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    # Several threads: the storages are thread-safe, and one slow call must not queue the rest.
    server = ray.remote(StorageServer).options(
        num_cpus=0, max_concurrency=8, scheduling_strategy=here, max_restarts=0
    )
    return server.remote(storage)


class RayStorageProxy(ForwardingStorage, BatchWriter):
    """A storage whose calls run on a :class:`StorageServer` actor (picklable to workers).

    It keeps no heartbeats: Ray reports a dead worker to the driver, which fails its trial.
    """

    def __init__(self, server: Any) -> None:
        super().__init__()
        self._server = server

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import ray

        ok, result = ray.get(self._server.call.remote(method, args, kwargs))
        if not ok:
            raise result
        return result

    def apply_writes(self, writes: Sequence[Write]) -> None:
        """The batch as one call to the server."""
        import ray

        ok, error = ray.get(self._server.call_batch.remote(list(writes)))
        if not ok:
            raise error
