"""Retry an artifact store's operations with exponentially growing pauses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import BinaryIO, TypeVar

from tftune.artifacts._protocol import ArtifactStore
from tftune.artifacts.exceptions import ArtifactNotFound
from tftune.logging import get_logger

_logger = get_logger(__name__)
_T = TypeVar("_T")


class Backoff:
    """Wrap a store (``Backoff(Boto3ArtifactStore(...))``): an operation that raises is retried
    after ``min_delay * multiplier**i`` seconds (at most ``max_delay``), up to ``max_retries``
    attempts in all; the last error propagates. ``ArtifactNotFound`` is never retried. A write
    rewinds ``content_body`` before each retry, so it must be seekable."""

    def __init__(
        self,
        backend: ArtifactStore,
        *,
        max_retries: int = 10,
        multiplier: float = 2,
        min_delay: float = 0.1,
        max_delay: float = 30,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 1:
            raise ValueError(f"`max_retries` must be an int >= 1, got {max_retries!r}.")
        if not multiplier > 0:
            raise ValueError(f"`multiplier` must be > 0, got {multiplier!r}.")
        if not min_delay > 0:
            raise ValueError(f"`min_delay` must be > 0, got {min_delay!r}.")
        if not max_delay > min_delay:
            raise ValueError(
                f"`max_delay` must be > `min_delay` ({min_delay!r}), got {max_delay!r}."
            )
        self._backend = backend
        self._max_retries = max_retries
        self._multiplier = multiplier
        self._min_delay = min_delay
        self._max_delay = max_delay

    def delay(self, retry: int) -> float:
        """Seconds to wait after the failed attempt number ``retry`` (from 0)."""
        return float(min(self._min_delay * self._multiplier**retry, self._max_delay))

    def _retry(
        self,
        what: str,
        artifact_id: str,
        call: Callable[[], _T],
        before_retry: Callable[[], object] | None = None,
    ) -> _T:
        for attempt in range(self._max_retries):
            try:
                return call()
            except ArtifactNotFound:
                raise
            except Exception as e:
                if attempt == self._max_retries - 1:
                    raise
                _logger.warning(
                    "Failed to %s artifact %r (attempt %d of %d): %r",
                    what,
                    artifact_id,
                    attempt + 1,
                    self._max_retries,
                    e,
                )
            time.sleep(self.delay(attempt))
            if before_retry is not None:
                before_retry()
        raise AssertionError("unreachable")  # pragma: no cover

    def open_reader(self, artifact_id: str) -> BinaryIO:
        return self._retry("open", artifact_id, lambda: self._backend.open_reader(artifact_id))

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        start = content_body.tell()
        self._retry(
            "write",
            artifact_id,
            lambda: self._backend.write(artifact_id, content_body),
            lambda: content_body.seek(start),
        )

    def remove(self, artifact_id: str) -> None:
        self._retry("remove", artifact_id, lambda: self._backend.remove(artifact_id))
