"""Prune a trial whose best value so far is worse than a percentile of other trials at that
step.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

from tftune._direction import StudyDirection
from tftune.pruners._base import BasePruner
from tftune.pruners._checks import first_in_interval, non_negative_int, positive_int
from tftune.pruners._per_study import PerStudy
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


class _StepValues:
    """The complete trials' reported values (NaN left out), sorted, per step."""

    def __init__(self) -> None:
        self.n_complete = 0
        self.by_step: dict[int, list[float]] = {}

    def add(self, trial: FrozenTrial) -> None:
        if trial.state != TrialState.COMPLETE:
            return
        self.n_complete += 1
        for step, value in trial.intermediate_values.items():
            if not math.isnan(value):
                bisect.insort(self.by_step.setdefault(step, []), value)


#: Shared by every percentile pruner: the index depends on the study only.
_STEP_VALUES: PerStudy[_StepValues] = PerStudy(_StepValues, _StepValues.add)


def percentile_of_sorted(values: list[float], percentile: float) -> float:
    """``numpy.percentile(values, percentile)`` (linear interpolation, the same arithmetic)
    of an ascending list, in O(1)."""
    q = percentile / 100
    n = len(values)
    virtual = (n - 1) * q  # NumPy's virtual index for "linear"
    below = min(max(math.floor(virtual), 0), n - 1)
    above = min(below + 1, n - 1)
    gamma = virtual - math.floor(virtual)
    a, b = values[below], values[above]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


class PercentilePruner(BasePruner):
    """Stop a trial when its best reported value is worse than the ``percentile``-th best of the
    complete trials' values at the same step.

    Args:
        percentile: 0-100; 50 keeps the better half (the median rule), 25 only the best quarter.
        n_startup_trials: never prune until this many trials are complete.
        n_warmup_steps: never prune a trial before this step.
        interval_steps: decide every this many steps after the warm-up.
        n_min_trials: how many complete trials must have reported this step.

    Decisions are taken at the first report of each interval (reports need not fall on
    the interval's steps). As Optuna's: nothing is pruned before a trial is complete; a trial
    that reported only NaN is pruned (it diverged); NaN reports are left out of its best
    value and of the others' values, and if no other trial has a value at the step the trial
    is not pruned.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        if (
            isinstance(percentile, bool)
            or not isinstance(percentile, (int, float))
            or not 0 <= percentile <= 100
        ):
            raise ValueError(f"`percentile` must be a number in [0, 100], got {percentile!r}.")
        self.percentile = float(percentile)
        self.n_startup_trials = non_negative_int("n_startup_trials", n_startup_trials)
        self.n_warmup_steps = non_negative_int("n_warmup_steps", n_warmup_steps)
        self.interval_steps = positive_int("interval_steps", interval_steps)
        self.n_min_trials = positive_int("n_min_trials", n_min_trials)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or not first_in_interval(
            step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps
        ):
            return False
        maximize = study.direction == StudyDirection.MAXIMIZE
        with _STEP_VALUES.updated(study) as index:
            if index.n_complete == 0 or index.n_complete < self.n_startup_trials:
                return False
            values = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
            if not values:
                return True
            others = index.by_step.get(step, [])
            if not others or len(others) < self.n_min_trials:
                return False
            threshold = percentile_of_sorted(
                others, 100 - self.percentile if maximize else self.percentile
            )
        best = max(values) if maximize else min(values)
        return best < threshold if maximize else best > threshold


class MedianPruner(PercentilePruner):
    """Stop a trial whose best value so far is worse than the median of the complete trials'
    values at the same step (``PercentilePruner(50)``)."""

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials
        )
