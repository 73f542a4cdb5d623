"""An error threshold from the study's own early improvement bounds."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

from tftune._experimental import experimental_class
from tftune.terminator._checks import positive_int
from tftune.terminator._error import BaseErrorEvaluator
from tftune.terminator._improvement import BaseImprovementEvaluator
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune._direction import StudyDirection
    from tftune.trial import FrozenTrial


@experimental_class("4.0.0")
class MedianErrorEvaluator(BaseErrorEvaluator):
    """``threshold_ratio`` times the median of the paired improvement evaluator's values on the
    first ``warm_up_trials + i`` complete trials, ``i = 1 .. n_initial_trials``, without the
    warm-up trials themselves (Optuna's rule). Computed once, when enough trials are complete;
    until then the error is the smallest negative float, so the study never stops. Meant for
    ``EMMREvaluator``-like bounds that fall with the number of trials."""

    def __init__(
        self,
        paired_improvement_evaluator: BaseImprovementEvaluator,
        warm_up_trials: int = 10,
        n_initial_trials: int = 20,
        threshold_ratio: float = 0.01,
    ) -> None:
        if not isinstance(paired_improvement_evaluator, BaseImprovementEvaluator):
            raise TypeError(
                "`paired_improvement_evaluator` must be a BaseImprovementEvaluator, got "
                f"{paired_improvement_evaluator!r}."
            )
        self._paired = paired_improvement_evaluator
        self._warm_up_trials = positive_int("warm_up_trials", warm_up_trials, minimum=0)
        self._n_initial_trials = positive_int("n_initial_trials", n_initial_trials)
        if (
            isinstance(threshold_ratio, bool)
            or not isinstance(threshold_ratio, (int, float))
            or not (math.isfinite(threshold_ratio) and threshold_ratio > 0)
        ):
            raise ValueError(
                f"`threshold_ratio` must be a finite number > 0, got {threshold_ratio!r}."
            )
        self._threshold_ratio = float(threshold_ratio)
        self._threshold: float | None = None

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        if self._threshold is not None:
            return self._threshold
        complete = sorted(
            (t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.number
        )
        if len(complete) < self._warm_up_trials + self._n_initial_trials:
            return -sys.float_info.min
        start = self._warm_up_trials
        criteria = sorted(
            self._paired.evaluate(complete[start : start + i], study_direction)
            for i in range(1, self._n_initial_trials + 1)
        )
        median = criteria[len(criteria) // 2]
        self._threshold = min(sys.float_info.max, median * self._threshold_ratio)
        return self._threshold
