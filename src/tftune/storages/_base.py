"""The storage interface: where studies and trials live.

A storage is the single source of truth shared by every worker of a study. Implementations:
``InMemoryStorage`` (one process) and ``RDBStorage`` (SQLite or PostgreSQL, many processes).
Values are plain JSON-compatible data; nothing is ever pickled.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Container, Sequence
from typing import Any

from tftune.distributions import BaseDistribution
from tftune._direction import StudyDirection
from tftune.exceptions import UpdateFinishedTrialError
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

#: System attribute holding the parameters an enqueued trial must use.
FIXED_PARAMS_KEY = "fixed_params"
#: System attribute holding why a trial failed (a message or a traceback).
FAIL_REASON_KEY = "fail_reason"


#: Study system attribute holding the objectives' names (``Study.set_metric_names``).
METRIC_NAMES_KEY = "study:metric_names"


@dataclasses.dataclass(frozen=True)
class StudySummary:
    """One line of ``get_all_studies``: a study's name, directions and progress.

    ``get_all_study_summaries`` fills in ``best_trial`` and the attributes, as Optuna's
    summaries have them.
    """

    study_id: int
    study_name: str
    directions: list[StudyDirection]
    n_trials: int
    n_complete: int
    best_values: list[float] | None
    datetime_start: Any = None
    best_trial: FrozenTrial | None = None
    user_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
    system_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study."""
        if len(self.directions) != 1:
            raise RuntimeError(
                f"Study {self.study_name!r} has {len(self.directions)} objectives; "
                "use `directions`."
            )
        return self.directions[0]


class BaseStorage(abc.ABC):
    """Where studies and trials are kept. Every method is safe to call from several threads."""

    #: Seconds between heartbeats of running trials; ``None`` when the storage needs none.
    heartbeat_interval: float | None = None
    #: Seconds without a heartbeat after which a running trial is failed.
    grace_period: float | None = None
    #: Called as ``callback(study, frozen_trial)`` for each trial failed for a stale heartbeat.
    failed_trial_callback: Any = None

    # --- studies ---------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        """Create a study and return its id; raise DuplicatedStudyError if the name is taken."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study with all its trials."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """Return the id of a study; raise StudyNotFoundError if there is none."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str:
        """Return the name of a study."""

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        """Return the directions of a study's objectives."""

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        """Set a user (or system) attribute of a study. ``value`` must be JSON-serialisable."""

    @abc.abstractmethod
    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        """Return the user (or system) attributes of a study."""

    @abc.abstractmethod
    def get_all_studies(self) -> list[StudySummary]:
        """Summaries of every study in the storage."""

    # --- trials ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(self, study_id: int, *, create: bool = True) -> FrozenTrial | None:
        """Start a trial: claim the oldest WAITING trial if there is one, else make a new one.

        The claim is atomic across processes: two workers never receive the same trial. With
        ``create=False`` no new trial is made, and ``None`` means that none was waiting.
        """

    @abc.abstractmethod
    def enqueue_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, once_key: str | None = None
    ) -> bool:
        """Add WAITING trials made from ``templates`` (their attrs), atomically.

        With ``once_key``, the trials are added only by the first caller to use that key for the
        study; later callers get ``False`` and nothing is added.
        """

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[int]:
        """Insert finished (or RUNNING) trials as given, atomically, numbered after the
        study's last trial; return their new ids. Storages that cannot do this raise
        NotImplementedError (both of tftune's can)."""
        raise NotImplementedError(f"{type(self).__name__} cannot add finished trials.")

    @abc.abstractmethod
    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        """Record a parameter of a running trial."""

    @abc.abstractmethod
    def set_trial_state_values(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        """Finish (or change the state of) a trial; raise UpdateFinishedTrialError if finished."""

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Record the value reported at ``step`` (a repeated step overwrites)."""

    @abc.abstractmethod
    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        """Set a user (or system) attribute of a trial."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Return a snapshot of one trial."""

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Return the study's trials ordered by number, optionally only those in ``states``."""

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        """The study's finished trials in the order this storage object learned that they
        finished, from position ``start`` of that order on: a reader that passes the number of
        trials it has read so far gets each finished trial exactly once, whatever order the
        trials finish in. The trials are read-only.

        This default keeps the order itself and reads every finished trial per call; storages
        with a cache of the study (both of tftune's) answer from it in O(new trials).
        """
        finished = self.get_all_trials(
            study_id, deepcopy=False, states=[s for s in TrialState if s.is_finished()]
        )
        logs = self.__dict__.setdefault("_finish_logs", {})
        order, seen = logs.setdefault(study_id, ([], set()))
        for trial in finished:
            if trial.trial_id not in seen:
                seen.add(trial.trial_id)
                order.append(trial)
        return list(order[start:])

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        """Count the study's trials, optionally only those in ``states``."""
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """The best COMPLETE trial of a single-objective study; ValueError if there is none."""
        direction = self.get_study_directions(study_id)
        if len(direction) != 1:
            raise RuntimeError("get_best_trial is for single-objective studies; use best_trials.")
        complete = self.get_all_trials(study_id, states=(TrialState.COMPLETE,))
        if not complete:
            raise ValueError("No trial is complete yet, so there is no best trial.")
        pick = max if direction[0] == StudyDirection.MAXIMIZE else min
        return pick(complete, key=lambda t: t.values[0])  # type: ignore[index]

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        """Return the id of the trial with ``number`` in the study."""
        for trial in self.get_all_trials(study_id, deepcopy=False):
            if trial.number == number:
                return trial.trial_id
        raise KeyError(f"Study {study_id} has no trial number {number}.")

    # --- Optuna's per-field accessors, for custom code written against its storages -------
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self.get_study_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self.get_study_attrs(study_id, system=True)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self.set_study_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self.set_study_attr(study_id, key, value, system=True)

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        """The trial's parameters, as the objective saw them."""
        return self.get_trial(trial_id).params

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        """One parameter's internal value (a category's index); KeyError if it has none."""
        trial = self.get_trial(trial_id)
        if param_name not in trial.params:
            raise KeyError(f"Trial #{trial.number} has no parameter {param_name!r}.")
        return trial.distributions[param_name].to_internal_repr(trial.params[param_name])

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        return self.get_trial(trial_id).user_attrs

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        return self.get_trial(trial_id).system_attrs

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.set_trial_attr(trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.set_trial_attr(trial_id, key, value, system=True)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self.get_trial(trial_id).number

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self.get_trial_id_from_number(study_id, trial_number)

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        """Raise UpdateFinishedTrialError if a trial in ``trial_state`` is finished."""
        if trial_state.is_finished():
            number = self.get_trial_number_from_id(trial_id)
            raise UpdateFinishedTrialError(
                f"Trial #{number} is {trial_state.name}; only a running trial can be changed."
            )

    def remove_session(self) -> None:  # noqa: B027 - optional hook, a no-op
        """Kept for Optuna code; tftune's storages hold no session to remove."""

    # --- heartbeats (storages shared by processes) -----------------------------------------
    def record_heartbeat(  # noqa: B027 - optional hook, a no-op
        self, trial_ids: Sequence[int]
    ) -> None:
        """Mark the given running trials as alive now."""

    def fail_stale_trials(self, study_id: int) -> list[FrozenTrial]:
        """Fail RUNNING trials whose heartbeat is older than the grace period; return them."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op
        """Release connections and threads."""
