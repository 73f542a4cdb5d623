"""File locks for a journal shared by processes, also on NFS: a symlink or an exclusively
created file, either made atomically by the file server; a lock older than its grace period
was left by a dead process and is broken."""

from __future__ import annotations

import abc
import errno
import os
import time
import uuid

#: Seconds between attempts to take a held lock.
_POLL = 0.001
_MAX_POLL = 0.05


class BaseJournalFileLock(abc.ABC):
    """A lock on a journal file, held while one process appends to it."""

    def __init__(self, filepath: str, grace_period: int | None = 30) -> None:
        if grace_period is not None and (
            isinstance(grace_period, bool)
            or not isinstance(grace_period, (int, float))
            or grace_period <= 0
        ):
            raise ValueError(
                f"`grace_period` must be a positive number or None, got {grace_period!r}."
            )
        self._lock_file = f"{filepath}.lock"
        self.grace_period = grace_period

    @abc.abstractmethod
    def _try_create(self) -> bool:
        """Create the lock file atomically; False if it exists."""

    def acquire(self) -> bool:
        """Wait for the lock and take it; a lock older than ``grace_period`` is broken."""
        pause = _POLL
        while True:
            if self._try_create():
                return True
            self._break_if_stale()
            time.sleep(pause)
            pause = min(pause * 2, _MAX_POLL)

    def release(self) -> None:
        """Give the lock up (renamed away first, so that no other holder's file is removed)."""
        released = f"{self._lock_file}.{uuid.uuid4().hex}"
        try:
            os.rename(self._lock_file, released)
            os.unlink(released)
        except OSError as error:
            raise RuntimeError(
                f"Could not release the journal lock {self._lock_file!r}: {error}"
            ) from None

    def _break_if_stale(self) -> None:
        if self.grace_period is None:
            return
        try:
            age = time.time() - os.lstat(self._lock_file).st_mtime
        except FileNotFoundError:
            return
        if age > self.grace_period:
            stale = f"{self._lock_file}.stale.{uuid.uuid4().hex}"
            try:
                os.rename(self._lock_file, stale)  # one breaker wins; the others find it gone
                os.unlink(stale)
            except FileNotFoundError:
                pass

    def __enter__(self) -> BaseJournalFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class JournalFileSymlinkLock(BaseJournalFileLock):
    """The lock is a symlink ``<journal>.lock`` (``symlink(2)`` is atomic on NFS)."""

    def _try_create(self) -> bool:
        try:
            os.symlink(f"{uuid.uuid4().hex}", self._lock_file)
        except FileExistsError:
            return False
        return True


class JournalFileOpenLock(BaseJournalFileLock):
    """The lock is a file ``<journal>.lock`` created with ``O_CREAT | O_EXCL`` (atomic on NFS
    version 3 and later), for file systems without symlinks."""

    def _try_create(self) -> bool:
        try:
            descriptor = os.open(self._lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except OSError as error:
            if error.errno == errno.EEXIST:
                return False
            raise
        os.close(descriptor)
        return True
