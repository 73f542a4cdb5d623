"""One background thread per storage that keeps this process's running trials alive."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tftune.storages._base import BaseStorage

_logger = logging.getLogger(__name__)


class HeartbeatThread:
    """Sends ``storage.record_heartbeat`` for every registered trial each interval.

    The thread starts with the first registered trial and is a daemon: a process that dies
    stops beating, which is exactly how other workers learn that its trials are dead.
    """

    def __init__(self, storage: BaseStorage) -> None:
        self._storage = storage
        self._trial_ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, trial_id: int) -> None:
        with self._lock:
            self._trial_ids.add(trial_id)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._beat, name="tftune-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._trial_ids.discard(trial_id)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._trial_ids)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        interval = self._storage.heartbeat_interval or 30.0
        failures = 0
        while not self._stop.wait(interval):
            ids = self.ids()
            if not ids:
                continue
            try:
                self._storage.record_heartbeat(sorted(ids))
                failures = 0
            except Exception as error:  # a missed beat is not fatal; the next one may succeed
                failures += 1
                level = (
                    logging.WARNING if failures == 1 else logging.DEBUG
                )  # say it once, not every beat
                _logger.log(
                    level, "Could not record the heartbeat of trials %s: %s", sorted(ids), error
                )


def stop_beating(storage: BaseStorage, trial_id: int) -> None:
    """Stop the heartbeat of one trial of ``storage`` (a no-op for storages without one).

    A trial that no longer beats is failed by the next stale-trial check of any worker once
    the storage's grace period has passed.
    """
    heartbeat = getattr(storage, "_heartbeat", None)
    if isinstance(heartbeat, HeartbeatThread):
        heartbeat.discard(trial_id)
