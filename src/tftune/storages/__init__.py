"""Where studies live: in memory, in SQLite/PostgreSQL through ``RDBStorage``, in a journal
file, or behind a gRPC storage server that many workers share (``GrpcStorageProxy``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.storages._base import BaseStorage, StudySummary
from tftune.storages._grpc import GrpcStorageProxy, run_grpc_proxy_server
from tftune.storages._callbacks import (
    RetryFailedTrialCallback,
    RetryHeartbeatStaleTrialCallback,
)
from tftune.storages._deprecated_locks import (
    DeprecatedJournalFileOpenLock as JournalFileOpenLock,
)
from tftune.storages._deprecated_locks import (
    DeprecatedJournalFileSymlinkLock as JournalFileSymlinkLock,
)
from tftune.storages._in_memory import InMemoryStorage
from tftune.storages.journal import (
    BaseJournalBackend,
    JournalFileBackend,
    JournalStorage,
)

#: Optuna's older names, from before its journal module.
JournalFileStorage = JournalFileBackend
BaseJournalLogStorage = BaseJournalBackend

__all__ = [
    "BaseJournalLogStorage",
    "BaseStorage",
    "GrpcStorageProxy",
    "InMemoryStorage",
    "JournalFileOpenLock",
    "JournalFileStorage",
    "JournalFileSymlinkLock",
    "JournalStorage",
    "RDBStorage",
    "RetryFailedTrialCallback",
    "RetryHeartbeatStaleTrialCallback",
    "StudySummary",
    "fail_stale_trials",
    "get_storage",
    "run_grpc_proxy_server",
]

if TYPE_CHECKING:
    from tftune.storages._rdb import RDBStorage
    from tftune.study import Study


def __getattr__(name: str) -> Any:
    """``RDBStorage`` loads SQLAlchemy on first use, so ``import tftune`` stays quick."""
    if name == "RDBStorage":
        from tftune.storages._rdb import RDBStorage

        return RDBStorage
    raise AttributeError(f"module 'tftune.storages' has no attribute {name!r}")


DEFAULT_STORAGE_URL = "sqlite:///tftune.db"


def get_storage(storage: None | str | BaseStorage) -> BaseStorage:
    """Turn ``create_study``'s ``storage`` argument into a storage object.

    ``None`` gives a new in-memory storage; a URL string gives an ``RDBStorage``.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        from tftune.storages._rdb import RDBStorage

        return RDBStorage(storage)
    raise TypeError(
        "`storage` must be None, a database URL such as 'sqlite:///tftune.db', "
        "or a storage object, "
        f"got {storage!r} ({type(storage).__name__})."
    )


@experimental_func("2.9.0")
def fail_stale_trials(study: Study) -> None:
    """Fail the study's RUNNING trials whose heartbeat stopped (their worker died) now,
    calling the storage's ``failed_trial_callback`` for each; studies also do this on their
    own before each new trial."""
    study.fail_stale_trials()
