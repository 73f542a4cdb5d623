"""A study's trials as the storages keep them for reads: indexed so that a read costs O(result).

Finished trials never change, so each is indexed once: into the list of all trials (by number)
and into a list per finished state. Open trials (RUNNING, WAITING) are kept apart, since they
are few and change. ``select`` and ``count`` then cost the size of their answer, not the
study's, and the best trial of a single-objective study is kept up to date as trials finish.

The trials handed out are the cached objects themselves: callers of
``get_all_trials(deepcopy=False)`` must treat them as read-only (``deepcopy=True``, the default,
returns copies).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Container
from operator import attrgetter

from tftune._direction import StudyDirection
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

_FINISHED_STATES = tuple(s for s in TrialState if s.is_finished())
_OPEN_STATES = tuple(s for s in TrialState if not s.is_finished())
_by_number = attrgetter("number")


def best_key(trial: FrozenTrial, maximize: bool) -> tuple[int, float, int]:
    """The order of ``get_best_trial``: the direction's infinity, then finite values (best
    first), then the other infinity and NaN; ties go to the earliest number."""
    value = trial.values[0]  # type: ignore[index]
    if math.isfinite(value):
        return 1, -value if maximize else value, trial.number
    if not math.isnan(value) and (value > 0) == maximize:
        return 0, 0.0, trial.number
    return 2, 0.0, trial.number


class StudyTrials:
    """One study's trials, indexed by number, state and id (not thread-safe: lock outside)."""

    def __init__(self, directions: list[StudyDirection] | None = None) -> None:
        self.trials: list[FrozenTrial] = []  # every trial, ordered by number
        self.position: dict[int, int] = {}  # trial id -> index in ``trials``
        self.finished: dict[TrialState, list[FrozenTrial]] = {s: [] for s in _FINISHED_STATES}
        self.open: dict[int, FrozenTrial] = {}  # trial id -> the RUNNING or WAITING trial
        self.finish_order: list[FrozenTrial] = []  # finished trials, in the order indexed
        self.last_id = -1  # the largest trial id seen
        self.best: FrozenTrial | None = None
        self._maximize: bool | None = None
        if directions is not None and len(directions) == 1:
            self._maximize = directions[0] == StudyDirection.MAXIMIZE

    def __len__(self) -> int:
        return len(self.trials)

    def put(self, trial: FrozenTrial) -> None:
        """Add a new trial or replace an open one by its newer version."""
        trial_id = trial.trial_id
        index = self.position.get(trial_id)
        if index is None:
            self.last_id = max(self.last_id, trial_id)
            if not self.trials or self.trials[-1].number < trial.number:
                self.position[trial_id] = len(self.trials)
                self.trials.append(trial)
            else:  # out of order (not seen in practice): insert and renumber the positions
                index = bisect.bisect(self.trials, trial.number, key=_by_number)
                self.trials.insert(index, trial)
                for i in range(index, len(self.trials)):
                    self.position[self.trials[i].trial_id] = i
        else:
            old = self.trials[index]
            if old.state.is_finished():
                return  # finished trials never change
            self.trials[index] = trial
        if trial.state.is_finished():
            self.open.pop(trial_id, None)
            self._index_finished(trial)
        else:
            self.open[trial_id] = trial

    def finished_in_place(self, trial: FrozenTrial) -> None:
        """Index an open trial that its owner has just finished by changing it in place."""
        if self.open.pop(trial.trial_id, None) is not None:
            self._index_finished(trial)

    def _index_finished(self, trial: FrozenTrial) -> None:
        self.finish_order.append(trial)
        same_state = self.finished[trial.state]
        if not same_state or same_state[-1].number < trial.number:
            same_state.append(trial)
        else:
            bisect.insort(same_state, trial, key=_by_number)
        if (
            self._maximize is not None
            and trial.state == TrialState.COMPLETE
            and trial.values is not None
            and (
                self.best is None
                or best_key(trial, self._maximize) < best_key(self.best, self._maximize)
            )
        ):
            self.best = trial

    def select(self, states: Container[TrialState] | None) -> list[FrozenTrial]:
        """The trials in ``states`` (all when None), ordered by number; a new list."""
        if states is None:
            return list(self.trials)
        wanted = [s for s in TrialState if s in states]
        if len(wanted) == len(TrialState):
            return list(self.trials)
        parts = [self.finished[s] for s in wanted if s.is_finished()]
        open_states = [s for s in wanted if not s.is_finished()]
        if open_states:
            parts.append([t for t in self.open.values() if t.state in open_states])
        parts = [part for part in parts if part]
        if not parts:
            return []
        if len(parts) == 1:
            return list(parts[0])
        return sorted((t for part in parts for t in part), key=_by_number)

    def finished_since(self, start: int) -> list[FrozenTrial]:
        """The finished trials from position ``start`` of ``finish_order`` on; a new list."""
        return self.finish_order[start:]

    def count(self, states: Container[TrialState] | None) -> int:
        """How many trials are in ``states`` (all when None)."""
        if states is None:
            return len(self.trials)
        total = sum(len(self.finished[s]) for s in _FINISHED_STATES if s in states)
        open_states = [s for s in _OPEN_STATES if s in states]
        if open_states:
            total += sum(1 for t in self.open.values() if t.state in open_states)
        return total
