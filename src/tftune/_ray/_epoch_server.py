"""Pack checkpoints on the driver's disk, reached from workers on any node.

The driver starts one actor on its own node, a :class:`CheckpointServer` holding two
:class:`~tftune._ray._epoch_store.DirectoryEpochStore` under the study's directory: the
per-epoch checkpoints that retries resume (``EPOCHS``) and those of paused trials that
promotions resume (``PAUSED``, when no shared directory is given). Workers get a
:class:`RayEpochStore` for each, whose calls are calls to that actor. A pack's worker sends
the model state as bytes; a retry or a promotion, on whatever node, fetches them back. A
promotion whose paused trial's checkpoint is a file the worker cannot read (written by an
earlier search, in a directory not shared now) fetches its bytes through the same actor
(:class:`RayPausedCheckpoints`), which reads it on the driver's node.

The driver itself does not go through the actor: it reads and drops paused checkpoints in
the ``PAUSED`` directory directly (each chain's files, see ``paused_kept`` and
``drop_paused`` in :mod:`tftune.keras._pack_job`).
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import Any

from tftune._ray._epoch_store import (
    EPOCHS,
    PAUSED,
    DirectoryEpochStore,
    DiskPausedCheckpoints,
    EpochCheckpoint,
    EpochStore,
    PausedCheckpoints,
)


class CheckpointServer:
    """The actor's class: the stores of each kind, ``EPOCHS`` in ``directory`` and ``PAUSED``
    in ``paused_directory``, where at most ``max_paused`` paused trials are kept (the lowest
    numbers go first); paused checkpoint files are read by path, relative ones under ``base``
    (the driver's working directory)."""

    def __init__(
        self,
        directory: pathlib.Path,
        max_paused: int,
        paused_directory: pathlib.Path,
        base: pathlib.Path,
    ) -> None:
        self._stores = {
            EPOCHS: DirectoryEpochStore(directory, prefix=EPOCHS),
            PAUSED: DirectoryEpochStore(paused_directory, prefix=PAUSED, max_chains=max_paused),
        }
        self._files = DiskPausedCheckpoints(paused_directory, base)

    def put(self, kind: str, checkpoint: EpochCheckpoint, state: bytes) -> None:
        self._stores[kind].put(checkpoint, state)

    def latest(self, kind: str, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        return self._stores[kind].latest(chain)

    def discard(self, kind: str, chains: list[int]) -> None:
        self._stores[kind].discard(chains)

    def paused_file(self, path: str) -> bytes | None:
        return self._files.file(path)


def start_epoch_server(
    directory: pathlib.Path, *, max_paused: int, paused_directory: pathlib.Path | None = None
) -> Any:
    """Start the actor keeping the checkpoints in ``directory`` (the paused store's in
    ``paused_directory``, default ``directory``; both made absolute here: the actor's working
    directory is its node's), on this (the driver's) node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    # Several threads: the chains' files are apart, and one pack's save must not queue the
    # others'. (One chain's saves come from one worker, one after the other.)
    server = ray.remote(CheckpointServer).options(
        num_cpus=0, max_concurrency=4, scheduling_strategy=here, max_restarts=0
    )
    paused = directory if paused_directory is None else paused_directory
    return server.remote(directory.absolute(), max_paused, paused.absolute(), pathlib.Path.cwd())


class RayEpochStore(EpochStore):
    """The ``kind`` store of the actor :func:`start_epoch_server` started, as an
    :class:`EpochStore` (picklable to workers)."""

    def __init__(self, server: Any, kind: str = EPOCHS) -> None:
        self.server, self.kind = server, kind

    def put(self, checkpoint: EpochCheckpoint, state: bytes) -> None:
        import ray

        ray.get(self.server.put.remote(self.kind, checkpoint, state))

    def latest(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        import ray

        found: tuple[EpochCheckpoint, bytes] | None = ray.get(
            self.server.latest.remote(self.kind, chain)
        )
        return found

    def discard(self, chains: Sequence[int]) -> None:
        import ray

        if chains:
            ray.get(self.server.discard.remote(self.kind, list(chains)))


class RayPausedCheckpoints(PausedCheckpoints):
    """The driver's :class:`PausedCheckpoints`, read through the actor
    :func:`start_epoch_server` started (picklable to workers)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._store = RayEpochStore(server, PAUSED)

    def paused(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        return self._store.latest(chain)

    def file(self, path: str) -> bytes | None:
        import ray

        data: bytes | None = ray.get(self.server.paused_file.remote(path))
        return data
