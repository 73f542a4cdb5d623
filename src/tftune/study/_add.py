"""Adding trials made elsewhere (``create_trial``, another study) to a study."""

from __future__ import annotations

from collections.abc import Sequence

from tftune.storages import BaseStorage
from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.trial._create import check_trial
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState


def add_trials(storage: BaseStorage, study_id: int, trials: Sequence[FrozenTrial]) -> None:
    """Check every trial first, then store them in order: runs of finished (or running)
    trials in one transaction each, WAITING ones queued with their params fixed."""
    n_objectives = len(storage.get_study_directions(study_id))
    for trial in trials:
        if not isinstance(trial, FrozenTrial):
            raise TypeError(f"`trials` must hold FrozenTrials (see create_trial), got {trial!r}.")
        check_trial(trial)
        if trial.values is not None and len(trial.values) != n_objectives:
            raise ValueError(
                f"The added trial has {len(trial.values)} value(s), but the study has "
                f"{n_objectives} objective(s): {trial.values!r}."
            )
    batch: list[FrozenTrial] = []
    for trial in trials:
        if trial.state != TrialState.WAITING:
            batch.append(trial)
            continue
        if batch:
            storage.add_trials(study_id, batch)
            batch = []
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            user_attrs=dict(trial.user_attrs),
            system_attrs={
                **trial.system_attrs,
                FIXED_PARAMS_KEY: {**trial.system_attrs.get(FIXED_PARAMS_KEY, {}), **trial.params},
            },
        )
        storage.enqueue_trials(study_id, [template])
    if batch:
        storage.add_trials(study_id, batch)
