"""Improvement evaluators: how much better than the best so far the study may still get."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from tftune._experimental import experimental_class
from tftune._direction import StudyDirection
from tftune.terminator._checks import positive_int
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.trial import FrozenTrial

#: Trials before a terminator (or an evaluator's model) acts (Optuna's default).
DEFAULT_MIN_N_TRIALS = 20


class BaseImprovementEvaluator(abc.ABC):
    """Estimates the room for improvement left in the study."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The improvement, from the study's trials (all states; COMPLETE ones count)."""


@experimental_class("3.4.0")
class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """``max_stagnation_trials`` minus the complete trials since the best one: below 0 (the
    default error, ``StaticErrorEvaluator(0)``) once the best value has not improved for more
    than ``max_stagnation_trials`` complete trials."""

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        self._max_stagnation_trials = positive_int(
            "max_stagnation_trials", max_stagnation_trials, minimum=0
        )

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete:
            raise ValueError("No trial is complete yet; the improvement cannot be evaluated.")
        maximize = study_direction == StudyDirection.MAXIMIZE
        best_index, best = 0, float(complete[0].value)  # type: ignore[arg-type]
        for index, trial in enumerate(complete):
            value = float(trial.value)  # type: ignore[arg-type]
            if (value > best) if maximize else (value < best):
                best_index, best = index, value
        return float(self._max_stagnation_trials - (len(complete) - 1 - best_index))
