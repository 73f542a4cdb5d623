"""JournalStorage: a study's history as an append-only log, replayed by every process.

Every change is one log entry (an operation, its arguments and the time it was made). Each
process replays the log, in the same order, into an in-memory replica, so every process
computes the same state: a trial claimed, numbered or finished by the first entry that does
so; a later entry that conflicts (a second ``tell`` of the same trial) changes nothing and
raises in the process that wrote it.
"""

from __future__ import annotations

import datetime
import itertools
import threading
import uuid
from collections.abc import Callable, Container, Sequence
from typing import Any

from tftune._direction import StudyDirection
from tftune.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from tftune.exceptions import TftuneError
from tftune.storages._base import BaseStorage, StudySummary
from tftune.storages._in_memory import InMemoryStorage
from tftune.storages.journal._file import BaseJournalBackend
from tftune.storages.journal._optuna_log import apply_optuna_entry, is_optuna_entry
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

Entry = dict[str, Any]


class _Replica(InMemoryStorage):
    """The in-memory state the log describes; trials are stamped with the log's times."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = datetime.datetime.now()

    def now(self) -> datetime.datetime:
        return self.clock


class JournalStorage(BaseStorage):
    """Studies in an append-only journal, shared by processes through its backend
    (``JournalStorage(JournalFileBackend("tftune.log"))``): no database server needed, and a
    plain file that NFS serves safely (see :class:`JournalFileBackend`).

    Reads replay what other processes appended since the last read. A journal that Optuna
    wrote opens too (its entries are read as Optuna reads them); tftune appends its own.
    Heartbeats (failing the trials of dead workers) need an RDBStorage.
    """

    def __init__(self, log_storage: BaseJournalBackend) -> None:
        if not isinstance(log_storage, BaseJournalBackend):
            raise TypeError(
                f"`log_storage` must be a journal backend such as JournalFileBackend, "
                f"got {log_storage!r}."
            )
        self._backend = log_storage
        self._replica = _Replica()
        self._applied = 0  # entries replayed so far
        self._worker = uuid.uuid4().hex
        self._counter = itertools.count()
        self._mine: dict[str, Any] = {}  # id of an entry this object wrote -> its outcome
        self._lock = threading.RLock()
        self._sync()

    # --- the log -----------------------------------------------------------------------------
    def _sync(self) -> None:
        with self._lock:
            for entry in self._backend.read_logs(self._applied):
                self._applied += 1
                try:
                    outcome: Any = self._apply(entry)
                except (TftuneError, KeyError, ValueError, RuntimeError) as error:
                    outcome = _Failed(error)
                if entry.get("id") in self._mine:
                    self._mine[entry["id"]] = outcome

    def _apply(self, entry: Entry) -> Any:
        if is_optuna_entry(entry):  # a journal that Optuna wrote
            return apply_optuna_entry(self._replica, entry)
        self._replica.clock = datetime.datetime.fromtimestamp(entry["time"])
        return _OPERATIONS[entry["op"]](self._replica, entry)

    def _write(self, op: str, **arguments: Any) -> Any:
        """Append one operation, replay up to it, and return its outcome (or raise its error)."""
        with self._lock:
            entry_id = f"{self._worker}:{next(self._counter)}"
            self._mine[entry_id] = _PENDING
            entry = {"op": op, "id": entry_id, "time": datetime.datetime.now().timestamp()}
            self._backend.append_logs([{**entry, **arguments}])
            self._sync()
            outcome = self._mine.pop(entry_id)
        if outcome is _PENDING:
            raise RuntimeError(f"Journal entry {entry_id} was appended but not read back.")
        if isinstance(outcome, _Failed):
            raise outcome.error
        return outcome

    def _read(self, read: Callable[[InMemoryStorage], Any]) -> Any:
        with self._lock:
            self._sync()
            return read(self._replica)

    # --- studies -----------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        study_id: int = self._write(
            "create_study", directions=[int(d) for d in directions], name=study_name
        )
        return study_id

    def delete_study(self, study_id: int) -> None:
        self._read(lambda r: r.get_study_name_from_id(study_id))  # KeyError if unknown
        self._write("delete_study", study_id=study_id)

    def get_study_id_from_name(self, study_name: str) -> int:
        study_id: int = self._read(lambda r: r.get_study_id_from_name(study_name))
        return study_id

    def get_study_name_from_id(self, study_id: int) -> str:
        name: str = self._read(lambda r: r.get_study_name_from_id(study_id))
        return name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        directions: list[StudyDirection] = self._read(lambda r: r.get_study_directions(study_id))
        return directions

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        self._write("set_study_attr", study_id=study_id, key=key, value=value, system=system)

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        attrs: dict[str, Any] = self._read(lambda r: r.get_study_attrs(study_id, system=system))
        return attrs

    def get_all_studies(self) -> list[StudySummary]:
        summaries: list[StudySummary] = self._read(lambda r: r.get_all_studies())
        return summaries

    # --- trials: writes ----------------------------------------------------------------------
    def create_new_trial(self, study_id: int, *, create: bool = True) -> FrozenTrial | None:
        trial: FrozenTrial | None = self._write("create_trial", study_id=study_id, create=create)
        return trial

    def enqueue_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, once_key: str | None = None
    ) -> bool:
        added: bool = self._write(
            "enqueue",
            study_id=study_id,
            templates=[[t.user_attrs, t.system_attrs] for t in templates],
            once_key=once_key,
        )
        return added

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[int]:
        ids: list[int] = self._write(
            "add_trials", study_id=study_id, trials=[_trial_to_json(t) for t in trials]
        )
        return ids

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        self._check_open(trial_id)
        self._write(
            "set_param",
            trial_id=trial_id,
            name=name,
            value=internal_value,
            distribution=distribution_to_json(distribution),
        )

    def set_trial_state_values(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        self._check_open(trial_id)
        self._write(
            "set_state",
            trial_id=trial_id,
            state=int(state),
            values=None if values is None else [float(v) for v in values],
            system_attrs=system_attrs,
        )

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._check_open(trial_id)
        self._write("set_intermediate", trial_id=trial_id, step=step, value=value)

    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        self._check_open(trial_id)
        self._write("set_trial_attr", trial_id=trial_id, key=key, value=value, system=system)

    def _check_open(self, trial_id: int) -> None:
        """Raise before writing anything if the trial is already finished (as far as known)."""
        trial = self._read(lambda r: r.get_trial(trial_id))
        if trial.state.is_finished():
            self._read(lambda r: r.check_trial_is_updatable(trial_id, trial.state))

    # --- trials: reads -----------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._read(lambda r: r.get_trial(trial_id))
        return trial

    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        trials: list[FrozenTrial] = self._read(
            lambda r: r.get_all_trials(study_id, deepcopy=deepcopy, states=states)
        )
        return trials

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        trials: list[FrozenTrial] = self._read(
            lambda r: r.get_finished_trials(study_id, start=start)
        )
        return trials

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        count: int = self._read(lambda r: r.get_n_trials(study_id, states))
        return count

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._read(lambda r: r.get_best_trial(study_id))
        return trial

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        trial_id: int = self._read(lambda r: r.get_trial_id_from_number(study_id, number))
        return trial_id


class _Failed:
    """The outcome of an entry that changed nothing (its error is raised to its writer)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


_PENDING = object()


def _trial_to_json(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "state": int(trial.state),
        "values": trial.values,
        "start": trial.datetime_start.timestamp() if trial.datetime_start else None,
        "complete": trial.datetime_complete.timestamp() if trial.datetime_complete else None,
        "params": {
            name: [d.to_internal_repr(trial.params[name]), distribution_to_json(d)]
            for name, d in trial.distributions.items()
        },
        "user_attrs": trial.user_attrs,
        "system_attrs": trial.system_attrs,
        "intermediate": [[step, value] for step, value in trial.intermediate_values.items()],
    }


def _trial_from_json(data: dict[str, Any]) -> FrozenTrial:
    params, distributions = {}, {}
    for name, (internal, text) in data["params"].items():
        distribution = json_to_distribution(text)
        params[name] = distribution.to_external_repr(internal)
        distributions[name] = distribution
    return FrozenTrial(
        number=-1,
        state=TrialState(data["state"]),
        values=data["values"],
        datetime_start=_moment(data["start"]),
        datetime_complete=_moment(data["complete"]),
        params=params,
        distributions=distributions,
        user_attrs=data["user_attrs"],
        system_attrs=data["system_attrs"],
        intermediate_values={int(step): value for step, value in data["intermediate"]},
    )


def _moment(epoch: float | None) -> datetime.datetime | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch)


def _template(attrs: list[dict[str, Any]]) -> FrozenTrial:
    return FrozenTrial(
        number=-1, state=TrialState.WAITING, user_attrs=attrs[0], system_attrs=attrs[1]
    )


#: How each kind of entry changes the replica (and what its writer gets back).
_OPERATIONS: dict[str, Callable[[InMemoryStorage, Entry], Any]] = {
    "create_study": lambda r, e: r.create_new_study(
        [StudyDirection(d) for d in e["directions"]], e["name"]
    ),
    "delete_study": lambda r, e: r.delete_study(e["study_id"]),
    "set_study_attr": lambda r, e: r.set_study_attr(
        e["study_id"], e["key"], e["value"], system=e["system"]
    ),
    "create_trial": lambda r, e: r.create_new_trial(e["study_id"], create=e["create"]),
    "enqueue": lambda r, e: r.enqueue_trials(
        e["study_id"], [_template(t) for t in e["templates"]], once_key=e["once_key"]
    ),
    "add_trials": lambda r, e: r.add_trials(
        e["study_id"], [_trial_from_json(t) for t in e["trials"]]
    ),
    "set_param": lambda r, e: r.set_trial_param(
        e["trial_id"], e["name"], e["value"], json_to_distribution(e["distribution"])
    ),
    "set_state": lambda r, e: r.set_trial_state_values(
        e["trial_id"], TrialState(e["state"]), e["values"], system_attrs=e["system_attrs"]
    ),
    "set_intermediate": lambda r, e: r.set_trial_intermediate_value(
        e["trial_id"], e["step"], e["value"]
    ),
    "set_trial_attr": lambda r, e: r.set_trial_attr(
        e["trial_id"], e["key"], e["value"], system=e["system"]
    ),
}
