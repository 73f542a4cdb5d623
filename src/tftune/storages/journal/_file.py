"""The journal in a file: one JSON object per line, appended under a file lock."""

from __future__ import annotations

import abc
import json
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from tftune.storages.journal._locks import BaseJournalFileLock, JournalFileSymlinkLock

_logger = logging.getLogger(__name__)


class BaseJournalBackend(abc.ABC):
    """Where a journal's log lives: entries are appended, and read back in order."""

    @abc.abstractmethod
    def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
        """The entries from number ``log_number_from`` (counted from 0) on."""

    @abc.abstractmethod
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs`` atomically: all of them, next to each other, or none."""


class JournalFileBackend(BaseJournalBackend):
    """A journal file shared by processes, on a local disk or NFS.

    Appends take ``lock_obj`` (default: a :class:`JournalFileSymlinkLock`), write every entry
    in one ``write`` and ``fsync`` before the lock is released, so no write is lost or
    interleaved. Readers reopen the file (NFS's close-to-open consistency) and take only
    complete lines: a line still being written is read next time, never half-parsed. A line
    torn by a writer that died mid-write is ended by the next writer and skipped by readers
    with a warning.
    """

    def __init__(self, file_path: str, lock_obj: BaseJournalFileLock | None = None) -> None:
        if not isinstance(file_path, (str, os.PathLike)):
            raise TypeError(f"`file_path` must be a path, got {file_path!r}.")
        self._path = os.fspath(file_path)
        self._lock = lock_obj if lock_obj is not None else JournalFileSymlinkLock(self._path)
        open(self._path, "ab").close()  # noqa: SIM115 - create it if missing
        self._read_lock = threading.Lock()
        self._next_number = 0  # the number of the entry at ``_offset``
        self._offset = 0

    @property
    def file_path(self) -> str:
        """The journal file."""
        return self._path

    def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
        with self._read_lock:
            if log_number_from < self._next_number:
                self._next_number, self._offset = 0, 0
            with open(self._path, "rb") as file:
                file.seek(self._offset)
                data = file.read()
            end = data.rfind(b"\n") + 1  # complete lines only
            entries = []
            for line in data[:end].splitlines():
                self._offset += len(line) + 1
                try:
                    entry = json.loads(line)
                except ValueError:
                    _logger.warning(
                        "Skipped a damaged line of journal %s (a writer died mid-write?): %r",
                        self._path,
                        line[:200],
                    )
                    continue
                if self._next_number >= log_number_from:
                    entries.append(entry)
                self._next_number += 1
        return iter(entries)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if not logs:
            return
        payload = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs).encode()
        with self._lock, open(self._path, "ab") as file:
            size = file.seek(0, os.SEEK_END)
            if size and not _ends_with_newline(self._path, size):
                payload = b"\n" + payload  # end a line torn by a writer that died
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())


def _ends_with_newline(path: str, size: int) -> bool:
    with open(path, "rb") as file:
        file.seek(size - 1)
        return file.read(1) == b"\n"
