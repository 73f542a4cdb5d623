"""The life cycle of a trial."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """Where a trial is in its life: WAITING (enqueued) → RUNNING → COMPLETE, PRUNED or FAIL."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    #: ``str(state)`` is ``TrialState.COMPLETE``, as in Optuna (not IntEnum's ``1``).
    __str__ = enum.Enum.__str__

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED and FAIL are final: such a trial never changes again."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"
