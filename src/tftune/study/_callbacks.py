"""Callbacks for ``Study.optimize``."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states`` (all states when None),
    counting every worker's trials: a budget for the whole study, not for one process.

    Example: ``study.optimize(objective, callbacks=[MaxTrialsCallback(100)])``.
    """

    def __init__(
        self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)
    ) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise ValueError(f"`n_trials` must be a non-negative int, got {n_trials!r}.")
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if len(study.get_trials(deepcopy=False, states=self._states)) >= self._n_trials:
            study.stop()
