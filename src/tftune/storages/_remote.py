"""A storage in another process: the calls a proxy may forward, and the proxy's side of them.

A proxy (over gRPC, or a Ray actor) sends each storage call as a method name with its
arguments; the server runs it with :func:`dispatch`, which accepts only the public methods of
:class:`BaseStorage`. :class:`ForwardingStorage` is the proxy half: every storage method becomes
one ``_call``. Reads of a study's trials are answered from a local copy that fetches only the
trials that finished since the last read and the few still open, so a worker's ask costs the
same at the 100th and the 10,000th trial.
"""

from __future__ import annotations

import abc
import copy
import threading
from collections.abc import Container, Sequence
from typing import Any

from tftune._direction import StudyDirection
from tftune._pickling import portable_state, restore_state
from tftune.distributions import BaseDistribution
from tftune.exceptions import UpdateFinishedTrialError
from tftune.storages._base import BaseStorage, StudySummary
from tftune.storages._batch_writer import BatchWriter, Write
from tftune.storages._cache import StudyTrials
from tftune.storages._heartbeat import HeartbeatThread, stop_beating
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

#: The storage methods a remote caller may run: nothing else of the storage object is reachable,
#: and closing it is for its owner only.
REMOTE_METHODS = frozenset(
    name
    for name in dir(BaseStorage)
    if not name.startswith("_")
    and callable(getattr(BaseStorage, name))
    and name not in ("close", "remove_session")
) | {"describe"}

_OPEN = [TrialState.RUNNING, TrialState.WAITING]

#: The writes of a running trial that may be held back and sent later in one batch.
TRIAL_WRITES = frozenset(
    {"set_trial_param", "set_trial_attr", "set_trial_intermediate_value", "set_trial_state_values"}
)


def describe(storage: BaseStorage) -> dict[str, Any]:
    """What a proxy copies from the storage it reaches: its heartbeat settings."""
    return {
        "heartbeat_interval": storage.heartbeat_interval,
        "grace_period": storage.grace_period,
    }


def dispatch(
    storage: BaseStorage,
    method: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    *,
    caller_beats: bool = True,
) -> Any:
    """Run ``storage.<method>(*args, **kwargs)`` for a remote caller; ValueError for a name that
    is not a public storage method. With ``caller_beats``, the caller's proxy sends the
    heartbeats of the trials it creates, so the storage stops beating for them itself."""
    if method not in REMOTE_METHODS:
        raise ValueError(f"{method!r} is not a storage method a proxy may call.")
    if method == "describe":
        return describe(storage)
    result = getattr(storage, method)(*args, **kwargs)
    if caller_beats and method == "create_new_trial" and isinstance(result, FrozenTrial):
        stop_beating(storage, result.trial_id)  # the caller's proxy beats for it, while it lives
    return result


def apply_writes(storage: BaseStorage, writes: Sequence[Write]) -> None:
    """Store a batch of trial writes in order: in one transaction on a database storage (all
    or nothing: ``RDBStorage.apply_writes``), in one call to the server of a
    ``RayStorageProxy`` (each a :class:`BatchWriter`), else one call per write (the writes
    before the one that raised are stored).

    Raises ValueError for a method that is not a trial write; the first write that raises
    stops the batch, and its error is raised."""
    if isinstance(storage, BatchWriter):
        storage.apply_writes(writes)
    else:
        run_writes(storage, writes)


def apply_trials_writes(
    storage: BaseStorage, batches: Sequence[Sequence[Write]]
) -> list[UpdateFinishedTrialError | None]:
    """Store the writes of several trials (one batch per trial) as one batch; when one was
    finished meanwhile elsewhere, store them trial by trial instead (the only fallback).

    Returns, per trial, ``None`` (its writes stored) or the error that refused them: the
    storage's state of that trial wins. (On a storage without transactions the trials stored
    before the refused one are then refused too, as finished: their stored state is theirs.)"""
    try:
        apply_writes(storage, [write for batch in batches for write in batch])
        return [None] * len(batches)
    except UpdateFinishedTrialError:
        pass
    outcomes: list[UpdateFinishedTrialError | None] = []
    for batch in batches:
        try:
            apply_writes(storage, batch)
            outcomes.append(None)
        except UpdateFinishedTrialError as error:
            outcomes.append(error)
    return outcomes


def run_writes(storage: BaseStorage, writes: Sequence[Write]) -> None:
    """:func:`apply_writes` as one storage method call per write (a server runs a batch so)."""
    for method, args, kwargs in writes:
        if method not in TRIAL_WRITES:
            raise ValueError(f"{method!r} is not a trial write; a batch holds only those.")
        getattr(storage, method)(*args, **kwargs)


class ForwardingStorage(BaseStorage):
    """A storage whose every call is ``self._call(method, *args, **kwargs)`` on a remote one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[int, tuple[StudyTrials, list[int]]] = {}
        self._heartbeat: HeartbeatThread | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (to worker processes): a new lock and an empty local copy there."""
        state = portable_state(self, caches=("_studies",))
        state["_heartbeat"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    @abc.abstractmethod
    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``method`` on the remote storage and return its result (or raise its error)."""

    def _copy_settings(self) -> None:
        """Take the remote storage's heartbeat settings (so studies keep heartbeats)."""
        settings = self._call("describe")
        self.heartbeat_interval = settings["heartbeat_interval"]
        self.grace_period = settings["grace_period"]
        if self.heartbeat_interval and self._heartbeat is None:
            self._heartbeat = HeartbeatThread(self)

    # --- studies ---------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        result: int = self._call("create_new_study", list(directions), study_name)
        return result

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)
        with self._lock:
            self._studies.pop(study_id, None)

    def get_study_id_from_name(self, study_name: str) -> int:
        result: int = self._call("get_study_id_from_name", study_name)
        return result

    def get_study_name_from_id(self, study_id: int) -> str:
        result: str = self._call("get_study_name_from_id", study_id)
        return result

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        result: list[StudyDirection] = self._call("get_study_directions", study_id)
        return result

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        self._call("set_study_attr", study_id, key, value, system=system)

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self._call("get_study_attrs", study_id, system=system)
        return result

    def get_all_studies(self) -> list[StudySummary]:
        result: list[StudySummary] = self._call("get_all_studies")
        return result

    # --- trials: writes --------------------------------------------------------------------
    def create_new_trial(self, study_id: int, *, create: bool = True) -> FrozenTrial | None:
        result: FrozenTrial | None = self._call("create_new_trial", study_id, create=create)
        if result is not None and self._heartbeat is not None:
            self._heartbeat.add(result.trial_id)  # this process runs it: beat while it lives
        return result

    def enqueue_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, once_key: str | None = None
    ) -> bool:
        result: bool = self._call("enqueue_trials", study_id, list(templates), once_key=once_key)
        return result

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[int]:
        result: list[int] = self._call("add_trials", study_id, list(trials))
        return result

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        self._call("set_trial_param", trial_id, name, internal_value, distribution)

    def set_trial_state_values(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        values = None if values is None else list(values)
        self._call("set_trial_state_values", trial_id, state, values, system_attrs=system_attrs)
        if state.is_finished() and self._heartbeat is not None:
            self._heartbeat.discard(trial_id)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, value)

    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        self._call("set_trial_attr", trial_id, key, value, system=system)

    # --- trials: reads ---------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        result: FrozenTrial = self._call("get_trial", trial_id)
        return result

    def _refreshed(self, study_id: int, with_open: bool) -> StudyTrials:
        """The study's local copy, brought up to date: open trials first, then the trials
        finished since the last read (a trial finishing in between is then in the second)."""
        open_trials = self._call("get_all_trials", study_id, states=_OPEN) if with_open else []
        with self._lock:
            known = self._studies.get(study_id)
            start = 0 if known is None else known[1][0]
        finished: list[FrozenTrial] = self._call("get_finished_trials", study_id, start=start)
        with self._lock:
            if study_id not in self._studies:
                self._studies[study_id] = (StudyTrials(), [0])
            trials, read = self._studies[study_id]
            if read[0] == start:  # another thread may have read the same ones meanwhile
                for trial in finished:
                    trials.put(trial)
                read[0] = start + len(finished)
            for trial in open_trials:
                trials.put(trial)
            return trials

    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with_open = states is None or any(s in states for s in _OPEN)
        trials = self._refreshed(study_id, with_open)
        with self._lock:
            chosen = trials.select(states)
        return copy.deepcopy(chosen) if deepcopy else chosen

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        trials = self._refreshed(study_id, with_open=False)
        with self._lock:
            return trials.finished_since(start)

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        states = None if states is None else [s for s in TrialState if s in states]
        result: int = self._call("get_n_trials", study_id, states)
        return result

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        result: FrozenTrial = self._call("get_best_trial", study_id)
        return result

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        result: int = self._call("get_trial_id_from_number", study_id, number)
        return result

    # --- heartbeats ------------------------------------------------------------------------
    def record_heartbeat(self, trial_ids: Sequence[int]) -> None:
        self._call("record_heartbeat", list(trial_ids))

    def fail_stale_trials(self, study_id: int) -> list[FrozenTrial]:
        result: list[FrozenTrial] = self._call("fail_stale_trials", study_id)
        return result
