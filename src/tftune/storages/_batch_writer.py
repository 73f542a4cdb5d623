"""The capability of storing a batch of trial writes at once (see ``_remote.apply_writes``).

Its own small module, so a storage declaring it need not import the remote proxies.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

#: One held-back write: the method's name, its positional and its keyword arguments.
Write = tuple[str, tuple[Any, ...], dict[str, Any]]


class BatchWriter(abc.ABC):
    """A storage that stores a batch of trial writes itself, declared by subclassing: in one
    transaction (``RDBStorage``), in one call to its server (``RayStorageProxy``).
    ``apply_writes`` hands a batch to such a storage whole; others get one call per write."""

    @abc.abstractmethod
    def apply_writes(self, writes: Sequence[Write]) -> None:
        """Store ``writes`` in order, as ``apply_writes`` says."""
