"""Prune a trial whose value leaves fixed bounds, or stops being a finite number."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tftune.pruners._base import BasePruner
from tftune.pruners._checks import first_in_interval, non_negative_int, positive_int
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study


class ThresholdPruner(BasePruner):
    """Stop a trial whose latest report is below ``lower``, above ``upper``, NaN or infinite.

    Args:
        lower, upper: the bounds (at least one); ``None`` leaves that side open.
        n_warmup_steps, interval_steps: as for MedianPruner.

    A bound of the wrong type, or neither bound, is a TypeError (as in Optuna).
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        if lower is None and upper is None:
            raise TypeError("ThresholdPruner needs `lower` or `upper` (or both), got neither.")
        for name, bound in (("lower", lower), ("upper", upper)):
            if bound is None:
                continue
            if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                raise TypeError(f"`{name}` must be a number or None, got {bound!r}.")
            if math.isnan(bound):
                raise ValueError(f"`{name}` must be a number or None, got {bound!r}.")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(
                f"`lower` must be <= `upper`, got lower={lower!r} and upper={upper!r}."
            )
        self.lower, self.upper = lower, upper
        self.n_warmup_steps = non_negative_int("n_warmup_steps", n_warmup_steps)
        self.interval_steps = positive_int("interval_steps", interval_steps)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or not first_in_interval(
            step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps
        ):
            return False
        value = trial.intermediate_values[step]
        if not math.isfinite(value):
            return True
        return (self.lower is not None and value < self.lower) or (
            self.upper is not None and value > self.upper
        )
