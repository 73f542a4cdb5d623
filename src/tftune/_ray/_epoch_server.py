"""Per-epoch pack checkpoints on the driver's disk, reached from workers on any node.

The driver starts one actor on its own node holding a
:class:`~tftune._ray._epoch_store.DirectoryEpochStore` under the study's directory; workers
get a :class:`RayEpochStore`, whose calls are calls to that actor. A pack's worker sends each
checkpointed epoch's model state as bytes; a retry, on whatever node, fetches them back.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import Any

from tftune._ray._epoch_store import DirectoryEpochStore, EpochCheckpoint, EpochStore


def start_epoch_server(directory: pathlib.Path) -> Any:
    """Start the actor keeping the checkpoints in ``directory``, on this (the driver's) node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    # Several threads: the chains' files are apart, and one pack's save must not queue the
    # others'. (One chain's saves come from one worker, one after the other.)
    server = ray.remote(DirectoryEpochStore).options(
        num_cpus=0, max_concurrency=4, scheduling_strategy=here, max_restarts=0
    )
    return server.remote(directory)


class RayEpochStore(EpochStore):
    """An :class:`EpochStore` whose calls run on the actor :func:`start_epoch_server` started
    (picklable to workers)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def put(self, checkpoint: EpochCheckpoint, state: bytes) -> None:
        import ray

        ray.get(self.server.put.remote(checkpoint, state))

    def latest(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        import ray

        found: tuple[EpochCheckpoint, bytes] | None = ray.get(self.server.latest.remote(chain))
        return found

    def discard(self, chains: Sequence[int]) -> None:
        import ray

        if chains:
            ray.get(self.server.discard.remote(list(chains)))
