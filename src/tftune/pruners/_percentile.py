"""Prune a trial whose best value so far is worse than a percentile of other trials at that
step.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from tftune._direction import StudyDirection
from tftune.pruners._base import BasePruner
from tftune.pruners._checks import at_step, non_negative_int, positive_int
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


class PercentilePruner(BasePruner):
    """Stop a trial when its best reported value is worse than the ``percentile``-th best of the
    complete trials' values at the same step.

    Args:
        percentile: 0-100; 50 keeps the better half (the median rule), 25 only the best quarter.
        n_startup_trials: never prune until this many trials are complete.
        n_warmup_steps: never prune a trial before this step.
        interval_steps: decide every this many steps after the warm-up.
        n_min_trials: how many complete trials must have reported this step.

    A trial whose latest report is NaN is pruned (it diverged).
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
        if step is None or not at_step(step, self.n_warmup_steps, self.interval_steps):
            return False
        if math.isnan(trial.intermediate_values[step]):
            return True
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(complete) < self.n_startup_trials:
            return False
        others = [t.intermediate_values[step] for t in complete if step in t.intermediate_values]
        others = [v for v in others if not math.isnan(v)]
        if len(others) < self.n_min_trials:
            return False
        maximize = study.direction == StudyDirection.MAXIMIZE
        values = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        best = max(values) if maximize else min(values)
        threshold = float(
            np.percentile(others, 100 - self.percentile if maximize else self.percentile)
        )
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
