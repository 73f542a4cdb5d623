"""Tolerate a trial that stalls for a while before asking another pruner."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tftune._direction import StudyDirection
from tftune._experimental import experimental_class
from tftune.pruners._base import BasePruner
from tftune.pruners._checks import non_negative_int
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_class("2.8.0")
class PatientPruner(BasePruner):
    """Prune only a trial whose recent reports fell behind, and then only if
    ``wrapped_pruner`` agrees (``None``: falling behind alone prunes).

    A trial falls behind when the best of its last ``patience + 1`` reports is worse than its
    best report before them by more than ``min_delta`` (Optuna's rule: a plateau is not
    falling behind). NaN reports are left out; with only NaN on either side it is not pruned.
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise TypeError(f"`wrapped_pruner` must be a pruner or None, got {wrapped_pruner!r}.")
        self.patience = non_negative_int("patience", patience)
        if (
            isinstance(min_delta, bool)
            or not isinstance(min_delta, (int, float))
            or not min_delta >= 0
        ):
            raise ValueError(f"`min_delta` must be a number >= 0, got {min_delta!r}.")
        self.wrapped_pruner, self.min_delta = wrapped_pruner, float(min_delta)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        steps = sorted(trial.intermediate_values)
        if len(steps) <= self.patience + 1:
            return False
        values = [trial.intermediate_values[s] for s in steps]
        before, recent = values[: -(self.patience + 1)], values[-(self.patience + 1) :]
        before = [v for v in before if not math.isnan(v)]
        recent = [v for v in recent if not math.isnan(v)]
        if not before or not recent:
            return False
        if study.direction == StudyDirection.MAXIMIZE:
            behind = max(before) - self.min_delta > max(recent)
        else:
            behind = min(before) + self.min_delta < min(recent)
        if not behind:
            return False
        return self.wrapped_pruner is None or self.wrapped_pruner.prune(study, trial)
