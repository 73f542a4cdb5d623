"""Error evaluators: how far apart two runs of the same configuration may score (noise)."""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from tftune._experimental import experimental_class
from tftune._direction import StudyDirection
from tftune.terminator._checks import finite_float
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.trial import FrozenTrial, Trial

#: The trial's system attribute that holds its cross-validation scores (Optuna's key).
CROSS_VALIDATION_SCORES_KEY = "terminator:cv_scores"


class BaseErrorEvaluator(abc.ABC):
    """Estimates the statistical error of the study's objective values."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The error, from the study's trials (all states; evaluators pick what they use)."""


def best_complete_trial(trials: Sequence[FrozenTrial], direction: StudyDirection) -> FrozenTrial:
    """The best COMPLETE trial (ValueError if none is)."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        raise ValueError("No trial is complete yet; the error cannot be evaluated.")
    pick = max if direction == StudyDirection.MAXIMIZE else min
    return pick(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]


@experimental_class("3.2.0")
class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The standard error of the best trial's score from its k cross-validation folds
    (reported with :func:`report_cross_validation_scores`), corrected for the folds'
    overlapping training sets: ``sqrt((1/k + 1/(k-1)) * var(scores))`` (Nadeau and Bengio)."""

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        best = best_complete_trial(trials, study_direction)
        scores = best.system_attrs.get(CROSS_VALIDATION_SCORES_KEY)
        if scores is None:
            raise ValueError(
                f"Trial #{best.number} (the best) has no cross-validation scores: call "
                "`report_cross_validation_scores(trial, scores)` in the objective."
            )
        k = len(scores)
        return float(math.sqrt((1.0 / k + 1.0 / (k - 1)) * float(np.var(scores))))


def report_cross_validation_scores(trial: Trial, scores: Iterable[float]) -> None:
    """Record a running trial's per-fold scores (a list or a NumPy array, as scikit-learn's
    ``cross_val_score`` returns), for :class:`CrossValidationErrorEvaluator`."""
    values = list(scores) if not isinstance(scores, (str, bytes, Mapping)) else None
    if values is None or len(values) < 2:
        raise ValueError(f"`scores` must hold at least 2 numbers, got {scores!r}.")
    for i, score in enumerate(values):
        if (
            isinstance(score, bool)
            or not isinstance(score, numbers.Real)
            or not math.isfinite(score)
        ):
            raise ValueError(f"`scores` must hold finite numbers, got {score!r} at index {i}.")
    trial.set_system_attr(CROSS_VALIDATION_SCORES_KEY, [float(score) for score in values])


@experimental_class("3.2.0")
class StaticErrorEvaluator(BaseErrorEvaluator):
    """A fixed error: stop once the improvement bound falls below ``constant``."""

    def __init__(self, constant: float) -> None:
        self._constant = finite_float("constant", constant)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        return self._constant
