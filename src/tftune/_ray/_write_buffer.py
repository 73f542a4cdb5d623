"""A worker's storage that holds back the writes of the trial it runs, and sends them late.

A trial's writes (its parameters, attributes, reports and final state) cost one call to the
storage proxy (or a database transaction) each. The worker sends them in batches instead:
a trial that ends within ``delay`` seconds sends none of them itself (they travel back to the
driver with the trial's result, and the driver stores them in one batch); a longer trial's
writes are sent by a background thread at most ``delay`` seconds after they were made, so a
running trial's parameters and attributes show in the storage while it runs. The trial was
created RUNNING by the driver before the worker got it, so it is in the storage from its start,
and the driver fails it when the worker dies (losing at most the writes of its last ``delay``
seconds).

Reads go to the storage unchanged: the trial's own pending writes are in the worker's copy of
the trial, which the objective, the sampler and the pruner read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Container, Sequence
from typing import Any

from tftune.storages._base import BaseStorage
from tftune.storages._batch_writer import Write
from tftune.storages._remote import (
    TRIAL_WRITES,
    ForwardingStorage,
    apply_trials_writes,
    apply_writes,
)
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

#: Seconds a held-back write waits at most before the background thread sends it.
FLUSH_DELAY = 0.1


class TrialWriteBuffer(ForwardingStorage):
    """``storage`` with the writes of one trial at a time (see :meth:`hold`) held back."""

    def __init__(self, storage: BaseStorage, delay: float = FLUSH_DELAY) -> None:
        super().__init__()
        self._storage = storage
        self._delay = delay
        self._held: int | None = None
        self._pending: list[Write] = []
        self._oldest = 0.0  # when the oldest pending write was made (monotonic)
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._sending = threading.Lock()  # held while a batch is on its way
        self._flusher: threading.Thread | None = None

    def hold(self, trial_id: int) -> None:
        """Hold back the writes of ``trial_id`` from now until :meth:`release`."""
        with self._changed:
            self._held, self._pending, self._error = trial_id, [], None
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, daemon=True)
            self._flusher.start()

    def release(self, *, send: bool) -> list[Write]:
        """Stop holding: send what is pending (``send``, e.g. when the trial raised) or
        return it for the caller to store. Raises the error of a batch the background thread
        could not send."""
        with self._sending, self._changed:
            writes, self._pending, self._held = self._pending, [], None
            error, self._error = self._error, None
        if error is not None:
            raise error
        if send and writes:
            apply_writes(self._storage, writes)
            return []
        return writes

    def send(self, batches: Sequence[Sequence[Write]]) -> None:
        """Store the writes held back from earlier trials (one batch per trial) now; a trial
        finished meanwhile elsewhere keeps the storage's state."""
        if any(batches):
            apply_trials_writes(self._storage, batches)

    def _flush_loop(self) -> None:
        while True:
            with self._changed:
                while not self._pending:
                    self._changed.wait()
                wait = self._oldest + self._delay - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
            self._flush_due()

    def _flush_due(self) -> None:
        with self._sending:
            with self._changed:
                writes, self._pending = self._pending, []
            if not writes:  # released meanwhile
                return
            try:
                apply_writes(self._storage, writes)
            except BaseException as error:  # noqa: BLE001 - raised by release(), in the trial
                with self._changed:
                    self._error = error

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if method in TRIAL_WRITES:
            with self._changed:
                if self._held is not None and args and args[0] == self._held:
                    if not self._pending:
                        self._oldest = time.monotonic()
                        self._changed.notify()
                    self._pending.append((method, args, kwargs))
                    return None
        return getattr(self._storage, method)(*args, **kwargs)

    # Reads of a study's trials go straight to the storage (which may keep its own copy).
    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._storage.get_all_trials(study_id, deepcopy=deepcopy, states=states)

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        return self._storage.get_finished_trials(study_id, start=start)

    def fail_stale_trials(self, study_id: int) -> list[FrozenTrial]:
        return self._storage.fail_stale_trials(study_id)

    def record_heartbeat(self, trial_ids: Sequence[int]) -> None:
        self._storage.record_heartbeat(trial_ids)
