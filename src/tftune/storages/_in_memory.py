"""Storage in this process's memory: the default of ``create_study()``; gone when it ends."""

from __future__ import annotations

import collections
import copy
import datetime
import threading
from collections.abc import Container, Sequence
from typing import Any

from tftune._pickling import portable_state, restore_state
from tftune.distributions import BaseDistribution
from tftune.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError
from tftune.storages._base import BaseStorage, StudySummary
from tftune.storages._cache import StudyTrials
from tftune._direction import StudyDirection
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState


class _StudyRecord:
    __slots__ = (
        "name",
        "directions",
        "user_attrs",
        "system_attrs",
        "trials",
        "index",
        "waiting",
        "best",
        "created",
    )

    def __init__(
        self, name: str, directions: list[StudyDirection], created: datetime.datetime
    ) -> None:
        self.name = name
        self.directions = directions
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.index = StudyTrials()  # the trials by number, state and id (see _cache.py)
        self.trials: list[FrozenTrial] = self.index.trials
        self.waiting: collections.deque[FrozenTrial] = collections.deque()
        self.best: FrozenTrial | None = None
        self.created = created


class InMemoryStorage(BaseStorage):
    """Keeps studies in dicts guarded by one lock; fast enough that storage costs nothing."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRecord] = {}
        self._names: dict[str, int] = {}
        self._trials: dict[int, tuple[int, FrozenTrial]] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    def now(self) -> datetime.datetime:
        """The time stamped on new studies and on trials as they start and finish (a journal's
        replica answers with the time its log recorded)."""
        return datetime.datetime.now()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled by value: the copy holds the same studies and trials, and a new lock."""
        with self._lock:
            return copy.deepcopy(portable_state(self))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    # --- studies ---------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        with self._lock:
            if study_name in self._names:
                raise DuplicatedStudyError(
                    f"A study named {study_name!r} already exists in this storage."
                )
            study_id = self._next_study_id
            self._next_study_id += 1
            self._studies[study_id] = _StudyRecord(study_name, list(directions), self.now())
            self._names[study_name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            record = self._study(study_id)
            for trial in record.trials:
                del self._trials[trial.trial_id]
            del self._names[record.name]
            del self._studies[study_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            if study_name not in self._names:
                raise StudyNotFoundError(f"No study named {study_name!r} in this storage.")
            return self._names[study_name]

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return list(self._study(study_id).directions)

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        with self._lock:
            record = self._study(study_id)
            (record.system_attrs if system else record.user_attrs)[key] = copy.deepcopy(value)

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        with self._lock:
            record = self._study(study_id)
            return copy.deepcopy(record.system_attrs if system else record.user_attrs)

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            return [self._summary(study_id, record) for study_id, record in self._studies.items()]

    def _summary(self, study_id: int, record: _StudyRecord) -> StudySummary:
        best = record.best.values if record.best is not None else None
        return StudySummary(
            study_id,
            record.name,
            list(record.directions),
            len(record.trials),
            record.index.count((TrialState.COMPLETE,)),
            list(best) if best else None,
            record.created,
        )

    def _study(self, study_id: int) -> _StudyRecord:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"No study with id {study_id} in this storage.") from None

    # --- trials ----------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, *, create: bool = True) -> FrozenTrial | None:
        now = self.now()
        with self._lock:
            record = self._study(study_id)
            if record.waiting:
                trial = record.waiting.popleft()
                trial.state, trial.datetime_start = TrialState.RUNNING, now
                return trial.copy()
            if not create:
                return None
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            trial = FrozenTrial(
                number=len(record.trials),
                state=TrialState.RUNNING,
                datetime_start=now,
                trial_id=trial_id,
            )
            record.index.put(trial)
            self._trials[trial_id] = (study_id, trial)
            return trial.copy()

    def enqueue_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, once_key: str | None = None
    ) -> bool:
        with self._lock:
            record = self._study(study_id)
            if once_key is not None:
                if once_key in record.system_attrs:
                    return False
                record.system_attrs[once_key] = True
            for template in templates:
                trial = FrozenTrial(
                    number=len(record.trials),
                    state=TrialState.WAITING,
                    trial_id=self._next_trial_id,
                    user_attrs=copy.deepcopy(template.user_attrs),
                    system_attrs=copy.deepcopy(template.system_attrs),
                )
                record.index.put(trial)
                record.waiting.append(trial)
                self._trials[trial.trial_id] = (study_id, trial)
                self._next_trial_id += 1
            return True

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[int]:
        with self._lock:
            record = self._study(study_id)
            ids = []
            for given in trials:
                trial = copy.deepcopy(given)
                trial.number, trial._trial_id = len(record.trials), self._next_trial_id
                self._next_trial_id += 1
                record.index.put(trial)
                self._trials[trial.trial_id] = (study_id, trial)
                if trial.state == TrialState.COMPLETE:
                    self._update_best(record, trial)
                ids.append(trial.trial_id)
            return ids

    def _running(self, trial_id: int, *, allow_waiting: bool = True) -> tuple[int, FrozenTrial]:
        """The trial, if it may still change (RUNNING, or WAITING where allowed)."""
        try:
            study_id, trial = self._trials[trial_id]
        except KeyError:
            raise KeyError(f"No trial with id {trial_id} in this storage.") from None
        if trial.state.is_finished() or (trial.state == TrialState.WAITING and not allow_waiting):
            raise UpdateFinishedTrialError(
                f"Trial #{trial.number} is {trial.state.name}; "
                "only a running trial can be changed."
            )
        return study_id, trial

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        with self._lock:
            _, trial = self._running(trial_id)
            trial.params[name] = distribution.to_external_repr(internal_value)
            trial.distributions[name] = distribution

    def set_trial_state_values(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            study_id, trial = self._running(trial_id)
            if system_attrs:
                trial.system_attrs.update(copy.deepcopy(system_attrs))
            if values is not None:
                trial.values = [float(v) for v in values]
            trial.state = state
            if state == TrialState.RUNNING:
                trial.datetime_start = self.now()
            if state.is_finished():
                trial.datetime_complete = self.now()
                self._studies[study_id].index.finished_in_place(trial)
            if state == TrialState.COMPLETE:
                self._update_best(self._studies[study_id], trial)

    def _update_best(self, record: _StudyRecord, trial: FrozenTrial) -> None:
        """Keep the best complete trial; ties go to the earliest number, as in SQL storage."""
        if len(record.directions) != 1 or trial.values is None:
            return
        best = record.best
        if best is None or best.values is None:
            record.best = trial
            return
        value, best_value = trial.values[0], best.values[0]
        if value == best_value:
            better = trial.number < best.number
        elif record.directions[0] == StudyDirection.MAXIMIZE:
            better = value > best_value
        else:
            better = value < best_value
        if better:
            record.best = trial

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            self._running(trial_id, allow_waiting=False)[1].intermediate_values[step] = value

    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        with self._lock:
            trial = self._running(trial_id)[1]
            (trial.system_attrs if system else trial.user_attrs)[key] = copy.deepcopy(value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            try:
                return copy.deepcopy(self._trials[trial_id][1])
            except KeyError:
                raise KeyError(f"No trial with id {trial_id} in this storage.") from None

    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._study(study_id).index.select(states)
            return copy.deepcopy(trials) if deepcopy else trials

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        with self._lock:
            return self._study(study_id).index.finished_since(start)

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            return self._study(study_id).index.count(states)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        with self._lock:
            record = self._study(study_id)
            if len(record.directions) != 1:
                raise RuntimeError(
                    "get_best_trial is for single-objective studies; use best_trials."
                )
            if record.best is None:
                raise ValueError("No trial is complete yet, so there is no best trial.")
            return copy.deepcopy(record.best)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if not 0 <= number < len(trials):
                raise KeyError(
                    f"Study {self._studies[study_id].name!r} has no trial number {number}."
                )
            return trials[number].trial_id
