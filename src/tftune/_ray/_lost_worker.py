"""Trials whose Ray worker died: the mark of those run again (one home for both Ray paths).

A trial whose worker died (killed, out of memory, its node lost) is failed by the driver and,
while its chain has retries left, enqueued again. Only a trial that was retried is marked:
it is not the trial's own failure, so the tuner's count of failures in a row skips it; the
last failure of a chain (no retry left) is not marked and counts like any other.
"""

from __future__ import annotations

from tftune.storages._base import BaseStorage
from tftune.trial import FrozenTrial

#: System attribute of a trial failed because its worker died and retried: its own number
#: (a retry copies its system attributes, so the mark holds only where the number matches).
LOST_WORKER_RETRIED_KEY = "lost_worker_retried"


def mark_retried(storage: BaseStorage, trial: FrozenTrial) -> None:
    """Mark ``trial`` (still running) as about to be failed for a dead worker and retried."""
    storage.set_trial_system_attr(trial.trial_id, LOST_WORKER_RETRIED_KEY, trial.number)


def was_retried(trial: FrozenTrial) -> bool:
    """Whether ``trial`` failed because its worker died and was run again."""
    return trial.system_attrs.get(LOST_WORKER_RETRIED_KEY) == trial.number
