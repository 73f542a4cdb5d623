"""Where a pack keeps each trial's last completed epoch, so a retry after a lost worker goes on.

A checkpoint is the model's state (its variables and its optimizer's, as ``.npz`` bytes) and
what a retry needs besides them: the epoch, the values reported so far
and the per-epoch history. It belongs to a *chain*: the number of the first trial of a retry
chain (a retry's ``retry_of``), so a retry finds what the trial it replaces saved, and each
save replaces the chain's previous one.

:class:`DirectoryEpochStore` keeps them as files in one directory. On Ray it lives in an actor
on the driver's node (see :mod:`tftune._ray._epoch_server`), so the checkpoints of a worker on
any node reach the driver's disk as bytes, and a retry on any node fetches them back: no
directory need be shared between machines. Nothing here imports Keras or Ray (so the actor
starts without TensorFlow).
"""

from __future__ import annotations

import abc
import dataclasses
import json
import os
import pathlib
import re
from collections.abc import Sequence
from typing import Any

#: The file prefix of a retry's epoch checkpoints, and of paused trials' checkpoints.
EPOCHS, PAUSED = "epoch", "paused"
#: The name of a paused trial's checkpoint written by path (a ``.weights.h5`` file).
PAUSED_FILE = re.compile(r"trial_(\d+)\.weights\.h5")


def paused_file_name(number: int) -> str:
    """The file name of trial ``number``'s paused checkpoint written by path."""
    return f"trial_{number}.weights.h5"


@dataclasses.dataclass(frozen=True)
class EpochCheckpoint:
    """What a retry resumes from, besides the model's state (see the module doc).

    Attributes:
        chain: the number of the first trial of the retry chain.
        epoch: the last completed epoch (the retry starts at ``epoch + 1``).
        input_shape: the model's input shape, to build it before loading (``None``: built).
        values: the ``[step, value]`` pairs reported up to ``epoch``.
        history: the per-epoch logs up to ``epoch`` (``model.fit``'s ``history``).
    """

    chain: int
    epoch: int
    input_shape: list[int | None] | None
    values: list[list[float]]
    history: dict[str, list[float]]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> EpochCheckpoint:
        fields: dict[str, Any] = json.loads(text)
        return cls(**fields)


class EpochStore(abc.ABC):
    """Keeps the latest :class:`EpochCheckpoint` of each chain with its model state (bytes)."""

    @abc.abstractmethod
    def put(self, checkpoint: EpochCheckpoint, state: bytes) -> None:
        """Keep ``checkpoint`` as its chain's latest; the chain's older ones go."""

    @abc.abstractmethod
    def latest(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        """The chain's latest checkpoint and its model state, or ``None`` if it has none."""

    @abc.abstractmethod
    def discard(self, chains: Sequence[int]) -> None:
        """Remove every checkpoint of ``chains`` (their trials finished)."""


class DirectoryEpochStore(EpochStore):
    """An :class:`EpochStore` in ``directory``: ``<prefix>_<chain>_<epoch>.npz`` and a ``.json``
    beside it, written last (a checkpoint whose ``.json`` is missing is not one). With
    ``max_chains``, a save beyond that many chains removes those with the lowest numbers."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        prefix: str = EPOCHS,
        max_chains: int | None = None,
    ) -> None:
        if not re.fullmatch(r"[a-z]+", prefix):
            raise ValueError(f"`prefix` must be lowercase letters, got {prefix!r}.")
        self.directory = pathlib.Path(directory)
        self.prefix, self.max_chains = prefix, max_chains
        self._name = re.compile(rf"{prefix}_(\d+)_(\d+)\.(npz|json)")
        #: A write cut short (see ``_write``): never read, removed with its chain.
        self._part = re.compile(rf"\.{prefix}_(\d+)_(\d+)\.(npz|json)\.part")

    def put(self, checkpoint: EpochCheckpoint, state: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = f"{self.prefix}_{checkpoint.chain}_{checkpoint.epoch}"
        _write(self.directory / f"{stem}.npz", state)
        _write(self.directory / f"{stem}.json", checkpoint.to_json().encode())
        for path, epoch in self._files(checkpoint.chain):
            if epoch != checkpoint.epoch:
                path.unlink(missing_ok=True)
        if self.max_chains is not None:
            kept = self.chains()
            self.discard(kept[: max(0, len(kept) - self.max_chains)])

    def latest(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        epochs = sorted(
            {epoch for path, epoch in self._files(chain) if path.suffix == ".json"}, reverse=True
        )
        for epoch in epochs:
            stem = self.directory / f"{self.prefix}_{chain}_{epoch}"
            try:
                meta = stem.with_name(f"{stem.name}.json").read_text()
                state = stem.with_name(f"{stem.name}.npz").read_bytes()
            except FileNotFoundError:  # removed meanwhile by a newer save
                continue
            return EpochCheckpoint.from_json(meta), state
        return None

    def discard(self, chains: Sequence[int]) -> None:
        for chain in chains:
            for path, _ in self._files(chain):
                path.unlink(missing_ok=True)
            for part in self.directory.glob(f".{self.prefix}_{chain}_*.part"):
                match = self._part.fullmatch(part.name)
                if match is not None and int(match[1]) == chain:
                    part.unlink(missing_ok=True)

    def holds(self, chain: int) -> bool:
        """Whether the chain has a checkpoint (without reading it)."""
        return any(path.suffix == ".json" for path, _ in self._files(chain))

    def chains(self) -> list[int]:
        """The chains with a checkpoint, in increasing order."""
        if not self.directory.is_dir():
            return []
        found = set()
        for path in self.directory.glob(f"{self.prefix}_*.json"):
            match = self._name.fullmatch(path.name)
            if match is not None:
                found.add(int(match[1]))
        return sorted(found)

    def names(self) -> list[str]:
        """The files kept (sorted), writes cut short included, for a look at what is on disk."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p.name
            for p in self.directory.iterdir()
            if self._name.fullmatch(p.name) or self._part.fullmatch(p.name)
        )

    def _files(self, chain: int) -> list[tuple[pathlib.Path, int]]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"{self.prefix}_{chain}_*"):
            match = self._name.fullmatch(path.name)
            if match is not None and int(match[1]) == chain:
                found.append((path, int(match[2])))
        return found


def _write(path: pathlib.Path, data: bytes) -> None:
    """Write ``data`` to ``path`` at once: a reader sees the old file or the new one."""
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(data)
    os.replace(part, path)


class PausedCheckpoints(abc.ABC):
    """The paused trials' checkpoints the driver can read, which a promotion resumes from:
    those kept in its paused store (by chain) and those written by path."""

    @abc.abstractmethod
    def paused(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        """The paused store's checkpoint of ``chain`` and its model state, or ``None``."""

    @abc.abstractmethod
    def file(self, path: str) -> bytes | None:
        """The bytes of the paused checkpoint file at ``path`` (relative: to the driver's
        working directory), or ``None`` if the driver cannot read it."""


class DiskPausedCheckpoints(PausedCheckpoints):
    """:class:`PausedCheckpoints` on the driver's disk: the paused store in ``directory`` and
    files by path, relative ones under ``base`` (the driver's working directory). Only paused
    checkpoint files (``trial_<n>.weights.h5``) are read."""

    def __init__(self, directory: str | os.PathLike[str], base: str | os.PathLike[str]) -> None:
        self.store = DirectoryEpochStore(directory, prefix=PAUSED)
        self.base = pathlib.Path(base)

    def paused(self, chain: int) -> tuple[EpochCheckpoint, bytes] | None:
        return self.store.latest(chain)

    def file(self, path: str) -> bytes | None:
        where = self.base / path  # (an absolute path stays itself)
        if not PAUSED_FILE.fullmatch(where.name):
            raise ValueError(
                f"`path` must name a paused checkpoint file (trial_<n>.weights.h5), got {path!r}."
            )
        try:
            return where.read_bytes()
        except OSError:  # gone, or a directory this machine does not see
            return None
