"""The journal file locks under their older import path, ``tftune.storages``.

As in Optuna, ``tftune.storages.JournalFileOpenLock`` and ``JournalFileSymlinkLock`` still work
but warn (FutureWarning) that the path is deprecated: the locks live in
``tftune.storages.journal``.
"""

from __future__ import annotations

import warnings

from tftune.storages.journal import JournalFileOpenLock, JournalFileSymlinkLock


def _warn_old_path(name: str) -> None:
    warnings.warn(
        f"The import path tftune.storages.{name} is deprecated; "
        f"use tftune.storages.journal.{name} instead.",
        FutureWarning,
        stacklevel=3,
    )


class DeprecatedJournalFileOpenLock(JournalFileOpenLock):
    """:class:`tftune.storages.journal.JournalFileOpenLock`, reached by its deprecated path."""

    def __init__(self, filepath: str, grace_period: int | None = 30) -> None:
        _warn_old_path("JournalFileOpenLock")
        super().__init__(filepath, grace_period)


class DeprecatedJournalFileSymlinkLock(JournalFileSymlinkLock):
    """:class:`tftune.storages.journal.JournalFileSymlinkLock`, reached by its deprecated
    path."""

    def __init__(self, filepath: str, grace_period: int | None = 30) -> None:
        _warn_old_path("JournalFileSymlinkLock")
        super().__init__(filepath, grace_period)
