"""Stop a study when the room for improvement falls below the noise of its values."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from tftune.terminator._checks import positive_int
from tftune.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
)
from tftune.terminator._improvement import (
    DEFAULT_MIN_N_TRIALS,
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
)
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune._direction import StudyDirection
    from tftune.study import Study


def default_evaluators(
    improvement_evaluator: BaseImprovementEvaluator | None,
    error_evaluator: BaseErrorEvaluator | None,
) -> tuple[BaseImprovementEvaluator, BaseErrorEvaluator]:
    """Optuna's defaults: ``RegretBoundEvaluator``, with ``CrossValidationErrorEvaluator``, or
    with ``StaticErrorEvaluator(0)`` for a ``BestValueStagnationEvaluator``."""
    if improvement_evaluator is None:
        from tftune.terminator._regret_bound import RegretBoundEvaluator

        improvement_evaluator = RegretBoundEvaluator()
    if error_evaluator is None:
        error_evaluator = (
            StaticErrorEvaluator(0)
            if isinstance(improvement_evaluator, BestValueStagnationEvaluator)
            else CrossValidationErrorEvaluator()
        )
    return improvement_evaluator, error_evaluator


def single_direction(study: Study, caller: str) -> StudyDirection:
    """The study's direction; ValueError for a study with several objectives."""
    if len(study.directions) > 1:
        raise ValueError(f"{caller} supports studies with one objective; this one has several.")
    return study.direction


class BaseTerminator(abc.ABC):
    """Decides whether a study should stop."""

    @abc.abstractmethod
    def should_terminate(self, study: Study) -> bool:
        """True when the study should start no more trials."""


class Terminator(BaseTerminator):
    """True once ``min_n_trials`` trials are complete and the improvement evaluator's bound is
    below the error evaluator's estimate (see :func:`default_evaluators` for the defaults)."""

    def __init__(
        self,
        improvement_evaluator: BaseImprovementEvaluator | None = None,
        error_evaluator: BaseErrorEvaluator | None = None,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
    ) -> None:
        self._min_n_trials = positive_int("min_n_trials", min_n_trials)
        self._improvement_evaluator, self._error_evaluator = default_evaluators(
            improvement_evaluator, error_evaluator
        )

    def should_terminate(self, study: Study) -> bool:
        direction = single_direction(study, "Terminator")
        trials = study.get_trials(deepcopy=False)
        if sum(t.state == TrialState.COMPLETE for t in trials) < self._min_n_trials:
            return False
        improvement = self._improvement_evaluator.evaluate(trials, direction)
        error = self._error_evaluator.evaluate(trials, direction)
        return improvement < error
