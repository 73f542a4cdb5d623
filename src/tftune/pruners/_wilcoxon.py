"""Prune by a Wilcoxon signed-rank test against the best trial, instance by instance."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from tftune._direction import StudyDirection
from tftune._experimental import experimental_class
from tftune.pruners._base import BasePruner
from tftune.pruners._checks import non_negative_int
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_class("3.6.0")
class WilcoxonPruner(BasePruner):
    """Stop a trial once a one-sided Wilcoxon signed-rank test is sure, at ``p_threshold``,
    that it is worse than the best trial on the instances both evaluated.

    For objectives that average a score over instances (cross-validation folds, benchmark
    problems, questions to a model): report each instance's score with
    ``trial.report(score, step=instance_id)``, in any order, and return the mean. Steps are
    matched by instance id, so hard and easy instances pair up.

    Never prunes before ``n_startup_steps`` common instances, when there is no best trial,
    when the best trial reported nothing or either trial reported a NaN or infinite value
    (these with a UserWarning, as Optuna's), or when the trial's mean so far is at least as
    good as the best trial's value. Steps the best trial lacks are left out, with a warning.

    Args:
        p_threshold: the p-value below which the trial is pruned, in [0, 1].
        n_startup_steps: the fewest common instances before pruning is considered.
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if (
            isinstance(p_threshold, bool)
            or not isinstance(p_threshold, (int, float))
            or not 0.0 <= p_threshold <= 1.0
        ):
            raise ValueError(f"`p_threshold` must be a number in [0, 1], got {p_threshold!r}.")
        self.p_threshold = float(p_threshold)
        self.n_startup_steps = non_negative_int("n_startup_steps", n_startup_steps)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if not trial.intermediate_values:
            return False
        if not all(math.isfinite(v) for v in trial.intermediate_values.values()):
            _warn(f"trial #{trial.number} reported a NaN or infinite value")
            return False
        try:
            best = study.best_trial
        except ValueError:  # no trial is complete yet
            return False
        if best.value is None:
            return False
        if not best.intermediate_values:
            _warn(
                f"the best trial #{best.number} reported nothing (give add_trial its "
                "intermediate_values)"
            )
            return False
        if not all(math.isfinite(v) for v in best.intermediate_values.values()):
            _warn(f"the best trial #{best.number} reported a NaN or infinite value")
            return False
        steps = sorted(set(trial.intermediate_values) & set(best.intermediate_values))
        if len(steps) < len(trial.intermediate_values):
            warnings.warn(
                f"WilcoxonPruner: trial #{trial.number} reported steps the best trial "
                f"#{best.number} did not; they are left out of the comparison.",
                UserWarning,
                stacklevel=3,
            )
        if len(steps) < max(self.n_startup_steps, 1):
            return False
        mine = [trial.intermediate_values[step] for step in steps]
        theirs = [best.intermediate_values[step] for step in steps]
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        mean = sum(mine) / len(mine)
        if sign * mean <= sign * best.value:
            return False  # as good as the best on average so far: keep it
        differences = [sign * (a - b) for a, b in zip(mine, theirs, strict=True)]
        return worse_p_value(differences) < self.p_threshold


def _warn(reason: str) -> None:
    warnings.warn(f"WilcoxonPruner does not prune: {reason}.", UserWarning, stacklevel=4)


def worse_p_value(differences: list[float]) -> float:
    """The one-sided signed-rank p-value that the differences' distribution lies above zero
    (zeros split between the signs); 1.0 when every difference is zero."""
    if all(d == 0.0 for d in differences):
        return 1.0
    from scipy import stats

    result = stats.wilcoxon(differences, alternative="greater", zero_method="zsplit")
    return float(result.pvalue)
