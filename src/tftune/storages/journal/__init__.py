"""Journal storage: studies as an append-only log in a file, shared by processes without a
database server (Optuna's ``optuna.storages.journal``)."""

from tftune.storages.journal._file import BaseJournalBackend, JournalFileBackend
from tftune.storages.journal._locks import (
    BaseJournalFileLock,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from tftune.storages.journal._redis import JournalRedisBackend
from tftune.storages.journal._storage import JournalStorage

__all__ = [
    "BaseJournalBackend",
    "BaseJournalFileLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalRedisBackend",
    "JournalStorage",
]
