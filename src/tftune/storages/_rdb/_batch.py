"""One transaction for a batch of trial writes (``RDBStorage.apply_writes``).

Each trial write (a parameter, an attribute, a report, the final state) is one transaction of
its own, and a transaction's commit is what costs on a database server (PostgreSQL flushes its
log at each). A batch opens one write transaction and runs every write's work in it: while the
batch is open, the storage's transaction helper joins this thread's open transaction instead of
opening one. The batch commits as a whole, or not at all.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from tftune.storages._rdb._compiled import RawTransaction


class JoinedTransactions:
    """Per thread, the transaction that a batch of writes runs in while it is open."""

    def __init__(self) -> None:
        self._local = threading.local()

    def current(self) -> RawTransaction | None:
        """This thread's open batch transaction, or ``None``."""
        tx: RawTransaction | None = getattr(self._local, "tx", None)
        return tx

    @contextlib.contextmanager
    def joined(self, tx: RawTransaction) -> Iterator[None]:
        """Within the block, this thread's writes run in ``tx``."""
        if self.current() is not None:
            raise RuntimeError("A batch of writes is already open in this thread.")
        self._local.tx = tx
        try:
            yield
        finally:
            self._local.tx = None
