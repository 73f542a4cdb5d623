"""The evaluator interface and ``get_param_importances``."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study

_logger = logging.getLogger("tftune")


class BaseImportanceEvaluator(abc.ABC):
    """Scores how much each parameter matters to the target; higher is more important."""

    @abc.abstractmethod
    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        """Unnormalized importances of ``params`` (default: all), most important first."""


def prepared_trials(
    study: Study, params: Sequence[str] | None, target: Target | None, caller: str
) -> tuple[list[FrozenTrial], list[str], np.ndarray]:
    """The complete trials with a finite target, the parameter names, and the targets.

    ValueError when the study has no complete trial or ``params`` names an unknown parameter.
    """
    function = resolve_target(study, target, caller)
    trials = complete_trials(study)
    names = param_names(trials, params)
    values = np.array([function(t) for t in trials], dtype=float)
    finite = np.isfinite(values)
    trials = [t for t, keep in zip(trials, finite, strict=True) if keep]
    if not trials:
        raise ValueError(
            f"{caller} needs complete trials with a finite target value; study "
            f"{study.study_name!r} has none."
        )
    return trials, names, values[finite]


def sorted_importances(importances: dict[str, float]) -> dict[str, float]:
    """Most important first; equal ones keep their order."""
    return dict(sorted(importances.items(), key=lambda item: -item[1]))


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """How much each parameter mattered, from the study's COMPLETE trials, most important first.

    ``evaluator`` defaults to :class:`PedAnovaImportanceEvaluator` (fast, no scikit-learn).
    With ``normalize`` the importances sum to 1 (equal shares when none matters, as Optuna
    does). A study with several objectives needs ``target``. Fewer than two usable trials give
    every parameter 0 unnormalized (with a warning); a study with no complete trial gives {}
    (a ValueError when ``params`` names parameters).
    """
    if evaluator is None:
        from tftune.importance._ped_anova import PedAnovaImportanceEvaluator

        evaluator = PedAnovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise TypeError(
            f"`evaluator` must be a BaseImportanceEvaluator, got {type(evaluator).__name__}."
        )
    if params is None and not complete_trials(study):
        return {}  # nothing to judge yet (as Optuna answers)
    importances = evaluator.evaluate(study, params=params, target=target)
    if normalize and importances:
        total = sum(importances.values())
        if total > 0:
            importances = {name: value / total for name, value in importances.items()}
        else:  # none stands out: equal shares, as Optuna normalizes
            importances = dict.fromkeys(importances, 1.0 / len(importances))
    return sorted_importances(importances)


def warn_too_few(study: Study, n_trials: int, minimum: int, evaluator: str) -> None:
    """Log that importances are all 0 because the study has too few trials."""
    _logger.warning(
        "%s needs at least %d complete trials with a finite target to tell parameters apart; "
        "study %r has %d, so every importance is 0.",
        evaluator,
        minimum,
        study.study_name,
        n_trials,
    )
