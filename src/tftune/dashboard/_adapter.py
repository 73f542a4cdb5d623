"""tftune's storage seen through Optuna's storage interface, for optuna-dashboard.

``OptunaView`` is an ``optuna.storages.BaseStorage`` whose reads come from a tftune storage:
trials come from the tftune storage's own incremental cache (``get_all_trials(deepcopy=False)``
of an ``RDBStorage`` costs one query for what changed), and each finished trial is converted to
Optuna's class once, since tftune hands out the same cached object until it changes.

Writes are refused unless ``allow_write``: each write method raises ``WriteRefusedError``
naming it. With ``allow_write`` they go to the tftune storage's public methods (study and trial
attributes, notes as study system attrs, deleting a study, finishing a running trial); creating
trials from the dashboard (renaming a study copies its trials) is not supported.
No method ever creates a table or touches Optuna's schema.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Container, Sequence
from typing import Any

import optuna
from optuna.study._frozen import FrozenStudy

from tftune.dashboard._convert import (
    TrialConverter,
    from_optuna_direction,
    from_optuna_state,
    to_optuna_direction,
)
from tftune.dashboard._errors import UnsupportedWriteError, WriteRefusedError
from tftune.exceptions import DuplicatedStudyError
from tftune.storages._base import BaseStorage
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState


class OptunaView(optuna.storages.BaseStorage):
    """A tftune storage as an Optuna one: read-only unless ``allow_write`` (thread-safe)."""

    def __init__(self, storage: BaseStorage, *, allow_write: bool = False) -> None:
        if not isinstance(storage, BaseStorage):
            raise TypeError(
                f"`storage` must be a tftune storage (tftune.storages.BaseStorage), "
                f"got {storage!r} ({type(storage).__name__})."
            )
        self.storage = storage
        self.allow_write = bool(allow_write)
        self._converter = TrialConverter()
        self._converted: dict[int, dict[int, tuple[FrozenTrial, optuna.trial.FrozenTrial]]] = {}
        self._lock = threading.Lock()

    # --- writes ----------------------------------------------------------------------------
    def _check_write(self, method: str, what: str) -> None:
        if not self.allow_write:
            raise WriteRefusedError(method, what)

    def create_new_study(
        self, directions: Sequence[optuna.study.StudyDirection], study_name: str | None = None
    ) -> int:
        self._check_write("create_new_study", "creating a study")
        name = study_name if study_name is not None else f"no-name-{uuid.uuid4()}"
        try:
            return self.storage.create_new_study(
                [from_optuna_direction(d) for d in directions], name
            )
        except DuplicatedStudyError as error:
            raise optuna.exceptions.DuplicatedStudyError(str(error)) from error

    def delete_study(self, study_id: int) -> None:
        self._check_write("delete_study", "deleting a study")
        self.storage.delete_study(study_id)
        with self._lock:
            self._converted.pop(study_id, None)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._check_write("set_study_user_attr", "setting a study's user attribute")
        self.storage.set_study_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._check_write("set_study_system_attr", "saving a note or a study's system attribute")
        self.storage.set_study_attr(study_id, key, value, system=True)

    def create_new_trial(
        self, study_id: int, template_trial: optuna.trial.FrozenTrial | None = None
    ) -> int:
        self._check_write("create_new_trial", "creating a trial")
        raise UnsupportedWriteError(
            "create_new_trial", "create trials in a tftune storage (nor rename a study)"
        )

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: optuna.distributions.BaseDistribution,
    ) -> None:
        self._check_write("set_trial_param", "setting a trial's parameter")
        raise UnsupportedWriteError("set_trial_param", "set a trial's parameters")

    def set_trial_state_values(
        self,
        trial_id: int,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None = None,
    ) -> bool:
        self._check_write("set_trial_state_values", "finishing a trial")
        self.storage.set_trial_state_values(
            trial_id, from_optuna_state(state), list(values) if values is not None else None
        )
        return True

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._check_write("set_trial_intermediate_value", "reporting an intermediate value")
        self.storage.set_trial_intermediate_value(trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._check_write("set_trial_user_attr", "setting a trial's user attribute")
        self.storage.set_trial_attr(trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._check_write("set_trial_system_attr", "setting a trial's system attribute")
        self.storage.set_trial_attr(trial_id, key, value, system=True)

    # --- studies ---------------------------------------------------------------------------
    def get_study_id_from_name(self, study_name: str) -> int:
        return self.storage.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self.storage.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[optuna.study.StudyDirection]:
        return [to_optuna_direction(d) for d in self.storage.get_study_directions(study_id)]

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self.storage.get_study_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self.storage.get_study_attrs(study_id, system=True)

    def get_all_studies(self) -> list[FrozenStudy]:
        studies = []
        for summary in sorted(self.storage.get_all_studies(), key=lambda s: s.study_id):
            studies.append(
                FrozenStudy(
                    study_name=summary.study_name,
                    direction=None,
                    directions=[to_optuna_direction(d) for d in summary.directions],
                    user_attrs=self.storage.get_study_attrs(summary.study_id),
                    system_attrs=self.storage.get_study_attrs(summary.study_id, system=True),
                    study_id=summary.study_id,
                )
            )
        return studies

    # --- trials ----------------------------------------------------------------------------
    def _convert(self, study_id: int, trials: list[FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
        """Optuna's trials for tftune's, reusing the conversion of each finished trial whose
        tftune object is unchanged (the storage's cache hands out the same object)."""
        with self._lock:
            converted = self._converted.setdefault(study_id, {})
            result = []
            for trial in trials:
                known = converted.get(trial._trial_id)
                if (
                    known is not None
                    and known[0] is trial
                    and trial.state.is_finished()
                    and known[1].state.name == trial.state.name
                ):
                    result.append(known[1])
                    continue
                optuna_trial = self._converter.trial(trial)
                converted[trial._trial_id] = (trial, optuna_trial)
                result.append(optuna_trial)
            return result

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[optuna.trial.TrialState] | None = None,
    ) -> list[optuna.trial.FrozenTrial]:
        wanted = None
        if states is not None:
            wanted = [s for s in TrialState if optuna.trial.TrialState[s.name] in states]
        trials = self.storage.get_all_trials(study_id, deepcopy=False, states=wanted)
        result = self._convert(study_id, trials)
        return [copy.deepcopy(trial) for trial in result] if deepcopy else result

    def get_n_trials(
        self,
        study_id: int,
        state: tuple[optuna.trial.TrialState, ...] | optuna.trial.TrialState | None = None,
    ) -> int:
        if state is None:
            return self.storage.get_n_trials(study_id)
        states = (state,) if isinstance(state, optuna.trial.TrialState) else state
        return self.storage.get_n_trials(study_id, [from_optuna_state(s) for s in states])

    def get_trial(self, trial_id: int) -> optuna.trial.FrozenTrial:
        with self._lock:
            return self._converter.trial(self.storage.get_trial(trial_id))

    def get_best_trial(self, study_id: int) -> optuna.trial.FrozenTrial:
        best = self.storage.get_best_trial(study_id)
        with self._lock:
            return self._converter.trial(best)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self.storage.get_trial_id_from_number(study_id, trial_number)

    def remove_session(self) -> None:
        """Nothing to do: the tftune storage keeps its own connections."""
